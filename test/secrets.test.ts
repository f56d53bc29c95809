// Secret names as words, and secret literals in sources: the TypeScript rule (src/store/secrets.ts,
// for rewind redact) against the cases the agent is tested with too (test/golden/secret-names.json),
// then end to end: a program with secrets in its source, recorded and packed, searched byte by byte.
import { describe, expect, it } from 'vitest';
import { mkdirSync, readFileSync, readdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { gunzipSync } from 'node:zlib';
import { ROOT, rewind, tmp } from './helpers.js';
import { DEFAULT_SECRET_NAMES, compilePatterns, isSecretName, redactSource } from '../src/store/secrets.js';

const golden = JSON.parse(readFileSync(join(ROOT, 'test/golden/secret-names.json'), 'utf8'));
const defaults = compilePatterns(DEFAULT_SECRET_NAMES);

describe('secret names (the cases the agent is tested with)', () => {
  it('has the same built-in names as the agent', () => {
    expect(DEFAULT_SECRET_NAMES).toEqual(golden.defaults);
  });
  it.each(Object.entries(golden.names))('name %s: %s', (name, secret) => {
    expect(isSecretName(name, defaults)).toBe(secret);
  });
  it.each(Object.entries(golden.keys))('dict key %s: %s', (key, secret) => {
    expect(isSecretName(key, defaults, false)).toBe(secret);
  });
  it.each(golden.sources as [string, string][])('source %j', (before, after) => {
    expect(redactSource(before, defaults)).toBe(after);
  });
});

describe('secrets in a recorded program', () => {
  const TOKEN = 'sk-live-4f9a8b7c6d5e';
  const PASSWORD = 'hunter2-swordfish';
  const PROGRAM = [
    'class Token:',
    '    kind = "bearer"',
    '',
    `api_token = "${TOKEN}"`,
    `password: str = '${PASSWORD}'`,
    'tokenize = "plain words"',
    'max_tokens = 7',
    `headers = {"Authorization": "Bearer ${TOKEN}", "Accept": "json"}`,
    'launch_code = "LC-0042"',
    'done = True',
    '',
  ].join('\n');

  function record(extra: string[] = []) {
    const d = tmp();
    writeFileSync(join(d, 'app.py'), PROGRAM);
    const rec = join(d, 'rec');
    const r = rewind(['record', ...extra, '-o', rec, join(d, 'app.py')]);
    expect(r.status, r.stderr).toBe(0);
    const locals = JSON.parse(rewind(['replay', '--json', rec], { input: 'goto end\nlocals\n' }).stdout.trim().split('\n')[1]).locals;
    return { rec, locals, dir: d };
  }

  it('redacts secret names as words, not classes or lookalikes, and their literals in the embedded source', () => {
    const { rec, locals, dir } = record();
    expect(locals.api_token).toMatchObject({ type: 'redacted' });
    expect(locals.password).toMatchObject({ type: 'redacted' });
    expect(locals.headers.repr).toBe("{'Authorization': <redacted>, 'Accept': 'json'}");
    expect(locals.Token.repr).toBe("<class '__main__.Token'>");
    expect(locals.tokenize.repr).toBe("'plain words'");
    expect(locals.max_tokens.repr).toBe('7');
    const listing = rewind(['replay', rec], { input: 'goto end\nll\n' }).stdout;
    expect(listing).toContain('api_token = "<redacted>"');
    expect(listing).toContain("password: str = '<redacted>'");
    expect(listing).toContain('tokenize = "plain words"');
    // Nowhere in the packed file, compressed or not, nor in the folder's files.
    const rwd = join(dir, 'app.rwd');
    expect(rewind(['pack', rec, '-o', rwd]).status).toBe(0);
    const bytes = readFileSync(rwd);
    for (const secret of [TOKEN, PASSWORD]) {
      expect(bytes.includes(secret)).toBe(false);
      expect(gunzipSync(bytes).includes(secret)).toBe(false);
      for (const f of readdirSync(rec)) expect(readFileSync(join(rec, f)).includes(secret), f).toBe(false);
    }
  });

  it('takes names of ones own (--redact-name), and can drop the built-in ones (--no-default-redaction)', () => {
    const own = record(['--redact-name', 'launch_code']).locals;
    expect(own.launch_code).toMatchObject({ type: 'redacted' });
    expect(own.api_token).toMatchObject({ type: 'redacted' });
    const none = record(['--no-default-redaction', '--redact-name', 'launch_code']).locals;
    expect(none.launch_code).toMatchObject({ type: 'redacted' });
    expect(none.api_token.repr).toBe(`'${TOKEN}'`);
  });

  it('record --redact-value: values, output and sources matching it are gone once indexed (later or now)', async () => {
    const d = tmp();
    const SECRET = 'XYZZY-31415926';
    writeFileSync(join(d, 'leak.py'), `note = "the key is ${SECRET}"\nprint("using", note)\n`);
    for (const index of ['later', 'now']) {
      const rec = join(d, `rec-${index}`);
      const r = rewind(['record', '--redact-value', 'XYZZY-[0-9]+', '--index', index, '-o', rec, join(d, 'leak.py')]);
      expect(r.status, r.stderr).toBe(0);
      const out = rewind(['replay', '--json', rec], { input: 'goto end\nlocals\noutput\nll\n' }).stdout.trim().split('\n').map((l) => JSON.parse(l));
      expect(out[1].locals.note).toMatchObject({ type: 'redacted' });
      expect(out[2].output.map((o: any) => o.text).join('')).toBe('using the key is <redacted>\n');
      expect(out[3].lines[0].text).toBe('note = "the key is <redacted>"');
      for (const f of readdirSync(rec)) expect(readFileSync(join(rec, f)).includes(SECRET), `${index}: ${f}`).toBe(false);
      // and in no entry, decompressed
      const { Recording } = await import(join(ROOT, 'dist/src/store/store.js'));
      const opened = await Recording.open(rec);
      for await (const [, v] of opened.entries()) expect((v as Buffer).includes(SECRET)).toBe(false);
      await opened.close();
      expect(JSON.parse(rewind(['info', '--json', rec]).stdout).redacted.valuePatterns).toEqual(['XYZZY-[0-9]+']);
    }
    const bad = rewind(['record', '--redact-value', '(', '-o', join(d, 'bad'), join(d, 'leak.py')]);
    expect(bad.status).not.toBe(0);
    expect(bad.stderr).toMatch(/--redact-value '\(' is not a regular expression/);
  });

  it("a project's .rewind.json sets what every recording redacts; a bad one is said in one sentence", () => {
    const d = tmp();
    writeFileSync(join(d, 'app.py'), PROGRAM);
    mkdirSync(join(d, 'sub'));
    writeFileSync(join(d, '.rewind.json'), JSON.stringify({ redact: { names: ['launch_code'], values: ['hunter2-[a-z]+'], defaults: false } }));
    const rec = join(d, 'rec');
    // From a folder below it: the nearest .rewind.json up the tree counts.
    expect(rewind(['record', '-o', rec, join(d, 'app.py')], { cwd: join(d, 'sub') }).status).toBe(0);
    const locals = JSON.parse(rewind(['replay', '--json', rec], { input: 'goto end\nlocals\n' }).stdout.trim().split('\n')[1]).locals;
    expect(locals.launch_code).toMatchObject({ type: 'redacted' });
    expect(locals.api_token.repr).toBe(`'${TOKEN}'`); // "defaults": false
    expect(locals.password).toMatchObject({ type: 'redacted' }); // its value matches redact.values
    writeFileSync(join(d, '.rewind.json'), '{"redact": {"values": ["("]}}');
    const bad = rewind(['record', '-o', join(d, 'rec2'), join(d, 'app.py')], { cwd: d });
    expect(bad.status).not.toBe(0);
    expect(bad.stderr.trim().split('\n')).toHaveLength(1);
    expect(bad.stderr).toMatch(/\.rewind\.json: redact\.values holds '\(', which is not a regular expression/);
    writeFileSync(join(d, '.rewind.json'), '{"redact": ');
    expect(rewind(['record', '-o', join(d, 'rec3'), join(d, 'app.py')], { cwd: d }).stderr).toMatch(/\.rewind\.json is not valid JSON/);
  });

  it('redact --list shows the built-in names and how to change them', () => {
    const r = rewind(['redact', '--list']);
    expect(r.status).toBe(0);
    for (const n of DEFAULT_SECRET_NAMES) expect(r.stdout).toContain(`  ${n}\n`);
    expect(r.stdout).toMatch(/--redact-name/);
    expect(r.stdout).toMatch(/--no-default-redaction/);
    const bad = rewind(['redact']);
    expect(bad.status).not.toBe(0);
    expect(bad.stderr).toMatch(/redact needs a recording folder \(or --list\)/);
  });
});
