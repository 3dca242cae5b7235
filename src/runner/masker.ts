/**
 * Streaming masker: replaces every occurrence of any of a set of byte patterns with `***`.
 *
 * An Aho-Corasick automaton over bytes finds all occurrences in one pass. Every byte covered by an
 * occurrence is masked, and each contiguous run of masked bytes becomes one `***` (so a value that
 * contains another, or two overlapping values, never leave a piece in clear). Output is identical
 * however the input is split into chunks.
 *
 * Only bytes that may still turn out to be the start of a value are held back: at most the longest
 * value's length minus one, and usually none. Everything else is returned by the push that brought it.
 * Held bytes are never written in clear while they may begin a value, however long the stream pauses:
 * they come out when later bytes rule the value out, as `***` when they complete it, and at the end of
 * the stream as `***` when they are long enough to give much of a value away (see `end`).
 */

import { MIN_MASK_LENGTH } from '../core/mask-texts.js';

const STARS = Buffer.from('***');
const EMPTY = Buffer.alloc(0);

/** Default cap of the dense transition table (entries of 4 bytes): 32 MB. */
const DEFAULT_MAX_TABLE_ENTRIES = 8 * 1024 * 1024;

export interface MaskerOptions {
  /**
   * Largest dense transition table, in entries. States beyond it (the deepest ones, rarely visited)
   * walk sparse edges and failure links instead, so memory stays linear in the total value length.
   */
  maxTableEntries?: number;
  /**
   * At the end of the stream, held bytes that may begin a value are written as `***` when they are at
   * least this many characters (default MIN_MASK_LENGTH) or half the bytes of the shortest value they begin.
   */
  endMaskChars?: number;
}

/**
 * The compiled form of a set of values: immutable once built, so one automaton serves any number of
 * streams at once (`run` masks stdout and stderr with one; its tables are most of a masker's memory).
 */
export class MaskAutomaton {
  /** Length in bytes of the longest pattern (0 without patterns). */
  readonly maxLength: number;
  /** Number of distinct non-empty patterns. */
  readonly patternCount: number;

  // Byte → class; bytes that occur in no pattern share class 0.
  readonly byteClass = new Uint16Array(256);
  readonly classCount: number;
  // Trie in breadth-first order: children of a state are consecutive ids.
  readonly stateCount: number;
  readonly label: Uint16Array;
  readonly childStart: Int32Array;
  readonly childCount: Uint16Array;
  readonly fail: Int32Array;
  /** length of the longest pattern ending at this state (0: none) */
  readonly matchLen: Int32Array;
  /** how many trailing bytes may still begin a match (depth of the deepest extendable suffix state) */
  readonly holdLen: Int32Array;
  /** length of the shortest pattern that begins with those trailing bytes */
  readonly holdPatternLen: Int32Array;
  /**
   * Dense DFA rows for the first denseStates states. Entries are state codes (see codeOf), or ~code
   * when that state ends a match, so the hot loop needs no multiply and one sign test.
   */
  readonly delta: Int32Array;
  readonly denseStates: number;
  /** codes below this are dense (id × classCount); codes from it on are denseLimit + id */
  readonly denseLimit: number;

  /**
   * Prefilter, when every pattern has 3+ bytes: a hashed bitset of the 3-byte groups at offsets
   * 0..stride-1 of every pattern. Checking the 3 bytes at every stride-th position q tells whether a
   * match can start in (q-stride, q]; runs of positions where none can are skipped without walking
   * the automaton (a loop with no dependent table load per byte, and one check per stride bytes).
   */
  readonly starts3: Int32Array | undefined;
  readonly stride: number = 1;
  /** state codes below this have depth 1 or 0 */
  readonly depth1Limit: number = 0;
  /** state codes below this have depth 2 or less */
  readonly shallowLimit: number = 0;

