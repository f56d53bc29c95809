// Which Python runs the program: checked once per interpreter binary, then remembered, so that
// `rewind record` launches the interpreter once (the program) rather than twice.
import { spawnSync } from 'node:child_process';
import { closeSync, mkdirSync, openSync, readFileSync, readSync, realpathSync, renameSync, statSync, writeFileSync } from 'node:fs';
import { homedir } from 'node:os';
import { delimiter, join, resolve } from 'node:path';
import { UserError } from '../errors.js';

const MIN_PYTHON: [number, number] = [3, 9];

/** The cache folder the agent's accelerator uses too (agent/rewind_agent/accel.py). */
function cacheDir(): string {
  return process.env.REWIND_CACHE_DIR || join(process.env.XDG_CACHE_HOME || join(homedir(), '.cache'), 'rewind');
}

/**
 * What identifies an interpreter binary: its real path, size and modification time; null for a
 * script (a pyenv shim, a wrapper), whose interpreter depends on the environment, or when not found.
 */
function identity(python: string): string | null {
  try {
    const found = python.includes('/') ? resolve(python)
      : (process.env.PATH ?? '').split(delimiter).map((d) => join(d, python)).find((p) => statSync(p, { throwIfNoEntry: false })?.isFile());
    if (!found) return null;
    const real = realpathSync(found);
    const head = Buffer.alloc(2);
    const fd = openSync(real, 'r');
    try { readSync(fd, head, 0, 2, 0); } finally { closeSync(fd); }
    if (head.toString('latin1') === '#!') return null;
    const st = statSync(real);
    return `${real}:${st.size}:${st.mtimeMs}`;
  } catch {
    return null;
  }
}

function remembered(): Record<string, string> {
  try {
    return JSON.parse(readFileSync(join(cacheDir(), 'interpreters.json'), 'utf8')) as Record<string, string>;
  } catch {
    return {};
  }
}

function remember(id: string, version: string) {
  try {
    const all = { ...remembered(), [id]: version };
    mkdirSync(cacheDir(), { recursive: true });
    const tmp = join(cacheDir(), `interpreters.json.${process.pid}`);
    writeFileSync(tmp, JSON.stringify(all));
    renameSync(tmp, join(cacheDir(), 'interpreters.json'));
  } catch {
    // a cache that cannot be written only costs a launch next time
  }
}

/** Checks the interpreter, returns its version ("3.11"), or throws a UserError. */
export function checkPython(python: string): string {
  const id = identity(python);
  const known = id ? remembered()[id] : undefined;
  if (known) return known;
  const r = spawnSync(python, ['-c', 'import sys; print("%d.%d" % sys.version_info[:2])'], { encoding: 'utf8' });
  if (r.error) {
    throw new UserError((r.error as NodeJS.ErrnoException).code === 'ENOENT'
      ? `Python interpreter '${python}' was not found; pass --python with the path of a Python 3.9 or newer.`
      : `Python interpreter '${python}' could not be run (${r.error.message}).`, 'REWIND_PYTHON');
  }
  const m = /^(\d+)\.(\d+)/.exec(r.stdout ?? '');
  if (r.status !== 0 || !m) throw new UserError(`'${python}' does not look like a Python interpreter.`, 'REWIND_PYTHON');
  const v: [number, number] = [Number(m[1]), Number(m[2])];
  if (v[0] < MIN_PYTHON[0] || (v[0] === MIN_PYTHON[0] && v[1] < MIN_PYTHON[1])) {
    throw new UserError(`Python ${v.join('.')} is too old: Rewind records Python ${MIN_PYTHON.join('.')} and newer.`, 'REWIND_PYTHON');
  }
  if (id) remember(id, v.join('.'));
  return v.join('.');
}
