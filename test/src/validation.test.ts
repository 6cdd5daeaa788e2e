import { App, Duration, Size, Stack } from 'aws-cdk-lib';
import * as lambda from 'aws-cdk-lib/aws-lambda';
import { DeviceCertificate, IotCoreFirehosePipeline, IotCoreFirehosePipelineProps, ParsedFormat, Parser, ParserDelivery } from '../../src';

function build(props: Partial<IotCoreFirehosePipelineProps>): () => IotCoreFirehosePipeline {
  return () => new IotCoreFirehosePipeline(new Stack(new App(), 'S'), 'Pipeline', { topic: 'iot-test-topic', ...props });
}

describe('topic validation', () => {
  test.each([
    ['', /it is empty/],
    ['sensors/+', /MQTT wildcard.*give a concrete topic/],
    ['sensors/#', /MQTT wildcard/],
    ['sensors/*', /wildcards in IoT policy resources/],
    ['sensors?', /wildcards in IoT policy resources/],
    ['$aws/things', /starts with "\$"/],
    ['/sensors', /empty level/],
    ['sensors/', /empty level/],
    ['a//b', /empty level/],
    ['a/b/c/d/e/f/g/h', /has 8 levels.*at most 7/],
    ['x'.repeat(255), /255 UTF-8 bytes.*at most 254/],
    ["it's", /single quote/],
    ['line\nbreak', /control character/],
  ])('GIVEN topic %j WHEN synthesized THEN it fails with a message that says what to change', (topic, message) => {
    expect(build({ topic })).toThrow(message);
  });

  test('GIVEN the longest and deepest valid topics WHEN synthesized THEN they are accepted', () => {
    expect(build({ topic: 'a/b/c/d/e/f/g' })).not.toThrow();
    expect(build({ topic: 'é'.repeat(127) })).not.toThrow();
  });

  test('GIVEN an invalid thing name WHEN synthesized THEN it fails naming the allowed characters', () => {
    expect(build({ thingName: 'has space' })).toThrow(/not a valid IoT thing name; use 1-128 characters/);
    expect(build({ thingName: 'x'.repeat(129) })).toThrow(/not a valid IoT thing name/);
  });

  test('GIVEN SQL that is not SELECT ... FROM WHEN synthesized THEN it fails', () => {
    expect(build({ sql: 'DROP TABLE things' })).toThrow(/invalid `sql`.*SELECT \.\.\. FROM/);
  });
});

describe('buffering validation', () => {
  test.each([
    [{ interval: Duration.seconds(901) }, /buffering.interval.*0 to 900/],
    [{ interval: Duration.millis(1500) }, /buffering.interval.*whole seconds/],
    [{ size: Size.mebibytes(129) }, /buffering.size.*1 to 128 MiB/],
    [{ size: Size.kibibytes(512) }, /buffering.size.*1 to 128 MiB/],
    [{ size: Size.kibibytes(1536) }, /not a whole number of MiB/],
  ])('GIVEN buffering %o WHEN synthesized THEN it fails with the service range', (buffering, message) => {
    expect(build({ buffering })).toThrow(message);
  });

  test('GIVEN the range limits WHEN synthesized THEN they are accepted', () => {
    expect(build({ buffering: { interval: Duration.seconds(0), size: Size.mebibytes(128) } })).not.toThrow();
    expect(build({ buffering: { interval: Duration.seconds(900), size: Size.mebibytes(1) } })).not.toThrow();
  });
});

