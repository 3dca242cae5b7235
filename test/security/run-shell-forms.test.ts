/**
 * A build prints values in the forms its tools quote them: `bash -x` traces, `printf %q`, `${V@Q}`,
 * Python's ascii() and repr(). Under `run`, a value with a quote, spaces, non-ASCII and a line break
 * must not show in any of them, in the C locale or a UTF-8 one.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { makeWorkspace, type Workspace } from '../support/cli.js';

const VALUES: Record<string, string> = {
  BOTH_QUOTES: 'zq\'Xylo phone "Grüße"\nQuark-Zebra 9',
  ONE_QUOTE: "it's a Walrus Ümlaut-Yak",
  SHELLISH: '~Narwhal $HOME `x` #1, ä*?\tOcelot',
};
// each value has words no quoting changes: if one shows, some form of the value went out in clear
const WORDS = /Xylo|Quark|Zebra|Walrus|mlaut|Yak|Narwhal|Ocelot/;

describe('run masks values as shells and Python quote them', () => {
  let ws: Workspace;
  beforeAll(async () => {
    ws = makeWorkspace('shell-app');
    const init = await ws.run(['init', '--stage', 'dev']);
    expect(init.code, init.stderr).toBe(0);
    for (const [name, value] of Object.entries(VALUES)) {
      const set = await ws.run(['set', '--stage', 'dev', name], { input: value });
      expect(set.code, set.stderr).toBe(0);
    }
  });
  afterAll(() => ws.cleanup());

  const names = Object.keys(VALUES);
  const expectMasked = (out: string, count: number) => {
    expect(out.split('\n').filter((l) => WORDS.test(l))).toEqual([]);
    expect(out.split('***').length - 1).toBeGreaterThanOrEqual(count);
  };

  for (const locale of ['C', 'C.UTF-8']) {
    it(`bash -x, printf %q and \${V@Q} in the ${locale} locale`, async () => {
      const script = names.map((n) => `true "$${n}"; printf '%q\\n' "$${n}"; echo "\${${n}@Q}"`).join('; ');
      const bash = ['bash', '--norc', '--noprofile', '-xc', script];
      const r = await ws.run(['run', '--stage', 'dev', '--', ...bash], { env: { LC_ALL: locale } });
      expect(r.code, r.stderr).toBe(0);
      expect(r.stderr).toContain('+ true ');
      expect(r.stdout).toContain("$'");
      expectMasked(r.stdout + r.stderr, 3 * 3);
    });
  }

  it("python3 -c 'print(ascii(...))' and repr", async () => {
    const script = [`import os`, `for n in ${JSON.stringify(names)}:`];
    script.push(`    print(ascii(os.environ[n]))`, `    print(repr(os.environ[n]))`);
    const python = ['python3', '-X', 'utf8', '-c', script.join('\n')];
    const utf8 = { env: { LC_ALL: 'C.UTF-8' } };
    const r = await ws.run(['run', '--stage', 'dev', '--', ...python], utf8);
    expect(r.code, r.stderr).toBe(0);
    expectMasked(r.stdout, 2 * 3);
    // the control: unmasked, the same script prints the words, escapes included
    const clear = await ws.run(['run', '--stage', 'dev', '--no-mask', '--', ...python], utf8);
    expect(clear.stdout).toMatch(WORDS);
    expect(clear.stdout).toContain('\\xdc'); // Ü as ascii() writes it
  });
});
