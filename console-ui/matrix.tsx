import { useEffect, useState } from 'preact/hooks';
import { type AppMatrix, getJson } from './api.js';
import { Banner, Badge } from './parts.js';
import { STATE_LABEL, STATE_SHORT, STATE_TONE } from './labels.js';

export function MatrixPage() {
  const [matrix, setMatrix] = useState<AppMatrix | undefined>();
  const [error, setError] = useState<string | undefined>();
  const load = () => {
    setError(undefined);
    getJson<AppMatrix>('/api/app').then(setMatrix, (err: Error) => setError(err.message));
  };
  useEffect(load, []);
  return (
    <main id="main" tabIndex={-1}>
      <div class="page-head">
        <h1>App secrets</h1>
        <button type="button" class="secondary" onClick={load}>
          Reload
        </button>
      </div>
      {error && <Banner tone="bad">{error}</Banner>}
      {matrix && (
        <section class="card" aria-labelledby="matrix-title">
          <h2 id="matrix-title">Names × stages</h2>
          <p class="muted">
            Secrets folder <code>{matrix.secretsDir}</code>. A pending name makes the build refuse its stage until a key
            holder approves it.
          </p>
          {matrix.stages.length === 0 ? (
            <p>No stage yet.</p>
          ) : (
            <div class="table-wrap">
              <table class="matrix">
                <thead>
                  <tr>
                    <th scope="col">Name</th>
                    {matrix.stages.map((s) => (
                      <th scope="col" key={s.stage}>
                        <a href={`#/stage/${encodeURIComponent(s.stage)}`}>{s.stage}</a>
                      </th>
                    ))}
                  </tr>
                </thead>
                <tbody>
                  {matrix.rows.length === 0 && (
                    <tr>
                      <td colSpan={matrix.stages.length + 1} class="muted">
                        No secrets yet: open a stage to add one.
                      </td>
                    </tr>
                  )}
                  {matrix.rows.map((row) => (
                    <tr key={row.name}>
                      <th scope="row">
                        <code>{row.name}</code>
                        {row.neededBy && row.neededBy.length > 0 && Object.values(row.cells).includes('missing') && (
                          <div class="muted needed-by">
                            needed by {row.neededBy.map((n) => (n.where ? `${n.who} (${n.where})` : n.who)).join('; ')}
                          </div>
                        )}
                      </th>
                      {matrix.stages.map((s) => {
                        const state = row.cells[s.stage] ?? 'missing';
                        return (
                          <td key={s.stage} data-stage={s.stage} data-state={state}>
                            <Badge tone={STATE_TONE[state]} title={STATE_LABEL[state]}>
                              {STATE_SHORT[state]}
                            </Badge>
                          </td>
                        );
                      })}
                    </tr>
                  ))}
                </tbody>
              </table>
            </div>
          )}
          <ul class="legend" aria-label="Legend">
            {(['approved', 'unverified', 'pending', 'invalid', 'missing'] as const).map((state) => (
              <li key={state}>
                <Badge tone={STATE_TONE[state]}>{STATE_SHORT[state]}</Badge> {STATE_LABEL[state]}
              </li>
            ))}
          </ul>
          {matrix.stages
            .filter((s) => s.problem)
            .map((s) => (
              <Banner tone="bad" key={s.stage}>
                Stage {s.stage}: {s.problem}
              </Banner>
            ))}
        </section>
      )}
    </main>
  );
}
