import { useEffect, useRef, useState } from 'preact/hooks';
import { rpc } from './rpc.js';
import { ErrorText, store, useNotify } from './ui.jsx';

// Chat of one session: what this browser received (the server keeps no chat
// history a client can read back yet) plus a form to send.
export function Chat({ session, identity, me, seats, title = 'Chat', broadcast = false }) {
  const key = `chat.${session}.${me}`;
  const [msgs, setMsgs] = useState(store.get(key, []));
  const [to, setTo] = useState('all');
  const [text, setText] = useState('');
  const [error, setError] = useState(null);
  const list = useRef(null);
  useNotify('chat.message', (p) => {
    if (p.session !== session) return;
    setMsgs((m) => {
      const n = [...m, { from: p.from, to: p.to, text: p.text, at: Date.now() }].slice(-200);
      store.set(key, n);
      return n;
    });
  }, [session, key]);
  useEffect(() => { if (list.current) list.current.scrollTop = list.current.scrollHeight; }, [msgs.length]);
  async function send(e) {
    e.preventDefault();
    if (!text.trim()) return;
    setError(null);
    try {
      await rpc().call('chat.send', { session, ...identity, to, text });
      setText('');
    } catch (err) { setError(err); }
  }
  return (
    <section id="chat" class="card chat" aria-labelledby="h-chat">
      <h2 id="h-chat">{title}</h2>
      <ol class="messages" ref={list} aria-live="polite" aria-label="Messages">
        {msgs.length ? msgs.map((m) => (
          <li class={`msg ${m.from === me ? 'mine' : ''} ${m.from === 'admin' ? 'from-admin' : ''}`}>
            <span class="from">{m.from === 'admin' ? 'Facilitator' : m.from}{m.to !== 'all' ? ` → ${m.to}` : ''}</span> {m.text}
          </li>
        )) : <li class="muted">No messages yet.</li>}
      </ol>
      <form onSubmit={send} class="chat-form">
        <div class="field">
          <label for={`chat-to-${me}`}>To</label>
          <select id={`chat-to-${me}`} value={to} onChange={(e) => setTo(e.currentTarget.value)}>
            <option value="all">{broadcast ? 'Everyone (broadcast)' : 'Everyone'}</option>
            {seats.filter((s) => s !== me).map((s) => <option value={s}>{s} (private)</option>)}
          </select>
        </div>
        <div class="field grow">
          <label for={`chat-text-${me}`}>Message</label>
          <input id={`chat-text-${me}`} value={text} onInput={(e) => setText(e.currentTarget.value)} maxLength={2000} autocomplete="off" />
        </div>
        <button type="submit">Send</button>
      </form>
      <ErrorText error={error} />
    </section>
  );
}
