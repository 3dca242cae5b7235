/** What the store needs of a stat result: the size and the kind of file. */
export interface StoreStats {
  size: number;
  mtimeMs: number;
  isFile(): boolean;
  isDirectory(): boolean;
  isFIFO(): boolean;
  isCharacterDevice(): boolean;
  isBlockDevice(): boolean;
  isSocket(): boolean;
}

/** lstat's answer: a stat result that can also be a symbolic link. */
export interface StoreLinkStats extends StoreStats {
  isSymbolicLink(): boolean;
}

/** The part of node:fs the store uses, so unit tests can hand it memfs. */
export interface StoreFs {
  readFileSync(path: string, encoding: 'utf8'): string;
  readSync(fd: number, buffer: Buffer, offset: number, length: number, position: number | null): number;
  writeSync(fd: number, data: Buffer, offset?: number, length?: number): number;
  /** `flags` as a string ('wx') or as numeric O_* flags */
  openSync(path: string, flags: string | number, mode?: number): number;
  closeSync(fd: number): void;
  fsyncSync(fd: number): void;
  fstatSync(fd: number): StoreStats;
  renameSync(from: string, to: string): void;
  unlinkSync(path: string): void;
  mkdirSync(path: string, options: { recursive: boolean }): unknown;
  statSync(path: string): StoreStats;
  lstatSync(path: string): StoreLinkStats;
  realpathSync(path: string): string;
  existsSync(path: string): boolean;
  /** optional: without it, temp files of killed writers are not cleaned up */
  readdirSync?(path: string): string[];
}
