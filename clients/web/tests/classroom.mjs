// Browser test of a classroom game against a real server. `make test` runs
// it against the server's own --http port (tests/browser/run.sh, ctest label
// `browser`); by hand:
//
//   build/bin/lanthanide-server --listen 127.0.0.1:7500 --http 127.0.0.1:8088 --db /tmp/web.db &
//   (cd clients/web && node tests/classroom.mjs [--base http://127.0.0.1:8088/] [--screenshots DIR] [--headed])
//
// The facilitator creates a classroom session, two players join by code on
// phone-size screens, agents take the other seats, the firm sends an order
// that is refused and then corrected, both players are ready, the turn
// resolves, the facilitator pauses and resumes, and the debrief opens.
// Screenshots go to tests/screenshots/ (or --screenshots DIR).
import { chromium } from 'playwright-core';
import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { checkHtml } from './htmlcheck.mjs';
import { ok, testArgs } from './kit.mjs';

const here = path.dirname(fileURLToPath(import.meta.url));
const { args, BASE, CHROMIUM, shots } = testArgs(here, /^\d\d-.*\.png$/);

const problems = [];
const dialogs = [];
let dismissNext = false;
function watch(page, who) {
  page.on('console', (m) => {
    if (m.type() === 'error' || /Content.Security.Policy/i.test(m.text())) problems.push(`${who}: console ${m.type()}: ${m.text()}`);
  });
  page.on('pageerror', (e) => problems.push(`${who}: page error: ${e.message}`));
  page.on('dialog', (d) => {
    dialogs.push(`${who}: ${d.message()}`);
    if (dismissNext) { dismissNext = false; d.dismiss(); } else d.accept();
  });
}
let step = 0;
async function shot(page, name, at = null) {
  const file = path.join(shots, `${String(++step).padStart(2, '0')}-${name}.png`);
  if (at === 'top') await page.evaluate(() => window.scrollTo(0, 0));
  else if (at) await page.locator(at).first().evaluate((e) => { e.scrollIntoView({ block: 'start' }); window.scrollBy(0, -120); });
  await page.screenshot({ path: file, fullPage: !at });
  console.log(`  screenshot ${path.relative(process.cwd(), file)}`);
}

