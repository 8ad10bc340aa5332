// A MessagePack-RPC client over WebSocket (PROTOCOL.md): one MessagePack
// value per binary message; requests [0, msgid, method, [params]], responses
// [1, msgid, error, result], notifications [2, method, [params]].
//
//   const rpc = new Rpc(url);
//   await rpc.call('maps.list');
//   rpc.on('turn.resolved', (p) => ...);
//   rpc.onOpen(async () => { await rpc.call('session.join', {session, token}); });
//
// Reconnection: when the socket drops, in-flight requests fail with code
// 'unavailable'; the client reconnects with a growing delay and runs every
// onOpen hook again (the app rejoins its seat with the seat's token, or
// watches again with the admin token, as PROTOCOL.md says: joining is
// idempotent and watches are not kept by the server). Requests made while
// disconnected wait for the connection (up to `queueMs`).
import { encode, decode } from '@msgpack/msgpack';

export class RpcError extends Error {
  constructor(err) {
    const e = err && typeof err === 'object' ? err : { code: 'internal', message: String(err) };
    super(e.message || e.code || 'error');
    this.name = 'RpcError';
    this.code = e.code || 'internal';
    if (e.field !== undefined) this.field = e.field;
  }
}

export function defaultUrl() {
  const q = new URLSearchParams(location.search);
  if (q.get('ws')) return q.get('ws');
  return `${location.protocol === 'https:' ? 'wss' : 'ws'}://${location.host}/ws`;
}

export class Rpc {
  constructor(url = defaultUrl(), { queueMs = 15000, maxDelayMs = 10000 } = {}) {
    this.url = url;
    this.queueMs = queueMs;
    this.maxDelayMs = maxDelayMs;
    this.nextId = 1;
    this.pending = new Map(); // msgid -> {resolve, reject, method}
    this.waiting = []; // requests made while not open
    this.listeners = new Map(); // method -> Set(fn)
    this.openHooks = new Set();
    this.stateListeners = new Set();
    this.state = 'connecting'; // connecting | open | closed
    this.attempt = 0;
    this.closedByUser = false;
    this.connect();
  }

  connect() {
    this.setState('connecting');
    let ws;
    try {
      ws = new WebSocket(this.url);
    } catch (e) {
      this.scheduleReconnect();
      return;
    }
    ws.binaryType = 'arraybuffer';
    this.ws = ws;
    ws.onopen = async () => {
      this.attempt = 0;
      // Hooks first (rejoin, watch), then whatever queued while offline.
      this.hooksRunning = true;
      for (const hook of this.openHooks) {
        try { await hook(this); } catch (e) { this.emit('rpc.hook_error', e); }
      }
      this.hooksRunning = false;
      this.setState('open');
      this.flushWaiting();
    };
    ws.onmessage = (ev) => this.receive(ev.data);
    ws.onclose = () => {
      if (this.ws !== ws) return;
      this.ws = null;
      for (const [, p] of this.pending) {
        p.reject(new RpcError({ code: 'unavailable', message: `the connection to the server was lost during ${p.method}; try again` }));
      }
      this.pending.clear();
      if (this.closedByUser) { this.setState('closed'); return; }
      this.scheduleReconnect();
    };
    ws.onerror = () => { /* onclose follows */ };
  }

  scheduleReconnect() {
    this.setState('closed');
    const delay = Math.min(this.maxDelayMs, 500 * 2 ** Math.min(this.attempt, 5)) * (0.75 + Math.random() * 0.5);
    this.attempt++;
    clearTimeout(this.timer);
    this.timer = setTimeout(() => this.connect(), delay);
  }

  close() {
    this.closedByUser = true;
    clearTimeout(this.timer);
    if (this.ws) this.ws.close();
  }

  setState(s) {
    if (this.state === s) return;
    this.state = s;
    for (const fn of this.stateListeners) fn(s);
  }

