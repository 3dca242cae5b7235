import { createCipheriv, createDecipheriv, randomBytes, randomUUID } from 'node:crypto';
import * as http from 'node:http';
import type { AddressInfo } from 'node:net';

/**
 * A small local AWS KMS for tests: speaks the KMS JSON 1.1 wire protocol (POST /, X-Amz-Target:
 * TrentService.<Operation>, base64 blobs, `__type` errors) on 127.0.0.1, so the real SDK client runs
 * against it over HTTP. Ciphertexts are sealed with AES-256-GCM under a per-key secret, with the
 * encryption context in the authenticated data: Decrypt with another context fails as on real KMS.
 */

/**
 * `forbidden-text`: HTTP 403 with a body that is not KMS JSON, as an IAM-auth proxy or another emulator
 * answers a denied call (an XML or HTML page).
 */
export type KmsFault = 'throttle' | 'error500' | 'drop' | 'hang' | 'forbidden-text';

export interface KmsKey {
  keyId: string;
  arn: string;
}

interface StoredKey extends KmsKey {
  material: Buffer;
  state: 'Enabled' | 'Disabled' | 'PendingDeletion';
  usage: 'ENCRYPT_DECRYPT' | 'SIGN_VERIFY';
  description: string;
  created: number;
}

export interface KmsRequestLog {
  operation: string;
  /** the region the request was signed for (SigV4 credential scope) */
  region?: string;
  keyId?: string;
  encryptionContext?: Record<string, string>;
}

export interface KmsServer {
  url: string;
  region: string;
  accountId: string;
  createKey(options?: { alias?: string; description?: string; usage?: StoredKey['usage'] }): KmsKey;
  createAlias(alias: string, keyRef: string): void;
  /** Points an existing alias at another key (KMS UpdateAlias). */
  updateAlias(alias: string, keyRef: string): void;
  setKeyState(keyRef: string, state: StoredKey['state']): void;
  /** Refuses `operation` (e.g. "Decrypt") on one key, or on every key when keyRef is omitted. */
  deny(operation: string, keyRef?: string): void;
  allowAll(): void;
  /** The next `times` requests (of `operation`, or any) fail with `fault`. */
  fail(fault: KmsFault, options?: { times?: number; operation?: string }): void;
  clearFaults(): void;
  /** Requests received for an operation (or in total), faulted ones included. */
  calls(operation?: string): number;
  resetCalls(): void;
  /** What each request asked for (operation, key, context); never plaintext. */
  requests: KmsRequestLog[];
  close(): Promise<void>;
}

class KmsFailure extends Error {
  constructor(
    readonly type: string,
    message: string,
    readonly status = 400,
  ) {
    super(message);
  }
}

const MAGIC = Buffer.from('TKM1');
const UUID_LENGTH = 36;

function contextAad(keyId: string, context: Record<string, string> | undefined): Buffer {
  const entries = Object.entries(context ?? {}).sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
  return Buffer.from(JSON.stringify([keyId, entries]), 'utf8');
}

function seal(key: StoredKey, plaintext: Buffer, context: Record<string, string> | undefined): Buffer {
  const nonce = randomBytes(12);
  const cipher = createCipheriv('aes-256-gcm', key.material, nonce);
  cipher.setAAD(contextAad(key.keyId, context));
  const ct = Buffer.concat([cipher.update(plaintext), cipher.final()]);
  return Buffer.concat([MAGIC, Buffer.from(key.keyId, 'ascii'), nonce, cipher.getAuthTag(), ct]);
}

function parseBlob(blob: Buffer): { keyId: string; nonce: Buffer; tag: Buffer; ct: Buffer } | undefined {
  if (blob.length < MAGIC.length + UUID_LENGTH + 28 || !blob.subarray(0, MAGIC.length).equals(MAGIC)) return undefined;
  let at = MAGIC.length;
  const keyId = blob.subarray(at, (at += UUID_LENGTH)).toString('ascii');
  const nonce = blob.subarray(at, (at += 12));
  const tag = blob.subarray(at, (at += 16));
  return { keyId, nonce, tag, ct: blob.subarray(at) };
}

