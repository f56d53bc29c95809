// A function's local that stays a container or object may arrive as a patch of its previous
// encoding (PROTOCOL.md, "Changed locals"; wire.py's patch writes it): [T.PATCH, base length,
// (offset in the base, bytes of it cut there, bin of the bytes put there)*], hunks in order. The
// indexer applies it to the value it holds for that local, so what is stored is the value whole.
import { T } from './protocol.js';

/** Whether `latin1`, a change's value as the agent encoded it, is a patch. */
export function isPatch(latin1: string): boolean {
  const c = latin1.charCodeAt(0);
  const tag = c >= 0x90 && c <= 0x9f ? 1 : c === 0xdc ? 3 : c === 0xdd ? 5 : 0;
  return tag > 0 && latin1.charCodeAt(tag) === T.PATCH;
}

/**
 * The encoding `patch` makes of `base` (both one-byte strings of msgpack bytes), or null when
 * `base` is not the value the patch was made from (its length differs) or the patch is malformed.
 */
export function applyPatch(base: string, patch: string): string | null {
  let p = 0;
  const uint = (): number => {
    const c = patch.charCodeAt(p);
    if (c < 0x80) { p += 1; return c; }
    if (c >= 0x90 && c <= 0x9f) { p += 1; return c - 0x90; }
    const w = c === 0xcc || c === 0xc4 ? 1 : c === 0xcd || c === 0xc5 || c === 0xdc ? 2 : c === 0xce || c === 0xc6 || c === 0xdd ? 4 : 0;
    if (!w || p + w >= patch.length) return NaN;
    let v = 0;
    for (let i = 1; i <= w; i++) v = v * 256 + patch.charCodeAt(p + i);
    p += 1 + w;
    return v;
  };
  const items = uint();
  if (uint() !== T.PATCH || uint() !== base.length || !(items >= 2) || (items - 2) % 3) return null;
  let out = '';
  let at = 0; // where the base is copied from next
  for (let h = 2; h < items; h += 3) {
    const offset = uint(), cut = uint(), n = uint();
    if (!(offset >= at && offset + cut <= base.length && p + n <= patch.length)) return null;
    out += base.slice(at, offset) + patch.slice(p, p + n);
    p += n;
    at = offset + cut;
  }
  return p === patch.length ? out + base.slice(at) : null;
}
