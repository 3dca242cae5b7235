import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DEFAULT_CACHE_TTL_MS, SecretClient, SecretError, type SecretClientOptions } from '../../src/client/index.js';
import { makeWorkspace, type Workspace } from '../support/cli.js';

// External writes go through the built CLI as a separate process, as a teammate's `set` would.
let ws: Workspace;

async function cliSet(key: string, value: string, type = 'string'): Promise<void> {
  const r = await ws.run(['set', '--stage', 'dev', key, '--type', type], { input: value });
  expect(r.code, r.stderr).toBe(0);
}

class FakeClock {
  ms = 1_000_000;
  readonly now = (): number => this.ms;
  advance(ms: number): void {
    this.ms += ms;
  }
}

function client(clock: FakeClock, extra: Partial<SecretClientOptions> = {}): SecretClient {
  return new SecretClient({ stage: 'dev', cwd: ws.dir, env: ws.env, now: clock.now, ...extra });
}

beforeAll(async () => {
  ws = makeWorkspace('shop');
  const init = await ws.run(['init', '--stage', 'dev', '--local']);
  expect(init.code, init.stderr).toBe(0);
  await cliSet('API_TOKEN', 'token-v1');
  await cliSet('RATE', '10', 'number');
});

afterAll(() => ws.cleanup());

describe('SecretClient cache', () => {
  it('is 5 minutes by default', () => {
    expect(DEFAULT_CACHE_TTL_MS).toBe(300_000);
    expect(new SecretClient({ stage: 'dev' }).cacheTtlMs).toBe(300_000);
  });

  it('serves the cached value after an external set until the TTL expires', async () => {
    const clock = new FakeClock();
    const c = client(clock);
    expect(await c.readSecret('API_TOKEN')).toBe('token-v1');
    await cliSet('API_TOKEN', 'token-v2');
    clock.advance(DEFAULT_CACHE_TTL_MS - 1);
    expect(await c.readSecret('API_TOKEN')).toBe('token-v1');
    clock.advance(1);
    expect(await c.readSecret('API_TOKEN')).toBe('token-v2');
  });

  it('useCache: false re-reads the file at once and refreshes the cache', async () => {
    const clock = new FakeClock();
    const c = client(clock);
    expect(await c.readSecret('RATE')).toBe(10);
    await cliSet('RATE', '20', 'number');
    expect(await c.readSecret('RATE')).toBe(10);
    expect(await c.readSecret('RATE', { useCache: false })).toBe(20);
    await cliSet('RATE', '30', 'number');
    expect(await c.readSecret('RATE')).toBe(20);
  });

  it('ages a value from when the file was read, so a later first read of another key is not fresher than its source', async () => {
    const clock = new FakeClock();
    const c = client(clock);
    await cliSet('COLOR', 'red');
    await cliSet('SHAPE', 'square');
    expect(await c.readSecret('COLOR')).toBe('red');
    await cliSet('SHAPE', 'circle');
    clock.advance(DEFAULT_CACHE_TTL_MS / 2);
    expect(await c.readSecret('SHAPE')).toBe('square'); // same open stage as COLOR's read
    clock.advance(DEFAULT_CACHE_TTL_MS / 2);
    expect(await c.readSecret('SHAPE')).toBe('circle');
  });

  it('honours a configured TTL, and 0 turns caching off', async () => {
    const clock = new FakeClock();
    const short = client(clock, { cacheTtlMs: 1_000 });
    const none = client(clock, { cacheTtlMs: 0 });
    await cliSet('MODE', 'a');
    expect(await short.readSecret('MODE')).toBe('a');
    expect(await none.readSecret('MODE')).toBe('a');
    await cliSet('MODE', 'b');
    expect(await none.readSecret('MODE')).toBe('b');
    expect(await short.readSecret('MODE')).toBe('a');
    clock.advance(1_000);
    expect(await short.readSecret('MODE')).toBe('b');
    expect(() => client(clock, { cacheTtlMs: -1 })).toThrow(SecretError);
  });

  it('is per instance: a second instance reads the new value while the first still holds the old', async () => {
    const clock = new FakeClock();
    const first = client(clock);
    await cliSet('REGION', 'eu-west-1');
    expect(await first.readSecret('REGION')).toBe('eu-west-1');
    await cliSet('REGION', 'us-east-2');
    const second = client(clock);
    expect(await second.readSecret('REGION')).toBe('us-east-2');
    expect(await first.readSecret('REGION')).toBe('eu-west-1');
  });

  it("an instance's own update is visible to it at once; others see it after their TTL", async () => {
    const clock = new FakeClock();
    const reader = client(clock);
    const writer = client(clock);
    await cliSet('LEVEL', 'info');
    expect(await reader.readSecret('LEVEL')).toBe('info');
    await writer.updateSecret({ key: 'LEVEL', value: 'debug' });
    expect(await writer.readSecret('LEVEL')).toBe('debug');
    expect(await reader.readSecret('LEVEL')).toBe('info');
    clock.advance(DEFAULT_CACHE_TTL_MS);
    expect(await reader.readSecret('LEVEL')).toBe('debug');
  });
});
