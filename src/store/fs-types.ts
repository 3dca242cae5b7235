/** The part of node:fs the store uses, so unit tests can hand it memfs. */
export interface StoreFs {
  readFileSync(path: string, encoding: 'utf8'): string;
  writeSync(fd: number, data: Buffer, offset?: number, length?: number): number;
  openSync(path: string, flags: string, mode?: number): number;
  closeSync(fd: number): void;
  fsyncSync(fd: number): void;
  renameSync(from: string, to: string): void;
  unlinkSync(path: string): void;
  mkdirSync(path: string, options: { recursive: boolean }): unknown;
  statSync(path: string): { size: number; mtimeMs: number };
  existsSync(path: string): boolean;
  /** optional: without it, temp files of killed writers are not cleaned up */
  readdirSync?(path: string): string[];
}
