// `origin EXPR`: where the value of EXPR came from. At the cursor, the event that gave it its
// value (an assignment, a change made inside a call, a return value, an argument); then, one
// level further, where the values read on that line came from, and so on to `depth`.
//
// It works from what the recording holds: each frame's changes (found as a backward watch
// finds them), the call/return links, and the names read on a line (from its source text:
// identifiers that are bound in the frame there, assignment targets aside). Where the chain
// cannot be followed (C code, code that is not recorded, a value older than the recording) the
// step says so.
import { EK } from '../store/store.js';
import type { WireValue } from '../wire/protocol.js';
import type { JsonValue } from '../wire/values.js';
import { UserError } from '../errors.js';
import type { Engine } from './engine.js';
import { evaluate, namesIn, parse, type Node } from './expr.js';
import { frameIn, stateAt, type LiveFrame } from './state.js';

export interface OriginStep {
  /** The event to `goto`: the line that did it. */
  seq: number;
  file: string; line: number; function: string;
  /** What is traced here, and its value. */
  expr: string;
  value: JsonValue;
  how: 'assigned' | 'changed in a call' | 'returned' | 'argument' | 'older';
  /** The text of the line. */
  source?: string;
  /** Where the chain stops, and why. */
  note?: string;
  /** Where the values read on that line came from. */
  from: OriginStep[];
}

const KEYWORDS = new Set(('False None True and as assert async await break class continue def del elif else except finally for ' +
  'from global if import in is lambda nonlocal not or pass raise return try while with yield match case').split(' '));
const MAX_READS = 4;

/** `[-d N] EXPR` as the replay command and the debug console take it: the expression and the depth. */
export function originArgs(arg: string): { expr: string; depth: number } | null {
  const m = /^(?:-d\s*(\d+)\s+)?(.+)$/s.exec(arg.trim());
  return m ? { expr: m[2].trim(), depth: m[1] ? Number(m[1]) : 3 } : null;
}

/** Where EXPR's value in frame `frame` (the selected frame) at the cursor came from, `depth` steps back. */
export async function origin(e: Engine, expr: string, depth = 3, frame?: LiveFrame): Promise<OriginStep> {
  if (!Number.isInteger(depth) || depth < 1) throw new UserError(`the depth is a whole number of steps, 1 or more, not '${depth}'.`);
  const f = frame ?? (await e.selectedFrame());
  await e.evaluate(expr, f); // an expression that has no value here is said before any work
  return trace(e, expr, f, e.seq, depth, new Set());
}

/** Where `expr`'s value in frame `f` just after event `at` came from. */
async function trace(e: Engine, expr: string, f: LiveFrame, at: number, depth: number, seen: Set<string>): Promise<OriginStep> {
  const value = valueIn(e, expr, f);
  const change = await e.lastChange(expr, f, at);
  if (change) return made(e, expr, change.seq, value, depth, seen);
  return older(e, expr, f, value, depth, seen);
}

function valueIn(e: Engine, expr: string, f: LiveFrame): JsonValue {
  try {
    return e.json(evaluate(parse(expr), e.scope(f.locals, `${e.frameFunction(f)}()`, f.globals)));
  } catch (err) {
    return { type: 'error', repr: `<${(err as Error).message.replace(/\.$/, '')}>` };
  }
}

/**
 * Line `seq` (of the frame EXPR is in) gave `expr` its value: by a call's return value (x = f(...)), by a
 * change a call made to an object both see (cart.add(...) changing cart.total), or by itself.
 */
