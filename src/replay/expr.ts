// Expressions over recorded values (conditions, print, watch, log): a small Python subset,
// parsed and evaluated here, in TypeScript. Nothing in a recording can make Rewind run code,
// so there are no calls except a few builtins, and user objects are only looked into.
//
// Values are wire values (protocol.ts) in and out: a recorded list stays [T.LIST, n, ...items],
// a computed int is a number or bigint, a float a PyFloat. A value cut by the agent's bounds is
// usable as far as it was recorded; needing the cut part is an error that says so.
import { PyFloat, T, type WireValue } from '../wire/protocol.js';
import { reprOf, typeOf, type NameOf } from '../wire/values.js';
import { UserError } from '../errors.js';

export class ExprError extends UserError {
  constructor(message: string) { super(message, 'REWIND_EXPR'); }
}

export type Node =
  | { k: 'lit'; v: WireValue }
  | { k: 'name'; id: string }
  | { k: 'attr'; obj: Node; name: string }
  | { k: 'index'; obj: Node; index: Node }
  | { k: 'slice'; obj: Node; lo: Node | null; hi: Node | null }
  | { k: 'call'; fn: string; args: Node[] }
  | { k: 'un'; op: string; x: Node }
  | { k: 'bin'; op: string; a: Node; b: Node }
  | { k: 'cmp'; first: Node; rest: [string, Node][] }
  | { k: 'bool'; op: 'and' | 'or'; a: Node; b: Node }
  | { k: 'seq'; tag: number; items: Node[] };

/** What an expression can see: the locals of one frame, and the recording's name table. */
export interface Scope {
  lookup(name: string): WireValue | undefined;
  names: NameOf;
  /** The attribute name id for a string, if the recording knows it. */
  nameId(name: string): number | undefined;
  where: string; // 'fact() at seq 12', for messages
}

// ---- parsing ----

const TOKEN = /\s*(?:(\d[\d_]*\.?[\d_]*(?:[eE][+-]?\d+)?|\.\d[\d_]*(?:[eE][+-]?\d+)?)|([A-Za-z_][A-Za-z0-9_]*)|('(?:[^'\\]|\\.)*'|"(?:[^"\\]|\\.)*")|(\*\*|\/\/|==|!=|<=|>=|[-+*/%<>()[\]{},.:]))/y;

type Tok = { t: 'num' | 'name' | 'str' | 'op'; s: string };

function tokenize(src: string): Tok[] {
  const out: Tok[] = [];
  TOKEN.lastIndex = 0;
  let i = 0;
  while (i < src.length) {
    if (/^\s*$/.test(src.slice(i))) break;
    TOKEN.lastIndex = i;
    const m = TOKEN.exec(src);
    if (!m) throw new ExprError(`cannot read the expression at '${src.slice(i).trim().slice(0, 20)}'.`);
    i = TOKEN.lastIndex;
    if (m[1] !== undefined) out.push({ t: 'num', s: m[1] });
    else if (m[2] !== undefined) out.push({ t: 'name', s: m[2] });
    else if (m[3] !== undefined) out.push({ t: 'str', s: m[3] });
    else out.push({ t: 'op', s: m[4] });
  }
  return out;
}

const FUNCTIONS = new Set(['len', 'abs', 'min', 'max', 'sum', 'round', 'sorted', 'any', 'all', 'int', 'float', 'bool', 'str', 'repr', 'isinstance']);

/** Builtin types isinstance() knows, and the builtin types that are subclasses of each. */
const BUILTIN_TYPES: Record<string, string[]> = {
  object: [], int: ['int', 'bool'], bool: ['bool'], float: ['float'], complex: ['complex'], str: ['str'], bytes: ['bytes'],
  bytearray: ['bytearray'], list: ['list'], tuple: ['tuple'], set: ['set'], frozenset: ['frozenset'], dict: ['dict'],
  NoneType: ['NoneType'],
};
const CMP = new Set(['==', '!=', '<', '<=', '>', '>=', 'in', 'not in', 'is', 'is not']);

