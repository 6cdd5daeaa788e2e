import { Component, Project } from 'projen';

/**
 * Benchmarks print figures (ratios against a floor measured in the same run); they are not tests.
 * Each accepts --json: then its last line is one JSON object with every figure (compare one run with the next).
 */
const BENCHES: ReadonlyArray<{ readonly task: string; readonly script: string; readonly description: string }> = [
  {
    task: 'bench',
    script: 'parser-bench.ts',
    description: 'Reference parser: ms per 1 MB / 6 MB batch, records/s, ratio to the floor, bundle size, cold start',
  },
  {
    task: 'bench:cli',
    script: 'cli-bench.ts',
    description: 'CLI start: cdk-iot-pipeline --help and cost, and the runner\'s time to ready for the example app (first and later starts)',
  },
  {
    task: 'bench:query',
    script: 'query-bench.ts',
    description: '`cdk-iot-pipeline query` end to end vs DuckDB reading the same files directly: 1,000,000 rows, 24 hourly partitions, JSON Lines GZIP and Parquet',
  },
  {
    task: 'bench:local',
    script: 'local-bench.ts',
    description: 'Local runner: D devices x M messages over mutual TLS at QoS 1 until durable, vs a plain Mosquitto broker',
  },
  {
    task: 'bench:replay',
    script: 'replay-bench.ts',
    description: 'Local replay: records/s of replaying 100,000 processing-failed records through the reference parser, vs reading the same objects alone',
  },
  {
    task: 'bench:fleet',
    script: 'fleet-bench.ts',
    description: 'Fleet: 5,000 devices, each with its own certificate, x 20 messages at QoS 1 over mutual TLS through the local runner vs Mosquitto (require_certificate): connect storm, durable msg/s, RSS per connection, zero loss',
  },
];

/** Where bench:fleet caches its device certificates between runs (minutes of RSA key generation for 5,000). */
const BENCH_DATA = '/bench/.data/';

/** One task per script in bench/, run with ts-node; arguments (such as --json) are passed on. */
export class Benches extends Component {
  constructor(project: Project) {
    super(project, 'Benches');
    project.gitignore.exclude(BENCH_DATA);
    for (const bench of BENCHES) {
      project.addTask(bench.task, {
        description: bench.description,
        exec: `ts-node --project tsconfig.dev.json bench/${bench.script}`,
        receiveArgs: true,
      });
    }
  }
}