const browser = await chromium.launch({ executablePath: CHROMIUM, headless: !args.includes('--headed'), args: ['--no-sandbox'] });
try {
  // 1. The facilitator creates a session.
  const adminCtx = await browser.newContext({ viewport: { width: 1280, height: 900 } });
  const admin = await adminCtx.newPage();
  watch(admin, 'admin');
  await admin.goto(`${BASE}#/admin`);
  await admin.getByLabel('Map').selectOption('classroom');
  await admin.getByLabel('Name (optional)').fill('Browser test');
  await admin.getByLabel('Turns', { exact: true }).fill('3');
  await admin.getByLabel('Minutes per turn').fill('10');
  await shot(admin, 'admin-create');
  await admin.getByRole('button', { name: 'Create session' }).click();
  await admin.waitForSelector('.seat .code');
  const session = new URL(admin.url().replace('#/', '')).searchParams.get('session');
  ok(/^s[0-9a-z]{7}$/.test(session), `session created: ${session}`);
  const code = async (seat) => (await admin.locator(`.seat[data-seat="${seat}"] .code`).textContent()).trim();
  const firmCode = await code('mountain_minerals');
  const nationCode = await code('USA');
  ok(firmCode.length === 10 && nationCode.length === 10, 'join codes shown');
  await admin.waitForSelector('.seat img.qr');
  await shot(admin, 'admin-lobby');
  await admin.evaluate(() => document.body.classList.add('print-codes'));
  await admin.emulateMedia({ media: 'print' });
  await shot(admin, 'admin-print-join-cards');
  await admin.emulateMedia({ media: 'screen' });
  await admin.evaluate(() => document.body.classList.remove('print-codes'));

  // 2. Two players join by code on phones.
  const phone = { viewport: { width: 375, height: 812 }, isMobile: true, hasTouch: true, deviceScaleFactor: 2 };
  const firmCtx = await browser.newContext(phone);
  const firm = await firmCtx.newPage();
  watch(firm, 'firm');
  await firm.goto(`${BASE}#/play?session=${session}&code=${firmCode}`);
  await firm.getByLabel('Your name (optional)').fill('Grace');
  await firm.getByRole('button', { name: 'Join' }).click();
  await firm.waitForSelector('text=Your situation');
  await firm.waitForFunction(() => document.querySelector('.topbar .who')?.textContent.includes('Mountain Minerals'));
  ok(true, 'firm joined as Mountain Minerals');

  const nationCtx = await browser.newContext(phone);
  const nation = await nationCtx.newPage();
  watch(nation, 'nation');
  await nation.goto(`${BASE}#/play?session=${session}&code=${nationCode.toLowerCase().replace(/(.{5})/, '$1-')}`);
  await nation.waitForFunction(() => document.activeElement?.id === 'j-join');
  await nation.keyboard.press('Enter'); // the Join button has focus: keyboard only
  await nation.waitForSelector('text=Your situation');
  await nation.waitForFunction(() => document.querySelector('.topbar .who')?.textContent.includes('United States'));
  ok(true, 'nation joined as the United States (code typed in lower case with a dash, keyboard only)');
  await shot(nation, 'nation-lobby', 'top');

  // 3. Agents take the other seats; the facilitator starts.
  await admin.waitForFunction(() => document.querySelectorAll('.seat-person').length === 2, null, { timeout: 10000 });
  // Giving a person's seat to an agent asks first; saying no keeps the person.
  dismissNext = true;
  await admin.locator('.seat[data-seat="USA"]').getByRole('button', { name: 'Give to agent' }).click();
  ok(dialogs.some((d) => /A person has joined United States/.test(d)), 'the dashboard asks before replacing a person by an agent');
  await admin.waitForTimeout(300);
  ok(await admin.locator('.seat[data-seat="USA"].seat-person').count() === 1, 'saying no keeps the person on the seat');
  await admin.getByRole('button', { name: 'Agents take the empty seats' }).click();
  await admin.waitForFunction(() => document.querySelectorAll('.seat-agent').length === 7, null, { timeout: 15000 });
  ok(true, 'agents took the 7 empty seats');
  await admin.getByRole('button', { name: 'Start the game' }).click();
  await admin.waitForFunction(() => document.querySelector('[data-testid=status]')?.textContent.startsWith('running'));
  ok(true, 'session running');
  await firm.waitForSelector('[data-testid=ready]');
  // The countdown is the server's (session.status), not an estimate, and
  // the facilitator moves the deadline: +5 min, then -1 min (it asks).
  const secsLeft = () => admin.evaluate(() => {
    const m = (document.querySelector('.topbar [role=timer]')?.textContent || '').match(/^(\d+):(\d\d) left/);
    return m ? Number(m[1]) * 60 + Number(m[2]) : null;
  });
  await admin.waitForFunction(() => /^\d+:\d\d left/.test(document.querySelector('.topbar [role=timer]')?.textContent || ''), null, { timeout: 10000 });
  const left0 = await secsLeft();
  ok(left0 > 540 && left0 <= 602, `the dashboard counts down the server's deadline, not an estimate (${left0} s left)`);
  await admin.getByRole('button', { name: '+5 min' }).click();
  await admin.waitForFunction((b) => {
    const m = (document.querySelector('.topbar [role=timer]')?.textContent || '').match(/^(\d+):(\d\d) left/);
    return m && Number(m[1]) * 60 + Number(m[2]) > b + 280;
  }, left0, { timeout: 10000 });
  ok(true, `+5 min moved the countdown (${left0} s -> ${await secsLeft()} s)`);
  await firm.waitForSelector('text=The facilitator moved the deadline');
  await firm.waitForFunction(() => {
    const m = (document.querySelector('[role=timer]')?.textContent || '').match(/(\d+):(\d\d) left/);
    return m && Number(m[1]) * 60 + Number(m[2]) > 800;
  }, null, { timeout: 10000 });
  ok(true, 'the player is told, and the player\'s countdown moved too');
  const left1 = await secsLeft();
  await admin.getByRole('button', { name: '−1 min' }).click();
  await admin.waitForFunction((b) => {
    const m = (document.querySelector('.topbar [role=timer]')?.textContent || '').match(/^(\d+):(\d\d) left/);
    return m && Number(m[1]) * 60 + Number(m[2]) < b - 50;
  }, left1, { timeout: 10000 });
  ok(dialogs.some((d) => /Take 1 min off this turn/.test(d)), `-1 min asked first and moved it back (${await secsLeft()} s)`);
  await admin.locator('.seat[data-seat="mountain_minerals"] [data-testid=player-name]').filter({ hasText: 'Grace' }).waitFor({ timeout: 10000 });
  ok(/connected/.test(await admin.locator('.seat[data-seat="mountain_minerals"] [data-testid=seat-status]').textContent()), 'the seat card names the player (Grace) and says she is connected (session.status)');
  ok(/The turn waits for: .*Mountain Minerals/.test(await admin.getByTestId('waiting').textContent()), 'the dashboard says who the turn waits for');
  await shot(admin, 'admin-running');

  // 4. The firm sends an order that is refused, then corrects it.
  await firm.getByLabel('Order', { exact: true }).selectOption({ label: 'Hire' });
  // The form is the server's orders.schema: its description, the field's
  // unit and range, and the built-in copy is not in use.
  ok(/hire staff from the home nation's pool/i.test(await firm.locator('.type-description').textContent()), 'the order form shows the schema\'s description of hire');
  ok(await firm.locator('[data-field=count] .unit').textContent() === 'people'
    && /-1,000,000 to 1,000,000/.test(await firm.locator('#f-count-hint').textContent()), 'count shows its unit and range from the schema');
  ok(await firm.locator('text=Order forms from the server schema').count() === 1, 'the order forms come from the server');
  await firm.getByLabel('Skill', { exact: true }).selectOption('mining');
  await firm.getByLabel('Count', { exact: true }).fill('99999');
  await firm.getByRole('button', { name: /Add to my orders/ }).click();
  await firm.getByLabel('Order', { exact: true }).selectOption({ label: 'Operate' });
  await firm.getByLabel('Facility', { exact: true }).selectOption({ index: 1 });
  await firm.getByLabel('Utilisation', { exact: true }).fill('90%');
  await firm.getByRole('button', { name: /Add to my orders/ }).click();
  ok(await firm.locator('[data-testid=unsent]').isVisible(), 'prepared orders are marked as not sent');
  await shot(firm, 'firm-unsent', '#orders');
  await firm.getByTestId('send').click();
  await firm.waitForSelector('.order-refused');
  const refusal = await firm.locator('.order-refused .order-error').textContent();
  ok(/count|pool|available/i.test(refusal), `hire refused in place: "${refusal.trim()}"`);
  ok(await firm.locator('.order-sent').count() === 1, 'the other order was accepted');
  await shot(firm, 'firm-refused', '#orders');
  await firm.locator('.order-refused').getByRole('button', { name: /^Edit/ }).click();
  await firm.getByLabel('Count', { exact: true }).fill('5');
  await firm.getByRole('button', { name: /Save changes/ }).click();
  await firm.getByTestId('send').click();
  await firm.waitForFunction(() => document.querySelectorAll('.order-sent').length === 2 && !document.querySelector('.order-refused'));
  ok(true, 'corrected order accepted');
  await shot(firm, 'firm-corrected', '#orders');

  // 5. The nation sets a tariff and is ready with it; chat.
  await nation.getByLabel('Order', { exact: true }).selectOption({ label: 'Tariff' });
  await nation.getByLabel('Product', { exact: true }).selectOption('magnet');
  await nation.getByLabel('Rate', { exact: true }).fill('0.25');
  await nation.getByLabel('From (optional)').selectOption('CHN');
  await shot(nation, 'nation-tariff-form', '#order-form-h');
  await nation.getByRole('button', { name: /Add to my orders/ }).click();
  await nation.getByTestId('ready').click();
  await nation.waitForSelector('.ready.is-ready');
  ok(await nation.locator('.order-sent').count() === 1, 'nation: tariff sent with ready');
  await admin.getByLabel('Message', { exact: true }).fill('Welcome to the rare-earth race!');
  await admin.getByLabel('Message', { exact: true }).press('Enter');
  await firm.waitForSelector('text=Welcome to the rare-earth race!');
  ok(true, 'facilitator broadcast reached the firm');

  // The facilitator pauses: the players are told, and the game goes on
  // when it resumes.
  await admin.getByRole('button', { name: 'Pause', exact: true }).click();
  await admin.waitForFunction(() => document.querySelector('[data-testid=status]')?.textContent.startsWith('paused'));
  await firm.waitForSelector('text=The facilitator paused the game.');
  ok(true, 'the facilitator paused; the player was told');
  await shot(admin, 'admin-paused');
  await admin.getByRole('button', { name: 'Resume', exact: true }).click();
  await admin.waitForFunction(() => document.querySelector('[data-testid=status]')?.textContent.startsWith('running'));
  await firm.waitForSelector('text=The game goes on.');
  ok(true, 'and resumed; the player was told');

  // 6. The firm is ready: the turn resolves for everyone without a reload.
  await firm.getByTestId('ready').click();
  await firm.waitForSelector('text=Turn 1 resolved', { timeout: 20000 });
  await nation.waitForSelector('text=Turn 1 resolved', { timeout: 20000 });
  await firm.waitForFunction(() => /2 \/ 3/.test(document.querySelector('.kpis')?.textContent || ''));
  ok(true, 'turn 1 resolved; both players are on turn 2');
  await admin.waitForFunction(() => /turn 2 \/ 3/.test(document.querySelector('[data-testid=status]')?.textContent || ''));
  for (const [who, page] of [['firm', firm], ['nation', nation]]) {
    const w = await page.evaluate(() => document.documentElement.scrollWidth);
    ok(w <= 375, `${who}: nothing wider than the 375 px phone screen (page width ${w})`);
  }
  await shot(firm, 'firm-turn2', 'top');
  // Quick actions fill the form from what stands.
  await firm.getByRole('button', { name: 'Offer NdPr oxide for sale' }).click();
  // The form fills itself after a render: wait for it rather than read at once.
  await firm.waitForFunction(() => document.getElementById('f-type')?.value === 'offer'
    && document.getElementById('f-product')?.value === 'ndpr_oxide', null, { timeout: 5000 });
  ok(true, 'the Sell button fills an offer form');
  await firm.getByLabel('Quantity', { exact: true }).fill('10');
  // allOf: with a quantity above 0 the price is required (no "(optional)").
  await firm.waitForFunction(() => document.querySelector('label[for=f-min_price]')?.textContent === 'Min price', null, { timeout: 5000 });
  ok(true, 'a price is required once the quantity is above 0 (the label drops "optional")');
  await shot(firm, 'firm-offer-form', '#order-form-h');
  await firm.getByRole('button', { name: /Add to my orders/ }).click();
  await firm.waitForSelector('[data-testid=unsent]');
  ok(/Offer 10 t NdPr oxide/.test(await firm.locator('.order-draft').textContent()), 'the offer is in the list, not sent');
  await shot(firm, 'firm-prefill', '#orders');
  await shot(firm, 'firm-turn2-charts', '#charts');
  // The same player's page on a desktop screen (two columns).
  await firm.setViewportSize({ width: 1280, height: 900 });
  await firm.waitForTimeout(300);
  await shot(firm, 'firm-desktop', 'top');
  await firm.setViewportSize({ width: 375, height: 812 });
  await shot(nation, 'nation-turn2', 'top');
  await shot(nation, 'nation-turn2-policies', 'h3:text("Demand")');
  await shot(nation, 'nation-turn2-chat', '#chat');
  await admin.waitForSelector('.chart .uplot');
  await shot(admin, 'admin-turn2');

  const adminPhone = await (await browser.newContext(phone)).newPage();
  watch(adminPhone, 'admin-phone');
  await adminPhone.goto(`${BASE}#/admin`);
  await adminPhone.waitForSelector('text=Sessions on this server');
  await shot(adminPhone, 'admin-phone', 'top');

  // A projector with no token follows the debrief (the session allows spectators).
  const projector = await (await browser.newContext({ viewport: { width: 1280, height: 800 } })).newPage();
  watch(projector, 'projector');
  await projector.goto(`${BASE}#/debrief?session=${session}`);
  await projector.waitForFunction(() => /of 1 resolved/.test(document.querySelector('[data-testid=reveal]')?.textContent || ''));
  ok(true, 'a projector without a token sees the debrief');

  // A shared computer: the firm's browser opens the nation's join link. It
  // joins as the nation (not as the seat it held), and the nation's own page
  // is told its seat moved, and can take it back.
  const shared = await firmCtx.newPage();
  watch(shared, 'shared');
  await shared.goto(`${BASE}#/play?session=${session}&code=${nationCode}`);
  await shared.getByRole('button', { name: 'Join' }).click();
  await shared.waitForFunction(() => document.querySelector('.topbar .who')?.textContent.includes('United States'));
  ok(true, 'a join link opens its own seat even where another seat of the session was held');
  await nation.waitForSelector('text=This seat was opened on another device');
  ok(true, 'the nation’s page is told its seat moved');
  await shot(nation, 'nation-seat-moved', 'top');
  await nation.getByRole('button', { name: 'Take it back here' }).click();
  await nation.waitForFunction(() => !document.body.textContent.includes('This seat was opened on another device'));
  ok(true, 'and takes it back');
  await shared.close();

  // Seat control: the facilitator locks the nation's seat (its code is
  // refused, the player keeps the seat), unlocks it, gives it a new code,
  // gives the firm's seat to an agent (after asking), and throws the
  // nation's player out; both players are told.
  const usaCard = admin.locator('.seat[data-seat="USA"]');
  await usaCard.getByRole('button', { name: 'Lock', exact: true }).click();
  await usaCard.locator('.badge-locked').waitFor();
  const locked = await (await browser.newContext(phone)).newPage();
  watch(locked, 'locked');
  await locked.goto(`${BASE}#/play?session=${session}&code=${nationCode}`);
  await locked.getByRole('button', { name: 'Join' }).click();
  await locked.waitForSelector('text=locked by the facilitator');
  ok(true, 'a locked seat refuses its join code');
  await usaCard.getByRole('button', { name: 'Unlock', exact: true }).click();
  await usaCard.getByRole('button', { name: 'Lock', exact: true }).waitFor();
  await usaCard.getByRole('button', { name: 'New code' }).click();
  await admin.waitForFunction((old) => {
    const c = document.querySelector('.seat[data-seat="USA"] .code')?.textContent;
    return c && c !== old && c !== '—';
  }, nationCode);
  ok(dialogs.some((d) => /new join code/.test(d)), 'the dashboard asks before re-issuing a code, and shows the new one');
  await admin.locator('.seat[data-seat="mountain_minerals"]').getByRole('button', { name: 'Give to agent' }).click();
  await firm.waitForSelector('[data-testid=agent]');
  ok(/gave this seat to an agent/.test(await firm.getByTestId('agent').textContent()), 'the firm is told an agent now plays its seat');
  await shot(firm, 'firm-seat-agent', 'top');
  await usaCard.getByRole('button', { name: 'Revoke (kick)' }).click();
  await nation.waitForSelector('[data-testid=revoked]');
  ok(dialogs.some((d) => /Throw out whoever holds United States/.test(d)), 'the dashboard asks before revoking a seat');
  ok(true, 'the nation is told its access was revoked');
  await shot(nation, 'nation-revoked', 'top');
  await admin.locator('.seat[data-seat="USA"]').scrollIntoViewIfNeeded();
  await shot(admin, 'admin-seat-control');

  // A new admin token: shown once, and the page goes on working with it.
  await admin.getByRole('button', { name: 'New admin token' }).click();
  await admin.getByTestId('new-admin-token').waitFor();
  const newToken = (await admin.locator('[data-testid=new-admin-token] code').textContent()).trim();
  ok(/^[0-9a-f]{32}$/.test(newToken) && dialogs.some((d) => /Replace the admin token/.test(d)), 'the dashboard asks, then shows the new admin token once');
  await shot(admin, 'admin-new-token', '[data-testid=new-admin-token]');

  // 7. Advance once more from the dashboard (with the new token), then the debrief.
  await admin.getByRole('button', { name: 'Advance now' }).click();
  await admin.waitForFunction(() => /turn 3 \/ 3/.test(document.querySelector('[data-testid=status]')?.textContent || ''));
  ok(true, 'advance now resolved turn 2');
  await projector.waitForFunction(() => /of 2 resolved/.test(document.querySelector('[data-testid=reveal]')?.textContent || ''));
  ok(true, 'the projector’s debrief followed turn 2 live');
  const phoneDebrief = await (await browser.newContext(phone)).newPage();
  watch(phoneDebrief, 'phone-debrief');
  await phoneDebrief.goto(`${BASE}#/debrief?session=${session}`);
  await phoneDebrief.waitForFunction(() => /of 2 resolved/.test(document.querySelector('[data-testid=reveal]')?.textContent || ''));
  const dw = await phoneDebrief.evaluate(() => document.documentElement.scrollWidth);
  ok(dw <= 375, `the debrief fits a phone (page width ${dw})`);
  await shot(phoneDebrief, 'debrief-phone', 'top');
  await admin.goto(`${BASE}#/debrief?session=${session}`);
  await admin.waitForFunction(() => /of 2 resolved/.test(document.querySelector('[data-testid=reveal]')?.textContent || ''));
  await admin.getByRole('button', { name: 'From the start' }).click();
  await shot(admin, 'debrief-turn1');
  await admin.getByRole('button', { name: 'Show all' }).click();
  await admin.emulateMedia({ media: 'print' });
  await shot(admin, 'debrief-print');
  await admin.emulateMedia({ media: 'screen' });
  ok(true, 'debrief shows the resolved turns');

  // Grades (CSV): the facilitator's copy names the players and flags agents.
  const [csvDl] = await Promise.all([admin.waitForEvent('download'), admin.getByTestId('grading-csv').click()]);
  const csv = fs.readFileSync(await csvDl.path(), 'utf8');
  fs.writeFileSync(path.join(shots, 'grades.csv'), csv);
  const csvRows = csv.trimEnd().split('\r\n');
  ok(/^# Lanthanide session .*player names and the human\/agent flag/.test(csvRows[0])
    && csvRows[1].startsWith('seat,kind,title,player_name,played_by,human,strategy,final_score,rank_in_kind,seats_of_kind,score_turn_1,score_turn_2'), 'the grades CSV has its header line and columns');
  ok(csvRows.some((r) => /^mountain_minerals,firm,Mountain Minerals,Grace,/.test(r)), 'the grades CSV holds the joined player\'s name (Grace)');
  ok(csvRows.some((r) => /^CHN,nation,China,,agent,no,[a-z_]+,[-0-9.]+,[1-9],3,/.test(r)), 'the grades CSV flags an agent seat with its strategy, score and rank');
  // A player's or a projector's copy has no names, and says so.
  const [anonDl] = await Promise.all([projector.waitForEvent('download'), projector.getByTestId('grading-csv').click()]);
  ok(/no player names/.test(fs.readFileSync(await anonDl.path(), 'utf8').split('\r\n')[0]), 'without the admin token the CSV says it has no names');

  // The end-of-game report: one HTML file, SVG charts, the standings.
  const [repDl] = await Promise.all([admin.waitForEvent('download', { timeout: 20000 }), admin.getByTestId('save-report').click()]);
  const report = fs.readFileSync(await repDl.path(), 'utf8');
  const reportFile = path.join(shots, 'report.html');
  fs.writeFileSync(reportFile, report);
  const htmlErrors = checkHtml(report);
  ok(htmlErrors.length === 0, `the report is well-formed HTML with no script${htmlErrors.length ? `: ${htmlErrors.join('; ')}` : ''}`);
  const rp = await (await browser.newContext({ viewport: { width: 1100, height: 900 }, javaScriptEnabled: false })).newPage();
  watch(rp, 'report');
  await rp.goto(pathToFileURL(reportFile).href);
  const facts = {
    svgs: await rp.locator('figure.chart svg').count(),
    lines: await rp.locator('svg .ct-line').count(),
    bars: await rp.locator('svg .ct-bar').count(),
    labels: await rp.locator('svg text.ct-label').count(),
    foreign: await rp.locator('svg foreignObject').count(),
    nations: await rp.locator('table.standings-nation tbody tr').count(),
    firms: await rp.locator('table.standings-firm tbody tr').count(),
    grace: await rp.locator('table.standings-firm td', { hasText: 'Grace' }).count(),
  };
  ok(facts.svgs >= 8 && facts.lines > 0 && facts.bars > 0 && facts.labels > 0 && facts.foreign === 0, `the report's charts are SVG (${JSON.stringify(facts)})`);
  ok(facts.nations === 3 && facts.firms === 6 && facts.grace === 1, 'the report ranks the 3 nations and the 6 firms apart, with the players\' names');
  await shot(rp, 'report', 'top');
  await shot(rp, 'report-charts', 'section.charts h2');
  await rp.emulateMedia({ media: 'print' });
  await shot(rp, 'report-print');
  await rp.pdf({ path: path.join(shots, 'report.pdf'), format: 'A4' }).catch(() => {});

  ok(problems.length === 0, `no console errors or CSP violations${problems.length ? `:\n${problems.join('\n')}` : ''}`);
  console.log('all passed');
} catch (e) {
  console.error(e.message);
  if (problems.length) console.error(problems.join('\n'));
  process.exitCode = 1;
} finally {
  await browser.close();
}
