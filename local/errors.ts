/**
 * Errors of the local runner that the user fixes: the message says what to change, and the CLI prints it as it
 * is (no stack trace). `local/` never imports `cli/`: the CLI maps these to its own errors.
 */

/** A problem with the environment or the options (a data dir in use, a port in use, a missing runtime file). */
export class RunnerError extends Error {
  /** `code`: the system error code behind it, when there is one (e.g. `EADDRINUSE`). */
  constructor(message: string, public readonly code?: string) {
    super(message);
    this.name = 'RunnerError';
  }
}

/** The cloud assembly cannot be run locally; the message names the resource and its construct path. */
export class AssemblyError extends RunnerError {
  constructor(message: string) {
    super(message);
    this.name = 'AssemblyError';
  }
}