export function parse(src: string): Node {
  const toks = tokenize(src);
  if (!toks.length) throw new ExprError('the expression is empty.');
  let p = 0;
  const peek = (s?: string) => (p < toks.length && (s === undefined || (toks[p].s === s && toks[p].t !== 'str')) ? toks[p] : undefined);
  const eat = (s: string) => { if (!peek(s)) throw new ExprError(`expected '${s}' ${p < toks.length ? `before '${toks[p].s}'` : 'at the end'} in: ${src}`); p++; };

  const or = (): Node => { let a = and(); while (peek('or')) { p++; a = { k: 'bool', op: 'or', a, b: and() }; } return a; };
  const and = (): Node => { let a = not(); while (peek('and')) { p++; a = { k: 'bool', op: 'and', a, b: not() }; } return a; };
  const not = (): Node => (peek('not') ? (p++, { k: 'un', op: 'not', x: not() }) : cmp());
  const cmpOp = (): string | undefined => {
    const t = peek();
    if (!t || t.t === 'str') return undefined;
    if (t.s === 'not' && toks[p + 1]?.s === 'in') { p += 2; return 'not in'; }
    if (t.s === 'is' && toks[p + 1]?.s === 'not') { p += 2; return 'is not'; }
    if (CMP.has(t.s)) { p++; return t.s; }
    return undefined;
  };
  const cmp = (): Node => {
    const first = sum();
    const rest: [string, Node][] = [];
    for (let op = cmpOp(); op; op = cmpOp()) rest.push([op, sum()]);
    return rest.length ? { k: 'cmp', first, rest } : first;
  };
  const binary = (ops: string[], next: () => Node) => (): Node => {
    let a = next();
    while (peek() && peek()!.t === 'op' && ops.includes(peek()!.s)) { const op = toks[p++].s; a = { k: 'bin', op, a, b: next() }; }
    return a;
  };
  const unary = (): Node => {
    const t = peek();
    if (t && t.t === 'op' && (t.s === '-' || t.s === '+')) { p++; return { k: 'un', op: t.s, x: unary() }; }
    return power();
  };
  const power = (): Node => {
    const a = postfix();
    if (peek('**')) { p++; return { k: 'bin', op: '**', a, b: unary() }; }
    return a;
  };
  const term = binary(['*', '/', '//', '%'], unary);
  const sum = binary(['+', '-'], term);
  const postfix = (): Node => {
    let x = atom();
    for (;;) {
      if (peek('.')) {
        p++;
        const t = toks[p++];
        if (!t || t.t !== 'name') throw new ExprError(`expected an attribute name after '.' in: ${src}`);
        x = { k: 'attr', obj: x, name: t.s };
      } else if (peek('[')) {
        p++;
        const lo = peek(':') ? null : or();
        if (peek(':')) {
          p++;
          const hi = peek(']') ? null : or();
          eat(']');
          x = { k: 'slice', obj: x, lo, hi };
        } else {
          eat(']');
          x = { k: 'index', obj: x, index: lo! };
        }
      } else if (peek('(')) {
        if (x.k !== 'name' || !FUNCTIONS.has(x.id)) {
          throw new ExprError(`only ${[...FUNCTIONS].join(', ')} can be called in an expression: Rewind never runs the program's code.`);
        }
        p++;
        x = { k: 'call', fn: x.id, args: items(')') };
      } else return x;
    }
  };
  const items = (close: string): Node[] => {
    const out: Node[] = [];
    while (!peek(close)) {
      out.push(or());
      if (!peek(close)) eat(',');
    }
    eat(close);
    return out;
  };
  const atom = (): Node => {
    const t = toks[p++];
    if (!t) throw new ExprError(`the expression ends too early: ${src}`);
    if (t.t === 'num') return { k: 'lit', v: number(t.s) };
    if (t.t === 'str') {
      let s = stringLiteral(t.s);
      while (peek() && peek()!.t === 'str') s += stringLiteral(toks[p++].s);
      return { k: 'lit', v: s };
    }
    if (t.t === 'name') {
      if (t.s === 'None') return { k: 'lit', v: null };
      if (t.s === 'True') return { k: 'lit', v: true };
      if (t.s === 'False') return { k: 'lit', v: false };
      if (['and', 'or', 'not', 'in', 'is', 'if', 'else', 'lambda'].includes(t.s)) throw new ExprError(`unexpected '${t.s}' in: ${src}`);
      return { k: 'name', id: t.s };
    }
    if (t.s === '(') {
      if (peek(')')) { p++; return { k: 'seq', tag: T.TUPLE, items: [] }; }
      const first = or();
      if (peek(')')) { p++; return first; }
      eat(',');
      return { k: 'seq', tag: T.TUPLE, items: [first, ...items(')')] };
    }
    if (t.s === '[') return { k: 'seq', tag: T.LIST, items: items(']') };
    throw new ExprError(`unexpected '${t.s}' in: ${src}`);
  };

  const node = or();
  if (p < toks.length) throw new ExprError(`unexpected '${toks[p].s}' in: ${src}`);
  return node;
}

function number(s: string): WireValue {
  const clean = s.replace(/_/g, '');
  if (/^\d+$/.test(clean)) return normInt(BigInt(clean));
  return new PyFloat(Number(clean));
}

