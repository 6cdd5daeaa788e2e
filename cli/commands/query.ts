/**
 * `cdk-iot-pipeline query`: SQL over a pipeline's table. Locally (`--app`/`--data-dir`) DuckDB reads the runner's
 * bucket folders through the synthesized Glue table; in AWS (`--stack`) the query runs in the pipeline's Athena
 * workgroup. The engines load when the command runs (`cli/query/run.ts`).
 */
import { Option } from '@commander-js/extra-typings';
import { withAwsOptions } from '../aws/options';
import type { CommandModule } from '../command';
import { QUERY_DEFAULT_APP, QUERY_DEFAULT_DATA_DIR } from '../query/defaults';

export const queryCommand: CommandModule = {
  name: 'query',
  register(program, context) {
    withAwsOptions(program.command('query')
      .description('Run SQL over the pipeline\'s table: locally with DuckDB over the runner\'s folders (--app/--data-dir), or in AWS with Athena (--stack)')
      .argument('<sql>', 'one SQL statement, e.g. "SELECT device, count(*) AS n FROM plant.telemetry GROUP BY device"')
      .option('--app <dir>', `local: the cloud assembly whose Glue tables to read (default: ${QUERY_DEFAULT_APP})`)
      .option('--data-dir <dir>', `local: the runner's data dir, whose s3/ folders hold the objects (default: ${QUERY_DEFAULT_DATA_DIR})`)
      .option('--stack <name>', 'Athena: the deployed stack of the pipeline (locally with --app: read only this stack\'s tables)')
      .option('--pipeline <id>', 'Athena: the pipeline in the stack, when it holds several (its construct id)')
      .option('--database <name>', 'the database unqualified table names refer to (default: the pipeline\'s, or the one database of the assembly)')
      .addOption(new Option('--json', 'print one JSON array of row objects').conflicts('csv'))
      .option('--csv', 'print CSV (RFC 4180) with a header row')
      .option('--timeout <duration>', 'Athena: stop the query after this long, e.g. 10m', '10m')
      .option('--quiet', 'no progress lines on stderr'))
      .addHelpText('after', [
        '',
        'Examples:',
        '  $ cdk-iot-pipeline query --app cdk.out --data-dir .iot-local "SELECT device, count(*) AS n, avg(temp) AS t FROM plant.telemetry GROUP BY device"',
        '  $ cdk-iot-pipeline query --stack Telemetry --json "SELECT count(*) AS n FROM plant.telemetry WHERE year = 2025"',
        '',
        'Local queries need DuckDB in your project (npm install --save-dev @duckdb/node-api); the README lists the SQL both engines run alike.',
      ].join('\n'))
      .action(async (sql, o) => {
        // eslint-disable-next-line @typescript-eslint/no-require-imports -- loaded when the command runs (see cli/command.ts)
        const { runQuery } = require('../query/run') as typeof import('../query/run');
        await runQuery(sql, o, context);
      });
  },
};
