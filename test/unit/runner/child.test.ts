import { PassThrough } from 'node:stream';
import { describe, expect, it } from 'vitest';
import { runChild } from '../../../src/runner/child.js';
import { SignalRelay } from '../../../src/runner/signals.js';

/** Runs `node -e script` through runChild with a counting mask source; returns output and call count. */
async function run(script: string): Promise<{ code: number; out: string; err: string; maskCalls: number }> {
  const stdout = new PassThrough();
  const stderr = new PassThrough();
  let out = '';
  let err = '';
  stdout.on('data', (b: Buffer) => (out += b.toString()));
  stderr.on('data', (b: Buffer) => (err += b.toString()));
  let maskCalls = 0;
  const relay = new SignalRelay();
  relay.start();
  try {
    const code = await runChild({
      command: process.execPath,
      args: ['-e', script],
      cwd: process.cwd(),
      env: process.env,
      mask: () => {
        maskCalls++;
        return ['hunter22'];
      },
      flushMs: 5,
      stdout,
      stderr,
      relay,
    });
    return { code, out, err, maskCalls };
  } finally {
    relay.stop();
  }
}

describe('runChild mask patterns', () => {
  it('are not worked out for a child that writes nothing', async () => {
    const r = await run('process.exitCode = 3');
    expect(r).toEqual({ code: 3, out: '', err: '', maskCalls: 0 });
  });

  it('are worked out once at the first output byte and shared by stdout and stderr', async () => {
    const r = await run('process.stdout.write("a hunter22 b\\n"); process.stderr.write("c hunter22\\n")');
    expect(r.code).toBe(0);
    expect(r.out).toBe('a *** b\n');
    expect(r.err).toBe('c ***\n');
    expect(r.maskCalls).toBe(1);
  });
});
