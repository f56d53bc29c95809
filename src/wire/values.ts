// Wire values as people see them: Python's repr() for builtins, a structural form for the rest.
// Names (type and attribute names) are ids into the recording's name table.
import { PyFloat, T, type WireValue } from './protocol.js';

/** The JSON shape of a value in `dump --json`, `state --json` and the replay outputs. */
export interface JsonValue {
  type: string;
  repr: string;
  truncated?: true;
  redacted?: true;
}

export type NameOf = (id: number) => string;

interface Ctx {
  names: NameOf;
  truncated: boolean;
  path: WireValue[]; // containers being printed, for cycle references
}

export function toJson(v: WireValue, names: NameOf): JsonValue {
  const ctx: Ctx = { names, truncated: false, path: [] };
  const out: JsonValue = { type: typeOf(v, names), repr: repr(v, ctx) };
  if (ctx.truncated) out.truncated = true;
  if (Array.isArray(v) && v[0] === T.REDACTED) out.redacted = true;
  return out;
}

export function typeOf(v: WireValue, names: NameOf): string {
  if (v === null) return 'NoneType';
  if (typeof v === 'boolean') return 'bool';
  if (typeof v === 'number' || typeof v === 'bigint') return 'int';
  if (typeof v === 'string') return 'str';
  if (v instanceof PyFloat) return 'float';
  if (v instanceof Uint8Array) return 'bytes';
  switch (v[0]) {
    case T.BIGINT: return 'int';
    case T.LIST: return 'list';
    case T.TUPLE: return 'tuple';
    case T.SET: return 'set';
    case T.FROZENSET: return 'frozenset';
    case T.DICT: return 'dict';
    case T.STR: return 'str';
    case T.BYTES: return 'bytes';
    case T.BYTEARRAY: return 'bytearray';
    case T.OBJECT: case T.SUBCLASS: case T.DEEP: case T.OPAQUE: case T.REPR: case T.ERROR:
      return names(v[1] as number);
    case T.REDACTED: return 'redacted';
    case T.UNBOUND: return 'unbound';
    case T.CYCLE: return 'cycle';
  }
  return 'unknown';
}

export function reprOf(v: WireValue, names: NameOf): string {
  return repr(v, { names, truncated: false, path: [] });
}

function repr(v: WireValue, ctx: Ctx): string {
  if (v === null) return 'None';
  if (v === true) return 'True';
  if (v === false) return 'False';
  if (typeof v === 'number' || typeof v === 'bigint') return v.toString();
  if (typeof v === 'string') return strRepr(v);
  if (v instanceof PyFloat) return floatRepr(v.value);
  if (v instanceof Uint8Array) return bytesRepr(v);
  const tag = v[0];
  switch (tag) {
    case T.BIGINT: return v[1] as string;
    case T.STR: {
      // [T.STR, length, text, repr?]: a cut string, or one whose repr Python computed
      const text = v[2] as string;
      const shown = (v[3] as string | undefined) ?? strRepr(text);
      if ([...text].length < (v[1] as number)) { ctx.truncated = true; return shown + '...'; }
      return shown;
    }
    case T.BYTES: ctx.truncated = true; return bytesRepr(v[2] as Uint8Array) + '...';
    case T.BYTEARRAY: {
      const n = v[1] as number, b = v[2] as Uint8Array;
      if (b.length < n) ctx.truncated = true;
      return `bytearray(${bytesRepr(b)}${b.length < n ? '...' : ''})`;
    }
    case T.REDACTED: return '<redacted>';
    case T.UNBOUND: return '<unbound>';
    case T.ERROR: ctx.truncated = true; return `<${ctx.names(v[1] as number)} (unreadable)>`;
    case T.REPR: return v[2] as string;
    case T.OPAQUE: return opaqueRepr(ctx.names(v[1] as number), v[2] as string);
    case T.DEEP: {
      ctx.truncated = true;
      return elided(ctx.names(v[1] as number));
    }
    case T.CYCLE: {
      const target = ctx.path[ctx.path.length - (v[1] as number)];
      return target ? elided(typeOf(target, ctx.names)) : '...';
    }
  }
  ctx.path.push(v);
  try {
    return containerRepr(v, ctx);
  } finally {
    ctx.path.pop();
  }
}

function containerRepr(v: WireValue[], ctx: Ctx): string {
  const tag = v[0] as number;
  if (tag === T.OBJECT || tag === T.SUBCLASS) {
    const name = ctx.names(v[1] as number);
    const count = v[2] as number;
    const base = tag === T.SUBCLASS ? 1 : 0;
    const parts: string[] = base ? [repr(v[3], ctx)] : [];
    for (let i = 3 + base; i + 1 < v.length; i += 2) {
      parts.push(`${ctx.names(v[i] as number)}=${repr(v[i + 1], ctx)}`);
    }
    if ((v.length - 3 - base) / 2 < count) { ctx.truncated = true; parts.push('...'); }
    return `${shortName(name)}(${parts.join(', ')})`;
  }
  const n = v[1] as number;
  let body = '';
  if (tag === T.DICT) {
    for (let i = 2; i + 1 < v.length; i += 2) body += `${i > 2 ? ', ' : ''}${repr(v[i], ctx)}: ${repr(v[i + 1], ctx)}`;
  } else {
    for (let i = 2; i < v.length; i++) body += (i > 2 ? ', ' : '') + repr(v[i], ctx);
  }
  const shown = tag === T.DICT ? (v.length - 2) >> 1 : v.length - 2;
  if (shown < n) { ctx.truncated = true; body += shown ? ', ...' : '...'; }
  switch (tag) {
    case T.LIST: return `[${body}]`;
    case T.TUPLE: return n === 1 && shown === 1 ? `(${body},)` : `(${body})`;
    case T.SET: return n === 0 ? 'set()' : `{${body}}`;
    case T.FROZENSET: return n === 0 ? 'frozenset()' : `frozenset({${body}})`;
    case T.DICT: return `{${body}}`;
  }
  return `<unknown value tag ${tag}>`;
}

