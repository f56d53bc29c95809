// Sizes and ages as people write and read them: "64MB", "7d", "1.5 GB".
import { UserError } from './errors.js';

/** 1536 -> "1.5 KB" (powers of 1024, as file managers show). */
export function formatBytes(b: number): string {
  if (b < 1024) return `${b} B`;
  if (b < 1 << 20) return `${(b / 1024).toFixed(1)} KB`;
  if (b < 1 << 30) return `${(b / (1 << 20)).toFixed(1)} MB`;
  return `${(b / (1 << 30)).toFixed(2)} GB`;
}

const SIZE_UNITS: Record<string, number> = { '': 1, b: 1, k: 1024, kb: 1024, m: 1 << 20, mb: 1 << 20, g: 1 << 30, gb: 1 << 30, t: 2 ** 40, tb: 2 ** 40 };

/** "64MB", "2g", "1000" -> bytes. */
export function parseSize(s: string, flag: string): number {
  const m = /^\s*(\d+(?:\.\d+)?)\s*([a-z]*)\s*$/i.exec(s);
  const unit = m ? SIZE_UNITS[m[2].toLowerCase()] : undefined;
  if (!m || unit === undefined || Number(m[1]) <= 0) throw new UserError(`${flag} needs a size such as 500MB or 2GB, not '${s}'.`);
  return Math.floor(Number(m[1]) * unit);
}

const AGE_UNITS: Record<string, number> = { s: 1, m: 60, h: 3600, d: 86400, w: 7 * 86400 };

/** "7d", "12h", "30m" -> seconds. */
export function parseAge(s: string, flag: string): number {
  const m = /^\s*(\d+(?:\.\d+)?)\s*([smhdw])\s*$/i.exec(s);
  if (!m) throw new UserError(`${flag} needs an age such as 7d, 12h or 30m, not '${s}'.`);
  return Number(m[1]) * AGE_UNITS[m[2].toLowerCase()];
}
