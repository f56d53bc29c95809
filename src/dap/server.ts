// `rewind dap`: the adapter on stdin/stdout (how an editor starts it), or on a TCP port (one
// session per connection; for editors that connect to a running adapter).
import { createServer } from 'node:net';
import { RewindSession } from './session.js';

export function serveStdio() {
  const session = new RewindSession();
  session.setRunAsServer(false);
  session.start(process.stdin, process.stdout);
  process.stdin.on('end', () => process.exit(0)); // the editor went away
}

/** Resolves with the port listened on (0 picks a free one) once listening. */
export function servePort(port: number, host = '127.0.0.1'): Promise<number> {
  const server = createServer((socket) => {
    const session = new RewindSession();
    session.setRunAsServer(true);
    session.start(socket, socket);
    socket.on('error', () => socket.destroy());
  });
  return new Promise((res, rej) => {
    server.on('error', rej);
    server.listen(port, host, () => res((server.address() as { port: number }).port));
  });
}
