import { useEffect, useRef, useState } from 'preact/hooks';
import { keyNameProblem, normalizeValue, type SecretType } from '../src/console/api.js';
import { postJson, stageApiUrl, type WriteOutcome } from './api.js';
import { TYPE_LABEL } from './labels.js';

const TYPES: SecretType[] = ['string', 'number', 'json'];

/** The same check as set (core/values.ts), before anything leaves the page; its message never holds the value. */
function valueProblem(name: string, type: SecretType, value: string): string | undefined {
  try {
    normalizeValue(name || 'the secret', type, value);
    return undefined;
  } catch (err) {
    return (err as Error).message;
  }
}

function nameProblem(name: string, existing: string[]): string | undefined {
  if (name === '') return 'Give the secret a name.';
  const problem = keyNameProblem(name);
  if (problem) return problem;
  const other = existing.find((n) => n !== name && n.toLowerCase() === name.toLowerCase());
  return other
    ? `${name} differs from ${other} only in case: use the same spelling, or delete ${other} first.`
    : undefined;
}

const LINE_BREAK = /\r\n|\r|\n/g;

/** How the multi-line box describes what it holds, since it is masked: lines and characters, never the text. */
export function describeLines(value: string): string {
  const breaks = value.match(LINE_BREAK)?.length ?? 0;
  const endsWithBreak = /[\r\n]$/.test(value);
  const lines = breaks + (endsWithBreak ? 0 : 1);
  const size = `${value.length.toLocaleString('en-US')} character${value.length === 1 ? '' : 's'}`;
  return `${lines} line${lines === 1 ? '' : 's'}${endsWithBreak ? ' (ends with a line break)' : ''}, ${size}`;
}

interface Props {
  stage: string;
  /** replacing this secret's value; absent: adding a new one */
  replacing?: { name: string; type: SecretType };
  existing: string[];
  onSaved(outcome: WriteOutcome): void;
  onCancel?(): void;
}

/**
 * Add a secret, or replace one's value. The value sits in a password field (or, for several lines such as
 * a PEM, a masked text box: a password field turns line breaks into spaces) and in this component's memory
 * only until it is sent; it is cleared after a save and never comes back from the console. Pasting text
 * with line breaks into the password field moves it into the text box, whole.
 */