describe('prefix validation', () => {
  test('GIVEN a data prefix with expressions but no error prefix WHEN synthesized THEN it fails asking for one', () => {
    expect(build({ dataOutputPrefix: 'data/!{timestamp:yyyy}/' })).toThrow(/invalid `errorOutputPrefix`: it is required because `dataOutputPrefix`/);
  });

  test('GIVEN an error prefix without the error-output-type WHEN synthesized THEN it fails', () => {
    expect(build({ dataOutputPrefix: 'data/!{timestamp:yyyy}/', errorOutputPrefix: 'errors/' })).toThrow(/must contain !\{firehose:error-output-type\}/);
  });

  test.each([
    [{ dataOutputPrefix: '/data/' }, /starts with "\/"/],
    [{ dataOutputPrefix: 'data/!{timestamp:yyyy/', errorOutputPrefix: 'e/!{firehose:error-output-type}/' }, /unterminated/],
    [{ dataOutputPrefix: 'data/!{foo:bar}/', errorOutputPrefix: 'e/!{firehose:error-output-type}/' }, /not a Firehose expression/],
    [{ dataOutputPrefix: 'data/!{firehose:error-output-type}/', errorOutputPrefix: 'e/!{firehose:error-output-type}/' }, /only in the error output prefix/],
    [{ dataOutputPrefix: 'data/!{partitionKeyFromLambda:device}/', errorOutputPrefix: 'e/!{firehose:error-output-type}/' }, /needs dynamic partitioning/],
    [{ backup: { prefix: 'raw/!{timestamp:yyyy}/' } }, /invalid `backup.errorPrefix`: it is required/],
  ])('GIVEN prefixes %o WHEN synthesized THEN it fails', (props, message) => {
    expect(build(props)).toThrow(message);
  });

  test('GIVEN a static data prefix without error prefix WHEN synthesized THEN it is accepted', () => {
    expect(build({ dataOutputPrefix: 'data/' })).not.toThrow();
  });
});

describe('parser and certificate validation', () => {
  const fn = (stack: Stack) => new lambda.Function(stack, 'Fn', {
    code: lambda.Code.fromInline('exports.handler = async () => ({ records: [] })'),
    handler: 'index.handler',
    runtime: lambda.Runtime.NODEJS_22_X,
  });

  test.each([
    [{ bufferInterval: Duration.seconds(901) }, /parser bufferInterval.*0 to 900/],
    [{ bufferSize: Size.kibibytes(100) }, /parser bufferSize.*0.2 to 3 MiB/],
    [{ bufferSize: Size.mebibytes(4) }, /parser bufferSize.*0.2 to 3 MiB/],
    [{ retries: 301 }, /parser retries.*0 to 300/],
    [{ retries: 1.5 }, /parser retries.*whole number/],
    [{ fileExtension: 'json' }, /start with "."/],
  ])('GIVEN processor options %o WHEN synthesized THEN it fails with the allowed range', (options, message) => {
    const stack = new Stack(new App(), 'S');
    expect(() => new IotCoreFirehosePipeline(stack, 'P', { topic: 't', parser: Parser.fromFunction(fn(stack), options) })).toThrow(message);
  });

  test('GIVEN a reference parser timeout over 5 minutes WHEN synthesized THEN it fails', () => {
    expect(build({ parser: Parser.reference({ timeout: Duration.minutes(6) }) })).toThrow(/parser timeout.*1 to 300/);
  });

  test('GIVEN bad CSV columns WHEN the format is built THEN it fails', () => {
    expect(() => ParsedFormat.csv({ columns: [] })).toThrow(/at least one column/);
    expect(() => ParsedFormat.csv({ columns: ['a', 'a'] })).toThrow(/appears twice/);
    expect(() => ParsedFormat.csv({ columns: ['a..b'] })).toThrow(/not a field name or dotted path/);
  });

  test('GIVEN a bad direct prefix WHEN the delivery is built THEN it fails', () => {
    expect(() => ParserDelivery.direct({ prefix: '/direct/' })).toThrow(/plain S3 key prefix/);
  });

  test('GIVEN something that is not a CSR or certificate ARN WHEN the certificate is built THEN it fails', () => {
    expect(() => DeviceCertificate.fromCsr('-----BEGIN CERTIFICATE-----\nabc\n-----END CERTIFICATE-----')).toThrow(/not a PEM certificate signing request/);
    expect(() => DeviceCertificate.fromCertificateArn('arn:aws:iot:eu-west-1:123456789012:thing/x')).toThrow(/not an AWS IoT certificate ARN/);
  });
});
