import * as nodeFs from 'node:fs';
import * as path from 'node:path';

/** The one call realPathOf needs (node:fs, or memfs in unit tests). */
export interface RealPathFs {
  realpathSync(path: string): string;
}

/**
 * A file's real path: absolute, symbolic links resolved. For a file or folder not made yet (or that cannot be
 * resolved), its nearest existing parent's real path with the rest appended.
 */
export function realPathOf(file: string, fs: RealPathFs = nodeFs): string {
  const absolute = path.resolve(file);
  try {
    return fs.realpathSync(absolute);
  } catch {
    const parent = path.dirname(absolute);
    return parent === absolute ? absolute : path.join(realPathOf(parent, fs), path.basename(absolute));
  }
}
