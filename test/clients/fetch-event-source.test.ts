import { EventStreamContentType, fetchEventSource } from '@microsoft/fetch-event-source';
import { afterAll, beforeAll } from 'vitest';
import { describeResume } from './support/resume.js';

/**
 * `@microsoft/fetch-event-source` with its documented pattern: `onopen` checks the answer,
 * `onclose` throws to retry when the server ends the stream, `onerror` retries all but fatal
 * errors. It keeps `Last-Event-ID` from every `id:` line (id-only blocks too) and sends it
 * itself. Its `onmessage` also gets the blocks without data (comments, `retry:`): skipped.
 */
class RetriableError extends Error {}
class FatalError extends Error {}

// It reaches for window.setTimeout and document's listeners even with openWhenHidden: give Node both.
const globals = globalThis as { window?: unknown; document?: unknown };
beforeAll(() => {
  globals.window = { setTimeout, clearTimeout, fetch: globalThis.fetch };
  globals.document = { hidden: false, addEventListener() {}, removeEventListener() {} };
});
afterAll(() => {
  delete globals.window;
  delete globals.document;
});

describeResume('@microsoft/fetch-event-source', (url, fetch, onEvent) => {
  const controller = new AbortController();
  fetchEventSource(url, {
    fetch,
    signal: controller.signal,
    openWhenHidden: true,
    async onopen(response) {
      if (response.ok && response.headers.get('content-type')?.startsWith(EventStreamContentType)) return;
      if (response.status >= 400 && response.status < 500 && response.status !== 429) throw new FatalError();
      throw new RetriableError();
    },
    onmessage(message) {
      if (message.data === '') return; // a comment or a `retry:` alone
      onEvent({ event: message.event || 'message', id: message.id || undefined, data: message.data });
    },
    onclose() {
      throw new RetriableError(); // the server ended the stream: reconnect
    },
    onerror(error) {
      if (error instanceof FatalError) throw error;
      // undefined: retry after the server's `retry:` hint
    },
  }).catch(() => undefined);
  return { close: () => controller.abort() };
});
