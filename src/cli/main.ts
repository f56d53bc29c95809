#!/usr/bin/env node
// The `rewind` command: parses arguments (commander), calls the recorder, the store or the
// engine, and prints. A UserError becomes one line on stderr and its exit code.
import { createRequire } from 'node:module';
import { existsSync, renameSync, rmSync, statSync } from 'node:fs';
import { relative, resolve } from 'node:path';
import { record, importRaw, outputPath, ACCELERATOR_MODES, type RecordOptions } from '../recorder/record.js';
import { rawHeader, rawHello, rawPath } from '../recorder/deferred.js';
import type { Meta, Recording } from '../store/store.js';
import { UserError } from '../errors.js';
import { progressLine, style } from './style.js';
import { loadConfig } from './config.js';
import { collect, mustBeRegex, nonNegativeInt, positiveInt, programAfterModule } from './options.js';
import { formatBytes, parseSize } from '../units.js';

// commander through require: imported as an ES module it is first scanned for its exports (~4 ms of every start).
const { Command } = createRequire(import.meta.url)('commander') as typeof import('commander');

const program = new Command('rewind')
  .description('Record a Python program, then replay it forwards and backwards.')
  .version('0.1.0')
  .enablePositionalOptions()
  .showHelpAfterError('(run with --help for usage)')
  .configureOutput({ outputError: (s, write) => write(style.err(s)) })
  .addHelpText('after', `
Examples:
  $ rewind record examples/orders.py            record a script into recordings/
  $ rewind info recordings/orders-20261121-101500
  $ rewind dump recordings/orders-20261121-101500 --from 100 --to 120`);

