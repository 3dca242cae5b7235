// Child of the masking benchmark: writes about MB megabytes of log-like lines to stdout, with one of
// the first N secret values in every EVERY-th line. Reports on stderr the bytes and values it wrote.
// usage: node producer.mjs N MB EVERY [VALUE_SIZE]
import { secretValue } from './lib/values.mjs';

const [n, mb, every, size = '24'] = process.argv.slice(2).map(Number);
const values = Array.from({ length: n }, (_, i) => secretValue(i, size));

// One block of about 1 MB, written again and again: the producer must cost far less than the runner.
const lines = [];
let bytes = 0;
let planted = 0;
for (let i = 0; bytes < 1 << 20; i++) {
  const secret = n > 0 && i % every === 0 ? ` token=${values[planted++ % n]}` : '';
  const line = `2026-11-23T10:${String(i % 60).padStart(2, '0')}:00.${String(i % 1000).padStart(3, '0')}Z INFO req-${i} GET /api/items/${(i * 7919) % 100000} 200 ${i % 97} ms${secret}\n`;
  lines.push(line);
  bytes += Buffer.byteLength(line);
}
const block = Buffer.from(lines.join(''));
const blocks = Math.round((mb * (1 << 20)) / block.length); // 0 MB: no output (the start-up baseline)
for (let b = 0; b < blocks; b++) {
  if (!process.stdout.write(block)) await new Promise((resolve) => process.stdout.once('drain', resolve));
}
process.stderr.write(`${JSON.stringify({ bytes: blocks * block.length, values: blocks * planted })}\n`);
