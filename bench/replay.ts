// Replay speed on a recording of at least 10 million events: opening it, a step or reverse
// step anywhere, goto with full state, continue to a breakpoint, the history of a variable
// that changes over a million times, and the hits of a hot line. Prints a Markdown table.
//
//   npm run bench:replay          # records bench/workloads/replay_big.py once, into bench/.cache
//   REWIND_BENCH_REC=/path/rec npm run bench:replay   # use an existing recording of that program
import { cpus } from 'node:os';
import { Engine } from '../src/replay/engine.js';
import { SCRIPT, ROOT, recording } from './replay-recording.js';

const SAMPLES = Number(process.env.BENCH_SAMPLES ?? 1000); // a p99 needs enough samples to mean something

const now = () => Number(process.hrtime.bigint()) / 1e6;
const pct = (xs: number[], p: number) => [...xs].sort((a, b) => a - b)[Math.min(xs.length - 1, Math.floor((p / 100) * xs.length))];
let seed = 12345;
const rand = () => (seed = (seed * 48271) % 2147483647) / 2147483647;
const rows: [string, string, string][] = [];
const row = (what: string, figure: string, target: string) => { rows.push([what, figure, target]); console.error(`${what}: ${figure}`); };
const ms = (x: number) => `${x < 10 ? x.toFixed(2) : x.toFixed(0)} ms`;

async function timeEach(n: number, setup: (e: Engine) => Promise<unknown>, op: (e: Engine) => Promise<unknown>, e: Engine): Promise<number[]> {
  const out: number[] = [];
  for (let i = 0; i < n; i++) {
    await setup(e);
    const t = now();
    await op(e);
    out.push(now() - t);
  }
  return out;
}

async function main() {
  const rec = recording();
  let t = now();
  const e = await Engine.open(rec);
  const openMs = now() - t;
  const total = e.rec.eventCount;
  console.log(`# replay benchmark — ${cpus()[0]?.model ?? 'cpu'}, ${cpus().length} cores, node ${process.version}\n`);
  console.log(`Recording: ${total.toLocaleString('en-US')} events (${SCRIPT.slice(ROOT.length + 1)}), ${SAMPLES} random points per row; median / 99th percentile.\n`);
  row('open', ms(openMs), '< 300 ms');

  // Random points: lines spread over the whole recording (a fresh engine state each time, so caches help only as a person's session would).
  const somewhere = async (en: Engine) => { await en.goto(Math.floor(rand() * (total - 1))); };
  for (const [name, op] of [
    ['step', (en: Engine) => en.step(1)], ['rstep', (en: Engine) => en.step(-1)],
    ['next', (en: Engine) => en.next(1)], ['rnext', (en: Engine) => en.next(-1)],
  ] as const) {
    const xs = await timeEach(SAMPLES, somewhere, op, e);
    row(`${name} anywhere`, `${ms(pct(xs, 50))} / ${ms(pct(xs, 99))}`, '< 1 ms');
  }
  const gotoState = await timeEach(SAMPLES, async () => undefined, async (en) => {
    await en.goto(Math.floor(rand() * (total - 1)));
    const stack = await en.stack();
    en.localsJson(stack[stack.length - 1].locals);
  }, e);
  row('goto a random point, with full state', `${ms(pct(gotoState, 50))} / ${ms(pct(gotoState, 99))}`, '< 5 ms');

  const bp = await e.addBreak('replay_big.py:9', null);
  const cont = await timeEach(SAMPLES, somewhere, (en) => en.cont(1), e);
  row('continue to the next breakpoint hit', `${ms(pct(cont, 50))} / ${ms(pct(cont, 99))}`, '< 10 ms');
  const rcont = await timeEach(SAMPLES, somewhere, (en) => en.cont(-1), e);
  row('rcontinue to the previous hit', `${ms(pct(rcont, 50))} / ${ms(pct(rcont, 99))}`, '');
  e.deleteBreak(bp.id);
  await e.addBreak('replay_big.py:9', 'i % 1000 == 3');
  const condCont = await timeEach(20, somewhere, (en) => en.cont(1), e);
  row('continue to a conditional breakpoint (1 hit in 1000 holds)', `${ms(pct(condCont, 50))} / ${ms(pct(condCont, 99))}`, '');
  await e.close();

  const h = await Engine.open(rec);
  t = now();
  let first = 0, count = 0;
  for await (const piece of h.history('counter')) { if (count === 0) first = now() - t; count += piece.length; }
  const historyMs = now() - t;
  row(`history of counter (${count.toLocaleString('en-US')} changes)`, `first ${ms(first)}, all ${(historyMs / 1000).toFixed(2)} s`, 'first < 50 ms, all < 2 s');

  t = now();
  first = 0; count = 0;
  for await (const piece of h.hits('replay_big.py:7', null)) { if (count === 0) first = now() - t; count += piece.length; }
  const hitsMs = now() - t;
  row(`hits of the hot line with locals (${count.toLocaleString('en-US')} hits)`, `first ${ms(first)}, all ${(hitsMs / 1000).toFixed(1)} s (${Math.round(count / (hitsMs / 1000)).toLocaleString('en-US')} hits/s)`, '');
  await h.close();

  console.log('| operation | median / p99 | target |');
  console.log('|---|---:|---|');
  for (const [a, b, c] of rows) console.log(`| ${a} | ${b} | ${c} |`);
}

main().catch((err) => { console.error(err); process.exit(1); });
