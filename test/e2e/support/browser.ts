import { existsSync, mkdirSync, readdirSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { chromium, type Browser, type BrowserContext, type Page } from 'playwright-core';

export const CHROMIUM = '/usr/bin/chromium';
export const ROOT = fileURLToPath(new URL('../../../', import.meta.url));
/** Screenshots and logs of the e2e run (git-ignored). */
export const RESULTS_DIR = join(ROOT, 'test-results', 'e2e');

/**
 * This machine has no internet: without these flags Chromium keeps trying to reach Google's
 * services and floods the logs with refused connections.
 */
export const CHROMIUM_ARGS = [
  '--headless',
  '--no-sandbox',
  '--disable-gpu',
  '--disable-quic',
  '--no-first-run',
  '--disable-background-networking',
  '--disable-component-update',
  '--disable-sync',
];

/**
 * Whether the browser suites run here. In CI (CI=true) a missing tool is a failure, not a skip;
 * elsewhere the suite is skipped with a message saying why (as redisTestsEnabled does).
 */
export function e2eEnabled(suite: string, needs: Array<{ name: string; present: boolean; install: string }>): boolean {
  const missing = needs.filter((need) => !need.present);
  if (missing.length === 0) return true;
  const what = missing.map((m) => `${m.name} (${m.install})`).join(', ');
  if (process.env.CI === 'true') throw new Error(`${suite}: missing ${what}, and CI must run the browser suites`);
  console.warn(`SKIPPED ${suite}: missing ${what}`);
  return false;
}

export const chromiumNeed = { name: CHROMIUM, present: existsSync(CHROMIUM), install: 'apt-get install chromium' };

/** The demo page's bundle must have been built (`npm test` builds it first, via `pretest`). */
export function assertClientBuilt(): void {
  const bundle = join(ROOT, 'public', 'build', 'app.js');
  if (!existsSync(bundle))
    throw new Error('public/build/app.js is missing: run `npm run build:client` (npm test does it in pretest)');
  const sources = ['public/app', 'src/client'].flatMap((dir) =>
    readdirSync(join(ROOT, dir)).map((file) => join(ROOT, dir, file)),
  );
  const newest = Math.max(...sources.map((file) => statSync(file).mtimeMs));
  if (statSync(bundle).mtimeMs < newest)
    console.warn('public/build/app.js is older than its sources: run `npm run build:client` (npm test does)');
}

/**
 * Headless Chromium. Playwright gives every launch a fresh temporary profile (its own
 * --user-data-dir, deleted on close); each `newContext()` is a separate cookie jar, i.e. another
 * user of the demo.
 */
export async function launchChromium(): Promise<Browser> {
  return chromium.launch({ executablePath: CHROMIUM, headless: true, args: CHROMIUM_ARGS, timeout: 30_000 });
}

export interface TestPage {
  context: BrowserContext;
  page: Page;
  /** Uncaught exceptions in the page. */
  errors: string[];
  /** Everything the page logged (`type: text`), e.g. Chromium's own notes on failed requests. */
  console: string[];
  /**
   * Content-Security-Policy violations: Chromium's console reports and the page's
   * `securitypolicyviolation` events. The server's CSP must never block the demo page.
   */
  csp: string[];
}

/** The page's own view of a violation, logged so that the console listener collects it too. */
const CSP_MARK = 'csp violation:';

/** A page in a fresh context (its own session cookie), light colour scheme; exceptions and console collected. */
export async function newPage(browser: Browser, viewport = { width: 1280, height: 900 }): Promise<TestPage> {
  const context = await browser.newContext({ viewport, colorScheme: 'light', reducedMotion: 'reduce' });
  const page = await context.newPage();
  const errors: string[] = [];
  const console: string[] = [];
  const csp: string[] = [];
  page.on('pageerror', (error) => errors.push(String(error)));
  page.on('console', (message) => {
    const line = `${message.type()}: ${message.text()}`;
    console.push(line);
    if (/Content.Security.Policy|csp violation:/i.test(message.text())) csp.push(line);
  });
  // Init scripts run through the DevTools protocol, so the CSP does not apply to this one itself.
  await context.addInitScript(
    `document.addEventListener('securitypolicyviolation', (e) =>
      console.error('${CSP_MARK} ' + e.violatedDirective + ' blocked ' + (e.blockedURI || 'inline') +
        ' at ' + e.sourceFile + ':' + e.lineNumber));`,
  );
  return { context, page, errors, console, csp };
}

export async function screenshot(page: Page, name: string): Promise<string> {
  mkdirSync(RESULTS_DIR, { recursive: true });
  const path = join(RESULTS_DIR, `${name}.png`);
  await page.screenshot({ path, fullPage: true });
  return path;
}