const recordCommand = program.command('record')
  .summary('run a Python program and record it')
  .description('Run a Python script (or -m module) under the recorder; as with python, everything after the ' +
    'script or module is the program\'s. The program keeps its stdin, stdout, ' +
    'stderr and exit status; a one-line summary goes to stderr when it ends.')
  .usage('[options] script.py [args...]  |  [options] -m module [args...]')
  .argument('[program...]', 'script and its arguments (or, with -m, the module\'s arguments)')
  .option('-m, --module <module>', 'run a library module as a script, like python -m')
  .option('-o, --out <path>', 'where to write the recording (default: recordings/<name>-<time>)')
  .option('--python <exe>', 'Python interpreter to run', 'python3')
  .option('--include <glob>', 'also record files matching glob (repeatable)', collect, [])
  .option('--exclude <glob>', 'do not record files matching glob (repeatable)', collect, [])
  .option('--redact-name <pattern>', 'also redact values of names holding pattern\'s words (repeatable; rewind redact --list)', collect, [])
  .option('--secret <pattern>', 'the same as --redact-name', collect, [])
  .option('--redact-value <re>', 'also replace strings matching this regular expression, as the recording is indexed (repeatable)', collect, [])
  .option('--no-default-redaction', 'do not redact the built-in secret names (password, token...: rewind redact --list)')
  .option('--env <glob>', 'record the values of environment variables matching glob (repeatable; otherwise names only)', collect, [])
  .option('--max-depth <n>', 'nesting depth of recorded values', positiveInt('--max-depth'))
  .option('--max-items <n>', 'items recorded per container', positiveInt('--max-items'))
  .option('--max-string <n>', 'characters recorded per string', positiveInt('--max-string'))
  .option('--accelerator <mode>', 'auto: the agent\'s C accelerator where it builds, else pure Python; on: fail if it cannot be built; off: pure Python', 'auto')
  .option('-f, --force', 'replace the output if it exists')
  .option('--keep <when>', 'always, or failure: keep the recording only if the program failed', 'always')
  .option('--index <when>', 'later: keep the agent\'s stream and index it when the recording is first opened (the program runs at the agent\'s pace); now: index it before returning', 'later')
  .option('--pack', 'write one .rwd file (see rewind pack) instead of a folder')
  .option('--until-failure <n>', 'a flaky program: run it up to n times, until a run fails; keep that run and the last passing one (for rewind diff)', positiveInt('--until-failure'))
  .option('--max-events <n>', 'flight recorder: keep only about the last n events', positiveInt('--max-events'))
  .option('--max-size <size>', 'flight recorder: keep only about the last SIZE of records, measured before compression (e.g. 200MB)', (v: string) => parseSize(v, '--max-size'))
  .passThroughOptions()
  .addHelpText('after', `
By default everything is recorded except the standard library, site-packages and Rewind's own
agent. Values of variables named like password, secret, token, api_key (as words: api_token,
accessToken; not tokenize) are redacted before they leave the program, and so are string
literals given to them in the embedded sources (rewind redact --list). A .rewind.json in this
folder or above adds names and values to redact for every recording of the project:
{"redact": {"names": ["launch_code"], "values": ["sk-[A-Za-z0-9]{20,}"], "defaults": true}}. Environment variables are recorded by name; their values only where
--env allows them.

The agent's C accelerator is compiled on first use with the machine's C compiler and the
interpreter's headers, and cached in ~/.cache/rewind (REWIND_CACHE_DIR moves it). Where it cannot
be built, the pure-Python agent records the same events, more slowly, and Rewind says so.

A flight recorder (--max-events, --max-size) keeps only the most recent part of a long run, in
whole snapshot intervals of 4,096 events, and keeps the disk it uses bounded while the program
runs; \`rewind info\` says what was dropped.

Examples:
  $ rewind record examples/orders.py
  $ rewind record -o /tmp/run1 tool.py --verbose input.txt  # after the script: its arguments
  $ rewind record -m unittest tests.test_orders
  $ rewind record -m pytest -x tests/                      # after -m MODULE: the module's
  $ rewind record --keep failure --pack -o ci/run.rwd -m unittest discover   # CI: keep failures only
  $ rewind record --max-size 200MB -- server.py            # keep the last ~200 MB of a long run
  $ rewind record --until-failure 50 -o recordings/flaky -m pytest tests/test_sync.py   # then: rewind diff
  $ rewind record --python python3.13 --exclude '*/vendor/*' app.py`)
  .action(async (prog: string[], o) => {
    if (!o.module && prog.length === 0) throw new UserError('no program to record: give a script (rewind record prog.py) or a module (rewind record -m mod).');
    if (o.keep !== 'always' && o.keep !== 'failure') throw new UserError(`--keep takes always or failure, not '${o.keep}'.`);
    if (o.index !== 'later' && o.index !== 'now') throw new UserError(`--index takes later or now, not '${o.index}'.`);
    if (!ACCELERATOR_MODES.includes(o.accelerator)) throw new UserError(`--accelerator takes auto, on or off, not '${o.accelerator}'.`);
    for (const re of o.redactValue as string[]) mustBeRegex(re, (why) => `--redact-value '${re}' is not a regular expression (${why}).`);
    // The project's .rewind.json adds its own (the flags add to it; --no-default-redaction wins).
    const config = loadConfig().redact;
    const options: RecordOptions = {
      redactValues: [...config.values, ...o.redactValue],
      python: o.python, out: o.out, force: o.force, module: o.module, argv: prog,
      include: o.include, exclude: o.exclude, secrets: [...config.names, ...o.redactName, ...o.secret], defaultSecrets: o.defaultRedaction && config.defaults, env: o.env,
      maxDepth: o.maxDepth, maxItems: o.maxItems, maxString: o.maxString, accelerator: o.accelerator,
      limits: { maxEvents: o.maxEvents, maxBytes: o.maxSize },
    };
    if (o.untilFailure !== undefined) {
      if (o.pack || o.keep !== 'always' || o.index !== 'later') throw new UserError('--until-failure keeps recording folders of its own: it goes with none of --pack, --keep and --index.');
      return untilFailure(o.untilFailure, options);
    }
    let rwd: string | null = null;
    if (o.pack) {
      rwd = resolve(o.out ?? '');
      if (!o.out || !rwd.endsWith('.rwd')) rwd = null; // a default name: the folder's, plus .rwd
      if (rwd && existsSync(rwd) && !o.force) throw new UserError(`${o.out} already exists; pass --force to replace it.`, 'REWIND_EXISTS');
    }
    const r = await record({
      ...options, out: rwd ? rwd.replace(/\.rwd$/, '') + `.folder-${process.pid}` : o.out,
      // --keep failure: a passing run is never indexed at all
      index: o.keep === 'always' && (o.index === 'now' || o.pack) ? 'now' : 'later',
    });
    process.exitCode = r.status;
    const e = r.ending;
    const failed = e.signal !== null || e.exitStatus !== 0;
    const accelerator = r.meta ? r.meta.accelerator : (await rawHello(r.path)).accelerator;
    // Said once, on the summary line: where the accelerator could not be built, and why.
    const slow = typeof accelerator === 'string' && accelerator.startsWith('unavailable: ') ? ` — pure-Python agent (slower): the C accelerator is ${accelerator}` : '';
    if (o.keep === 'failure' && !failed) {
      rmSync(r.path, { recursive: true, force: true });
      process.stderr.write(style.dim(`rewind: the program succeeded (exit status ${e.exitStatus}): no recording kept (--keep failure)${slow}\n`));
      return;
    }
    // Indexed now when asked, to pack it, or to say at once what the agent said is missing.
    const m = r.meta ?? (!r.abandoned && (o.pack || o.index === 'now' || r.warned) ? await indexNow(r.path) : null);
    if (!m) {
      const how = e.signal ? `killed by ${e.signal}` : `exit status ${e.exitStatus}`;
      const why = r.abandoned ? 'indexing stopped by a signal: it will be indexed' : 'indexed';
      process.stderr.write(style.dim(`rewind: recorded ${formatBytes(rawHeader(r.path)?.committed ?? 0)} of events to ${displayPath(r.path)} — ${how}; ${why} when first opened${slow}\n`));
      if (r.abandoned) process.exit(); // not waiting for the index writes in flight
      return;
    }
    const [{ incompleteness }, { folderSize, packWithProgress }] = await Promise.all([store(), import('./share.js')]);
    const how = m.signal ? `killed by ${m.signal}` : `exit status ${m.exitStatus}${m.uncaught ? `, uncaught ${m.uncaught.type}` : ''}`;
    // Never a silent truncation: a recording that misses something says so, not dimmed.
    const missing = incompleteness(m);
    if (missing) process.stderr.write(style.err(`rewind: the recording is incomplete: ${missing}.\n`));
    const events = `${m.counts.events.toLocaleString('en-US')} events`;
    const kept = m.window?.firstSeq ? ` — flight recorder: kept the last ${(m.counts.events - m.window.firstSeq).toLocaleString('en-US')}` : '';
    if (o.pack) {
      const out = rwd ?? `${r.path}.rwd`;
      if (existsSync(out)) rmSync(out, { force: true });
      await packWithProgress(r.path, out);
      rmSync(r.path, { recursive: true, force: true });
      process.stderr.write(style.dim(`rewind: recorded ${events} into ${displayPath(out)} (${formatBytes(statSync(out).size)}) — ${how}${m.truncated ? ', truncated' : ''}${kept}${slow}\n`));
      return;
    }
    process.stderr.write(style.dim(`rewind: recorded ${events} (${formatBytes(folderSize(r.path))}) to ${displayPath(r.path)} — ${how}${m.truncated ? ', truncated' : ''}${kept}${slow}\n`));
  });

