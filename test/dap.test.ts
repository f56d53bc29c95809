// The debug adapter (`rewind dap`), driven as an editor drives it: the built CLI as a
// subprocess, DebugClient over its TCP port, on recordings of real Python runs.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { spawn, type ChildProcess } from 'node:child_process';
import { copyFileSync, mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { DebugClient } from '@vscode/debugadapter-testsupport';
import type { DebugProtocol as P } from '@vscode/debugprotocol';
import { CLI, PROGRAMS, markers, rewind, tmp } from './helpers.js';

const SHOP = join(PROGRAMS, 'behaviour/shop.py');
const THREADS = join(PROGRAMS, 'threads_prog.py');
const ASYNC = join(PROGRAMS, 'async_prog.py');
const shop = markers(SHOP);

let adapter: ChildProcess;
let port = 0;
const recs: Record<string, string> = {};

beforeAll(async () => {
  const dir = tmp();
  for (const [name, file] of [['shop', SHOP], ['threads', THREADS], ['async', ASYNC]]) {
    recs[name] = join(dir, name);
    const r = rewind(['record', '-o', recs[name], file], { cwd: PROGRAMS });
    expect(r.stderr).toMatch(/recorded/);
  }
  // One adapter process; each test is one connection, one session.
  adapter = spawn(process.execPath, [CLI, 'dap', '--port', '0'], { stdio: ['ignore', 'ignore', 'pipe'] });
  port = await new Promise<number>((res, rej) => {
    let err = '';
    adapter.stderr!.on('data', (b) => {
      err += b;
      const m = /listening on 127\.0\.0\.1:(\d+)/.exec(err);
      if (m) res(Number(m[1]));
    });
    adapter.on('exit', () => rej(new Error(`the adapter exited: ${err}`)));
  });
}, 120_000);

afterAll(() => { adapter?.kill(); });

/** A connected client whose session is launched, configured by `configure`, and stopped at its entry. */
async function session(launch: Record<string, unknown>, configure: (dc: DebugClient) => Promise<unknown> = async () => {}) {
  const dc = new DebugClient('node', CLI, 'rewind');
  dc.defaultTimeout = 60_000;
  await dc.start(port);
  const init = dc.waitForEvent('initialized');
  const caps = await dc.initializeRequest({ adapterID: 'rewind', linesStartAt1: true, columnsStartAt1: true, pathFormat: 'path' });
  await dc.launchRequest(launch as P.LaunchRequestArguments);
  await init;
  await configure(dc);
  const first = dc.waitForEvent('stopped');
  await dc.configurationDoneRequest();
  const stop = (await first) as P.StoppedEvent;
  return { dc, caps: caps.body!, stop };
}

/** Sends a motion and returns its stop with the top frame. */
async function move(dc: DebugClient, send: () => Promise<unknown>) {
  const ev = dc.waitForEvent('stopped');
  await send();
  const stop = (await ev) as P.StoppedEvent;
  const trace = await dc.stackTraceRequest({ threadId: stop.body.threadId! });
  return { stop: stop.body, frames: trace.body.stackFrames, top: trace.body.stackFrames[0] };
}

/** The locals of a frame as name -> repr. */
async function localsOf(dc: DebugClient, frameId: number): Promise<Record<string, string>> {
  const scopes = await dc.scopesRequest({ frameId });
  const vars = await dc.variablesRequest({ variablesReference: scopes.body.scopes[0].variablesReference });
  return Object.fromEntries(vars.body.variables.map((v) => [v.name, v.value]));
}

const cont = (dc: DebugClient) => move(dc, () => dc.continueRequest({ threadId: 1 }));
const rcont = (dc: DebugClient) => move(dc, () => dc.reverseContinueRequest({ threadId: 1 }));

describe('rewind dap', () => {
  it('says what it can do, and starts stopped at the first line', async () => {
    const { dc, caps, stop } = await session({ recording: recs.shop });
    expect(caps).toMatchObject({
      supportsStepBack: true, supportsConfigurationDoneRequest: true, supportsConditionalBreakpoints: true,
      supportsHitConditionalBreakpoints: true, supportsLogPoints: true, supportsFunctionBreakpoints: true,
      supportsDataBreakpoints: true, supportsGotoTargetsRequest: true, supportsRestartFrame: true,
      supportsExceptionInfoRequest: true, supportsEvaluateForHovers: true, supportsLoadedSourcesRequest: true,
      supportsTerminateRequest: true,
    });
    expect(caps.exceptionBreakpointFilters!.map((f) => f.filter)).toEqual(['raised', 'uncaught']);
    expect(stop.body).toMatchObject({ reason: 'entry', threadId: 1, allThreadsStopped: true });
    const trace = await dc.stackTraceRequest({ threadId: 1 });
    expect(trace.body.stackFrames).toHaveLength(1);
    expect(trace.body.stackFrames[0]).toMatchObject({ name: '<module>', line: 1, source: { path: SHOP } });
    expect((await dc.threadsRequest()).body.threads).toEqual([{ id: 1, name: 'MainThread' }]);
    const loaded = await dc.customRequest('loadedSources') as P.LoadedSourcesResponse;
    expect(loaded.body.sources.map((s) => s.path)).toContain(SHOP);
    await dc.disconnectRequest({});
    await dc.stop();
  });

  it('steps forwards and backwards: over, in, out, back', async () => {
    const { dc } = await session({ recording: recs.shop }, (c) =>
      c.setBreakpointsRequest({ source: { path: SHOP }, breakpoints: [{ line: shop['call-add'] }] }));
    let at = await cont(dc);
    expect(at.top.line).toBe(shop['call-add']);
    at = await move(dc, () => dc.stepInRequest({ threadId: 1 }));
    expect(at.top).toMatchObject({ name: 'Cart.add', line: shop.append });
    expect(at.frames.map((f) => f.name)).toEqual(['Cart.add', '<module>']);
    at = await move(dc, () => dc.nextRequest({ threadId: 1 }));
    expect(at.top.line).toBe(shop['add-total']);
    at = await move(dc, () => dc.stepBackRequest({ threadId: 1 }));
    expect(at.top.line).toBe(shop.append);
    at = await move(dc, () => dc.stepOutRequest({ threadId: 1 }));
    expect(at.top).toMatchObject({ name: '<module>' });
    expect(at.stop.reason).toBe('step');
    // Backwards from the first line: the start of the recording, said so.
    const first = await move(dc, () => dc.restartFrameRequest({ frameId: at.top.id }));
    expect(first.top.line).toBe(1);
    const start = await move(dc, () => dc.stepBackRequest({ threadId: 1 }));
    expect(start.stop).toMatchObject({ reason: 'start', description: 'the start of the recording' });
    await dc.disconnectRequest({});
    await dc.stop();
  });

  it('shows frames, scopes and values that expand, and evaluates without running Python', async () => {
    const { dc } = await session({ recording: recs.shop }, (c) =>
      c.setBreakpointsRequest({ source: { path: SHOP }, breakpoints: [{ line: shop.spend, condition: 'price > 5' }] }));
    const at = await cont(dc);
    expect(at.stop).toMatchObject({ reason: 'breakpoint', hitBreakpointIds: [expect.any(Number)] });
    expect(at.frames.map((f) => [f.name, f.line])).toEqual([['checkout', shop.spend], ['<module>', shop['first-checkout']]]);
    const scopes = (await dc.scopesRequest({ frameId: at.top.id })).body.scopes;
    expect(scopes.map((s) => s.name)).toEqual(['Locals', 'Globals']);
    const locals = (await dc.variablesRequest({ variablesReference: scopes[0].variablesReference })).body.variables;
    expect(Object.fromEntries(locals.map((v) => [v.name, [v.value, v.type]]))).toMatchObject({
      budget: ['20', 'int'], price: ['7', 'int'], name: ["'ink'", 'str'], spent: ['3', 'int'],
    });
    const cart = locals.find((v) => v.name === 'cart')!;
    expect(cart.variablesReference).toBeGreaterThan(0);
    const attrs = (await dc.variablesRequest({ variablesReference: cart.variablesReference })).body.variables;
    expect(attrs.map((v) => [v.name, v.value])).toEqual([['items', "[('pen', 3, 1), ('ink', 7, 2), ('pad', 4, 3)]"], ['total', '29']]);
    const items = (await dc.variablesRequest({ variablesReference: attrs[0].variablesReference })).body.variables;
    expect(items.map((v) => [v.name, v.value])).toEqual([['[0]', "('pen', 3, 1)"], ['[1]', "('ink', 7, 2)"], ['[2]', "('pad', 4, 3)"]]);
    const globals = (await dc.variablesRequest({ variablesReference: scopes[1].variablesReference })).body.variables;
    expect(globals.map((v) => v.name)).toEqual(expect.arrayContaining(['Cart', 'checkout', 'cart']));
    // The caller's frame has its own locals.
    expect(await localsOf(dc, at.frames[1].id)).toMatchObject({ cart: expect.stringContaining('Cart(') });
    const hover = await dc.evaluateRequest({ expression: 'spent + price * qty', frameId: at.top.id, context: 'hover' });
    expect(hover.body).toMatchObject({ result: '17', type: 'int', variablesReference: 0 });
    const inCaller = await dc.evaluateRequest({ expression: 'len(cart.items)', frameId: at.frames[1].id, context: 'watch' });
    expect(inCaller.body.result).toBe('3');
    await expect(dc.evaluateRequest({ expression: '__import__("os").system("true")', frameId: at.top.id, context: 'repl' }))
      .rejects.toThrow(/can be called/);
    // origin EXPR in the debug console: where the value came from, in the frame asked about.
    const from = await dc.evaluateRequest({ expression: 'origin spent', frameId: at.top.id, context: 'repl' });
    expect(from.body.result).toMatch(/^spent = 3: set by shop\.py:18 in checkout\(\)/);
    // The debug console runs replay commands after a colon.
    const history = await dc.evaluateRequest({ expression: ':history spent', context: 'repl' });
    expect(history.body.result).toMatch(/spent/);
    await dc.disconnectRequest({});
    await dc.stop();
  });

  it('shows what the agent did not record as such: items past its limit, values cut short', async () => {
    const dir = tmp();
    const prog = join(dir, 'big.py');
    writeFileSync(prog, 'big = list(range(150))\ntext = "x" * 2000\ndone = True\n');
    const rec = join(dir, 'rec');
    expect(rewind(['record', '-o', rec, prog]).stderr).toMatch(/recorded/);
    const { dc } = await session({ recording: rec }, (c) => c.setBreakpointsRequest({ source: { path: prog }, breakpoints: [{ line: 3 }] }));
    const at = await cont(dc);
    const scopes = (await dc.scopesRequest({ frameId: at.top.id })).body.scopes;
    const vars = (await dc.variablesRequest({ variablesReference: scopes[0].variablesReference })).body.variables;
    const big = vars.find((v) => v.name === 'big')!;
    expect(big.value).toMatch(/, \.\.\.\] \(truncated when recorded\)$/);
    const items = (await dc.variablesRequest({ variablesReference: big.variablesReference })).body.variables;
    expect(items).toHaveLength(101);
    expect(items[99]).toMatchObject({ name: '[99]', value: '99' });
    expect(items[100]).toMatchObject({ name: '…', value: '(50 more not recorded)', variablesReference: 0 });
    expect(vars.find((v) => v.name === 'text')!.value).toMatch(/\.\.\. \(truncated when recorded\)$/);
    await dc.disconnectRequest({});
    await dc.stop();
  });

  it('continues to breakpoints both ways, with hit counts, and function breakpoints', async () => {
    const { dc } = await session({ recording: recs.shop }, async (c) => {
      await c.setBreakpointsRequest({ source: { path: SHOP }, breakpoints: [{ line: shop.spend, hitCondition: '%2' }] });
      await c.setFunctionBreakpointsRequest({ breakpoints: [{ name: 'checkout' }] });
    });
    const seen: [number, string, string][] = [];
    for (let i = 0; i < 6; i++) {
      const at = await cont(dc);
      if (at.stop.reason === 'end') break;
      seen.push([at.top.line!, at.stop.reason, (await localsOf(dc, at.top.id)).name ?? '']);
    }
    // Each checkout's first line, and every second run of the spend line (its 2nd, 4th, 6th).
    expect(seen).toEqual([
      [shop['spent-init'], 'function breakpoint', ''],
      [shop.spend, 'breakpoint', "'ink'"],
      [shop['spent-init'], 'function breakpoint', ''],
      [shop.spend, 'breakpoint', "'pen'"],
      [shop.spend, 'breakpoint', "'pad'"],
    ]);
    // From the end, backwards: the last of them, then the one before.
    let back = await rcont(dc);
    expect([back.top.line, (await localsOf(dc, back.top.id)).name]).toEqual([shop.spend, "'pad'"]);
    back = await rcont(dc);
    expect([back.top.line, (await localsOf(dc, back.top.id)).name]).toEqual([shop.spend, "'pen'"]);
    await dc.disconnectRequest({});
    await dc.stop();
  });

  it('moves a breakpoint off a line without code, and refuses files that were not recorded', async () => {
    const { dc } = await session({ recording: recs.shop });
    const r = await dc.setBreakpointsRequest({ source: { path: SHOP }, breakpoints: [{ line: shop.spend - 4 }, { line: 9999 }] });
    expect(r.body.breakpoints[0]).toMatchObject({ verified: true, line: shop.spend - 3 });
    expect(r.body.breakpoints[0].message).toMatch(/holds no code: moved/);
    expect(r.body.breakpoints[1]).toMatchObject({ verified: false });
    expect(r.body.breakpoints[1].message).toMatch(/has no line 9999/);
    const other = await dc.setBreakpointsRequest({ source: { path: '/nowhere/else.py' }, breakpoints: [{ line: 3 }] });
    expect(other.body.breakpoints[0]).toMatchObject({ verified: false, message: 'this file was not recorded' });
    await expect(dc.setBreakpointsRequest({ source: { path: SHOP }, breakpoints: [{ line: shop.spend, hitCondition: 'often' }] }))
      .resolves.toMatchObject({ body: { breakpoints: [{ verified: false, message: expect.stringMatching(/is not a count/) }] } });
    await dc.disconnectRequest({});
    await dc.stop();
  });

  it('data breakpoints stop where a variable changes, forwards and backwards', async () => {
    const { dc } = await session({ recording: recs.shop }, (c) =>
      c.setBreakpointsRequest({ source: { path: SHOP }, breakpoints: [{ line: shop.spend }] }));
    const at = await cont(dc);
    const scopes = (await dc.scopesRequest({ frameId: at.top.id })).body.scopes;
    const info = await dc.dataBreakpointInfoRequest({ variablesReference: scopes[0].variablesReference, name: 'spent' });
    expect(info.body).toMatchObject({ description: 'spent in checkout()', accessTypes: ['write'] });
    // An item inside a value cannot be watched: said so.
    const cart = (await dc.variablesRequest({ variablesReference: scopes[0].variablesReference })).body.variables.find((v) => v.name === 'cart')!;
    const inner = await dc.dataBreakpointInfoRequest({ variablesReference: cart.variablesReference, name: 'total' });
    expect(inner.body.dataId).toBeNull();
    const set = await dc.setDataBreakpointsRequest({ breakpoints: [{ dataId: info.body.dataId! }] });
    expect(set.body.breakpoints[0].verified).toBe(true);
    await dc.setBreakpointsRequest({ source: { path: SHOP }, breakpoints: [] });
    const changed = await cont(dc);
    expect(changed.stop).toMatchObject({ reason: 'data breakpoint', description: 'spent: 0 → 3' });
    expect((await localsOf(dc, changed.top.id)).spent).toBe('3');
    const again = await cont(dc);
    expect(again.stop.description).toBe('spent: 3 → 17');
    const back = await rcont(dc);
    expect(back.stop).toMatchObject({ reason: 'data breakpoint', description: 'spent: 3 → 17' });
    expect(back.top.line).toBe(shop.spend); // the line that made the change
    await dc.disconnectRequest({});
    await dc.stop();
  });

  it('stops at raised and uncaught exceptions, and tells what they were', async () => {
    const { dc } = await session({ recording: recs.shop }, (c) => c.setExceptionBreakpointsRequest({ filters: ['uncaught'] }));
    const crash = await cont(dc);
    expect(crash.stop).toMatchObject({ reason: 'exception', description: 'ValueError: over budget by 19' });
    expect(crash.top.line).toBe(shop.raise);
    const info = await dc.exceptionInfoRequest({ threadId: 1 });
    expect(info.body).toMatchObject({ exceptionId: 'ValueError', description: 'over budget by 19', breakMode: 'unhandled' });
    await dc.setExceptionBreakpointsRequest({ filters: ['raised'] });
    const caught = await rcont(dc);
    expect(caught.stop).toMatchObject({ reason: 'exception', description: 'ValueError: over budget by 9' });
    expect((await dc.exceptionInfoRequest({ threadId: 1 })).body.breakMode).toBe('always');
    await expect(dc.setExceptionBreakpointsRequest({ filters: ['sometimes'] })).rejects.toThrow(/not an exception filter/);
    await dc.disconnectRequest({});
    await dc.stop();
  });

  it('logpoints print every hit in the order of the recording, and do not stop', async () => {
    const { dc } = await session({ recording: recs.shop });
    const lines: string[] = [];
    dc.on('output', (e: P.OutputEvent) => { if (e.body.category === 'console') lines.push(e.body.output); });
    const r = await dc.setBreakpointsRequest({ source: { path: SHOP }, breakpoints: [{ line: shop.spend, logMessage: '{name}: spent={spent}' }] });
    expect(r.body.breakpoints[0].verified).toBe(true);
    expect(lines).toEqual(["pen: spent=0\n", "ink: spent=3\n", "pad: spent=17\n", "pen: spent=0\n", "ink: spent=3\n", "pad: spent=17\n"]);
    const end = await cont(dc);
    expect(end.stop.reason).toBe('end');
    await dc.disconnectRequest({});
    await dc.stop();
  });

  it('goes to any moment a line ran, and back to the start of a frame; program output shows as it is passed', async () => {
    const { dc } = await session({ recording: recs.shop });
    const out: string[] = [];
    dc.on('output', (e: P.OutputEvent) => { if (e.body.category === 'stdout') out.push(e.body.output); });
    const targets = (await dc.gotoTargetsRequest({ source: { path: SHOP }, line: shop.spend })).body.targets;
    expect(targets).toHaveLength(6);
    const fifth = await move(dc, () => dc.gotoRequest({ threadId: 1, targetId: targets[4].id }));
    expect(fifth.stop.reason).toBe('goto');
    expect(await localsOf(dc, fifth.top.id)).toMatchObject({ name: "'ink'", budget: '10' });
    expect(out.join('')).toBe('total 29\n'); // printed before the second checkout
    const restarted = await move(dc, () => dc.restartFrameRequest({ frameId: fifth.top.id }));
    expect(restarted.stop.reason).toBe('restart');
    expect(restarted.top.line).toBe(shop['spent-init']);
    expect(await localsOf(dc, restarted.top.id)).toMatchObject({ budget: '10' });
    await expect(dc.gotoRequest({ threadId: 1, targetId: 999 })).rejects.toThrow(/no goto target 999/);
    await dc.disconnectRequest({});
    await dc.stop();
  });

  it('threads: each has its stack, and a step moves the thread asked for', async () => {
    const lines = markers(THREADS);
    const { dc } = await session({ recording: recs.threads }, (c) =>
      c.setBreakpointsRequest({ source: { path: THREADS }, breakpoints: [{ line: lines.append }] }));
    const at = await cont(dc);
    const threads = (await dc.threadsRequest()).body.threads;
    expect(threads.map((t) => t.name).sort()).toEqual(['MainThread', 'worker-a', 'worker-b']);
    const worker = threads.find((t) => t.id === at.stop.threadId)!;
    expect(worker.name).toMatch(/^worker-/);
    expect(at.frames[0]).toMatchObject({ name: 'work', line: lines.append });
    const main = threads.find((t) => t.name === 'MainThread')!;
    const mainStack = (await dc.stackTraceRequest({ threadId: main.id })).body.stackFrames;
    expect(mainStack.at(-1)!.name).toBe('<module>');
    const stepped = await move(dc, () => dc.nextRequest({ threadId: main.id }));
    expect(stepped.stop.threadId).toBe(main.id);
    await dc.disconnectRequest({});
    await dc.stop();
  });

  it('coroutines: a breakpoint in an async function, both ways', async () => {
    const lines = markers(ASYNC);
    const { dc } = await session({ recording: recs.async }, (c) =>
      c.setBreakpointsRequest({ source: { path: ASYNC }, breakpoints: [{ line: lines.double }] }));
    const xs: string[] = [];
    for (let i = 0; i < 3; i++) {
      const at = await cont(dc);
      expect(at.top).toMatchObject({ name: 'double', line: lines.double });
      xs.push((await localsOf(dc, at.top.id)).x);
    }
    expect(xs).toEqual(['1', '2', '3']);
    const back = await rcont(dc);
    expect((await localsOf(dc, back.top.id)).x).toBe('2');
    await dc.disconnectRequest({});
    await dc.stop();
  });

  it('records a program first when launched with one, its output shown', async () => {
    const dir = tmp();
    const out: string[] = [];
    const dc = new DebugClient('node', CLI, 'rewind');
    dc.defaultTimeout = 60_000;
    await dc.start(port);
    dc.on('output', (e: P.OutputEvent) => { if (e.body.category === 'stdout') out.push(e.body.output); });
    const init = dc.waitForEvent('initialized');
    await dc.initializeRequest({ adapterID: 'rewind' });
    await dc.launchRequest({ program: 'behaviour/shop.py', cwd: PROGRAMS, output: join(dir, 'rec'), stopOnEntry: false } as P.LaunchRequestArguments);
    await init;
    await dc.setExceptionBreakpointsRequest({ filters: ['uncaught'] });
    const stop = dc.waitForEvent('stopped');
    await dc.configurationDoneRequest();
    expect(((await stop) as P.StoppedEvent).body.reason).toBe('exception');
    expect(out.join('')).toContain('total 29');
    expect(rewind(['info', join(dir, 'rec')]).stdout).toMatch(/shop\.py/);
    await dc.disconnectRequest({});
    await dc.stop();
  });

  it('serves a changed or missing file from the recording, and maps paths', async () => {
    const dir = tmp();
    const copy = join(dir, 'app', 'shop.py');
    mkdirSync(join(dir, 'app'));
    copyFileSync(SHOP, copy);
    const rec = join(dir, 'rec');
    expect(rewind(['record', '-o', rec, copy]).stderr).toMatch(/recorded/);
    writeFileSync(copy, '# changed since it was recorded\n');
    const { dc } = await session({ recording: rec });
    const top = (await dc.stackTraceRequest({ threadId: 1 })).body.stackFrames[0];
    expect(top.source!.sourceReference).toBeGreaterThan(0);
    const src = await dc.sourceRequest({ source: top.source, sourceReference: top.source!.sourceReference! });
    expect(src.body.content).toContain('def checkout(cart, budget):');
    await dc.disconnectRequest({});
    await dc.stop();
    // The same recording on a checkout elsewhere: pathMappings, and breakpoints set there.
    const elsewhere = join(tmp(), 'checkout');
    mkdirSync(elsewhere);
    copyFileSync(SHOP, join(elsewhere, 'shop.py'));
    const mapped = await session({ recording: rec, pathMappings: [{ localRoot: elsewhere, remoteRoot: join(dir, 'app') }] });
    const frame = (await mapped.dc.stackTraceRequest({ threadId: 1 })).body.stackFrames[0];
    expect(frame.source).toMatchObject({ path: join(elsewhere, 'shop.py') });
    expect(frame.source!.sourceReference ?? 0).toBe(0);
    const bp = await mapped.dc.setBreakpointsRequest({ source: { path: join(elsewhere, 'shop.py') }, breakpoints: [{ line: shop.raise }] });
    expect(bp.body.breakpoints[0].verified).toBe(true);
    await mapped.dc.disconnectRequest({});
    await mapped.dc.stop();
  });

  it('answers bad requests with one sentence, and keeps going', async () => {
    const dc = new DebugClient('node', CLI, 'rewind');
    dc.defaultTimeout = 60_000;
    await dc.start(port);
    await dc.initializeRequest({ adapterID: 'rewind' });
    await expect(dc.threadsRequest()).resolves.toMatchObject({ body: { threads: [] } });
    await expect(dc.launchRequest({} as P.LaunchRequestArguments)).rejects.toThrow(/launch needs "recording"/);
    await expect(dc.launchRequest({ recording: '/no/such/recording' } as P.LaunchRequestArguments)).rejects.toThrow(/does not exist/);
    await expect(dc.stackTraceRequest({ threadId: 1 })).rejects.toThrow(/no recording is open/);
    const init = dc.waitForEvent('initialized');
    await dc.launchRequest({ recording: recs.shop } as P.LaunchRequestArguments);
    await init;
    await expect(dc.nextRequest({ threadId: 1 })).rejects.toThrow(/not configured yet/);
    const entry = dc.waitForEvent('stopped');
    await dc.configurationDoneRequest();
    await entry;
    await expect(dc.evaluateRequest({ expression: 'len(', context: 'repl' })).rejects.toThrow(/./);
    await expect(dc.evaluateRequest({ expression: 'nosuch', context: 'hover' })).rejects.toThrow(/name 'nosuch' is not defined/);
    await expect(dc.variablesRequest({ variablesReference: 4242 })).rejects.toThrow(/no variable 4242/);
    await expect(dc.scopesRequest({ frameId: 77 })).rejects.toThrow(/no frame 77/);
    await expect(dc.exceptionInfoRequest({ threadId: 1 })).rejects.toThrow(/not stopped at an exception/);
    await expect(dc.customRequest('frobnicate')).rejects.toThrow(/does not support the 'frobnicate' request/);
    await expect(dc.evaluateRequest({ expression: ':frobnicate', context: 'repl' })).rejects.toThrow(/unknown command 'frobnicate'/);
    // Still answering.
    expect((await dc.threadsRequest()).body.threads).toHaveLength(1);
    await dc.disconnectRequest({});
    await dc.stop();
  });
});

describe('a recording open in the debug adapter', () => {
  it('is readable by another process at the same time', async () => {
    const { dc } = await session({ recording: recs.shop });
    const info = rewind(['info', '--json', recs.shop]);
    expect(info.status, info.stderr).toBe(0);
    expect(JSON.parse(info.stdout).exitStatus).toBe(1);
    const hits = rewind(['hits', recs.shop, `shop.py:${shop.spend}`]);
    expect(hits.status, hits.stderr).toBe(0);
    expect(hits.stdout.trim().split('\n')).toHaveLength(6);
    // And the adapter still reads it.
    const at = await move(dc, () => dc.nextRequest({ threadId: 1 }));
    expect(at.top.line).toBeGreaterThan(1);
    await dc.disconnectRequest({});
    await dc.stop();
  });
});
