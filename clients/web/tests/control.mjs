// Browser test of the control view (#/control, issue 13) against a real
// server. `make test` runs it against the server's own --http port
// (tests/browser/run.sh control, ctest `browser_control`, label `browser`);
// by hand:
//
//   build/bin/lanthanide-server --listen 127.0.0.1:7500 --http 127.0.0.1:8088 --db /tmp/web.db &
//   (cd clients/web && node tests/control.mjs --parts status,injects,review,fork,observers,channels,timeline
//                      [--base http://127.0.0.1:8088/] [--screenshots DIR] [--headed])
//
// `--parts` names the parts of the control cell to drive; each needs its
// methods on the server and fails without them (a requested part is never
// skipped). The parts came from separate branches of issue 13:
//   status     session.status, state.get with admin_token and seat (rd-ctl):
//              the grid shows the joined seat (its player's name, a person,
//              connected); control opens the seat and sees the order the
//              player just sent as pending
//   observers  observer.issue/.list/.revoke (rd-ctl)
//   closed     closed information (rd-ctl): on the test map closed-info
//              (tests/control/closed-info.json, which run.sh adds to the
//              maps), control sees a nation's hidden quotas as "not shown"
//              to another seat, next to the truth
//   injects    event.inject/.list/.cancel (rd-inject): an inject written in
//              the form appears in the list and fires with the turn; a
//              prepared one is cancelled; the scripted-events switch
//   review     turn.proposal/.release (rd-review): the turn is held (the
//              player sees nothing), amended and released from the UI, and
//              only then reaches the player
//   fork       session.fork (rd-review): the fork's admin token and codes
//   channels   channels.list, chat.history, chat.send with channel (rd-comms)
//   timeline   timeline.get (rd-comms): lists and filters
// Always: a player joins a firm by code, agents take the other seats, two
// turns resolve, and the debrief's slider steps between them.
// Screenshots (ctl-*.png) go to tests/screenshots/ (or --screenshots DIR);
// fails on any console error or CSP report.
import { chromium } from 'playwright-core';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { ok, pageWatcher, panelShooter, testArgs } from './kit.mjs';

const here = path.dirname(fileURLToPath(import.meta.url));
const { args, opt, BASE, CHROMIUM, shots } = testArgs(here, /^ctl-.*\.png$/);
const ALL_PARTS = ['status', 'observers', 'closed', 'injects', 'review', 'fork', 'channels', 'timeline'];
const parts = new Set((opt('--parts', ALL_PARTS.join(','))).split(',').filter(Boolean));
for (const p of parts) if (!ALL_PARTS.includes(p)) throw new Error(`unknown part '${p}' (parts: ${ALL_PARTS.join(', ')})`);
const has = (p) => parts.has(p);
const PANEL_METHOD = { status: 'session.status', observers: 'observer.list', closed: 'session.status', injects: 'event.inject', review: 'turn.proposal', fork: 'session.fork', channels: 'channels.list', timeline: 'timeline.get' };

const problems = [];
const watch = pageWatcher(problems);
const shot = panelShooter(shots, 'ctl-');
const text = async (loc) => (await loc.innerText()).replace(/\s+/g, ' ').trim();