/**
 * `record --until-failure N`: runs the program until a run fails (N runs at most), keeps that
 * run at the output path and the last passing run beside it (`-pass`), for `rewind diff`.
 */
async function untilFailure(runs: number, o: RecordOptions) {
  const final = outputPath(o);
  const passPath = `${final}-pass`;
  if (existsSync(passPath) && !o.force) throw new UserError(`${passPath} already exists; pass --force to replace it.`, 'REWIND_EXISTS');
  let passed: string | null = null;
  for (let i = 1; i <= runs; i++) {
    const r = await record({ ...o, out: `${final}.run-${i}`, force: true, index: 'later' });
    const e = r.ending;
    if (e.signal === null && e.exitStatus === 0) {
      if (passed) rmSync(passed, { recursive: true, force: true });
      passed = r.path;
      process.stderr.write(style.dim(`rewind: run ${i} of ${runs} passed\n`));
      continue;
    }
    rmSync(final, { recursive: true, force: true });
    renameSync(r.path, final);
    if (passed) {
      rmSync(passPath, { recursive: true, force: true });
      renameSync(passed, passPath);
    }
    const how = e.signal ? `killed by ${e.signal}` : `exit status ${e.exitStatus}`;
    process.stderr.write(`rewind: run ${i} of ${runs} failed (${how}): recorded to ${displayPath(final)}` +
      (passed ? `; the last passing run to ${displayPath(passPath)}. Where they part: rewind diff ${displayPath(passPath)} ${displayPath(final)}\n` : ' (no run passed before it)\n'));
    process.exitCode = r.status;
    return;
  }
  if (passed) rmSync(passed, { recursive: true, force: true });
  process.stderr.write(`rewind: all ${runs} runs passed: nothing kept.\n`);
}

