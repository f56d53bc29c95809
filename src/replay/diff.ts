// `rewind diff A B`: where two runs of the same program first went differently.
//
// Each run is cut into per-thread streams of steps (a line, a call with its arguments, a
// return with its value, a raised exception), each step keyed by its call path (the functions
// on the thread's stack, by name and file) and line. Threads are paired by name and creation
// order. The streams are compared in lockstep: a step whose key differs is a control
// divergence; the same key with a different value (by repr, object addresses aside) a value
// divergence. After a control divergence the streams re-synchronise at the next step both
// runs share.
//
// Runs that are the same for most of their length have the same stored blocks, byte for byte:
// those are skipped without decoding, so a diff costs what the differing part costs.
import { BLOCK, EK, packr, unpackBlock, type Recording, type StoredEvent } from '../store/store.js';
import type { WireValue } from '../wire/protocol.js';
import { toJson } from '../wire/values.js';
import { UserError } from '../errors.js';
import { stateAt } from './state.js';

export interface DiffOptions {
  /** Names whose values never count (timestamps, durations, ids). */
  ignore?: string[];
  /** Path prefixes of A's checkout as they are in B's: [old, new]. */
  map?: [string, string][];
  /** Every divergence (re-synchronising after each), up to `limit`; else the first. */
  all?: boolean;
  limit?: number;
}

export interface DiffSide { event: number; file: string; line: number; function: string; thread: string; stack: string[] }

export interface Divergence {
  kind: 'control' | 'value' | 'exception' | 'end';
  a: DiffSide | null;
  b: DiffSide | null;
  name?: string;
  a_value?: string;
  b_value?: string;
  /** For an end: how each run ended, when that differs. */
  a_end?: string;
  b_end?: string;
}

export interface DiffResult { matched: number; divergences: Divergence[] }

/**
 * A step of a thread's stream: its event, its key (call path and line), its values, and the
 * event of the line that made them (a line's changes are those of the line before it).
 */
interface Step { seq: number; key: number; exc: string | null; values: Values; by: number }

/**
 * A step's values as one string, name and repr separated by NUL (compared whole; split only
 * where two differ), or null: most steps change nothing, and a million Maps cost more than
 * the comparison.
 */
type Values = string | null;

function valueMap(v: Values): Map<string, string> {
  const m = new Map<string, string>();
  const parts = v ? v.split('\0') : [];
  for (let i = 0; i + 1 < parts.length; i += 2) m.set(parts[i], parts[i + 1]);
  return m;
}

/** How a return value is named in a value divergence (and for --ignore). */
const RETURN_VALUE = '(return value)';

/** Reprs that differ between runs without meaning anything: addresses, a thread's OS ids. */
const normal = (repr: string) => (!repr.includes('0x') && !repr.includes('_id') ? repr
  : repr.replace(/0x[0-9a-fA-F]{4,}/g, '0x…').replace(/\b(_ident|_native_id)=\d+/g, '$1=…'));

/** A run read as per-thread streams of steps (see above). */
class Run {
  readonly streams = new Map<number, Step[]>();
  private stacks = new Map<number, { depth: number; frame: number; key: number }[]>();
  private codeKeys = new Map<number, string>();
  /** (path, line) -> its key, the hot lookup. */
  private lines = new Map<number, number>();
  /** Frame -> its last line event: the line that makes the next line's changes. */
  private lastLine = new Map<number, number>();
  /** `paths`: file id -> path (Recording.filePaths); `keys`: the interned keys, shared by both runs. */
  constructor(readonly rec: Recording, private paths: Map<number, string>, private keys: Map<string, number>, private map: [string, string][], private ignore: Set<string>) {}

