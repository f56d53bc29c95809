// Stored events as people and scripts see them: the JSON lines of `rewind dump --json` and
// the one-line text form. Shared by every frontend.
import type { WireValue } from '../wire/protocol.js';
import { toJson, type JsonValue } from '../wire/values.js';
import { EK, KIND_NAMES, type Recording, type StoredEvent } from '../store/store.js';
import { stateAt, type LiveFrame } from './state.js';

export interface EventJson {
  seq: number;
  kind: string;
  thread: number;
  frame: number;
  depth: number;
  file: string;
  line: number;
  function: string;
  changed?: Record<string, JsonValue>;
  /** globals: the module whose globals `changed` are; call: the module whose globals the frame has */
  module?: string;
  args?: Record<string, JsonValue>;
  value?: JsonValue;
  /** return, yield, unwind: back to code that is not recorded (a test runner, a library) */
  out?: true;
  exception?: { type: string; message: string | null; propagated: boolean };
  stream?: 'stdout' | 'stderr';
  text?: string;
}

export class EventView {
  private paths = new Map<number, string>();

  constructor(private rec: Recording) {}

  async path(file: number): Promise<string> {
    let p = this.paths.get(file);
    if (p === undefined) {
      p = (await this.rec.file(file))?.path ?? `<file ${file}>`;
      this.paths.set(file, p);
    }
    return p;
  }

  private pairs(list: unknown[]): Record<string, JsonValue> {
    const names = (id: number) => this.rec.name(id);
    const out: Record<string, JsonValue> = {};
    for (let i = 0; i + 1 < list.length; i += 2) out[names(list[i] as number)] = toJson(list[i + 1] as WireValue, names);
    return out;
  }

  async json(seq: number, e: StoredEvent): Promise<EventJson> {
    const [kind, thread, frame, depth, code, line] = e;
    const c = this.rec.codes[code];
    const out: EventJson = {
      seq, kind: KIND_NAMES[kind] ?? String(kind), thread, frame, depth,
      file: frame === 0 ? '' : await this.path(c?.file ?? -1), line,
      function: frame === 0 ? '' : c?.qualname ?? '?',
    };
    const names = (id: number) => this.rec.name(id);
    switch (kind) {
      case EK.LINE: out.changed = this.pairs((e[6] as unknown[] | undefined) ?? []); break;
      case EK.GLOBALS: out.changed = this.pairs(e[6] as unknown[]); out.module = names(e[7] as number); break;
      case EK.CALL:
        out.args = this.pairs((e[6] as unknown[]) ?? []);
        if (c?.module !== undefined) out.module = names(c.module);
        break;
      case EK.RETURN: case EK.YIELD: out.value = toJson(e[6] as WireValue, names); break;
      case EK.EXCEPTION: out.exception = { type: e[6] as string, message: e[7] as string | null, propagated: e[8] as boolean }; break;
      case EK.OUTPUT: out.stream = e[6] === 2 ? 'stderr' : 'stdout'; out.text = e[7] as string; break;
    }
    if ((kind === EK.RETURN || kind === EK.YIELD || kind === EK.UNWIND) && e[7] === true) out.out = true;
    return out;
  }

  /** `seq  T1  depth  file:line  function  details` */
  async text(seq: number, e: StoredEvent): Promise<string> {
    const j = await this.json(seq, e);
    const where = j.frame === 0 ? '-' : `${shortPath(j.file)}:${j.line} ${j.function}`;
    let detail = '';
    const kv = (values: Record<string, JsonValue>, sep: string) => Object.entries(values).map(([k, v]) => `${k}=${v.repr}`).join(sep);
    switch (e[0]) {
      case EK.LINE: detail = kv(j.changed!, ' '); break;
      case EK.GLOBALS: detail = `${j.module}: ${kv(j.changed!, ' ')}`; break;
      case EK.CALL: detail = `(${kv(j.args!, ', ')})`; break;
      case EK.RETURN: case EK.YIELD: detail = `-> ${j.value!.repr}`; break;
      case EK.EXCEPTION: detail = `${j.exception!.type}${j.exception!.message != null ? `: ${j.exception!.message}` : ''}${j.exception!.propagated ? ' (propagated)' : ''}`; break;
      case EK.OUTPUT: detail = `${j.stream} ${JSON.stringify(j.text)}`; break;
    }
    return `${String(seq).padStart(8)} T${j.thread} ${'  '.repeat(Math.max(0, j.depth - 1))}${j.kind.padEnd(9)} ${where}${detail ? '  ' + detail : ''}`;
  }
}

function shortPath(p: string): string {
  const i = p.lastIndexOf('/');
  return i < 0 ? p : p.slice(i + 1);
}

export interface FrameJson { frame: number; depth: number; file: string; line: number; function: string; locals: Record<string, JsonValue> }
export interface StateJson {
  seq: number; thread: number; event: EventJson;
  threads: { thread: number; name: string; stack: FrameJson[] }[];
}

/** The full state at `seq` as JSON: every thread's stack (outermost first) with locals. */
export async function describeState(rec: Recording, view: EventView, seq: number): Promise<StateJson> {
  const state = await stateAt(rec, seq);
  const names = (id: number) => rec.name(id);
  const frame = async (f: LiveFrame): Promise<FrameJson> => {
    const c = rec.codes[f.code];
    const locals: Record<string, JsonValue> = {};
    for (const [k, v] of f.locals) locals[names(k)] = toJson(v, names);
    return { frame: f.frame, depth: f.depth, file: await view.path(c?.file ?? -1), line: f.line, function: c?.qualname ?? '?', locals };
  };
  const threads = [];
  for (const [tid, stack] of [...state.threads].sort((a, b) => a[0] - b[0])) {
    const name = rec.threads.find((t) => t.thread === tid)?.name ?? `Thread-${tid}`;
    threads.push({ thread: tid, name, stack: await Promise.all(stack.map(frame)) });
  }
  return { seq, thread: state.thread, event: await view.json(seq, (await rec.event(seq))!), threads };
}
