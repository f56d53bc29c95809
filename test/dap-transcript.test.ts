// Whole DAP conversations with `rewind dap` over stdin/stdout, as an editor has them, checked
// against golden transcripts in test/golden/ (they document the protocol as Rewind speaks it).
// After a deliberate change: REWIND_UPDATE_GOLDEN=1 npx vitest run test/dap-transcript.test.ts
import { describe, expect, it } from 'vitest';
import { spawn } from 'node:child_process';
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { CLI, PROGRAMS, ROOT, markers, rewind, tmp } from './helpers.js';

const SHOP = join(PROGRAMS, 'behaviour/shop.py');
const shop = markers(SHOP);
const GOLDEN = join(ROOT, 'test/golden');

type Message = { seq: number; type: string; command?: string; event?: string; request_seq?: number; body?: any; arguments?: any };
/** A step: send a request (and wait for its response), or wait for an event. Arguments may come from what was said before. */
type Step = { request: string; arguments?: unknown | ((log: Message[]) => unknown) } | { event: string };

/** Runs the steps against a fresh `rewind dap` and returns every message, both ways, in order. */
async function converse(steps: Step[]): Promise<Message[]> {
  const child = spawn(process.execPath, [CLI, 'dap'], { stdio: ['pipe', 'pipe', 'inherit'] });
  const log: Message[] = [];
  const waiting: { ok: (m: Message) => boolean; done: (m: Message) => void }[] = [];
  const seen: Message[] = [];
  let buf = Buffer.alloc(0);
  child.stdout.on('data', (chunk: Buffer) => {
    buf = Buffer.concat([buf, chunk]);
    for (;;) {
      const head = buf.indexOf('\r\n\r\n');
      if (head < 0) return;
      const len = Number(/Content-Length: (\d+)/.exec(buf.subarray(0, head).toString())![1]);
      if (buf.length < head + 4 + len) return;
      const m = JSON.parse(buf.subarray(head + 4, head + 4 + len).toString()) as Message;
      buf = buf.subarray(head + 4 + len);
      log.push(m);
      seen.push(m);
      const w = waiting.findIndex((x) => x.ok(m));
      if (w >= 0) waiting.splice(w, 1)[0].done(m);
    }
  });
  const next = (ok: (m: Message) => boolean) => new Promise<Message>((done) => {
    const i = seen.findIndex(ok);
    if (i >= 0) done(seen.splice(i, 1)[0]);
    else waiting.push({ ok, done: (m) => { seen.splice(seen.indexOf(m), 1); done(m); } });
  });
  let seq = 1;
  for (const step of steps) {
    if ('event' in step) { await next((m) => m.type === 'event' && m.event === step.event); continue; }
    const args = typeof step.arguments === 'function' ? step.arguments(log) : step.arguments;
    const req: Message = { seq: seq++, type: 'request', command: step.request, arguments: args ?? {} };
    log.push(req);
    const json = JSON.stringify(req);
    child.stdin.write(`Content-Length: ${Buffer.byteLength(json)}\r\n\r\n${json}`);
    await next((m) => m.type === 'response' && m.request_seq === req.seq);
  }
  child.stdin.end();
  await new Promise((res) => child.on('exit', res));
  return log;
}

/** The transcript with this machine's paths replaced, compared with (or, when asked, written to) its golden file. */
function checkGolden(name: string, log: Message[], paths: Record<string, string>) {
  // Event numbers and frame ids depend on the Python that recorded: named, not numbered.
  let text = JSON.stringify(log, null, 1)
    .replace(/"data": \{\s*"seq": \d+\s*\}/g, '"data": { "seq": "<event>" }')
    .replace(/"\d+:spent"/g, '"<frame>:spent"');
  for (const [placeholder, path] of Object.entries(paths)) text = text.split(path).join(placeholder);
  const file = join(GOLDEN, `dap-${name}.json`);
  if (process.env.REWIND_UPDATE_GOLDEN === '1' || !existsSync(file)) {
    mkdirSync(GOLDEN, { recursive: true });
    writeFileSync(file, text + '\n');
  }
  expect(text + '\n').toBe(readFileSync(file, 'utf8'));
}

const opening = (rec: string): Step[] => [
  { request: 'initialize', arguments: { adapterID: 'rewind', linesStartAt1: true, columnsStartAt1: true, pathFormat: 'path' } },
  { request: 'launch', arguments: { recording: rec } },
  { event: 'initialized' },
];
const closing: Step[] = [{ request: 'disconnect' }];
/** Opened, then continued to the uncaught exception. */
const toTheCrash = (rec: string): Step[] => [
  ...opening(rec),
  { request: 'setExceptionBreakpoints', arguments: { filters: ['uncaught'] } },
  { request: 'configurationDone' },
  { event: 'stopped' },
  { request: 'continue', arguments: { threadId: 1 } },
  { event: 'stopped' },
];

describe('DAP transcripts (golden)', () => {
  const dir = tmp();
  const rec = join(dir, 'shop');
  const record = () => {
    if (!existsSync(rec)) expect(rewind(['record', '-o', rec, SHOP]).stderr).toMatch(/recorded/);
  };
  const paths = () => ({ '<RECORDING>': rec, '<PROGRAMS>': PROGRAMS });

  it('reverse-continue to a breakpoint', async () => {
    record();
    const log = await converse([
      ...toTheCrash(rec),
      { request: 'setBreakpoints', arguments: { source: { path: SHOP }, breakpoints: [{ line: shop.spend, condition: 'price > 5' }] } },
      { request: 'reverseContinue', arguments: { threadId: 1 } },
      { event: 'stopped' },
      { request: 'stackTrace', arguments: { threadId: 1 } },
      { request: 'scopes', arguments: { frameId: 1000 } },
      { request: 'variables', arguments: { variablesReference: 1000 } },
      ...closing,
    ]);
    checkGolden('reverse-continue', log, paths());
  });

  it('a data breakpoint going backwards', async () => {
    record();
    const log = await converse([
      ...toTheCrash(rec),
      { request: 'stackTrace', arguments: { threadId: 1 } },
      { request: 'scopes', arguments: { frameId: 1000 } },
      { request: 'dataBreakpointInfo', arguments: { variablesReference: 1000, name: 'spent' } },
      { request: 'setDataBreakpoints', arguments: (log: Message[]) => ({ breakpoints: [{ dataId: log.findLast((m) => m.command === 'dataBreakpointInfo' && m.type === 'response')!.body.dataId }] }) },
      { request: 'setExceptionBreakpoints', arguments: { filters: [] } },
      { request: 'reverseContinue', arguments: { threadId: 1 } },
      { event: 'stopped' },
      { request: 'reverseContinue', arguments: { threadId: 1 } },
      { event: 'stopped' },
      { request: 'stackTrace', arguments: { threadId: 1 } },
      ...closing,
    ]);
    checkGolden('data-breakpoint-backwards', log, paths());
  });

  it('a logpoint over all its hits', async () => {
    record();
    const log = await converse([
      ...opening(rec),
      { request: 'setBreakpoints', arguments: { source: { path: SHOP }, breakpoints: [{ line: shop.spend, logMessage: '{name} x{qty}: spent={spent}' }] } },
      { request: 'configurationDone' },
      { event: 'stopped' },
      ...closing,
    ]);
    checkGolden('logpoint', log, paths());
  });
});
