// Rewriting a recording with secrets replaced: values of variables, attributes and dict keys
// whose names match, and strings matching value patterns (in values, output, exception
// messages, embedded sources and the command line). The result is written into a fresh
// LevelDB, entry by entry, so no older version of a value survives in its files.
import { existsSync, renameSync, rmSync } from 'node:fs';
import { T, type WireValue } from '../wire/protocol.js';
import { UserError } from '../errors.js';
import { MARK, compilePatterns, isSecretName, redactSource, type SecretPatterns } from './secrets.js';
import { EK, Recording, RecordingWriter, packBlock, packr, unpackBlock, type ExceptionRecord, type Meta, type OutputRecord, type Redaction, type Snapshot, type SnapshotDelta, type StoredEvent } from './store.js';
import { unshareValues, written } from './sharedvalues.js';

export interface RedactRule { names: string[]; values: string[] }

const REDACTED: WireValue = [T.REDACTED];

/** Applies a rule to values and texts, counting what it replaces. */
class Redactor {
  readonly counts = new Map<string, number>();
  private byId = new Map<number, boolean>();
  private patterns: RegExp[];
  private names: SecretPatterns;

  constructor(private table: string[], rule: RedactRule) {
    this.names = compilePatterns(rule.names);
    this.patterns = rule.values.map((p) => {
      try {
        return new RegExp(p, 'g');
      } catch (e) {
        throw new UserError(`--value-regex '${p}' is not a regular expression (${(e as Error).message}).`);
      }
    });
  }

  private count(what: string) { this.counts.set(what, (this.counts.get(what) ?? 0) + 1); }

  /** A name matches when it holds a pattern's words, as the agent's secret names (secrets.ts); `key`: a dict key's. */
  private nameMatches(name: string, key = false): boolean {
    return isSecretName(name, this.names, !key);
  }

  /** An embedded source: literals given to matching names, then the value patterns, replaced. */
  source(s: string | null): string | null {
    if (s === null) return s;
    return this.text(this.names.length ? redactSource(s, this.names, () => this.count('literals in sources')) : s);
  }

  private idMatches(id: number): boolean {
    let m = this.byId.get(id);
    if (m === undefined) this.byId.set(id, (m = this.nameMatches(this.table[id] ?? '')));
    return m;
  }

  /** The value pattern that `s` matches, if any. */
  private secretIn(s: string): RegExp | undefined {
    return this.patterns.find((p) => { p.lastIndex = 0; return p.test(s); });
  }

  /** A text with every match of the value patterns replaced. */
  text(s: string): string;
  text(s: string | null): string | null;
  text(s: string | null): string | null {
    if (s === null || !this.patterns.length) return s;
    let out = s;
    for (const p of this.patterns) {
      out = out.replace(p, () => { this.count(`values matching /${p.source}/`); return MARK; });
    }
    return out;
  }

  /** An environment variable's value: gone if its name matches, else with value patterns replaced. */
  envValue(name: string, value: string | null): string | null {
    if (value === null || !this.nameMatches(name)) return this.text(value);
    this.count(`env ${name}`);
    return MARK;
  }

  /** [name id, value, ...] pairs: a matching name's value is replaced, the rest redacted within. */
  pairs(pairs: unknown[]): unknown[] {
    const out = [...pairs];
    for (let i = 0; i + 1 < out.length; i += 2) {
      if (this.idMatches(out[i] as number)) {
        if (!isRedacted(out[i + 1] as WireValue)) this.count(this.table[out[i] as number]);
        out[i + 1] = REDACTED;
      } else out[i + 1] = this.value(out[i + 1] as WireValue);
    }
    return out;
  }

  value(v: WireValue): WireValue {
    if (typeof v === 'string') return this.replaced(v, this.secretIn(v));
    if (!Array.isArray(v)) return v;
    switch (v[0]) {
      case T.STR: return this.replaced(v, this.secretIn(v[2] as string) ?? (typeof v[3] === 'string' ? this.secretIn(v[3]) : undefined));
      case T.REPR: return this.replaced(v, this.secretIn(v[2] as string));
      case T.LIST: case T.TUPLE: case T.SET: case T.FROZENSET:
        return [v[0], v[1], ...v.slice(2).map((x) => this.value(x as WireValue))];
      case T.DICT: {
        const out: [number, ...WireValue[]] = [v[0] as number, v[1]];
        for (let i = 2; i + 1 < v.length; i += 2) {
          const k = v[i] as WireValue;
          const keyName = typeof k === 'string' ? k : Array.isArray(k) && k[0] === T.STR ? (k[2] as string) : null;
          if (keyName !== null && this.nameMatches(keyName, true)) {
            if (!isRedacted(v[i + 1] as WireValue)) this.count(keyName);
            out.push(this.value(k), REDACTED);
          } else out.push(this.value(k), this.value(v[i + 1] as WireValue));
        }
        return out;
      }
      case T.OBJECT: case T.SUBCLASS: {
        const first = v[0] === T.SUBCLASS ? 4 : 3;
        const head = v.slice(0, first).map((x, i) => (i === 3 ? this.value(x as WireValue) : x)) as WireValue[];
        return [...head, ...this.pairs(v.slice(first))] as WireValue;
      }
    }
    return v;
  }

