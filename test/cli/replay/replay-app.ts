/**
 * A pipeline for the replay tests, synthesized with the library from ../../../src: a Node.js parser from an asset that
 * fails every message with a `legacy` field while its environment says `REJECT_LEGACY=yes` (the parser's bug), and
 * parses it once the variable says `no` (the fix). Both versions synthesize the same construct tree, so the buckets,
 * the stream and their folders are the same; only the parser's environment differs.
 */
import { mkdirSync, writeFileSync } from 'fs';
import { join } from 'path';
import { App, Duration, RemovalPolicy, Stack } from 'aws-cdk-lib';
import * as lambda from 'aws-cdk-lib/aws-lambda';
import { IotCoreFirehosePipeline, Parser } from '../../../src';

export const REPLAY_STACK = 'ReplayFixture';
export const REPLAY_THING = 'replay-device';
export const REPLAY_TOPIC = 'replay';

const PARSER = `
exports.handler = async (event) => ({
  records: event.records.map((r) => {
    let msg;
    try { msg = JSON.parse(Buffer.from(r.data, 'base64').toString('utf8')); } catch (e) {
      return { recordId: r.recordId, result: 'ProcessingFailed', data: r.data };
    }
    if (msg.legacy && process.env.REJECT_LEGACY === 'yes') return { recordId: r.recordId, result: 'ProcessingFailed', data: r.data };
    const row = { n: msg.n, legacy: Boolean(msg.legacy), parser: process.env.PARSER_VERSION };
    return { recordId: r.recordId, result: 'Ok', data: Buffer.from(JSON.stringify(row) + '\\n').toString('base64') };
  }),
});
`;

/** Synthesizes the app with the parser's bug (`fixed: false`) or without it into `outdir`; returns `outdir`. */
export function synthReplayApp(outdir: string, fixed: boolean): string {
  const code = join(outdir, '..', `replay-parser-${fixed ? 'fixed' : 'buggy'}`);
  mkdirSync(code, { recursive: true });
  writeFileSync(join(code, 'index.js'), PARSER);
  const app = new App({ outdir });
  const stack = new Stack(app, REPLAY_STACK, { env: { region: 'eu-west-1' } });
  const parser = new lambda.Function(stack, 'Parser', {
    runtime: lambda.Runtime.NODEJS_22_X,
    handler: 'index.handler',
    code: lambda.Code.fromAsset(code),
    timeout: Duration.seconds(20),
    environment: { REJECT_LEGACY: fixed ? 'no' : 'yes', PARSER_VERSION: fixed ? 'v2' : 'v1' },
  });
  new IotCoreFirehosePipeline(stack, 'Pipeline', {
    topic: REPLAY_TOPIC,
    thingName: REPLAY_THING,
    monitoring: { alarms: false },
    removalPolicy: RemovalPolicy.DESTROY,
    parser: Parser.fromFunction(parser),
  });
  app.synth();
  return outdir;
}