  constructor(values: Iterable<string | Uint8Array>, options: MaskerOptions = {}) {
    const patterns = uniquePatterns(values);
    this.patternCount = patterns.length;
    let total = 0;
    let maxLength = 0;
    let classes = 1;
    for (const p of patterns) {
      total += p.length;
      if (p.length > maxLength) maxLength = p.length;
      for (const b of p) if (this.byteClass[b] === 0) this.byteClass[b] = classes++;
    }
    this.maxLength = maxLength;
    this.classCount = classes;

    // 1. Trie with first-child / next-sibling links (typed arrays: memory linear in total length).
    const capacity = total + 1;
    const tChild = new Int32Array(capacity).fill(-1);
    const tSibling = new Int32Array(capacity).fill(-1);
    const tLabel = new Uint16Array(capacity);
    const tTerminal = new Uint8Array(capacity);
    let nodes = 1;
    for (const p of patterns) {
      let u = 0;
      for (const b of p) {
        const c = this.byteClass[b]!;
        let v = tChild[u]!;
        while (v !== -1 && tLabel[v] !== c) v = tSibling[v]!;
        if (v === -1) {
          v = nodes++;
          tLabel[v] = c;
          tSibling[v] = tChild[u]!;
          tChild[u] = v;
        }
        u = v;
      }
      tTerminal[u] = 1;
    }

    // 2. Renumber breadth-first so shallow (hot) states get small ids and children are consecutive.
    const n = nodes;
    this.stateCount = n;
    const order = new Int32Array(n);
    this.label = new Uint16Array(n);
    this.childStart = new Int32Array(n);
    this.childCount = new Uint16Array(n);
    const depth = new Int32Array(n);
    const terminal = new Uint8Array(n);
    let tail = 1;
    for (let id = 0; id < n; id++) {
      const old = order[id]!;
      this.label[id] = tLabel[old]!;
      terminal[id] = tTerminal[old]!;
      this.childStart[id] = tail;
      for (let v = tChild[old]!; v !== -1; v = tSibling[v]!) {
        depth[tail] = depth[id]! + 1;
        order[tail++] = v;
      }
      this.childCount[id] = tail - this.childStart[id]!;
    }
    // shortest pattern through each state, children before parents (reverse breadth-first order)
    const shortestBelow = new Int32Array(n);
    for (let id = n - 1; id >= 0; id--) {
      let m = terminal[id] ? depth[id]! : 0x7fffffff;
      const first = this.childStart[id]!;
      const last = first + this.childCount[id]!;
      for (let v = first; v < last; v++) if (shortestBelow[v]! < m) m = shortestBelow[v]!;
      shortestBelow[id] = m;
    }
    let depth1 = 0;
    let shallow = 0;
    while (shallow < n && depth[shallow]! <= 2) {
      if (depth[shallow]! <= 1) depth1++;
      shallow++;
    }

    // 3. Failure links, match and hold lengths, and the dense rows, in breadth-first order.
    this.fail = new Int32Array(n);
    this.matchLen = new Int32Array(n);
    this.holdLen = new Int32Array(n);
    this.holdPatternLen = new Int32Array(n);
    const budget = options.maxTableEntries ?? DEFAULT_MAX_TABLE_ENTRIES;
    this.denseStates = Math.max(1, Math.min(n, Math.floor(budget / classes)));
    this.denseLimit = this.denseStates * classes;
    this.delta = new Int32Array(this.denseLimit);
    for (let u = 0; u < n; u++) {
      const first = this.childStart[u]!;
      const last = first + this.childCount[u]!;
      for (let v = first; v < last; v++) {
        const f = u === 0 ? 0 : this.next(this.fail[u]!, this.label[v]!);
        this.fail[v] = f;
        this.matchLen[v] = terminal[v] ? depth[v]! : this.matchLen[f]!;
        const extendable = this.childCount[v]! > 0;
        this.holdLen[v] = extendable ? depth[v]! : this.holdLen[f]!;
        this.holdPatternLen[v] = extendable ? shortestBelow[v]! : this.holdPatternLen[f]!;
      }
      if (u < this.denseStates) {
        const row = u * classes;
        const failRow = this.fail[u]! * classes;
        for (let c = 0; c < classes; c++) this.delta[row + c] = u === 0 ? 0 : this.delta[failRow + c]!;
        for (let v = first; v < last; v++) this.delta[row + this.label[v]!] = this.encode(v);
      }
    }

    const minLength = patterns.reduce((m, p) => Math.min(m, p.length), Infinity);
    if (patterns.length > 0 && minLength >= 3 && shallow <= this.denseStates) {
      // a match of length >= stride + 2 has a 3-byte group at each offset below stride
      this.stride = Math.min(MAX_STRIDE, minLength - 2);
      const bits = new Int32Array(1 << (START_HASH_BITS - 5));
      for (const p of patterns) {
        for (let o = 0; o < this.stride; o++) {
          const h = startHash((p[o]! << 16) | (p[o + 1]! << 8) | p[o + 2]!);
          bits[h >>> 5] = bits[h >>> 5]! | (1 << (h & 31));
        }
      }
      this.starts3 = bits;
      this.depth1Limit = depth1 * classes;
      this.shallowLimit = shallow * classes;
    }
  }

