/**
 * Logging and metrics without a library: a handful of JSON lines per invocation, never one per record.
 *
 * - Logs: one JSON object per line on stdout — `level`, `message`, `timestamp`, `service`, then the fields of
 *   the call. That is the shape Lambda's JSON log format understands for any runtime (`"level"` drives its
 *   log-level filtering, `timestamp` is kept); with the text format the lines are plain JSON, which CloudWatch
 *   Logs Insights discovers the same way.
 * - Metrics: CloudWatch embedded metric format (EMF), one line per `publishStoredMetrics()` written directly to
 *   stdout (not through `console`, which Lambda would wrap), dimension `service`.
 *
 * No library is loaded: `createParser` makes two small closures (reading the environment then, as at Lambda init)
 * and stdout is first touched by the first invocation's output, so a cold start pays for what its first batch
 * uses only. The `ToolkitLogger` / `ToolkitMetrics` interfaces stay the seam: pass Powertools' `Logger` /
 * `Metrics`, or a test double, instead.
 *
 * Environment (names kept from Powertools, so existing configurations keep working): `POWERTOOLS_SERVICE_NAME`
 * (default `firehose-parser`), `POWERTOOLS_METRICS_NAMESPACE` (default `IotCoreFirehosePipeline`),
 * `POWERTOOLS_LOG_LEVEL` and Lambda's own `AWS_LAMBDA_LOG_LEVEL` (the stricter wins; default INFO; `SILENT`
 * logs nothing), `POWERTOOLS_METRICS_DISABLED` (`true` writes no metrics).
 */
import { METRICS_NAMESPACE, POWERTOOLS_ENV, TOOLKIT_DEFAULT_SERVICE_NAME } from '../../src/contract/parser';

/** Structured logger; Powertools' `Logger` fits. Extra fields never contain record payloads. */
export interface ToolkitLogger {
  info(message: string, extra: Record<string, unknown>): void;
  warn(message: string, extra: Record<string, unknown>): void;
  error(message: string, extra: Record<string, unknown>): void;
}

/** Metric sink; Powertools' `Metrics` fits. */
export interface ToolkitMetrics {
  addMetric(name: string, unit: 'Count' | 'Bytes', value: number): void;
  publishStoredMetrics(): void;
}

/** The service name used when `POWERTOOLS_SERVICE_NAME` is not set. */
export const DEFAULT_SERVICE_NAME = TOOLKIT_DEFAULT_SERVICE_NAME;
/** The metrics namespace used when `POWERTOOLS_METRICS_NAMESPACE` is not set. */
export const DEFAULT_METRICS_NAMESPACE = METRICS_NAMESPACE;

/** Where the default logger and metrics write: one line (without its `\n`). */
export type LineWriter = (line: string) => void;

type Environment = { readonly [name: string]: string | undefined };

/** Lambda's application log levels (and Powertools' `CRITICAL` / `SILENT`), by severity. */
const LEVELS: { readonly [name: string]: number } = {
  TRACE: 0, DEBUG: 1, INFO: 2, WARN: 3, ERROR: 4, CRITICAL: 5, FATAL: 5, SILENT: 6,
};
/** Lambda's log level variable (set from the function's `applicationLogLevel` with the JSON log format). */
const LAMBDA_LOG_LEVEL = 'AWS_LAMBDA_LOG_LEVEL';

/** stdout, written synchronously for files and pipes (Lambda's case), so nothing is lost when the sandbox freezes. */
function stdoutLine(line: string): void {
  process.stdout.write(line + '\n');
}

function serviceName(env: Environment): string {
  return env[POWERTOOLS_ENV.serviceName] || DEFAULT_SERVICE_NAME;
}

/** The stricter of `POWERTOOLS_LOG_LEVEL` and `AWS_LAMBDA_LOG_LEVEL`; INFO when neither names a level. */
function threshold(env: Environment): number {
  let level = -1;
  for (const name of [env[POWERTOOLS_ENV.logLevel], env[LAMBDA_LOG_LEVEL]]) {
    const severity = name === undefined ? undefined : LEVELS[name.toUpperCase()];
    if (severity !== undefined) level = Math.max(level, severity);
  }
  return level < 0 ? LEVELS.INFO : level;
}

/** The default logger: one JSON line per call (`level`, `message`, `timestamp`, `service`, then `extra`). */
export function defaultLogger(env: Environment = process.env, write: LineWriter = stdoutLine): ToolkitLogger {
  const service = serviceName(env);
  const min = threshold(env);
  const log = (level: 'INFO' | 'WARN' | 'ERROR') => (message: string, extra: Record<string, unknown>): void => {
    if (LEVELS[level] < min) return;
    write(JSON.stringify({ level, message, timestamp: new Date().toISOString(), service, ...extra }));
  };
  return { info: log('INFO'), warn: log('WARN'), error: log('ERROR') };
}

/** Powertools' reading of a boolean variable. */
function isTrue(value: string | undefined): boolean {
  return value !== undefined && ['1', 'true', 'yes', 'on'].includes(value.trim().toLowerCase());
}

/**
 * The default metrics: values are stored by `addMetric` and written by `publishStoredMetrics` as one EMF line,
 * `{"_aws":{"Timestamp","CloudWatchMetrics":[{"Namespace","Dimensions":[["service"]],"Metrics":[{"Name","Unit"}]}]},
 * "service":…,"<name>":<value>}` (a metric added twice in one publication has an array of values). Nothing is
 * written when no metric was added.
 */
export function defaultMetrics(env: Environment = process.env, write: LineWriter = stdoutLine, now: () => number = Date.now): ToolkitMetrics {
  const namespace = env[POWERTOOLS_ENV.metricsNamespace] || DEFAULT_METRICS_NAMESPACE;
  const service = serviceName(env);
  const disabled = isTrue(env[POWERTOOLS_ENV.metricsDisabled]);
  let stored = new Map<string, { unit: string; values: number[] }>();
  return {
    addMetric(name, unit, value) {
      const metric = stored.get(name);
      if (metric) metric.values.push(value);
      else stored.set(name, { unit, values: [value] });
    },
    publishStoredMetrics() {
      const metrics = stored;
      stored = new Map();
      if (disabled || metrics.size === 0) return;
      const blob: Record<string, unknown> = {
        _aws: {
          Timestamp: now(),
          CloudWatchMetrics: [{
            Namespace: namespace,
            Dimensions: [['service']],
            Metrics: [...metrics].map(([name, { unit }]) => ({ Name: name, Unit: unit })),
          }],
        },
        service,
      };
      for (const [name, { values }] of metrics) blob[name] = values.length === 1 ? values[0] : values;
      write(JSON.stringify(blob));
    },
  };
}
