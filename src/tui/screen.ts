// The full-screen debugger (blessed): panes for source, locals, stack, output and a
// timeline, drawn from the Session's View. Keys go through one queue, so a fast typist's
// keys run in order and each is answered by one redraw.
import blessed from 'blessed';
import { UserError } from '../errors.js';
import { ExprError } from '../replay/expr.js';
import { helpText, historyText } from '../replay/commands.js';
import type { Engine } from '../replay/engine.js';
import { Session, type Pane, type View } from './session.js';

const KEYS = `Keys (forwards lower case, backwards upper case):
  n / N      next line in this frame (over calls) / back
  s / S      step into / back
  f / F      finish: out to the caller / back to the call
  c / C      continue to a breakpoint or watched change / back
  e          the exception             g   go to an event number
  b          breakpoint on the line picked with ↑ ↓ (again: remove)
  w          watch the selected local  h   its history (Enter jumps)
  Enter → ←  open or close the selected local's value
  Tab        next pane                 ↑ ↓ PgUp PgDn  move in it
  :          a command, as in batch mode (below)
  ?          this help                 q   quit

Timeline: █ here, x exception, | breakpoint line ran, ◆ watched name changed.

Commands for ':':
`;

const base = (p: string) => p.slice(p.lastIndexOf('/') + 1);
// blessed's own measure of terminal cells (wide CJK characters take two); not in its types.
const cells = (blessed as unknown as { unicode: { charWidth(s: string, i: number): number } }).unicode.charWidth;

/** Cuts `s` to `width` terminal cells (tabs as four spaces) and escapes blessed's tags. */
function fit(s: string, width: number): string {
  let out = '';
  let used = 0;
  for (const ch of s.replace(/\t/g, '    ')) {
    const w = cells(ch, 0) || 1;
    if (used + w > width) break;
    out += ch;
    used += w;
  }
  return blessed.escape(out);
}

