import type { SSMClient } from '@aws-sdk/client-ssm';
import { quietSdkConstruction } from '../core/aws-sdk.js';
import { StageSecretsError } from '../core/errors.js';
import {
  awsClientSettings,
  awsStoreError,
  errorName,
  sdkClientOptions,
  secretNameOfKey,
  type StoreErrorContext,
} from './aws-settings.js';
import {
  MAX_OBJECT_BYTES,
  type ListedObject,
  type ObjectStore,
  type RuntimeStoreAccess,
  type RuntimeStoreBackend,
  type RuntimeStoreLocation,
  type StoreObject,
} from './backend.js';

/*
 * The runtime store in AWS Systems Manager Parameter Store: `ssm://PATH`.
 *
 * SSM has no compare-and-swap on a parameter's value: PutParameter with Overwrite replaces whatever is
 * there, and LabelParameterVersion moves a label from any version to any other (moto 5.2.1 does the
 * same), so neither can refuse a writer that did not see the latest update. The one conditional write
 * SSM has is creation: PutParameter without Overwrite fails with ParameterAlreadyExists when the name
 * exists. So every update creates a parameter of its own, numbered:
 *
 *   /PATH/<app>/<stage>/<NAME>/<n>     n = 1, 2, 3...; the largest n holds the entry (String, sealed)
 *
 * A read lists `/PATH/<app>/<stage>/<NAME>/` (GetParametersByPath) and takes the largest n, its "ETag"
 * being n. A write of the entry that replaces n creates n + 1 without Overwrite: two writers that read
 * the same n race for the same name and exactly one creates it; the other gets ParameterAlreadyExists,
 * a conflict, reads again and retries (updateStoredSecret). A first write creates 1.
 *
 * Old numbers are deleted after a landed write, best effort, and deleting is what needs care: a deleted
 * n + 1 could be created again by a slow writer that read n long ago, and would then sit under a newer
 * number, an update reported landed but never read (lost). Two rules rule that out:
 *  - Pruning deletes a number only when it was created at least PRUNE_AGE_MS (15 min) before the number
 *    the pruner just created, both times as SSM itself stamped them (LastModifiedDate; each parameter is
 *    written once, so that is its creation). The largest number is never deleted (only smaller ones are).
 *  - A write counts as landed only when its create returned within WRITE_WINDOW_MS (5 min, this
 *    process's monotonic clock) of the start of the read it builds on; a later one is reported as a
 *    conflict and retried (the value then lands once more, on top, which loses nothing).
 * Proof: say a landed create of n + 1 reused a deleted name. The earlier n + 1 did not exist when our read
 * started (we saw n as the largest), so it was created after that, and deleted after a number created 15
 * minutes after it; our create came later still, over 15 minutes after our read started, yet returned
 * within 5. Contradiction (the 10 minutes between are slack for SSM's clocks and a listing that lags).
 * So every landed create is the first n + 1 ever, made when n was the largest; a larger number can only
 * be made by a writer that read n + 1 (each number needs the one before it), i.e. ours: no landed update
 * sits under another it did not see.
 *
 * Limits: a String parameter holds 4 KB (standard tier) or 8 KB (advanced tier, which AWS charges per
 * parameter and month): an entry over 4 KB is written in the advanced tier, over 8 KB it is refused
 * before anything is written (use s3:// or secretsmanager:// for such values). Names are letters,
 * digits and `_ . -` in at most 15 levels, so an app name with other characters cannot use this store.
 */

/** Where runtime updates live in SSM: `ssm://PATH` (parameters under `/PATH/`). */
export interface SsmLocation extends RuntimeStoreLocation {
  scheme: 'ssm';
}

const SCHEME = 'ssm';
const URL_FORM = 'ssm://PATH';
const ENDPOINT_VAR = 'AWS_ENDPOINT_URL_SSM';
const SEGMENT = /^[A-Za-z0-9_.-]+$/;
/** SSM allows 15 levels; app, stage, name and number take 4 */
const MAX_PREFIX_LEVELS = 11;
const MAX_PREFIX = 512;
/** A String parameter's value: standard tier, advanced tier */
export const STANDARD_VALUE_BYTES = 4096;
export const ADVANCED_VALUE_BYTES = 8192;

