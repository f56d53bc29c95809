// A recording another process holds open. LevelDB lets one process at a time open a folder
// (its LOCK file), but a reader needs no lock of its own: it opens a private view, a folder of
// hard links to the holder's table files (LevelDB never changes a table once written) and
// copies of the files the holder appends to (the manifest, the write-ahead log).
import { copyFileSync, linkSync, mkdirSync, readFileSync, readdirSync, rmSync } from 'node:fs';
import { join } from 'node:path';

/** Files LevelDB writes once and never changes: shared by link. */
const immutable = (f: string) => f.endsWith('.ldb') || f.endsWith('.sst');
/** Files that are the holder's own, not the data. */
const private_ = (f: string) => f === 'LOCK' || f === 'LOG' || f === 'LOG.old';

/**
 * Makes folder `into` a view of the LevelDB folder `dir` as it is now. The holder may compact
 * meanwhile (deleting tables the manifest we copied names): then the view is taken again.
 */
export function viewOf(dir: string, into: string, attempts = 5) {
  for (let i = 1; ; i++) {
    mkdirSync(into);
    try {
      // The manifest first, then the tables: every table it names was written before it, so
      // is there unless a compaction removed it since (ENOENT).
      const current = readFileSync(join(dir, 'CURRENT'), 'utf8').trim();
      for (const f of ['CURRENT', current]) copyFileSync(join(dir, f), join(into, f));
      for (const f of readdirSync(dir)) {
        if (f === 'CURRENT' || f === current || f.startsWith('MANIFEST-') || private_(f)) continue;
        share(join(dir, f), join(into, f), immutable(f));
      }
      return;
    } catch (e) {
      rmSync(into, { recursive: true, force: true });
      if (i >= attempts || (e as NodeJS.ErrnoException).code !== 'ENOENT') throw e;
    }
  }
}

function share(from: string, to: string, link: boolean) {
  if (link) {
    try {
      linkSync(from, to);
      return;
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code === 'ENOENT') throw e; // compacted away: look again
      // another file system, or links not allowed: copy
    }
  }
  copyFileSync(from, to);
}