  /** `v`, or the redaction marker if it matched `pattern`. */
  private replaced(v: WireValue, pattern: RegExp | undefined): WireValue {
    if (!pattern) return v;
    this.count(`values matching /${pattern.source}/`);
    return REDACTED;
  }

  event(e: StoredEvent): StoredEvent {
    const out = [...e] as StoredEvent;
    switch (e[0]) {
      case EK.LINE: case EK.CALL: case EK.GLOBALS: if (e[6]) out[6] = this.pairs(e[6] as unknown[]); break;
      case EK.RETURN: case EK.YIELD: if (e.length > 6) out[6] = this.value(e[6] as WireValue); break;
      case EK.EXCEPTION: out[7] = this.text(e[7] as string | null); break;
      case EK.OUTPUT: out[7] = this.text(e[7] as string); break;
    }
    return out;
  }
}

const isRedacted = (v: WireValue) => Array.isArray(v) && v[0] === T.REDACTED;

/**
 * Writes a redacted copy of `src` at `out` (or, with `out` null, replaces `src` with one).
 * Returns what was redacted.
 */
export async function redactRecording(src: string, out: string | null, rule: RedactRule, open = Recording.open): Promise<Redaction> {
  if (!rule.names.length && !rule.values.length) throw new UserError('nothing to redact: give --name PATTERN and/or --value-regex RE.');
  const rec = await open(src);
  const target = out ?? src;
  const building = `${target}.redacting-${process.pid}`;
  const r = new Redactor(rec.names, rule);
  let w: RecordingWriter | null = null;
  try {
    if (out && existsSync(out)) throw new UserError(`${out} already exists; choose another -o.`, 'REWIND_EXISTS');
    w = await RecordingWriter.create(building);
    let meta: Meta | null = null;
    for await (const [k, v] of rec.entries()) {
      const put = (x: unknown) => w!.putRaw(k, packr.pack(x));
      switch (String.fromCharCode(k[0])) {
        case 'B': w.putRaw(k, packBlock(unpackBlock(packr.unpack(v)).map((e) => r.event(e)))); break;
        case 'P': {
          const s = unshareValues(packr.unpack(v) as Snapshot | SnapshotDelta);
          for (const f of written(s)) f.locals = r.pairs(f.locals);
          for (const g of s.globals ?? []) g[1] = r.pairs(g[1]);
          put(s);
          break;
        }
        case 'X': { const x = packr.unpack(v) as ExceptionRecord; put({ ...x, message: r.text(x.message) }); break; }
        case 'O': { const o = packr.unpack(v) as OutputRecord; put({ ...o, text: r.text(o.text) }); break; }
        case 'S': { const [path, source] = packr.unpack(v) as [string, string | null]; put([path, r.source(source)]); break; }
        case 'M': meta = JSON.parse(v.toString()) as Meta; break;
        default: w.putRaw(k, v);
      }
      await w.flush();
    }
    if (!meta) throw new UserError(`${src} has no metadata; it cannot be redacted.`, 'REWIND_CORRUPT');
    const env = meta.env && Object.fromEntries(Object.entries(meta.env).map(([k, v]) => [k, r.envValue(k, v)]));
    const uncaught = meta.uncaught ? { ...meta.uncaught, message: r.text(meta.uncaught.message) } : null;
    const argv = meta.argv.map((a) => r.text(a));
    const redaction: Redaction = {
      names: [...new Set([...(meta.redacted?.names ?? []), ...rule.names])],
      valuePatterns: [...new Set([...(meta.redacted?.valuePatterns ?? []), ...rule.values])],
      counts: { ...(meta.redacted?.counts ?? {}) },
    };
    for (const [what, n] of r.counts) redaction.counts[what] = (redaction.counts[what] ?? 0) + n;
    w.putMeta({ ...meta, argv, uncaught, env, redacted: redaction });
    await w.close();
    w = null;
    await rec.close();
    if (out) renameSync(building, out);
    else {
      const old = `${src}.unredacted-${process.pid}`;
      renameSync(src, old);
      renameSync(building, src);
      rmSync(old, { recursive: true, force: true });
    }
    return redaction;
  } catch (e) {
    await w?.close().catch(() => undefined);
    await rec.close().catch(() => undefined);
    rmSync(building, { recursive: true, force: true });
    throw e;
  }
}
