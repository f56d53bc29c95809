// Commands for keeping and sharing recordings: pack / unpack (.rwd files), ls, rm, gc.
import type { Command } from 'commander';
import { existsSync, mkdtempSync, readdirSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { basename, join, resolve } from 'node:path';
import { Recording, incompleteness, type Meta, type Redaction } from '../store/store.js';
import { DEFAULT_LIMITS } from '../store/archive.js';
import { packRecording, partialPath, readManifest, unpackRecording, type Manifest } from '../store/rwd.js';
import { redactRecording } from '../store/redact.js';
import { DEFAULT_SECRET_NAMES } from '../store/secrets.js';
import { UserError } from '../errors.js';
import { formatBytes, parseAge, parseSize } from '../units.js';
import { progressLine, style } from './style.js';
import { collect } from './options.js';
import { alive, rawHello, rawPath, readEnding, recorderOf, type RawEnding } from '../recorder/deferred.js';

/** The bytes a folder's files hold: a sparse file (a raw stream's stage and the parts the recorder freed) counts what is allocated. */
export function folderSize(path: string): number {
  let total = 0;
  for (const f of readdirSync(path, { withFileTypes: true })) {
    const p = join(path, f.name);
    const st = statSync(p);
    total += f.isDirectory() ? folderSize(p) : Math.min(st.size, st.blocks * 512);
  }
  return total;
}

/** Packs `rec` into `out` with progress on a terminal; the one line said after is the caller's. */
export async function packWithProgress(rec: string, out: string, extra: Partial<Manifest> = {}): Promise<void> {
  const p = progressLine('packing', { says: `${rec} is as it was and nothing was written: run the command again`, cleanup: () => rmSync(partialPath(out), { force: true }) });
  try {
    await packRecording(rec, out, (done, total) => p.update(`${Math.floor((100 * done) / Math.max(1, total))}% of ${formatBytes(total)}`), extra);
  } finally {
    p.done();
  }
}

/** What `ls`, `rm` and `gc` know of one entry of a recordings folder. */
interface Listed {
  path: string;
  kind: 'folder' | 'rwd' | 'partial' | 'raw'; // raw: kept raw, indexed when first opened
  meta: Meta | null;
  raw?: { argv: string[]; ending: RawEnding | null }; // kind raw: what is known before indexing
  size: number;
  note?: string; // why there is no metadata
  time: number; // seconds since the epoch: when it was recorded (or last touched)
}

const PARTIAL = /\.(partial|raw)-(\d+)$/;


/** Looks at one path: a recording folder, a .rwd, a leftover of a recorder, or null (not ours). */
async function look(path: string): Promise<Listed | null> {
  const st = statSync(path, { throwIfNoEntry: false });
  if (!st) return null;
  const partial = PARTIAL.exec(path);
  if (partial) {
    const pid = Number(partial[2]);
    const size = st.isDirectory() ? folderSize(path) : st.size;
    return { path, kind: 'partial', meta: null, size, time: st.mtimeMs / 1000, note: alive(pid) ? `being recorded (pid ${pid})` : `left by a recorder that stopped (pid ${pid})` };
  }
  if (st.isDirectory() && existsSync(rawPath(path))) {
    const pid = recorderOf(path);
    const argv = (await rawHello(path)).argv;
    return {
      path, kind: 'raw', meta: null, raw: { argv: Array.isArray(argv) ? argv.map(String) : [], ending: readEnding(path) },
      size: folderSize(path), time: st.mtimeMs / 1000, note: pid !== null ? `being recorded (pid ${pid})` : 'not indexed yet: indexed when first opened',
    };
  }
  if (st.isDirectory() && existsSync(join(path, 'CURRENT'))) {
    try {
      const r = await Recording.open(path);
      await r.close();
      return { path, kind: 'folder', meta: r.meta, size: folderSize(path), time: r.meta.start };
    } catch (e) {
      if (!(e instanceof UserError)) throw e;
      return { path, kind: 'folder', meta: null, size: folderSize(path), time: st.mtimeMs / 1000, note: e.message };
    }
  }
  if (st.isFile() && path.endsWith('.rwd')) {
    try {
      const m = await readManifest(path);
      return { path, kind: 'rwd', meta: m.meta, size: st.size, time: m.meta.start };
    } catch (e) {
      if (!(e instanceof UserError)) throw e;
      return { path, kind: 'rwd', meta: null, size: st.size, time: st.mtimeMs / 1000, note: e.message };
    }
  }
  return null;
}

async function listFolder(dir: string): Promise<Listed[]> {
  if (!existsSync(dir)) throw new UserError(`${dir} does not exist.`, 'REWIND_NOT_FOUND');
  if (!statSync(dir).isDirectory()) throw new UserError(`${dir} is not a folder.`, 'REWIND_NOT_FOUND');
  const out: Listed[] = [];
  for (const name of readdirSync(dir).sort()) {
    const l = await look(join(dir, name));
    if (l) out.push(l);
  }
  return out.sort((a, b) => a.time - b.time);
}

function ending(m: Pick<Meta, 'signal' | 'exitStatus'> & { uncaught?: Meta['uncaught'] }): string {
  if (m.signal) return m.signal;
  if (m.uncaught) return `${m.exitStatus} ${m.uncaught.type}`;
  return String(m.exitStatus ?? '?');
}

const when = (t: number) => new Date(t * 1000).toISOString().slice(0, 16).replace('T', ' ');

/** "40s", "12m", "5h", "3d": how long ago. */
function age(t: number): string {
  const s = Math.max(0, Date.now() / 1000 - t);
  return s < 60 ? `${Math.floor(s)}s` : s < 3600 ? `${Math.floor(s / 60)}m` : s < 86400 ? `${Math.floor(s / 3600)}h` : `${Math.floor(s / 86400)}d`;
}

/** One word for what a listed entry is: complete, failed (the program did), incomplete, not indexed, recording, leftover. */
function status(l: Listed): string {
  if (l.note?.startsWith('being recorded')) return 'recording';
  if (l.kind === 'partial') return 'leftover';
  if (l.raw) return 'not indexed';
  const m = l.meta;
  if (!m) return 'unreadable';
  if (incompleteness(m)) return 'incomplete';
  return m.signal || m.exitStatus !== 0 || m.uncaught ? 'failed' : 'complete';
}

function listedJson(l: Listed) {
  const m = l.meta;
  return {
    path: l.path, kind: l.kind, status: status(l), size: l.size, time: new Date(l.time * 1000).toISOString(),
    ...(m ? { argv: m.argv, exitStatus: m.exitStatus, signal: m.signal, uncaught: m.uncaught, events: m.counts.events, truncated: m.truncated } : {}),
    ...(l.raw ? { argv: l.raw.argv, exitStatus: l.raw.ending?.exitStatus ?? null, signal: l.raw.ending?.signal ?? null, indexed: false } : {}),
    ...(l.note ? { note: l.note } : {}),
  };
}

/** "launch_code ×3, values matching /XYZZY-\d+/ ×2" — counts only, never values. */
function redactionText(r: Redaction): string {
  const parts = Object.entries(r.counts).map(([what, n]) => `${what} ×${n}`);
  return parts.length ? parts.join(', ') : 'nothing matched';
}

function remove(l: Listed) {
  rmSync(l.path, { recursive: true, force: true });
}

export function addShareCommands(program: Command) {
  program.command('pack')
    .summary('pack a recording into one .rwd file to share')
    .description('Pack a recording folder into one file (a gzip-compressed tar with a manifest first) that any ' +
      'Rewind opens directly, on any machine: the sources travel inside it.')
    .argument('<recording>', 'recording folder or .rwd file')
    .option('-o, --out <file>', 'where to write it (default: the folder\'s name + .rwd)')
    .option('-f, --force', 'replace the output if it exists')
    .option('--name <pattern>', 'redact on the way out: names holding pattern\'s words (repeatable; see rewind redact)', collect, [])
    .option('--value-regex <re>', 'redact on the way out: values matching re (repeatable)', collect, [])
    .addHelpText('after', `
Examples:
  $ rewind pack recordings/orders-20261121-101500
  $ rewind pack --name launch_code --value-regex 'XYZZY-[0-9]+' recordings/run   # the folder stays untouched
  $ rewind pack -o /tmp/flaky.rwd recordings/test-run
  $ rewind replay /tmp/flaky.rwd`)
    .action(async (rec: string, o) => {
      if (existsSync(rec) && statSync(rec).isFile()) throw new UserError(`${rec} is a file: only a recording folder can be packed (it may be packed already).`);
      const out = resolve(o.out ?? `${rec.replace(/\/+$/, '')}.rwd`);
      if (existsSync(out)) {
        if (!o.force) throw new UserError(`${o.out ?? out} already exists; pass --force to replace it.`, 'REWIND_EXISTS');
        rmSync(out, { recursive: true, force: true });
      }
      let redacted = '';
      if (o.name.length || o.valueRegex.length) {
        // Redact a copy, pack the copy: the recording itself stays as it was.
        const tmp = mkdtempSync(join(tmpdir(), 'rewind-redact-'));
        try {
          const r = await redactRecording(rec, join(tmp, 'rec'), { names: o.name, values: o.valueRegex });
          await packWithProgress(join(tmp, 'rec'), out, { redacted: r });
          redacted = `; redacted: ${redactionText(r)}`;
        } finally {
          rmSync(tmp, { recursive: true, force: true });
        }
      } else await packWithProgress(rec, out);
      process.stderr.write(style.dim(`rewind: packed ${rec} into ${out} (${formatBytes(statSync(out).size)}, from ${formatBytes(folderSize(rec))})${redacted}\n`));
    });

  program.command('redact')
    .summary('replace secrets in a recording')
    .description('Rewrite a recording with secrets replaced by a redaction marker: the values of variables, ' +
      'attributes and dict keys whose names hold a --name pattern as words (api_token and accessToken hold ' +
      'token; tokenize and max_tokens do not), string literals given to such names in the embedded sources, ' +
      'and every string that matches a --value-regex — in values, output, exception messages, embedded ' +
      'sources and the command line. The recording keeps a manifest of what was redacted (names and counts, ' +
      'never the values); rewind info shows it. --list shows the names redacted while recording.')
    .argument('[recording]', 'recording folder')
    .option('--name <pattern>', 'a name pattern (repeatable)', collect, [])
    .option('--list', 'list the secret names the agent redacts while recording, and how to change them')
    .option('--value-regex <re>', 'a regular expression for secret values (repeatable)', collect, [])
    .option('-o, --out <dir>', 'write a redacted copy here instead of rewriting the recording')
    .addHelpText('after', `
Examples:
  $ rewind redact --list
  $ rewind redact recordings/run --name launch_code --name customer_email
  $ rewind redact -o /tmp/shareable --value-regex 'sk-[A-Za-z0-9]{20,}' recordings/run
  $ rewind pack --name ssn recordings/run      # redacts on the way out; the recording stays as it is`)
    .action(async (rec: string | undefined, o) => {
      if (o.list) {
        process.stdout.write(`${secretNamesText()}\n`);
        return;
      }
      if (!rec) throw new UserError('redact needs a recording folder (or --list).');
      if (existsSync(rec) && statSync(rec).isFile()) throw new UserError(`${rec} is a packed file: redact the recording folder (rewind unpack it first), or pack with --name/--value-regex.`);
      const r = await redactRecording(rec, o.out ? resolve(o.out) : null, { names: o.name, values: o.valueRegex });
      process.stderr.write(style.dim(`rewind: redacted ${o.out ?? rec}: ${redactionText(r)}\n`));
    });

  program.command('unpack')
    .summary('unpack a .rwd file into a recording folder')
    .description('Unpack a .rwd file into a recording folder. Archives that would write outside the folder ' +
      '(absolute paths, .. entries, links) or expand beyond --max-size are refused.')
    .argument('<file>', '.rwd file')
    .option('-o, --out <dir>', 'the folder to create (default: the file\'s name without .rwd)')
    .option('--max-size <size>', `refuse archives larger than this once unpacked (default ${formatBytes(DEFAULT_LIMITS.maxBytes)})`)
    .addHelpText('after', `
Examples:
  $ rewind unpack flaky.rwd
  $ rewind unpack -o /tmp/run flaky.rwd --max-size 2GB`)
    .action(async (file: string, o) => {
      const maxBytes = o.maxSize ? parseSize(o.maxSize, '--max-size') : DEFAULT_LIMITS.maxBytes;
      if (!existsSync(file)) throw new UserError(`${file} does not exist.`, 'REWIND_NOT_FOUND');
      if (!statSync(file).isFile()) throw new UserError(`${file} is not a .rwd file.`, 'REWIND_NOT_RECORDING');
      const out = resolve(o.out ?? basename(file).replace(/\.rwd$/, '') + (file.endsWith('.rwd') ? '' : '.unpacked'));
      if (existsSync(out)) throw new UserError(`${o.out ?? out} already exists; choose another folder with -o.`, 'REWIND_EXISTS');
      const p = progressLine('unpacking', { says: `nothing was unpacked to ${o.out ?? out}: run the command again` });
      try {
        await unpackRecording(file, out, { ...DEFAULT_LIMITS, maxBytes }, (b) => p.update(formatBytes(b)));
      } finally {
        p.done();
      }
      try {
        await (await Recording.open(out)).close(); // what came out must open
      } catch (e) {
        rmSync(out, { recursive: true, force: true });
        throw e;
      }
      process.stderr.write(style.dim(`rewind: unpacked ${file} into ${out}\n`));
    });

  program.command('ls')
    .summary('list the recordings in a folder')
    .description('List the recordings (folders and .rwd files) in a folder, oldest first: when, exit status, ' +
      'events, size and command. Leftovers of a recorder that stopped are listed too (rewind gc removes them).')
    .argument('[dir]', 'folder to look in', 'recordings')
    .option('--json', 'one JSON object per recording')
    .addHelpText('after', `
Examples:
  $ rewind ls
  $ rewind ls --json /tmp/ci-recordings | jq -r 'select(.exitStatus != 0) | .path'`)
    .action(async (dir: string, o) => {
      const all = await listFolder(dir);
      if (o.json) { process.stdout.write(all.map((l) => JSON.stringify(listedJson(l)) + '\n').join('')); return; }
      if (!all.length) { process.stdout.write(`No recordings in ${dir}.\n`); return; }
      const rows = all.map((l) => [
        basename(l.path), when(l.time), age(l.time), status(l), l.meta ? ending(l.meta) : l.raw?.ending ? ending(l.raw.ending) : '-',
        l.meta ? l.meta.counts.events.toLocaleString('en-US') : '-', formatBytes(l.size),
        l.meta ? l.meta.argv.join(' ') : l.raw ? `${l.raw.argv.join(' ')} (${l.note})` : `(${l.note})`,
      ]);
      const head = ['RECORDING', 'WHEN (UTC)', 'AGE', 'STATUS', 'EXIT', 'EVENTS', 'SIZE', 'COMMAND'];
      const right = new Set([2, 5, 6]);
      const widths = head.map((h, i) => Math.max(h.length, ...rows.map((r) => r[i].length)));
      const line = (r: string[]) => r.map((c, i) => (right.has(i) ? c.padStart(widths[i]) : i === r.length - 1 ? c : c.padEnd(widths[i]))).join('  ');
      process.stdout.write(style.bold(line(head)) + '\n' + rows.map((r) => line(r) + '\n').join(''));
    });

  program.command('rm')
    .summary('delete recordings')
    .description('Delete recordings (folders or .rwd files). Anything that is not a recording is left alone.')
    .argument('<recording...>', 'recordings to delete')
    .addHelpText('after', `
Examples:
  $ rewind rm recordings/orders-20261121-101500
  $ rewind rm recordings/*.rwd`)
    .action(async (paths: string[]) => {
      let refused = 0;
      for (const p of paths) {
        const l = await look(p);
        if (!l) {
          process.stderr.write(style.err(`rewind: ${p} is not a recording; left alone.`) + '\n');
          refused++;
          continue;
        }
        if (l.note?.startsWith('being recorded')) {
          process.stderr.write(style.err(`rewind: ${p} is ${l.note}; left alone.`) + '\n');
          refused++;
          continue;
        }
        remove(l);
        process.stderr.write(style.dim(`rewind: deleted ${p} (${formatBytes(l.size)})\n`));
      }
      if (refused) process.exitCode = 1;
    });

  program.command('gc')
    .summary('delete old recordings and leftovers')
    .description('Delete the recordings in a folder recorded longer ago than --older-than (7 days unless told), and what recorders ' +
      'that stopped halfway left behind.')
    .argument('[dir]', 'folder to clean', 'recordings')
    .option('--older-than <age>', 'age such as 7d, 12h, 30m', '7d')
    .option('-n, --dry-run', 'say what would be deleted, delete nothing')
    .addHelpText('after', `
Examples:
  $ rewind gc                                  # recordings/: older than 7 days, and leftovers
  $ rewind gc --dry-run --older-than 12h /tmp/ci-recordings`)
    .action(async (dir: string, o) => {
      const cutoff = Date.now() / 1000 - parseAge(o.olderThan, '--older-than');
      let n = 0, bytes = 0;
      for (const l of await listFolder(dir)) {
        if (l.note?.startsWith('being recorded')) continue;
        const why = l.kind === 'partial' ? 'left by a recorder that stopped' : l.time < cutoff ? `older than ${o.olderThan}` : null;
        if (!why) continue;
        if (!o.dryRun) remove(l);
        n++;
        bytes += l.size;
        process.stderr.write(style.dim(`rewind: ${o.dryRun ? 'would delete' : 'deleted'} ${l.path} (${when(l.time)}, ${formatBytes(l.size)}): ${why}\n`));
      }
      process.stderr.write(`rewind: ${o.dryRun ? 'would delete' : 'deleted'} ${n} recording${n === 1 ? '' : 's'}, ${formatBytes(bytes)}\n`);
    });
}

/** `redact --list`: the names redacted while recording, the rule, and how to change them. */
function secretNamesText(): string {
  return [
    'Redacted while recording (inside the traced process, before anything is written), as words of a name:',
    ...DEFAULT_SECRET_NAMES.map((n) => `  ${n}`),
    '',
    'A name matches when its words (snake_case, camelCase, digits apart, case aside) hold a pattern\'s words',
    'in a row: api_token, AUTH_TOKEN and accessToken hold token; tokenize, max_tokens and Token (a class) do',
    'not. They apply to locals, globals, attributes and string dict keys, and to string literals given to',
    'such names in the embedded sources.',
    '',
    'rewind record --redact-name PATTERN adds one (repeatable); --no-default-redaction drops the list above;',
    '--redact-value RE replaces matching strings as the recording is indexed. A project\'s .rewind.json sets the same:',
    '{"redact": {"names": [...], "values": [...], "defaults": true}}.',
    'rewind redact REC --name PATTERN --value-regex RE does the same after the fact, values by pattern too.',
  ].join('\n');
}
