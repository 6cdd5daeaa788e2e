/**
 * Where the CLI writes. Every command prints through one `Io` (the results on stdout, progress, warnings and
 * errors on stderr), so tests capture all output by passing their own.
 */
export interface Io {
  stdout(text: string): void;
  stderr(text: string): void;
}

/** The process's own streams. */
export const processIo: Io = {
  stdout: (text) => process.stdout.write(text),
  stderr: (text) => process.stderr.write(text),
};

/** Progress lines (`… reading stack S`) on stderr, or none with `--quiet`. */
export function progressLines(io: Io, quiet: boolean | undefined): ((line: string) => void) | undefined {
  return quiet ? undefined : (line) => io.stderr(`… ${line}\n`);
}

/** A report as `--json` asks for it or as text. */
export function printReport<T>(io: Io, report: T, json: boolean | undefined, format: (report: T) => string): void {
  io.stdout(json ? `${JSON.stringify(report, null, 2)}\n` : `${format(report)}\n`);
}
