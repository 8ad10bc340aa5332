// node --test tests/unit/ : the RPC client against a fake server (the `ws` package).
import test from 'node:test';
import assert from 'node:assert/strict';
import { WebSocketServer, WebSocket } from 'ws';
import { encode, decode } from '@msgpack/msgpack';
import { Rpc, RpcError } from '../../src/rpc.js';

globalThis.WebSocket = WebSocket;

function fakeServer(handler) {
  const wss = new WebSocketServer({ port: 0, host: '127.0.0.1' });
  const conns = [];
  wss.on('connection', (ws) => {
    conns.push(ws);
    ws.on('message', (d) => {
      const [, id, method, params] = decode(d);
      handler(ws, id, method, params[0], conns.length);
    });
  });
  return new Promise((r) => wss.on('listening', () => r({ wss, conns, url: `ws://127.0.0.1:${wss.address().port}/ws` })));
}
const reply = (ws, id, error, result) => ws.send(encode([1, id, error, result]));

test('requests, responses out of the way of notifications, errors with field', async () => {
  const { wss, url } = await fakeServer((ws, id, method, p) => {
    if (method === 'ping') { ws.send(encode([2, 'chat.message', [{ session: 's', text: 'hi' }]])); reply(ws, id, null, {}); }
    else if (method === 'orders.submit') reply(ws, id, { code: 'bad_request', message: "field 'orders' is required", field: 'orders' }, null);
    else reply(ws, id, null, { echo: p });
  });
  const rpc = new Rpc(url);
  const seen = [];
  rpc.on('chat.message', (p) => seen.push(p.text));
  assert.deepEqual(await rpc.call('ping'), {});
  assert.deepEqual(seen, ['hi']);
  assert.deepEqual(await rpc.call('x', { a: 1 }), { echo: { a: 1 } });
  await assert.rejects(rpc.call('orders.submit', {}), (e) => e instanceof RpcError && e.code === 'bad_request' && e.field === 'orders' && /required/.test(e.message));
  rpc.close(); wss.close();
});

test('pipelined requests are matched by msgid even when answered out of order', async () => {
  const held = [];
  const { wss, url } = await fakeServer((ws, id, method) => {
    held.push([ws, id, method]);
    if (held.length === 3) for (const [w, i, m] of held.reverse()) reply(w, i, null, m);
  });
  const rpc = new Rpc(url);
  const r = await Promise.all([rpc.call('a'), rpc.call('b'), rpc.call('c')]);
  assert.deepEqual(r, ['a', 'b', 'c']);
  rpc.close(); wss.close();
});

test('a dropped connection fails what was in flight, reconnects and runs the open hooks again', async () => {
  const { wss, conns, url } = await fakeServer((ws, id, method, p, n) => {
    if (method === 'slow' && n === 1) { ws.terminate(); return; }
    reply(ws, id, null, { method, n, p });
  });
  const rpc = new Rpc(url, { maxDelayMs: 200 });
  const joins = [];
  rpc.onOpen(async (r) => { joins.push((await r.call('session.join', { token: 't' })).n); });
  await rpc.call('ping');
  await assert.rejects(rpc.call('slow'), (e) => e.code === 'unavailable');
  const again = await rpc.call('ping'); // queued until the reconnection, after the hooks
  assert.equal(again.n, 2);
  assert.deepEqual(joins, [1, 2]);
  assert.equal(conns.length, 2);
  rpc.close(); wss.close();
});

test('session.list is read page by page, and an older server\'s array is the whole list', async () => {
  const { listSessions, findSession } = await import('../../src/rpc.js');
  const rows = Array.from({ length: 5 }, (_, i) => ({ session: `s${i}` }));
  const calls = [];
  const paged = async (m, p) => {
    calls.push(p);
    const start = p.after ? rows.findIndex((x) => x.session === p.after) + 1 : 0;
    const page = rows.slice(start, start + 2);
    return { sessions: page, next: start + 2 < rows.length ? page[page.length - 1].session : null };
  };
  const all = await listSessions(paged, { limit: 2 });
  assert.deepEqual(all.map((x) => x.session), ['s0', 's1', 's2', 's3', 's4']);
  assert.deepEqual(calls, [{ limit: 2 }, { limit: 2, after: 's1' }, { limit: 2, after: 's3' }]);
  calls.length = 0;
  assert.equal((await findSession(paged, 's2')).session, 's2');
  assert.equal(calls.length, 2, 'stops at the page that holds it');
  assert.equal(await findSession(paged, 'nope'), null);
  const old = await listSessions(async () => rows);
  assert.equal(old.length, 5);
  let n = 0;
  await listSessions(async () => ({ sessions: [{ session: `x${n}` }], next: `x${n++}` }), { maxPages: 3 });
  assert.equal(n, 3, 'a server that always answers a next cannot hold the page');
});
