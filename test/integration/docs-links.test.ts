/**
 * Every relative link of the user docs (README.md, SECURITY.md, bench/README.md, docs/*.md) resolves: the
 * file it names exists, and a `#anchor` matches a heading of the target file as GitHub slugs it (lower
 * case, punctuation other than `-` and `_` removed, each space a `-`, a repeated slug suffixed -1, -2, ...).
 * Links and headings inside fenced code blocks and code spans do not count. No network: web links are
 * not checked.
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import { describe, expect, it } from 'vitest';
import { REPO_ROOT } from '../support/cli.js';

function docFiles(): string[] {
  const docsDir = path.join(REPO_ROOT, 'docs');
  const docs = fs.existsSync(docsDir)
    ? fs
        .readdirSync(docsDir)
        .filter((f) => f.endsWith('.md'))
        .sort()
        .map((f) => `docs/${f}`)
    : [];
  return ['README.md', 'SECURITY.md', 'bench/README.md', ...docs];
}

/** The text outside fenced code blocks, code spans and HTML comments. */
function prose(text: string): string {
  return text
    .replace(/^(```|~~~)[^\n]*\n[\s\S]*?^\1[^\n]*$/gm, '')
    .replace(/<!--[\s\S]*?-->/g, '')
    .replace(/`[^`\n]*`/g, '');
}

function githubSlug(heading: string): string {
  return heading
    .trim()
    .toLowerCase()
    .replace(/[^\p{L}\p{N}\s_-]/gu, '')
    .replace(/ /g, '-');
}

function anchors(file: string): Set<string> {
  const text = fs
    .readFileSync(path.join(REPO_ROOT, file), 'utf8')
    .replace(/^(```|~~~)[^\n]*\n[\s\S]*?^\1[^\n]*$/gm, '');
  const seen = new Map<string, number>();
  const result = new Set<string>();
  for (const m of text.matchAll(/^#{1,6} +(.+?) *#* *$/gm)) {
    const slug = githubSlug(m[1]!);
    const n = seen.get(slug) ?? 0;
    seen.set(slug, n + 1);
    result.add(n === 0 ? slug : `${slug}-${n}`);
  }
  return result;
}

/** Problems with the relative links of `file`, as `file: [text](target): problem`. */
function brokenLinks(file: string, content = fs.readFileSync(path.join(REPO_ROOT, file), 'utf8')): string[] {
  const text = prose(content);
  const problems: string[] = [];
  for (const m of text.matchAll(/\[([^\]\n]*)\]\(([^)\s]+)(?: +"[^"]*")?\)/g)) {
    const target = m[2]!;
    if (/^[a-z][a-z0-9+.-]*:/i.test(target)) continue; // https:, mailto:
    const [filePart, anchor] = target.split('#', 2) as [string, string | undefined];
    const targetFile =
      filePart === '' ? file : path.posix.normalize(path.posix.join(path.posix.dirname(file), filePart));
    const where = `${file}: [${m[1]}](${target})`;
    if (targetFile.startsWith('..') || !fs.existsSync(path.join(REPO_ROOT, targetFile))) {
      problems.push(`${where}: no file ${targetFile}`);
      continue;
    }
    if (anchor === undefined) continue;
    if (!targetFile.endsWith('.md')) {
      problems.push(`${where}: an anchor into a file that is not markdown`);
      continue;
    }
    if (!anchors(targetFile).has(anchor))
      problems.push(`${where}: no heading with the slug #${anchor} in ${targetFile}`);
  }
  return problems;
}

describe('links in the docs', () => {
  it('slugs headings as GitHub does', () => {
    expect(githubSlug('Runtime mode: no value in CloudFormation or the Lambda console')).toBe(
      'runtime-mode-no-value-in-cloudformation-or-the-lambda-console',
    );
    expect(githubSlug('`stage-secrets run`')).toBe('stage-secrets-run');
    expect(githubSlug('Runtime store (S3)')).toBe('runtime-store-s3');
    expect(githubSlug('SST v3 and later: `$transform(sst.aws.Function, ...)`')).toBe(
      'sst-v3-and-later-transformsstawsfunction-',
    );
    expect(githubSlug('what_the tests check')).toBe('what_the-tests-check');
  });

  it('every relative link and #anchor of README.md, SECURITY.md, bench/README.md and docs/*.md resolves', () => {
    const files = docFiles();
    for (const file of files) expect(fs.existsSync(path.join(REPO_ROOT, file)), file).toBe(true);
    expect(files.flatMap((file) => brokenLinks(file))).toEqual([]);
  });

  it('the check finds a missing file, a missing anchor, and skips code and web links', () => {
    const text = [
      '[ok](#install) [ok](SECURITY.md) [web](https://example.com/x#y) `[code](#nowhere)`',
      '[gone](docs/no-such-page.md) [bad](#no-such-heading) [bad too](SECURITY.md#no-such-heading)',
      '```',
      '[in a block](#also-nowhere)',
      '```',
    ].join('\n');
    expect(brokenLinks('README.md', text)).toEqual([
      'README.md: [gone](docs/no-such-page.md): no file docs/no-such-page.md',
      'README.md: [bad](#no-such-heading): no heading with the slug #no-such-heading in README.md',
      'README.md: [bad too](SECURITY.md#no-such-heading): no heading with the slug #no-such-heading in SECURITY.md',
    ]);
  });
});
