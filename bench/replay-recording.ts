// The big recording the replay and terminal UI benchmarks share: bench/workloads/replay_big.py
// (about 10.7 million events), recorded once into bench/.cache, or REWIND_BENCH_REC.
import { spawnSync } from 'node:child_process';
import { existsSync, mkdirSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

export const ROOT = resolve(dirname(fileURLToPath(import.meta.url)), '../..');
export const SCRIPT = join(ROOT, 'bench/workloads/replay_big.py');
const CLI = join(ROOT, 'dist/src/cli/main.js');

export function recording(): string {
  const rec = process.env.REWIND_BENCH_REC ?? join(ROOT, 'bench/.cache/replay-10m');
  if (!existsSync(rec)) {
    mkdirSync(dirname(rec), { recursive: true });
    console.error(`recording ${SCRIPT} into ${rec} (once; a few minutes)…`);
    const r = spawnSync(process.execPath, [CLI, 'record', '-o', rec, SCRIPT], { stdio: ['ignore', 'ignore', 'inherit'] });
    if (r.status !== 0) throw new Error('recording the benchmark program failed');
  }
  return rec;
}
