// Terminal styling: colour only when the stream is a terminal and NO_COLOR is not set.
const on = (stream: NodeJS.WriteStream) => Boolean(stream.isTTY) && !process.env.NO_COLOR;
const wrap = (code: string, stream: NodeJS.WriteStream) => (s: string) => (on(stream) ? `\x1b[${code}m${s}\x1b[0m` : s);

export const style = {
  bold: wrap('1', process.stdout),
  dim: wrap('2', process.stderr),
  err: wrap('31', process.stderr),
};
