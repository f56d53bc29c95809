// `rewind replay` (batch mode on a pipe, a prompt on a terminal) and the direct query
// subcommands for scripts and CI logs: history, hits, log, exceptions.
import type { Command } from 'commander';
import { createInterface } from 'node:readline';
import { Engine } from '../replay/engine.js';
import { execute, exceptionText, helpText, historyText, hitText, testText } from '../replay/commands.js';
import { UserError } from '../errors.js';
import { collect, nonNegativeInt, positiveInt } from './options.js';
import { Recording } from '../store/store.js';

async function withEngine<T>(path: string, fn: (e: Engine) => Promise<T>): Promise<T> {
  const e = await Engine.open(path);
  try {
    return await fn(e);
  } finally {
    await e.close();
  }
}

/** Writes to stdout, waiting when the pipe is full (long query results stream). */
function out(s: string): Promise<void> | void {
  if (!process.stdout.write(s)) return new Promise((r) => process.stdout.once('drain', () => r()));
}

/** Prints each item as a line, in 64 KB writes (a history can be millions of lines). */
async function stream<T>(gen: AsyncIterable<T | T[]>, line: (x: T) => string) {
  let buf = '';
  for await (const x of gen) {
    // Pieces (history yields one per block read) or single items.
    for (const y of Array.isArray(x) ? x : [x]) buf += line(y) + '\n';
    if (buf.length > 1 << 16) { await out(buf); buf = ''; }
  }
  await out(buf);
}

/** Batch mode: one command per line of stdin, one result per command. */
async function batch(e: Engine, json: boolean): Promise<number> {
  let failed = 0;
  const rl = createInterface({ input: process.stdin, crlfDelay: Infinity });
  for await (const raw of rl) {
    const line = raw.trim();
    if (!line || line.startsWith('#')) continue;
    try {
      const r = await execute(e, line);
      await out((json ? JSON.stringify(r.result) : await r.text()) + '\n');
    } catch (err) {
      if (!(err instanceof UserError)) throw err;
      failed++;
      await out(json ? JSON.stringify({ error: err.message }) + '\n' : `error: ${err.message}\n`);
    }
  }
  return failed ? 1 : 0;
}

/** --plain on a terminal: a pdb-like prompt that takes the batch mode's commands. */
async function prompt(e: Engine): Promise<void> {
  const rl = createInterface({ input: process.stdin, output: process.stdout, prompt: '(rewind) ' });
  const first = await execute(e, 'info');
  process.stdout.write(`${await first.text()}\nType help for the commands, quit to leave.\n`);
  rl.prompt();
  let last = '';
  for await (const raw of rl) {
    const line = raw.trim() || last; // an empty line repeats the last command, as in pdb
    if (line === 'quit' || line === 'q' || line === 'exit') break;
    if (line) {
      last = line;
      try {
        process.stdout.write((await (await execute(e, line)).text()) + '\n');
      } catch (err) {
        if (!(err instanceof UserError)) throw err;
        process.stdout.write(`error: ${err.message}\n`);
      }
    }
    rl.prompt();
  }
  rl.close();
}

