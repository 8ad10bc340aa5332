// What the browser tests (control.mjs, playtalk.mjs, classroom.mjs) share:
// collecting a page's console errors and CSP reports, screenshots of a
// page or one panel, and the one-line checks they print.
import path from 'node:path';

// watch(page, who) records into `problems` every console error, CSP report
// and page error of the page, and accepts its dialogs.
export function pageWatcher(problems) {
  return (page, who) => {
    page.on('console', (m) => {
      if (m.type() === 'error' || /Content.Security.Policy/i.test(m.text())) problems.push(`${who}: console ${m.type()}: ${m.text()}`);
    });
    page.on('pageerror', (e) => problems.push(`${who}: page error: ${e.message}`));
    page.on('dialog', (d) => d.accept());
  };
}

// shot(page, name, at) saves <dir>/<prefix><name>.png: the whole page, or
// the first element matching `at` (with the sticky top bar unstuck, so it
// does not cover the panel; CSSOM, which the page's CSP allows).
export function panelShooter(dir, prefix) {
  return async (page, name, at = null) => {
    const file = path.join(dir, `${prefix}${name}.png`);
    if (at) {
      await page.evaluate(() => { for (const e of document.querySelectorAll('.topbar')) e.style.position = 'static'; });
      await page.locator(at).first().screenshot({ path: file });
      await page.evaluate(() => { for (const e of document.querySelectorAll('.topbar')) e.style.position = ''; });
    } else await page.screenshot({ path: file, fullPage: true });
    console.log(`  screenshot ${path.relative(process.cwd(), file)}`);
  };
}

export function ok(cond, what) {
  if (!cond) throw new Error(`FAILED: ${what}`);
  console.log(`ok - ${what}`);
}