/** Indexes a recording kept raw now (with progress on a terminal); its metadata. */
async function indexNow(path: string): Promise<Meta> {
  const rec = await openRecording(path);
  await rec.close();
  return rec.meta;
}

program.command('import')
  .summary('turn a raw stream from the standalone agent into a recording')
  .description('Turn a raw stream written by the agent alone (python3 -m rewind_agent -o trace.raw prog.py) ' +
    'into a recording.')
  .argument('<raw>', 'raw stream file')
  .requiredOption('-o, --out <path>', 'where to write the recording')
  .option('-f, --force', 'replace the output if it exists')
  .addHelpText('after', `
Examples:
  $ PYTHONPATH=/path/to/rewind/agent python3 -m rewind_agent -o trace.raw prog.py
  $ rewind import trace.raw -o recordings/prog`)
  .action(async (raw: string, o) => {
    const p = progressLine('importing', { says: `no recording was made; the raw stream ${raw} is as it was: run the command again` });
    const r = await importRaw(raw, o, (b) => p.update(formatBytes(b))).finally(p.done);
    const missing = (await store()).incompleteness(r.meta);
    if (missing && !r.meta.truncated) process.stderr.write(style.err(`rewind: the recording is incomplete: ${missing}.\n`));
    process.stderr.write(`rewind: imported ${r.meta.counts.events.toLocaleString('en-US')} events to ${displayPath(r.path)}${r.meta.truncated ? ' (the stream was cut short: truncated)' : ''}\n`);
  });

program.command('info')
  .summary('show what a recording holds')
  .description('Show a recording\'s metadata: program, Python, exit status, counts.')
  .argument('<recording>', 'recording folder or .rwd file')
  .option('--json', 'print the metadata as one JSON object')
  .addHelpText('after', `
Examples:
  $ rewind info recordings/orders-20261121-101500
  $ rewind info --json recordings/orders-20261121-101500 | jq .counts`)
  .action(async (path: string, o) => {
    const rec = await openRecording(path);
    try {
      if (o.json) {
        process.stdout.write(JSON.stringify({ path, ...rec.meta, threads: rec.threads }) + '\n');
        return;
      }
      process.stdout.write(infoText(path, rec, (await store()).incompleteness(rec.meta)));
    } finally {
      await rec.close();
    }
  });

