import { describe, expect, it } from 'vitest';
import { autoNames, declaredNames, selectedNames, selectionRule, serviceNeeds } from '../../../src/contract/needs.js';
import type { LocatedRead } from '../../../src/contract/service-code.js';
import { type ServiceModel, serviceModel as serviceModelOf } from '../../../src/contract/service-model.js';

const model: ServiceModel = {
  name: 'svc',
  dir: '/app/svc',
  configFile: '/app/svc/serverless.yml',
  functions: [
    { name: 'all', handler: 'h.main', environment: ['YAML_SET'] },
    { name: 'listed', handler: 'h.main', secrets: ['LISTED'], secretsLine: 12, environment: [] },
  ],
  required: [{ name: 'REQUIRED_ONE', line: 20 }],
  optional: [{ name: 'MAYBE', line: 21 }],
  variables: [{ name: 'IN_CONFIG', line: 5 }],
};
const read = (name: string, line: number): LocatedRead => ({ name, line, file: '/app/svc/h.js', how: 'process.env' });
const reads = [read('SECRET_A', 3), read('NODE_ENV', 4), read('YAML_SET', 5), read('MAYBE', 6), read('LISTED', 7)];
const shown = (f: string) => f.replace('/app/', '');

describe('serviceNeeds', () => {
  const known = new Set(['SECRET_A', 'YAML_SET', 'LISTED', ...declaredNames(model)]);
  const { needs, withheld } = serviceNeeds(
    model,
    { reads: { all: reads, listed: reads }, unreadable: [] },
    known,
    shown,
  );

  it('counts code reads only of names that are secrets somewhere or declared (NODE_ENV is nobody’s)', () => {
    expect(needs.map((n) => n.name)).not.toContain('NODE_ENV');
  });

  it('a read the yaml environment serves is no need; an optional name never fails', () => {
    const ofAll = needs.filter((n) => n.function === 'all');
    expect(ofAll.map((n) => `${n.name}:${n.kind}:${n.required}:${n.at.file}:${n.at.line}`)).toEqual([
      'SECRET_A:code:true:svc/h.js:3',
      'MAYBE:code:false:svc/h.js:6',
      'LISTED:code:true:svc/h.js:7',
    ]);
  });

  it('config needs carry the config line; a read the secrets list leaves out is withheld, not a need', () => {
    expect(
      needs
        .filter((n) => n.function === undefined || n.kind === 'secrets-list')
        .map((n) => `${n.name}:${n.kind}:${n.at.line}`),
    ).toEqual([
      'REQUIRED_ONE:required:20',
      'MAYBE:optional:21',
      'IN_CONFIG:config-variable:5',
      'LISTED:secrets-list:12',
    ]);
    expect(withheld.map((w) => `${w.function}:${w.name}:${w.at.line}`)).toEqual([
      'listed:SECRET_A:3',
      'listed:YAML_SET:5',
      'listed:MAYBE:6',
    ]);
  });
});

describe('autoNames', () => {
  it("the names the code reads plus the service's declared ones, that the stage has", () => {
    expect(autoNames(model, reads, new Set(['SECRET_A', 'MAYBE', 'REQUIRED_ONE', 'OTHER', 'NODE_ENV']))).toEqual([
      'MAYBE',
      'NODE_ENV',
      'REQUIRED_ONE',
      'SECRET_A',
    ]);
  });
});

describe('selectedNames (what status and check --functions say a function receives)', () => {
  const model = serviceModelOf(
    {
      service: 's',
      functions: { all: {}, listed: { secrets: ['B', 'A'] }, none: { secrets: [] }, auto: { secrets: 'auto' } },
    },
    '/app/s/serverless.yml',
    { lineOf: () => undefined, strings: [] },
  );
  const names = new Set(['A', 'B', 'C']);
  const fn = (n: string) => model.functions.find((f) => f.name === n)!;
  const auto = (n: string) => (n === 'auto' ? ['C'] : undefined);
  it('every stage name without a list; the list; nothing for an empty list; the code scan for auto', () => {
    expect(selectedNames(model, fn('all'), names, auto)).toEqual(['A', 'B', 'C']);
    expect(selectedNames(model, fn('listed'), names, auto)).toEqual(['A', 'B']);
    expect(selectedNames(model, fn('none'), names, auto)).toEqual([]);
    expect(selectedNames(model, fn('auto'), names, auto)).toEqual(['C']);
  });
  it("the service's list narrows functions without their own", () => {
    const narrowed = serviceModelOf(
      { service: 's', custom: { stageSecrets: { secrets: ['B'] } }, functions: { f: {} } },
      '/app/s/serverless.yml',
      { lineOf: () => undefined, strings: [] },
    );
    expect(selectedNames(narrowed, narrowed.functions[0]!, names, auto)).toEqual(['B']);
  });
});

describe('selectionRule', () => {
  it('names the rule: all, the function list, the service list, auto', () => {
    const m = serviceModelOf(
      { service: 's', functions: { all: {}, listed: { secrets: ['A'] }, auto: { secrets: 'auto' } } },
      '/app/s/serverless.yml',
      { lineOf: () => undefined, strings: [] },
    );
    expect(Object.fromEntries(m.functions.map((f) => [f.name, selectionRule(m, f)]))).toEqual({
      all: 'all',
      listed: 'function-list',
      auto: 'auto',
    });
    const s = serviceModelOf(
      { service: 's', custom: { stageSecrets: { secrets: ['A'] } }, functions: { f: {} } },
      '/app/s/serverless.yml',
      { lineOf: () => undefined, strings: [] },
    );
    expect(selectionRule(s, s.functions[0]!)).toBe('service-list');
  });
});
