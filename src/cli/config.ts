// A project's settings for `rewind record`, in `.rewind.json` (the nearest, from the current
// folder up): what to redact, so that every recording of the project leaves out the same
// secrets without anyone having to remember the flags.
//
//   { "redact": { "names": ["launch_code"], "values": ["sk-[A-Za-z0-9]{20,}"], "defaults": true } }
import { existsSync, readFileSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { UserError } from '../errors.js';
import { mustBeRegex } from './options.js';

export interface RedactConfig { names: string[]; values: string[]; defaults: boolean }
export interface Config { path: string | null; redact: RedactConfig }

export const CONFIG_FILE = '.rewind.json';

/** The nearest .rewind.json from `from` up, read and checked; empty settings if there is none. */
export function loadConfig(from = process.cwd()): Config {
  for (let dir = resolve(from); ; dir = dirname(dir)) {
    const path = join(dir, CONFIG_FILE);
    if (existsSync(path)) return { path, redact: parse(path) };
    if (dirname(dir) === dir) return { path: null, redact: { names: [], values: [], defaults: true } };
  }
}

function parse(path: string): RedactConfig {
  let raw: unknown;
  try {
    raw = JSON.parse(readFileSync(path, 'utf8'));
  } catch (e) {
    throw new UserError(`${path} is not valid JSON (${(e as Error).message}).`, 'REWIND_CONFIG');
  }
  const redact = (raw as { redact?: unknown })?.redact ?? {};
  const list = (key: string): string[] => {
    const v = (redact as Record<string, unknown>)[key] ?? [];
    if (!Array.isArray(v) || v.some((x) => typeof x !== 'string')) throw new UserError(`${path}: redact.${key} must be a list of strings.`, 'REWIND_CONFIG');
    return v as string[];
  };
  const defaults = (redact as Record<string, unknown>).defaults ?? true;
  if (typeof defaults !== 'boolean') throw new UserError(`${path}: redact.defaults must be true or false.`, 'REWIND_CONFIG');
  const values = list('values');
  for (const re of values) mustBeRegex(re, (why) => `${path}: redact.values holds '${re}', which is not a regular expression (${why}).`, 'REWIND_CONFIG');
  return { names: list('names'), values, defaults };
}
