// Plays the Lambda Node.js runtime for one execution environment (test/support/lambda-invoke.ts): resolves
// _HANDLER in LAMBDA_TASK_ROOT the way the runtime does (module path + export, .js/.mjs/.cjs, package.json
// "type"), loads the module once, then invokes it once per event of argv[2] (a JSON array): the first
// invocation is the cold start, the others are warm. Prints one JSON line per invocation.
import * as fs from 'node:fs';
import { createRequire } from 'node:module';
import * as path from 'node:path';
import { pathToFileURL } from 'node:url';

const root = process.env.LAMBDA_TASK_ROOT;
const handlerString = process.env._HANDLER;
const events = JSON.parse(process.argv[2] ?? '[{}]');

function print(line) {
  process.stdout.write(`@@lambda ${JSON.stringify(line)}\n`);
}

function isModuleType(file) {
  // the nearest package.json up to the task root decides what a .js file is
  for (let dir = path.dirname(file); dir.startsWith(root); dir = path.dirname(dir)) {
    const pkg = path.join(dir, 'package.json');
    if (fs.existsSync(pkg)) return JSON.parse(fs.readFileSync(pkg, 'utf8')).type === 'module';
    if (dir === root) break;
  }
  return false;
}

async function loadHandler() {
  const slash = handlerString.lastIndexOf('/');
  const moduleRoot = handlerString.slice(0, slash + 1);
  const [moduleName, ...exportParts] = handlerString.slice(slash + 1).split('.');
  const base = path.resolve(root, moduleRoot, moduleName);
  const file = ['.js', '.mjs', '.cjs'].map((ext) => base + ext).find((f) => fs.existsSync(f));
  if (!file)
    throw Object.assign(new Error(`Cannot find module '${moduleRoot}${moduleName}'`), {
      name: 'Runtime.ImportModuleError',
    });
  const esm = file.endsWith('.mjs') || (file.endsWith('.js') && isModuleType(file));
  const mod = esm ? await import(pathToFileURL(file).href) : createRequire(path.join(root, 'index.js'))(file);
  const fn = exportParts.reduce((at, key) => (at == null ? undefined : at[key]), mod);
  if (typeof fn !== 'function')
    throw Object.assign(new Error(`${handlerString} is undefined or not exported`), {
      name: 'Runtime.HandlerNotFound',
    });
  return fn;
}

function invoke(fn, event, n) {
  return new Promise((resolve) => {
    const context = {
      functionName: process.env.AWS_LAMBDA_FUNCTION_NAME,
      awsRequestId: `req-${n}`,
      callbackWaitsForEmptyEventLoop: true,
      getRemainingTimeInMillis: () => 30_000,
    };
    let settled = false;
    const done = (err, value) => {
      if (settled) return;
      settled = true;
      resolve(
        err
          ? { error: { name: err.name, message: err.message, code: err.code } }
          : { value, callbackWaits: context.callbackWaitsForEmptyEventLoop },
      );
    };
    try {
      // LAMBDA_NO_CALLBACK: as the nodejs24.x runtime, which hands no callback and expects a promise
      const result = process.env.LAMBDA_NO_CALLBACK ? fn(event, context) : fn(event, context, done);
      if (result && typeof result.then === 'function')
        result.then(
          (v) => done(null, v),
          (e) => done(e ?? new Error('rejected')),
        );
    } catch (err) {
      done(err);
    }
  });
}

let fn;
try {
  fn = await loadHandler();
} catch (err) {
  print({ init: { error: { name: err.name, message: err.message, code: err.code } } });
  process.exit(0);
}
for (const [n, event] of events.entries()) print(await invoke(fn, event, n));
