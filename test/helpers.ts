// Shared by the end-to-end tests: run the built CLI as a subprocess, find interpreters.
import { spawnSync, type SpawnSyncOptions } from 'node:child_process';
import { mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { Recording, type FrameRecord } from '../src/store/store.js';

export const ROOT = resolve(dirname(fileURLToPath(import.meta.url)), '..');
export const CLI = join(ROOT, 'dist/src/cli/main.js');
export const PROGRAMS = join(ROOT, 'test/programs');

export interface Run { status: number | null; signal: string | null; stdout: string; stderr: string }

export function run(cmd: string, args: string[], opts: SpawnSyncOptions = {}): Run {
  const r = spawnSync(cmd, args, { encoding: 'utf8', timeout: 120_000, maxBuffer: 1 << 28, ...opts });
  if (r.error) throw r.error;
  return { status: r.status, signal: r.signal, stdout: String(r.stdout), stderr: String(r.stderr) };
}

export function rewind(args: string[], opts: SpawnSyncOptions = {}): Run {
  return run(process.execPath, [CLI, ...args], opts);
}

export function tmp(prefix = 'rewind-test-'): string {
  return mkdtempSync(join(tmpdir(), prefix));
}

/** `rewind dump --json` as objects. */
export function dump(rec: string, extra: string[] = []): any[] {
  const r = rewind(['dump', '--json', rec, ...extra]);
  if (r.status !== 0) throw new Error(`dump failed: ${r.stderr}`);
  return r.stdout.trim().split('\n').filter(Boolean).map((l) => JSON.parse(l));
}

/** Every frame's record in the store, by frame id (1, 2...): how and when each ended. */
export async function frameRecords(rec: string): Promise<(FrameRecord | undefined)[]> {
  const r = await Recording.open(rec);
  try {
    const out: (FrameRecord | undefined)[] = [];
    for (let fid = 1; fid <= r.meta.counts.frames; fid++) out.push(await r.frame(fid));
    return out;
  } finally {
    await r.close();
  }
}

export interface Python { label: string; exe: string }

/**
 * python3 plus the interpreters in REWIND_PYTHONS (paths separated by ':'), e.g. a 3.13 built by
 * ../shared/tools/python.sh. Tests run once per interpreter.
 */
export function pythons(): Python[] {
  const extra = (process.env.REWIND_PYTHONS ?? '').split(':').filter(Boolean);
  return ['python3', ...extra].map((exe) => ({ exe, label: version(exe) }));
}

function version(exe: string): string {
  const r = spawnSync(exe, ['-c', 'import sys; print("%d.%d" % sys.version_info[:2])'], { encoding: 'utf8' });
  return `python ${String(r.stdout).trim() || '?'} (${exe})`;
}

export const noExtraPythons = !(process.env.REWIND_PYTHONS ?? '').trim();
export const SKIP_NOTE = 'only python3 is tested: set REWIND_PYTHONS=/path/to/python3.13 (see ../shared/tools/python.sh) to test sys.monitoring too';

/** Line numbers of `# @name` markers in a file. */
export function markers(file: string): Record<string, number> {
  const out: Record<string, number> = {};
  readFileSync(file, 'utf8').split('\n').forEach((l, i) => {
    const m = /#\s*@([\w-]+)/.exec(l);
    if (m) out[m[1]] = i + 1;
  });
  return out;
}
