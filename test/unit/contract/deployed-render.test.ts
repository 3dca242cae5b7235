import { describe, expect, it } from 'vitest';
import type { StatusReport } from '../../../src/contract/deployed.js';
import { renderStatus } from '../../../src/contract/deployed-render.js';

const report: StatusReport = {
  app: 'shop',
  stage: 'dev',
  functions: [
    { service: 'api', function: 'list', state: 'current', receives: ['A', 'B'] },
    { service: 'api', function: 'write', state: 'stale', note: 'deployed before the latest change', receives: ['A'] },
    { service: 'worker', function: 'job', state: 'not deployed', receives: [] },
    { service: 'x|y', function: '[click](http://e.vil)<img src=x>', state: 'unknown', receives: [] },
  ],
  unreadable: [],
  ok: false,
};

describe('renderStatus', () => {
  it('text: one row per function, the counts and what to do', () => {
    const out = renderStatus(report, 'text');
    expect(out).toContain('stage-secrets status: app shop, stage dev');
    expect(out).toMatch(/api\s+write\s+STALE\s+1\s+deployed before the latest change/);
    expect(out).toContain('stage dev: 1 current, 1 stale, 1 not deployed, 1 unknown. Redeploy the stale');
  });

  it('markdown: a table whose names cannot add columns, links or HTML', () => {
    const out = renderStatus(report, 'markdown');
    expect(out).toContain('| api | write | **stale** | 1 |');
    const row = out.split('\n').find((l) => l.includes('unknown'))!;
    expect(row.split(/(?<!\\)\|/).length).toBe(7);
    expect(row).not.toMatch(/(?<!\\)\[click/);
    expect(row).not.toMatch(/(?<!\\)</);
  });

  it('json: the report as data', () => {
    expect(JSON.parse(renderStatus(report, 'json'))).toEqual(report);
  });

  it('text: a name cannot start a line or hide a control character', () => {
    const out = renderStatus(
      { ...report, functions: [{ service: 'api', function: 'a\n::error::x\u202e', state: 'current', receives: [] }] },
      'text',
    );
    expect(out).toContain('a\\n::error::x\\u202e');
    expect(out.split('\n').some((line) => line.startsWith('::'))).toBe(false);
  });
});