function elided(type: string): string {
  switch (type) {
    case 'list': return '[...]';
    case 'dict': return '{...}';
    case 'tuple': return '(...)';
    case 'set': return '{...}';
  }
  return `${shortName(type)}(...)`;
}

/** 'pkg.module.Class' is shown as 'Class'. */
function shortName(qualified: string): string {
  return qualified.slice(qualified.lastIndexOf('.') + 1);
}

function opaqueRepr(type: string, label: string): string {
  switch (type) {
    case 'function': return `<function ${label}>`;
    case 'builtin_function_or_method': return `<built-in function ${label}>`;
    case 'method': return `<bound method ${label}>`;
    case 'module': return `<module '${label}'>`;
    case 'type': return `<class '${label}'>`;
    case 'ellipsis': return 'Ellipsis';
    case 'NotImplementedType': return 'NotImplemented';
  }
  return `<${type} object>`;
}

/** Python's repr() of a float: shortest round-trip digits, Python's choice of notation. */
export function floatRepr(x: number): string {
  if (Number.isNaN(x)) return 'nan';
  if (x === Infinity) return 'inf';
  if (x === -Infinity) return '-inf';
  if (x === 0) return Object.is(x, -0) ? '-0.0' : '0.0';
  const sign = x < 0 ? '-' : '';
  const [mant, e] = Math.abs(x).toExponential().split('e');
  const digits = mant.replace('.', '');
  const exp = parseInt(e, 10);
  if (exp >= -4 && exp < 16) {
    if (exp < 0) return `${sign}0.${'0'.repeat(-exp - 1)}${digits}`;
    const int = digits.slice(0, exp + 1).padEnd(exp + 1, '0');
    const frac = digits.slice(exp + 1);
    return `${sign}${int}.${frac || '0'}`;
  }
  const m = digits.length > 1 ? `${digits[0]}.${digits.slice(1)}` : digits;
  const es = Math.abs(exp).toString().padStart(2, '0');
  return `${sign}${m}e${exp < 0 ? '-' : '+'}${es}`;
}

const NEEDS_ESCAPE = /['\\\x00-\x1f\x7f]/;

/**
 * Python's repr() of a str whose non-ASCII characters are all printable (the agent sends
 * Python's own repr for any other string, since that depends on its Unicode version).
 */
export function strRepr(s: string): string {
  if (!NEEDS_ESCAPE.test(s)) return `'${s}'`; // most strings: nothing to escape
  const quote = s.includes("'") && !s.includes('"') ? '"' : "'";
  let out = quote;
  for (const ch of s) {
    const cp = ch.codePointAt(0)!;
    if (ch === quote || ch === '\\') out += '\\' + ch;
    else if (ch === '\t') out += '\\t';
    else if (ch === '\n') out += '\\n';
    else if (ch === '\r') out += '\\r';
    else if (cp < 0x20 || cp === 0x7f) out += '\\x' + hex(cp, 2);
    else out += ch;
  }
  return out + quote;
}

/** Python's repr() of bytes. */
export function bytesRepr(b: Uint8Array): string {
  let hasSingle = false, hasDouble = false;
  for (const c of b) { if (c === 0x27) hasSingle = true; else if (c === 0x22) hasDouble = true; }
  const quote = hasSingle && !hasDouble ? 0x22 : 0x27;
  let out = 'b' + String.fromCharCode(quote);
  for (const c of b) {
    if (c === quote || c === 0x5c) out += '\\' + String.fromCharCode(c);
    else if (c === 0x09) out += '\\t';
    else if (c === 0x0a) out += '\\n';
    else if (c === 0x0d) out += '\\r';
    else if (c < 0x20 || c >= 0x7f) out += '\\x' + hex(c, 2);
    else out += String.fromCharCode(c);
  }
  return out + String.fromCharCode(quote);
}

function hex(n: number, width: number): string {
  return n.toString(16).padStart(width, '0');
}

/**
 * The parts of a value a tree view can open: items of sequences and sets, entries of dicts,
 * attributes of objects (a subclass's builtin value first), each with a label. `more` counts
 * what the agent cut. null for values with no parts (and for containers cut by depth).
 */
export function childrenOf(v: WireValue, names: NameOf): { parts: [string, WireValue][]; more: number } | null {
  if (!Array.isArray(v)) return null;
  const tag = v[0] as number;
  if (tag === T.OBJECT || tag === T.SUBCLASS) {
    const base = tag === T.SUBCLASS ? 1 : 0;
    const parts: [string, WireValue][] = base ? [['(value)', v[3]]] : [];
    for (let i = 3 + base; i + 1 < v.length; i += 2) parts.push([names(v[i] as number), v[i + 1]]);
    return { parts, more: Math.max(0, (v[2] as number) - (parts.length - base)) };
  }
  if (tag === T.LIST || tag === T.TUPLE || tag === T.SET || tag === T.FROZENSET || tag === T.DICT) {
    const items = v.slice(2);
    const parts: [string, WireValue][] = tag === T.DICT
      ? Array.from({ length: items.length >> 1 }, (_, i) => [`[${reprOf(items[2 * i], names)}]`, items[2 * i + 1]])
      : items.map((item, i) => [tag === T.LIST || tag === T.TUPLE ? `[${i}]` : '·', item]);
    return { parts, more: Math.max(0, (v[1] as number) - parts.length) };
  }
  return null;
}