async function made(e: Engine, expr: string, seq: number, value: JsonValue, depth: number, seen: Set<string>): Promise<OriginStep> {
  const [, thread, fid, fdepth] = (await e.tl.event(seq))!;
  const next = (await e.tl.walk({ from: seq, dir: 1, thread, anchor: fid, skipDepth: fdepth + 1 }, (_, l) => l[2] === fid)) ?? e.tl.last + 1;
  const root = /^[A-Za-z_]\w*/.exec(expr)?.[0] ?? '';
  const pos = e.position(seq, (await e.tl.event(seq))!);
  const text = (await sourceLine(e, pos.file, pos.line))?.trim() ?? '';
  const calls = await callsDuring(e, seq, next, thread, fdepth);
  let by: number | null = null, how: OriginStep['how'] = 'assigned';
  const returned = assignsTo(text, root) ? calls.find((c) => c.returned === value.repr) : undefined;
  if (returned) {
    [by, how] = [(await e.madeBy(returned.end, returned.frame)) ?? returned.end, 'returned'];
  } else if (root !== expr || !assignsTo(text, root)) {
    // The object EXPR is (or is part of: cart for cart.total) as the line found it, changed in
    // place: a callee given it that stores into it (self.total += ...) made the change.
    const before = frameIn(await stateAt(e.rec, seq), fid);
    const object = before ? valueIn(e, root, before).repr : null;
    for (const c of [...calls].reverse()) {
      const param = c.args.find(([, repr]) => repr === object)?.[0];
      const line = param ? await storeInto(e, c, param) : null;
      if (line !== null) { [by, how] = [line, 'changed in a call']; break; }
    }
  }
  const step = await stepAt(e, by ?? seq, expr, value, how);
  if (by !== null) step.note = `${how === 'returned' ? 'returned to' : 'in a call made by'} ${await where(e, seq)}`;
  // A call on the line, and none recorded: the value came through code that is not recorded.
  else if (!calls.length && /\w\s*\(/.test(rightOf(text.replace(/#.*$/, '')))) step.note = 'through a call Rewind did not record (C code, or code left out of the recording)';
  await readsOf(e, step, depth, seen);
  return step;
}

/** A call made by a line: its frame, its events, its arguments (name, repr) and its return value's repr. */
interface Call { frame: number; thread: number; depth: number; start: number; end: number; args: [string, string][]; returned: string | null }

/** Calls that ran long are looked at up to this many events. */
const SCAN = 200_000;

/** The recorded calls a line made directly (its frame at depth `fdepth`, its frame's next line at `next`). */
async function callsDuring(e: Engine, seq: number, next: number, thread: number, fdepth: number): Promise<Call[]> {
  const calls: Call[] = [];
  for (let s = seq + 1; s < Math.min(next, seq + 1 + SCAN); s++) {
    const ev = await e.tl.event(s);
    if (!ev) break;
    if (ev[1] !== thread || ev[3] !== fdepth + 1) continue;
    if (ev[0] === EK.CALL) {
      const pairs = (ev[6] as unknown[]) ?? [];
      const args: [string, string][] = [];
      for (let k = 0; k + 1 < pairs.length; k += 2) args.push([e.rec.name(pairs[k] as number), e.json(pairs[k + 1] as WireValue).repr]);
      calls.push({ frame: ev[2], thread, depth: ev[3], start: s, end: s, args, returned: null });
    } else if ((ev[0] === EK.RETURN || ev[0] === EK.UNWIND) && calls.at(-1)?.frame === ev[2]) {
      const c = calls.at(-1)!;
      c.end = s;
      c.returned = ev[0] === EK.RETURN && ev.length > 6 ? e.json(ev[6] as WireValue).repr : null;
    }
  }
  return calls;
}

/** The last line of call `c` that stores into its parameter `param` (param.x = ..., param[k] += ...), or null. */
async function storeInto(e: Engine, c: Call, param: string): Promise<number | null> {
  const store = new RegExp(`(^|[^\\w.])${param}\\s*(\\.\\s*\\w+|\\[[^\\]]*\\])[^=]*?(?:[-+*/%&|^@]|//|\\*\\*|<<|>>)?=(?!=)`);
  const walk = { dir: -1 as const, thread: c.thread, anchor: c.frame, skipDepth: c.depth + 1 };
  for (let s: number | null = c.end; (s = await e.tl.walk({ ...walk, from: s }, (_, ev) => ev[2] === c.frame)) !== null && s > c.start;) {
    const pos = e.position(s, (await e.tl.event(s))!);
    const text = await sourceLine(e, pos.file, pos.line);
    if (text && store.test(text.replace(/#.*$/, ''))) return s;
  }
  return null;
}

/** `expr` has had its value since frame `f` began: an argument of the call, or older than the frame. */
async function older(e: Engine, expr: string, f: LiveFrame, value: JsonValue, depth: number, seen: Set<string>): Promise<OriginStep> {
  const fr = await e.rec.frame(f.frame);
  const call = fr ? await e.tl.event(fr.start) : undefined;
  const params = call && call[0] === EK.CALL ? ((call[6] as unknown[]) ?? []).filter((_, i) => i % 2 === 0).map((n) => e.rec.name(n as number)) : [];
  const root = /^[A-Za-z_]\w*/.exec(expr)?.[0];
  if (call && root && params.includes(root)) {
    const site = await e.tl.walk({ from: fr!.start, dir: -1, thread: call[1], skipDepth: call[3] }, (_, l) => l[3] < call[3]);
    if (site !== null) {
      const step = await stepAt(e, site, expr, value, 'argument');
      step.note = `passed to ${e.frameFunction(f)}() as ${root}`;
      // The argument's own expression at the call site, when the line says which it is:
      // followed as EXPR with the parameter replaced by it (cart.total, passed as c: c.total).
      const arg = step.source ? argumentFor(step.source, e.rec.codes[f.code]?.name ?? '', params, root) : null;
      const caller = arg && depth > 1 ? frameIn(await stateAt(e.rec, site), (await e.tl.event(site))![2]) : undefined;
      const followed = arg && `${/^[\w.]+$/.test(arg) ? arg : `(${arg})`}${expr.slice(root.length)}`;
      const node = followed ? parsed(followed) : null;
      if (node && !namesIn(node).size) {
        step.note += ` (the literal ${arg})`;
        return step;
      }
      if (node && caller) {
        step.from.push(await trace(e, followed!, caller, site, depth - 1, seen));
        return step;
      }
      await readsOf(e, step, depth, seen);
      return step;
    }
    const step = await stepAt(e, fr!.start, expr, value, 'argument');
    step.note = `passed to ${e.frameFunction(f)}() by code that is not recorded`;
    return step;
  }
  const step = await stepAt(e, fr?.start ?? e.seq, expr, value, 'older');
  step.note = `it had this value when ${e.frameFunction(f)}() began (set before the recording, or by code that is not recorded)`;
  return step;
}

/**
 * The text of the argument a call on `line` passed to parameter `param` of function `fn`
 * (parameters in order: `params`): by keyword, else by position (after the object of a method
 * call, which is its first parameter). Null where the line does not say plainly.
 */
export function argumentFor(line: string, fn: string, params: string[], param: string): string | null {
  const at = new RegExp(`(?:^|[^\\w])(?:([\\w.]+)\\.)?${fn}\\s*\\(`).exec(line);
  if (!at) return null;
  const args: string[] = [];
  let depth = 0, cur = '', quote = '';
  for (const ch of line.slice(at.index + at[0].length)) {
    if (quote) { cur += ch; if (ch === quote) quote = ''; continue; }
    if (ch === '"' || ch === "'") { quote = ch; cur += ch; continue; }
    if ('([{'.includes(ch)) depth++;
    if (')]}'.includes(ch)) { if (depth === 0) { args.push(cur.trim()); break; } depth--; }
    if (ch === ',' && depth === 0) { args.push(cur.trim()); cur = ''; continue; }
    cur += ch;
  }
  const keyword = args.find((a) => new RegExp(`^${param}\\s*=(?!=)`).test(a));
  if (keyword) return keyword.slice(keyword.indexOf('=') + 1).trim();
  const positional = args.filter((a) => a && !/^\w+\s*=(?!=)/.test(a) && !a.startsWith('*'));
  const bound = at[1] !== undefined && ['self', 'cls'].includes(params[0]);
  if (bound && param === params[0]) return at[1];
  const k = params.indexOf(param) - (bound ? 1 : 0);
  return k >= 0 && k < positional.length ? positional[k] : null;
}

/** Does the line assign to `name` (x = ..., x, y = ..., x += ..., x[k] = ...)? */
function assignsTo(text: string, name: string): boolean {
  const m = /^([^=]*?)(?:[-+*/%&|^@]|\/\/|\*\*|<<|>>)?=(?!=)/.exec(text);
  return !!m && !/[<>!]$/.test(m[1]) && !m[1].includes('(') && new RegExp(`(^|[^\\w.])${name}\\b`).test(m[1]);
}

/** EXPR parsed, or null if it is not an expression Rewind evaluates. */
function parsed(expr: string): Node | null {
  try {
    return parse(expr);
  } catch {
    return null;
  }
}

/** A step at line event `seq`. */
async function stepAt(e: Engine, seq: number, expr: string, value: JsonValue, how: OriginStep['how']): Promise<OriginStep> {
  const pos = e.position(seq, (await e.tl.event(seq))!);
  const text = await sourceLine(e, pos.file, pos.line);
  return { seq, file: pos.file, line: pos.line, function: pos.function, expr, value, how, ...(text ? { source: text.trim() } : {}), from: [] };
}

async function where(e: Engine, seq: number): Promise<string> {
  const pos = e.position(seq, (await e.tl.event(seq))!);
  return `${pos.file.slice(pos.file.lastIndexOf('/') + 1)}:${pos.line} in ${pos.function}() (event ${seq})`;
}

async function sourceLine(e: Engine, file: string, line: number): Promise<string | null> {
  for (const [id, p] of e.files) {
    if (p !== file) continue;
    return (await e.rec.file(id))?.source?.split('\n')[line - 1] ?? null;
  }
  return null;
}

/** The part of a line that is read: right of an assignment's `=`, or all of it. */
function rightOf(text: string): string {
  const m = /^\s*(?:for\s+.+?\s+in\s+|[\w.,\s()[\]*]+?(?<![=!<>])=(?!=))(.*)$/.exec(text);
  return m ? m[1] : text;
}

/** Follows the names read on the step's line (bound in its frame there), one level down. */
async function readsOf(e: Engine, step: OriginStep, depth: number, seen: Set<string>) {
  if (depth <= 1 || !step.source) return;
  const ev = (await e.tl.event(step.seq))!;
  const f = frameIn(await stateAt(e.rec, step.seq), ev[2]);
  if (!f) return;
  const text = step.source.replace(/#.*$/, '').replace(/(['"]).*?\1/g, '""');
  const aug = /^\s*([A-Za-z_]\w*)\s*(?:[-+*/%&|^@]|\/\/|\*\*|<<|>>)=/.exec(text)?.[1]; // x += ...: x is read too
  const names: string[] = [];
  const scope = e.scope(f.locals, '', f.globals);
  for (const m of rightOf(text).matchAll(/(?<![.\w])[A-Za-z_]\w*/g)) {
    const n = m[0];
    if (KEYWORDS.has(n) || names.includes(n)) continue;
    const v = scope.lookup(n);
    if (v === undefined || isCallable(e, v)) continue;
    names.push(n);
  }
  if (aug && !names.includes(aug)) names.unshift(aug);
  for (const n of names.slice(0, MAX_READS)) {
    const key = `${ev[2]}:${step.seq}:${n}`;
    if (seen.has(key)) continue;
    seen.add(key);
    step.from.push(await trace(e, n, f, step.seq, depth - 1, seen));
  }
}

/** Functions, classes and modules: read on a line, but not values whose origin one follows. */
function isCallable(e: Engine, v: WireValue): boolean {
  const t = e.json(v).type;
  return ['function', 'builtin_function_or_method', 'method', 'type', 'module'].includes(t);
}

/** The chain as an indented list, each step with its event (for goto). */
export function originText(o: OriginStep, indent = 0): string {
  const pad = '  '.repeat(indent);
  const at = `${o.file.slice(o.file.lastIndexOf('/') + 1)}:${o.line} in ${o.function}() (event ${o.seq})`;
  const how = { assigned: 'set by', 'changed in a call': 'changed by', returned: 'returned by', argument: 'passed by', older: 'already set at' }[o.how];
  const lines = [`${pad}${indent ? '<- ' : ''}${o.expr} = ${o.value.repr}: ${how} ${at}${o.source ? `: ${o.source}` : ''}`];
  if (o.note) lines.push(`${pad}   (${o.note})`);
  for (const c of o.from) lines.push(originText(c, indent + 1));
  return lines.join('\n');
}