  private codeOf(id: number): number {
    return id < this.denseStates ? id * this.classCount : this.denseLimit + id;
  }

  idOf(code: number): number {
    return code < this.denseLimit ? code / this.classCount : code - this.denseLimit;
  }

  /** A state's code as stored in delta: negated when the state ends a match. */
  private encode(id: number): number {
    return this.matchLen[id]! > 0 ? ~this.codeOf(id) : this.codeOf(id);
  }

  /** Transition from a state code without a dense row. Encoded like delta. */
  sparseStep(code: number, c: number): number {
    return this.encode(this.next(this.idOf(code), c));
  }

  /** The automaton's next state id from state id `state` on byte class `c`. */
  private next(state: number, c: number): number {
    let s = state;
    for (;;) {
      if (s < this.denseStates) {
        const v = this.delta[s * this.classCount + c]!;
        return this.idOf(v < 0 ? ~v : v);
      }
      const first = this.childStart[s]!;
      const last = first + this.childCount[s]!;
      for (let v = first; v < last; v++) if (this.label[v] === c) return v;
      s = this.fail[s]!;
    }
  }
}

/** Masks one stream with an automaton; several maskers may share one automaton. */
export class Masker {
  /** Length in bytes of the longest pattern (0 without patterns). */
  readonly maxLength: number;
  /** Number of distinct non-empty patterns. */
  readonly patternCount: number;
  private readonly automaton: MaskAutomaton;
  private readonly endMaskChars: number;

  // Stream state. Positions are absolute byte offsets in the stream.
  /** current automaton state, as a code */
  private state = 0;
  private pos = 0;
  /** bytes [pos - heldLen, pos): received but not yet returned */
  private readonly held: Buffer;
  private heldLen = 0;
  /** pending masked intervals inside the held region or the current chunk, sorted and disjoint */
  private maskStarts: number[] = [];
  private maskEnds: number[] = [];
  /** end of the last `***` returned, so a masked run that continues it adds no second `***` */
  private lastMaskEnd = -1;

  constructor(values: MaskAutomaton | Iterable<string | Uint8Array>, options: MaskerOptions = {}) {
    this.automaton = values instanceof MaskAutomaton ? values : new MaskAutomaton(values, options);
    this.endMaskChars = options.endMaskChars ?? MIN_MASK_LENGTH;
    this.maxLength = this.automaton.maxLength;
    this.patternCount = this.automaton.patternCount;
    this.held = Buffer.alloc(Math.max(this.maxLength, 1));
  }

  /** Bytes currently held back because they may begin a value. */
  get heldLength(): number {
    return this.heldLen;
  }

  /**
   * Feeds a chunk; returns what can be written now. The result may share memory with `chunk`
   * (callers must not change `chunk` afterwards).
   */
  push(chunk: Uint8Array): Buffer {
    const n = chunk.length;
    if (n === 0) return EMPTY;
    if (this.patternCount === 0) return asBuffer(chunk, n);
    const a = this.automaton;
    const base = this.pos;
    const classOf = a.byteClass;
    const delta = a.delta;
    const classes = a.classCount;
    let s = this.state;
    if (a.starts3) s = this.scanFiltered(chunk, base, s);
    else if (a.denseStates === a.stateCount) {
      for (let i = 0; i < n; i++) {
        const v = delta[s + classOf[chunk[i]!]!]!;
        if (v < 0) {
          s = ~v;
          this.addMask(base + i + 1 - a.matchLen[s / classes]!, base + i + 1);
        } else s = v;
      }
    } else {
      const limit = a.denseLimit;
      for (let i = 0; i < n; i++) {
        const c = classOf[chunk[i]!]!;
        const v = s < limit ? delta[s + c]! : a.sparseStep(s, c);
        if (v < 0) {
          s = ~v;
          this.addMask(base + i + 1 - a.matchLen[a.idOf(s)]!, base + i + 1);
        } else s = v;
      }
    }
    this.state = s;
    this.pos = base + n;
    return this.emit(chunk, base, this.pos - a.holdLen[a.idOf(s)]!);
  }

