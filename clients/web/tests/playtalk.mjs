// Browser test of the player's channels and deals (issue 13) against a
// real server. `make test` runs it against the server's own --http port
// (tests/browser/run.sh playtalk, ctest `browser_playtalk`, label
// `browser`); by hand:
//
//   build/bin/lanthanide-server --listen 127.0.0.1:7500 --http 127.0.0.1:8088 --db /tmp/web.db &
//   (cd clients/web && node tests/playtalk.mjs [--base http://127.0.0.1:8088/] [--screenshots DIR] [--headed])
//
// The facilitator creates a classroom game; three people join
// (dragon_separation and dragon_magnets on phones, mountain_minerals on a
// desktop), agents take the other seats. The separator opens a channel
// with the magnet maker and writes in it: the magnet maker sees the
// channel appear and the message arrive, mountain_minerals sees neither.
// The separator asks control, and the control view reads the question in
// that seat's control channel. The separator proposes a contract (a term
// out of range is caught at its field first), the magnet maker counters,
// the separator accepts; after "Advance now" the contract is running in
// both seats' contracts (you.contracts) with its deliveries. Screenshots
// (talk-*.png) go to tests/screenshots/ (or --screenshots DIR); fails on
// any console error or CSP report.
import { chromium } from 'playwright-core';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { ok, pageWatcher, panelShooter, testArgs } from './kit.mjs';

const here = path.dirname(fileURLToPath(import.meta.url));
const { args, BASE, CHROMIUM, shots } = testArgs(here, /^talk-.*\.png$/);

const problems = [];
const watch = pageWatcher(problems);
const shot = panelShooter(shots, 'talk-');
const text = async (loc) => (await loc.innerText()).replace(/\s+/g, ' ').trim();
const phone = { viewport: { width: 375, height: 812 }, isMobile: true, hasTouch: true };

