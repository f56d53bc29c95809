// A recording as one file: packing a recording folder into a .rwd (archive.ts's format) with
// a manifest first, unpacking one into a folder, and reading just the manifest.
import { mkdtempSync, readdirSync, renameSync, rmSync, statSync } from 'node:fs';
import { basename, dirname, join } from 'node:path';
import { UserError } from '../errors.js';
import { DATA, DEFAULT_LIMITS, MANIFEST, readArchive, writeArchive, type Limits } from './archive.js';
import { FORMAT_VERSION, Recording, type Meta, type Redaction } from './store.js';

export const ARCHIVE_KIND = 'rewind-recording';
export const ARCHIVE_VERSION = 1;

/** manifest.json: what the archive holds, readable without unpacking the rest. */
export interface Manifest {
  kind: typeof ARCHIVE_KIND;
  archiveVersion: number;
  recordingFormat: number;
  packed: string; // ISO time
  from: string; // the folder it was packed from
  meta: Meta;
  files: { name: string; size: number }[];
  redacted?: Redaction;
}

/** LevelDB's own bookkeeping that a copy must not carry (the lock, its logs). */
const SKIP = new Set(['LOCK', 'LOG', 'LOG.old']);

/**
 * Packs the recording folder `rec` into `out` (never overwritten). The recording is opened
 * first, which checks it and holds its lock, so nobody writes it while it is copied.
 */
/** Where a .rwd is written until it is whole (then renamed to `out`). */
export const partialPath = (out: string) => `${out}.partial-${process.pid}`;

export async function packRecording(rec: string, out: string, progress?: (done: number, total: number) => void, extra: Partial<Manifest> = {}): Promise<Manifest> {
  const r = await Recording.open(rec);
  const partial = partialPath(out);
  try {
    const files = readdirSync(rec).filter((f) => !SKIP.has(f) && statSync(join(rec, f)).isFile()).sort();
    const manifest: Manifest = {
      kind: ARCHIVE_KIND, archiveVersion: ARCHIVE_VERSION, recordingFormat: FORMAT_VERSION,
      packed: new Date().toISOString(), from: rec, meta: r.meta,
      files: files.map((f) => ({ name: f, size: statSync(join(rec, f)).size })), ...extra,
    };
    await writeArchive([
      { name: MANIFEST, data: Buffer.from(JSON.stringify(manifest, null, 1)) },
      ...files.map((f) => ({ name: DATA + f, path: join(rec, f) })),
    ], partial, progress);
    renameSync(partial, out);
    return manifest;
  } catch (e) {
    rmSync(partial, { force: true });
    throw e;
  } finally {
    await r.close();
  }
}

function parseManifest(text: string, file: string): Manifest {
  let m: Manifest;
  try {
    m = JSON.parse(text);
  } catch {
    throw new UserError(`${file} is not a Rewind recording (its manifest is not JSON).`, 'REWIND_NOT_RECORDING');
  }
  if (m?.kind !== ARCHIVE_KIND) throw new UserError(`${file} is not a Rewind recording (its manifest is of another kind).`, 'REWIND_NOT_RECORDING');
  if (m.archiveVersion > ARCHIVE_VERSION || m.recordingFormat > FORMAT_VERSION) {
    throw new UserError(`${file} was made by a newer Rewind (archive ${m.archiveVersion}, recording format ${m.recordingFormat}); upgrade Rewind to open it.`, 'REWIND_NEWER_FORMAT');
  }
  return m;
}

/** The manifest of a .rwd, read without unpacking the rest. */
export async function readManifest(file: string): Promise<Manifest> {
  return parseManifest(await readArchive(file, null), file);
}

/**
 * Unpacks `file` into the folder `out`, which must not exist: everything is written into a
 * temporary folder beside it and moved into place only once it is whole and checked.
 */
export async function unpackRecording(file: string, out: string, limits: Limits = DEFAULT_LIMITS, progress?: (bytes: number) => void): Promise<Manifest> {
  const tmp = mkdtempSync(join(dirname(out), `.${basename(out)}.unpacking-`));
  try {
    const manifest = parseManifest(await readArchive(file, tmp, limits, progress), file);
    const data = join(tmp, DATA);
    for (const f of manifest.files) {
      if (statSync(join(data, f.name), { throwIfNoEntry: false })?.size !== f.size) {
        throw new UserError(`${file} is corrupt: ${f.name} is missing or of the wrong size.`, 'REWIND_CORRUPT');
      }
    }
    renameSync(data, out);
    return manifest;
  } finally {
    rmSync(tmp, { recursive: true, force: true });
  }
}