program.command('dump')
  .summary('print a recording\'s raw events')
  .description('Print the events of a recording in order, one per line.')
  .argument('<recording>', 'recording folder or .rwd file')
  .option('--from <seq>', 'first sequence number', nonNegativeInt('--from'))
  .option('--to <seq>', 'last sequence number', nonNegativeInt('--to'))
  .option('--json', 'one JSON object per event')
  .addHelpText('after', `
Examples:
  $ rewind dump recordings/orders-20261121-101500 --to 50
  $ rewind dump --json --from 1000 --to 1010 recordings/orders-20261121-101500`)
  .action(async (path: string, o) => {
    const rec = await openRecording(path);
    try {
      const last = rec.eventCount - 1;
      const from = Math.max(o.from ?? 0, rec.firstSeq);
      const to = Math.min(o.to ?? last, last);
      if (from > last && rec.eventCount > 0) throw new UserError(`--from ${from} is past the end: the recording has ${rec.span}.`);
      if (o.to !== undefined && o.to < from) throw new UserError(`--to ${o.to} comes before --from ${from}.`);
      const { EventView } = await import('../replay/events.js');
      const view = new EventView(rec);
      let buf = '';
      for await (const [seq, e] of rec.events(from, to)) {
        buf += (o.json ? JSON.stringify(await view.json(seq, e)) : await view.text(seq, e)) + '\n';
        if (buf.length > 1 << 16) { if (!process.stdout.write(buf)) await drain(); buf = ''; }
      }
      process.stdout.write(buf);
    } finally {
      await rec.close();
    }
  });

program.command('state')
  .summary('show the full state at one point of a recording')
  .description('Show where the program was at event SEQ and the stack of every thread, with the locals ' +
    'of each live frame (rebuilt from the nearest snapshot: fast anywhere in a recording).')
  .argument('<recording>', 'recording folder or .rwd file')
  .requiredOption('--at <seq>', 'sequence number of the event', nonNegativeInt('--at'))
  .option('--json', 'one JSON object')
  .addHelpText('after', `
Examples:
  $ rewind state recordings/orders-20261121-101500 --at 172
  $ rewind state --json --at 5000000 recordings/big | jq '.threads[0].stack[-1].locals'`)
  .action(async (path: string, o) => {
    const rec = await openRecording(path);
    try {
      if (o.at >= rec.eventCount) throw new UserError(`--at ${o.at} is past the end: the recording has ${rec.span}.`);
      if (o.at < rec.firstSeq) throw new UserError(`--at ${o.at} was dropped by the flight recorder: the recording has ${rec.span}.`);
      const { EventView, describeState } = await import('../replay/events.js');
      const view = new EventView(rec);
      const state = await describeState(rec, view, o.at);
      if (o.json) { process.stdout.write(JSON.stringify(state) + '\n'); return; }
      process.stdout.write(await view.text(o.at, (await rec.event(o.at))!) + '\n');
      for (const t of state.threads) {
        process.stdout.write(`${style.bold(`Thread ${t.thread} (${t.name})`)}${t.stack.length ? '' : ': no recorded frames'}\n`);
        t.stack.forEach((f, i) => {
          process.stdout.write(`  #${i} ${f.file}:${f.line} ${f.function}${t.thread === state.thread && i === t.stack.length - 1 ? '   <- here' : ''}\n`);
          for (const [k, v] of Object.entries(f.locals)) process.stdout.write(`       ${k} = ${v.repr}\n`);
        });
      }
    } finally {
      await rec.close();
    }
  });

/** The store, loaded by the commands that open recordings (`rewind record` starts without it). */
async function store() {
  const s = await import('../store/store.js');
  // A recording kept raw is indexed as it is first opened, whatever the command: show it.
  s.Recording.onIndexing ??= () => {
    const p = progressLine('indexing', { says: 'the recording is kept as it was recorded; the next command that opens it indexes it again from the start' });
    return { update: (done, total) => p.update(`${Math.floor((100 * done) / Math.max(1, total))}% of ${formatBytes(total)}`), done: p.done };
  };
  return s;
}

const openRecording = async (path: string) => (await store()).Recording.open(path);

function drain() {
  return new Promise((r) => process.stdout.once('drain', r));
}

