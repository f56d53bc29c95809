// Terminal styling: colour only when the stream is a terminal and NO_COLOR is not set.
const on = (stream: NodeJS.WriteStream) => Boolean(stream.isTTY) && !process.env.NO_COLOR;
const wrap = (code: string, stream: NodeJS.WriteStream) => (s: string) => (on(stream) ? `\x1b[${code}m${s}\x1b[0m` : s);

export const style = {
  bold: wrap('1', process.stdout),
  dim: wrap('2', process.stderr),
  err: wrap('31', process.stderr),
};

/**
 * On a terminal, "\rpacking… 45%"; elsewhere nothing (CI logs stay clean). Ctrl-C (or SIGTERM)
 * meanwhile ends the command at once: `cleanup` runs, and `interrupted` says what is kept and
 * how to go on.
 */
export function progressLine(verb: string, interrupted?: { says: string; cleanup?: () => void }): { update: (text: string) => void; done: () => void } {
  const tty = Boolean(process.stderr.isTTY);
  let last = 0;
  const stop = (signal: NodeJS.Signals) => {
    if (tty) process.stderr.write('\r\x1b[K');
    try { interrupted?.cleanup?.(); } catch { /* what is left, gc removes */ }
    process.stderr.write(style.err(`rewind: interrupted while ${verb}: ${interrupted?.says ?? 'nothing was kept'}.`) + '\n');
    process.exit(signal === 'SIGINT' ? 130 : 143);
  };
  process.on('SIGINT', stop);
  process.on('SIGTERM', stop);
  return {
    update: (text) => {
      if (!tty || Date.now() - last < 100) return;
      last = Date.now();
      process.stderr.write(`\r${verb}… ${text}\x1b[K`);
    },
    done: () => {
      process.off('SIGINT', stop);
      process.off('SIGTERM', stop);
      if (tty) process.stderr.write('\r\x1b[K');
    },
  };
}
