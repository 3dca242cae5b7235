// A process that uses the built SecretClient with a runtime store, as one function instance would.
// argv: dist client path, then "update KEY VALUE" or "read KEY". With WAIT_FOR_GO=1 it loads everything
// (client, AWS SDK), prints "ready", and starts only when a line arrives on stdin, so many processes can
// be released at once. Prints one JSON line: {ok: true, value?} or {ok: false, name, code, key, message}.
// STORE_SDK names the store backend's SDK package to load before "ready" (default: the S3 client).
const [clientPath, action, key, value] = process.argv.slice(2);
const { SecretClient } = await import(clientPath);
await import(process.env.STORE_SDK || '@aws-sdk/client-s3');

const client = new SecretClient({ stage: process.env.STAGE });
if (process.env.WAIT_FOR_GO === '1') {
  process.stdout.write('ready\n');
  await new Promise((resolve) => process.stdin.once('data', resolve));
}
try {
  if (action === 'update') {
    await client.updateSecret({ key, value });
    process.stdout.write(`${JSON.stringify({ ok: true, used: client.getUsedSecrets() })}\n`);
  } else {
    const read = await client.readSecret(key);
    process.stdout.write(`${JSON.stringify({ ok: true, value: read })}\n`);
  }
} catch (err) {
  process.stdout.write(
    `${JSON.stringify({ ok: false, name: err?.name, code: err?.code, key: err?.key, message: err?.message })}\n`,
  );
}
process.stdin.destroy();
