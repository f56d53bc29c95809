// Parsers for command-line option values, shared by the commands.
import type { Command } from 'commander';
import { UserError } from '../errors.js';

export const positiveInt = (flag: string) => (v: string) => {
  const n = Number(v);
  if (!Number.isInteger(n) || n < 1) throw new UserError(`${flag} needs a positive whole number, not '${v}'.`);
  return n;
};
export const nonNegativeInt = (flag: string) => (v: string) => {
  const n = Number(v);
  if (!Number.isInteger(n) || n < 0) throw new UserError(`${flag} needs a whole number (0 or more), not '${v}'.`);
  return n;
};
export const collect = (v: string, prev: string[]) => [...prev, v];

/**
 * As python does, everything after `-m MODULE` belongs to the program: `rewind record -m pytest
 * -x` gives pytest its -x. Returns `args` (a command's own, after its name) with `--` put after
 * the module, which commander then passes through. (After a script, passThroughOptions does it.)
 */
export function programAfterModule(cmd: Command, args: string[]): string[] {
  for (let i = 0; i < args.length; i++) {
    const a = args[i];
    if (a === '--' || !a.startsWith('-') || a === '-') return args;
    const [flag, inline] = a.startsWith('--') ? [a.split('=')[0], a.includes('=')] : [a.slice(0, 2), a.length > 2];
    const opt = cmd.options.find((o) => o.short === flag || o.long === flag);
    if (!opt) return args; // commander says what is wrong with it
    const takesValue = opt.required || opt.optional;
    const valueAt = takesValue && !inline ? i + 1 : i;
    if (opt.attributeName() === 'module') {
      return args[valueAt + 1] === '--' ? args : [...args.slice(0, valueAt + 1), '--', ...args.slice(valueAt + 1)];
    }
    i = valueAt;
  }
  return args;
}

/** Throws the UserError `says(why)` unless `re` is a regular expression JavaScript compiles. */
export function mustBeRegex(re: string, says: (why: string) => string, code?: string) {
  try {
    new RegExp(re);
  } catch (e) {
    throw new UserError(says((e as Error).message), code);
  }
}