/** See the comment at the top: how old a number must be before it may be deleted, and a write's window. */
export interface SsmTiming {
  pruneAgeMs: number;
  writeWindowMs: number;
  /** a monotonic clock in ms */
  monotonic: () => number;
}

export const SSM_TIMING: SsmTiming = {
  pruneAgeMs: 15 * 60 * 1000,
  writeWindowMs: 5 * 60 * 1000,
  monotonic: () => performance.now(),
};

/** Parses `ssm://PATH` (or `ssm:///PATH`); `from` names where the text came from in errors. */
export function parseSsmUrl(text: string, from: string): SsmLocation {
  const fix = `give it as ${URL_FORM}, e.g. ssm://team/runtime (${from})`;
  const match = /^ssm:\/\/(.*)$/i.exec(text.trim());
  if (!match) throw new StageSecretsError('USAGE', `the runtime store is not an ssm:// URL; ${fix}.`);
  const prefix = match[1]!.replace(/^\/+/, '').replace(/\/+$/, '');
  const segments = prefix === '' ? [] : prefix.split('/');
  if (
    prefix.length > MAX_PREFIX ||
    segments.length > MAX_PREFIX_LEVELS ||
    segments.some((s) => !SEGMENT.test(s)) ||
    /^(aws|ssm)/i.test(segments[0] ?? '')
  ) {
    throw new StageSecretsError(
      'USAGE',
      `the runtime store's SSM path must be at most ${MAX_PREFIX_LEVELS} levels of letters, digits and _ . - (not starting with aws or ssm); ${fix}.`,
    );
  }
  return { scheme: SCHEME, prefix, url: `ssm://${prefix}` };
}

/** `/PATH/<app>/<stage>/<NAME>` for an object key `PATH/<app>/<stage>/<NAME>.json` (or a folder's path). */
function parameterPath(location: SsmLocation, key: string): string {
  const path = `/${key.replace(/\.json$/, '').replace(/\/+$/, '')}`;
  const segments = path.slice(1).split('/');
  if (segments.some((s) => !SEGMENT.test(s))) {
    throw new StageSecretsError(
      'USAGE',
      `the runtime store ${location.url} cannot hold ${path}: SSM parameter names take only letters, digits and _ . - in each level, and the app name is part of it. Use an app name of those characters, or an s3:// store.`,
    );
  }
  return path;
}

/** The SDK module; inside Lambda it is loaded from the function's package (coldStart). */
export type SsmSdk = typeof import('@aws-sdk/client-ssm');

let loadSdk: () => Promise<SsmSdk> = () => import('@aws-sdk/client-ssm');

export function setSsmSdkLoader(loader: () => Promise<SsmSdk>): void {
  loadSdk = loader;
  clients.clear();
}

const clients = new Map<string, SSMClient>();

async function ssmClient(env: NodeJS.ProcessEnv): Promise<{ sdk: SsmSdk; client: SSMClient }> {
  const settings = awsClientSettings(env, ENDPOINT_VAR);
  const sdk = await loadSdk();
  let client = clients.get(settings.cacheKey);
  if (!client) {
    client = quietSdkConstruction(() => new sdk.SSMClient(sdkClientOptions(settings)));
    clients.set(settings.cacheKey, client);
  }
  return { sdk, client };
}

function arnsOf(location: SsmLocation, folder: string): { folder: string; inside: string } {
  const path = parameterPath(location, folder).slice(1);
  const base = `arn:\${AWS::Partition}:ssm:\${AWS::Region}:\${AWS::AccountId}:parameter/${path}`;
  return { folder: base, inside: `${base}/*` };
}

interface Version {
  n: number;
  name: string;
  value?: string;
  modified?: Date;
}