function open(
  key: StoredKey,
  parts: { nonce: Buffer; tag: Buffer; ct: Buffer },
  context: Record<string, string> | undefined,
): Buffer | undefined {
  try {
    const decipher = createDecipheriv('aes-256-gcm', key.material, parts.nonce);
    decipher.setAAD(contextAad(key.keyId, context));
    decipher.setAuthTag(parts.tag);
    return Buffer.concat([decipher.update(parts.ct), decipher.final()]);
  } catch {
    return undefined;
  }
}

function blobArg(body: Record<string, unknown>, name: string, max: number): Buffer {
  const value = body[name];
  if (typeof value !== 'string' || value.length === 0) {
    throw new KmsFailure(
      'ValidationException',
      `1 validation error detected: Value at '${name}' failed to satisfy constraint: Member must not be null`,
    );
  }
  const bytes = Buffer.from(value, 'base64');
  if (bytes.length === 0 || bytes.length > max) {
    throw new KmsFailure(
      'ValidationException',
      `1 validation error detected: Value at '${name}' failed to satisfy constraint: Member must have length between 1 and ${max}`,
    );
  }
  return bytes;
}

function contextArg(body: Record<string, unknown>): Record<string, string> | undefined {
  const value = body.EncryptionContext;
  if (value === undefined) return undefined;
  if (!value || typeof value !== 'object' || Object.values(value).some((v) => typeof v !== 'string')) {
    throw new KmsFailure('SerializationException', 'EncryptionContext must map strings to strings');
  }
  return value as Record<string, string>;
}

