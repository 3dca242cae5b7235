import { Fragment } from 'preact';
import { useEffect, useRef, useState } from 'preact/hooks';
import {
  getJson,
  postJson,
  type StageSecret,
  type StagePage as StageData,
  stageApiUrl,
  type WriteOutcome,
} from './api.js';
import { needsApproval, shortDate, STATE_LABEL, STATE_TONE, TYPE_LABEL } from './labels.js';
import { Badge, Banner, OutcomePanel } from './parts.js';
import { SecretForm } from './secret-form.js';

function DeleteDialog(props: {
  stage: string;
  secret: StageSecret;
  needsKnown: boolean;
  onCancel(): void;
  onDeleted(outcome: WriteOutcome): void;
}) {
  const ref = useRef<HTMLDialogElement>(null);
  const [error, setError] = useState<string | undefined>();
  const [busy, setBusy] = useState(false);
  const { name } = props.secret;
  useEffect(() => {
    ref.current?.showModal();
  }, []);
  const confirm = async () => {
    setBusy(true);
    try {
      props.onDeleted(await postJson<WriteOutcome>(`${stageApiUrl(props.stage)}/remove`, { name }));
    } catch (err) {
      setError((err as Error).message);
      setBusy(false);
    }
  };
  const needs = props.secret.neededBy ?? [];
  return (
    <dialog ref={ref} class="confirm" aria-labelledby="delete-title" onCancel={props.onCancel}>
      <h2 id="delete-title">
        Delete {name} from stage {props.stage}?
      </h2>
      <p>Functions that rely on {name} fail on their next invocation after the stage is deployed without it.</p>
      {!props.needsKnown ? (
        <p class="note">
          Which functions and files need {name} is not known here (the contract check is not available): search the
          app's code for it before deleting.
        </p>
      ) : needs.length === 0 ? (
        <p class="note">No function or file of the app is known to need {name}.</p>
      ) : (
        <>
          <p class="note">Still needed by:</p>
          <ul class="files">
            {needs.map((n) => (
              <li key={`${n.who} ${n.where ?? ''}`}>
                {n.who}
                {n.where && (
                  <>
                    {' '}
                    (<code>{n.where}</code>)
                  </>
                )}
              </li>
            ))}
          </ul>
        </>
      )}
      {error && (
        <p class="help error" role="alert">
          {error}
        </p>
      )}
      <div class="actions">
        <button type="button" class="secondary" onClick={props.onCancel} autofocus>
          Cancel
        </button>
        <button type="button" class="danger" onClick={confirm} disabled={busy}>
          Delete {name}
        </button>
      </div>
    </dialog>
  );
}

