import { spawn } from 'node:child_process';

/** The platform's opener; undefined where none is known. */
function opener(platform: NodeJS.Platform): { command: string; args: string[] } | undefined {
  if (platform === 'darwin') return { command: 'open', args: [] };
  if (platform === 'win32') return { command: 'cmd', args: ['/c', 'start', '""'] };
  if (platform === 'linux' || platform.endsWith('bsd')) return { command: 'xdg-open', args: [] };
  return undefined;
}

/**
 * Asks the desktop to open `url` in the browser. Best effort: no opener, or one that fails, leaves the
 * console running (the URL is printed anyway); its output is ignored.
 */
export function openBrowser(url: string, platform: NodeJS.Platform = process.platform): void {
  const how = opener(platform);
  if (!how) return;
  try {
    const child = spawn(how.command, [...how.args, url], { stdio: 'ignore', detached: true });
    child.on('error', () => undefined);
    child.unref();
  } catch {
    // spawn can throw synchronously on odd platforms: the printed URL still works
  }
}