const browser = await chromium.launch({ executablePath: CHROMIUM, headless: !args.includes('--headed'), args: ['--no-sandbox'] });
try {
  // 1. The facilitator's game; three people join; agents take the rest.
  const ctx = await browser.newContext({ viewport: { width: 1360, height: 900 } });
  const ctl = await ctx.newPage();
  watch(ctl, 'control');
  await ctl.goto(`${BASE}#/admin`);
  await ctl.getByLabel('Map', { exact: true }).selectOption('classroom');
  await ctl.getByLabel('Name (optional)').fill('Channels and deals');
  await ctl.getByLabel('Turns', { exact: true }).fill('3');
  await ctl.getByLabel('Minutes per turn').fill('10');
  await ctl.getByRole('button', { name: 'Create session' }).click();
  await ctl.waitForSelector('.seat .code');
  const session = new URL(ctl.url().replace('#/', '')).searchParams.get('session');
  const code = async (seat) => (await ctl.locator(`.seat[data-seat="${seat}"] .code`).textContent()).trim();
  async function join(seat, options, name) {
    const c = await (await browser.newContext(options)).newPage();
    watch(c, seat);
    await c.goto(`${BASE}#/play?session=${session}&code=${await code(seat)}`);
    await c.getByLabel('Your name (optional)').fill(name);
    await c.getByRole('button', { name: 'Join' }).click();
    await c.waitForSelector('text=Your situation');
    return c;
  }
  const sep = await join('dragon_separation', phone, 'Ada');
  const mag = await join('dragon_magnets', phone, 'Bo');
  const mm = await join('mountain_minerals', { viewport: { width: 1100, height: 900 } }, 'Cy');
  await ctl.waitForFunction(() => document.querySelectorAll('.seat-person').length === 3, null, { timeout: 10000 });
  await ctl.getByRole('button', { name: 'Agents take the empty seats' }).click();
  await ctl.waitForFunction(() => document.querySelectorAll('.seat-agent').length === 6, null, { timeout: 15000 });
  await ctl.getByRole('button', { name: 'Start the game' }).click();
  await ctl.waitForFunction(() => document.querySelector('[data-testid=status]')?.textContent.startsWith('running'));
  ok(true, `session ${session}: three people, six agents, running`);

  const tabs = await sep.locator('nav.tabs').evaluate((n) => [n.scrollWidth, n.clientWidth, n.innerText.replace(/\s+/g, ' ')]);
  ok(tabs[0] <= tabs[1], `the five tabs (chat: the channels) fit a 375 px phone (${tabs[0]} <= ${tabs[1]} px): ${tabs[2]}`);

  // 2. The channels a seat reads, from channels.list.
  await sep.waitForSelector('#chat .channel-list [data-channel="control:dragon_separation"]');
  const sepChans = await sep.locator('#chat .channel-list button').evaluateAll((bs) => bs.map((b) => b.dataset.channel));
  ok(['all', 'press', 'control:dragon_separation', 'team:dragon_separation'].every((c) => sepChans.includes(c)), `the separator's channels: ${sepChans.join(', ')}`);
  ok(/Ask control/.test(await text(sep.locator('#chat .channel-list [data-channel="control:dragon_separation"]'))), 'its line to control reads "Ask control"');

  // 3. A bilateral channel, opened from the page with the keyboard.
  await sep.getByTestId('open-channel').click();
  await sep.waitForFunction(() => document.activeElement?.id === 'oc-title');
  await sep.keyboard.type('NdPr supply');
  await sep.getByRole('checkbox', { name: 'dragon_magnets' }).check();
  await sep.getByRole('button', { name: 'Open the channel' }).click();
  await sep.waitForSelector('#chat .channel-list [data-channel^="ch:"][aria-pressed="true"]');
  const ch = await sep.locator('#chat .channel-list [data-channel^="ch:"]').getAttribute('data-channel');
  const chLabel = await text(sep.locator(`#chat .channel-list [data-channel="${ch}"]`));
  ok(/NdPr supply/.test(chLabel), `the separator opened ${ch} "${chLabel}" and is in it`);
  await mag.waitForSelector(`#chat .channel-list [data-channel="${ch}"]`, { timeout: 10000 });
  ok(true, 'the magnet maker sees the channel appear (channel.opened)');
  await sep.locator('#talk-text').fill('Offer coming on NdPr oxide');
  await sep.locator('#talk-text').press('Enter');
  await sep.waitForSelector(`#chat .messages[data-channel="${ch}"] >> text=Offer coming on NdPr oxide`);
  await mag.waitForSelector(`#chat .channel-list [data-channel="${ch}"] .unread`, { timeout: 10000 });
  ok(true, 'the message is marked new on the magnet maker’s channel list');
  await mag.locator(`#chat .channel-list [data-channel="${ch}"]`).click();
  await mag.waitForSelector(`#chat .messages[data-channel="${ch}"] >> text=Offer coming on NdPr oxide`);
  await mag.locator('#talk-text').fill('Send it, we need 100 t');
  await mag.getByRole('button', { name: 'Send', exact: true }).click();
  await sep.waitForSelector(`#chat .messages[data-channel="${ch}"] >> text=we need 100 t`);
  ok(true, 'the two exchange messages in it');
  await mag.waitForTimeout(300);
  await shot(mag, 'channel-phone', '#chat');
  // A reload reads the channel back from the server (chat.history), with
  // the keyboard: Tab to the channel's button, Enter.
  await mag.reload();
  await mag.waitForSelector(`#chat .channel-list [data-channel="${ch}"]`);
  await mag.locator(`#chat .channel-list [data-channel="all"]`).focus();
  for (let i = 0; i < 8 && await mag.evaluate(() => document.activeElement?.dataset?.channel) !== ch; i++) await mag.keyboard.press('Tab');
  await mag.keyboard.press('Enter');
  await mag.waitForSelector(`#chat .messages[data-channel="${ch}"] >> text=Offer coming on NdPr oxide`);
  await mag.waitForSelector(`#chat .messages[data-channel="${ch}"] >> text=we need 100 t`);
  ok(true, 'after a reload the magnet maker reads the channel back from chat.history, chosen with the keyboard');
  ok(await mm.locator(`#chat .channel-list [data-channel="${ch}"]`).count() === 0, 'a third seat does not list the channel');
  ok(await mm.locator('text=Offer coming on NdPr oxide').count() === 0 && await mm.locator('text=we need 100 t').count() === 0, 'nor see its messages');

  // 4. Ask control; the control view reads it in the seat's control channel.
  await sep.locator('#chat .channel-list [data-channel="control:dragon_separation"]').click();
  await sep.locator('#talk-text').fill('Will China license NdPr exports next turn?');
  await sep.locator('#talk-text').press('Enter');
  await sep.waitForSelector('#chat .messages[data-channel="control:dragon_separation"] >> text=Will China license');
  await ctl.getByTestId('control-link').click();
  await ctl.waitForSelector('#ctl-channels .channel-list [data-channel="control:dragon_separation"]');
  await ctl.locator('#ctl-channels [data-channel="control:dragon_separation"]').click();
  await ctl.waitForSelector('#ctl-channels .messages[data-channel="control:dragon_separation"] >> text=Will China license');
  ok(true, 'the separator asked control, and the control view shows the question');
  await ctl.locator('#ch-post').selectOption('control:dragon_separation');
  await ctl.locator('#ch-text').fill('Control: licences take two turns.');
  await ctl.getByRole('button', { name: 'Post' }).click();
  await sep.waitForSelector('#chat .messages[data-channel="control:dragon_separation"] >> text=licences take two turns');
  ok(true, 'and control’s answer reaches the separator’s "Ask control"');
  ok(await mm.locator('text=Will China license').count() === 0, 'the third seat sees none of it');

  // 5. A contract: proposed (a term out of range caught at its field), countered, accepted.
  await sep.getByTestId('propose').click();
  await sep.locator('#dp-to').selectOption('dragon_magnets');
  await sep.locator('#dp-side').selectOption('sell');
  await sep.locator('#dp-product').selectOption('ndpr_oxide');
  await sep.locator('#dp-quantity').fill('100');
  await sep.locator('#dp-price').fill('60');
  await sep.locator('#dp-turns').fill('500');
  await sep.locator('#dp-penalty').fill('10');
  await sep.getByRole('button', { name: 'Propose', exact: true }).click();
  const turnsHint = await text(sep.locator('#dp-turns-hint'));
  ok(/at most 400/.test(turnsHint) && await sep.evaluate(() => document.activeElement?.id) === 'dp-turns', `a term out of range is shown at its field: "${turnsHint}"`);
  await shot(sep, 'propose-phone', '#deals');
  await sep.locator('#dp-turns').fill('2');
  await sep.getByRole('button', { name: 'Propose', exact: true }).click();
  await sep.waitForSelector('#deals .negotiation[data-status="open"]');
  const neg = await sep.locator('#deals .negotiation').first().getAttribute('data-negotiation');
  ok(/sells NdPr oxide 100 t\/turn at \$60\/kg for 2 turns/i.test(await text(sep.locator(`#deals [data-negotiation="${neg}"] .neg-terms`))), `the separator proposed ${neg}`);
  const magNeg = mag.locator(`#deals [data-negotiation="${neg}"]`);
  await magNeg.waitFor({ timeout: 10000 });
  ok(/your move/i.test(await text(magNeg)), 'the magnet maker sees it as its move (contract.updated)');
  await magNeg.getByRole('button', { name: /^Counter/ }).click();
  ok(await mag.locator(`#dc${neg}-side`).inputValue() === 'buy', 'the counter-offer starts from the terms, as a buy');
  await mag.locator(`#dc${neg}-price`).fill('45');
  await mag.getByRole('button', { name: 'Send counter-offer' }).click();
  await mag.waitForSelector(`#deals [data-negotiation="${neg}"][data-status="countered"]`);
  const sepNeg = sep.locator(`#deals [data-negotiation="${neg}"][data-status="countered"]`);
  await sepNeg.waitFor({ timeout: 10000 });
  ok(/dragon_magnets buys NdPr oxide 100 t\/turn at \$45\/kg/.test(await text(sepNeg)), 'the separator sees the counter-offer');
  await sepNeg.locator('summary').click();
  await shot(sep, 'deal-countered-phone', `#deals [data-negotiation="${neg}"]`);
  await sepNeg.getByRole('button', { name: /^Accept/ }).click();
  await sep.waitForSelector(`#deals [data-negotiation="${neg}"][data-status="accepted"]`);
  await mag.waitForSelector(`#deals [data-negotiation="${neg}"][data-status="accepted"]`, { timeout: 10000 });
  ok(true, 'the separator accepted; both see it accepted');

  // 6. The turn resolves: the contract runs in both seats' contracts.
  await ctl.getByRole('button', { name: 'Advance now' }).click();
  for (const [p, who] of [[sep, 'separator'], [mag, 'magnet maker']]) {
    await p.waitForSelector(`#deals [data-negotiation="${neg}"] >> text=/In your contracts: running/`, { timeout: 20000 });
    ok(true, `${who}: the deal is a running contract after turn 1: "${await text(p.locator(`#deals [data-negotiation="${neg}"] p.small`))}"`);
  }
  const line = await text(sep.locator(`#deals [data-negotiation="${neg}"] p.small`));
  const delivered = Number((/running, ([\d,.]+) t delivered/.exec(line) || [])[1]?.replace(/,/g, ''));
  ok(delivered > 0, `with deliveries: ${delivered} t delivered on turn 1`);
  // A refusal of the server's, in place: the magnet maker, whose counter-offer
  // became contract NEG, proposes another with the same id.
  await mag.getByTestId('propose').click();
  await mag.locator('#dp-to').selectOption('dragon_separation');
  await mag.locator('#dp-id').fill(neg);
  await mag.locator('#dp-product').selectOption('ndpr_oxide');
  await mag.locator('#dp-quantity').fill('50');
  await mag.locator('#dp-price').fill('70');
  await mag.locator('#dp-turns').fill('3');
  await mag.getByRole('button', { name: 'Propose', exact: true }).click();
  await mag.waitForSelector('#deals .terms-form .error');
  const refusal = await text(mag.locator('#deals .terms-form .field-bad, #deals .terms-form > .error').first());
  console.log(`  server refusal: ${refusal}`);
  ok(await mag.locator('#deals .terms-form [data-field="id"].field-bad').count() === 1, `the server's refusal is shown at the contract's id: "${refusal}"`);
  await shot(mag, 'refused-phone', '#deals .terms-form');
  await mag.getByRole('button', { name: 'Cancel' }).click();
  await sep.setViewportSize({ width: 1280, height: 900 });
  await sep.waitForTimeout(300);
  await shot(sep, 'deals-desktop', '#deals');
  await sep.setViewportSize({ width: 375, height: 812 });
  await shot(sep, 'player-phone');

  ok(problems.length === 0, `no console errors or CSP reports${problems.length ? `:\n  ${problems.join('\n  ')}` : ''}`);
} finally {
  await browser.close();
}
