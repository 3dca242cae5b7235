import fc from 'fast-check';

/**
 * Mutations of a valid stage file, as fast-check arbitraries. Each mutation turns the file's text into a
 * damaged or hostile one: byte-level damage (a broken disk, a bad merge, a truncated upload) and
 * field-level edits (what a hostile pull request would try). `donors` are other valid stage files (other
 * stage, other app) whose fields a hostile edit can copy in.
 */
export interface Donors {
  otherStage: Record<string, unknown>;
  otherApp: Record<string, unknown>;
}

type Json = unknown;
// biome-ignore lint/suspicious/noExplicitAny: hostile edits reach into whatever shape an earlier edit left
type Doc = Record<string, any>;

export interface Mutation {
  label: string;
  apply(text: string): string;
}

const SECRET_FIELDS = ['type', 'updated', 'sealedTo', 'epk', 'nonce', 'ct', 'tag'] as const;

function clone<T>(value: T): T {
  return JSON.parse(JSON.stringify(value)) as T;
}

function flipBase64(b64: string, index: number, bit: number): string {
  const buf = Buffer.from(b64, 'base64');
  if (buf.length === 0) return b64;
  buf[index % buf.length]! ^= 1 << bit;
  return buf.toString('base64');
}

function short(value: Json): string {
  const text = JSON.stringify(value) ?? String(value);
  return text.length > 40 ? `${text.slice(0, 37)}...` : text;
}

function nested(depth: number, open: string, close: string, inner: string): string {
  return open.repeat(depth) + inner + close.repeat(depth);
}

// ---- text level -------------------------------------------------------------------------------------

const specialText = fc.constantFrom(
  '{',
  '}',
  '[',
  ']',
  ',',
  ':',
  '"',
  '\\',
  '\u0000',
  '\n',
  '\r\n',
  '\ufeff',
  'null',
  'true',
  '1e999',
  '-0',
  '"__proto__"',
  '"constructor"',
  '\u202e',
  '\u001b[2J',
  '\n::error::injected\n',
  '{"a":1,"a":2}',
);

const textMutation: fc.Arbitrary<Mutation> = fc.oneof(
  fc.record({ pos: fc.nat(), bit: fc.integer({ min: 0, max: 7 }) }).map(({ pos, bit }) => ({
    label: `flip bit ${bit} of byte ${pos}`,
    apply: (text: string) => {
      const buf = Buffer.from(text, 'utf8');
      buf[pos % buf.length]! ^= 1 << bit;
      return buf.toString('utf8');
    },
  })),
  fc.record({ pos: fc.nat(), len: fc.integer({ min: 1, max: 300 }) }).map(({ pos, len }) => ({
    label: `delete ${len} chars at ${pos}`,
    apply: (text: string) => {
      const at = pos % text.length;
      return text.slice(0, at) + text.slice(at + len);
    },
  })),
  fc
    .record({
      pos: fc.nat(),
      insert: fc.oneof(specialText, fc.string({ maxLength: 12 }), fc.string({ unit: 'binary', maxLength: 6 })),
    })
    .map(({ pos, insert }) => ({
      label: `insert ${JSON.stringify(insert)} at ${pos}`,
      apply: (text: string) => {
        const at = pos % (text.length + 1);
        return text.slice(0, at) + insert + text.slice(at);
      },
    })),
  fc.nat().map((pos) => ({ label: `truncate at ${pos}`, apply: (text: string) => text.slice(0, pos % text.length) })),
  fc.record({ i: fc.nat(), j: fc.nat(), op: fc.constantFrom('swap', 'duplicate', 'drop') }).map(({ i, j, op }) => ({
    label: `${op} lines ${i}/${j}`,
    apply: (text: string) => {
      const lines = text.split('\n');
      const a = i % lines.length;
      const b = j % lines.length;
      if (op === 'swap') [lines[a], lines[b]] = [lines[b]!, lines[a]!];
      else if (op === 'duplicate') lines.splice(b, 0, lines[a]!);
      else lines.splice(a, 1);
      return lines.join('\n');
    },
  })),
  fc.record({ nth: fc.nat(), char: fc.constantFrom('A', '/', '+', '=', '-', '_', '*', ' ') }).map(({ nth, char }) => ({
    label: `change base64 char #${nth} to ${char}`,
    apply: (text: string) => {
      const spots = [...text.matchAll(/"(?:epk|nonce|ct|tag|publicKey|wrapped)": ?"([^"]+)"/g)];
      if (spots.length === 0) return text;
      const m = spots[nth % spots.length]!;
      const start = m.index! + m[0].length - 1 - m[1]!.length;
      const at = start + (nth % m[1]!.length);
      return text.slice(0, at) + char + text.slice(at + 1);
    },
  })),
);

