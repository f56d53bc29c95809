// The commit checked out where the program is, read from the repository's files: launching
// `git rev-parse HEAD` costs a process start beside the program's, at every recording.
import { readFileSync, statSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';

const SHA = /^[0-9a-f]{40}(?:[0-9a-f]{24})?$/;

function read(file: string): string | null {
  try { return readFileSync(file, 'utf8'); } catch { return null; }
}

/** The repository folder (`.git`, or where a `.git` file points: worktrees, submodules) above `dir`. */
function gitDirAbove(dir: string): string | null {
  for (let d = resolve(dir); ; d = dirname(d)) {
    const dotGit = join(d, '.git');
    const st = statSync(dotGit, { throwIfNoEntry: false });
    if (st?.isDirectory()) return dotGit;
    if (st?.isFile()) {
      const m = /^gitdir: (.+)$/m.exec(read(dotGit) ?? '');
      return m ? resolve(d, m[1].trim()) : null;
    }
    if (dirname(d) === d) return null;
  }
}

/** A ref's commit: its loose file, else the packed-refs line (in the common folder for a worktree). */
function resolveRef(gitDir: string, ref: string): string | null {
  const common = read(join(gitDir, 'commondir'));
  const dirs = [gitDir, ...(common ? [resolve(gitDir, common.trim())] : [])];
  for (const d of dirs) {
    const loose = read(join(d, ref))?.trim();
    if (loose && SHA.test(loose)) return loose;
  }
  for (const d of dirs) {
    for (const line of (read(join(d, 'packed-refs')) ?? '').split('\n')) {
      const [sha, name] = line.split(' ');
      if (name?.trim() === ref && SHA.test(sha)) return sha;
    }
  }
  return null;
}

/** The commit HEAD is at in the repository holding `dir`; null outside one, or on an unborn branch. */
export function headCommit(dir: string): string | null {
  const gitDir = gitDirAbove(dir);
  const head = gitDir ? read(join(gitDir, 'HEAD'))?.trim() : null;
  if (!gitDir || !head) return null;
  if (SHA.test(head)) return head; // detached
  const m = /^ref: (.+)$/.exec(head);
  return m ? resolveRef(gitDir, m[1].trim()) : null;
}
