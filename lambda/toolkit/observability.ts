/**
 * Logging and metrics. By default AWS Lambda Powertools Logger (structured JSON logs) and Metrics
 * (CloudWatch embedded metric format) — bundled into the handler by esbuild, so they are build-time
 * dependencies only. Both are called a fixed number of times per invocation, never per record.
 *
 * Environment: `POWERTOOLS_SERVICE_NAME` (default `firehose-parser`), `POWERTOOLS_METRICS_NAMESPACE`
 * (default `IotCoreFirehosePipeline`), `POWERTOOLS_LOG_LEVEL`, `POWERTOOLS_METRICS_DISABLED`.
 */
// Handler dependencies are devDependencies by design: esbuild inlines them into the bundle.
// eslint-disable-next-line import/no-extraneous-dependencies
import { Logger } from '@aws-lambda-powertools/logger';
// eslint-disable-next-line import/no-extraneous-dependencies
import { Metrics } from '@aws-lambda-powertools/metrics';
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

export function defaultLogger(): ToolkitLogger {
  return new Logger({ serviceName: process.env[POWERTOOLS_ENV.serviceName] || DEFAULT_SERVICE_NAME });
}

export function defaultMetrics(): ToolkitMetrics {
  return new Metrics({
    namespace: process.env[POWERTOOLS_ENV.metricsNamespace] || DEFAULT_METRICS_NAMESPACE,
    serviceName: process.env[POWERTOOLS_ENV.serviceName] || DEFAULT_SERVICE_NAME,
  });
}
