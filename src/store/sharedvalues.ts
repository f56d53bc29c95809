// Values written once per snapshot (format 8). A recursion passes the same string or list down
// every frame: a snapshot of a JSON decoder 15,000 frames deep held the text it parses three
// times in every frame, 25 MB of one 500-byte value. A value of SHARE_MIN bytes or more that
// a snapshot holds more than once is written in its `values` and referred to from its frames.
import { addExtension } from 'msgpackr';
import { Encoded } from '../wire/encoded.js';
import type { Snapshot, SnapshotDelta, SnapshotFrame } from './store.js';

const SHARE_MIN = 64; // bytes as the agent encoded it: smaller ones cost about what a reference does
const EXT_SHARED = 2; // msgpack extension type of a reference (the wire's float is 1)

/** A reference to values[i] of its snapshot. */
class Shared {
  constructor(readonly i: number) {}
}

addExtension({
  Class: Shared,
  type: EXT_SHARED,
  pack(s: Shared) {
    const b = Buffer.allocUnsafe(4);
    b.writeUInt32BE(s.i);
    return b;
  },
  unpack: (b: Buffer) => new Shared(b.readUInt32BE(0)),
});

/** The frames a stored snapshot writes out (a delta's others are references to its base's). */
export function written(s: Snapshot | SnapshotDelta): SnapshotFrame[] {
  const frames = 'base' in s ? [...s.threads.flatMap((t) => t.push), ...s.suspended] : [...s.threads.flatMap((t) => t.stack), ...s.suspended];
  return frames.filter((f): f is SnapshotFrame => typeof f !== 'number');
}

/** Name, value lists of a snapshot: its frames' locals and its modules' globals. */
function valueLists(s: Snapshot | SnapshotDelta): unknown[][] {
  return [...written(s).map((f) => f.locals), ...(s.globals ?? []).map(([, g]) => g as unknown[])];
}

/** `s` with every large value it holds more than once in its `values`, its lists changed in place. */
export function shareValues<S extends Snapshot | SnapshotDelta>(s: S): S {
  const lists = valueLists(s);
  const seen = new Map<string, number>(); // value -> its index in `values`, -1 once seen
  const values: Encoded[] = [];
  for (const list of lists) {
    for (let i = 1; i < list.length; i += 2) {
      const v = list[i];
      if (!(v instanceof Encoded) || v.latin1.length < SHARE_MIN) continue;
      const at = seen.get(v.latin1);
      if (at === undefined) seen.set(v.latin1, -1);
      else if (at === -1) seen.set(v.latin1, values.push(v) - 1);
    }
  }
  if (!values.length) return s;
  for (const list of lists) {
    for (let i = 1; i < list.length; i += 2) {
      const v = list[i];
      const at = v instanceof Encoded && v.latin1.length >= SHARE_MIN ? seen.get(v.latin1)! : -1;
      if (at >= 0) list[i] = new Shared(at);
    }
  }
  s.values = values;
  return s;
}

/** A snapshot as read back, its references replaced by the values they name. */
export function unshareValues<S extends Snapshot | SnapshotDelta>(s: S): S {
  const values = s.values;
  if (!values) return s;
  for (const list of valueLists(s)) {
    for (let i = 1; i < list.length; i += 2) if (list[i] instanceof Shared) list[i] = values[(list[i] as Shared).i];
  }
  delete s.values;
  return s;
}
