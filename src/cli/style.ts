// Terminal styling: colour only when the stream is a terminal and NO_COLOR is not set.
const on = (stream: NodeJS.WriteStream) => Boolean(stream.isTTY) && !process.env.NO_COLOR;
const wrap = (code: string, stream: NodeJS.WriteStream) => (s: string) => (on(stream) ? `\x1b[${code}m${s}\x1b[0m` : s);

export const style = {
  bold: wrap('1', process.stdout),
  dim: wrap('2', process.stderr),
  err: wrap('31', process.stderr),
};

/** On a terminal, "\rpacking… 45%"; elsewhere nothing (CI logs stay clean). */
export function progressLine(verb: string): { update: (text: string) => void; done: () => void } {
  const tty = Boolean(process.stderr.isTTY);
  let last = 0;
  return {
    update: (text) => {
      if (!tty || Date.now() - last < 100) return;
      last = Date.now();
      process.stderr.write(`\r${verb}… ${text}\x1b[K`);
    },
    done: () => { if (tty) process.stderr.write('\r\x1b[K'); },
  };
}
