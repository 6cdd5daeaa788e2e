import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { App, Duration, Stack } from 'aws-cdk-lib';
import { Match, Template } from 'aws-cdk-lib/assertions';
import * as lambda from 'aws-cdk-lib/aws-lambda';
import { assetPathOf, nagFindings, onlyResourceOfType } from './template';
import { IotCoreFirehosePipeline, Parser, PythonParserOptions } from '../../src';

/** A parser folder as a user has it: the handler module, a helper, and files that must not ship. */
function parserFolder(files: Record<string, string> = {}): string {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'python-parser-'));
  const all: Record<string, string> = {
    'index.py': 'from cdk_iot_parser_toolkit import create_parser\nfrom helper import row\nhandler = create_parser(row)\n',
    'helper.py': 'def row(message):\n    return message.json_object()\n',
    'test_index.py': 'def test_nothing():\n    pass\n',
    'conftest.py': '',
    '__pycache__/index.cpython-312.pyc': 'bytecode',
    ...files,
  };
  for (const [name, content] of Object.entries(all)) {
    fs.mkdirSync(path.dirname(path.join(dir, name)), { recursive: true });
    fs.writeFileSync(path.join(dir, name), content);
  }
  return dir;
}

const folders: string[] = [];
function folder(files?: Record<string, string>): string {
  const dir = parserFolder(files);
  folders.push(dir);
  return dir;
}
afterAll(() => folders.forEach((dir) => fs.rmSync(dir, { recursive: true, force: true })));

function synth(options: Partial<PythonParserOptions> = {}) {
  const app = new App({
    outdir: fs.mkdtempSync(path.join(os.tmpdir(), 'python-parser-out-')),
    context: { 'aws:cdk:enable-asset-metadata': true }, // as the cdk CLI sets it: the asset path on the function
  });
  folders.push(app.outdir);
  const stack = new Stack(app, 'TestStack', { env: { account: '123456789012', region: 'eu-west-1' } });
  const pipeline = new IotCoreFirehosePipeline(stack, 'Pipeline', {
    topic: 'globex/telemetry',
    parser: Parser.fromPython({ entry: options.entry ?? folder(), ...options }),
  });
  return { app, stack, pipeline, template: Template.fromStack(stack) };
}

/** The files of the parser function's asset, relative to its root. */
function assetFiles(app: App, template: Template): string[] {
  const parserFunction = onlyResourceOfType<unknown>(template, 'AWS::Lambda::Function', { Properties: { Runtime: Match.stringLikeRegexp('^python') } });
  const root = path.join(app.outdir, assetPathOf(parserFunction));
  const walk = (dir: string): string[] => fs.readdirSync(dir, { withFileTypes: true })
    .flatMap((entry) => (entry.isDirectory() ? walk(path.join(dir, entry.name)) : [path.relative(root, path.join(dir, entry.name))]));
  return walk(root).sort();
}