export async function runTui(e: Engine): Promise<void> {
  const session = new Session(e);
  const screen = blessed.screen({ smartCSR: true, fullUnicode: true, title: `rewind ${base(e.rec.path)}`, warnings: false });
  const pane = (label: string) => blessed.box({ parent: screen, border: 'line', label: ` ${label} `, tags: true, wrap: false, style: { border: {} } });
  const boxes: Record<Pane, blessed.Widgets.BoxElement> = {
    source: pane('source'), locals: pane('locals'), stack: pane('stack'), output: pane('output'),
  };
  const message = blessed.box({ parent: screen, height: 1, left: 0, tags: true });
  const timeline = blessed.box({ parent: screen, height: 1, left: 0, tags: true });
  const status = blessed.box({ parent: screen, height: 1, left: 0, tags: true, style: { inverse: true } });
  let modal = false; // a pop-up or prompt has the keys

  const sizes = () => {
    const W = Number(screen.width), H = Number(screen.height);
    const out = Math.max(5, Math.floor(H * 0.2));
    const top = Math.max(6, H - 3 - out);
    const left = Math.max(20, Math.floor(W * 0.6));
    const localsH = Math.ceil(top * 0.6);
    const place = (b: blessed.Widgets.BoxElement, t: number, l: number, w: number, h: number) => { b.top = t; b.left = l; b.width = w; b.height = h; };
    place(boxes.source, 0, 0, left, top);
    place(boxes.locals, 0, left, W - left, localsH);
    place(boxes.stack, localsH, left, W - left, top - localsH);
    place(boxes.output, top, 0, W, out);
    message.top = H - 3; message.width = W;
    timeline.top = H - 2; timeline.width = W;
    status.top = H - 1; status.width = W;
    return { W, source: top - 2, locals: localsH - 2, stack: top - localsH - 2, output: out - 2, timeline: Math.max(10, W - 6) };
  };

  const draw = (v: View, W: number) => {
    const inner = (p: Pane) => Number(boxes[p].width) - 2;
    for (const p of Object.keys(boxes) as Pane[]) boxes[p].style.border = p === v.focus ? { fg: 'cyan', bold: true } : {};
    boxes.source.setLabel(` ${base(v.file)} `);
    const numW = String(v.source.at(-1)?.line ?? 1).length;
    boxes.source.setContent(v.source.map((r) => {
      const mark = r.breakpoint ? '{red-fg}●{/red-fg}' : r.ran ? '{gray-fg}·{/gray-fg}' : ' ';
      const arrow = r.current ? '▶' : r.selected ? '›' : ' ';
      const text = fit(`${String(r.line).padStart(numW)} ${r.text}`, inner('source') - 3);
      const body = r.current ? `{inverse}${text}{/inverse}` : r.selected ? `{underline}${text}{/underline}` : text;
      return `${mark}${arrow} ${body}`;
    }).join('\n'));
    boxes.locals.setContent(v.locals.length ? v.locals.map((r) => {
      const twist = r.open === null ? ' ' : r.open ? '▾' : '▸';
      const cut = r.truncated ? ' {gray-fg}(cut){/gray-fg}' : '';
      const text = fit(`${'  '.repeat(r.indent)}${twist} ${r.label} = ${r.repr}`, inner('locals') - (r.truncated ? 6 : 0));
      const shown = r.changed ? `{magenta-fg}{bold}${text}{/bold}{/magenta-fg}` : text;
      return (r.selected ? `{inverse}${shown}{/inverse}` : shown) + cut;
    }).join('\n') : '{gray-fg}(no locals){/gray-fg}');
    boxes.stack.setContent(v.stack.map((r) => {
      const text = fit(`${r.selected ? '>' : ' '} ${r.text}`, inner('stack'));
      return r.selected && v.focus === 'stack' ? `{inverse}${text}{/inverse}` : r.selected ? `{bold}${text}{/bold}` : text;
    }).join('\n'));
    boxes.output.setContent(v.output.map((l) => fit(l, inner('output'))).join('\n'));
    const t = v.timeline;
    let bar = '';
    for (let i = 0; i < t.width; i++) {
      bar += i === t.cursor ? '{inverse}█{/inverse}'
        : t.exceptions.has(i) ? '{red-fg}x{/red-fg}'
        : t.breaks.has(i) ? '{blue-fg}|{/blue-fg}'
        : t.watches.has(i) ? '{magenta-fg}◆{/magenta-fg}'
        : '{gray-fg}─{/gray-fg}';
    }
    timeline.setContent(`time ${bar}`);
    message.setContent(v.message.startsWith('error:') ? `{red-fg}${fit(v.message, W)}{/red-fg}` : fit(v.message, W));
    const s = v.status;
    const where = ` ${s.where}  ${s.function}()  seq ${s.seq}/${s.total}  thread ${s.thread} `;
    const hint = ['n s f c ▶  N S F C ◀  ? help  q quit ', '? help  q quit ', '? help ', ''].find((h) => where.length + h.length <= W) ?? '';
    status.setContent(fit(where + ' '.repeat(Math.max(0, W - where.length - hint.length)) + hint, W));
  };

  let closed = false;
  let done!: () => void;
  const finished = new Promise<void>((resolve) => { done = resolve; });
  const render = async () => {
    if (closed) return;
    const size = sizes();
    draw(await session.view(size), size.W);
    screen.render();
  };
  let queue: Promise<void> = Promise.resolve();
  /** Runs one key's work, then redraws; errors meant for people go to the status line. */
  const run = (work: () => Promise<unknown> | unknown, key = true) => {
    queue = queue.then(async () => {
      if (closed) return;
      try {
        if (key) session.message = '';
        await work();
      } catch (err) {
        if (!(err instanceof UserError || err instanceof ExprError)) throw err;
        session.message = `error: ${err.message}`;
      }
      await render();
    }).catch((err) => quit(err));
  };
  session.onReady = () => run(() => undefined, false);

  const quit = (err?: unknown) => {
    if (closed) return;
    closed = true;
    screen.destroy();
    if (err) process.stderr.write(`rewind: the terminal UI failed: ${(err as Error).message ?? err}\n`);
    if (err) process.exitCode = 1;
    done();
  };

  const popup = (label: string, text: string) => {
    modal = true;
    const box = blessed.box({
      parent: screen, label: ` ${label} — Esc closes `, border: 'line', top: 'center', left: 'center', width: '90%', height: '80%',
      content: blessed.escape(text), scrollable: true, alwaysScroll: true, keys: true, vi: true, tags: true, scrollbar: { ch: ' ', style: { inverse: true } },
    });
    box.key(['escape', 'q', 'enter', '?'], () => { box.destroy(); modal = false; screen.render(); });
    box.focus();
    screen.render();
  };

  const prompt = (label: string, then: (value: string) => Promise<void>) => {
    modal = true;
    const input = blessed.textbox({ parent: screen, top: Number(screen.height) - 1, left: 0, height: 1, width: '100%', style: { inverse: true } });
    const tag = blessed.text({ parent: screen, top: Number(screen.height) - 1, left: 0, height: 1, content: label, style: { inverse: true, bold: true } });
    input.left = label.length;
    input.width = Number(screen.width) - label.length;
    screen.render();
    input.readInput((_err, value) => {
      input.destroy();
      tag.destroy();
      modal = false;
      if (value != null && value.trim()) run(() => then(value.trim()));
      else void render();
    });
  };

  const showHistory = async () => {
    const h = await session.historyOfSelected();
    if (!h.entries.length) { session.message = `no changes of ${h.name}`; return; }
    modal = true;
    const list = blessed.list({
      parent: screen, label: ` history of ${h.name}${h.more ? ` (first ${h.entries.length})` : ''} — Enter jumps, Esc closes `,
      border: 'line', top: 'center', left: 'center', width: '90%', height: '70%', keys: true, vi: true,
      items: h.entries.map((x) => blessed.escape(historyText(x))), style: { selected: { inverse: true } },
    });
    const here = h.entries.filter((x) => x.seq <= e.seq).length - 1;
    list.select(Math.max(0, here));
    const close = () => { list.destroy(); modal = false; };
    list.on('select', (_item, i) => { close(); run(() => session.gotoSeq(h.entries[i].seq)); });
    list.key(['escape', 'q'], () => { close(); void render(); });
    list.focus();
  };

  const keys: Record<string, () => unknown> = {
    n: () => session.motion('next', 1), N: () => session.motion('next', -1),
    s: () => session.motion('step', 1), S: () => session.motion('step', -1),
    f: () => session.motion('finish', 1), F: () => session.motion('finish', -1),
    c: () => session.motion('cont', 1), C: () => session.motion('cont', -1),
    e: () => session.gotoException(),
    b: () => session.toggleBreak(),
    w: () => session.watchSelected(),
    h: () => showHistory(),
    up: () => session.move(-1), down: () => session.move(1),
    pageup: () => session.move(-10), pagedown: () => session.move(10),
    tab: () => session.nextFocus(1), 'S-tab': () => session.nextFocus(-1),
    enter: () => session.toggleOpen(), space: () => session.toggleOpen(),
    right: () => session.toggleOpen(true), left: () => session.toggleOpen(false),
  };

  screen.on('keypress', (ch: string | undefined, key: { full: string; name: string }) => {
    if (modal || closed) return;
    if (key.full === 'q' || key.full === 'C-c') return quit();
    if (key.full === '?') return popup('help', KEYS + helpText());
    if (key.full === 'g') {
      return prompt(' go to event: ', async (v) => {
        if (!/^\d+$/.test(v)) throw new UserError(`'${v}' is not an event number.`);
        await session.gotoSeq(Number(v));
      });
    }
    if (key.full === ':') {
      return prompt(' : ', async (v) => {
        const text = await session.command(v);
        if (text) popup(v, text);
      });
    }
    const act = keys[key.full] ?? (ch ? keys[ch] : undefined);
    if (act) run(act);
  });
  screen.on('resize', () => run(() => undefined, false));

  run(() => { session.message ||= 'Welcome to Rewind: ? for help'; }, false); // unless the session has something to say first
  await finished;
}