/** The runtime store's objects as numbered SSM parameters (see the top of this file). */
export function ssmObjectStore(
  location: SsmLocation,
  env: NodeJS.ProcessEnv,
  timing: SsmTiming = SSM_TIMING,
): ObjectStore {
  /**
   * Per key, the version last read and when the earliest read of it started (monotonic clock). A put
   * knows only the version it builds on, not which read gave it: the earliest read of that version is
   * never later than its own, so the window is never measured short.
   */
  const readStarted = new Map<string, { etag: string; started: number }>();
  const noteRead = (key: string, etag: string, started: number): void => {
    const seen = readStarted.get(key);
    if (seen?.etag !== etag) readStarted.set(key, { etag, started });
  };
  const context = (operation: string, where: string, write: boolean): StoreErrorContext => ({
    service: 'SSM',
    operation,
    url: location.url,
    where,
    needs: `${write ? 'ssm:PutParameter and ' : ''}ssm:GetParametersByPath on ${location.prefix ? `parameter/${location.prefix}/` : 'parameter/'}<app>/<stage>/*`,
    endpointVar: ENDPOINT_VAR,
  });

  /** Every parameter right under `path` (all pages): the numbered versions of one name. */
  async function versionsOf(path: string, operationWhere: string): Promise<Version[]> {
    const found: Version[] = [];
    try {
      const { sdk, client } = await ssmClient(env);
      let token: string | undefined;
      do {
        const out = await client.send(
          new sdk.GetParametersByPathCommand({ Path: path, Recursive: false, NextToken: token, MaxResults: 10 }),
        );
        for (const p of out.Parameters ?? []) {
          const n = numberOf(path, p.Name ?? '');
          if (n !== undefined)
            found.push({
              n,
              name: p.Name!,
              value: p.Value,
              ...(p.LastModifiedDate ? { modified: p.LastModifiedDate } : {}),
            });
        }
        token = out.NextToken || undefined;
      } while (token);
    } catch (err) {
      throw awsStoreError(err, context('GetParametersByPath', operationWhere, false));
    }
    return found.sort((a, b) => a.n - b.n);
  }

  async function read(key: string): Promise<{ object: StoreObject | undefined; started: number }> {
    const started = timing.monotonic();
    const path = parameterPath(location, key);
    const newest = (await versionsOf(path, `ssm://${path.slice(1)}`)).at(-1);
    if (!newest) {
      noteRead(key, '*', started);
      return { object: undefined, started };
    }
    const text = newest.value ?? '';
    if (Buffer.byteLength(text) > MAX_OBJECT_BYTES) {
      throw new StageSecretsError(
        'FORMAT',
        `the runtime store parameter ${newest.name} is larger than any entry; it was not written by stage-secrets. Delete it.`,
      );
    }
    const etag = String(newest.n);
    noteRead(key, etag, started);
    return { object: { key, text, etag }, started };
  }

  /** Deletes, best effort, the numbers below `created` made PRUNE_AGE_MS before it (see the top). */
  async function prune(path: string, created: number): Promise<void> {
    try {
      const versions = await versionsOf(path, path);
      const own = versions.find((v) => v.n === created)?.modified?.getTime();
      if (own === undefined) return; // not listed yet: the next write prunes
      const old = versions
        .filter((v) => v.n < created && v.modified && v.modified.getTime() <= own - timing.pruneAgeMs)
        .map((v) => v.name);
      const { sdk, client } = await ssmClient(env);
      for (let i = 0; i < old.length; i += 10) {
        await client.send(new sdk.DeleteParametersCommand({ Names: old.slice(i, i + 10) }));
      }
    } catch {
      // best effort: a later write prunes what is left; reads take the largest number whatever lies below it
    }
  }

  return {
    location,
    async get(key) {
      return (await read(key)).object;
    },
    async put(key, text, condition) {
      const path = parameterPath(location, key);
      const name = secretNameOfKey(key);
      const bytes = Buffer.byteLength(text);
      if (bytes > ADVANCED_VALUE_BYTES) {
        throw new StageSecretsError(
          'INVALID_VALUE',
          `${name} is too large for the SSM runtime store ${location.url}: its sealed entry is ${bytes} bytes, and an SSM parameter holds at most ${ADVANCED_VALUE_BYTES} bytes (advanced tier). Nothing was written; use an s3:// or secretsmanager:// store for it.`,
        );
      }
      const etag = 'ifMatch' in condition ? condition.ifMatch : '*';
      const base = etag === '*' ? 0 : Number(etag);
      if (!Number.isSafeInteger(base) || base < 0) return 'conflict';
      const seen = readStarted.get(key);
      let started = seen?.etag === etag ? seen.started : undefined;
      if (started === undefined || timing.monotonic() - started > timing.writeWindowMs / 2) {
        // no read of that version here, or an old one: read now, and go on only if it is still that version
        const fresh = await read(key);
        if ((fresh.object?.etag ?? '*') !== etag) return 'conflict';
        started = fresh.started;
      }
      const created = base + 1;
      try {
        const { sdk, client } = await ssmClient(env);
        await client.send(
          new sdk.PutParameterCommand({
            Name: `${path}/${created}`,
            Value: text,
            Type: 'String',
            Overwrite: false,
            Tier: bytes > STANDARD_VALUE_BYTES ? 'Advanced' : 'Standard',
          }),
        );
      } catch (err) {
        if (errorName(err) === 'ParameterAlreadyExists') return 'conflict';
        throw awsStoreError(err, context('PutParameter', `ssm://${path.slice(1)}/${created}`, true));
      }
      // Landed, but too long after the read to rule out a reused number: written again on a fresh read.
      if (timing.monotonic() - started > timing.writeWindowMs) return 'conflict';
      await prune(path, created);
      return { etag: String(created) };
    },
    async list(prefix) {
      const root = parameterPath(location, prefix);
      const newest = new Map<string, number>();
      try {
        const { sdk, client } = await ssmClient(env);
        let token: string | undefined;
        do {
          const out = await client.send(
            new sdk.GetParametersByPathCommand({ Path: root, Recursive: true, NextToken: token, MaxResults: 10 }),
          );
          for (const p of out.Parameters ?? []) {
            const m = /^\/(.+)\/([1-9]\d{0,14})$/.exec(p.Name ?? '');
            if (!m || !`/${m[1]}/`.startsWith(`${root}/`)) continue;
            const key = `${m[1]}.json`;
            newest.set(key, Math.max(newest.get(key) ?? 0, Number(m[2])));
          }
          token = out.NextToken || undefined;
        } while (token);
      } catch (err) {
        throw awsStoreError(err, context('GetParametersByPath', `ssm://${root.slice(1)}/`, false));
      }
      return [...newest].map(([key, n]): ListedObject => ({ key, etag: String(n) }));
    },
  };
}

