import { render } from 'preact';
import './style.css';
import { useRoute, href, ConnectionBadge } from './ui.jsx';
import { Play } from './play.jsx';
import { Admin } from './admin.jsx';
import { Debrief } from './debrief.jsx';

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

function App() {
  const { path, params } = useRoute();
  if (path.startsWith('/play')) return <Play params={params} key={params.session || ''} />;
  if (path.startsWith('/admin')) return <Admin params={params} key={params.session || ''} />;
  if (path.startsWith('/debrief')) return <Debrief params={params} key={params.session || ''} />;
  return <Home />;
}

render(<App />, document.getElementById('app'));
