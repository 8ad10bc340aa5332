import { render } from 'preact';
import { useState } from 'preact/hooks';
import { rpc } from './rpc.js';
import './style.css';
import { useRoute, href, ConnectionBadge, useNotify } from './ui.jsx';
import { Play } from './play.jsx';
import { Admin } from './admin.jsx';
import { Debrief } from './debrief.jsx';
import { Control } from './control.jsx';

function Home() {
  return (
    <main class="narrow">
      <header class="topbar"><div class="who"><strong>Lanthanide</strong> <span class="muted">the rare-earth supply-chain game</span></div><ConnectionBadge /></header>
      <section class="card">
        <h1>Welcome</h1>
        <ul class="big-links">
          <li><a href={href('/play')}>Join a game</a> <span class="muted">with the session and join code from your facilitator</span></li>
          <li><a href={href('/admin')}>Run a session</a> <span class="muted">facilitator dashboard</span></li>
        </ul>
      </section>
    </main>
  );
}

// Problems the server reports without a request to answer ("error" notifications).
function ServerErrors() {
  const [errs, setErrs] = useState([]);
  useNotify('error', (p) => setErrs((e) => [...e.slice(-2), p]), []);
  if (!errs.length) return null;
  return (
    <div class="banner error-banner" role="alert">
      {errs.map((e) => <div>The server says: {e.message} ({e.code})</div>)}
      <button type="button" class="link" onClick={() => setErrs([])}>dismiss</button>
    </div>
  );
}

function App() {
  rpc();
  const { path, params } = useRoute();
  return <><ServerErrors /><Page path={path} params={params} /></>;
}

function Page({ path, params }) {
  if (path.startsWith('/play')) return <Play params={params} key={params.session || ''} />;
  if (path.startsWith('/admin')) return <Admin params={params} key={params.session || ''} />;
  if (path.startsWith('/control')) return <Control params={params} key={params.session || ''} />;
  if (path.startsWith('/debrief')) return <Debrief params={params} key={params.session || ''} />;
  return <Home />;
}

render(<App />, document.getElementById('app'));