  /**
   * The automaton with the 3-byte prefilter: while the state is shallow (depth <= 2), skip ahead to
   * the first position where a value may start and restart from the root there. Dropping a shallow
   * state loses nothing: a match starting at one of its (at most 2) bytes is covered by the checks,
   * which begin at its first byte. Returns the state code after the chunk.
   */
  private scanFiltered(chunk: Uint8Array, base: number, state: number): number {
    const n = chunk.length;
    const a = this.automaton;
    const bits = a.starts3!;
    const classOf = a.byteClass;
    const delta = a.delta;
    const limit = a.denseLimit;
    const shallow = a.shallowLimit;
    const depth1 = a.depth1Limit;
    const stride = a.stride;
    let s = state;
    let i = 0;
    // after a restart, walk at least the candidate's 3 bytes before looking for the next one
    let walkUntil = 0;
    while (i < n) {
      if (s < shallow && i >= walkUntil) {
        const d = s === 0 ? 0 : s < depth1 ? 1 : 2;
        if (i >= d) {
          // no match can start before i - d; the check at q covers starts in (q - stride, q]
          let q = i - d + stride - 1;
          while (q + 2 < n) {
            const h = startHash((chunk[q]! << 16) | (chunk[q + 1]! << 8) | chunk[q + 2]!);
            if ((bits[h >>> 5]! & (1 << (h & 31))) !== 0) break;
            q += stride;
          }
          s = 0;
          i = q - stride + 1;
          walkUntil = q + 3;
        }
      }
      const c = classOf[chunk[i]!]!;
      const v = s < limit ? delta[s + c]! : a.sparseStep(s, c);
      if (v < 0) {
        s = ~v;
        this.addMask(base + i + 1 - a.matchLen[a.idOf(s)]!, base + i + 1);
      } else s = v;
      i++;
    }
    return s;
  }

  /**
   * For output that pauses: returns what may be written now without waiting for more bytes. That is
   * never a byte that may still begin a value; only held bytes that already completed a value (and
   * may continue into a longer one) come out, as `***`. If the value continues, no second `***` follows.
   */
  flush(): Buffer {
    const frontier = this.pos - this.heldLen;
    if (this.maskStarts.length === 0 || this.maskStarts[0]! > frontier) return EMPTY;
    return this.emit(EMPTY, this.pos, Math.min(this.maskEnds[0]!, this.pos));
  }

  /**
   * Ends the stream: returns everything still held. Held bytes that may begin a value become `***`
   * when they are at least `endMaskChars` characters or half the shortest value they begin: a stream
   * that stops there was most likely cut off while writing that value (a killed child, a timeout).
   * A shorter tail is written as it is; it gives away no more than a value too short to be masked.
   * The masker can then be reused for a new stream.
   */
  end(): Buffer {
    let out: Buffer = EMPTY;
    if (this.heldLen > 0 || this.maskStarts.length > 0) {
      if (this.heldLen > 0 && this.heldTailGivesAway()) this.addMask(this.pos - this.heldLen, this.pos);
      out = this.emit(EMPTY, this.pos, this.pos);
    }
    this.state = 0;
    this.pos = 0;
    this.lastMaskEnd = -1;
    return out;
  }

  /** Whether the bytes that may begin a value are long enough to be masked at the end of the stream. */
  private heldTailGivesAway(): boolean {
    const a = this.automaton;
    const id = a.idOf(this.state);
    const prefix = a.holdLen[id]!;
    if (2 * prefix >= a.holdPatternLen[id]!) return true;
    // characters, counted as UTF-8 lead bytes; bytes a flush already wrote as *** count one each
    let chars = prefix - this.heldLen;
    for (let i = 0; i < this.heldLen; i++) if ((this.held[i]! & 0xc0) !== 0x80) chars++;
    return chars >= this.endMaskChars;
  }

  private addMask(start: number, end: number): void {
    // After a flush, a value that continues may have begun in bytes already written.
    let a = Math.max(start, this.pos - this.heldLen);
    const starts = this.maskStarts;
    const ends = this.maskEnds;
    while (starts.length > 0 && a <= ends[ends.length - 1]!) {
      a = Math.min(a, starts.pop()!);
      ends.pop();
    }
    starts.push(a);
    ends.push(end);
  }

