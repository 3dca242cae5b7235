/**
 * The Action's contract check (input check), run before the stage is opened, in a child process of the
 * action's own bundle (`node action/index.mjs --stage-secrets-contract-scan`) whose environment holds
 * only what a keyless scan needs: no STAGE_SECRETS_KEY_*, no GITHUB_TOKEN or ACTIONS_* token, no AWS
 * credential, no NODE_OPTIONS. The scan parses the workspace's files with the parser inside the bundle
 * and runs none of them; the child answers with the report as JSON on stdout.
 */
import { spawn } from 'node:child_process';
import { checkApp, type ContractReport } from '../contract/index.js';
import { type ErrorCode, isStageSecretsError, StageSecretsError } from '../core/errors.js';

export const CONTRACT_SCAN_FLAG = '--stage-secrets-contract-scan';

/** The only variables the scan child gets: none of them carries a key, a token or a credential. */
const KEPT = new Set([
  'PATH',
  'HOME',
  'LANG',
  'LANGUAGE',
  'LC_ALL',
  'LC_CTYPE',
  'TZ',
  'TMPDIR',
  'TEMP',
  'TMP',
  'SYSTEMROOT',
]);
const SCAN_TIMEOUT_MS = 5 * 60 * 1000;

/** The environment of the scan child: an allow list, so a token under any new name stays out too. */
export function scanEnvironment(env: NodeJS.ProcessEnv): NodeJS.ProcessEnv {
  const out: NodeJS.ProcessEnv = {};
  for (const [name, value] of Object.entries(env)) if (KEPT.has(name) && value !== undefined) out[name] = value;
  return out;
}

interface ScanRequest {
  /** the secrets folder, absolute */
  dir: string;
  stages: string[];
}

type ScanAnswer = { report: ContractReport } | { error: { code: ErrorCode; message: string } };

/** Runs the contract check in a scrubbed child of `script` (the action's bundle) in `cwd`. */
export function contractInChild(
  script: string,
  cwd: string,
  env: NodeJS.ProcessEnv,
  request: ScanRequest,
): Promise<ContractReport> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [script, CONTRACT_SCAN_FLAG], {
      cwd,
      env: scanEnvironment(env),
      stdio: ['pipe', 'pipe', 'pipe'],
    });
    const out: Buffer[] = [];
    const err: Buffer[] = [];
    const timer = setTimeout(() => child.kill('SIGKILL'), SCAN_TIMEOUT_MS);
    child.stdout.on('data', (c: Buffer) => out.push(c));
    child.stderr.on('data', (c: Buffer) => err.push(c));
    child.on('error', (e) => {
      clearTimeout(timer);
      reject(new StageSecretsError('IO', `the contract check could not start its process: ${e.message}`));
    });
    child.on('close', (code, signal) => {
      clearTimeout(timer);
      let answer: ScanAnswer | undefined;
      try {
        answer = JSON.parse(Buffer.concat(out).toString('utf8')) as ScanAnswer;
      } catch {
        answer = undefined;
      }
      if (answer && 'report' in answer) return resolve(answer.report);
      if (answer && 'error' in answer) return reject(new StageSecretsError(answer.error.code, answer.error.message));
      const why = signal ? `was stopped (${signal})` : `exited with code ${code}`;
      const detail = Buffer.concat(err).toString('utf8').trim().split('\n')[0]?.slice(0, 300);
      reject(
        new StageSecretsError(
          'IO',
          `the contract check's process ${why} without a report${detail ? `: ${detail}` : ''}`,
        ),
      );
    });
    child.stdin.end(JSON.stringify(request));
  });
}

/** The child's side: reads the request on stdin, writes the answer on stdout. */
export async function contractScanMain(): Promise<void> {
  const chunks: Buffer[] = [];
  for await (const chunk of process.stdin) chunks.push(chunk as Buffer);
  let answer: ScanAnswer;
  try {
    const request = JSON.parse(Buffer.concat(chunks).toString('utf8')) as ScanRequest;
    const report = await checkApp({ dir: request.dir, cwd: process.cwd(), env: process.env, stages: request.stages });
    answer = { report };
  } catch (err) {
    answer = isStageSecretsError(err)
      ? { error: { code: err.code, message: err.message } }
      : { error: { code: 'IO', message: `the contract check failed: ${(err as Error)?.message ?? String(err)}` } };
  }
  process.stdout.write(JSON.stringify(answer));
}
