// Recordings for CI and teammates, end to end through the CLI: .rwd files opened anywhere,
// unpacking that refuses crafted archives, keep-on-failure, ls / rm / gc, unittest runs.
import { beforeAll, describe, expect, it } from 'vitest';
import { cpSync, existsSync, mkdirSync, readFileSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { gunzipSync, gzipSync } from 'node:zlib';
import { PROGRAMS, ROOT, markers, rewind, tmp } from './helpers.js';

const SHOP = join(PROGRAMS, 'behaviour/shop.py');
const M = markers(SHOP);

/** A tar entry as a crafted archive may hold it: any name, type and size. */
interface Entry { name: string; type?: string; data?: string | Buffer; link?: string; size?: number }

function tarHeader(e: Entry, size: number): Buffer {
  const h = Buffer.alloc(512);
  h.write(e.name, 0, 100);
  h.write('0000644\0', 100);
  h.write(size.toString(8).padStart(11, '0') + '\0', 124);
  h.write('00000000000\0', 136);
  h.write(e.type ?? '0', 156);
  if (e.link) h.write(e.link, 157, 100);
  h.write('ustar\x0000', 257);
  h.fill(' ', 148, 156);
  let sum = 0;
  for (const b of h) sum += b;
  h.write(sum.toString(8).padStart(6, '0') + '\0 ', 148);
  return h;
}

/** A gzip tar made by hand, so that it can hold what Rewind never writes. */
function craft(entries: Entry[]): Buffer {
  const parts: Buffer[] = [];
  for (const e of entries) {
    const data = Buffer.from(e.data ?? '');
    parts.push(tarHeader(e, e.size ?? data.length), data, Buffer.alloc((512 - (data.length % 512)) % 512));
  }
  parts.push(Buffer.alloc(1024));
  return gzipSync(Buffer.concat(parts));
}

const MANIFEST = JSON.stringify({ kind: 'rewind-recording', archiveVersion: 1, recordingFormat: 2, files: [] });

describe('pack and unpack', () => {
  let dir: string;
  let rwd: string;
  beforeAll(() => {
    // The program lives in a folder that is deleted after packing, as on a teammate's machine.
    dir = tmp();
    mkdirSync(join(dir, 'project'));
    cpSync(SHOP, join(dir, 'project/shop.py'));
    expect(rewind(['record', '-o', join(dir, 'rec'), join(dir, 'project/shop.py')]).status).toBe(1);
    const r = rewind(['pack', join(dir, 'rec')]);
    expect(r.status, r.stderr).toBe(0);
    expect(r.stderr).toMatch(/packed .*rec into .*rec\.rwd \(/);
    rwd = join(dir, 'rec.rwd');
    rmSync(join(dir, 'project'), { recursive: true });
    rmSync(join(dir, 'rec'), { recursive: true });
  });

  it('writes a gzip tar whose first entry is the manifest', () => {
    const bytes = readFileSync(rwd);
    expect([bytes[0], bytes[1]]).toEqual([0x1f, 0x8b]);
    const tar = gunzipSync(bytes);
    expect(tar.subarray(0, 13).toString()).toBe('manifest.json');
    const manifest = JSON.parse(tar.subarray(512, 512 + parseInt(tar.subarray(124, 135).toString(), 8)).toString());
    expect(manifest).toMatchObject({ kind: 'rewind-recording', archiveVersion: 1, meta: { counts: { events: expect.any(Number) } } });
  });

  it('is opened directly by every command, with its embedded sources, after the sources are gone', () => {
    const scratch = tmp(); // where opening unpacks: it must be left empty
    const env = { ...process.env, TMPDIR: scratch };
    expect(rewind(['info', rwd], { env }).stdout).toMatch(/recording +.*rec\.rwd/);
    expect(rewind(['dump', '--json', '--to', '3', rwd]).stdout.trim().split('\n')).toHaveLength(4);
    const r = rewind(['replay', '--json', rwd], { input: 'goto exception\nlist\n', env });
    const [at, list] = r.stdout.trim().split('\n').map((l) => JSON.parse(l));
    expect(at.line).toBe(M.raise);
    expect(list.lines.find((l: any) => l.line === M.raise).text).toContain('raise ValueError("over budget by %d"');
    expect(rewind(['history', '--json', rwd, 'spent']).stdout.trim().split('\n').length).toBe(8);
    expect(rewind(['exceptions', rwd]).stdout).toContain('ValueError: over budget by 19');
    expect(readdirSync(scratch)).toEqual([]);
  });

  it('unpacks into a folder that opens, and never over an existing one', () => {
    const out = join(dir, 'unpacked');
    let r = rewind(['unpack', rwd, '-o', out]);
    expect(r.status, r.stderr).toBe(0);
    expect(rewind(['info', '--json', out]).status).toBe(0);
    r = rewind(['unpack', rwd, '-o', out]);
    expect(r.status).not.toBe(0);
    expect(r.stderr.trim()).toBe(`rewind: ${out} already exists; choose another folder with -o.`);
  });

  it('refuses to pack over an existing file and to pack a .rwd', () => {
    expect(rewind(['pack', join(dir, 'unpacked'), '-o', rwd]).stderr.trim()).toBe(`rewind: ${rwd} already exists; pass --force to replace it.`);
    expect(rewind(['pack', rwd]).stderr.trim()).toBe(`rewind: ${rwd} is a file: only a recording folder can be packed (it may be packed already).`);
  });

  const evil: [string, Entry[], RegExp][] = [
    ['an absolute path', [{ name: 'manifest.json', data: MANIFEST }, { name: '/tmp/rewind-evil-abs', data: 'x' }], /refused: it holds an absolute path \(\/tmp\/rewind-evil-abs\)\.$/],
    ['a .. entry', [{ name: 'manifest.json', data: MANIFEST }, { name: 'recording/../../rewind-evil-dots', data: 'x' }], /refused: it holds a '\.\.' entry/],
    ['a symbolic link', [{ name: 'manifest.json', data: MANIFEST }, { name: 'recording/CURRENT', type: '2', link: '/etc/passwd' }], /refused: it holds a symbolic link \(recording\/CURRENT\)\.$/],
    ['a hard link', [{ name: 'manifest.json', data: MANIFEST }, { name: 'recording/CURRENT', type: '1', link: '/etc/passwd' }], /refused: it holds a hard link \(recording\/CURRENT\)\.$/],
    ['an entry outside recording/', [{ name: 'manifest.json', data: MANIFEST }, { name: 'elsewhere.txt', data: 'x' }], /refused: it holds an entry outside recording\/ \(elsewhere\.txt\)\.$/],
    ['more than the size limit', [{ name: 'manifest.json', data: MANIFEST }, { name: 'recording/big.ldb', data: Buffer.alloc(3 << 20) }], /refused: it holds more than 2\.0 MB once unpacked\.$/],
    ['a size far beyond the limit in a header alone', [{ name: 'manifest.json', data: MANIFEST }, { name: 'recording/huge.ldb', size: 2 ** 33 - 1 }], /refused: it holds more than 2\.0 MB once unpacked\.$/],
    ['no manifest first', [{ name: 'recording/CURRENT', data: 'x' }], /is not a Rewind recording \(no manifest first\)\.$/],
    ['a manifest of another kind', [{ name: 'manifest.json', data: '{"kind":"photo-album"}' }], /is not a Rewind recording \(its manifest is of another kind\)\.$/],
  ];
  it.each(evil)('refuses an archive with %s, writing nothing', (_what, entries, message) => {
    const d = tmp();
    const file = join(d, 'evil.rwd');
    writeFileSync(file, craft(entries));
    const r = rewind(['unpack', file, '-o', join(d, 'out'), '--max-size', '2MB']);
    expect(r.status).not.toBe(0);
    expect(r.stderr.trim().split('\n')).toHaveLength(1);
    expect(r.stderr.trim()).toMatch(message);
    expect(readdirSync(d)).toEqual(['evil.rwd']); // no target, no half-unpacked folder
    expect(existsSync('/tmp/rewind-evil-abs')).toBe(false);
    expect(existsSync(join(d, '..', 'rewind-evil-dots'))).toBe(false);
    // Opening it directly refuses it too, in one sentence.
    const info = rewind(['info', file]);
    expect(info.status).not.toBe(0);
    expect(info.stderr.trim()).toMatch(/^rewind: \S+evil\.rwd (is refused|is not a Rewind recording|is truncated)[^\n]*\.$/);
  });

  it('says a corrupt, truncated or foreign file is one, in one sentence', () => {
    const d = tmp();
    const bytes = readFileSync(rwd);
    const cases: [string, Buffer, RegExp][] = [
      ['truncated.rwd', bytes.subarray(0, Math.floor(bytes.length / 2)), /is (corrupt or )?truncated/],
      ['corrupt.rwd', Buffer.concat([bytes.subarray(0, 200), Buffer.alloc(300, 0x55), bytes.subarray(500)]), /is corrupt/],
      ['notes.rwd', Buffer.from('just some notes\n'), /is not a Rewind recording \(neither a recording folder nor a \.rwd file\)\.$/],
      ['photos.rwd', gzipSync(Buffer.from('not a tar at all, only text '.repeat(40))), /is not a Rewind recording \(not a tar archive inside\)\.$/],
    ];
    for (const [name, data, message] of cases) {
      const file = join(d, name);
      writeFileSync(file, data);
      for (const args of [['info', file], ['unpack', file, '-o', join(d, `${name}.out`)]]) {
        const r = rewind(args);
        expect(r.status, `${args.join(' ')}: ${r.stderr}`).not.toBe(0);
        expect(r.stderr.trim().split('\n'), r.stderr).toHaveLength(1);
        expect(r.stderr.trim(), name).toMatch(message);
        expect(r.stderr).not.toMatch(/at .*\.js:\d+/);
      }
      expect(existsSync(join(d, `${name}.out`))).toBe(false);
    }
  });
});

describe('record --keep and --pack', () => {
  it('keeps nothing for a passing run with --keep failure, and says so', () => {
    const d = tmp();
    const prog = join(d, 'ok.py');
    writeFileSync(prog, 'print("fine")\n');
    const r = rewind(['record', '--keep', 'failure', '-o', join(d, 'rec'), prog]);
    expect(r.status).toBe(0);
    expect(r.stdout).toBe('fine\n');
    expect(r.stderr).toContain('the program succeeded (exit status 0): no recording kept (--keep failure)');
    expect(readdirSync(d)).toEqual(['ok.py']);
  });

  it('keeps a failing run (exit status, uncaught exception, signal) and says where', () => {
    const d = tmp();
    const progs: [string, string, number][] = [
      ['exit3.py', 'import sys\nsys.exit(3)\n', 3],
      ['raise.py', 'raise RuntimeError("boom")\n', 1],
      ['killed.py', 'import os, signal\nos.kill(os.getpid(), signal.SIGTERM)\n', 128 + 15],
    ];
    for (const [name, src, status] of progs) {
      writeFileSync(join(d, name), src);
      const out = join(d, `${name}.rec`);
      const r = rewind(['record', '--keep', 'failure', '-o', out, join(d, name)]);
      expect(r.status, name).toBe(status);
      expect(r.stderr).toContain(`to ${out}`);
      expect(rewind(['info', out]).status).toBe(0);
    }
  });

  it('--pack writes the .rwd directly, and --keep failure --pack keeps a failure as one file', () => {
    const d = tmp();
    let r = rewind(['record', '--pack', '-o', join(d, 'shop.rwd'), SHOP]);
    expect(r.status).toBe(1);
    expect(r.stderr).toMatch(/recorded \d+ events into .*shop\.rwd \(.*\) — exit status 1, uncaught ValueError/);
    expect(readdirSync(d)).toEqual(['shop.rwd']);
    r = rewind(['record', '--keep', 'failure', '--pack', '-o', join(d, 'none.rwd'), join(PROGRAMS, 'recursion.py')]);
    expect(r.status).toBe(0);
    expect(readdirSync(d)).toEqual(['shop.rwd']);
    expect(rewind(['record', '--keep', 'sometimes', SHOP]).stderr.trim()).toBe("rewind: --keep takes always or failure, not 'sometimes'.");
  });
});

describe('ls, rm, gc', () => {
  let d: string;
  beforeAll(() => {
    d = tmp();
    expect(rewind(['record', '--index', 'now', '-o', join(d, 'a'), SHOP]).status).toBe(1);
    expect(rewind(['record', '--pack', '-o', join(d, 'b.rwd'), join(PROGRAMS, 'recursion.py')]).status).toBe(0);
    mkdirSync(join(d, 'c.partial-999999')); // left by a recorder that was killed (no such pid)
    expect(rewind(['record', '-o', join(d, 'd'), SHOP]).status).toBe(1); // kept raw: indexed when first opened
    writeFileSync(join(d, 'notes.txt'), 'not a recording');
  });

  it('lists folders, .rwd files and leftovers, with --json', () => {
    const r = rewind(['ls', d]);
    expect(r.status).toBe(0);
    const rows = r.stdout.trim().split('\n');
    expect(rows[0]).toMatch(/^RECORDING +WHEN \(UTC\) +AGE +STATUS +EXIT +EVENTS +SIZE +COMMAND$/);
    expect(rows.find((l) => l.startsWith('a '))).toMatch(/ \d+s +failed +1 ValueError +\d+ +[\d.]+ KB +.*shop\.py$/);
    expect(rows.find((l) => l.startsWith('b.rwd '))).toMatch(/ complete +0 +\d+ +[\d.]+ KB +.*recursion\.py$/);
    expect(rows.find((l) => l.startsWith('c.partial-999999'))).toContain('(left by a recorder that stopped (pid 999999))');
    expect(rows.find((l) => l.startsWith('d '))).toMatch(/ not indexed +1 +- +[\d.]+ KB +.*shop\.py \(not indexed yet: indexed when first opened\)$/);
    expect(rows.find((l) => l.startsWith('c.partial-999999'))).toMatch(/ leftover /);
    expect(r.stdout).not.toContain('notes.txt');
    const json = rewind(['ls', '--json', d]).stdout.trim().split('\n').map((l) => JSON.parse(l));
    expect(json.map((j) => [j.kind, j.path.split('/').pop()]).sort()).toEqual([['folder', 'a'], ['partial', 'c.partial-999999'], ['raw', 'd'], ['rwd', 'b.rwd']]);
    expect(json.find((j) => j.kind === 'raw')).toMatchObject({ exitStatus: 1, signal: null, indexed: false, argv: [expect.any(String), expect.stringMatching(/shop\.py$/)] });
    expect(json.find((j) => j.kind === 'folder')).toMatchObject({ status: 'failed', exitStatus: 1, uncaught: { type: 'ValueError' }, events: expect.any(Number) });
    expect(json.find((j) => j.kind === 'rwd').status).toBe('complete');
  });

  it('rm deletes recordings and leaves anything else alone', () => {
    const e = tmp();
    cpSync(join(d, 'b.rwd'), join(e, 'b.rwd'));
    writeFileSync(join(e, 'keep.txt'), 'x');
    const r = rewind(['rm', join(e, 'b.rwd'), join(e, 'keep.txt')]);
    expect(r.status).toBe(1);
    expect(r.stderr).toContain(`rewind: ${join(e, 'keep.txt')} is not a recording; left alone.`);
    expect(readdirSync(e)).toEqual(['keep.txt']);
  });

  it('gc deletes what is older than --older-than and leftovers, after a dry run', () => {
    const e = tmp();
    for (const f of ['a', 'b.rwd', 'c.partial-999999', 'notes.txt']) cpSync(join(d, f), join(e, f), { recursive: true });
    let r = rewind(['gc', e, '--older-than', '1h', '--dry-run']);
    expect(r.stderr).toContain('would delete 1 recording');
    expect(readdirSync(e).sort()).toEqual(['a', 'b.rwd', 'c.partial-999999', 'notes.txt']);
    r = rewind(['gc', e, '--older-than', '1h']);
    expect(r.stderr).toMatch(/deleted .*c\.partial-999999 .*: left by a recorder that stopped/);
    expect(readdirSync(e).sort()).toEqual(['a', 'b.rwd', 'notes.txt']); // young recordings stay
    r = rewind(['gc', e]); // 7 days: nothing here is that old
    expect(r.stderr).toContain('deleted 0 recordings');
    r = rewind(['gc', e, '--older-than', '0s']);
    expect(r.stderr).toMatch(/deleted .*\/b\.rwd \(.*\): older than 0s/);
    expect(r.stderr).toContain('deleted 2 recordings');
    expect(readdirSync(e)).toEqual(['notes.txt']);
    expect(rewind(['gc', e, '--older-than', 'soon']).stderr.trim()).toBe("rewind: --older-than needs an age such as 7d, 12h or 30m, not 'soon'.");
  });
});

describe('test runners', () => {
  it('records -m unittest: a failing test is kept and replays to the failed assertion', () => {
    const d = tmp();
    writeFileSync(join(d, 'test_prices.py'), [
      'import unittest',
      '',
      'def total(prices):',
      '    return sum(prices) * 1.1',
      '',
      'class Prices(unittest.TestCase):',
      '    def test_total(self):',
      '        got = total([1, 2])',
      '        self.assertEqual(got, 3.3)  # @assert',
      '',
    ].join('\n'));
    const out = join(d, 'run.rwd');
    const r = rewind(['record', '--keep', 'failure', '--pack', '-o', out, '-m', 'unittest', 'test_prices'], { cwd: d });
    expect(r.status).toBe(1);
    expect(r.stderr).toContain('FAILED (failures=1)');
    const replay = rewind(['replay', '--json', out], { input: 'break test_prices.py:9\ncontinue\nprint got\n' });
    const [, at, got] = replay.stdout.trim().split('\n').map((l) => JSON.parse(l));
    expect(at).toMatchObject({ line: 9, function: 'Prices.test_total' });
    expect(got.value.repr).toBe('3.3000000000000003');
  });
});

describe('redact', () => {
  const SECRET = 'XYZZY-4242';
  const PROGRAM = [
    'class Rocket:',
    '    def __init__(self, code):',
    '        self.launch_code = code',
    '        self.name = "apollo"',
    '',
    `launch_code = "${SECRET}"`,
    'r = Rocket(launch_code)',
    'config = {"launch_code": launch_code, "pad": 39}',
    `note = "the code is ${SECRET}, keep it safe"`,
    'print("launching with", launch_code)',
    `raise RuntimeError("bad code ${SECRET}")`,
    '',
  ].join('\n');
  const RULE = ['--name', 'launch_code', '--value-regex', 'XYZZY-[0-9]+'];

  /** Every file of a recording folder, raw, and every entry LevelDB holds, decompressed. */
  async function traces(dir: string): Promise<string[]> {
    const found: string[] = [];
    for (const f of readdirSync(dir)) if (readFileSync(join(dir, f)).includes(SECRET)) found.push(`file ${f}`);
    const { Recording } = await import(join(ROOT, 'dist/src/store/store.js'));
    const rec = await Recording.open(dir);
    for await (const [k, v] of rec.entries()) if ((v as Buffer).includes(SECRET)) found.push(`entry ${String.fromCharCode(k[0])}`);
    await rec.close();
    return found;
  }

  function recordIt(): string {
    const d = tmp();
    writeFileSync(join(d, 'rocket.py'), PROGRAM);
    expect(rewind(['record', '-o', join(d, 'rec'), join(d, 'rocket.py')]).status).toBe(1);
    return join(d, 'rec');
  }

  it('rewrites a recording in place: values, attributes, dict entries, output, messages, sources', async () => {
    const rec = recordIt();
    expect((await traces(rec)).length).toBeGreaterThan(0); // the secret is there to begin with
    const r = rewind(['redact', rec, ...RULE]);
    expect(r.status, r.stderr).toBe(0);
    expect(r.stderr).toMatch(/redacted .*: launch_code ×\d+, values matching \/XYZZY-\[0-9\]\+\/ ×\d+/);
    expect(await traces(rec)).toEqual([]);
    const out = rewind(['replay', '--json', rec], { input: 'goto exception\nlocals\noutput\n' }).stdout.trim().split('\n').map((l) => JSON.parse(l));
    expect(out[1].locals.launch_code).toMatchObject({ type: 'redacted', repr: '<redacted>' });
    expect(out[1].locals.r.repr).toBe("Rocket(launch_code=<redacted>, name='apollo')");
    expect(out[1].locals.config.repr).toBe("{'launch_code': <redacted>, 'pad': 39}");
    expect(out[1].locals.note.repr).toBe('<redacted>');
    expect(out[2].output.map((o: any) => o.text).join('')).toContain('launching with <redacted>');
    const info = rewind(['info', '--json', rec]).stdout;
    expect(JSON.parse(info).redacted).toMatchObject({ names: ['launch_code'], valuePatterns: ['XYZZY-[0-9]+'], counts: { launch_code: expect.any(Number) } });
    expect(info).not.toContain(SECRET);
  });

  it('writes a redacted copy with -o and leaves the original alone', async () => {
    const rec = recordIt();
    const copy = join(rec, '..', 'copy');
    expect(rewind(['redact', rec, '-o', copy, ...RULE]).status).toBe(0);
    expect(await traces(copy)).toEqual([]);
    expect((await traces(rec)).length).toBeGreaterThan(0);
  });

  it('pack --name/--value-regex leaves no trace of the secret anywhere in the packed bytes', async () => {
    const rec = recordIt();
    const rwd = join(rec, '..', 'shared.rwd');
    const r = rewind(['pack', rec, '-o', rwd, ...RULE]);
    expect(r.status, r.stderr).toBe(0);
    expect(r.stderr).toContain('redacted: launch_code ×');
    const bytes = readFileSync(rwd);
    expect(bytes.includes(SECRET)).toBe(false);
    expect(gunzipSync(bytes).includes(SECRET)).toBe(false);
    const out = join(rec, '..', 'out');
    expect(rewind(['unpack', rwd, '-o', out]).status).toBe(0);
    expect(await traces(out)).toEqual([]);
    expect((await traces(rec)).length).toBeGreaterThan(0); // the recording itself is untouched
  });

  it('records environment variables by name only, unless --env allows their values; redact removes allowed ones', async () => {
    const d = tmp();
    writeFileSync(join(d, 'prog.py'), 'x = 1\n');
    const env = { ...process.env, ROCKET_KEY: SECRET, ROCKET_PAD: '39B', LAUNCH_CODE: SECRET };
    const rec = join(d, 'rec');
    expect(rewind(['record', '-o', rec, join(d, 'prog.py')], { env }).status).toBe(0);
    const meta = JSON.parse(rewind(['info', '--json', rec]).stdout);
    expect(meta.env).toMatchObject({ ROCKET_KEY: null, ROCKET_PAD: null, LAUNCH_CODE: null });
    expect(await traces(rec)).toEqual([]);
    expect(rewind(['info', rec]).stdout).toMatch(/^env +\d+ variables, names only$/m);

    const allowed = join(d, 'allowed');
    expect(rewind(['record', '-o', allowed, '--env', 'ROCKET_*', '--env', 'LAUNCH_CODE', join(d, 'prog.py')], { env }).status).toBe(0);
    expect(JSON.parse(rewind(['info', '--json', allowed]).stdout).env).toMatchObject({ ROCKET_KEY: SECRET, ROCKET_PAD: '39B', LAUNCH_CODE: SECRET });
    expect(rewind(['info', allowed]).stdout).toMatch(/^env +\d+ variables, values of LAUNCH_CODE, ROCKET_KEY, ROCKET_PAD$/m);
    expect(rewind(['redact', allowed, '--name', 'launch_code', '--value-regex', 'XYZZY-[0-9]+']).status).toBe(0);
    const after = JSON.parse(rewind(['info', '--json', allowed]).stdout);
    expect(after.env).toMatchObject({ ROCKET_KEY: '<redacted>', ROCKET_PAD: '39B', LAUNCH_CODE: '<redacted>' });
    expect(after.redacted.counts, JSON.stringify(after.redacted)).toMatchObject({ 'env LAUNCH_CODE': 1 });
    expect(await traces(allowed)).toEqual([]);
  });

  it('refuses bad requests in one sentence and leaves the recording as it was', async () => {
    const rec = recordIt();
    const cases: [string[], string][] = [
      [['redact', rec], 'rewind: nothing to redact: give --name PATTERN and/or --value-regex RE.'],
      [['redact', rec, '--value-regex', '(unclosed'], "rewind: --value-regex '(unclosed' is not a regular expression (Invalid regular expression: /(unclosed/g: Unterminated group)."],
      [['redact', rec, '-o', rec, '--name', 'x'], `rewind: ${rec} already exists; choose another -o.`],
    ];
    for (const [args, message] of cases) {
      const r = rewind(args);
      expect(r.status).not.toBe(0);
      expect(r.stderr.trim()).toBe(message);
    }
    expect(rewind(['info', rec]).status).toBe(0);
    expect((await traces(rec)).length).toBeGreaterThan(0);
    expect(readdirSync(join(rec, '..')).sort()).toEqual(['rec', 'rocket.py']);
  });
});
