// The guard console in a real headless Chromium: a wrong PIN is refused, the guard logs in,
// registers a visitor; the resident shows their own pass to the kiosk camera as consent; the
// visitor's entry appears in the live feed and on the kiosk screen. Screenshots of both.
//   node guard_console.mjs CONSOLE_URL SCREEN_URL SPOOL_DIR RESIDENT_PNG STAFF_PASS_FILE PIN OUT
import { chromium } from 'playwright-core';
import { copyFileSync, readFileSync, renameSync } from 'node:fs';
import { join } from 'node:path';

const [consoleUrl, screenUrl, spool, residentPng, staffFile, pin, out] = process.argv.slice(2);
const staffPass = readFileSync(staffFile, 'utf8').trim();
function fail(msg) {
  console.error(`FAIL: ${msg}`);
  process.exit(1);
}

const browser = await chromium.launch({
  executablePath: process.env.CHROMIUM || '/usr/bin/chromium',
  args: ['--no-sandbox'],
});
try {
  const kiosk = await browser.newPage({ viewport: { width: 800, height: 480 } });
  await kiosk.goto(screenUrl);
  await kiosk.waitForSelector('#screen[data-state="idle"]');

  const page = await browser.newPage({ viewport: { width: 1280, height: 800 } });
  const errors = [];
  page.on('pageerror', (e) => errors.push(String(e)));
  await page.goto(consoleUrl);
  await page.fill('#login-pass', staffPass);
  await page.fill('#login-pin', '000000');
  await page.click('#login-submit');
  await page.waitForFunction(() => document.getElementById('login-error').textContent.length > 0);
  if (!(await page.isVisible('#login-view'))) fail('a wrong PIN logged in');

  await page.fill('#login-pin', pin);
  await page.click('#login-submit');
  await page.waitForSelector('#console-view:not([hidden])', { timeout: 10000 });

  await page.fill('#visitor-name', '赵敏');
  await page.fill('#visitor-phone', '13812348058');
  await page.fill('#visitor-reason', '探望母亲 visiting her mother');
  await page.click('#visitor-submit');
  await page.waitForSelector('#result[data-ok="true"]', { timeout: 10000 });
  const pending = await page.textContent('#result');
  if (!pending.includes('consent')) fail(`registration result: ${pending}`);

  // The resident shows their own pass to the kiosk camera: that is the consent.
  copyFileSync(residentPng, join(spool, 'resident.png.tmp'));
  renameSync(join(spool, 'resident.png.tmp'), join(spool, 'resident.png'));
  await page.waitForSelector('#feed li[data-reason="visitor_with_consent"]', { timeout: 10000 });
  await kiosk.waitForSelector('#screen[data-state="admit"]', { timeout: 10000 });
  const feed = await page.textContent('#feed');
  if (feed.includes('13812348058')) fail('the full phone number reached the feed');
  await page.screenshot({ path: join(out, 'guard-console-visitor-1280x800.png'), fullPage: true });
  await kiosk.screenshot({ path: join(out, 'kiosk-visitor-800x480.png') });

  // A manual release needs a reason; with one it is journaled and shown.
  await page.fill('#release-reason', '救护车 ambulance crew');
  await page.click('#release-submit');
  await page.waitForSelector('#feed li[data-reason="guard_override"]', { timeout: 10000 });

  await page.click('#logout');
  await page.waitForSelector('#login-view:not([hidden])');
  if (errors.length) fail(`page errors: ${errors.join('; ')}`);
  console.log('guard console: wrong PIN refused, login, visitor with consent admitted, release, logout');
} finally {
  await browser.close();
}
