import type { ComponentChildren } from 'preact';
import type { WriteOutcome } from './api.js';

export function Banner(props: { tone: 'ok' | 'warn' | 'bad' | 'info'; children: ComponentChildren }) {
  return (
    <div class={`banner ${props.tone}`} role={props.tone === 'bad' ? 'alert' : 'status'}>
      {props.children}
    </div>
  );
}

export function Badge(props: { tone: string; title?: string; children: ComponentChildren }) {
  return (
    <span class={`badge ${props.tone}`} title={props.title}>
      {props.children}
    </span>
  );
}

/** What a change did and how to commit it: the console never commits by itself. */
export function OutcomePanel(props: { outcome: WriteOutcome }) {
  const { message, notes, changes } = props.outcome;
  return (
    <section class="card outcome" aria-labelledby="outcome-title" tabIndex={-1} id="outcome">
      <h2 id="outcome-title">Saved: {message}</h2>
      {notes.map((note) => (
        <p class="note" key={note}>
          {note}
        </p>
      ))}
      {changes.files.length > 0 ? (
        <>
          <p>Files changed (not committed):</p>
          <ul class="files">
            {changes.files.map((f) => (
              <li key={f}>
                <code>{f}</code>
              </li>
            ))}
          </ul>
          {changes.untracked.length > 0 && (
            <>
              <p>Not in git yet, and a clone needs them too (committed along):</p>
              <ul class="files untracked">
                {changes.untracked.map((f) => (
                  <li key={f}>
                    <code>{f}</code>
                  </li>
                ))}
              </ul>
            </>
          )}
          {changes.inGit ? (
            changes.git.length > 0 ? (
              <>
                <p>Commit them when you are ready:</p>
                <pre class="commands">{changes.git.join('\n')}</pre>
              </>
            ) : (
              <p class="muted">Nothing to commit: git never had these files.</p>
            )
          ) : (
            <p class="muted">This folder is not in a git repository: keep these files with the app's code.</p>
          )}
        </>
      ) : (
        <p class="muted">No file changed.</p>
      )}
    </section>
  );
}
