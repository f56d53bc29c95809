// A recorded value as a tree an IDE can expand: the items of a list, the entries of a dict, the
// attributes of an object. What the agent did not record (past its length and depth limits) is
// shown as such, never as if the value ended there.
import { T, type WireValue } from '../wire/protocol.js';
import { typeOf } from '../wire/values.js';

/** A child value, or (`note`) what stands for children that were not recorded. */
export interface Child { name: string; value?: WireValue; note?: string }

const isArray = (v: WireValue): v is [number, ...WireValue[]] => Array.isArray(v);

/** Can the value be expanded (a container or an object with recorded items)? */
export function expandable(v: WireValue): boolean {
  if (!isArray(v)) return false;
  switch (v[0]) {
    case T.LIST: case T.TUPLE: case T.SET: case T.FROZENSET: case T.DICT:
      return (v[1] as number) > 0;
    case T.OBJECT: case T.SUBCLASS:
      return v.length > 3;
  }
  return false;
}

/**
 * The children of an expandable value, in order; a last child without a value says how many
 * the agent did not record.
 */
export function childrenOf(v: WireValue, names: (id: number) => string, repr: (v: WireValue) => string): Child[] {
  if (!isArray(v)) return [];
  const tag = v[0];
  const out: Child[] = [];
  let total: number, shown: number;
  if (tag === T.OBJECT || tag === T.SUBCLASS) {
    const base = tag === T.SUBCLASS ? 1 : 0;
    if (base) out.push({ name: `(${typeOf(v[3], names)} value)`, value: v[3] });
    for (let i = 3 + base; i + 1 < v.length; i += 2) out.push({ name: names(v[i] as number), value: v[i + 1] });
    total = v[2] as number;
    shown = (v.length - 3 - base) / 2;
  } else if (tag === T.DICT) {
    for (let i = 2; i + 1 < v.length; i += 2) out.push({ name: repr(v[i]), value: v[i + 1] });
    total = v[1] as number;
    shown = (v.length - 2) / 2;
  } else {
    const set = tag === T.SET || tag === T.FROZENSET; // no order, no index: items are named by position only
    for (let i = 2; i < v.length; i++) out.push({ name: set ? `<${i - 2}>` : `[${i - 2}]`, value: v[i] });
    total = v[1] as number;
    shown = v.length - 2;
  }
  if (shown < total) out.push({ name: '…', note: `${total - shown} more not recorded` });
  return out;
}
