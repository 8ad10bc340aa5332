// Browser test of reconnection. Two ways to run it:
//
//   node tests/reconnect.mjs --lanthanide-server build/bin/lanthanide-server --maps maps
//       starts the real server with --http on --port (a free one if not
//       given), kills it (SIGKILL, like a crash) and starts it again on the
//       same database and ports: what `make test` runs (tests/browser/run.sh)
//   node tests/reconnect.mjs [--server 127.0.0.1:7500] [--port 8089]
//       against a running TCP server, through the dev bridge, which it
//       kills and restarts
//
// A facilitator and a player are connected; the server (or the bridge)
// dies and comes back;
// both pages reconnect by themselves (the player rejoins with the seat token,
// the facilitator watches again with the admin token) and the next
// turn.resolved reaches the player without a reload.
import { chromium } from 'playwright-core';
import { spawn } from 'node:child_process';
import path from 'node:path';
import fs from 'node:fs';
import os from 'node:os';
import { fileURLToPath } from 'node:url';

const here = path.dirname(fileURLToPath(import.meta.url));
const args = process.argv.slice(2);
const opt = (n, d) => { const i = args.indexOf(n); return i >= 0 ? args[i + 1] : d; };
const SERVER = opt('--server', '127.0.0.1:7500');
const REAL = opt('--lanthanide-server', null);
let PORT = opt('--port', REAL ? '0' : '8089');
let TCP = '0';
const shots = path.resolve(opt('--screenshots', path.join(here, 'screenshots')));
fs.mkdirSync(shots, { recursive: true });
const db = REAL ? path.join(fs.mkdtempSync(path.join(os.tmpdir(), 'lan-reconnect-')), 'r.db') : null;

// The real server: its two banner lines give the ports it bound; a restart
// asks for the same ones.
function startReal() {
  const p = spawn(REAL, ['--listen', `127.0.0.1:${TCP}`, '--http', `127.0.0.1:${PORT}`, '--db', db, '--maps', opt('--maps', 'maps')],
    { stdio: ['ignore', 'pipe', fs.openSync(`${db}.stderr.log`, 'a')] });
  return new Promise((resolve, reject) => {
    let out = '';
    p.on('exit', (code) => reject(new Error(`lanthanide-server exited (${code}); see ${db}.stderr.log`)));
    p.stdout.on('data', (d) => {
      out += d;
      const tcp = /listening on 127\.0\.0\.1:(\d+)/.exec(out);
      const http = /http on 127\.0\.0\.1:(\d+)/.exec(out);
      if (tcp && http) { TCP = tcp[1]; PORT = http[1]; p.removeAllListeners('exit'); resolve(p); }
    });
  });
}
function startBridge() {
  if (REAL) return startReal();
  const p = spawn(process.execPath, [path.join(here, '..', 'dev', 'ws-bridge.mjs'), '--listen', `127.0.0.1:${PORT}`, '--server', SERVER], { stdio: ['ignore', 'pipe', 'inherit'] });
  return new Promise((resolve) => p.stdout.once('data', () => resolve(p)));
}
const ok = (c, w) => { if (!c) throw new Error(`FAILED: ${w}`); console.log(`ok - ${w}`); };

let bridge = await startBridge();
const BASE = `http://127.0.0.1:${PORT}/`;
const browser = await chromium.launch({ executablePath: opt('--chromium', '/usr/bin/chromium'), args: ['--no-sandbox'] });
try {
  const admin = await (await browser.newContext()).newPage();
  admin.on('dialog', (d) => d.accept());
  await admin.goto(`${BASE}#/admin`);
  await admin.getByLabel('Map').selectOption('classroom');
  await admin.getByLabel('Turns', { exact: true }).fill('2');
  await admin.getByLabel('Minutes per turn').fill('0');
  await admin.getByRole('button', { name: 'Create session' }).click();
  await admin.waitForSelector('.seat .code');
  const session = new URL(admin.url().replace('#/', '')).searchParams.get('session');
  const code = (await admin.locator('.seat[data-seat="euro_magnets"] .code').textContent()).trim();
  const player = await (await browser.newContext({ viewport: { width: 375, height: 812 } })).newPage();
  await player.goto(`${BASE}#/play?session=${session}&code=${code}`);
  await player.getByRole('button', { name: 'Join' }).click();
  await player.waitForSelector('text=Your situation');
  await admin.getByRole('button', { name: 'Agents take the empty seats' }).click();
  await admin.waitForFunction(() => document.querySelectorAll('.seat-agent').length === 8);
  await admin.getByRole('button', { name: 'Start the game' }).click();
  await player.waitForSelector('[data-testid=ready]');
  ok(true, `session ${session} running with one person`);

  bridge.kill('SIGKILL');
  await player.waitForSelector('.conn-closed', { timeout: 10000 });
  await admin.waitForSelector('.conn-closed', { timeout: 10000 });
  ok(true, `both pages show that the connection is lost (${REAL ? 'the server was killed' : 'the bridge was killed'})`);
  await player.screenshot({ path: path.join(shots, 'reconnect-offline.png') });
  bridge = await startBridge();
  await player.waitForSelector('.conn-open', { timeout: 20000 });
  await admin.waitForSelector('.conn-open', { timeout: 20000 });
  ok(true, 'both pages reconnected by themselves');
  await admin.getByRole('button', { name: 'Advance now' }).click();
  await player.waitForSelector('text=Turn 1 resolved', { timeout: 10000 });
  ok(true, 'the player (rejoined with its token) got turn.resolved');
  await admin.waitForSelector('text=turn 1 resolved', { timeout: 10000 });
  ok(true, 'the facilitator (watching again) got turn.resolved');
  console.log('all passed');
} catch (e) {
  console.error(e.message);
  process.exitCode = 1;
} finally {
  await browser.close();
  bridge.kill();
}
