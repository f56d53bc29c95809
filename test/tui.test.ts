// The full-screen debugger, driven as a person would: the real CLI runs in tmux, keys go in
// with send-keys, and the screen is read back with capture-pane.
import { afterEach, beforeAll, describe, expect, it } from 'vitest';
import { spawnSync } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { CLI, PROGRAMS, markers, rewind, tmp } from './helpers.js';

const hasTmux = spawnSync('tmux', ['-V']).status === 0;
if (!hasTmux) console.warn('test/tui.test.ts: SKIPPED — tmux is not installed (apt-get install tmux); the terminal UI is untested.');

const SHOP = join(PROGRAMS, 'behaviour/shop.py');
const M = markers(SHOP);

/** One tmux session on a private server, running `rewind replay REC` in a W×H window. */
class Terminal {
  private static n = 0;
  private socket = `rewind-test-${process.pid}-${Terminal.n++}`;

  constructor(rec: string, width = 80, height = 24) {
    const cmd = `node ${CLI} replay ${rec}; echo "EXITED $?"; sleep 60`;
    this.tmux('new-session', '-d', '-s', 't', '-x', String(width), '-y', String(height),
      '-e', 'LANG=C.UTF-8', '-e', 'NCURSES_NO_UTF8_ACS=1', cmd);
  }

  private tmux(...args: string[]): string {
    const r = spawnSync('tmux', ['-L', this.socket, ...args], { encoding: 'utf8' });
    if (r.status !== 0) throw new Error(`tmux ${args[0]}: ${r.stderr}`);
    return r.stdout;
  }

  screen(): string { return this.tmux('capture-pane', '-p', '-t', 't'); }

  keys(...keys: string[]): void { for (const k of keys) this.tmux('send-keys', '-t', 't', k); }
  resize(width: number, height: number): void { this.tmux('resize-window', '-t', 't', '-x', String(width), '-y', String(height)); }

  /** Waits until the screen satisfies `ok`; fails showing the screen if it never does. */
  async until(ok: (screen: string) => boolean, what: string, ms = 15_000): Promise<string> {
    const end = Date.now() + ms;
    let s = '';
    while (Date.now() < end) {
      s = this.screen();
      if (ok(s)) return s;
      await new Promise((r) => setTimeout(r, 50));
    }
    throw new Error(`the screen never showed ${what}:\n${s}`);
  }

  /** Waits for the status line to contain `text`. */
  atStatus(text: string): Promise<string> { return this.until((s) => statusOf(s).includes(text), `'${text}' on the status line`); }

  /** Waits for the message row to satisfy `ok`. */
  saying(ok: (message: string) => boolean, what: string): Promise<string> { return this.until((s) => ok(messageOf(s)), what); }

  /** Opens a prompt with `key` and waits for it (a key typed before it reads would go to the
   *  screen instead), then types `text` and Enter. */
  async ask(key: string, label: string, text: string): Promise<void> {
    this.keys(key);
    await this.until((s) => (s.trimEnd().split('\n').pop() ?? '').startsWith(label.trimEnd()), `the '${label.trim()}' prompt`);
    this.keys(text, 'Enter');
  }

  /** Closes a pop-up with Escape and waits until it is gone: a terminal cannot tell Escape
   *  followed at once by another key from Alt+key, so the next key must wait. */
  closePopup(): Promise<string> {
    this.keys('Escape');
    return this.until((s) => !s.includes('— Esc closes'), 'the pop-up closed');
  }

  close(): void { spawnSync('tmux', ['-L', this.socket, 'kill-server']); }
}

/** The last row: the status line. */
const statusOf = (screen: string) => screen.trimEnd().split('\n').at(-1) ?? '';
/** The row above the timeline: messages. */
const messageOf = (screen: string) => screen.split('\n').at(-4)?.trim() ?? '';

/** A captured row as terminal cells: a wide character takes two (the second left empty). */
function cells(row: string): string[] {
  const out: string[] = [];
  for (const ch of row) {
    out.push(ch);
    if (/[\u1100-\u115f\u2e80-\ua4cf\uac00-\ud7a3\uf900-\ufaff\ufe30-\ufe4f\uff00-\uff60\uffe0-\uffe6]|[\u{20000}-\u{3fffd}]/u.test(ch)) out.push('');
  }
  return out;
}

