// Bad input: one clear sentence on stderr, a non-zero exit, no stack trace, and an existing
// recording left untouched.
import { beforeAll, describe, expect, it } from 'vitest';
import { chmodSync, cpSync, mkdirSync, readFileSync, readdirSync, writeFileSync, truncateSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { Level } from 'level';
import { CLI, PROGRAMS, dump, rewind, run, tmp } from './helpers.js';
import { pack } from 'msgpackr';
import { K, MAGIC, RAW_HEADER, T, VERSION } from '../src/wire/protocol.js';

const B = join(PROGRAMS, 'behaviour');
let dir: string;
let good: string;

/** One line, starting with "rewind:", and no stack trace. */
function expectOneSentence(r: { status: number | null; stderr: string }, pattern: RegExp) {
  expect(r.status).not.toBe(0);
  const lines = r.stderr.trim().split('\n');
  expect(lines, r.stderr).toHaveLength(1);
  expect(lines[0]).toMatch(/^rewind: /);
  expect(lines[0]).toMatch(pattern);
  expect(r.stderr).not.toMatch(/\n\s+at /);
}

/** The recording's data files (LevelDB's own diagnostic LOG files may change on any open). */
function snapshot(path: string): string {
  return readdirSync(path).filter((f) => !/^(LOG|LOG\.old|LOCK)$/.test(f)).sort().map((f) => `${f}:${statSync(join(path, f)).size}:${readFileSync(join(path, f)).toString('base64')}`).join('\n');
}

beforeAll(() => {
  dir = tmp();
  good = join(dir, 'good');
  const r = rewind(['record', '--index', 'now', '-o', good, join(PROGRAMS, 'recursion.py')]);
  expect(r.status, r.stderr).toBe(0);
});

describe('rewind record', () => {
  it('refuses a missing script', () => {
    expectOneSentence(rewind(['record', '-o', join(dir, 'x'), 'no_such_script.py']), /no_such_script.py does not exist/);
  });

  it('runs a missing module as Python would: its message, exit 1', () => {
    const r = rewind(['record', '-o', join(dir, 'nomod'), '-m', 'no_such_module_xyz']);
    const plain = run('python3', ['-m', 'no_such_module_xyz']);
    expect(r.status).toBe(1);
    expect(r.stderr.split('\n')[0]).toBe(plain.stderr.trim());
  });

  it('reports a syntax error as Python does, exit 1', () => {
    const script = join(B, 'syntax_error.py');
    const plain = run('python3', [script]);
    const r = rewind(['record', '-o', join(dir, 'syn'), script]);
    expect(r.status).toBe(1);
    expect(r.stderr.replace(/rewind: recorded[^\n]*\n$/, '')).toBe(plain.stderr);
  });

  it('refuses an interpreter that does not exist', () => {
    expectOneSentence(rewind(['record', '--python', '/no/such/python', '-o', join(dir, 'y'), join(PROGRAMS, 'recursion.py')]), /not found/);
  });

  it('refuses an interpreter that is too old', () => {
    const fake = join(dir, 'python2');
    writeFileSync(fake, '#!/bin/sh\necho 2.7\n');
    chmodSync(fake, 0o755);
    expectOneSentence(rewind(['record', '--python', fake, '-o', join(dir, 'z'), join(PROGRAMS, 'recursion.py')]), /too old/);
  });

  it('refuses to overwrite an existing recording without --force, and leaves it untouched', () => {
    const before = snapshot(good);
    expectOneSentence(rewind(['record', '-o', good, join(PROGRAMS, 'closures.py')]), /already exists; pass --force/);
    expect(snapshot(good)).toBe(before);
  });

  it('refuses an output folder that does not exist', () => {
    expectOneSentence(rewind(['record', '-o', join(dir, 'missing/dir/rec'), join(PROGRAMS, 'recursion.py')]), /does not exist/);
  });

  it('refuses a bad option value', () => {
    expectOneSentence(rewind(['record', '--max-depth', 'zero', join(PROGRAMS, 'recursion.py')]), /--max-depth needs a positive whole number/);
  });

  it('--force replaces an existing recording', () => {
    const out = join(dir, 'forced');
    cpSync(good, out, { recursive: true });
    expect(rewind(['record', '-o', out, '--force', join(PROGRAMS, 'closures.py')]).status).toBe(0);
    expect(JSON.parse(rewind(['info', '--json', out]).stdout).argv.at(-1)).toMatch(/closures.py$/);
  });
});

describe('opening recordings', () => {
  it('stops quietly when the reader of its output goes away (dump | head)', () => {
    const long = join(dir, 'long');
    expect(rewind(['record', '-o', long, join(B, 'long_run.py')]).status).toBe(0); // more than a pipe holds
    const r = run('sh', ['-c', `"${process.execPath}" "${CLI}" dump "${long}" | head -1`]);
    expect(r.stdout.trim().split('\n')).toHaveLength(1);
    expect(r.stderr).toBe('');
  });

  it('refuses a path that does not exist', () => {
    expectOneSentence(rewind(['info', join(dir, 'nothing-here')]), /does not exist/);
  });

  it('refuses a folder or file that is not a recording', () => {
    const plain = join(dir, 'plain');
    mkdirSync(plain);
    expectOneSentence(rewind(['info', plain]), /is not a Rewind recording/);
    expectOneSentence(rewind(['dump', join(PROGRAMS, 'recursion.py')]), /is not a Rewind recording/);
  });

  it('refuses a corrupt recording and leaves it as it was', () => {
    const bad = join(dir, 'corrupt');
    cpSync(good, bad, { recursive: true });
    for (const f of readdirSync(bad).filter((f) => /^MANIFEST/.test(f))) writeFileSync(join(bad, f), 'garbage');
    const before = snapshot(bad);
    expectOneSentence(rewind(['info', bad]), /corrupt/);
    expect(snapshot(bad)).toBe(before);
  });

  it('refuses a truncated recording', () => {
    const bad = join(dir, 'truncated');
    cpSync(good, bad, { recursive: true });
    for (const f of readdirSync(bad).filter((f) => /\.(log|ldb)$/.test(f))) truncateSync(join(bad, f), 0);
    expectOneSentence(rewind(['info', bad]), /corrupt|incomplete|not a Rewind recording/);
  });

  it('refuses a raw recording whose event stream is damaged, and leaves it as it was', () => {
    const bad = join(dir, 'raw-damaged');
    mkdirSync(bad);
    writeFileSync(join(bad, 'events.raw'), 'REWINDRAW garbage, not a stream');
    const before = snapshot(bad);
    expectOneSentence(rewind(['info', bad]), /holds an event stream that cannot be indexed/);
    expect(snapshot(bad)).toBe(before);
  });

  it('refuses a raw recording whose stream is shorter than its header says, and leaves it as it was', () => {
    const cut = join(dir, 'raw-cut');
    mkdirSync(cut);
    const head = Buffer.alloc(RAW_HEADER);
    MAGIC.copy(head);
    head.writeBigUInt64LE(1000n, 16); // 1,000 bytes committed, 3 in the file
    writeFileSync(join(cut, 'events.raw'), Buffer.concat([head, Buffer.from([1, 2, 3])]));
    const before = snapshot(cut);
    expectOneSentence(rewind(['info', cut]), /holds an event stream that cannot be indexed \(the raw stream is shorter than its header says\)/);
    expect(snapshot(cut)).toBe(before);
  });

  it('says when a recording still being recorded has nothing to show yet, or cannot be read', () => {
    const busy = join(dir, 'raw-busy');
    mkdirSync(busy);
    writeFileSync(join(busy, 'events.raw'), '');
    writeFileSync(join(busy, 'recording.pid'), `999999 ${process.pid}`); // the program: alive (this process)
    expectOneSentence(rewind(['info', busy]), /is being recorded and nothing has arrived yet; try again in a moment/);
    // A header that says 64 bytes have arrived, and 64 bytes that are not events.
    const head = Buffer.alloc(RAW_HEADER);
    MAGIC.copy(head);
    head.writeBigUInt64LE(64n, 16);
    const stream = Buffer.concat([head, Buffer.alloc(64, 0xc1)]);
    writeFileSync(join(busy, 'events.raw'), stream);
    expectOneSentence(rewind(['info', busy]), /is being recorded and what has arrived so far cannot be indexed/);
    expect(readFileSync(join(busy, 'events.raw')).equals(stream)).toBe(true); // looking changed nothing
  });

  /** A raw recording folder whose stream is these events. */
  const rawRecording = (name: string, events: unknown[]): string => {
    const folder = join(dir, name);
    mkdirSync(folder);
    const body = Buffer.concat(events.map((e) => pack(e)));
    const head = Buffer.alloc(RAW_HEADER);
    MAGIC.copy(head);
    head.writeBigUInt64LE(BigInt(body.length), 16);
    writeFileSync(join(folder, 'events.raw'), Buffer.concat([head, body]));
    return folder;
  };
  const START = [[K.THREAD, 1, 'MainThread'], [K.FILE, 0, '/src/p.py', null], [K.NAME, 0, 'xs'], [K.CODE, 0, 0, 'f', 'f', 1], [K.CALL, 1, 0]];

  it('refuses a stream written by a newer agent, by name, and leaves it as it was', () => {
    const newer = rawRecording('raw-newer', [[K.HELLO, VERSION + 1, {}], ...START, [K.END, 0, null]]);
    const before = snapshot(newer);
    expectOneSentence(rewind(['info', newer]), new RegExp(`written by a newer Rewind agent \\(wire version ${VERSION + 1}; this Rewind reads up to ${VERSION}\\)`));
    expect(snapshot(newer)).toBe(before);
  });

  it('a patch that does not fit the value it changes (an agent error): the value shows as unreadable and the recording says so', () => {
    const patch = [T.PATCH, 9, 2, 1, Buffer.from([7])];
    const rec = rawRecording('raw-patch', [[K.HELLO, VERSION, {}], ...START, [K.LINE, 2, 0, patch], [K.LINE, 3], [K.RETURN, null], [K.END, 0, null]]);
    const info = JSON.parse(rewind(['info', '--json', rec]).stdout);
    expect(info.warnings).toEqual([expect.objectContaining({ code: 'patch-unmatched', message: expect.stringMatching(/the value of xs could not be rebuilt/) })]);
    const line = dump(rec).find((e: any) => e.kind === 'line' && e.changed?.xs);
    expect(line.changed.xs.repr).toBe('<xs (unreadable)>');
    // nor where the agent never sends one: a call's arguments (nothing to patch)
    const call = rawRecording('raw-patch-call', [[K.HELLO, VERSION, {}], ...START.slice(0, -1), [K.CALL, 1, 0, 0, patch], [K.LINE, 2], [K.RETURN, null], [K.END, 0, null]]);
    expect(JSON.parse(rewind(['info', '--json', call]).stdout).warnings).toEqual([expect.objectContaining({ code: 'patch-unmatched' })]);
    expect(dump(call).find((e: any) => e.kind === 'call').args.xs.repr).toBe('<xs (unreadable)>');
  });

  it('refuses a recording of a newer format version, by name', async () => {
    const newer = join(dir, 'newer');
    cpSync(good, newer, { recursive: true });
    const db = new Level<Buffer, Buffer>(newer, { keyEncoding: 'buffer', valueEncoding: 'buffer' });
    const v = Buffer.alloc(4);
    v.writeUInt32BE(99);
    await db.put(Buffer.from('@'), v);
    await db.close();
    expectOneSentence(rewind(['info', newer]), /newer Rewind \(recording format 99\)/);
    expectOneSentence(rewind(['dump', newer]), /newer Rewind/);
  });

  it('refuses dump ranges outside the recording', () => {
    expectOneSentence(rewind(['dump', good, '--from', '999999999']), /past the end/);
    expectOneSentence(rewind(['dump', good, '--from', '10', '--to', '5']), /comes before/);
    expectOneSentence(rewind(['dump', good, '--from', '-3']), /needs a whole number|unknown option/);
  });

  it('refuses to import a file that is not a raw stream', () => {
    expectOneSentence(rewind(['import', join(PROGRAMS, 'recursion.py'), '-o', join(dir, 'imp')]), /not a readable Rewind raw stream/);
  });
});
