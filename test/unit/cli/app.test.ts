import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { resolveApp } from '../../../src/cli/app.js';

const dirs: string[] = [];
afterAll(() => {
  for (const dir of dirs) fs.rmSync(dir, { recursive: true, force: true });
});

/** A service whose config names its service only at run time, and a framework bin that fails `print` with `message`. */
function serviceWithFramework(message: string): string {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'stage-secrets-app-'));
  dirs.push(dir);
  fs.writeFileSync(path.join(dir, 'serverless.ts'), 'export default { service: `svc-${1 + 1}` };\n');
  fs.mkdirSync(path.join(dir, 'node_modules', '.bin'), { recursive: true });
  const bin = path.join(dir, 'node_modules', '.bin', 'serverless');
  fs.writeFileSync(bin, `process.stderr.write(${JSON.stringify(`Error:\n${message}\n`)}); process.exit(1);\n`);
  return dir;
}

describe('resolveApp', () => {
  it("names the licence gate of Serverless v4's print and asks for --app", async () => {
    // v4 source (github serverless/serverless b9d7ea51c): packages/sf-core/src/lib/auth/index.js:699-702,
    // the error every command gets in CI without a licence key or access key
    const dir = serviceWithFramework(
      'Unable to login in non-interactive mode. Please use a license key or access key, both of which you can get from the Serverless Framework Dashboard: https://app.serverless.com',
    );
    const refused = resolveApp(dir, 'dev', { PATH: process.env.PATH });
    await expect(refused).rejects.toThrow(/asks for a licence or a login before it runs any command.*Pass --app NAME/s);
  });

  it('any other failure of print keeps its reason and the --app advice, without the licence sentence', async () => {
    const dir = serviceWithFramework('Cannot resolve variable at "service": boom');
    const refused = resolveApp(dir, 'dev', { PATH: process.env.PATH });
    await expect(refused).rejects.toThrow(/Cannot resolve variable at "service": boom\)\. Pass --app NAME/);
    await expect(resolveApp(dir, 'dev', { PATH: process.env.PATH })).rejects.not.toThrow(/licence/);
  });
});