export function SecretForm(props: Props) {
  const id = props.replacing ? `replace-${props.replacing.name}` : 'add';
  const [name, setName] = useState(props.replacing?.name ?? '');
  const [type, setType] = useState<SecretType>(props.replacing?.type ?? 'string');
  const [value, setValue] = useState('');
  const [multiline, setMultiline] = useState(false);
  const [nameTouched, setNameTouched] = useState(false);
  const [valueError, setValueError] = useState<string | undefined>();
  const [serverError, setServerError] = useState<string | undefined>();
  const [busy, setBusy] = useState(false);
  const valueInput = useRef<HTMLInputElement & HTMLTextAreaElement>(null);
  const nameInput = useRef<HTMLInputElement>(null);
  const switchedByPaste = useRef(false);
  useEffect(() => {
    if (!switchedByPaste.current) return;
    switchedByPaste.current = false;
    const box = valueInput.current;
    box?.focus();
    box?.setSelectionRange(box.value.length, box.value.length);
  }, [multiline]);

  const changeValue = (next: string) => {
    setValue(next);
    if (valueError) setValueError(valueProblem(name, type, next));
  };
  // a password field would drop the line breaks of what is pasted: take the clipboard's text as it is
  const pasteIntoPasswordField = (event: ClipboardEvent) => {
    const text = event.clipboardData?.getData('text/plain') ?? '';
    if (!/[\r\n]/.test(text)) return;
    event.preventDefault();
    const field = event.target as HTMLInputElement;
    const start = field.selectionStart ?? value.length;
    const end = field.selectionEnd ?? value.length;
    changeValue(value.slice(0, start) + text + value.slice(end));
    switchedByPaste.current = true;
    setMultiline(true);
  };

  const badName = props.replacing ? undefined : nameProblem(name, props.existing);
  const showNameError = nameTouched && badName !== undefined;
  const replacesExisting = !props.replacing && props.existing.includes(name);

  const submit = async (event: Event) => {
    event.preventDefault();
    setServerError(undefined);
    if (badName) {
      setNameTouched(true);
      nameInput.current?.focus();
      return;
    }
    const problem = valueProblem(name, type, value);
    setValueError(problem);
    if (problem) {
      valueInput.current?.focus();
      return;
    }
    setBusy(true);
    try {
      const outcome = await postJson<WriteOutcome>(`${stageApiUrl(props.stage)}/set`, { name, type, value });
      setValue('');
      if (valueInput.current) valueInput.current.value = '';
      setMultiline(false);
      if (!props.replacing) {
        setName('');
        setNameTouched(false);
      }
      props.onSaved(outcome);
    } catch (err) {
      setServerError((err as Error).message);
    } finally {
      setBusy(false);
    }
  };

  return (
    <form
      class="secret-form"
      onSubmit={submit}
      noValidate
      aria-label={props.replacing ? `Replace ${name}` : 'Add a secret'}
    >
      {!props.replacing && (
        <div class="field">
          <label for={`${id}-name`}>Name</label>
          <input
            id={`${id}-name`}
            ref={nameInput}
            name="name"
            type="text"
            autocomplete="off"
            spellcheck={false}
            value={name}
            aria-invalid={showNameError}
            aria-describedby={`${id}-name-help`}
            onInput={(e) => {
              setName((e.target as HTMLInputElement).value);
              setNameTouched(true);
            }}
          />
          <p id={`${id}-name-help`} class={showNameError ? 'help error' : 'help'}>
            {showNameError
              ? badName
              : replacesExisting
                ? `Stage ${props.stage} has ${name}: saving replaces its value and keeps its approval.`
                : 'A letter, then letters, digits or _. Names are public: put nothing secret in them.'}
          </p>
        </div>
      )}
      <fieldset class="field">
        <legend>Format</legend>
        <div class="segmented">
          {TYPES.map((t) => (
            <label key={t} class={type === t ? 'chosen' : ''}>
              <input
                type="radio"
                name={`${id}-type`}
                value={t}
                checked={type === t}
                onChange={() => {
                  setType(t);
                  setValueError(undefined);
                }}
              />
              {TYPE_LABEL[t]}
            </label>
          ))}
        </div>
      </fieldset>
      <div class="field">
        <label for={`${id}-value`}>{props.replacing ? 'New value' : 'Value'}</label>
        {multiline ? (
          <textarea
            id={`${id}-value`}
            ref={valueInput}
            name="value"
            class="masked"
            rows={8}
            autocomplete="off"
            autocapitalize="off"
            spellcheck={false}
            value={value}
            aria-invalid={valueError !== undefined}
            aria-describedby={`${id}-value-help`}
            onInput={(e) => changeValue((e.target as HTMLTextAreaElement).value)}
          />
        ) : (
          <input
            id={`${id}-value`}
            ref={valueInput}
            name="value"
            type="password"
            autocomplete="off"
            spellcheck={false}
            value={value}
            aria-invalid={valueError !== undefined}
            aria-describedby={`${id}-value-help`}
            onInput={(e) => changeValue((e.target as HTMLInputElement).value)}
            onPaste={pasteIntoPasswordField}
          />
        )}
        <label class="check">
          <input
            type="checkbox"
            name={`${id}-multiline`}
            checked={multiline}
            onChange={(e) => setMultiline((e.target as HTMLInputElement).checked)}
          />
          Multi-line value
        </label>
        <p id={`${id}-value-help`} class={valueError ? 'help error' : 'help'}>
          {valueError ??
            (multiline && value !== ''
              ? `${describeLines(value)}, kept as is. Sealed to the stage key when saved; nobody can read it back here.`
              : 'Sealed to the stage key when saved; nobody can read it back here, not even you. For a key file or ' +
                'certificate (several lines), tick Multi-line value or paste it.')}
        </p>
      </div>
      {serverError && (
        <p class="help error" role="alert">
          {serverError}
        </p>
      )}
      <div class="actions">
        <button type="submit" class="primary" disabled={busy}>
          {props.replacing ? 'Save new value' : 'Add secret'}
        </button>
        {props.onCancel && (
          <button type="button" class="secondary" onClick={props.onCancel}>
            Cancel
          </button>
        )}
      </div>
    </form>
  );
}