export function addReplayCommands(program: Command) {
  program.command('replay')
    .summary('replay a recording: step forwards and backwards, breakpoints, watches')
    .description('Open a recording at its first line. On a terminal, a full-screen debugger (? shows its keys); ' +
      'with --plain, a pdb-like prompt; from a pipe (batch mode), one command per line of stdin, ' +
      'one result per command.')
    .argument('<recording>', 'recording folder or .rwd file')
    .option('--json', 'batch mode: exactly one JSON object per command')
    .option('--plain', 'on a terminal: a command prompt instead of the full-screen debugger')
    .addHelpText('after', `
Keys of the full-screen debugger: n s f c step over / into / out / continue, and N S F C the same
backwards; e the exception, g go to an event, b breakpoint, w watch, h history, : a command, ? help.

Commands:
${helpText()}

Examples:
  $ rewind replay recordings/orders-20261121-101500
  $ printf 'goto exception\\nrstep\\nlocals\\n' | rewind replay recordings/orders-20261121-101500
  $ printf 'break orders.py:31 if qty > 2\\ncontinue\\nprint qty * price\\n' | rewind replay --json REC`)
    .action(async (path: string, o) => {
      await withEngine(path, async (e) => {
        const terminal = process.stdin.isTTY && process.stdout.isTTY && !o.json;
        if (terminal && !o.plain) await (await import('../tui/screen.js')).runTui(e); // blessed: loaded only here
        else if (terminal) await prompt(e);
        else process.exitCode = await batch(e, Boolean(o.json));
      });
    });

  program.command('dap')
    .summary('serve the Debug Adapter Protocol: replay a recording in VS Code, Neovim, Emacs...')
    .description('A debug adapter over recordings, with step back and reverse continue. It speaks DAP on ' +
      'stdin/stdout (how an editor starts it), or with --port on a TCP port. The editor\'s launch request ' +
      'names a recording ("recording": PATH) or a program to record first ("program": SCRIPT, "args": [...]). ' +
      'See docs/editors.md.')
    .option('--port <n>', 'listen on this TCP port (127.0.0.1) instead of stdin/stdout; 0 picks a free one', nonNegativeInt('--port'))
    .addHelpText('after', `
Examples:
  $ rewind dap                     an editor runs this and talks DAP over its stdin/stdout
  $ rewind dap --port 4711         nvim-dap or dape connect to 127.0.0.1:4711`)
    .action(async (o) => {
      const { serveStdio, servePort } = await import('../dap/server.js'); // loaded only here
      if (o.port === undefined) return serveStdio();
      const port = await servePort(o.port);
      process.stderr.write(`rewind: debug adapter listening on 127.0.0.1:${port}\n`);
    });

  program.command('diff')
    .summary('where two runs of a program first went differently')
    .description('Compare two recordings of the same program (a passing and a failing run) and report the first ' +
      'divergence: where control flow differs (another line, call or exception in the same thread), or, before ' +
      'that, where a value differs (a local, argument or return value whose repr differs; object addresses aside). ' +
      'Threads are paired by name and creation order. Exit status 0: no divergence; 1: the runs diverge.')
    .argument('<a>', 'the first recording (folder or .rwd), e.g. the passing run')
    .argument('<b>', 'the second recording, e.g. the failing run')
    .option('--ignore <name>', 'a variable whose values never count (a timestamp, a duration); repeatable', collect, [])
    .option('--map <old=new>', "paths of A's checkout as they are in B's; repeatable", collect, [])
    .option('--all', 'every divergence, re-synchronising after each (see --limit)')
    .option('--limit <n>', 'with --all: at most this many', positiveInt('--limit'), 50)
    .option('--json', 'print {"matched": N, "divergences": [...]}')
    .addHelpText('after', `
Examples:
  $ rewind diff recordings/test-pass recordings/test-fail
  $ rewind diff --ignore started_at --ignore elapsed pass.rwd fail.rwd
  $ rewind diff --all --limit 10 --json A B | jq '.divergences[].kind'`)
    .action(async (pathA: string, pathB: string, o) => {
      const map = (o.map as string[]).map((m) => {
        const i = m.indexOf('=');
        if (i <= 0) throw new UserError(`--map takes OLD=NEW (a path prefix of A and what it is in B), not '${m}'.`);
        return [m.slice(0, i), m.slice(i + 1)] as [string, string];
      });
      const { diffRuns, diffText } = await import('../replay/diff.js');
      const a = await Recording.open(pathA);
      try {
        const b = await Recording.open(pathB);
        try {
          const r = await diffRuns(a, b, { ignore: o.ignore, map, all: Boolean(o.all), limit: o.limit });
          process.stdout.write((o.json ? JSON.stringify(r) : diffText(r, o.all ? undefined : '(--all lists the divergences after this one)')) + '\n');
          process.exitCode = r.divergences.length ? 1 : 0;
        } finally {
          await b.close();
        }
      } finally {
        await a.close();
      }
    });

  program.command('origin')
    .summary('where a value came from: the line that set it, and where its inputs came from')
    .description('At a moment of the recording (--at; default: where the uncaught exception was raised, else ' +
      'the end), follow EXPR (a local, a global, an attribute or an item, in the innermost frame) back: the line ' +
      'that gave it its value (an assignment, a change made inside a call, a return value, an argument passed ' +
      'by a caller), then where the values read on that line came from, --depth levels deep. Each step names ' +
      'its event, for replay\'s goto.')
    .argument('<recording>', 'recording folder or .rwd file')
    .argument('<expr>', 'what to follow: total, order.discount, items[0]')
    .option('--at <when>', 'an event number, exception, failure or end')
    .option('--depth <n>', 'how many steps back to follow', positiveInt('--depth'), 3)
    .option('--json', 'print the chain as one JSON object')
    .addHelpText('after', `
Examples:
  $ rewind origin recordings/orders-20261121-101500 order.discount
  $ rewind origin --at 1234 --depth 6 REC total
  $ rewind origin --json REC 'items[0]' | jq '.from[].line'`)
    .action(async (path: string, expr: string, o) => {
      await withEngine(path, async (e) => {
        const at = o.at as string | undefined;
        if (at === undefined) await e.gotoException().catch(() => e.gotoEdge(1));
        else await execute(e, `goto ${at}`);
        const { origin, originText } = await import('../replay/origin.js');
        const chain = await origin(e, expr, o.depth);
        process.stdout.write((o.json ? JSON.stringify(chain) : originText(chain)) + '\n');
      });
    });

  program.command('history')
    .summary('every change of a local variable')
    .description('List every change of the locals called NAME, in time order: the event where the new value is ' +
      'first visible, the line that made the change, the old and the new value. In-place mutation counts.')
    .argument('<recording>', 'recording folder or .rwd file')
    .argument('<name>', 'local variable name')
    .option('--function <name>', 'only frames of this function')
    .option('--json', 'one JSON object per change')
    .addHelpText('after', `
Examples:
  $ rewind history recordings/orders-20261121-101500 total
  $ rewind history --json --function add_item REC items | jq .new.repr`)
    .action(async (path: string, name: string, o) => {
      await withEngine(path, (e) => stream(e.history(name, o.function), (h) => (o.json ? JSON.stringify(h) : historyText(h))));
    });

  program.command('hits')
    .summary('every time a line ran, with its locals')
    .argument('<recording>', 'recording folder or .rwd file')
    .argument('<location>', 'FILE:LINE (FILE by base name or path suffix)')
    .option('--if <expr>', 'only hits where this expression is true')
    .option('--json', 'one JSON object per hit')
    .addHelpText('after', `
Examples:
  $ rewind hits recordings/orders-20261121-101500 orders.py:31
  $ rewind hits --json --if 'qty > 2' REC orders.py:31`)
    .action(async (path: string, where: string, o) => {
      await withEngine(path, (e) => stream(e.hits(where, o.if ?? null), (h) => (o.json ? JSON.stringify(h) : hitText(h))));
    });

  program.command('log')
    .summary('a print statement added after the fact')
    .description('Print TEMPLATE every time FILE:LINE ran, in time order, with each {expr} replaced by its value ' +
      'there ({{ and }} are literal braces).')
    .argument('<recording>', 'recording folder or .rwd file')
    .argument('<location>', 'FILE:LINE')
    .argument('<template>', 'text with {expressions}')
    .option('--json', 'one JSON object per line')
    .addHelpText('after', `
Examples:
  $ rewind log recordings/orders-20261121-101500 orders.py:31 'qty={qty} subtotal={qty * price}'`)
    .action(async (path: string, where: string, template: string, o) => {
      await withEngine(path, (e) => stream(e.log(where, template), (l) => (o.json ? JSON.stringify(l) : l.text)));
    });

  program.command('tests')
    .summary('the tests of a recorded pytest or unittest run, with their outcomes')
    .description('Lists each test that ran (a function named test* called by pytest or unittest): its outcome ' +
      '(passed, failed, error, skipped), its events and, where it did not pass, the exception. The recording has no ' +
      'clock, so a test\'s length is given in events. In replay: goto test NAME, goto failure.')
    .argument('<recording>', 'recording folder or .rwd file')
    .option('--json', 'one JSON object per test')
    .addHelpText('after', `
Examples:
  $ rewind record -m pytest -x tests/ && rewind tests recordings/pytest-20261202-101500
  $ rewind tests --json REC | jq 'select(.outcome == "failed") | .name'
  $ printf 'goto failure\\nwhere\\nlocals\\n' | rewind replay REC`)
    .action(async (path: string, o) => {
      await withEngine(path, async (e) => {
        const tests = await e.tests();
        await out(tests.map((t) => (o.json ? JSON.stringify(t) : testText(t)) + '\n').join('') ||
          (o.json ? '' : 'No tests ran (tests are functions named test* called by pytest or unittest).\n'));
      });
    });

  program.command('exceptions')
    .summary('every exception raised, where, and whether it was caught')
    .argument('<recording>', 'recording folder or .rwd file')
    .option('--json', 'one JSON object per exception')
    .addHelpText('after', `
Examples:
  $ rewind exceptions recordings/orders-20261121-101500
  $ rewind exceptions --json REC | jq 'select(.caught == false)'`)
    .action(async (path: string, o) => {
      await withEngine(path, (e) => stream(e.exceptions(), (x) => (o.json ? JSON.stringify(x) : exceptionText(x))));
    });
}