describe('Parser.fromPython', () => {
  test('GIVEN a parser folder WHEN synthesized THEN the pipeline invokes an arm64 Python 3.14 function with JSON logs, its own role and log group', () => {
    // GIVEN / WHEN
    const { stack, pipeline, template } = synth({ handler: 'index.handler', fileExtension: '.json', retries: 2 });
    // THEN
    template.hasResourceProperties('AWS::Lambda::Function', {
      Runtime: 'python3.14',
      Handler: 'index.handler',
      Architectures: ['arm64'],
      MemorySize: 512,
      Timeout: 60,
      LoggingConfig: Match.objectLike({ LogFormat: 'JSON' }),
      Role: stack.resolve((pipeline.parserFunction as lambda.Function).role!.roleArn),
    });
    expect(pipeline.parserFunction.node.path).toBe('TestStack/Pipeline/Parser/Function');
    template.hasResourceProperties('AWS::KinesisFirehose::DeliveryStream', {
      ExtendedS3DestinationConfiguration: Match.objectLike({
        FileExtension: '.json.gz',
        ProcessingConfiguration: {
          Enabled: true,
          Processors: [{
            Type: 'Lambda',
            Parameters: Match.arrayWith([
              { ParameterName: 'LambdaArn', ParameterValue: stack.resolve(pipeline.parserFunction.functionArn) },
              { ParameterName: 'NumberOfRetries', ParameterValue: '2' },
            ]),
          }],
        },
      }),
    });
  });

  test('GIVEN a parser folder with tests and caches WHEN synthesized THEN the asset holds the code and the toolkit, not the tests', () => {
    // GIVEN / WHEN
    const { app, template } = synth({ entry: folder({ 'lib/__init__.py': '', 'lib/units.py': 'C = 1\n' }) });
    app.synth();
    // THEN
    expect(assetFiles(app, template)).toEqual([
      'cdk_iot_parser_toolkit/__init__.py',
      'cdk_iot_parser_toolkit/_binary.py',
      'cdk_iot_parser_toolkit/_contract.py',
      'cdk_iot_parser_toolkit/_csv.py',
      'cdk_iot_parser_toolkit/_observability.py',
      'cdk_iot_parser_toolkit/_parser.py',
      'helper.py',
      'index.py',
      'lib/__init__.py',
      'lib/units.py',
    ]);
  });

  test('GIVEN two versions of the parser code WHEN synthesized THEN each is a different asset', () => {
    const hashOf = (code: string) => {
      const { template } = synth({ entry: folder({ 'helper.py': code }) });
      return assetPathOf(onlyResourceOfType<unknown>(template, 'AWS::Lambda::Function', { Properties: { Runtime: 'python3.14' } }));
    };
    expect(hashOf('def row(m):\n    return m.text\n')).not.toEqual(hashOf('def row(m):\n    return None\n'));
  });

  test('GIVEN memory, timeout, runtime, environment and a handler in a package WHEN synthesized THEN the function has them', () => {
    const { template } = synth({
      entry: folder({ 'globex/__init__.py': '', 'globex/main.py': 'def handler(event, context):\n    return {"records": []}\n' }),
      handler: 'globex.main.handler',
      memorySize: 1024,
      timeout: Duration.minutes(2),
      runtime: lambda.Runtime.PYTHON_3_12,
      environment: { POWERTOOLS_SERVICE_NAME: 'globex' },
    });
    template.hasResourceProperties('AWS::Lambda::Function', {
      Runtime: 'python3.12',
      Handler: 'globex.main.handler',
      MemorySize: 1024,
      Timeout: 120,
      Environment: { Variables: { POWERTOOLS_SERVICE_NAME: 'globex' } },
    });
  });

  test('GIVEN a pipeline with a Python parser WHEN checked by cdk-nag AwsSolutions THEN there are no findings', () => {
    // An environment-agnostic stack, like test/src/nag.test.ts checks the library's other shapes
    const stack = new Stack(new App(), 'NagStack');
    new IotCoreFirehosePipeline(stack, 'Pipeline', { topic: 'globex/telemetry', parser: Parser.fromPython({ entry: folder() }) });
    expect(nagFindings(stack)).toEqual([]);
  });
});

describe('Parser.fromPython: what to change', () => {
  test('GIVEN an entry that does not exist THEN the error names it and says what to give', () => {
    expect(() => Parser.fromPython({ entry: 'parsers/no-such-folder' }))
      .toThrow(/entry "parsers\/no-such-folder" does not exist .*give the folder with your parser's Python code/);
  });

  test('GIVEN the handler file as entry THEN the error says to give its folder and the module in handler', () => {
    const dir = folder();
    expect(() => Parser.fromPython({ entry: path.join(dir, 'index.py') }))
      .toThrow(/is a file; give the folder that holds it .* name the module in `handler` \(e\.g\. "index\.handler"\)/);
  });

  test('GIVEN a handler whose module is missing THEN the error lists the modules there', () => {
    expect(() => Parser.fromPython({ entry: folder(), handler: 'main.handler' }))
      .toThrow(/handler "main\.handler" needs main\.py in entry .* which has only conftest\.py, helper\.py, index\.py, test_index\.py; create the module/);
  });

  test.each(['index', 'index.', 'index.py:handler', '1index.handler'])('GIVEN handler "%s" THEN the error shows the form', (handler) => {
    expect(() => Parser.fromPython({ entry: folder(), handler })).toThrow(/is not <module>\.<function>; give e\.g\. "index\.handler"/);
  });

  test('GIVEN a Node.js runtime THEN the error asks for a Python one', () => {
    expect(() => Parser.fromPython({ entry: folder(), runtime: lambda.Runtime.NODEJS_22_X }))
      .toThrow(/runtime nodejs22\.x is not a Python runtime/);
  });

  test('GIVEN a folder with its own copy of the toolkit THEN the error says to remove it', () => {
    expect(() => Parser.fromPython({ entry: folder({ 'cdk_iot_parser_toolkit/__init__.py': '' }) }))
      .toThrow(/has its own cdk_iot_parser_toolkit folder; remove it/);
  });

  test.each([
    [{ memorySize: 64 }, /parser memorySize`: 64 MiB is out of range; Lambda accepts 128 to 10240/],
    [{ timeout: Duration.minutes(6) }, /parser timeout/],
    [{ fileExtension: 'json' }, /fileExtension`: "json" is not a Firehose file extension/],
  ])('GIVEN %p THEN synth fails with what to change', (options, message) => {
    expect(() => synth(options as Partial<PythonParserOptions>)).toThrow(message);
  });
});