  onState(fn) { this.stateListeners.add(fn); return () => this.stateListeners.delete(fn); }
  onOpen(fn) {
    this.openHooks.add(fn);
    if (this.state === 'open') Promise.resolve().then(() => fn(this)).catch((e) => this.emit('rpc.hook_error', e));
    return () => this.openHooks.delete(fn);
  }
  on(method, fn) {
    if (!this.listeners.has(method)) this.listeners.set(method, new Set());
    this.listeners.get(method).add(fn);
    return () => this.listeners.get(method).delete(fn);
  }
  emit(method, params) {
    for (const key of [method, '*']) {
      const set = this.listeners.get(key);
      if (set) for (const fn of [...set]) {
        try { fn(params, method); } catch (e) { console.error(e); }
      }
    }
  }

  receive(data) {
    let msg;
    try {
      msg = decode(new Uint8Array(data));
    } catch (e) {
      this.emit('error', { code: 'bad_request', message: `undecodable message from the server: ${e.message}` });
      return;
    }
    if (!Array.isArray(msg)) return;
    if (msg[0] === 1) {
      const p = this.pending.get(msg[1]);
      if (!p) return;
      this.pending.delete(msg[1]);
      if (msg[2] !== null && msg[2] !== undefined) p.reject(new RpcError(msg[2]));
      else p.resolve(msg[3]);
    } else if (msg[0] === 2) {
      const params = Array.isArray(msg[2]) ? msg[2][0] || {} : msg[2] || {};
      this.emit(msg[1], params);
    }
  }

  // call(method, params): a promise of the result; rejects with an RpcError
  // whose code, message and field are the server's.
  call(method, params = {}) {
    return new Promise((resolve, reject) => {
      const req = { method, params, resolve, reject };
      if (this.ws && this.ws.readyState === WebSocket.OPEN && (this.state === 'open' || this.hooksRunning)) {
        this.send(req);
      } else {
        this.enqueue(req);
      }
    });
  }

  enqueue(req) {
    this.waiting.push(req);
    setTimeout(() => {
      const i = this.waiting.indexOf(req);
      if (i >= 0) {
        this.waiting.splice(i, 1);
        req.reject(new RpcError({ code: 'unavailable', message: `no connection to the server (${this.url}); ${req.method} was not sent` }));
      }
    }, this.queueMs);
  }

  send(req) {
    if (!this.ws || this.ws.readyState !== WebSocket.OPEN) { this.enqueue(req); return; }
    const id = this.nextId;
    this.nextId = (this.nextId % 0xffffffff) + 1;
    this.pending.set(id, req);
    try {
      this.ws.send(encode([0, id, req.method, [req.params]]));
    } catch (e) {
      this.pending.delete(id);
      req.reject(new RpcError({ code: 'bad_request', message: `cannot encode ${req.method}: ${e.message}` }));
    }
  }

  // Requests made while offline go out once the hooks (rejoin, watch) are done.
  flushWaiting() {
    const w = this.waiting;
    this.waiting = [];
    for (const req of w) this.send(req);
  }
}

let shared;
export function rpc() {
  if (!shared) {
    shared = new Rpc();
    // Say who we are first (optional in the protocol; it also checks the version).
    shared.onOpen(async (r) => { shared.server = await r.call('hello', { client: 'lanthanide-web', protocol: 1 }); });
  }
  return shared;
}

// session.list, page by page. A server that pages answers a request with
// `limit` (and `after`, the `next` of the previous page) with
// {sessions, next}, `next` nil on the last page; an older server ignores
// the two keys and answers the whole list as an array. `stop(page)` may end
// the walk early (say once a session is found). At most `maxPages` pages
// are read, so a server that keeps answering a `next` cannot hold the page.
export async function listSessions(call, { limit = 100, maxPages = 50, stop } = {}) {
  const all = [];
  let after;
  for (let i = 0; i < maxPages; i++) {
    const r = await call('session.list', { limit, ...(after !== undefined ? { after } : {}) });
    const page = Array.isArray(r) ? r : (r?.sessions || []);
    all.push(...page);
    if (Array.isArray(r) || r?.next == null || r.next === after || (stop && stop(page))) break;
    after = r.next;
  }
  return all;
}

// One session's entry of session.list, or null.
export async function findSession(call, session) {
  const all = await listSessions(call, { stop: (page) => page.some((x) => x.session === session) });
  return all.find((x) => x.session === session) || null;
}
