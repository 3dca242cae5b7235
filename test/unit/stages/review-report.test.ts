import { describe, expect, it } from 'vitest';
import type { Review, StageReview } from '../../../src/stages/review.js';
import { needsKeyHolder, renderReview } from '../../../src/stages/review-report.js';

function stage(overrides: Partial<StageReview>): StageReview {
  return {
    stage: 'dev',
    folder: 'secrets',
    file: 'secrets/dev.json',
    presence: 'both',
    added: [],
    replaced: [],
    removed: [],
    approved: [],
    revoked: [],
    pending: [],
    sealedToOtherKey: [],
    header: [],
    ...overrides,
  };
}

const review = (stages: StageReview[]): Review => ({
  base: 'main',
  baseCommit: 'a'.repeat(40),
  folder: 'secrets',
  folders: [{ folder: 'secrets', presence: 'both', unexpected: [] }],
  stages,
});

describe('review report', () => {
  it('--strict needs a key holder for pending names, old-key entries and header changes, not for plain edits', () => {
    expect(needsKeyHolder(review([stage({ added: ['A'], replaced: ['B'], removed: ['C'] })]))).toBe(false);
    expect(needsKeyHolder(review([stage({ pending: ['A'] })]))).toBe(true);
    expect(needsKeyHolder(review([stage({ sealedToOtherKey: ['A'] })]))).toBe(true);
    expect(needsKeyHolder(review([stage({ header: [{ field: 'policy', text: 'policy' }] })]))).toBe(true);
  });

  it('markdown escapes what a writer chose: no mention, tag, link or code span breaks out', () => {
    const text = 'identity added: local @org/team <b>x</b> [a](https://e.example) `code` *b* &amp;';
    const md = renderReview(review([stage({ header: [{ field: 'identities', text }] })]), 'markdown');
    const line = md.split('\n').find((l) => l.startsWith('> - '))!;
    expect(line).not.toMatch(/@|<b>|\]\(|(?<!\\)`|(?<!\\)\*/);
    expect(line).toContain('&#64;&#8203;org/team &lt;b&gt;x&lt;/b&gt; \\[a\\]\\(https\\:');
    expect(line).toContain('&amp;amp;');
  });

  it('text lists unchanged stages in one line and changed ones with what to do', () => {
    const out = renderReview(
      review([stage({ stage: 'prod', file: 'secrets/prod.json' }), stage({ pending: ['NEW'] })]),
      'text',
    );
    expect(out).toContain('stage prod: no change');
    expect(out).toContain('pending approval: NEW (the build refuses the stage until a key holder approves them: ');
    expect(out).toContain('npx --no-install stage-secrets approve --stage dev NEW');
  });

  it('json is the review as it is', () => {
    const r = review([stage({ added: ['A'] })]);
    expect(JSON.parse(renderReview(r, 'json'))).toEqual(r);
  });
});