// ---- field level ------------------------------------------------------------------------------------

const hostileValue: fc.Arbitrary<Json> = fc.oneof(
  fc.jsonValue({ maxDepth: 3 }),
  fc.constantFrom<Json>(
    null,
    '',
    2,
    1.5,
    '1',
    -1,
    1e308,
    'AAAA',
    'A'.repeat(70_000),
    ['x'],
    {},
    { __proto__: null },
    'local:x\n::warning::hi',
  ),
  fc.integer({ min: 1, max: 2_000 }).map((depth) => JSON.parse(nested(depth, '[', ']', '0')) as Json),
);

function secretNames(doc: Doc): string[] {
  return doc.secrets && typeof doc.secrets === 'object' ? Object.keys(doc.secrets as object) : [];
}

type Edit = { label: string; edit(doc: Doc, donors: Donors): void };

const fieldEdit: fc.Arbitrary<Edit> = fc.oneof(
  fc
    .record({
      key: fc.constantFrom('version', 'app', 'stage', 'publicKey', 'identities', 'secrets', 'extra'),
      value: hostileValue,
    })
    .map(({ key, value }) => ({
      label: `top-level ${key} := ${short(value)}`,
      edit: (doc: Doc) => void (doc[key] = value),
    })),
  fc.constantFrom('version', 'app', 'stage', 'publicKey', 'identities', 'secrets').map((key) => ({
    label: `delete ${key}`,
    edit: (doc: Doc) => void delete doc[key],
  })),
  fc
    .record({ n: fc.nat(), field: fc.constantFrom(...SECRET_FIELDS), value: hostileValue })
    .map(({ n, field, value }) => ({
      label: `secret #${n}.${field} := ${short(value)}`,
      edit: (doc: Doc) => {
        const names = secretNames(doc);
        if (names.length) doc.secrets[names[n % names.length]!][field] = value;
      },
    })),
  fc
    .record({
      n: fc.nat(),
      field: fc.constantFrom('ct', 'nonce', 'tag', 'epk'),
      index: fc.nat(),
      bit: fc.integer({ min: 0, max: 7 }),
    })
    .map(({ n, field, index, bit }) => ({
      label: `flip bit ${bit} of byte ${index} of secret #${n}.${field}`,
      edit: (doc: Doc) => {
        const names = secretNames(doc);
        if (!names.length) return;
        const entry = doc.secrets[names[n % names.length]!];
        entry[field] = flipBase64(entry[field] as string, index, bit);
      },
    })),
  fc
    .record({ n: fc.nat(), field: fc.constantFrom('ct', 'nonce', 'tag', 'epk'), keep: fc.nat() })
    .map(({ n, field, keep }) => ({
      label: `truncate secret #${n}.${field}`,
      edit: (doc: Doc) => {
        const names = secretNames(doc);
        if (!names.length) return;
        const entry = doc.secrets[names[n % names.length]!];
        const buf = Buffer.from(entry[field] as string, 'base64');
        entry[field] = buf.subarray(0, keep % Math.max(1, buf.length)).toString('base64');
      },
    })),
  fc
    .record({
      a: fc.nat(),
      b: fc.nat(),
      field: fc.constantFrom<'all' | (typeof SECRET_FIELDS)[number]>('all', ...SECRET_FIELDS),
    })
    .map(({ a, b, field }) => ({
      label: `swap ${field} of secrets #${a} and #${b}`,
      edit: (doc: Doc) => {
        const names = secretNames(doc);
        if (names.length < 2) return;
        const x = names[a % names.length]!;
        const y = names[(a + 1 + (b % (names.length - 1))) % names.length]!;
        if (field === 'all') [doc.secrets[x], doc.secrets[y]] = [doc.secrets[y], doc.secrets[x]];
        else [doc.secrets[x][field], doc.secrets[y][field]] = [doc.secrets[y][field], doc.secrets[x][field]];
      },
    })),
  fc
    .record({
      n: fc.nat(),
      to: fc.constantFrom(
        'NODE_OPTIONS',
        'ld_preload',
        'Aws_Region',
        'path',
        'STAGE_SECRETS_KEYS',
        'constructor',
        'toString',
        'NEW_NAME',
        'port',
        '9BAD',
        '__proto__',
      ),
    })
    .map(({ n, to }) => ({
      label: `rename secret #${n} to ${to}`,
      edit: (doc: Doc) => {
        const names = secretNames(doc);
        if (!names.length) return;
        const from = names[n % names.length]!;
        const entry = doc.secrets[from];
        delete doc.secrets[from];
        Object.defineProperty(doc.secrets, to, { value: entry, enumerable: true, writable: true, configurable: true });
      },
    })),
  fc.record({ n: fc.nat(), to: fc.constantFrom('NODE_OPTIONS', 'Path', 'port', 'COPY_OF') }).map(({ n, to }) => ({
    label: `copy secret #${n} to ${to}`,
    edit: (doc: Doc) => {
      const names = secretNames(doc);
      if (names.length) doc.secrets[to] = clone(doc.secrets[names[n % names.length]!]);
    },
  })),
  fc
    .record({
      donor: fc.constantFrom<keyof Donors>('otherStage', 'otherApp'),
      what: fc.constantFrom(
        'publicKey',
        'identities',
        'publicKey+identities',
        'secret',
        'everything-but-app-and-stage',
      ),
      n: fc.nat(),
    })
    .map(({ donor, what, n }) => ({
      label: `copy ${what} from ${donor}`,
      edit: (doc: Doc, donors: Donors) => {
        const from = donors[donor] as Doc;
        if (what.includes('publicKey')) doc.publicKey = from.publicKey;
        if (what.includes('identities')) doc.identities = clone(from.identities);
        if (what === 'secret') {
          const names = secretNames(from);
          const name = names[n % names.length]!;
          doc.secrets[name] = clone(from.secrets[name]);
        }
        if (what === 'everything-but-app-and-stage') {
          doc.publicKey = from.publicKey;
          doc.identities = clone(from.identities);
          doc.secrets = clone(from.secrets);
        }
      },
    })),
  fc
    .record({
      field: fc.constantFrom('id', 'fingerprint', 'nonce', 'wrapped', 'tag', 'type', 'created', 'extra'),
      value: hostileValue,
    })
    .map(({ field, value }) => ({
      label: `identity.${field} := ${short(value)}`,
      edit: (doc: Doc) => {
        if (Array.isArray(doc.identities) && doc.identities[0]) doc.identities[0][field] = value;
      },
    })),
  fc.constantFrom('../../../../etc/passwd', 'ABCDEF0123456789', '0000000000000000').map((fp) => ({
    label: `identity.fingerprint := ${fp}`,
    edit: (doc: Doc) => void (doc.identities[0].fingerprint = fp),
  })),
  // Edits that leave a valid file: what opens must still be exactly what was sealed.
  fc.nat().map((n) => ({
    label: `remove secret #${n}`,
    edit: (doc: Doc) => {
      const names = secretNames(doc);
      if (names.length) delete doc.secrets[names[n % names.length]!];
    },
  })),
  fc.constant({
    label: 'reverse the order of secrets and fields',
    edit: (doc: Doc) => {
      doc.secrets = Object.fromEntries(
        Object.entries(doc.secrets as Record<string, Record<string, unknown>>)
          .reverse()
          .map(([name, entry]) => [name, Object.fromEntries(Object.entries(entry).reverse())]),
      );
    },
  }),
  fc
    .integer({ min: 2, max: 1_000_000 })
    .map((version) => ({ label: `version := ${version}`, edit: (doc: Doc) => void (doc.version = version) })),
);