const browser = await chromium.launch({ executablePath: CHROMIUM, headless: !args.includes('--headed'), args: ['--no-sandbox'] });
try {
  console.log(`parts: ${[...parts].join(', ') || 'none (the debrief only)'}`);
  // 1. A session (held for review when that part runs), a person on a firm.
  const ctx = await browser.newContext({ viewport: { width: 1360, height: 900 } });
  const ctl = await ctx.newPage();
  watch(ctl, 'control');
  await ctl.goto(`${BASE}#/admin`);
  await ctl.getByLabel('Map', { exact: true }).selectOption('classroom');
  await ctl.getByLabel('Name (optional)').fill('Control cell test');
  await ctl.getByLabel('Turns', { exact: true }).fill('4');
  await ctl.getByLabel('Minutes per turn').fill('10');
  if (has('review')) {
    await ctl.getByText('Wargame options').click();
    await ctl.getByLabel(/Review each turn/).check();
  }
  await ctl.getByRole('button', { name: 'Create session' }).click();
  await ctl.waitForSelector('.seat .code');
  const session = new URL(ctl.url().replace('#/', '')).searchParams.get('session');
  const firmCode = (await ctl.locator('.seat[data-seat="mountain_minerals"] .code').textContent()).trim();
  ok(/^s[0-9a-z]{7}$/.test(session) && firmCode.length === 10, `session ${session} created${has('review') ? ' with review' : ''}`);

  const firmCtx = await browser.newContext({ viewport: { width: 1000, height: 900 } });
  const firm = await firmCtx.newPage();
  watch(firm, 'firm');
  await firm.goto(`${BASE}#/play?session=${session}&code=${firmCode}`);
  await firm.getByLabel('Your name (optional)').fill('Grace');
  await firm.getByRole('button', { name: 'Join' }).click();
  await firm.waitForSelector('text=Your situation');
  await ctl.waitForFunction(() => document.querySelectorAll('.seat-person').length === 1, null, { timeout: 10000 });
  await ctl.getByRole('button', { name: 'Agents take the empty seats' }).click();
  await ctl.waitForFunction(() => document.querySelectorAll('.seat-agent').length === 8, null, { timeout: 15000 });
  await ctl.getByRole('button', { name: 'Start the game' }).click();
  await ctl.waitForFunction(() => document.querySelector('[data-testid=status]')?.textContent.startsWith('running'));
  ok(true, 'a person holds mountain_minerals, agents the 8 others; running');

  // 2. The control view; every part asked for has its panel.
  await ctl.getByTestId('control-link').click();
  await ctl.waitForSelector('.ctl-grid');
  await ctl.waitForTimeout(1000);
  for (const p of parts) {
    ok(await ctl.locator(`[data-missing="${PANEL_METHOD[p]}"]`).count() === 0, `the ${p} panel is there (${PANEL_METHOD[p]})`);
  }
  const row = ctl.locator('.ctl-grid tr[data-seat="mountain_minerals"]');
  if (has('status')) {
    await ctl.waitForFunction(() => /yes/.test(document.querySelector('.ctl-grid tr[data-seat="mountain_minerals"] [data-col=connected]')?.textContent || ''), null, { timeout: 10000 });
    const rowText = await text(row);
    ok(/Grace/.test(rowText) && /person/i.test(rowText), `the grid shows the joined seat: "${rowText}"`);
    ok(/agent/i.test(await text(ctl.locator('.ctl-grid tr[data-seat="USA"]'))), 'and the agents on the others');
    ok(/running · turn 1 \/ 4/.test(await text(ctl.getByTestId('ctl-status'))), 'status and turn from session.status');

    // Control opens the seat: its view, then the order the player sends.
    await row.getByRole('button').click();
    await ctl.waitForSelector('[data-testid=inspector][data-seat="mountain_minerals"] [data-testid=pending-flags]');
    ok(/submitted: no · ready: no/.test(await text(ctl.getByTestId('pending-flags'))), 'nothing pending before the player acts');
  }
  await firm.getByLabel('Order', { exact: true }).selectOption({ label: 'Operate' });
  await firm.getByLabel('Facility', { exact: true }).selectOption({ index: 1 });
  await firm.getByLabel('Utilisation', { exact: true }).fill('80%');
  await firm.getByRole('button', { name: /Add to my orders/ }).click();
  await firm.getByTestId('send').click();
  await firm.waitForSelector('.order-sent');
  if (has('status')) {
    await ctl.waitForFunction(() => /Run .* at 80%/.test(document.querySelector('.pending-orders')?.textContent || ''), null, { timeout: 10000 });
    ok(/submitted: yes · ready: no/.test(await text(ctl.getByTestId('pending-flags'))), 'control sees the player’s pending order (submitted, not ready)');
    await ctl.waitForFunction(() => /yes/.test(document.querySelector('.ctl-grid tr[data-seat="mountain_minerals"] [data-col=submitted]')?.textContent || ''), null, { timeout: 10000 });
    ok(true, 'the grid shows the seat submitted');
    await shot(ctl, 'seat', '#ctl-seats');
  }

  // 3. Observers: issued, listed, revoked.
  if (has('observers')) {
    await ctl.locator('#obs-name').fill('umpire');
    await ctl.locator('#ctl-observers').getByLabel('USA', { exact: true }).check();
    await ctl.getByRole('button', { name: 'Issue observer token' }).click();
    await ctl.waitForSelector('[data-testid=observer-token] code');
    const tok = (await ctl.locator('[data-testid=observer-token] code').textContent()).trim();
    ok(tok.length >= 16, 'an observer token is shown once');
    const obs = ctl.locator('#ctl-observers tr', { hasText: 'umpire' });
    await obs.waitFor();
    ok(/USA/.test(await text(obs)), 'the observer is listed with the seat it may view');
    await obs.getByRole('button', { name: 'Revoke' }).click();
    await ctl.waitForFunction(() => ![...document.querySelectorAll('#ctl-observers tr')].some((r) => /umpire/.test(r.textContent)), null, { timeout: 10000 });
    ok(true, 'and revoked');
  }

  // 4. An inject from the form appears in the list; a prepared one is cancelled.
  if (has('injects')) {
    // The timeline's filter has a 'Kind' too: the form's fields, by their labels.
    const injForm = ctl.getByRole('form', { name: 'New inject' });
    await injForm.getByLabel('Kind', { exact: true }).selectOption('flood');
    await ctl.locator('#inj-nation').fill('AUS');
    await injForm.getByLabel(/^Magnitude/).fill('0.3');
    await injForm.getByLabel(/^Duration/).fill('2');
    await injForm.getByLabel('Headline').fill('Floods close Queensland’s mines');
    await injForm.getByLabel(/^Note/).fill('tests the stockpile plan');
    await ctl.getByRole('button', { name: 'Inject', exact: true }).click();
    await ctl.waitForSelector('.inject-list tr[data-status="pending"]', { timeout: 10000 });
    const inj = await text(ctl.locator('.inject-list tbody tr').first());
    ok(/flood/.test(inj) && /AUS/.test(inj) && /Floods close Queensland/.test(inj) && /tests the stockpile plan/.test(inj) && /pending/i.test(inj),
      `the inject is listed: "${inj}"`);
    await injForm.getByLabel(/^Magnitude/).fill('0.5');
    await injForm.getByLabel('Headline').fill('A later flood');
    await ctl.locator('#inj-turn').fill('3');
    await ctl.getByRole('button', { name: 'Inject', exact: true }).click();
    await ctl.waitForFunction(() => document.querySelectorAll('.inject-list tbody tr').length === 2, null, { timeout: 10000 });
    const later = ctl.locator('.inject-list tbody tr', { hasText: 'A later flood' });
    ok(/^\S+ 3 flood/.test(await text(later)), 'a prepared inject for turn 3');
    await later.getByRole('button', { name: 'Cancel' }).click();
    await ctl.waitForFunction(() => [...document.querySelectorAll('.inject-list tbody tr')].some((r) => r.dataset.status === 'cancelled'), null, { timeout: 10000 });
    ok(true, 'control cancels the prepared inject');
    ok(await ctl.getByTestId('scripted-switch').getAttribute('aria-checked') === 'true', 'the switch shows the scripted events run');
    await shot(ctl, 'injects', '#ctl-injects');
  }

  // 5. The player is ready: turn 1 resolves (held for review, amended and released).
  await firm.getByTestId('ready').click();
  if (has('review')) {
    await ctl.waitForSelector('[data-testid=proposal]', { timeout: 20000 });
    ok(await ctl.locator('[data-testid=proposal] tr[data-seat="mountain_minerals"]').count() === 1, 'control sees the proposed outcome per seat');
    await firm.waitForTimeout(500);
    ok(await firm.locator('text=Turn 1 resolved').count() === 0, 'the player sees nothing before release');
    await firm.waitForSelector('[data-testid=held]', { timeout: 10000 });
    ok(/control cell is reviewing/.test(await text(firm.getByTestId('held'))), 'the player’s page says the turn is held for review');
    await ctl.locator('#am-kind').selectOption('cash');
    await ctl.locator('#am-seat').selectOption('mountain_minerals');
    await ctl.locator('#am-amount').fill('1,000,000');
    await ctl.locator('#am-reason').fill('insurance payout after the audit');
    await ctl.getByRole('button', { name: 'Add amendment' }).click();
    ok(/\+\$1,000,000.*insurance payout/.test(await text(ctl.locator('.amendments'))), 'the amendment is listed with its reason');
    await shot(ctl, 'review', '#ctl-review');
    await ctl.getByRole('button', { name: /^Release turn 1/ }).click();
    await ctl.waitForSelector('[data-testid=released]', { timeout: 10000 });
    ok(/1 amendment/.test(await text(ctl.getByTestId('released'))), 'released with 1 amendment');
  }
  await firm.waitForSelector('text=Turn 1 resolved', { timeout: 20000 });
  ok(true, has('review') ? 'the player gets turn 1 only after release' : 'turn 1 resolved');
  if (has('injects')) {
    await ctl.waitForFunction(() => [...document.querySelectorAll('.inject-list tbody tr')].some((r) => r.dataset.status === 'fired'), null, { timeout: 10000 });
    ok(true, 'the inject fired with the turn');
    await firm.waitForSelector('text=Floods close Queensland', { timeout: 10000 });
    ok(true, 'and the player reads its headline in the news');
  }

  // 6. Channels: control posts to press and to the firm's control channel.
  if (has('channels')) {
    await ctl.waitForSelector('.channel-list [data-channel="press"]');
    await ctl.locator('#ch-post').selectOption('press');
    await ctl.locator('#ch-text').fill('Press release: floods in Australia');
    await ctl.getByRole('button', { name: 'Post' }).click();
    await ctl.waitForSelector('.channel-view .messages[data-channel="press"] >> text=Press release: floods in Australia');
    await ctl.locator('#ch-post').selectOption('control:mountain_minerals');
    await ctl.locator('#ch-text').fill('Control here: what is your utilisation plan?');
    await ctl.getByRole('button', { name: 'Post' }).click();
    await ctl.waitForSelector('.channel-view .messages[data-channel="control:mountain_minerals"] >> text=what is your utilisation plan');
    ok(true, 'control posted to press and to the firm’s control channel');
    await ctl.locator('.channel-list [data-channel="press"]').click();
    await ctl.waitForSelector('.channel-view .messages[data-channel="press"] >> text=Press release: floods in Australia');
    ok(true, 'and reads the press channel back from chat.history');
    await shot(ctl, 'channels', '#ctl-channels');
  }

  // 7. The timeline renders and filters.
  if (has('timeline')) {
    await ctl.locator('#ctl-timeline').getByRole('button', { name: 'Refresh' }).click();
    await ctl.waitForFunction(() => document.querySelectorAll('.timeline li').length >= 3, null, { timeout: 10000 });
    const all = await ctl.locator('.timeline li').count();
    const kinds = await ctl.locator('.timeline li').evaluateAll((els) => [...new Set(els.map((e) => e.dataset.kind))]);
    ok(all >= 3 && (kinds.includes('resolved') || kinds.includes('release')), `the timeline lists ${all} entries (${kinds.join(', ')})`);
    await ctl.locator('#tl-seat').selectOption('mountain_minerals');
    const mine = await ctl.locator('.timeline li').count();
    ok(mine >= 1 && mine < all, `filtered to mountain_minerals: ${mine} of ${all}`);
    await ctl.locator('#tl-seat').selectOption('');
    await shot(ctl, 'timeline', '#ctl-timeline');
  }

  // 8. Fork at turn 1: a new session with its admin token and join codes.
  if (has('fork')) {
    await ctl.locator('#fork-turn').fill('1');
    await ctl.getByRole('button', { name: 'Fork at turn 1' }).click();
    await ctl.waitForSelector('[data-testid=fork-result]', { timeout: 15000 });
    const forkSession = (await ctl.getByTestId('fork-session').textContent()).trim();
    const forkToken = (await ctl.getByTestId('fork-admin-token').textContent()).trim();
    const codes = await ctl.locator('[data-testid=fork-result] td.code').allTextContents();
    ok(forkSession !== session && /^s[0-9a-z]{7}$/.test(forkSession) && forkToken.length >= 16 && codes.length === 9 && codes.every((c) => c.trim().length === 10),
      `fork ${forkSession}: its admin token and ${codes.length} join codes`);
    await shot(ctl, 'fork', '#ctl-fork');
  }
  await ctl.evaluate(() => window.scrollTo(0, 0));
  await shot(ctl, 'overview');

  // 9. Turn 2 from the control view; the debrief steps through both turns.
  await ctl.getByRole('button', { name: 'Advance now' }).click();
  if (has('review')) {
    await ctl.waitForSelector('[data-testid=proposal][data-turn="1"]', { timeout: 20000 });
    await ctl.getByRole('button', { name: /^Release turn 2/ }).click();
    await ctl.waitForSelector('[data-testid=released]', { timeout: 10000 });
  }
  await firm.goto(`${BASE}#/debrief?session=${session}`);
  await firm.waitForFunction(() => /of 2 resolved/.test(document.querySelector('[data-testid=reveal]')?.textContent || ''), null, { timeout: 15000 });
  const slider = firm.locator('#d-turn');
  await slider.fill('1');
  await firm.waitForFunction(() => document.querySelector('[data-testid=at-turn]')?.dataset.turn === '0');
  ok(/Showing turns 1 to 1 of 2/.test(await text(firm.getByTestId('reveal'))), 'the slider steps back to turn 1');
  ok(await firm.locator('[data-testid=at-turn] tr[data-seat="mountain_minerals"]').count() === 1, 'turn 1’s scores, prices and production are shown');
  await slider.fill('2');
  await firm.waitForFunction(() => document.querySelector('[data-testid=at-turn]')?.dataset.turn === '1');
  ok(/Showing turns 1 to 2 of 2/.test(await text(firm.getByTestId('reveal'))), 'and forward to turn 2');
  await shot(firm, 'debrief-step', '[data-testid=at-turn]');
  if (has('timeline')) {
    // Control's debrief: the timeline follows the slider's turn.
    await ctl.goto(`${BASE}#/debrief?session=${session}`);
    await ctl.waitForFunction(() => /of 2 resolved/.test(document.querySelector('[data-testid=reveal]')?.textContent || ''), null, { timeout: 15000 });
    await ctl.locator('#d-turn').fill('1');
    await ctl.waitForFunction(() => document.querySelectorAll('.timeline li').length > 0, null, { timeout: 10000 });
    const turnsShown = await ctl.locator('.timeline .tl-turn').allTextContents();
    ok(turnsShown.length > 0 && turnsShown.every((t) => t.trim() === 'turn 1'), `control's debrief lists turn 1's timeline (${turnsShown.length} entries)`);
    await ctl.locator('#d-turn').fill('2');
    await ctl.waitForFunction(() => { const t = [...document.querySelectorAll('.timeline .tl-turn')]; return t.length > 0 && t.every((e) => e.textContent.trim() === 'turn 2'); }, null, { timeout: 10000 });
    ok(true, 'and turn 2’s when the slider moves');
  }

  // 10. Closed information: a game of agents on the test map; control
  // sees China's unpublished quotas, which the United States does not.
  if (has('closed')) {
    await ctl.goto(`${BASE}#/admin`);
    await ctl.getByLabel('Map', { exact: true }).selectOption('closed-info');
    await ctl.getByLabel('Name (optional)').fill('Closed information');
    await ctl.getByLabel('Turns', { exact: true }).fill('2');
    await ctl.getByLabel('Minutes per turn').fill('0');
    await ctl.getByLabel('Seed (optional)').fill('7');
    await ctl.getByRole('button', { name: 'Create session' }).click();
    await ctl.waitForSelector('.seat .code');
    await ctl.getByRole('button', { name: 'Agents take the empty seats' }).click();
    await ctl.waitForFunction(() => document.querySelectorAll('.seat-agent').length === 9, null, { timeout: 15000 });
    await ctl.getByRole('button', { name: 'Start the game' }).click();
    await ctl.waitForFunction(() => document.querySelector('[data-testid=status]')?.textContent.startsWith('finished'), null, { timeout: 20000 });
    await ctl.getByTestId('control-link').click();
    await ctl.locator('.ctl-grid tr[data-seat="USA"]').getByRole('button').click();
    await ctl.waitForSelector('[data-testid=inspector][data-seat="USA"] .truth tbody tr', { timeout: 10000 });
    const hidden = await ctl.locator('.truth tbody tr', { hasText: 'policies.CHN[' }).allInnerTexts();
    ok(hidden.length > 0 && hidden.every((t) => /not shown/.test(t) && /quota/i.test(t)),
      `control sees what the United States does not: ${hidden.map((t) => t.split(/\s+/)[0]).join(', ')}`);
    await shot(ctl, 'seen-vs-true', '[data-testid=inspector]');
  }

  ok(problems.length === 0, `no console errors or CSP reports${problems.length ? `:\n${problems.join('\n')}` : ''}`);
  console.log(`control view: all checks passed (parts: ${[...parts].join(', ') || 'none'})`);
} finally {
  await browser.close();
}
