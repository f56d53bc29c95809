// Packing and unpacking a recording of 10 million events: speed, and compressed bytes per event.
//
//   npm run bench:share
//   REWIND_BENCH_REC=/path/rec npm run bench:share
import { mkdtempSync, rmSync, statSync } from 'node:fs';
import { cpus, tmpdir } from 'node:os';
import { join } from 'node:path';
import { packRecording, unpackRecording } from '../src/store/rwd.js';
import { Recording } from '../src/store/store.js';
import { folderSize } from '../src/cli/share.js';
import { recording } from './replay-recording.js';

const now = () => Number(process.hrtime.bigint()) / 1e6;
const mb = (b: number) => `${(b / 1e6).toFixed(1)} MB`;

async function main() {
  const rec = recording();
  const events = (await Recording.open(rec).then(async (r) => { const n = r.eventCount; await r.close(); return n; }));
  const work = mkdtempSync(join(tmpdir(), 'rewind-bench-share-'));
  try {
    const rwd = join(work, 'big.rwd');
    let t = now();
    await packRecording(rec, rwd);
    const packMs = now() - t;
    t = now();
    await unpackRecording(rwd, join(work, 'out'));
    const unpackMs = now() - t;
    const folder = folderSize(rec), packed = statSync(rwd).size;
    console.log(`# pack / unpack benchmark — ${cpus()[0]?.model ?? 'cpu'}, ${cpus().length} cores, node ${process.version}\n`);
    console.log('| recording | folder | .rwd | bytes/event in the .rwd | pack | unpack |');
    console.log('|---|---:|---:|---:|---:|---:|');
    console.log(`| ${events.toLocaleString('en-US')} events | ${mb(folder)} | ${mb(packed)} | ${(packed / events).toFixed(2)} | ${(packMs / 1000).toFixed(1)} s (${mb(folder / (packMs / 1000))}/s) | ${(unpackMs / 1000).toFixed(1)} s (${mb(folder / (unpackMs / 1000))}/s) |`);
  } finally {
    rmSync(work, { recursive: true, force: true });
  }
}

main().catch((err) => { console.error(err); process.exit(1); });