const serializeWith = fc.constantFrom<(doc: Doc) => string>(
  (doc) => JSON.stringify(doc),
  (doc) => JSON.stringify(doc, null, 2),
  (doc) => `${JSON.stringify(doc, null, '\t')}\n`,
);

/** One to three mutations, text or field level, applied in order. */
export function mutationArbitrary(donors: Donors): fc.Arbitrary<Mutation[]> {
  const fieldMutation: fc.Arbitrary<Mutation> = fc
    .tuple(fc.array(fieldEdit, { minLength: 1, maxLength: 2 }), serializeWith)
    .map(([edits, serialize]) => ({
      label: edits.map((e) => e.label).join('; '),
      apply: (text: string) => {
        let doc: Doc;
        try {
          doc = JSON.parse(text) as Doc;
        } catch {
          return text; // already broken by a text mutation; nothing to edit field-wise
        }
        if (
          !doc ||
          typeof doc !== 'object' ||
          !doc.secrets ||
          typeof doc.secrets !== 'object' ||
          !Array.isArray(doc.identities)
        )
          return text;
        for (const e of edits) {
          try {
            e.edit(doc, donors);
          } catch {
            // an earlier edit changed the shape this one expects: it simply does not apply
          }
        }
        return serialize(doc);
      },
    }));
  return fc.array(fc.oneof({ arbitrary: textMutation, weight: 2 }, { arbitrary: fieldMutation, weight: 3 }), {
    minLength: 1,
    maxLength: 3,
  });
}

export function applyAll(text: string, mutations: Mutation[]): string {
  return mutations.reduce((t, m) => m.apply(t), text);
}
