/**
 * Reads the entries of a deployment zip: names from the central directory, contents inflated on demand.
 * Written on node:zlib instead of a dependency: serverless and osls carry zip readers (jszip, adm-zip,
 * yauzl), but not as a promise to plugins, and the few formats a Lambda package uses (stored or deflated
 * entries, zip64 for large ones) fit in this file.
 */
import * as fs from 'node:fs';
import { inflateRawSync } from 'node:zlib';
import { StageSecretsError } from '../core/errors.js';

export interface ZipEntry {
  /** the entry's path inside the zip, `/`-separated */
  name: string;
  /** uncompressed size in bytes, as the central directory records it */
  size: number;
  /** the entry's uncompressed bytes */
  read(): Buffer;
}

const EOCD = 0x06054b50;
const ZIP64_EOCD = 0x06064b50;
const ZIP64_LOCATOR = 0x07064b50;
const CENTRAL = 0x02014b50;
const LOCAL = 0x04034b50;
const MAX_COMMENT = 0xffff;

function broken(file: string, why: string): StageSecretsError {
  const message = `cannot read the package ${file} (${why}), so it cannot be checked for stage files; package again.`;
  return new StageSecretsError('IO', message);
}

function findEocd(buf: Buffer, file: string): number {
  for (let at = buf.length - 22; at >= Math.max(0, buf.length - 22 - MAX_COMMENT); at--) {
    if (buf.readUInt32LE(at) === EOCD) return at;
  }
  throw broken(file, 'no end of central directory');
}

function bigToNumber(value: bigint, file: string): number {
  if (value > BigInt(Number.MAX_SAFE_INTEGER)) throw broken(file, 'a size or offset is too large');
  return Number(value);
}

/** Where the central directory starts and how many entries it has (zip64 when the 32-bit fields overflow). */
function centralDirectory(buf: Buffer, file: string): { offset: number; count: number } {
  const eocd = findEocd(buf, file);
  let count = buf.readUInt16LE(eocd + 10);
  let offset = buf.readUInt32LE(eocd + 16);
  if (count === 0xffff || offset === 0xffffffff) {
    const locator = eocd - 20;
    if (locator < 0 || buf.readUInt32LE(locator) !== ZIP64_LOCATOR) throw broken(file, 'no zip64 locator');
    const record = bigToNumber(buf.readBigUInt64LE(locator + 8), file);
    if (record + 56 > buf.length || buf.readUInt32LE(record) !== ZIP64_EOCD) throw broken(file, 'no zip64 end record');
    count = bigToNumber(buf.readBigUInt64LE(record + 32), file);
    offset = bigToNumber(buf.readBigUInt64LE(record + 48), file);
  }
  return { offset, count };
}

/** Sizes and offset from the zip64 extra field, for the 32-bit fields that say 0xffffffff. */
function zip64Fields(extra: Buffer, fields: { size: number; compressed: number; local: number }, file: string): void {
  for (let at = 0; at + 4 <= extra.length; ) {
    const id = extra.readUInt16LE(at);
    const len = extra.readUInt16LE(at + 2);
    if (id === 0x0001) {
      let p = at + 4;
      const next = (): number => {
        if (p + 8 > at + 4 + len) throw broken(file, 'short zip64 field');
        const v = bigToNumber(extra.readBigUInt64LE(p), file);
        p += 8;
        return v;
      };
      if (fields.size === 0xffffffff) fields.size = next();
      if (fields.compressed === 0xffffffff) fields.compressed = next();
      if (fields.local === 0xffffffff) fields.local = next();
      return;
    }
    at += 4 + len;
  }
}

/** Every entry of the zip at `file`, in central-directory order. */
export function readZipEntries(file: string): ZipEntry[] {
  const buf = fs.readFileSync(file);
  if (buf.length < 22) throw broken(file, 'too short for a zip');
  const { offset, count } = centralDirectory(buf, file);
  const entries: ZipEntry[] = [];
  let at = offset;
  for (let i = 0; i < count; i++) {
    if (at + 46 > buf.length || buf.readUInt32LE(at) !== CENTRAL) {
      throw broken(file, 'a central directory record is damaged');
    }
    const method = buf.readUInt16LE(at + 10);
    const nameLength = buf.readUInt16LE(at + 28);
    const extraLength = buf.readUInt16LE(at + 30);
    const commentLength = buf.readUInt16LE(at + 32);
    const name = buf.toString('utf8', at + 46, at + 46 + nameLength);
    const fields = {
      size: buf.readUInt32LE(at + 24),
      compressed: buf.readUInt32LE(at + 20),
      local: buf.readUInt32LE(at + 42),
    };
    zip64Fields(buf.subarray(at + 46 + nameLength, at + 46 + nameLength + extraLength), fields, file);
    at += 46 + nameLength + extraLength + commentLength;
    entries.push({ name, size: fields.size, read: () => entryData(buf, file, name, method, fields) });
  }
  return entries;
}

type Place = { compressed: number; local: number };

function entryData(buf: Buffer, file: string, name: string, method: number, fields: Place): Buffer {
  const header = fields.local;
  if (header + 30 > buf.length || buf.readUInt32LE(header) !== LOCAL) {
    throw broken(file, `the entry ${name} is damaged`);
  }
  const start = header + 30 + buf.readUInt16LE(header + 26) + buf.readUInt16LE(header + 28);
  const data = buf.subarray(start, start + fields.compressed);
  if (data.length !== fields.compressed) throw broken(file, `the entry ${name} is cut short`);
  if (method === 0) return data;
  if (method === 8) return inflateRawSync(data);
  throw broken(file, `the entry ${name} uses compression method ${method}`);
}
