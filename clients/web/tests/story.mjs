// Browser test of the story's moves (issue 11: the map's "choices", which
// the server offers each seat in you.choices) against a real server.
// `make test` runs it against the server's own --http port
// (tests/browser/run.sh story, ctest `browser_story`, label `browser`);
// by hand:
//
//   build/bin/lanthanide-server --listen 127.0.0.1:7500 --http 127.0.0.1:8088 --db /tmp/web.db &
//   (cd clients/web && node tests/story.mjs [--base http://127.0.0.1:8088/] [--screenshots DIR] [--headed])
//
// The facilitator creates a race-2028 game. The United States joins on a
// phone and finds the story's moves of its seat (the DoD-MP deal among
// them, with its sources); a firm's move is not offered to it. One click
// adds the deal's three orders to the list, not sent; sending them, the
// server accepts all three. MP Materials joins and is offered its own
// moves (10X), not the USA's. After a turn the United States sees the
// end-of-life magnets it collected (design J4). Screenshots (story-*.png) go to
// tests/screenshots/ (or --screenshots DIR); fails on any console error or
// CSP report.
import { chromium } from 'playwright-core';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { ok, pageWatcher, panelShooter, testArgs } from './kit.mjs';

const here = path.dirname(fileURLToPath(import.meta.url));
const { args, BASE, CHROMIUM, shots } = testArgs(here, /^story-.*\.png$/);

const problems = [];
const watch = pageWatcher(problems);
const shot = panelShooter(shots, 'story-');
const phone = { viewport: { width: 375, height: 812 }, isMobile: true, hasTouch: true };

const browser = await chromium.launch({ executablePath: CHROMIUM, headless: !args.includes('--headed'), args: ['--no-sandbox'] });
try {
  // 1. The facilitator's race-2028 game.
  const ctl = await (await browser.newContext({ viewport: { width: 1360, height: 900 } })).newPage();
  watch(ctl, 'control');
  await ctl.goto(`${BASE}#/admin`);
  await ctl.getByLabel('Map', { exact: true }).selectOption('race-2028');
  await ctl.getByLabel('Name (optional)').fill('The race to 2028');
  await ctl.getByRole('button', { name: 'Create session' }).click();
  await ctl.waitForSelector('.seat .code');
  const session = new URL(ctl.url().replace('#/', '')).searchParams.get('session');
  const code = async (seat) => (await ctl.locator(`.seat[data-seat="${seat}"] .code`).textContent()).trim();
  async function join(seat) {
    const p = await (await browser.newContext(phone)).newPage();
    watch(p, seat);
    await p.goto(`${BASE}#/play?session=${session}&code=${await code(seat)}`);
    await p.getByRole('button', { name: 'Join' }).click();
    await p.waitForSelector('text=Your situation');
    return p;
  }

  // 2. The USA's moves: the DoD-MP deal with its sources; not MP's 10X.
  const usa = await join('USA');
  const moves = usa.getByTestId('story-moves');
  await moves.waitFor();
  await moves.locator('summary').click();
  const list = (await moves.innerText()).replace(/\s+/g, ' ');
  ok(/dod mp deal/i.test(list) && /S16/.test(list), 'the USA is offered the DoD-MP deal, with its sources');
  ok(!/mp 10x/i.test(list), "a firm's move (MP's 10X) is not offered to the USA");
  await shot(usa, 'usa-moves', '[data-testid=story-moves]');

  // 3. One click adds its three orders, not sent; sending, all are accepted.
  await moves.getByRole('button', { name: 'Add the orders of dod mp deal' }).click();
  await usa.waitForSelector('[data-testid=unsent]');
  const unsent = (await usa.getByTestId('unsent').innerText()).replace(/\s+/g, ' ');
  ok(/^3 orders prepared but not sent/.test(unsent), `the deal's orders are in the list, not sent: "${unsent}"`);
  await usa.getByTestId('send').click();
  await usa.waitForFunction(() => !document.querySelector('[data-testid=unsent]'), null, { timeout: 10000 });
  const orders = (await usa.locator('#orders').innerText()).replace(/\s+/g, ' ');
  const accepted = (orders.match(/sent, accepted/gi) || []).length;
  ok(accepted === 3, `the server accepted the three orders${accepted === 3 ? '' : `: ${orders}`}`);
  ok(/Lend \$150,000,000 to mp_materials/.test(orders) && /Buy 15% of mp_materials/.test(orders), 'the loan and the stake read as sentences');
  await shot(usa, 'usa-sent', '#orders');

  // 4. MP Materials is offered its own moves.
  const mp = await join('mp_materials');
  const mpMoves = mp.getByTestId('story-moves');
  await mpMoves.waitFor();
  await mpMoves.locator('summary').click();
  const mpList = (await mpMoves.innerText()).replace(/\s+/g, ' ');
  ok(/mp 10x/i.test(mpList) && !/dod mp deal/i.test(mpList), "MP is offered 10X and not the USA's deal");

  // 5. A turn later the United States sees its collection of end-of-life
  // magnets (race-2028 collects 1%: design J4).
  await ctl.getByRole('button', { name: 'Start the game' }).click();
  await ctl.waitForFunction(() => document.querySelector('[data-testid=status]')?.textContent.startsWith('running'));
  await ctl.getByRole('button', { name: 'Advance now' }).click();
  await usa.getByTestId('collection').waitFor({ timeout: 20000 });
  const col = (await usa.getByTestId('collection').innerText()).replace(/\s+/g, ' ');
  const t = Number((/collected last turn: ([\d,.]+) t/.exec(col) || [])[1]?.replace(/,/g, ''));
  ok(t > 0, `the USA sees its collection after turn 1: "${col}"`);

  ok(problems.length === 0, `no console errors or CSP reports${problems.length ? `:\n  ${problems.join('\n  ')}` : ''}`);
} finally {
  await browser.close();
}