/** n of `<path>/<n>`, or undefined for any other name. */
function numberOf(path: string, name: string): number | undefined {
  if (!name.startsWith(`${path}/`)) return undefined;
  const rest = name.slice(path.length + 1);
  if (!/^[1-9]\d{0,14}$/.test(rest)) return undefined;
  return Number(rest);
}

/**
 * The statements that let a function's role use one stage's parameters, and nothing else: list them
 * (GetParametersByPath on the folder and below) and, for 'read-write', create new numbers and delete
 * old ones under it. No KMS: entries are sealed already and stored as String.
 */
function ssmGrant(location: SsmLocation, folder: string, access: RuntimeStoreAccess): Array<Record<string, unknown>> {
  const arns = arnsOf(location, folder);
  const statements: Array<Record<string, unknown>> = [
    {
      Effect: 'Allow',
      Action: ['ssm:GetParametersByPath'],
      Resource: [{ 'Fn::Sub': arns.folder }, { 'Fn::Sub': arns.inside }],
    },
  ];
  if (access === 'read-write') {
    statements.push({
      Effect: 'Allow',
      Action: ['ssm:PutParameter', 'ssm:DeleteParameters'],
      Resource: { 'Fn::Sub': arns.inside },
    });
  }
  return statements;
}

export const ssmBackend: RuntimeStoreBackend<SsmLocation> = {
  scheme: SCHEME,
  urlForm: URL_FORM,
  parse: parseSsmUrl,
  objects: (location, env) => ssmObjectStore(location, env),
  objectUrl: (location, key) => `ssm://${parameterPath(location, key).slice(1)}${key.endsWith('/') ? '/' : ''}`,
  grant: ssmGrant,
  grantWords: (access) =>
    access === 'read-write'
      ? "ssm:GetParametersByPath, ssm:PutParameter, ssm:DeleteParameters on that folder's parameters only"
      : "ssm:GetParametersByPath on that folder's parameters only; no ssm:PutParameter",
  coldStart(load) {
    setSsmSdkLoader(async () => load('@aws-sdk/client-ssm') as SsmSdk);
  },
};
