// The LevelDB key layout of a recording. The only module that knows it.
//
// Keys are a one-byte prefix followed by big-endian unsigned integers, so LevelDB's ordering
// is time order within each prefix. Values are msgpack (msgpackr, with the wire's float
// extension) unless said otherwise.
//
//   '@'                       format version (u32 BE)                 written first
//   'M'                       metadata (JSON text)                    rewritten at the end
//   'B' block                 events seq block*BLOCK .. +BLOCK-1, as columns (blockwriter.ts, packBlock;
//                             formats 2 to 5: an array of StoredEvent, still read)
//   'P' block                 state snapshot at the start of `block` (every SNAPSHOT_EVERY): a
//                             Snapshot, or a SnapshotDelta from the full one at an earlier block
//                             (format 8: a large value held more than once written once)
//   'L' file line group       index: the blocks of `group` (INDEX_GROUP blocks) in which
//                             `file:line` has line events (value: a bit mask, bit i for block
//                             group*INDEX_GROUP+i). Formats 2 to 8: 'L' file line block (value:
//                             the count in that block), still read
//   'V' name group            index: the blocks of `group` in which a local called `name`
//                             changed (value: a bit mask; formats 2 to 8: 'V' name block, count)
//   'C' code group            index: the blocks of `group` in which a frame of `code` started
//                             (value: a bit mask; formats 2 to 8: 'C' code block, count)
//   'R' file line             how often `file:line` ran in all (written at the end; absent in
//                             recordings made before it existed: readers then sum 'L')
//   'F' group                 the FrameRecords of frames group*FRAME_GROUP .. +FRAME_GROUP-1, as
//                             columns (store.ts: packFrameGroup)
//   'F' group frame           a frame's record alone, where it began after its group was
//                             written (framegroups.ts; an array: store.ts, packFrame). Formats 2
//                             to 5: 'F' frame, one per frame
//   'G' frame start           a generator's (coroutine's) runs that ended in one snapshot
//                             interval, the first from its call or resume at seq `start`: each
//                             run's start and length (store.ts: packRuns). Formats 5 and 6: one
//                             run (value: the seq of the yield, return or unwind that ended it,
//                             or null if it was running at the end)
//   'X' seq                   ExceptionRecord
//   'O' seq                   OutputRecord
//   'S' file                  [path, source text or null]
//   'N'                       array of all names (variables, attributes, type names)
//   'K'                       array of CodeRecord
//   'T'                       array of ThreadRecord
//
// FORMAT_VERSION: bump it whenever a reader of the previous version would misread a
// recording of the new one (a key, a record's fields, their meaning). Readers refuse newer
// versions with a sentence, never a guess.
// 2: frame records hold a generator's runs (spans). 3: a snapshot may be a delta from an
// earlier full one (SnapshotDelta); return, yield and unwind events may say they go to code that
// is not recorded; frame records are arrays. 4: module globals (globals events, code records'
// module, snapshots' globals; a module body's frame keeps its locals there). 5: a generator's
// runs are 'G' records (2 to 4 kept them in its frame record, `spans`: still read). 6: frame
// records in groups ('F' group; 2 to 5 had one per frame, 'F' frame: still read); blocks as
// columns (2 to 5: rows, still read). 7: a generator's runs in groups ('G' frame start holds
// those that ended in a snapshot interval; 5 and 6 had one record per run: still read), and a
// frame record says whether its frame yielded (before, a reader looked for runs of every frame).
// 8: a snapshot writes a large value its frames hold more than once in its `values`, and
// refers to it (sharedvalues.ts). 9: the indexes 'L', 'V' and 'C' hold a record per group of
// blocks, not per block.
export const FORMAT_VERSION = 9;
// The oldest format this Rewind still reads (format 2's full snapshots and frame records as
// objects are read as they are). Older ones are refused with a sentence.
export const OLDEST_READABLE = 2;
/** A recording folder holding this file is kept raw, not indexed yet (recorder/deferred.ts). */
export const RAW_FILE = 'events.raw';
export const BLOCK = 256;
export const SNAPSHOT_EVERY = 16; // blocks
/** Blocks per index record (format 9): a snapshot interval, which the flight recorder drops whole. */
export const INDEX_GROUP = SNAPSHOT_EVERY;
/** The format that keys the indexes by group of blocks (before it, by block). */
export const GROUPED_INDEX = 9;

export const key = {
  version: () => Buffer.from('@'),
  meta: () => Buffer.from('M'),
  block: (b: number) => k('B', b),
  snapshot: (b: number) => k('P', b),
  lineIndex: (file: number, line: number, b: number) => k('L', file, line, b),
  varIndex: (name: number, b: number) => k('V', name, b),
  codeIndex: (code: number, b: number) => k('C', code, b),
  lineRuns: (file: number, line: number) => k('R', file, line),
  frame: (fid: number) => k('F', fid), // formats 2 to 5
  frameGroup: (group: number) => k('F', group),
  lateFrame: (group: number, fid: number) => k('F', group, fid),
  run: (fid: number, start: number) => k('G', fid, start),
  exception: (seq: number) => k('X', seq),
  output: (seq: number) => k('O', seq),
  source: (file: number) => k('S', file),
  names: () => Buffer.from('N'),
  codes: () => Buffer.from('K'),
  threads: () => Buffer.from('T'),
};

/** A key range covering every key of `prefix` whose leading integers are `fixed`. */
export function range(prefix: string, ...fixed: number[]): { gte: Buffer; lt: Buffer } {
  const gte = k(prefix, ...fixed);
  const lt = Buffer.concat([gte, Buffer.alloc(4 * 8, 0xff)]);
  return { gte, lt };
}

/** The integers after the prefix of a key. */
export function keyInts(key: Buffer): number[] {
  const out: number[] = [];
  for (let i = 1; i + 4 <= key.length; i += 4) out.push(key.readUInt32BE(i));
  return out;
}

function k(prefix: string, ...ints: number[]): Buffer {
  const b = Buffer.allocUnsafe(1 + 4 * ints.length);
  b[0] = prefix.charCodeAt(0);
  ints.forEach((n, i) => b.writeUInt32BE(n, 1 + 4 * i));
  return b;
}