/** The rows of the pane whose top border carries `label`, inside its borders. */
function paneRows(screen: string, label: string): string[] {
  const rows = screen.split('\n').map(cells);
  const top = rows.findIndex((r) => r.join('').includes(`─ ${label} `));
  const col = rows[top].join('').indexOf(`─ ${label} `) - 1; // the top row holds no wide characters
  const out: string[] = [];
  for (let i = top + 1; i < rows.length && !/[└┘]/.test(rows[i][col] ?? ''); i++) {
    const end = rows[i].findIndex((c, j) => j > col && c === '│');
    out.push(rows[i].slice(col + 1, end).join('').trimEnd());
  }
  return out;
}

describe.skipIf(!hasTmux)('rewind replay on a terminal', () => {
  let rec: string;
  const terms: Terminal[] = [];
  const open = (r = rec, w = 80, h = 24) => { const t = new Terminal(r, w, h); terms.push(t); return t; };
  // A replay that a failed test left running holds the recording's lock: end each one.
  afterEach(() => { while (terms.length) terms.pop()!.close(); });
  beforeAll(() => {
    rec = join(tmp(), 'shop');
    expect(rewind(['record', '-o', rec, SHOP]).status).toBe(1);
  });

  it('jumps to the exception, steps back, breaks, reverse-continues, watches and quits cleanly', async () => {
    const t = open();
    // Opens at the first line, with the status line in sight.
    let s = await t.atStatus('shop.py:');
    expect(statusOf(s)).toMatch(/shop\.py:\d+ +<module>\(\) +seq \d+\/\d+ +thread MainThread/);
    expect(s).toContain('─ locals ');
    expect(s).toContain('─ stack ');
    expect(s).toContain('─ output ');
    expect(s).toMatch(/time ─?█─+/);

    // e: where the uncaught exception was raised.
    t.keys('e');
    s = await t.atStatus(`shop.py:${M.raise}  checkout()`);
    expect(messageOf(s)).toBe('raised here: ValueError: over budget by 19');
    expect(s).toMatch(new RegExp(`▶ +${M.raise} +raise ValueError`));
    expect(paneRows(s, 'stack').map((r) => r.trim()).filter(Boolean)).toEqual([`> checkout  shop.py:${M.raise}`, `<module>  shop.py:${M.crash}`]);
    expect(paneRows(s, 'output').join('\n')).toContain('total 29');
    expect(s).toMatch(/time ─+x─+█─*x─*\n/); // the caught exception before, the uncaught one after

    // S: one line back.
    t.keys('S');
    await t.atStatus(`shop.py:${M.check}  checkout()`);

    // ↑ picks the line above, b sets a breakpoint there, C runs backwards to its last hit.
    t.keys('Up', 'b');
    s = await t.saying((m) => m.startsWith('Breakpoint 1 at shop.py:'), 'the new breakpoint');
    expect(messageOf(s)).toBe(`Breakpoint 1 at shop.py:${M.spend} (ran 6 times)`);
    expect(s).toMatch(new RegExp(`●› +${M.spend} +spent \\+= price`));
    t.keys('C');
    s = await t.saying((m) => m === 'Breakpoint 1', 'the breakpoint stop');
    expect(statusOf(s)).toContain(`shop.py:${M.spend}  checkout()`);
    expect(paneRows(s, 'locals').map((r) => r.trim()), s).toContain('spent = 17');

    // b on the current line removes the breakpoint again.
    t.keys('b');
    await t.saying((m) => m === `Deleted breakpoint 1 at shop.py:${M.spend}`, 'the breakpoint removed');

    // Tab to the locals, pick `spent`, w watches it; C stops on the line that last changed it.
    t.keys('Tab');
    const rows = paneRows(await t.until((x) => x.includes('spent = 17'), 'locals'), 'locals').map((r) => r.trim());
    for (let i = 0; i < rows.findIndex((r) => r.startsWith('spent =')); i++) t.keys('Down');
    t.keys('w');
    await t.saying((m) => m === 'Watch 2: spent = 17', 'the new watch');
    t.keys('C');
    s = await t.saying((m) => m === 'Watch 2: spent: 3 -> 17', 'the watched change');
    expect(statusOf(s)).toContain(`shop.py:${M.spend}  checkout()`);

    // After the motion the same local is still selected: h shows spent's history.
    t.keys('h');
    s = await t.until((x) => x.includes(' history of '), 'the history list');
    expect(s).toContain(' history of spent');
    t.keys('Escape');
    await t.until((x) => !x.includes(' history of '), 'the history list closed');

    // q: the terminal is given back as it was, and the exit status is 0.
    t.keys('q');
    s = await t.until((x) => x.includes('EXITED'), 'the shell after quitting');
    expect(s.trim()).toBe('EXITED 0');
  });

  it('runs batch commands after :, shows help on ?, and goes to an event with g', async () => {
    const t = open();
    await t.atStatus('shop.py:');
    await t.ask(':', ' : ', 'break checkout');
    await t.saying((m) => m.startsWith('Breakpoint 1'), 'the break command');
    await t.ask(':', ' : ', 'c');
    await t.atStatus(`shop.py:${M['spent-init']}  checkout()`);
    await t.ask(':', ' : ', 'print cart.total + 1');
    await t.saying((m) => m === '30', 'the printed value');
    await t.ask(':', ' : ', 'where');
    await t.until((s) => s.includes('where — Esc closes') && s.includes('#1 shop.py:'), 'the stack in a pop-up');
    await t.closePopup();
    await t.ask(':', ' : ', 'nonsense');
    await t.saying((m) => m.startsWith("error: unknown command 'nonsense'"), 'the error');
    t.keys('?');
    await t.until((s) => s.includes('help — Esc closes') && s.includes('n / N'), 'the help');
    await t.closePopup();
    await t.ask('g', ' go to event: ', '5');
    await t.until((x) => /seq [45]\//.test(statusOf(x)), 'the jump');
    t.keys('q');
    await t.until((s) => s.includes('EXITED 0'), 'a clean exit');
  });

  it('says first thing that a recording is incomplete', async () => {
    const r = join(tmp(), 'rec');
    const real = join(PROGRAMS, 'real');
    rewind(['record', '-o', r, join(real, 'fault.py')], { cwd: real, env: { ...process.env, REWIND_AGENT_FAULT: 'faulty_helper.py' } });
    const t = open(r);
    const s = await t.saying((m) => m.startsWith('incomplete recording:'), 'the incomplete message');
    expect(messageOf(s)).toMatch(/^incomplete recording: the agent stopped recording at event \d+ after an internal/); // cut at 80 columns
    t.keys('q');
    await t.until((x) => x.includes('EXITED 0'), 'a clean exit');
  });

  it('opens values, shows UTF-8, marks cut values, and follows a resize', async () => {
    const dir = tmp();
    const prog = join(dir, 'unicode.py');
    writeFileSync(prog, [
      'greeting = "héllo wörld 漢字"',
      'nested = {"k": [1, 2, {"deep": [3, [4, [5]]]}]}',
      'big = list(range(500))',
      'print(greeting)',
      'done = True',
      '',
    ].join('\n'));
    const r = join(dir, 'rec');
    expect(rewind(['record', '-o', r, prog]).status).toBe(0);
    const t = open(r);
    await t.atStatus('unicode.py:1');
    t.keys('G'); // not a key: ignored
    t.keys('n', 'n', 'n', 'n');
    let s = await t.until((x) => x.includes('héllo wörld 漢字') && paneRows(x, 'output').join('').includes('héllo'), 'the UTF-8 value and its output');
    expect(paneRows(s, 'locals')[0]).toBe("  greeting = 'héllo wörld 漢字"); // cut at the pane's edge, wide characters counted twice
    expect(paneRows(s, 'locals').some((l) => /big = \[0, 1, 2.*\(cut\)/.test(l))).toBe(true);
    // Open `nested` (the second local): its parts appear below it.
    t.keys('Tab', 'Down', 'Enter');
    s = await t.until((x) => x.includes("▾ nested"), 'the opened value');
    expect(paneRows(s, 'locals').slice(1, 4), s).toEqual(["▾ nested = {'k': [1, 2,  (cut)", "  ▸ ['k'] = [1, 2, {'dee (cut)", '▸ big = [0, 1, 2, 3, 4,  (cut)']);
    t.resize(100, 30);
    await t.until((x) => x.split('\n').length >= 30 && /seq \d+\/\d+/.test(x.split('\n')[29] ?? ''), 'the status line on the new last row');
    t.keys('q');
    await t.until((x) => x.includes('EXITED 0'), 'a clean exit');
  });
});