  /** Stacks as they are after event `seq` (the start of the part that is compared step by step). */
  async startAfter(seq: number) {
    if (seq < 0) return;
    const state = await stateAt(this.rec, seq);
    for (const [thread, frames] of state.threads) {
      const stack: { depth: number; frame: number; key: number }[] = [];
      for (const f of frames) stack.push({ depth: f.depth, frame: f.frame, key: this.pathKey(stack.at(-1)?.key ?? 0, f.code) });
      this.stacks.set(thread, stack);
    }
  }

  /** A function as the same function in the other run: its qualified name and its file (mapped, relative to the run's folder). */
  private codeKey(code: number): string {
    let k = this.codeKeys.get(code);
    if (k === undefined) {
      const c = this.rec.codes[code];
      k = `${c?.qualname ?? '?'}@${this.file(c?.file ?? -1)}`;
      this.codeKeys.set(code, k);
    }
    return k;
  }

  file(id: number): string {
    let p = this.paths.get(id) ?? `<file ${id}>`;
    for (const [from, to] of this.map) if (p.startsWith(from)) { p = to + p.slice(from.length); break; }
    const cwd = this.rec.meta.cwd.replace(/\/?$/, '/');
    return p.startsWith(cwd) ? p.slice(cwd.length) : p;
  }

  private pathKey(parent: number, code: number): number {
    return this.intern(`${parent}>${this.codeKey(code)}`);
  }

  private lineKey(path: number, what: string | number): number {
    // Lines (numbers) by arithmetic, the hot case; other steps by name.
    if (typeof what === 'number') {
      const n = path * 1_048_576 + what;
      let k = this.lines.get(n);
      if (k === undefined) this.lines.set(n, (k = this.intern(`${path}:${what}`)));
      return k;
    }
    return this.intern(`${path}:${what}`);
  }

  private intern(s: string): number {
    let k = this.keys.get(s);
    if (k === undefined) this.keys.set(s, (k = this.keys.size + 1));
    return k;
  }

  /** The event's frame's call path on its thread (the stack adjusted to it). */
  private path(e: StoredEvent): number {
    const [, thread, frame, depth, code] = e;
    let stack = this.stacks.get(thread);
    if (!stack) this.stacks.set(thread, (stack = []));
    while (stack.length && stack[stack.length - 1].depth > depth) stack.pop();
    const top = stack.at(-1);
    if (top?.depth === depth && top.frame === frame) return top.key;
    if (top?.depth === depth) stack.pop();
    const key = this.pathKey(stack.at(-1)?.key ?? 0, code);
    stack.push({ depth, frame, key });
    return key;
  }

  private values(pairs: unknown[] | undefined): Values {
    if (!pairs || !Array.isArray(pairs)) return null;
    let out = '';
    for (let i = 0; i + 1 < pairs.length; i += 2) {
      const name = this.rec.name(pairs[i] as number);
      if (!this.ignore.has(name)) out += `${out ? '\0' : ''}${name}\0${normal(this.repr(pairs[i + 1] as WireValue))}`;
    }
    return out || null;
  }

  repr(v: WireValue): string { return toJson(v, (id) => this.rec.name(id)).repr; }

  /** Adds the event at `seq` to its thread's stream, if it is a step. */
  add(seq: number, e: StoredEvent) {
    const kind = e[0];
    let step: Step | null = null;
    const by = this.lastLine.get(e[2]) ?? seq;
    if (kind === EK.LINE) {
      step = { seq, key: this.lineKey(this.path(e), e[5]), exc: null, values: this.values(e[6] as unknown[]), by };
      this.lastLine.set(e[2], seq);
    } else if (kind === EK.CALL) step = { seq, key: this.lineKey(this.path(e), 'call'), exc: null, values: this.values(e[6] as unknown[]), by: seq };
    else if (kind === EK.RETURN) {
      const path = this.path(e);
      const value = e.length > 6 && e[6] !== undefined && !this.ignore.has(RETURN_VALUE) ? `${RETURN_VALUE}\0${normal(this.repr(e[6] as WireValue))}` : null;
      step = { seq, key: this.lineKey(path, 'return'), exc: null, values: value, by };
    } else if (kind === EK.EXCEPTION && e[8] !== true) {
      step = { seq, key: this.lineKey(this.path(e), `raise ${e[6]}`), exc: `${e[6]}${e[7] != null ? `: ${e[7]}` : ''}`, values: null, by };
    } else if (kind === EK.GLOBALS) {
      step = { seq, key: this.lineKey(this.path(e), 'globals'), exc: null, values: this.values(e[6] as unknown[]), by };
    }
    if (kind === EK.RETURN || kind === EK.UNWIND) this.lastLine.delete(e[2]);
    if (kind === EK.RETURN || kind === EK.UNWIND || kind === EK.YIELD) this.leave(e);
    if (!step) return;
    let s = this.streams.get(e[1]);
    if (!s) this.streams.set(e[1], (s = []));
    s.push(step);
  }

