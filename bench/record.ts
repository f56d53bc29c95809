// Recording overhead, per Python version and workload, side by side in one run: a plain run, the
// floor (a line callback that does nothing; on 3.12+ also the agent's events, each calling a C
// builtin that does next to nothing: what sys.monitoring itself costs it), the pure-Python agent and the accelerated agent alone
// writing their raw streams, and `rewind record` end to end (accelerated): as it is by default
// (the stream kept raw, indexed when first opened; that first open is timed too) and with
// --index now (indexed alongside, the recording ready when the command returns); events/s and
// bytes/event on disk. Then the fixed start-up of `rewind record`, a passing run under --keep
// failure, and the recorder's ingest rate and peak memory. Prints Markdown tables for the README.
//
//   npm run bench:record                    # python3
//   REWIND_PYTHONS=/path/python3.13 npm run bench:record
//   BENCH_REPEAT=5 BENCH_PURE_REPEAT=1 npm run bench:record   # best of 5, the pure agent once
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readdirSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { cpus, tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

const ROOT = resolve(dirname(fileURLToPath(import.meta.url)), '../..');
const CLI = join(ROOT, 'dist/src/cli/main.js');
// timed as users run it: the command (bin/rewind.js), which starts node without NODE_EXTRA_CA_CERTS
const REWIND = join(ROOT, 'bin/rewind.js');
const WORKLOADS = ['recursion', 'floats', 'objects', 'strdict', 'comprehensions', 'io_bound'];
const CPU_BOUND = WORKLOADS.filter((w) => w !== 'io_bound');
const REPEAT = Number(process.env.BENCH_REPEAT ?? 3);
// the pure-Python agent's runs take seconds each, so this machine's noise matters less to them
// than to the others (tenths of a second): BENCH_PURE_REPEAT=1 saves most of the run's time
const PURE_REPEAT = Number(process.env.BENCH_PURE_REPEAT ?? REPEAT);

function timed(cmd: string, args: string[], env: NodeJS.ProcessEnv = process.env): number {
  const t = process.hrtime.bigint();
  const r = spawnSync(cmd, args, { stdio: ['ignore', 'ignore', 'pipe'], env, cwd: ROOT });
  if (r.status !== 0) throw new Error(`${cmd} ${args.join(' ')} failed: ${r.stderr}`);
  return Number(process.hrtime.bigint() - t) / 1e9;
}

const best = (f: () => number, n = REPEAT) => Math.min(...Array.from({ length: n }, f));
// the best of REPEAT rounds for each of fs, run one after another in each round
function bestInTurns(fs: (() => number)[], n = REPEAT): number[] {
  const b = fs.map(() => Infinity);
  for (let i = 0; i < n; i++) fs.forEach((f, k) => { b[k] = Math.min(b[k], f()); });
  return b;
}
/** The largest resident set of `rewind ARGS`, in MB, as the process itself reports it on exit. */
function peakMB(args: string[]): number {
  const hook = join(tmp, 'peak.cjs');
  writeFileSync(hook, "process.on('exit', () => require('fs').writeSync(2, 'peak-rss ' + process.resourceUsage().maxRSS + '\\n'));\n");
  const r = spawnSync(process.execPath, ['--require', hook, CLI, ...args], { encoding: 'utf8', cwd: ROOT });
  const kb = Number(/peak-rss (\d+)/.exec(r.stderr)?.[1]);
  if (r.status !== 0 || !kb) throw new Error(`rewind ${args.join(' ')} failed: ${r.stderr}`);
  return Math.round(kb / 1024);
}

const geomean = (xs: number[]) => Math.exp(xs.reduce((a, x) => a + Math.log(x), 0) / xs.length);
const dirBytes = (d: string) => readdirSync(d).reduce((a, f) => a + statSync(join(d, f)).size, 0);

function realExe(python: string): { exe: string; version: string } {
  // pyenv-style shims add ~70 ms of shell per start: time the interpreter itself
  const r = spawnSync(python, ['-c', 'import sys; print(sys.executable); print("%d.%d.%d" % sys.version_info[:3])'], { encoding: 'utf8' });
  const [exe, version] = r.stdout.trim().split('\n');
  return { exe, version };
}

// Python's default is to cache the agent's compiled modules (__pycache__); a machine that turns
// that off (PYTHONDONTWRITEBYTECODE, as some CI images do) makes every traced start compile them
// first, ~25 ms. Measure the default.
delete process.env.PYTHONDONTWRITEBYTECODE;
const pythons = ['python3', ...(process.env.REWIND_PYTHONS ?? '').split(':').filter(Boolean)];
const tmp = mkdtempSync(join(tmpdir(), 'rewind-bench-'));
console.log(`# recording benchmark — ${cpus()[0]?.model ?? 'cpu'}, ${cpus().length} cores, node ${process.version}\n`);
for (const py of pythons) {
  const { exe, version } = realExe(py);
  const startup = best(() => timed(exe, ['-c', 'pass']), 5);
  console.log(`## Python ${version} (${exe}), startup ${(startup * 1000).toFixed(0)} ms\n`);
  const monitoring = Number(version.split('.')[1]) >= 12;
  console.log('| workload | plain s | no-op callback × | C floor × | pure agent s | pure × | accelerated s | accelerated × | record s | record × | ÷ agent | first open s | record --index now s | now × | events | bytes/event |');
  console.log('|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|');
  const ratios = { floor: [] as number[], noop: [] as number[], pure: [] as number[], fast: [] as number[], record: [] as number[], overAgent: [] as number[], now: [] as number[] };
  let rawForIngest = '';
  let rawEvents = 0;
  const agentEnv = { ...process.env, PYTHONPATH: join(ROOT, 'agent') };
  // the first accelerated run after a change to the C sources compiles them (~1 s): not timed
  timed(exe, ['-m', 'rewind_agent', '--accelerator', 'on', '-o', join(tmp, 'warm.raw'), '-m', 'this'], agentEnv);
  for (const w of WORKLOADS) {
    const script = join(ROOT, 'bench/workloads', `${w}.py`);
    const raw = join(tmp, `${w}.raw`);
    const agent = (mode: string) => () => timed(exe, ['-m', 'rewind_agent', '--accelerator', mode, '-o', raw, script], agentEnv);
    const pure = best(agent('off'), PURE_REPEAT);
    const rec = join(tmp, `${w}.rec`);
    // `rewind record` as users run it: --accelerator auto, which finds the one built above (on
    // would launch the interpreter once more to check it before the program: ~35 ms); that it
    // did is checked on the recording below
    const record = (...opts: string[]) => () => {
      rmSync(rec, { recursive: true, force: true });
      return timed(REWIND, ['record', '--python', exe, ...opts, '-o', rec, script]);
    };
    // plain, floor, accelerated and record take turns, so that a ratio compares runs of one
    // moment of this machine, whose speed drifts; the best of each is kept
    const [plain, noop, fast, recorded, floor] = bestInTurns([
      () => timed(exe, [script]),
      () => timed(exe, [join(ROOT, 'bench/noop_line_callback.py'), script]),
      agent('on'),
      record(),
      ...(monitoring ? [() => timed(exe, [join(ROOT, 'bench/floor_c_callbacks.py'), script])] : []),
    ]);
    const firstOpen = timed(REWIND, ['info', rec]); // indexes the raw stream the last record left
    const now = best(record('--index', 'now'), 1);
    const info = JSON.parse(spawnSync(process.execPath, [CLI, 'info', '--json', rec], { encoding: 'utf8' }).stdout);
    if (info.accelerator !== 'on') throw new Error(`${w}: recorded without the accelerator (${info.accelerator})`);
    const events = info.counts.events as number;
    const bytes = dirBytes(rec);
    if (events > rawEvents) { rawEvents = events; rawForIngest = raw; }
    if (CPU_BOUND.includes(w)) {
      if (monitoring) ratios.floor.push(floor / plain);
      ratios.noop.push(noop / plain); ratios.pure.push(pure / plain); ratios.fast.push(fast / plain); ratios.record.push(recorded / plain);
      ratios.overAgent.push(recorded / fast); ratios.now.push(now / plain);
    }
    const x = (t: number) => (t / plain).toFixed(1);
    console.log(`| ${w} | ${plain.toFixed(3)} | ${x(noop)} | ${monitoring ? x(floor) : '—'} | ${pure.toFixed(2)} | ${x(pure)} | ${fast.toFixed(2)} | ${x(fast)} | ${recorded.toFixed(2)} | ${x(recorded)} | ${(recorded / fast).toFixed(2)} | ${firstOpen.toFixed(2)} | ${now.toFixed(2)} | ${x(now)} | ${events.toLocaleString('en-US')} | ${(bytes / events).toFixed(1)} |`);
  }
  const g = (xs: number[]) => `**${geomean(xs).toFixed(1)}**`;
  const g2 = (xs: number[]) => `**${geomean(xs).toFixed(2)}**`;
  console.log(`| **geometric mean, CPU-bound** | | ${g(ratios.noop)} | ${monitoring ? g(ratios.floor) : '—'} | | ${g(ratios.pure)} | | ${g(ratios.fast)} | | ${g(ratios.record)} | ${g2(ratios.overAgent)} | | | ${g(ratios.now)} | | |\n`);
  // What every `rewind record` costs before the program runs, and a passing run under --keep
  // failure (never indexed), each against the same program run plain, taking turns.
  const hello = join(tmp, 'hello.py');
  writeFileSync(hello, 'print("hello")\n');
  const rec = join(tmp, 'fixed.rec');
  // Node reads the certificates NODE_EXTRA_CA_CERTS names as it starts (~30 ms on a machine that
  // sets it, as this one does); the command starts it without them, `node main.js` does not.
  const extraCerts = process.env.NODE_EXTRA_CA_CERTS !== undefined;
  const recordHello = (cmd: string, args: string[]) => () => { rmSync(rec, { recursive: true, force: true }); return timed(cmd, [...args, 'record', '--python', exe, '-o', rec, hello]); };
  const [helloPlain, helloRecord, helloNode] = bestInTurns([
    () => timed(exe, [hello]),
    recordHello(REWIND, []),
    ...(extraCerts ? [recordHello(process.execPath, [CLI])] : []),
  ]);
  // A passing run under --keep failure is never indexed: the agent's cost and the start-up. On the
  // short recursion workload the start-up shows; on issue 19's fib(32) (35 M events) it does not.
  const fib32 = join(tmp, 'fib32.py');
  writeFileSync(fib32, 'def fib(n):\n    return n if n < 2 else fib(n - 1) + fib(n - 2)\n\nprint(fib(32))\n');
  const keep = (program: string, n: number) => {
    const [plain, agent, kept] = bestInTurns([
      () => timed(exe, [program]),
      () => timed(exe, ['-m', 'rewind_agent', '--accelerator', 'on', '-o', join(tmp, 'keep.raw'), program], agentEnv),
      () => timed(REWIND, ['record', '--keep', 'failure', '--force', '--python', exe, '-o', rec, program]),
    ], n);
    rmSync(join(tmp, 'keep.raw'), { force: true });
    return `${(kept / plain).toFixed(1)}× plain, the agent alone ${(agent / plain).toFixed(1)}×`;
  };
  const certs = extraCerts ? ` (${((helloNode - helloPlain) * 1000).toFixed(0)} ms as \`node dist/src/cli/main.js\`, which reads the certificates NODE_EXTRA_CA_CERTS names, as this machine sets it)` : '';
  console.log(`Fixed start-up: \`rewind record hello.py\` ${(helloRecord * 1000).toFixed(0)} ms against ${(helloPlain * 1000).toFixed(0)} ms plain: **${((helloRecord - helloPlain) * 1000).toFixed(0)} ms**${certs}. ` +
    `A passing run under \`--keep failure\`: recursion ${keep(join(ROOT, 'bench/workloads/recursion.py'), REPEAT)}; fib(32) ${keep(fib32, 1)}.\n`);
  const imp = join(tmp, 'ingest.rec');
  const t = best(() => { rmSync(imp, { recursive: true, force: true }); return timed(REWIND, ['import', rawForIngest, '-o', imp]); }, 2);
  rmSync(imp, { recursive: true, force: true });
  const peak = peakMB(['import', rawForIngest, '-o', imp]);
  console.log(`Recorder ingest (\`rewind import\` of the largest raw stream, ${rawEvents.toLocaleString('en-US')} events, incl. ~0.1 s node start): ${Math.round(rawEvents / t).toLocaleString('en-US')} events/s, peak memory ${peak} MB\n`);
}
rmSync(tmp, { recursive: true, force: true });
