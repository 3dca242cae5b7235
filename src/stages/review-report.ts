import { hasChanges, type Review, type StageReview } from './review.js';

export type ReviewFormat = 'text' | 'markdown' | 'json';
export const REVIEW_FORMATS: readonly ReviewFormat[] = ['text', 'markdown', 'json'];

const CLI = 'npx --no-install stage-secrets';

/** Whether `--strict` fails on this review: names pending, entries sealed to an old key, or a header change. */
export function needsKeyHolder(review: Review): boolean {
  return review.stages.some(
    (s) =>
      s.pending.length > 0 ||
      s.sealedToOtherKey.length > 0 ||
      s.header.length > 0 ||
      (s.unconfirmedIdentities?.length ?? 0) > 0,
  );
}

export function unreadableStages(review: Review): StageReview[] {
  return review.stages.filter((s) => s.unreadable !== undefined);
}

export function renderReview(review: Review, format: ReviewFormat): string {
  if (format === 'json') return `${JSON.stringify(review, null, 2)}\n`;
  return format === 'markdown' ? markdown(review) : text(review);
}

interface Line {
  label: string;
  names: string[];
  /** what it means for the build, and the commands that fix it */
  why?: string;
  commands?: string[];
}

function lines(s: StageReview): Line[] {
  return [
    { label: 'added', names: s.added },
    { label: 'replaced', names: s.replaced },
    { label: 'removed', names: s.removed },
    { label: 'approved (tag not checked without the key)', names: s.approved },
    { label: 'approval withdrawn', names: s.revoked },
    {
      label: 'pending approval',
      names: s.pending,
      why: 'the build refuses the stage until a key holder approves them',
      commands: [`${CLI} approve --stage ${s.stage} ${s.pending.join(' ')}`],
    },
    {
      label: 'sealed to a previous key',
      names: s.sealedToOtherKey,
      why: 'the build refuses them, and whoever held that key may read them; set each again',
      commands: s.sealedToOtherKey.map((n) => `${CLI} set --stage ${s.stage} ${n}`),
    },
    {
      label: 'identity records no key holder confirmed',
      names: s.unconfirmedIdentities ?? [],
      why: 'rotate and rewrap refuse the stage; a key holder confirms those they recognise, and removes the others',
      commands: [`${CLI} approve --stage ${s.stage} --identities`, `${CLI} rewrap --stage ${s.stage} --remove ID`],
    },
  ].filter((l) => l.names.length > 0);
}

function presenceText(s: StageReview): string {
  if (s.presence === 'added') return ' (new stage)';
  if (s.presence === 'removed') return ' (stage file removed)';
  return '';
}

function text(review: Review): string {
  const out = [`stage-secrets review of ${review.folder}/ against ${review.base} (${review.baseCommit.slice(0, 12)})`];
  for (const s of review.stages) {
    const body = lines(s);
    if (!hasChanges(s) && body.length === 0) {
      out.push(`stage ${s.stage}: no change`);
      continue;
    }
    out.push('', `stage ${s.stage} (${s.file})${presenceText(s)}`);
    if (s.unreadable) {
      out.push(`  UNREADABLE on the ${s.unreadable.side === 'base' ? 'base' : 'changed'} side: ${s.unreadable.reason}`);
      continue;
    }
    if (s.header.length) {
      out.push('  HEADER CHANGED: a key holder must check this before it is merged:');
      for (const h of s.header) out.push(`    ${h.text}`);
    }
    for (const l of body) {
      const why = l.why ? ` (${l.why}: ${l.commands!.join('; ')})` : '';
      out.push(`  ${l.label}: ${l.names.join(', ')}${why}`);
    }
    if (s.upgraded) out.push(`  upgraded from format version ${s.upgraded.from} to ${s.upgraded.to} (values kept)`);
  }
  if (review.stages.length === 0) out.push('no stage files on either side');
  return `${out.join('\n')}\n`;
}

/**
 * Text from a stage file in markdown: a writer chose app names and identity ids, so nothing in them may
 * become a link, an image, an HTML tag or a mention of a person or team in a pull-request comment.
 */
function md(value: string): string {
  return value
    .replace(/[\\`*_{}[\]()#+\-.!|~:]/g, (c) => `\\${c}`)
    .replace(/&/g, '&amp;')
    .replace(/</g, '&lt;')
    .replace(/>/g, '&gt;')
    .replace(/@/g, '&#64;');
}

/** Secret and stage names are letters, digits, `_` and `-`: safe inside a code span. */
const code = (name: string) => `\`${name}\``;

function markdown(review: Review): string {
  const out = [
    `### stage-secrets review against ${code(review.base.replace(/`/g, ''))} (${code(review.baseCommit.slice(0, 12))})`,
    '',
  ];
  const changed = review.stages.filter((s) => hasChanges(s) || lines(s).length > 0);
  if (changed.length === 0) {
    out.push(
      review.stages.length ? `No change to ${review.stages.length} stage(s).` : 'No stage files on either side.',
    );
    return `${out.join('\n')}\n`;
  }
  out.push(
    '| stage | added | replaced | removed | approved | withdrawn | pending | old key | header |',
    '|---|---|---|---|---|---|---|---|---|',
  );
  for (const s of changed) {
    const n = (list: string[]) => (list.length ? String(list.length) : '');
    const header = s.unreadable ? 'unreadable' : s.header.length ? '**changed**' : '';
    out.push(
      `| ${code(s.stage)} | ${n(s.added)} | ${n(s.replaced)} | ${n(s.removed)} | ${n(s.approved)} | ${n(s.revoked)} ` +
        `| ${n(s.pending)} | ${n(s.sealedToOtherKey)} | ${header} |`,
    );
  }
  for (const s of changed) {
    out.push('', `#### ${code(s.stage)} (${code(s.file)})${presenceText(s)}`, '');
    if (s.unreadable) {
      const side = s.unreadable.side === 'base' ? 'base' : 'changed';
      out.push('> [!CAUTION]', `> Unreadable on the ${side} side: ${md(s.unreadable.reason)}`);
      continue;
    }
    if (s.header.length) {
      out.push('> [!CAUTION]', '> **The stage header changed: a key holder must check this before it is merged.**');
      for (const h of s.header) out.push(`> - ${md(h.text)}`);
      out.push('');
    }
    for (const l of lines(s)) {
      const why = l.why ? `; ${l.why}: ${l.commands!.map(code).join(', ')}` : '';
      out.push(`- **${l.label}:** ${l.names.map(code).join(', ')}${why}`);
    }
    if (s.upgraded) out.push(`- upgraded from format version ${s.upgraded.from} to ${s.upgraded.to} (values kept)`);
  }
  return `${out.join('\n')}\n`;
}