function stringLiteral(tok: string): string {
  const body = tok.slice(1, -1);
  const esc: Record<string, string> = { n: '\n', t: '\t', r: '\r', '0': '\0', '\\': '\\', "'": "'", '"': '"' };
  return body.replace(/\\(x[0-9a-fA-F]{2}|u[0-9a-fA-F]{4}|.)/g, (_, e: string) =>
    e.length > 1 ? String.fromCharCode(parseInt(e.slice(1), 16)) : esc[e] ?? '\\' + e);
}

/** The local names an expression reads (a watch looks for changes to these). */
/** `a.b.c` of an attribute chain's object part, for type names written with their module. */
function dotted(n: Node): string {
  if (n.k === 'name') return n.id;
  if (n.k === 'attr') return `${dotted(n.obj)}.${n.name}`;
  throw new ExprError('isinstance() takes a type name or a tuple of type names as its second argument.');
}

export function namesIn(n: Node, out = new Set<string>()): Set<string> {
  switch (n.k) {
    case 'name': out.add(n.id); break;
    case 'attr': namesIn(n.obj, out); break;
    case 'index': namesIn(n.obj, out); namesIn(n.index, out); break;
    case 'slice': namesIn(n.obj, out); if (n.lo) namesIn(n.lo, out); if (n.hi) namesIn(n.hi, out); break;
    case 'call': (n.fn === 'isinstance' ? n.args.slice(0, 1) : n.args).forEach((a) => namesIn(a, out)); break;
    case 'un': namesIn(n.x, out); break;
    case 'bin': case 'bool': namesIn(n.a, out); namesIn(n.b, out); break;
    case 'cmp': namesIn(n.first, out); n.rest.forEach(([, x]) => namesIn(x, out)); break;
    case 'seq': n.items.forEach((a) => namesIn(a, out)); break;
  }
  return out;
}

// ---- evaluation ----

export function evaluate(n: Node, scope: Scope): WireValue {
  return new Evaluator(scope).eval(n);
}

/** Evaluates a condition: Python truthiness of the result. */
export function test(n: Node, scope: Scope): boolean {
  const ev = new Evaluator(scope);
  return ev.truthy(ev.eval(n));
}

type Arr = [number, ...WireValue[]];
const isArr = (v: WireValue): v is Arr => Array.isArray(v);
const tagOf = (v: WireValue) => (isArr(v) ? v[0] : -1);

function normInt(b: bigint): WireValue {
  if (b >= BigInt(Number.MIN_SAFE_INTEGER) && b <= BigInt(Number.MAX_SAFE_INTEGER)) return Number(b);
  return b >= -(1n << 63n) && b < (1n << 64n) ? b : [T.BIGINT, b.toString()];
}

class Evaluator {
  constructor(private s: Scope) {}

  private type(v: WireValue) { return typeOf(v, this.s.names); }
  private repr(v: WireValue) { return reprOf(v, this.s.names); }
  private truncated(what: string): never {
    throw new ExprError(`${what} was cut short by the recording's size bounds (record with larger --max-items/--max-string/--max-depth to see it).`);
  }

  eval(n: Node): WireValue {
    switch (n.k) {
      case 'lit': return n.v;
      case 'name': {
        const v = this.s.lookup(n.id);
        if (v === undefined) throw new ExprError(`name '${n.id}' is not defined in ${this.s.where}.`);
        if (isArr(v) && v[0] === T.REDACTED) throw new ExprError(`'${n.id}' was redacted when it was recorded.`);
        return v;
      }
      case 'attr': return this.attr(this.eval(n.obj), n.name);
      case 'index': return this.index(this.eval(n.obj), this.eval(n.index));
      case 'slice': return this.slice(this.eval(n.obj), n.lo && this.eval(n.lo), n.hi && this.eval(n.hi));
      case 'call': return n.fn === 'isinstance' ? this.isinstance(n.args) : this.call(n.fn, n.args.map((a) => this.eval(a)));
      case 'un': {
        const x = this.eval(n.x);
        if (n.op === 'not') return !this.truthy(x);
        if (n.op === '+') return this.arith('+', 0, x);
        return this.arith('-', 0, x);
      }
      case 'bin': return this.arith(n.op, this.eval(n.a), this.eval(n.b));
      case 'bool': {
        const a = this.eval(n.a);
        const t = this.truthy(a);
        return (n.op === 'and' ? !t : t) ? a : this.eval(n.b);
      }
      case 'cmp': {
        let a = this.eval(n.first);
        for (const [op, bn] of n.rest) {
          const b = this.eval(bn);
          if (!this.compare(op, a, b)) return false;
          a = b;
        }
        return true;
      }
      case 'seq': {
        const items = n.items.map((x) => this.eval(x));
        return [n.tag, items.length, ...items];
      }
    }
  }