export function StagePage(props: { stage: string }) {
  const { stage } = props;
  const [data, setData] = useState<StageData | undefined>();
  const [error, setError] = useState<string | undefined>();
  const [outcome, setOutcome] = useState<WriteOutcome | undefined>();
  const [replacing, setReplacing] = useState<string | undefined>();
  const [deleting, setDeleting] = useState<StageSecret | undefined>();
  const load = () =>
    getJson<StageData>(stageApiUrl(stage)).then(
      (d) => {
        setData(d);
        setError(undefined);
      },
      (err: Error) => setError(err.message),
    );
  useEffect(() => {
    setOutcome(undefined);
    load();
  }, [stage]);
  useEffect(() => {
    if (outcome) document.getElementById('outcome')?.focus();
  }, [outcome]);

  const saved = (o: WriteOutcome) => {
    setOutcome(o);
    setReplacing(undefined);
    setDeleting(undefined);
    load();
  };
  const approveNames = async (names: string[]) => {
    try {
      saved(await postJson<WriteOutcome>(`${stageApiUrl(stage)}/approve`, { names }));
    } catch (err) {
      setError((err as Error).message);
    }
  };
  const pending = data?.secrets.filter((s) => needsApproval(s.approval)).map((s) => s.name) ?? [];
  const key = data?.checkedWith;

  return (
    <main id="main" tabIndex={-1}>
      <nav class="crumbs" aria-label="Breadcrumb">
        <a href="#/">App secrets</a> <span aria-hidden="true">›</span> <span>{stage}</span>
      </nav>
      <div class="page-head">
        <h1>Stage {stage}</h1>
        <button type="button" class="secondary" onClick={load}>
          Reload
        </button>
      </div>
      {error && <Banner tone="bad">{error}</Banner>}
      {outcome && <OutcomePanel outcome={outcome} />}
      {data && (
        <>
          {data.problem && <Banner tone="bad">{data.problem}</Banner>}
          <section class="card" aria-labelledby="secrets-title">
            <div class="card-head">
              <h2 id="secrets-title">Secrets</h2>
              {key && pending.length > 0 && (
                <button type="button" class="primary" onClick={() => approveNames(pending)}>
                  Approve all pending ({pending.length})
                </button>
              )}
            </div>
            <p class="muted key-status" id="key-status">
              {key ? (
                <>
                  A key of stage {stage} is here: <code>{key}</code>. Approvals are made with it.
                </>
              ) : (
                <>
                  No key of stage {stage} here: names added stay pending until a key holder approves them (
                  <code>npx --no-install stage-secrets approve --stage {stage}</code>).
                </>
              )}
            </p>
            {data.secrets.length === 0 ? (
              <p>No secrets in this stage yet.</p>
            ) : (
              <div class="table-wrap">
                <table class="secrets">
                  <thead>
                    <tr>
                      <th scope="col">Name</th>
                      <th scope="col">Format</th>
                      <th scope="col">Updated (UTC)</th>
                      <th scope="col">Approval</th>
                      <th scope="col">Expires · owner</th>
                      <th scope="col">
                        <span class="visually-hidden">Actions</span>
                      </th>
                    </tr>
                  </thead>
                  <tbody>
                    {data.secrets.map((s) => (
                      <Fragment key={s.name}>
                        <tr data-name={s.name}>
                          <th scope="row">
                            <code>{s.name}</code>
                          </th>
                          <td>{TYPE_LABEL[s.type]}</td>
                          <td>
                            <time dateTime={s.updated}>{shortDate(s.updated)}</time>
                          </td>
                          <td>
                            <Badge tone={STATE_TONE[s.approval]}>{STATE_LABEL[s.approval]}</Badge>
                          </td>
                          <td class="muted">{[s.expires, s.owner].filter(Boolean).join(' · ') || '—'}</td>
                          <td class="row-actions">
                            {key && needsApproval(s.approval) && (
                              <button
                                type="button"
                                class="primary small"
                                aria-label={`Approve ${s.name}`}
                                onClick={() => approveNames([s.name])}
                              >
                                Approve
                              </button>
                            )}
                            <button
                              type="button"
                              class="secondary small"
                              aria-label={`Replace the value of ${s.name}`}
                              aria-expanded={replacing === s.name}
                              onClick={() => setReplacing(replacing === s.name ? undefined : s.name)}
                            >
                              Replace value
                            </button>
                            <button
                              type="button"
                              class="danger-quiet small"
                              aria-label={`Delete ${s.name}`}
                              onClick={() => setDeleting(s)}
                            >
                              Delete
                            </button>
                          </td>
                        </tr>
                        {replacing === s.name && (
                          <tr class="expanded">
                            <td colSpan={6}>
                              <SecretForm
                                stage={stage}
                                replacing={{ name: s.name, type: s.type }}
                                existing={data.secrets.map((x) => x.name)}
                                onSaved={saved}
                                onCancel={() => setReplacing(undefined)}
                              />
                            </td>
                          </tr>
                        )}
                      </Fragment>
                    ))}
                  </tbody>
                </table>
              </div>
            )}
          </section>
          <section class="card" aria-labelledby="add-title">
            <h2 id="add-title">Add a secret</h2>
            <SecretForm stage={stage} existing={data.secrets.map((s) => s.name)} onSaved={saved} />
          </section>
          {deleting && (
            <DeleteDialog
              stage={stage}
              secret={deleting}
              needsKnown={data.needsKnown}
              onCancel={() => setDeleting(undefined)}
              onDeleted={saved}
            />
          )}
        </>
      )}
    </main>
  );
}
