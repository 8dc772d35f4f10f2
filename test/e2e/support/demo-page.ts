import type { Page } from 'playwright-core';
import { expect } from 'vitest';
import { post, type Guest } from '../../support/server.js';

/** Computed seat colours of public/style.css (light scheme). */
export const COLOURS = {
  AVAILABLE: 'rgb(47, 158, 85)',
  HELD: 'rgb(242, 169, 0)',
  RESERVED: 'rgb(163, 169, 179)',
  MINE_HELD: 'rgb(31, 111, 224)',
  MINE_RESERVED: 'rgb(13, 59, 138)',
} as const;

declare global {
  interface Window {
    /** Set by watchSeats: every data-status change of a seat, with the page's clock. */
    __seatChanges: Array<{ id: number; status: string; at: number }>;
    /** Set by recordClicks: when the last click happened (page clock). */
    __clickAt: number;
    /** Set by watchConnection: every connection state the page showed, with the page's clock. */
    __states: Array<{ status: string; at: number; delayMs?: number }>;
  }
}

/** Opens the demo page and waits until it is live with its whole map drawn and a session started. */
export async function openDemo(page: Page, url: string, seats: number, timeoutMs = 15_000): Promise<void> {
  await page.goto(url);
  await page.waitForFunction(
    (n) =>
      document.querySelector('#connection-state')?.getAttribute('data-state') === 'live' &&
      document.querySelectorAll('#seat-map [data-seat-id]').length === n &&
      window.seatstream.api.token !== undefined,
    seats,
    { timeout: timeoutMs },
  );
}

/** Records every seat colour change (data-status) with the page's clock, from now on. */
export async function watchSeats(page: Page): Promise<void> {
  await page.evaluate(() => {
    window.__seatChanges = [];
    new MutationObserver((records) => {
      const at = Date.now();
      for (const record of records) {
        const element = record.target as HTMLElement;
        window.__seatChanges.push({ id: Number(element.dataset.seatId), status: element.dataset.status!, at });
      }
    }).observe(document.getElementById('seat-map')!, {
      subtree: true,
      attributes: true,
      attributeFilter: ['data-status'],
    });
  });
}

/** Records the page's connection states (from the client itself) with the page's clock. */
export async function watchConnection(page: Page): Promise<void> {
  await page.evaluate(() => {
    window.__states = [];
    window.seatstream.on('state', (state) => {
      window.__states.push({
        status: state.status,
        at: Date.now(),
        ...(state.status === 'reconnecting' && state.delayMs !== undefined && { delayMs: state.delayMs }),
      });
    });
  });
}

/** When `seatId` first turned `status` after `since` (page clock), waiting for it if needed. */
export async function seatChangedAt(
  page: Page,
  seatId: number,
  status: string,
  since = 0,
  timeoutMs = 5_000,
): Promise<number> {
  const handle = await page.waitForFunction(
    ([id, s, t]) => window.__seatChanges.find((c) => c.id === id && c.status === s && c.at >= t)?.at,
    [seatId, status, since] as const,
    { timeout: timeoutMs, polling: 'raf' },
  );
  return (await handle.jsonValue()) as number;
}

export async function recordClicks(page: Page): Promise<void> {
  await page.evaluate(() => document.addEventListener('click', () => (window.__clickAt = Date.now()), true));
}

/** Every seat of the page as [id, data-status]. */
export async function pageStatuses(page: Page): Promise<Array<[number, string]>> {
  return page.$$eval('#seat-map [data-seat-id]', (elements) =>
    elements.map(
      (e) => [Number((e as HTMLElement).dataset.seatId), (e as HTMLElement).dataset.status!] as [number, string],
    ),
  );
}

export async function seatColour(page: Page, seatId: number): Promise<string> {
  return page.$eval(`[data-seat-id="${seatId}"]`, (e) => getComputedStyle(e).backgroundColor);
}

/** The server's map as [id, status], and its Last-Event-ID. */
export async function serverMap(
  url: string,
  scheduleId: number,
): Promise<{ seats: Array<[number, string]>; lastEventId: string | null }> {
  const response = await fetch(`${url}/api/schedules/${scheduleId}/seats`);
  expect(response.status).toBe(200);
  const body = (await response.json()) as Array<{ id: number; status: string }>;
  return { seats: body.map((s) => [s.id, s.status]), lastEventId: response.headers.get('last-event-id') };
}

/**
 * A guest buys its held seats through the demo's checkout (reserving is the service's act; the
 * demo route stands in for an operator's checkout).
 */
export async function checkout(url: string, guest: Guest, seatIds: number[], scheduleId = 1): Promise<void> {
  const response = await post(url, `/api/demo/schedules/${scheduleId}/checkout`, { seatIds }, guest);
  expect(response.status).toBe(200);
}

/** The toast's text once it shows an error matching `pattern`. */
export async function errorToast(page: Page, pattern: RegExp, timeoutMs = 5_000): Promise<string> {
  const handle = await page.waitForFunction(
    ([source, flags]) => {
      const toast = document.getElementById('toast')!;
      const text = toast.textContent ?? '';
      return toast.classList.contains('show') && toast.dataset.kind === 'error' && new RegExp(source, flags).test(text)
        ? text
        : undefined;
    },
    [pattern.source, pattern.flags] as const,
    { timeout: timeoutMs },
  );
  return (await handle.jsonValue()) as string;
}