  truthy(v: WireValue): boolean {
    if (v === null || v === false) return false;
    if (v === true) return true;
    if (typeof v === 'number') return v !== 0;
    if (typeof v === 'bigint') return v !== 0n;
    if (typeof v === 'string') return v.length > 0;
    if (v instanceof PyFloat) return v.value !== 0;
    if (v instanceof Uint8Array) return v.length > 0;
    switch (v[0]) {
      case T.LIST: case T.TUPLE: case T.SET: case T.FROZENSET: case T.DICT: case T.STR: case T.BYTES: case T.BYTEARRAY:
        return (v[1] as number) > 0;
      case T.DEEP: if (typeof v[2] === 'number') return v[2] > 0; break;
      case T.BIGINT: return true;
      case T.SUBCLASS: return this.truthy(v[3]);
      case T.OBJECT:
        throw new ExprError(`the truth of a ${this.type(v)} object depends on its __bool__/__len__, which Rewind does not run; compare an attribute instead.`);
    }
    return true;
  }

  // -- numbers --

  private num(v: WireValue): bigint | PyFloat | undefined {
    if (typeof v === 'number') return BigInt(v);
    if (typeof v === 'bigint') return v;
    if (typeof v === 'boolean') return v ? 1n : 0n;
    if (v instanceof PyFloat) return v;
    if (isArr(v) && v[0] === T.BIGINT) return BigInt(v[1] as string);
    if (isArr(v) && v[0] === T.SUBCLASS) return this.num(v[3]);
    return undefined;
  }

  private arith(op: string, a: WireValue, b: WireValue): WireValue {
    const x = this.num(a), y = this.num(b);
    if (x !== undefined && y !== undefined) {
      if (typeof x === 'bigint' && typeof y === 'bigint' && op !== '/') {
        switch (op) {
          case '+': return normInt(x + y);
          case '-': return normInt(x - y);
          case '*': return normInt(x * y);
          case '//': case '%': {
            if (y === 0n) throw new ExprError(`integer division or modulo by zero.`);
            let q = x / y;
            if ((x % y !== 0n) && ((x < 0n) !== (y < 0n))) q -= 1n;
            return normInt(op === '//' ? q : x - q * y);
          }
          case '**':
            if (y < 0n) return new PyFloat(Number(x) ** Number(y));
            if (y > 100000n) throw new ExprError('that power is too large to compute.');
            return normInt(x ** y);
        }
      }
      const f = (n: bigint | PyFloat) => (typeof n === 'bigint' ? Number(n) : n.value);
      const p = f(x), q = f(y);
      switch (op) {
        case '+': return new PyFloat(p + q);
        case '-': return new PyFloat(p - q);
        case '*': return new PyFloat(p * q);
        case '/': if (q === 0) throw new ExprError('division by zero.'); return new PyFloat(p / q);
        case '//': if (q === 0) throw new ExprError('float floor division by zero.'); return new PyFloat(Math.floor(p / q));
        case '%': if (q === 0) throw new ExprError('float modulo by zero.'); return new PyFloat(p - Math.floor(p / q) * q);
        case '**': return new PyFloat(p ** q);
      }
    }
    const sa = this.str(a), sb = this.str(b);
    if (op === '+' && sa !== undefined && sb !== undefined) return sa + sb;
    if (op === '%' && sa !== undefined) throw new ExprError('%-formatting is not supported; use str() and +.');
    if (op === '*' && sa !== undefined && typeof y === 'bigint') return sa.repeat(Math.max(0, Number(y)));
    if (op === '+' && tagOf(a) === tagOf(b) && (tagOf(a) === T.LIST || tagOf(a) === T.TUPLE)) {
      const ia = this.items(a, 'the left side'), ib = this.items(b, 'the right side');
      return [tagOf(a), ia.length + ib.length, ...ia, ...ib];
    }
    const opName = op === '-' && a === 0 ? 'unary -' : op;
    if (opName === 'unary -') throw new ExprError(`bad operand type for unary -: '${this.type(b)}'.`);
    throw new ExprError(`unsupported operand type(s) for ${op}: '${this.type(a)}' and '${this.type(b)}'.`);
  }

  // -- strings and containers --

  /** The whole text of a str value, or undefined if it is not a str. */
  private str(v: WireValue): string | undefined {
    if (typeof v === 'string') return v;
    if (isArr(v) && v[0] === T.STR) {
      const text = v[2] as string;
      if ([...text].length < (v[1] as number)) this.truncated(`the string ${this.repr(v)}`);
      return text;
    }
    return undefined;
  }