  /**
   * Returns the stream bytes [frontier, upTo), where the stream is the held bytes followed by
   * `chunk` (which starts at `base`), and keeps [upTo, pos) held.
   */
  private emit(chunk: Uint8Array, base: number, upTo: number): Buffer {
    const frontier = base - this.heldLen;
    const end = Math.max(upTo, frontier);
    let out: Buffer;
    if (this.maskStarts.length === 0) {
      if (this.heldLen === 0) out = asBuffer(chunk, end - base);
      else {
        out = Buffer.allocUnsafe(end - frontier);
        this.copyRange(out, 0, frontier, end, chunk, base);
      }
    } else {
      out = this.emitMasked(chunk, base, frontier, end);
    }
    this.keep(chunk, base, frontier, end);
    return out;
  }

  private emitMasked(chunk: Uint8Array, base: number, frontier: number, end: number): Buffer {
    const starts = this.maskStarts;
    const ends = this.maskEnds;
    let count = 0;
    while (count < starts.length && starts[count]! < end) count++;
    // Size first, then fill.
    let size = 0;
    let cursor = frontier;
    let lastMask = this.lastMaskEnd;
    for (let k = 0; k < count; k++) {
      const a = starts[k]!;
      size += a - cursor;
      if (a !== lastMask) size += STARS.length;
      cursor = Math.min(ends[k]!, end);
      lastMask = cursor;
    }
    size += end - cursor;
    const out = Buffer.allocUnsafe(size);
    let o = 0;
    cursor = frontier;
    for (let k = 0; k < count; k++) {
      const a = starts[k]!;
      o = this.copyRange(out, o, cursor, a, chunk, base);
      if (a !== this.lastMaskEnd) o += STARS.copy(out, o);
      cursor = Math.min(ends[k]!, end);
      this.lastMaskEnd = cursor;
    }
    this.copyRange(out, o, cursor, end, chunk, base);
    // A masked run that reaches past `end` stays pending from `end` on.
    const splitLast = count > 0 && ends[count - 1]! > end;
    starts.splice(0, splitLast ? count - 1 : count);
    ends.splice(0, splitLast ? count - 1 : count);
    if (splitLast) starts[0] = end;
    return out;
  }

  /** Copies stream bytes [from, to) into out at o; returns the new offset. */
  private copyRange(out: Buffer, o: number, from: number, to: number, chunk: Uint8Array, base: number): number {
    if (to <= from) return o;
    const heldStart = base - this.heldLen;
    if (from < base) {
      const stop = Math.min(to, base);
      this.held.copy(out, o, from - heldStart, stop - heldStart);
      o += stop - from;
      from = stop;
    }
    if (from < to) {
      out.set(chunk.subarray(from - base, to - base), o);
      o += to - from;
    }
    return o;
  }

  /** Makes [end, pos) the held bytes. */
  private keep(chunk: Uint8Array, base: number, frontier: number, end: number): void {
    const keepLen = this.pos - end;
    if (keepLen === 0) {
      this.heldLen = 0;
      return;
    }
    if (end >= base) {
      this.held.set(chunk.subarray(end - base, chunk.length), 0);
    } else {
      const fromHeld = base - end;
      this.held.copyWithin(0, end - frontier, this.heldLen);
      this.held.set(chunk, fromHeld);
    }
    this.heldLen = keepLen;
  }
}

const START_HASH_BITS = 18;
const MAX_STRIDE = 4;

/** Hash of 3 bytes (as one 24-bit number) into START_HASH_BITS bits. */
function startHash(w: number): number {
  return Math.imul(w, 0x9e3779b1) >>> (32 - START_HASH_BITS);
}

function asBuffer(chunk: Uint8Array, length: number): Buffer {
  return Buffer.isBuffer(chunk) && length === chunk.length
    ? chunk
    : Buffer.from(chunk.buffer, chunk.byteOffset, length);
}

function uniquePatterns(values: Iterable<string | Uint8Array>): Buffer[] {
  const seen = new Set<string>();
  const out: Buffer[] = [];
  for (const value of values) {
    const bytes = typeof value === 'string' ? Buffer.from(value, 'utf8') : Buffer.from(value);
    if (bytes.length === 0) continue;
    const key = bytes.toString('latin1');
    if (seen.has(key)) continue;
    seen.add(key);
    out.push(bytes);
  }
  return out;
}
