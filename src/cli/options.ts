// Parsers for command-line option values, shared by the commands.
import { UserError } from '../errors.js';

export const positiveInt = (flag: string) => (v: string) => {
  const n = Number(v);
  if (!Number.isInteger(n) || n < 1) throw new UserError(`${flag} needs a positive whole number, not '${v}'.`);
  return n;
};
export const nonNegativeInt = (flag: string) => (v: string) => {
  const n = Number(v);
  if (!Number.isInteger(n) || n < 0) throw new UserError(`${flag} needs a sequence number (0 or more), not '${v}'.`);
  return n;
};
export const collect = (v: string, prev: string[]) => [...prev, v];
