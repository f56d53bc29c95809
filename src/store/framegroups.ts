// Frame records are stored FRAME_GROUP to a record, by frame id: one LevelDB write per call was
// the largest single cost of indexing a call-heavy run, and a reader stepping through nearby
// frames gets their records in one read. A group is written once every frame of it has ended.
// The agent numbers frames in the order they start, so once a frame of a later group has begun,
// an earlier group gets no new frames: it is whole when its last running frame ends. A frame that
// begins after its group was written anyway (ids arriving out of order) is written on its own.

export const FRAME_GROUP = 64;

export const groupOf = (fid: number) => Math.floor(fid / FRAME_GROUP);

interface Open<T> { records: T[]; running: number }

/** What is ready to be written: a whole group (records by fid % FRAME_GROUP, null where none), or a late frame alone. */
export type Ready<T> = { group: number; records: (T | null)[] } | { late: number; record: T };

const NONE: never[] = []; // most calls and returns make nothing ready: no array for that

export class FrameGroups<T> {
  private open = new Map<number, Open<T>>();
  private newest = -1; // the group of the latest frame begun
  private late = new Set<number>();

  /** Frame `fid` begins. Returns the groups this makes whole (earlier ones with nothing running). */
  begin(fid: number): Ready<T>[] {
    const g = groupOf(fid);
    const o = this.open.get(g);
    if (o) {
      o.running++;
      return NONE;
    }
    if (g <= this.newest) {
      this.late.add(fid);
      return NONE;
    }
    // Any other group was written when its last frame ended; the newest one waited for this.
    const prev = this.open.get(this.newest);
    const ready = prev && prev.running === 0 ? [this.take(this.newest, prev)] : NONE;
    this.open.set(g, { records: [], running: 1 });
    this.newest = g;
    return ready;
  }

  /** Frame `fid` has ended with `record`. Returns what this makes ready. */
  end(fid: number, record: T): Ready<T>[] {
    const g = groupOf(fid);
    const o = this.open.get(g);
    if (this.late.delete(fid) || !o) return [{ late: fid, record }];
    o.records[fid % FRAME_GROUP] = record;
    o.running--;
    return o.running === 0 && g < this.newest ? [this.take(g, o)] : NONE;
  }

  /** Everything still held (at the end of the recording: every frame has been given its record). */
  rest(): Ready<T>[] {
    return [...this.open].map(([g, o]) => this.take(g, o));
  }

  private take(g: number, o: Open<T>): Ready<T> {
    this.open.delete(g);
    return { group: g, records: Array.from(o.records, (r) => r ?? null) };
  }
}
