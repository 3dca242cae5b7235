/**
 * Runs a JavaScript action the way the GitHub Actions runner does: `node <main>` in the workspace with
 * each input as INPUT_<NAME> (upper-cased, spaces as _, dashes kept), GITHUB_ACTIONS=true and fresh
 * GITHUB_ENV, GITHUB_OUTPUT and GITHUB_STEP_SUMMARY files; then reads those files back as the runner
 * would (parseFileCommands) for a test to compare.
 */
import { spawn } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';

export interface ActionRun {
  code: number | null;
  stdout: string;
  stderr: string;
  /** the raw files the step wrote */
  envFile: string;
  outputFile: string;
  summary: string;
}

/** The runner's name for an input's variable. */
export function inputVariable(name: string): string {
  return `INPUT_${name.replace(/ /g, '_').toUpperCase()}`;
}

export async function runAction(
  main: string,
  options: {
    cwd: string;
    env: NodeJS.ProcessEnv;
    inputs: Record<string, string>;
    /** runner variables to leave out (to play a step outside a runner) */
    unset?: string[];
    timeoutMs?: number;
  },
): Promise<ActionRun> {
  const files = fs.mkdtempSync(path.join(os.tmpdir(), 'stage-secrets-runner-'));
  const envFile = path.join(files, 'env');
  const outputFile = path.join(files, 'output');
  const summaryFile = path.join(files, 'summary');
  // the runner creates each file empty before the step starts
  for (const file of [envFile, outputFile, summaryFile]) fs.writeFileSync(file, '');
  const env: NodeJS.ProcessEnv = {
    ...options.env,
    GITHUB_ACTIONS: 'true',
    GITHUB_ENV: envFile,
    GITHUB_OUTPUT: outputFile,
    GITHUB_STEP_SUMMARY: summaryFile,
    GITHUB_WORKSPACE: options.cwd,
  };
  for (const [name, value] of Object.entries(options.inputs)) env[inputVariable(name)] = value;
  for (const name of options.unset ?? []) delete env[name];
  try {
    const { code, stdout, stderr } = await new Promise<{ code: number | null; stdout: string; stderr: string }>(
      (resolve, reject) => {
        const child = spawn(process.execPath, [main], { cwd: options.cwd, env, stdio: ['ignore', 'pipe', 'pipe'] });
        const out: Buffer[] = [];
        const err: Buffer[] = [];
        const timer = setTimeout(() => child.kill('SIGKILL'), options.timeoutMs ?? 30_000);
        child.stdout.on('data', (c: Buffer) => out.push(c));
        child.stderr.on('data', (c: Buffer) => err.push(c));
        child.on('error', reject);
        child.on('close', (exit) => {
          clearTimeout(timer);
          resolve({ code: exit, stdout: Buffer.concat(out).toString(), stderr: Buffer.concat(err).toString() });
        });
      },
    );
    const read = (file: string) => fs.readFileSync(file, 'utf8');
    return { code, stdout, stderr, envFile: read(envFile), outputFile: read(outputFile), summary: read(summaryFile) };
  } finally {
    fs.rmSync(files, { recursive: true, force: true });
  }
}

/**
 * The runner's reading of a GITHUB_ENV / GITHUB_OUTPUT file: `NAME=value` lines, and heredoc blocks
 * `NAME<<DELIMITER`, the value's lines, a line that is exactly DELIMITER. Line ends may be \n or \r\n.
 * Throws on what the runner refuses: an empty name, a line without = or <<, an unterminated block.
 */
export function parseFileCommands(text: string): Map<string, string> {
  const result = new Map<string, string>();
  const lines = text.split(/\r?\n/);
  if (lines[lines.length - 1] === '') lines.pop();
  for (let i = 0; i < lines.length; i++) {
    const line = lines[i]!;
    if (line === '') continue;
    const heredoc = line.indexOf('<<');
    const equals = line.indexOf('=');
    if (heredoc > 0 && (equals < 0 || heredoc < equals)) {
      const name = line.slice(0, heredoc);
      const delimiter = line.slice(heredoc + 2);
      if (delimiter === '') throw new Error(`line ${i + 1}: an empty heredoc delimiter`);
      const value: string[] = [];
      for (i++; ; i++) {
        if (i >= lines.length) throw new Error(`${name}: no line ${delimiter} ends its value`);
        if (lines[i] === delimiter) break;
        value.push(lines[i]!);
      }
      result.set(name, value.join('\n'));
    } else if (equals > 0) {
      result.set(line.slice(0, equals), line.slice(equals + 1));
    } else {
      throw new Error(`line ${i + 1}: neither NAME=value nor NAME<<DELIMITER`);
    }
  }
  return result;
}

/** The workflow commands (`::name params::data`) a step printed, with the data unescaped as the runner does. */
export function workflowCommands(stdout: string): Array<{ command: string; data: string; line: number }> {
  const found: Array<{ command: string; data: string; line: number }> = [];
  stdout.split(/\r?\n/).forEach((text, line) => {
    const m = /^::([a-z-]+)(?: [^:]*)?::(.*)$/.exec(text);
    if (!m) return;
    const data = m[2]!.replace(/%0D/g, '\r').replace(/%0A/g, '\n').replace(/%25/g, '%');
    found.push({ command: m[1]!, data, line });
  });
  return found;
}
