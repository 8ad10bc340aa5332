// Dev-only bridge: WebSocket (one MessagePack value per binary message) <->
// the Lanthanide TCP server (a stream of MessagePack values).
// It also serves dist/ over HTTP with the strict Content-Security-Policy the
// real server will send, so the built client can be tried as it will run.
//
//   node dev/ws-bridge.mjs [--listen 127.0.0.1:8088] [--server 127.0.0.1:7447] [--dist dist]
//
// (8088, not the server's future HTTP port 8080, so both can run side by side.)
//
// Not for production: the server will speak WebSocket itself on --http.
// Server to browser, each value is decoded and re-encoded (so 1.0 may arrive
// as the integer 1; a JavaScript client cannot tell); browser to server, the
// bytes are forwarded untouched once checked to hold exactly one value.
import http from 'node:http';
import net from 'node:net';
import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { WebSocketServer } from 'ws';
import { Decoder, decodeMulti, encode } from '@msgpack/msgpack';

const here = path.dirname(fileURLToPath(import.meta.url));
const args = process.argv.slice(2);
function opt(name, def) {
  const i = args.indexOf(name);
  return i >= 0 && args[i + 1] ? args[i + 1] : def;
}
const [lhost, lport] = opt('--listen', '127.0.0.1:8088').split(':');
const [shost, sport] = opt('--server', '127.0.0.1:7447').split(':');
const dist = path.resolve(opt('--dist', path.join(here, '..', 'dist')));
const MAX_MESSAGE = 1 << 20;

export const CSP = [
  "default-src 'self'",
  "script-src 'self'",
  "style-src 'self'",
  "img-src 'self' data: blob:",
  "connect-src 'self'",
  "object-src 'none'",
  "base-uri 'none'",
  "frame-ancestors 'none'",
  "form-action 'self'",
].join('; ');

const TYPES = {
  '.html': 'text/html; charset=utf-8', '.js': 'text/javascript; charset=utf-8',
  '.css': 'text/css; charset=utf-8', '.svg': 'image/svg+xml', '.png': 'image/png',
  '.ico': 'image/x-icon', '.json': 'application/json', '.webmanifest': 'application/manifest+json',
};

function serveStatic(req, res) {
  let p = decodeURIComponent(new URL(req.url, 'http://x').pathname);
  if (p === '/' || p === '') p = '/index.html';
  const file = path.resolve(dist, '.' + path.posix.normalize(p));
  if (!file.startsWith(dist + path.sep)) { res.writeHead(403); res.end(); return; }
  fs.readFile(file, (err, data) => {
    const headers = {
      'Content-Security-Policy': CSP,
      'X-Content-Type-Options': 'nosniff',
      'Referrer-Policy': 'no-referrer',
    };
    if (err) {
      res.writeHead(404, { ...headers, 'Content-Type': 'text/plain' });
      res.end(fs.existsSync(dist) ? 'not found\n' : 'run `npm run build` first\n');
      return;
    }
    headers['Content-Type'] = TYPES[path.extname(file)] || 'application/octet-stream';
    headers['Cache-Control'] = p.startsWith('/assets/') ? 'public, max-age=31536000, immutable' : 'no-cache';
    res.writeHead(200, headers);
    res.end(data);
  });
}

const server = http.createServer(serveStatic);
const wss = new WebSocketServer({ noServer: true, maxPayload: MAX_MESSAGE });

server.on('upgrade', (req, socket, head) => {
  if (new URL(req.url, 'http://x').pathname !== '/ws') { socket.destroy(); return; }
  wss.handleUpgrade(req, socket, head, (ws) => wss.emit('connection', ws, req));
});

wss.on('connection', (ws, req) => {
  const peer = req.socket.remoteAddress;
  const tcp = net.connect({ host: shost, port: Number(sport) });
  tcp.setNoDelay(true);
  const pending = []; // WebSocket messages that arrived before the TCP connect
  let connected = false;
  // A streaming decoder: TCP chunks in, whole MessagePack values out; each
  // value is re-encoded alone and sent as one binary WebSocket message.
  const decoder = new Decoder({ useBigInt64: true });
  let chunks = [];
  let wake = null;
  let ended = false;
  async function* stream() {
    for (;;) {
      while (chunks.length) yield chunks.shift();
      if (ended) return;
      await new Promise((r) => { wake = r; });
      wake = null;
    }
  }
  (async () => {
    try {
      for await (const value of decoder.decodeStream(stream())) {
        if (ws.readyState === ws.OPEN) ws.send(encode(value, { useBigInt64: true }), { binary: true });
      }
    } catch (e) {
      console.error(`bridge: ${peer}: undecodable bytes from the server: ${e.message}`);
      ws.close(1011, 'bad bytes from server');
      tcp.destroy();
    }
  })();
  tcp.on('data', (b) => { chunks.push(b); if (wake) wake(); });
  tcp.on('connect', () => {
    connected = true;
    for (const m of pending) tcp.write(m);
    pending.length = 0;
  });
  tcp.on('close', () => {
    ended = true; if (wake) wake();
    if (ws.readyState === ws.OPEN) ws.close(1011, 'server closed the connection');
  });
  tcp.on('error', (e) => console.error(`bridge: ${peer}: tcp: ${e.message}`));
  ws.on('message', (data, isBinary) => {
    if (!isBinary) { ws.close(1003, 'binary messages only (one MessagePack value each)'); return; }
    // One value per message, as the server's /ws will require; the bytes are
    // then forwarded as they are (MessagePack is self-delimiting on TCP).
    let count = 0;
    try {
      for (const _ of decodeMulti(data)) count++;
    } catch (e) {
      ws.close(1007, `not MessagePack: ${e.message}`.slice(0, 120));
      return;
    }
    if (count !== 1) { ws.close(1007, `one MessagePack value per message, got ${count}`); return; }
    if (connected) tcp.write(data); else pending.push(data);
  });
  ws.on('close', () => tcp.end());
  ws.on('error', () => tcp.destroy());
});

server.listen(Number(lport), lhost, () => {
  console.log(`bridge: http://${lhost}:${lport}/ (dist: ${dist}), ws://${lhost}:${lport}/ws -> tcp ${shost}:${sport}`);
});
