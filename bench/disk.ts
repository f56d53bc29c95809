// Disk use as the file system counts it (allocated blocks: holes in a sparse file are free),
// of every file whose path starts with `prefix`: a recording, its .partial-PID folder and its
// raw stream. Shared by the flight-recorder benchmark and its test.
import { readdirSync, statSync } from 'node:fs';
import { dirname, join } from 'node:path';

export function diskUse(prefix: string): number {
  let total = 0;
  const walk = (p: string) => {
    const s = statSync(p, { throwIfNoEntry: false });
    if (!s) return;
    if (s.isDirectory()) for (const n of readdirSync(p)) walk(join(p, n));
    else total += s.blocks * 512;
  };
  const dir = dirname(prefix);
  for (const n of readdirSync(dir)) if (join(dir, n).startsWith(prefix)) walk(join(dir, n));
  return total;
}

/** Samples diskUse(prefix) every `ms` until stopped; the peak. */
export function peakDiskUse(prefix: string, ms = 100): { stop(): number } {
  let peak = 0;
  const sample = () => {
    try { peak = Math.max(peak, diskUse(prefix)); } catch { /* a file went away mid-walk */ }
  };
  const timer = setInterval(sample, ms);
  return { stop: () => { clearInterval(timer); sample(); return peak; } };
}
