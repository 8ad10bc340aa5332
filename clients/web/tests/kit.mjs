// What the browser tests (control.mjs, playtalk.mjs, classroom.mjs,
// story.mjs) share: their command line and screenshot folder, collecting a page's console errors and CSP reports, screenshots of a
// page or one panel, and the one-line checks they print.
import fs from 'node:fs';
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

// The command line every browser test takes (--base URL, --chromium PATH,
// --screenshots DIR, --headed) and its screenshot folder (DIR, else
// tests/screenshots beside the test), created and emptied of the test's
// own old screenshots (file names matching `old`).
export function testArgs(testDir, old) {
  const args = process.argv.slice(2);
  const opt = (n, d) => { const i = args.indexOf(n); return i >= 0 ? args[i + 1] : d; };
  const shots = path.resolve(opt('--screenshots', path.join(testDir, 'screenshots')));
  fs.mkdirSync(shots, { recursive: true });
  for (const f of fs.readdirSync(shots)) if (old.test(f)) fs.unlinkSync(path.join(shots, f));
  return {
    args,
    opt,
    shots,
    BASE: opt('--base', process.env.LANTHANIDE_WEB || 'http://127.0.0.1:8088/'),
    CHROMIUM: opt('--chromium', process.env.CHROMIUM || '/usr/bin/chromium'),
  };
}
