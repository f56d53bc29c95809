// Errors meant for the person at the keyboard: one sentence, a stable code, no stack trace.
// The CLI prints `message` and exits with `exitCode`; anything else that escapes is a bug.
export class UserError extends Error {
  constructor(message: string, readonly code = 'REWIND_USAGE', readonly exitCode = 2) {
    super(message);
  }
}
