// How fast the terminal UI answers its keys on a recording of 10 million events: each key's
// work plus building the 80×24 view it redraws (drawing the view is synchronous and small).
// Uses the same recording as bench/replay.ts.
//
//   npm run bench:tui
//   REWIND_BENCH_REC=/path/rec npm run bench:tui
import { cpus } from 'node:os';
import { Engine } from '../src/replay/engine.js';
import { Session, type Sizes } from '../src/tui/session.js';
import { recording } from './replay-recording.js';

const ROUNDS = Number(process.env.BENCH_ROUNDS ?? 200);
const SIZE: Sizes = { source: 15, locals: 9, stack: 4, output: 3, timeline: 74 }; // an 80×24 terminal
const now = () => Number(process.hrtime.bigint()) / 1e6;
const pct = (xs: number[], p: number) => [...xs].sort((a, b) => a - b)[Math.min(xs.length - 1, Math.floor((p / 100) * xs.length))];
let seed = 4242;
const rand = () => (seed = (seed * 48271) % 2147483647) / 2147483647;

async function main() {
  const e = await Engine.open(recording());
  const s = new Session(e);
  const total = e.rec.eventCount;
  const times = new Map<string, number[]>();
  const key = async (name: string, work: () => Promise<unknown> | unknown) => {
    const t = now();
    try { await work(); } catch { /* a key that has nothing to do says so; it is timed the same */ }
    await s.view(SIZE);
    const list = times.get(name) ?? [];
    list.push(now() - t);
    times.set(name, list);
  };
  const somewhere = () => e.goto(Math.floor(rand() * (total - 1)));

  console.log(`# terminal UI benchmark — ${cpus()[0]?.model ?? 'cpu'}, ${cpus().length} cores, node ${process.version}\n`);
  console.log(`Recording: ${total.toLocaleString('en-US')} events; ${ROUNDS} rounds, each from a random point; key + view of an 80×24 screen.\n`);
  const first = now();
  await s.view(SIZE);
  const firstView = now() - first;
  // The timeline's marks are read in the background after a breakpoint or watch changes.
  const bp = await e.addBreak('replay_big.py:7', null);
  let marks = now();
  await e.marks(SIZE.timeline);
  marks = now() - marks;
  e.deleteBreak(bp.id);

  for (let i = 0; i < ROUNDS; i++) {
    await somewhere();
    await key('g (go to a random event)', somewhere);
    for (const [k, kind, dir] of [['n', 'next', 1], ['N', 'next', -1], ['s', 'step', 1], ['S', 'step', -1], ['f', 'finish', 1], ['F', 'finish', -1]] as const) {
      await key(k, () => s.motion(kind, dir));
    }
    s.focus = 'locals';
    await key('↓ in locals', () => s.move(1));
    await key('Enter (open a value)', () => s.toggleOpen());
    await key('Tab', () => s.nextFocus(1));
    s.focus = 'source';
    await key('↑ in source', () => s.move(-1));
  }
  // Breakpoint keys, in step() (every line of it runs 1.5 million times): b sets one on the
  // current line, c and C go to its next and previous hits, b removes it.
  for (let i = 0; i < ROUNDS; i++) {
    await somewhere();
    const f = await e.selectedFrame();
    if (e.frameFunction(f) !== 'step') continue;
    await key('b (set)', () => s.toggleBreak());
    await key('c', () => s.motion('cont', 1));
    await key('C', () => s.motion('cont', -1));
    await key('b (remove)', () => s.toggleBreak());
  }
  // Watch and history of `counter` in main(): it changes 1.3 million times.
  for (let i = 0; i < Math.min(ROUNDS, 50); i++) {
    await somewhere();
    await s.motion('finish', 1).catch(() => undefined); // out of step() into main()
    const f = await e.selectedFrame();
    if (e.frameFunction(f) !== 'main') continue;
    s.focus = 'locals';
    const rows = (await s.view({ ...SIZE, locals: 50 })).locals;
    const at = rows.findIndex((r) => r.label === 'counter');
    if (at < 0) continue;
    for (let k = 0; k < at; k++) await s.move(1);
    await key('w (watch counter)', () => s.watchSelected());
    await key('c (to its next change)', () => s.motion('cont', 1));
    await key('C (to the line that made it)', () => s.motion('cont', -1));
    await key('h (history of counter, first 1,000)', () => s.historyOfSelected());
    for (const b of e.breakpoints()) e.deleteBreak(b.id);
  }
  await e.close();

  console.log(`First view: ${firstView.toFixed(1)} ms. Timeline marks for a breakpoint on a line with 1.5 million hits: ${marks.toFixed(1)} ms (read in the background).\n`);
  console.log('| key | median | p99 | worst |');
  console.log('|---|---:|---:|---:|');
  for (const [name, xs] of times) console.log(`| ${name} | ${pct(xs, 50).toFixed(2)} ms | ${pct(xs, 99).toFixed(2)} ms | ${Math.max(...xs).toFixed(1)} ms |`);
}

main().catch((err) => { console.error(err); process.exit(1); });