  /** All items of a list/tuple/set (dict: keys), or an error if the recording cut some. */
  private items(v: WireValue, what: string): WireValue[] {
    if (!isArr(v)) throw new ExprError(`${what} is not a container.`);
    const tag = v[0];
    if (tag === T.DEEP) this.truncated(`${what} (nested deeper than the recorded depth)`);
    if (tag === T.SUBCLASS) return this.items(v[3], what);
    if (![T.LIST, T.TUPLE, T.SET, T.FROZENSET, T.DICT].includes(tag as any)) {
      throw new ExprError(`'${this.type(v)}' object is not iterable here.`);
    }
    const n = v[1] as number;
    const body = v.slice(2);
    const items = tag === T.DICT ? body.filter((_, i) => i % 2 === 0) : body;
    if (items.length < n) this.truncated(`${what} (${n} items, ${items.length} recorded)`);
    return items;
  }

  private attr(v: WireValue, name: string): WireValue {
    if (isArr(v) && (v[0] === T.OBJECT || v[0] === T.SUBCLASS)) {
      const id = this.s.nameId(name);
      const start = v[0] === T.SUBCLASS ? 4 : 3;
      for (let i = start; i + 1 < v.length; i += 2) {
        if (v[i] === id) {
          const a = v[i + 1];
          if (isArr(a) && a[0] === T.REDACTED) throw new ExprError(`attribute '${name}' was redacted when it was recorded.`);
          return a;
        }
      }
      if ((v.length - start) / 2 < (v[2] as number)) this.truncated(`the attributes of this ${this.type(v)} object`);
      throw new ExprError(`'${this.type(v)}' object has no recorded attribute '${name}' (properties and class attributes are not recorded).`);
    }
    if (isArr(v) && v[0] === T.DEEP) this.truncated(`this ${this.type(v)} object (nested deeper than the recorded depth)`);
    throw new ExprError(`'${this.type(v)}' object has no recorded attribute '${name}'.`);
  }

  private index(v: WireValue, i: WireValue): WireValue {
    if (isArr(v) && v[0] === T.DICT) {
      const n = v[1] as number;
      for (let j = 2; j + 1 < v.length; j += 2) if (this.equal(v[j], i)) return v[j + 1];
      if ((v.length - 2) / 2 < n) this.truncated(`the dict (${n} items, ${(v.length - 2) / 2} recorded)`);
      throw new ExprError(`KeyError: ${this.repr(i)}.`);
    }
    if (isArr(v) && v[0] === T.SUBCLASS) return this.index(v[3], i);
    const k = this.num(i);
    if (typeof k !== 'bigint') throw new ExprError(`indices must be integers, not ${this.type(i)}.`);
    const s = this.str(v);
    if (s !== undefined) {
      const chars = [...s];
      const j = Number(k < 0n ? BigInt(chars.length) + k : k);
      if (j < 0 || j >= chars.length) throw new ExprError('string index out of range.');
      return chars[j];
    }
    if (isArr(v) && (v[0] === T.LIST || v[0] === T.TUPLE)) {
      const n = v[1] as number;
      const j = Number(k < 0n ? BigInt(n) + k : k);
      if (j < 0 || j >= n) throw new ExprError(`${this.type(v)} index out of range.`);
      if (2 + j >= v.length) this.truncated(`item ${j} of the ${this.type(v)} (${v.length - 2} of ${n} recorded)`);
      return v[2 + j];
    }
    if (isArr(v) && v[0] === T.DEEP) this.truncated(`this ${this.type(v)} (nested deeper than the recorded depth)`);
    throw new ExprError(`'${this.type(v)}' object is not subscriptable here.`);
  }

  private slice(v: WireValue, lo: WireValue | null, hi: WireValue | null): WireValue {
    const s = this.str(v);
    const seq = s !== undefined ? [...s] : this.items(v, 'the sliced value');
    const bound = (b: WireValue | null, dflt: number) => {
      if (b === null) return dflt;
      const k = this.num(b);
      if (typeof k !== 'bigint') throw new ExprError('slice indices must be integers or None.');
      const j = Number(k);
      return Math.min(Math.max(j < 0 ? seq.length + j : j, 0), seq.length);
    };
    const part = seq.slice(bound(lo, 0), bound(hi, seq.length));
    if (s !== undefined) return (part as string[]).join('');
    const tag = tagOf(v) === T.TUPLE ? T.TUPLE : T.LIST;
    return [tag, part.length, ...part];
  }