  /** The frame has left its thread's stack. */
  private leave(e: StoredEvent) {
    const stack = this.stacks.get(e[1]);
    if (stack?.at(-1)?.frame === e[2]) stack.pop();
  }

  /** Where event `seq` is, as a side of a divergence. */
  async side(seq: number, threadName: string): Promise<DiffSide> {
    const state = await stateAt(this.rec, seq);
    const e = (await this.rec.block(Math.floor(seq / BLOCK)))[seq % BLOCK];
    const c = this.rec.codes[e[4]];
    const frames = state.threads.get(e[1]) ?? [];
    return {
      event: seq, file: this.file(c?.file ?? -1), line: e[5], function: c?.qualname ?? '?', thread: threadName,
      stack: frames.map((f) => `${this.rec.codes[f.code]?.qualname ?? '?'}:${f.line}`),
    };
  }

  /** How the run ended, in a few words. */
  get ending(): string {
    const m = this.rec.meta;
    if (m.uncaught) return `${m.uncaught.type}${m.uncaught.message != null ? `: ${m.uncaught.message}` : ''} (exit status ${m.exitStatus ?? '?'})`;
    return m.signal ? `killed by ${m.signal}` : `exit status ${m.exitStatus ?? '?'}`;
  }
}

/** Pairs threads by name and creation order: the 2nd "worker" of A with the 2nd of B. */
function pairThreads(a: Recording, b: Recording): { pairs: [number, number, string][]; onlyA: [number, string][]; onlyB: [number, string][] } {
  const byName = (r: Recording) => {
    const seen = new Map<string, number>();
    return new Map([...r.threads].sort((x, y) => x.first - y.first).map((t) => {
      const n = (seen.get(t.name) ?? 0) + 1;
      seen.set(t.name, n);
      return [`${t.name}#${n}`, t] as const;
    }));
  };
  const ta = byName(a), tb = byName(b);
  const pairs: [number, number, string][] = [];
  const onlyA: [number, string][] = [], onlyB: [number, string][] = [];
  for (const [k, t] of ta) {
    const u = tb.get(k);
    if (u) pairs.push([t.thread, u.thread, t.name]);
    else onlyA.push([t.thread, t.name]);
  }
  for (const [k, u] of tb) if (!ta.has(k)) onlyB.push([u.thread, u.name]);
  return { pairs, onlyA, onlyB };
}

