// Flight-recorder overhead: the benchmark program (about 10.7 million events) recorded in full,
// then with --max-events and --max-size: wall time of `rewind record`, peak disk use while it
// runs (recording + raw stream, sampled), and the size of what is kept. Prints a Markdown table.
//
//   npm run bench:flight
import { spawn } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { cpus, tmpdir } from 'node:os';
import { join } from 'node:path';
import { ROOT, SCRIPT } from './replay-recording.js';
import { diskUse, peakDiskUse } from './disk.js';

const CLI = join(ROOT, 'dist/src/cli/main.js');
const mb = (b: number) => `${(b / 1e6).toFixed(1)} MB`;

async function recordOnce(out: string, extra: string[]): Promise<{ seconds: number; peak: number; kept: number }> {
  const t = process.hrtime.bigint();
  const sampler = peakDiskUse(out, 200);
  const child = spawn(process.execPath, [CLI, 'record', '-o', out, ...extra, SCRIPT], { stdio: ['ignore', 'ignore', 'pipe'] });
  let stderr = '';
  child.stderr.on('data', (d) => (stderr += d));
  const status = await new Promise<number | null>((res) => child.on('exit', res));
  const peak = sampler.stop();
  if (status !== 0) throw new Error(`rewind record ${extra.join(' ')} failed: ${stderr}`);
  return { seconds: Number(process.hrtime.bigint() - t) / 1e9, peak, kept: diskUse(out) };
}

async function main() {
  const work = mkdtempSync(join(tmpdir(), 'rewind-bench-flight-'));
  console.log(`# flight-recorder benchmark — ${cpus()[0]?.model ?? 'cpu'}, ${cpus().length} cores, node ${process.version}\n`);
  console.log('| rewind record | wall time | × full | peak disk while recording | kept on disk |');
  console.log('|---|---:|---:|---:|---:|');
  try {
    let full = 0;
    for (const extra of [[], ['--max-events', '1000000'], ['--max-size', '20MB'], ['--max-size', '2MB']]) {
      const out = join(work, `rec-${extra.join('') || 'full'}`);
      const r = await recordOnce(out, extra);
      full ||= r.seconds;
      console.log(`| ${extra.join(' ') || '(full recording)'} | ${r.seconds.toFixed(1)} s | ${(r.seconds / full).toFixed(2)} | ${mb(r.peak)} | ${mb(r.kept)} |`);
      rmSync(out, { recursive: true, force: true });
    }
  } finally {
    rmSync(work, { recursive: true, force: true });
  }
}

main().catch((err) => { console.error(err); process.exit(1); });