  /**
   * isinstance(x, T) or isinstance(x, (T, U)), T a builtin type or a class by name: the recording
   * holds each value's type, not its base classes, so a class that is not x's own type is only
   * answered for builtin types.
   */
  private isinstance(args: Node[]): WireValue {
    if (args.length !== 2) throw new ExprError(`isinstance() takes exactly two arguments (${args.length} given).`);
    const types = args[1].k === 'seq' && args[1].tag === T.TUPLE ? args[1].items : [args[1]];
    const names = types.map((t) => {
      if (t.k !== 'name' && t.k !== 'attr') throw new ExprError('isinstance() takes a type name or a tuple of type names as its second argument.');
      return t.k === 'name' ? t.id : `${dotted(t.obj)}.${t.name}`;
    });
    const v = this.eval(args[0]);
    const own = this.type(v);
    // The builtin type a value is, or (a subclass of a builtin, or an object) derives from.
    const builtin = isArr(v) && v[0] === T.SUBCLASS ? this.type(v[3]) : isArr(v) && v[0] === T.OBJECT ? 'object' : own;
    let unknown: string | null = null;
    for (const t of names) {
      if (t === 'object') return true;
      const b = BUILTIN_TYPES[t];
      if (b) { if (b.includes(builtin)) return true; continue; }
      if (own === t || own.endsWith(`.${t}`) || t.endsWith(`.${own}`)) return true;
      if (isArr(v) && (v[0] === T.OBJECT || v[0] === T.SUBCLASS)) unknown = t;
    }
    if (unknown !== null) {
      throw new ExprError(`isinstance() cannot tell whether a ${own.slice(own.lastIndexOf('.') + 1)} is a ${unknown}: the recording holds a value's own type, not its base classes.`);
    }
    return false;
  }

  private call(fn: string, args: WireValue[]): WireValue {
    const one = () => {
      if (args.length !== 1) throw new ExprError(`${fn}() takes exactly one argument (${args.length} given).`);
      return args[0];
    };
    switch (fn) {
      case 'len': {
        const v = one();
        const s = typeof v === 'string' ? v : undefined;
        if (s !== undefined) return [...s].length;
        if (v instanceof Uint8Array) return v.length;
        if (isArr(v)) {
          if ([T.LIST, T.TUPLE, T.SET, T.FROZENSET, T.DICT, T.STR, T.BYTES, T.BYTEARRAY].includes(v[0] as any)) return v[1] as number;
          if (v[0] === T.DEEP && typeof v[2] === 'number') return v[2];
          if (v[0] === T.SUBCLASS) return this.call('len', [v[3]]);
        }
        throw new ExprError(`object of type '${this.type(v)}' has no len() that Rewind can compute.`);
      }
      case 'abs': {
        const x = this.num(one());
        if (x === undefined) throw new ExprError(`bad operand type for abs(): '${this.type(args[0])}'.`);
        return typeof x === 'bigint' ? normInt(x < 0n ? -x : x) : new PyFloat(Math.abs(x.value));
      }
      case 'min': case 'max': {
        const pool = args.length === 1 ? this.items(args[0], `the argument of ${fn}()`) : args;
        if (!pool.length) throw new ExprError(`${fn}() arg is an empty sequence.`);
        return pool.reduce((best, x) => (this.compare(fn === 'min' ? '<' : '>', x, best) ? x : best));
      }
      case 'sum': {
        if (args.length < 1 || args.length > 2) throw new ExprError(`sum() takes an iterable and an optional start (${args.length} given).`);
        return this.items(args[0], 'the argument of sum()').reduce((acc, x) => this.arith('+', acc, x), args[1] ?? 0);
      }
      case 'sorted': {
        const items = this.iterate(one(), 'the argument of sorted()');
        items.sort((a, b) => (this.compare('<', a, b) ? -1 : this.compare('<', b, a) ? 1 : 0));
        return [T.LIST, items.length, ...items];
      }
      case 'any': return this.iterate(one(), 'the argument of any()').some((x) => this.truthy(x));
      case 'all': return this.iterate(one(), 'the argument of all()').every((x) => this.truthy(x));
      case 'bool': return args.length ? this.truthy(one()) : false;
      case 'int': return this.toInt(one());
      case 'float': return this.toFloat(one());
      case 'round': return this.round(args);
      case 'str': { const v = one(); return this.str(v) ?? this.repr(v); }
      case 'repr': return this.repr(one());
    }
    throw new ExprError(`unknown function ${fn}().`);
  }

  private toInt(v: WireValue): WireValue {
    const x = this.num(v);
    if (typeof x === 'bigint') return normInt(x);
    if (x !== undefined) {
      if (!Number.isFinite(x.value)) throw new ExprError(`cannot convert float ${this.repr(v)} to integer.`);
      return normInt(BigInt(Math.trunc(x.value)));
    }
    const s = this.str(v);
    if (s !== undefined && /^\s*[+-]?\d+(_\d+)*\s*$/.test(s)) return normInt(BigInt(s.trim().replace(/_/g, '')));
    throw new ExprError(s !== undefined ? `invalid literal for int() with base 10: ${this.repr(v)}.` : `int() cannot convert '${this.type(v)}'.`);
  }