/** Where runs A and B first go differently (all divergences, with `all`). */
export async function diffRuns(a: Recording, b: Recording, o: DiffOptions = {}): Promise<DiffResult> {
  for (const [r, which] of [[a, 'A'], [b, 'B']] as const) {
    if (r.firstSeq > 0) throw new UserError(`${which} is a flight recording (its events before ${r.firstSeq} were dropped): diff needs two whole runs.`);
  }
  const keys = new Map<string, number>();
  const ignore = new Set(o.ignore ?? []);
  const ra = new Run(a, await a.filePaths(), keys, o.map ?? [], ignore), rb = new Run(b, await b.filePaths(), keys, [], ignore);

  // The stretch that is the same byte for byte, skipped whole.
  const blocks = Math.min(Math.ceil(a.eventCount / BLOCK), Math.ceil(b.eventCount / BLOCK));
  const same = await samePrefix(a, b, blocks);
  await ra.startAfter(same * BLOCK - 1);
  await rb.startAfter(same * BLOCK - 1);
  for (const [r, rec] of [[ra, a], [rb, b]] as const) {
    const rest = async function* () { for (let blk = same; blk * BLOCK < rec.eventCount; blk++) yield blk; };
    for await (const [blk, raw] of rec.rawBlocks(rest())) {
      unpackBlock(packr.unpack(raw)).forEach((e, i) => r.add(blk * BLOCK + i, e));
    }
  }

  const { pairs, onlyA, onlyB } = pairThreads(a, b);
  const found: Divergence[] = [];
  const seen = new Map<Divergence, number>(); // where in A a divergence was seen (a value's is after the line that made it)
  const matchedA: number[] = [];
  const limit = o.all ? o.limit ?? 50 : 1;
  for (const [tA, tB, name] of pairs) {
    await compareStreams(ra, rb, ra.streams.get(tA) ?? [], rb.streams.get(tB) ?? [], name, found, seen, matchedA, o.all ? limit : 1);
  }
  for (const [t, name] of onlyA) found.push({ kind: 'end', a: await ra.side(a.threads.find((x) => x.thread === t)!.first, name), b: null });
  for (const [t, name] of onlyB) found.push({ kind: 'end', a: null, b: await rb.side(b.threads.find((x) => x.thread === t)!.first, name) });
  const at = (d: Divergence) => seen.get(d) ?? d.a?.event ?? d.b?.event ?? Infinity;
  found.sort((x, y) => at(x) - at(y));
  if (!found.length && ra.ending !== rb.ending) {
    found.push({ kind: 'end', a: null, b: null, a_end: ra.ending, b_end: rb.ending });
  }
  const divergences = found.slice(0, limit);
  const first = divergences.length ? at(divergences[0]) : Infinity;
  const matched = same * BLOCK + matchedA.filter((s) => s < first).length;
  return { matched: Math.min(matched, a.eventCount), divergences };
}

/** The number of leading blocks that are the same in both recordings, byte for byte. */
async function samePrefix(a: Recording, b: Recording, blocks: number): Promise<number> {
  const upto = async function* () { for (let i = 0; i < blocks; i++) yield i; };
  const ia = a.rawBlocks(upto()), ib = b.rawBlocks(upto());
  let n = 0;
  try {
    for (;;) {
      const [x, y] = await Promise.all([ia.next(), ib.next()]);
      if (x.done || y.done || x.value[0] !== n || y.value[0] !== n || !x.value[1].equals(y.value[1])) return n;
      n++;
    }
  } finally {
    await Promise.all([ia.return(undefined), ib.return(undefined)]);
  }
}

