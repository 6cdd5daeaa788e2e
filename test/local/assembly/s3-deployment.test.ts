/**
 * BucketDeployment (`Custom::CDKBucketDeployment`) in the runner's model, and its files in the local bucket at start:
 * a tiny stack synthesized here with aws-cdk-lib alone deploys the Protobuf fixture's FileDescriptorSet.
 */
import { copyFileSync, cpSync, mkdirSync, readFileSync, writeFileSync } from 'fs';
import { join } from 'path';
import { App, Stack } from 'aws-cdk-lib';
import * as s3 from 'aws-cdk-lib/aws-s3';
import * as s3deploy from 'aws-cdk-lib/aws-s3-deployment';
import { AssemblyError } from '../../../local/assembly/cloud-assembly';
import { loadModel } from '../../../local/assembly/model';
import { BucketObjects, deployToBuckets } from '../../../local/s3/deployments';
import { FolderSink } from '../../../local/s3/sinks';
import { cleanup, tempDir } from '../helpers';

const DESCRIPTOR = join(__dirname, '../../fixtures/protobuf/telemetry.binpb');

describe('a cdk.out with a BucketDeployment of the FileDescriptorSet', () => {
  let scratch: string;
  let app: string;
  beforeAll(() => {
    scratch = tempDir('deployment');
    const source = join(scratch, 'schemas');
    mkdirSync(source);
    // the asset directory: the descriptor set under a sub-folder, as a user would lay it out
    mkdirSync(join(source, 'factory'));
    copyFileSync(DESCRIPTOR, join(source, 'factory', 'telemetry.binpb'));
    const cdkApp = new App({ outdir: join(scratch, 'cdk.out') });
    const stack = new Stack(cdkApp, 'Deployments', { env: { region: 'eu-west-1' } });
    const bucket = new s3.Bucket(stack, 'Schemas');
    new s3deploy.BucketDeployment(stack, 'DeploySchemas', {
      sources: [s3deploy.Source.asset(source), s3deploy.Source.jsonData('schemas.json', { bucket: bucket.bucketName, key: 'payload-schemas/factory/telemetry.binpb' })],
      destinationBucket: bucket,
      destinationKeyPrefix: 'payload-schemas/',
    });
    cdkApp.synth();
    app = join(scratch, 'cdk.out');
  });
  afterAll(() => cleanup(scratch));

  test('GIVEN the assembly WHEN the model is loaded THEN the deployment names the bucket, the prefix and the staged asset directory', () => {
    const model = loadModel({ app });
    expect(model.deployments).toHaveLength(1);
    const [d] = model.deployments!;
    expect(d).toMatchObject({ path: 'Deployments/DeploySchemas/CustomResource/Default', prefix: 'payload-schemas/', extract: true });
    expect(d.bucket.folder).toBe(model.buckets.get(d.bucket.name)!.folder);
    expect(d.sources).toHaveLength(2);
    expect(d.sources[0]).toMatchObject({ isDirectory: true, markers: {} });
    expect(Object.values(d.sources[1].markers)).toEqual([JSON.stringify(d.bucket.name)]); // jsonData puts the quotes in the value
    expect(model.warnings).toEqual([]);
    expect(readFileSync(join(d.sources[0].path, 'factory', 'telemetry.binpb'))).toEqual(readFileSync(DESCRIPTOR));
  });

  test('GIVEN the deployment WHEN the runner deploys it THEN the descriptor set is in the bucket folder under the prefix, and decode\'s reader finds it', async () => {
    const model = loadModel({ app });
    const s3Root = join(scratch, 'data', 's3');
    const logs: string[] = [];
    const deployed = await deployToBuckets(model.deployments!, new FolderSink(s3Root), (l) => logs.push(l));
    const [d] = model.deployments!;
    const key = 'payload-schemas/factory/telemetry.binpb';
    expect(readFileSync(join(s3Root, d.bucket.folder, 'payload-schemas', 'factory', 'telemetry.binpb'))).toEqual(readFileSync(DESCRIPTOR));
    expect(logs).toEqual([expect.stringMatching(/Deployments\/DeploySchemas\/CustomResource\/Default: deployed 2 object\(s\)/)]);
    // Source.jsonData with a token: the marker replaced by the bucket's local name, as the deploy would
    expect(JSON.parse(readFileSync(join(s3Root, d.bucket.folder, 'payload-schemas', 'schemas.json'), 'utf8')))
      .toEqual({ bucket: d.bucket.name, key: 'payload-schemas/factory/telemetry.binpb' });
    const objects = new BucketObjects(s3Root, model.buckets, deployed);
    expect(objects.read(d.bucket.name, key)).toEqual(readFileSync(DESCRIPTOR));
    expect(objects.version(d.bucket.name, key)).toMatch(/^466:/);
    expect(objects.version(d.bucket.name, 'payload-schemas/other.binpb')).toBeUndefined();
    // without the folder (an S3-compatible endpoint), the deployed bytes are kept for the reader
    const endpointOnly = new BucketObjects(join(scratch, 'nowhere'), model.buckets, deployed);
    expect(endpointOnly.version(d.bucket.name, key)).toBe('deployed');
    expect(endpointOnly.read(d.bucket.name, key)).toEqual(readFileSync(DESCRIPTOR));
  });

  test('GIVEN a deploy-time value the runner cannot resolve THEN the stack still loads, with a warning naming the marker', () => {
    const json = JSON.parse(readFileSync(join(app, 'Deployments.template.json'), 'utf8'));
    const id = Object.keys(json.Resources).find((k) => json.Resources[k].Type === 'Custom::CDKBucketDeployment')!;
    const [marker] = Object.keys(json.Resources[id].Properties.SourceMarkers[1]);
    json.Resources[id].Properties.SourceMarkers[1][marker] = { 'Fn::GetAtt': ['NoSuchResource', 'Arn'] };
    const unresolvable = join(scratch, 'unresolvable.out');
    cpSync(app, unresolvable, { recursive: true });
    writeFileSync(join(unresolvable, 'Deployments.template.json'), JSON.stringify(json));
    const model = loadModel({ app: unresolvable });
    expect(model.deployments![0].sources[1].markers).toEqual({});
    expect(model.warnings).toEqual([expect.stringContaining(`the deploy-time value of ${marker}`)]);
  });

  test('GIVEN a source key that is not an asset of the assembly THEN loading fails naming the deployment and what to do', () => {
    const template = join(app, 'Deployments.template.json');
    const text = readFileSync(template, 'utf8');
    const broken = join(scratch, 'broken.out');
    cpSync(app, broken, { recursive: true });
    const json = JSON.parse(text);
    const id = Object.keys(json.Resources).find((k) => json.Resources[k].Type === 'Custom::CDKBucketDeployment')!;
    json.Resources[id].Properties.SourceObjectKeys = ['0000000000000000000000000000000000000000000000000000000000000000.zip'];
    writeFileSync(join(broken, 'Deployments.template.json'), JSON.stringify(json));
    expect(() => loadModel({ app: broken })).toThrow(AssemblyError);
    expect(() => loadModel({ app: broken })).toThrow(/\(Deployments\/DeploySchemas\/CustomResource\/Default\): its source 0{64}\.zip is not an asset of the cloud assembly .*synthesize the app again/);
  });
});