  private toFloat(v: WireValue): WireValue {
    const x = this.num(v);
    if (x !== undefined) return typeof x === 'bigint' ? new PyFloat(Number(x)) : x;
    const s = this.str(v)?.trim().toLowerCase();
    if (s !== undefined) {
      const special: Record<string, number> = { inf: Infinity, '+inf': Infinity, '-inf': -Infinity, infinity: Infinity, '-infinity': -Infinity, nan: NaN, '+nan': NaN, '-nan': NaN };
      if (s in special) return new PyFloat(special[s]);
      if (/^[+-]?(\d+\.?\d*|\.\d+)(e[+-]?\d+)?$/.test(s)) return new PyFloat(Number(s));
    }
    throw new ExprError(s !== undefined ? `could not convert string to float: ${this.repr(v)}.` : `float() cannot convert '${this.type(v)}'.`);
  }

  /** round(x[, n]): Python's, halves to even. */
  private round(args: WireValue[]): WireValue {
    if (args.length < 1 || args.length > 2) throw new ExprError(`round() takes a number and an optional number of digits (${args.length} given).`);
    const x = this.num(args[0]);
    const n = args.length === 2 ? this.num(args[1]) : undefined;
    if (x === undefined) throw new ExprError(`type ${this.type(args[0])} doesn't define __round__ that Rewind can compute.`);
    if (args.length === 2 && typeof n !== 'bigint') throw new ExprError(`round()'s digits must be an integer.`);
    if (typeof x === 'bigint') return normInt(x); // ints keep their value (negative digits aside)
    const even = (y: number) => { const r = Math.floor(y), d = y - r; return d > 0.5 || (d === 0.5 && r % 2 !== 0) ? r + 1 : r; };
    if (n === undefined) {
      if (!Number.isFinite(x.value)) throw new ExprError(`cannot convert float ${this.repr(args[0])} to integer.`);
      return normInt(BigInt(even(x.value)));
    }
    // The decimal digits of the double itself (toFixed is exact), a tie only where they stop at a 5.
    const digits = Number(n);
    if (digits < 0 || digits > 60 || !Number.isFinite(x.value)) return new PyFloat(Number(x.value.toFixed(Math.max(0, Math.min(digits, 100)))));
    const exact = x.value.toFixed(digits + 40);
    const tail = exact.slice(exact.length - 40);
    if (!/^50*$/.test(tail)) return new PyFloat(Number(x.value.toFixed(digits)));
    const scale = 10 ** digits;
    return new PyFloat(even(Number(exact.slice(0, exact.length - 40)) * scale + (x.value < 0 ? -0.5 : 0.5)) / scale);
  }

  /** What a for loop over v goes through: a string's characters, a container's items. */
  private iterate(v: WireValue, what: string): WireValue[] {
    const s = this.str(v);
    return s !== undefined ? [...s] : [...this.items(v, what)];
  }

  // -- comparison --

  compare(op: string, a: WireValue, b: WireValue): boolean {
    switch (op) {
      case '==': return this.equal(a, b);
      case '!=': return !this.equal(a, b);
      case 'in': return this.contains(b, a);
      case 'not in': return !this.contains(b, a);
      case 'is': case 'is not': {
        const singleton = (v: WireValue) => v === null || v === true || v === false;
        if (!singleton(a) && !singleton(b)) throw new ExprError(`'is' compares identities, which a recording does not keep; only 'is None', 'is True' and 'is False' work.`);
        return (a === b) === (op === 'is');
      }
    }
    const c = this.order(a, b, op);
    switch (op) {
      case '<': return c < 0;
      case '<=': return c <= 0;
      case '>': return c > 0;
      default: return c >= 0;
    }
  }

  private order(a: WireValue, b: WireValue, op: string): number {
    const x = this.num(a), y = this.num(b);
    if (x !== undefined && y !== undefined) {
      if (typeof x === 'bigint' && typeof y === 'bigint') return x < y ? -1 : x > y ? 1 : 0;
      const p = typeof x === 'bigint' ? Number(x) : x.value, q = typeof y === 'bigint' ? Number(y) : y.value;
      return p < q ? -1 : p > q ? 1 : p === q ? 0 : NaN;
    }
    const sa = this.str(a), sb = this.str(b);
    if (sa !== undefined && sb !== undefined) return sa < sb ? -1 : sa > sb ? 1 : 0;
    if (tagOf(a) === tagOf(b) && (tagOf(a) === T.LIST || tagOf(a) === T.TUPLE)) {
      const ia = this.items(a, 'the left side'), ib = this.items(b, 'the right side');
      for (let i = 0; i < Math.min(ia.length, ib.length); i++) {
        if (!this.equal(ia[i], ib[i])) return this.order(ia[i], ib[i], op);
      }
      return ia.length - ib.length;
    }
    throw new ExprError(`'${op}' not supported between instances of '${this.type(a)}' and '${this.type(b)}'.`);
  }

