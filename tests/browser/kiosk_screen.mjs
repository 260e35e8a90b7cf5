// The kiosk screen in a real headless Chromium (Debian's), driven by playwright-core:
// a QR pass dropped in front of the simulated camera must turn the page green with the
// reason in Chinese and English; a refused pass red; at 800x480 and 1920x1080.
//   node kiosk_screen.mjs URL SPOOL_DIR ADMIT_PNG DENY_PNG OUT_DIR
import { chromium } from 'playwright-core';
import { copyFileSync, renameSync } from 'node:fs';
import { join } from 'node:path';

const [url, spool, admitPng, denyPng, out] = process.argv.slice(2);
let n = 0;
function show(png) {  // hold a phone up to the camera: the spool camera takes the file
  const tmp = join(spool, `frame-${++n}.png.tmp`);
  copyFileSync(png, tmp);
  renameSync(tmp, join(spool, `frame-${n}.png`));
}
function fail(msg) {
  console.error(`FAIL: ${msg}`);
  process.exit(1);
}

const browser = await chromium.launch({
  executablePath: process.env.CHROMIUM || '/usr/bin/chromium',
  args: ['--no-sandbox'],
});
try {
  for (const [w, h] of [[800, 480], [1920, 1080]]) {
    const page = await browser.newPage({ viewport: { width: w, height: h } });
    const errors = [];
    page.on('pageerror', (e) => errors.push(String(e)));
    page.on('requestfailed', (r) => errors.push(`request failed: ${r.url()}`));
    await page.goto(url);
    await page.waitForSelector('#screen[data-state="idle"]', { timeout: 10000 });
    await page.screenshot({ path: join(out, `kiosk-idle-${w}x${h}.png`) });

    show(admitPng);
    await page.waitForSelector('#screen[data-state="admit"]', { timeout: 10000 });
    const zh = await page.textContent('#reason-zh');
    const en = await page.textContent('#reason-en');
    if (!zh.includes('请通行') || !en.includes('Please pass')) fail(`admit texts: ${zh} / ${en}`);
    const temp = await page.textContent('#temperature');
    // The body estimate from the simulated forehead (skin and ambient, issue 15's model): a
    // healthy reading below the refer band, shown with one decimal and its unit.
    if (!/\b3[5-7]\.\d\s*°C/.test(temp)) fail(`temperature shown: ${temp}`);
    await page.screenshot({ path: join(out, `kiosk-admit-${w}x${h}.png`) });

    show(denyPng);
    await page.waitForSelector('#screen[data-state="deny"]', { timeout: 10000 });
    const denyEn = await page.textContent('#reason-en');
    if (!/expired/i.test(denyEn)) fail(`deny reason: ${denyEn}`);
    await page.screenshot({ path: join(out, `kiosk-deny-${w}x${h}.png`) });

    // Nothing on the page may overflow the screen at this size (readable at two metres
    // means large, but never cut off).
    const overflow = await page.evaluate(() =>
      document.documentElement.scrollWidth > window.innerWidth ||
      document.documentElement.scrollHeight > window.innerHeight);
    if (overflow) fail(`page overflows at ${w}x${h}`);
    if (errors.length) fail(`page errors: ${errors.join('; ')}`);
    await page.close();
  }
  console.log('kiosk screen: idle -> admit -> deny at 800x480 and 1920x1080; screenshots in', out);
} finally {
  await browser.close();
}