function infoText(path: string, rec: Recording, missing: string | null): string {
  const m = rec.meta;
  const n = (x: number) => x.toLocaleString('en-US');
  const when = new Date(m.start * 1000);
  const dur = m.end ? `${(m.end - m.start).toFixed(2)} s` : '?';
  const ending = m.inProgress ? 'still running when opened' : m.signal ? `killed by ${m.signal}` : `exit status ${m.exitStatus ?? 'unknown'}`;
  const rows: [string, string][] = [
    ['recording', path],
    ['program', m.argv.join(' ')],
    ['python', `${m.implementation} ${m.python} (${m.backend}${m.accelerator === 'on' ? ', C accelerator' : m.accelerator ? ', pure-Python agent' : ''})`],
    ['platform', m.platform],
    ['cwd', m.cwd],
    ['started', `${when.toISOString().replace('T', ' ').replace(/\.\d+Z$/, ' UTC')} (${dur})`],
    ['ended', `${ending}${m.truncated ? ' — truncated: the last event in flight may be missing' : ''}`],
  ];
  if (missing && !m.truncated) rows.push(['incomplete', missing]);
  for (const w of m.warnings ?? []) rows.push(['warning', `event ${n(w.seq)}: ${w.message}`]);
  if (m.uncaught) rows.push(['uncaught', `${m.uncaught.type}${m.uncaught.message != null ? ': ' + m.uncaught.message : ''}`]);
  if (m.gitCommit) rows.push(['git', m.gitCommit]);
  if (m.redacted) rows.push(['redacted', Object.entries(m.redacted.counts).map(([w, k]) => `${w} ×${k}`).join(', ') || `nothing matched (${[...m.redacted.names, ...m.redacted.valuePatterns].join(', ')})`]);
  const c = m.counts;
  rows.push(['events', `${n(c.events)} (${n(c.lines)} lines, ${n(c.calls)} calls, ${n(c.exceptions)} exceptions, ${n(c.outputs)} outputs)`]);
  if (m.window) {
    const limit = [m.window.maxEvents && `--max-events ${n(m.window.maxEvents)}`, m.window.maxBytes && `--max-size ${formatBytes(m.window.maxBytes)}`].filter(Boolean).join(' ');
    rows.push(['window', m.window.firstSeq
      ? `flight recorder (${limit}): kept ${rec.span}, dropped the first ${n(m.window.firstSeq)} (counts above are of the whole run)`
      : `flight recorder (${limit}): nothing dropped`]);
  }
  if (m.env) {
    const shown = Object.keys(m.env).filter((k) => m.env![k] !== null);
    rows.push(['env', `${n(Object.keys(m.env).length)} variables${shown.length ? `, values of ${shown.join(', ')}` : ', names only'}`]);
  }
  rows.push(['threads', rec.threads.map((t) => `${t.thread}:${t.name}`).join(', ') || '-']);
  rows.push(['files', String(c.files)]);
  rows.push(['format', String(m.format)]);
  return rows.map(([k, v]) => `${style.bold(k.padEnd(10))} ${v}\n`).join('');
}

function displayPath(p: string): string {
  const r = relative(process.cwd(), p);
  return r.startsWith('..') ? p : r;
}

/** The commands defined in this file: they need neither the replay nor the sharing commands loaded. */
const OWN_COMMANDS = new Set(program.commands.map((c) => c.name()));

async function main() {
  // `rewind dump REC | head`: the reader has gone, so stop quietly, as cat or grep do.
  process.stdout.on('error', (e: NodeJS.ErrnoException) => {
    if (e.code === 'EPIPE') process.exit(0);
    throw e;
  });
  try {
    const argv = process.argv.slice();
    if (argv[2] === 'record') argv.splice(3, Infinity, ...programAfterModule(recordCommand, argv.slice(3)));
    else if (OWN_COMMANDS.has(argv[2]!)) await store(); // import, info...: the store only (~15 ms less to load)
    else {
      // Every other command: the replay and sharing commands, and the store they open recordings with.
      const [{ addReplayCommands }, { addShareCommands }] = await Promise.all([import('./replay.js'), import('./share.js'), store()]);
      addReplayCommands(program);
      addShareCommands(program);
    }
    await program.parseAsync(argv);
  } catch (e) {
    if (e instanceof UserError) {
      process.stderr.write(style.err(`rewind: ${e.message}`) + '\n');
      process.exitCode = e.exitCode;
      return;
    }
    process.stderr.write(style.err(`rewind: internal error: ${(e as Error)?.message ?? e} (please report this)`) + '\n');
    if (process.env.REWIND_DEBUG) process.stderr.write(String((e as Error)?.stack) + '\n');
    process.exitCode = 70;
  }
}

main();