export async function startKmsServer(options: { region?: string; accountId?: string } = {}): Promise<KmsServer> {
  const region = options.region ?? 'us-east-1';
  const accountId = options.accountId ?? '111122223333';
  const keys = new Map<string, StoredKey>();
  const aliases = new Map<string, string>();
  const denied = new Set<string>();
  const faults: Array<{ fault: KmsFault; remaining: number; operation?: string }> = [];
  const counts = new Map<string, number>();
  const requests: KmsRequestLog[] = [];
  const hanging = new Set<http.ServerResponse>();

  const keyArn = (keyId: string) => `arn:aws:kms:${region}:${accountId}:key/${keyId}`;
  const aliasArn = (alias: string) => `arn:aws:kms:${region}:${accountId}:${alias}`;

  function resolve(ref: unknown): StoredKey {
    if (typeof ref !== 'string' || ref.length === 0) {
      throw new KmsFailure(
        'ValidationException',
        "1 validation error detected: Value at 'keyId' failed to satisfy constraint: Member must not be null",
      );
    }
    let id = ref;
    const arn = /^arn:aws:kms:([^:]+):([^:]+):(key\/.+|alias\/.+)$/.exec(ref);
    if (arn) {
      if (arn[1] !== region || arn[2] !== accountId)
        throw new KmsFailure('NotFoundException', `Key '${ref}' does not exist`);
      id = arn[3]!.startsWith('key/') ? arn[3]!.slice(4) : arn[3]!;
    }
    if (id.startsWith('alias/')) {
      const target = aliases.get(id);
      if (!target) throw new KmsFailure('NotFoundException', `Alias ${aliasArn(id)} is not found.`);
      id = target;
    }
    const key = keys.get(id);
    if (!key) throw new KmsFailure('NotFoundException', `Key '${keyArn(id)}' does not exist`);
    return key;
  }

  function authorize(operation: string, key: StoredKey, principal: string): void {
    if (denied.has(operation) || denied.has(`${operation} ${key.arn}`)) {
      throw new KmsFailure(
        'AccessDeniedException',
        `User: ${principal} is not authorized to perform: kms:${operation} on resource: ${key.arn} because no identity-based policy allows the kms:${operation} action`,
      );
    }
  }

  function usable(key: StoredKey, forOperation: 'encrypt' | 'metadata'): void {
    if (forOperation === 'metadata') return;
    if (key.state === 'Disabled') throw new KmsFailure('DisabledException', `${key.arn} is disabled.`);
    if (key.state === 'PendingDeletion')
      throw new KmsFailure('KMSInvalidStateException', `${key.arn} is pending deletion.`);
    if (key.usage !== 'ENCRYPT_DECRYPT') {
      throw new KmsFailure(
        'InvalidKeyUsageException',
        `You cannot generate a data key or encrypt with an asymmetric KMS key or one not for encryption: ${key.arn}`,
      );
    }
  }

  function metadata(key: StoredKey): Record<string, unknown> {
    return {
      AWSAccountId: accountId,
      KeyId: key.keyId,
      Arn: key.arn,
      CreationDate: key.created,
      Enabled: key.state === 'Enabled',
      Description: key.description,
      KeyUsage: key.usage,
      KeyState: key.state,
      Origin: 'AWS_KMS',
      KeyManager: 'CUSTOMER',
      KeySpec: 'SYMMETRIC_DEFAULT',
      EncryptionAlgorithms: ['SYMMETRIC_DEFAULT'],
    };
  }

  function createKey(opts: { alias?: string; description?: string; usage?: StoredKey['usage'] } = {}): KmsKey {
    const keyId = randomUUID();
    const key: StoredKey = {
      keyId,
      arn: keyArn(keyId),
      material: randomBytes(32),
      state: 'Enabled',
      usage: opts.usage ?? 'ENCRYPT_DECRYPT',
      description: opts.description ?? '',
      created: Math.floor(Date.now() / 1000),
    };
    keys.set(keyId, key);
    if (opts.alias) createAlias(opts.alias, keyId);
    return { keyId, arn: key.arn };
  }

  function createAlias(alias: string, keyRef: string): void {
    if (!/^alias\/[A-Za-z0-9/_-]{1,250}$/.test(alias) || alias.startsWith('alias/aws/')) {
      throw new KmsFailure(
        'ValidationException',
        `Alias must start with the prefix "alias/" and not use "alias/aws/": ${alias}`,
      );
    }
    if (aliases.has(alias))
      throw new KmsFailure('AlreadyExistsException', `An alias with the name ${aliasArn(alias)} already exists`);
    aliases.set(alias, resolve(keyRef).keyId);
  }

  type Handler = (body: Record<string, unknown>, principal: string, log: KmsRequestLog) => Record<string, unknown>;

  const operations: Record<string, Handler> = {
    CreateKey(body) {
      const usage = body.KeyUsage === 'SIGN_VERIFY' ? 'SIGN_VERIFY' : 'ENCRYPT_DECRYPT';
      const { keyId } = createKey({ description: typeof body.Description === 'string' ? body.Description : '', usage });
      return { KeyMetadata: metadata(keys.get(keyId)!) };
    },
    CreateAlias(body, principal) {
      const key = resolve(body.TargetKeyId);
      authorize('CreateAlias', key, principal);
      createAlias(String(body.AliasName ?? ''), key.keyId);
      return {};
    },
    ListAliases(body) {
      const only = body.KeyId === undefined ? undefined : resolve(body.KeyId).keyId;
      const list = [...aliases.entries()]
        .filter(([, target]) => only === undefined || target === only)
        .map(([name, target]) => ({ AliasName: name, AliasArn: aliasArn(name), TargetKeyId: target }));
      return { Aliases: list, Truncated: false };
    },
    DescribeKey(body, principal, log) {
      const key = resolve(body.KeyId);
      log.keyId = key.arn;
      authorize('DescribeKey', key, principal);
      return { KeyMetadata: metadata(key) };
    },
    Encrypt(body, principal, log) {
      const key = resolve(body.KeyId);
      log.keyId = key.arn;
      log.encryptionContext = contextArg(body);
      authorize('Encrypt', key, principal);
      usable(key, 'encrypt');
      const plaintext = blobArg(body, 'Plaintext', 4096);
      const blob = seal(key, plaintext, log.encryptionContext);
      return { CiphertextBlob: blob.toString('base64'), KeyId: key.arn, EncryptionAlgorithm: 'SYMMETRIC_DEFAULT' };
    },
    GenerateDataKey(body, principal, log) {
      const key = resolve(body.KeyId);
      log.keyId = key.arn;
      log.encryptionContext = contextArg(body);
      authorize('GenerateDataKey', key, principal);
      usable(key, 'encrypt');
      const bytes =
        typeof body.NumberOfBytes === 'number'
          ? body.NumberOfBytes
          : body.KeySpec === 'AES_128'
            ? 16
            : body.KeySpec === 'AES_256'
              ? 32
              : 0;
      if (!Number.isInteger(bytes) || bytes < 1 || bytes > 1024) {
        throw new KmsFailure('ValidationException', 'Please specify either number of bytes or key spec.');
      }
      const plaintext = randomBytes(bytes);
      const blob = seal(key, plaintext, log.encryptionContext);
      return { CiphertextBlob: blob.toString('base64'), Plaintext: plaintext.toString('base64'), KeyId: key.arn };
    },
    Decrypt(body, principal, log) {
      const blob = blobArg(body, 'CiphertextBlob', 6144);
      log.encryptionContext = contextArg(body);
      const parts = parseBlob(blob);
      if (!parts || !keys.has(parts.keyId)) throw new KmsFailure('InvalidCiphertextException', '');
      const key = keys.get(parts.keyId)!;
      log.keyId = key.arn;
      if (body.KeyId !== undefined && resolve(body.KeyId).keyId !== key.keyId) {
        throw new KmsFailure(
          'IncorrectKeyException',
          'The key ID in the request does not identify a CMK that can perform this operation.',
        );
      }
      authorize('Decrypt', key, principal);
      usable(key, 'encrypt');
      const plaintext = open(key, parts, log.encryptionContext);
      if (!plaintext) throw new KmsFailure('InvalidCiphertextException', '');
      return { Plaintext: plaintext.toString('base64'), KeyId: key.arn, EncryptionAlgorithm: 'SYMMETRIC_DEFAULT' };
    },
  };

  function send(res: http.ServerResponse, status: number, payload: Record<string, unknown>): void {
    const text = JSON.stringify(payload);
    res.writeHead(status, {
      'content-type': 'application/x-amz-json-1.1',
      'content-length': Buffer.byteLength(text),
      'x-amzn-requestid': randomUUID(),
    });
    res.end(text);
  }

  function sendFailure(res: http.ServerResponse, failure: KmsFailure): void {
    send(res, failure.status, { __type: failure.type, message: failure.message });
  }

  function takeFault(operation: string): KmsFault | undefined {
    const match = faults.find((f) => f.remaining > 0 && (f.operation === undefined || f.operation === operation));
    if (!match) return undefined;
    match.remaining -= 1;
    return match.fault;
  }

  const server = http.createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      const target = String(req.headers['x-amz-target'] ?? '');
      const operation = target.startsWith('TrentService.') ? target.slice('TrentService.'.length) : '';
      counts.set(operation, (counts.get(operation) ?? 0) + 1);
      const log: KmsRequestLog = { operation };
      requests.push(log);

      const fault = takeFault(operation);
      if (fault === 'drop') return void req.socket.destroy();
      if (fault === 'hang') return void hanging.add(res);
      if (fault === 'forbidden-text') {
        const page = '<?xml version="1.0"?><ErrorResponse><Error><Code>AccessDenied</Code></Error></ErrorResponse>';
        res.writeHead(403, { 'content-type': 'text/xml', 'content-length': Buffer.byteLength(page) });
        return void res.end(page);
      }
      if (fault === 'throttle') return sendFailure(res, new KmsFailure('ThrottlingException', 'Rate exceeded'));
      if (fault === 'error500')
        return sendFailure(res, new KmsFailure('KMSInternalException', 'An internal error occurred.', 500));

      const authorization = String(req.headers.authorization ?? '');
      const credential = /^AWS4-HMAC-SHA256 Credential=([^/,\s]+)\/\d{8}\/([^/]+)\/kms\/aws4_request/.exec(
        authorization,
      );
      if (req.method !== 'POST' || req.url !== '/') {
        return sendFailure(res, new KmsFailure('UnknownOperationException', 'KMS takes POST / only'));
      }
      if (!credential || !req.headers['x-amz-date']) {
        return sendFailure(res, new KmsFailure('MissingAuthenticationTokenException', 'Missing Authentication Token'));
      }
      log.region = credential[2];
      if (!String(req.headers['content-type'] ?? '').startsWith('application/x-amz-json-1.1')) {
        return sendFailure(
          res,
          new KmsFailure('SerializationException', 'expected Content-Type application/x-amz-json-1.1'),
        );
      }
      const handler = operations[operation];
      if (!handler) return sendFailure(res, new KmsFailure('UnknownOperationException', `unknown operation ${target}`));
      let body: Record<string, unknown>;
      try {
        const parsed: unknown = JSON.parse(Buffer.concat(chunks).toString('utf8') || '{}');
        if (!parsed || typeof parsed !== 'object' || Array.isArray(parsed)) throw new Error('not an object');
        body = parsed as Record<string, unknown>;
      } catch {
        return sendFailure(res, new KmsFailure('SerializationException', 'request body is not a JSON object'));
      }
      try {
        send(res, 200, handler(body, `arn:aws:iam::${accountId}:user/${credential[1]}`, log));
      } catch (err) {
        if (err instanceof KmsFailure) return sendFailure(res, err);
        sendFailure(res, new KmsFailure('KMSInternalException', 'internal error', 500));
      }
    });
  });

  await new Promise<void>((resolveListen, reject) => {
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => resolveListen());
  });
  const { port } = server.address() as AddressInfo;

  return {
    url: `http://127.0.0.1:${port}`,
    region,
    accountId,
    createKey,
    createAlias,
    updateAlias(alias, keyRef) {
      if (!aliases.has(alias)) throw new Error(`no alias ${alias}`);
      aliases.set(alias, resolve(keyRef).keyId);
    },
    setKeyState(keyRef, state) {
      resolve(keyRef).state = state;
    },
    deny(operation, keyRef) {
      denied.add(keyRef === undefined ? operation : `${operation} ${resolve(keyRef).arn}`);
    },
    allowAll() {
      denied.clear();
    },
    fail(fault, opts = {}) {
      faults.push({ fault, remaining: opts.times ?? Number.POSITIVE_INFINITY, operation: opts.operation });
    },
    clearFaults() {
      faults.length = 0;
    },
    calls(operation) {
      if (operation !== undefined) return counts.get(operation) ?? 0;
      let total = 0;
      for (const n of counts.values()) total += n;
      return total;
    },
    resetCalls() {
      counts.clear();
      requests.length = 0;
    },
    requests,
    close() {
      for (const res of hanging) res.destroy();
      hanging.clear();
      server.closeAllConnections();
      return new Promise((resolveClose) => server.close(() => resolveClose()));
    },
  };
}

/** Env that points the AWS SDK at a local KMS server with dummy credentials and no profile files. */
export function kmsEnv(server: KmsServer, extra: NodeJS.ProcessEnv = {}): NodeJS.ProcessEnv {
  return {
    AWS_ACCESS_KEY_ID: 'AKIDSTAGESECRETSTEST',
    AWS_SECRET_ACCESS_KEY: 'test-secret-access-key-not-real',
    AWS_REGION: server.region,
    AWS_ENDPOINT_URL_KMS: server.url,
    AWS_CONFIG_FILE: '/nonexistent/stage-secrets-test/aws-config',
    AWS_SHARED_CREDENTIALS_FILE: '/nonexistent/stage-secrets-test/aws-credentials',
    AWS_EC2_METADATA_DISABLED: 'true',
    STAGE_SECRETS_KMS_MAX_ATTEMPTS: '3',
    STAGE_SECRETS_KMS_TIMEOUT_MS: '3000',
    ...extra,
  };
}
