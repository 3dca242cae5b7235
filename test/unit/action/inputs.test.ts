import { describe, expect, it } from 'vitest';
import { actionInput, readActionInputs } from '../../../src/action/inputs.js';

const inputs = (given: Record<string, string>): NodeJS.ProcessEnv =>
  Object.fromEntries(Object.entries(given).map(([k, v]) => [`INPUT_${k.toUpperCase()}`, v]));

describe('readActionInputs', () => {
  it('reads the inputs as the runner passes them, with action.yml defaults for what is empty', () => {
    expect(readActionInputs(inputs({ stage: ' prod ' }))).toEqual({
      stage: 'prod',
      fallbacks: [],
      dir: undefined,
      export: { kind: 'env' },
      mask: true,
      check: false,
      review: false,
      reviewBase: undefined,
      status: false,
    });
    expect(readActionInputs(inputs({ stage: 'prod', status: 'true' })).status).toBe(true);
    expect(() => readActionInputs(inputs({ stage: 'prod', status: 'yes' }))).toThrow(
      'input status must be true or false',
    );
    const all = readActionInputs(
      inputs({
        stage: 'pr-7',
        fallback: 'pr-*=dev\n\n  feat-*=qa  \n',
        dir: 'config/secrets',
        export: 'none',
        mask: 'FALSE',
      }),
    );
    expect(all.fallbacks).toEqual([
      { pattern: 'pr-*', stage: 'dev' },
      { pattern: 'feat-*', stage: 'qa' },
    ]);
    expect(all.dir).toBe('config/secrets');
    expect(all.export).toEqual({ kind: 'none' });
    expect(all.mask).toBe(false);
  });

  it('export files:DIR keeps the folder as given', () => {
    expect(readActionInputs(inputs({ stage: 's', export: 'files: /tmp/x y' })).export).toEqual({
      kind: 'files',
      dir: '/tmp/x y',
    });
  });

  it('refuses what it cannot read, as a usage error naming the input', () => {
    const refused: Array<[Record<string, string>, RegExp]> = [
      [{}, /input stage is required/],
      [{ stage: 'a/b' }, /invalid stage name/],
      [{ stage: 's', export: 'github-env' }, /input export must be env, files:DIR or none/],
      [{ stage: 's', mask: 'yes' }, /input mask must be true or false/],
      [{ stage: 's', fallback: 'nope' }, /input fallback/],
    ];
    for (const [given, message] of refused) {
      expect(() => readActionInputs(inputs(given)), JSON.stringify(given)).toThrow(message);
      try {
        readActionInputs(inputs(given));
      } catch (err) {
        expect((err as { code: string }).code).toMatch(/^USAGE$/);
      }
    }
  });

  it('names an input variable as the runner does: spaces as _, dashes kept', () => {
    expect(actionInput({ 'INPUT_STAGE-FILE': ' x ' }, 'stage-file')).toBe('x');
    expect(actionInput({ INPUT_MY_INPUT: 'y' }, 'my input')).toBe('y');
    expect(actionInput({}, 'absent')).toBe('');
  });
});
