import { render } from 'preact';
import { useEffect, useState } from 'preact/hooks';
import { takeTokenFromAddress } from './api.js';
import { MatrixPage } from './matrix.js';
import { StagePage } from './stage.js';

function currentStage(): string | undefined {
  const m = /^#\/stage\/([^/]+)$/.exec(location.hash);
  return m ? decodeURIComponent(m[1]!) : undefined;
}

function App() {
  const [stage, setStage] = useState(currentStage());
  useEffect(() => {
    const onHash = () => setStage(currentStage());
    addEventListener('hashchange', onHash);
    return () => removeEventListener('hashchange', onHash);
  }, []);
  return (
    <>
      <header class="topbar">
        <a href="#/" class="brand">
          stage-secrets <span>console</span>
        </a>
        <span class="topbar-note">Local to this machine · values are never shown</span>
      </header>
      <div class="container">{stage ? <StagePage stage={stage} key={stage} /> : <MatrixPage />}</div>
    </>
  );
}

takeTokenFromAddress();
render(<App />, document.getElementById('app')!);