  equal(a: WireValue, b: WireValue): boolean {
    const x = this.num(a), y = this.num(b);
    if (x !== undefined || y !== undefined) {
      if (x === undefined || y === undefined) return false;
      return this.order(a, b, '==') === 0;
    }
    if (a === null || b === null) return a === b;
    const sa = this.str(a), sb = this.str(b);
    if (sa !== undefined || sb !== undefined) return sa === sb;
    if (a instanceof Uint8Array || b instanceof Uint8Array) {
      return a instanceof Uint8Array && b instanceof Uint8Array && Buffer.from(a).equals(Buffer.from(b));
    }
    const ta = tagOf(a), tb = tagOf(b);
    const seqs = [T.LIST, T.TUPLE] as number[];
    const sets = [T.SET, T.FROZENSET] as number[];
    if (seqs.includes(ta) || seqs.includes(tb)) {
      if (ta !== tb) return false;
      if ((a as Arr)[1] !== (b as Arr)[1]) return false;
      const ia = this.items(a, 'the left side'), ib = this.items(b, 'the right side');
      return ia.every((v, i) => this.equal(v, ib[i]));
    }
    if (sets.includes(ta) || sets.includes(tb)) {
      if (!sets.includes(ta) || !sets.includes(tb) || (a as Arr)[1] !== (b as Arr)[1]) return false;
      const ib = this.items(b, 'the right side');
      return this.items(a, 'the left side').every((v) => ib.some((w) => this.equal(v, w)));
    }
    if (ta === T.DICT || tb === T.DICT) {
      if (ta !== tb || (a as Arr)[1] !== (b as Arr)[1]) return false;
      this.items(a, 'the left side');
      this.items(b, 'the right side');
      const da = a as Arr, db = b as Arr;
      for (let i = 2; i + 1 < da.length; i += 2) {
        let found = false;
        for (let j = 2; j + 1 < db.length; j += 2) {
          if (this.equal(da[i], db[j])) { found = this.equal(da[i + 1], db[j + 1]); break; }
        }
        if (!found) return false;
      }
      return true;
    }
    if (ta === T.OBJECT || tb === T.OBJECT) {
      throw new ExprError(`comparing ${this.type(ta === T.OBJECT ? a : b)} objects would need their __eq__, which Rewind does not run; compare attributes instead.`);
    }
    if (ta === T.REPR && tb === T.REPR) return (a as Arr)[1] === (b as Arr)[1] && (a as Arr)[2] === (b as Arr)[2];
    if (ta === T.OPAQUE && tb === T.OPAQUE) return (a as Arr)[1] === (b as Arr)[1] && (a as Arr)[2] === (b as Arr)[2];
    if (ta === T.DEEP || tb === T.DEEP) this.truncated('a value nested deeper than the recorded depth');
    return false;
  }

  private contains(container: WireValue, x: WireValue): boolean {
    const s = this.str(container);
    if (s !== undefined) {
      const needle = this.str(x);
      if (needle === undefined) throw new ExprError(`'in <string>' requires string as left operand, not ${this.type(x)}.`);
      return s.includes(needle);
    }
    if (isArr(container) && [T.LIST, T.TUPLE, T.SET, T.FROZENSET, T.DICT, T.SUBCLASS].includes(container[0] as any)) {
      const c = container[0] === T.SUBCLASS ? container[3] as Arr : container;
      const body = c.slice(2);
      const items = c[0] === T.DICT ? body.filter((_, i) => i % 2 === 0) : body;
      if (items.some((v) => this.equal(v, x))) return true;
      if (items.length < (c[1] as number)) this.truncated(`the ${this.type(c)} searched (${c[1]} items, ${items.length} recorded)`);
      return false;
    }
    throw new ExprError(`argument of type '${this.type(container)}' is not iterable here.`);
  }
}

/** Structural equality of two recorded values, for "did it change?" (never throws). */
export function sameValue(a: WireValue | undefined, b: WireValue | undefined): boolean {
  if (a === b) return true;
  if (a === undefined || b === undefined || a === null || b === null) return false;
  if (a instanceof PyFloat && b instanceof PyFloat) return Object.is(a.value, b.value) || (a.value === b.value && a.value !== 0);
  if (a instanceof Uint8Array && b instanceof Uint8Array) return Buffer.from(a).equals(Buffer.from(b));
  if (typeof a === 'bigint' || typeof b === 'bigint') return typeof a === typeof b && a === b;
  if (Array.isArray(a) && Array.isArray(b)) return a.length === b.length && a.every((v, i) => sameValue(v, b[i]));
  return false;
}