/** Compares a thread's streams in lockstep, re-synchronising after a control divergence. */
async function compareStreams(ra: Run, rb: Run, sa: Step[], sb: Step[], thread: string, out: Divergence[], seen: Map<Divergence, number>, matchedA: number[], limit: number) {
  let i = 0, j = 0, count = 0;
  const differing = new Set<string>(); // key|name of values that differ now: said once until they agree again
  while (count < limit) {
    if (i >= sa.length || j >= sb.length) {
      if (i < sa.length || j < sb.length) {
        out.push({
          kind: 'end',
          a: i < sa.length ? await ra.side(sa[i].seq, thread) : null,
          b: j < sb.length ? await rb.side(sb[j].seq, thread) : null,
          a_end: i < sa.length ? undefined : ra.ending, b_end: j < sb.length ? undefined : rb.ending,
        });
      }
      return;
    }
    const x = sa[i], y = sb[j];
    if (x.key !== y.key) {
      const kind = x.exc !== null || y.exc !== null ? 'exception' : 'control';
      const d: Divergence = { kind, a: await ra.side(x.seq, thread), b: await rb.side(y.seq, thread) };
      if (x.exc) d.a_value = x.exc;
      if (y.exc) d.b_value = y.exc;
      out.push(d);
      count++;
      const next = resync(sa, sb, i, j);
      if (!next) return;
      [i, j] = next;
      continue;
    }
    if (x.values === y.values) {
      if (x.values && differing.size) for (const name of valueMap(x.values).keys()) differing.delete(`${x.key}|${name}`);
      matchedA.push(x.seq);
      i++;
      j++;
      continue;
    }
    let equal = true;
    const ma = valueMap(x.values), mb = valueMap(y.values);
    for (const name of new Set([...ma.keys(), ...mb.keys()])) {
      const va = ma.get(name), vb = mb.get(name);
      const id = `${x.key}|${name}`;
      if (va === vb) { differing.delete(id); continue; }
      equal = false;
      if (differing.has(id)) continue;
      differing.add(id);
      if (count < limit) {
        const d: Divergence = { kind: 'value', a: await ra.side(x.by, thread), b: await rb.side(y.by, thread), name, a_value: va ?? '<unbound>', b_value: vb ?? '<unbound>' };
        out.push(d);
        seen.set(d, x.seq);
        count++;
      }
    }
    if (equal) matchedA.push(x.seq);
    i++;
    j++;
  }
}

/** The next steps (i', j') at or after (i+1, j+1) where both streams are at the same point again. */
function resync(sa: Step[], sb: Step[], i: number, j: number): [number, number] | null {
  const WINDOW = 200_000;
  const where = new Map<number, number>();
  for (let k = Math.min(sb.length, j + 1 + WINDOW) - 1; k > j; k--) where.set(sb[k].key, k); // earliest position of each key
  for (let k = i + 1; k < Math.min(sa.length, i + 1 + WINDOW); k++) {
    const at = where.get(sa[k].key);
    if (at !== undefined) return [k, at];
  }
  return null;
}

/** A diff as people read it: each divergence with both sides, then `more` (a hint) if there was one. */
export function diffText(r: DiffResult, more?: string): string {
  const n = r.matched.toLocaleString('en-US');
  if (!r.divergences.length) return `no divergence: the runs went the same way (${n} events).`;
  const side = (label: string, s: DiffSide | null, value?: string, end?: string) => {
    if (!s) return `  ${label}  ${end ? `ended: ${end}` : '(nothing here)'}`;
    const v = value !== undefined ? `   ${value}` : '';
    return `  ${label}  event ${s.event}  ${s.file}:${s.line} in ${s.function}()  [${s.thread}]${v}\n` +
      `     stack: ${s.stack.join(' > ') || '(none)'}`;
  };
  const what = (d: Divergence) => {
    switch (d.kind) {
      case 'value': return d.name === RETURN_VALUE ? `what ${d.a?.function ?? d.b?.function}() returns differs` : `the value of ${d.name} differs`;
      case 'control': return 'the runs take different paths';
      case 'exception': return 'an exception in one run, not the other';
      case 'end': return d.a && d.b ? 'one run goes on where the other ends' : !d.a && !d.b ? 'the runs end differently' : `a thread runs in ${d.a ? 'A' : 'B'} only`;
    }
  };
  const parts = r.divergences.map((d, k) => {
    const head = k === 0 ? `first divergence, after ${n} matching events: ${what(d)}` : `then: ${what(d)}`;
    const va = d.kind === 'value' ? `${d.name} = ${d.a_value}` : d.a_value, vb = d.kind === 'value' ? `${d.name} = ${d.b_value}` : d.b_value;
    return [head, side('A', d.a, va, d.a_end), side('B', d.b, vb, d.b_end)].join('\n');
  });
  if (more) parts.push(more);
  return parts.join('\n\n');
}
