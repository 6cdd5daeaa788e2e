/**
 * Child process of parser-bench.ts (bundled by it with esbuild, run with plain node): times the reference parser on
 * ~1 MB batches of binary envelopes (CBOR or Protobuf payloads, as a binary pipeline's rule writes them) against floors
 * timed in the same process, interleaved. A floor does per record only what any parser of that payload must: base64
 * decode, JSON.parse of the envelope, base64 decode of the payload, decode with the library, JSON.stringify, base64
 * encode (+ the answer object). One floor per candidate library (cbor-x and cborg; @bufbuild/protobuf and protobufjs),
 * so the libraries are compared on the same batch; the parser uses the library the reference parser ships.
 *
 * Arguments: <cbor|protobuf> <eventBytes> <warmup> <runs> <descriptor set>. Reports one JSON line on stderr.
 * The FileDescriptorSet must also be beside this file as DESCRIPTOR_SET_FILE (the parser reads it there, as in Lambda).
 */
import * as fs from 'node:fs';
import { create, createFileRegistry, DescMessage, fromBinary, toBinary, toJson } from '@bufbuild/protobuf';
import { FileDescriptorSetSchema } from '@bufbuild/protobuf/wkt';
// @ts-expect-error -- cborg is ESM-only (TS1479 for this CommonJS file); esbuild bundles it into the driver all the same
import { decode as cborgDecode } from 'cborg';
import descriptorExt from 'protobufjs/ext/descriptor';
import * as protobufjs from 'protobufjs/light';
import { median, RESULT_MARKER, timeCandidates } from './lib';
import { createReferenceHandler } from '../lambda/reference-parser';
import type { FirehoseTransformationEvent, FirehoseTransformationResult, FirehoseTransformationResultRecord } from '../lambda/toolkit';

// eslint-disable-next-line @typescript-eslint/no-require-imports, import/no-extraneous-dependencies
const { Decoder: CborX, Encoder: CborXEncoder } = require('cbor-x') as {
  Decoder: new (o: object) => { decode(b: Uint8Array): unknown };
  Encoder: new (o: object) => { encode(v: unknown): Uint8Array };
};
// eslint-disable-next-line @typescript-eslint/no-require-imports, import/no-extraneous-dependencies
const { Decoder: CborXNoEval } = require('cbor-x/decode-no-eval') as { Decoder: new (o: object) => { decode(b: Uint8Array): unknown } };

/** The fields of bench/lib.ts's telemetry message, in Telemetry's shape (factory.v1.Telemetry). */
function telemetry(i: number) {
  return {
    device_id: `device-${String(i % 250).padStart(4, '0')}`,
    temperature: Math.round((20 + Math.sin(i) * 5) * 100) / 100,
    humidity: Math.round((45 + Math.cos(i) * 10) * 10) / 10,
    seq: i,
    door_open: i % 3 === 0,
    status: i % 97 === 0 ? 'STATUS_WARN' : 'STATUS_OK',
    vibration: [0.01 * (i % 7), 0.02, 0.03],
    location: { lat: 52.52 + (i % 7) / 1000, lon: 13.405 },
  };
}

/** A Firehose event of envelopes around `payload(i)`, at most `eventBytes` of JSON. */
function envelopeEvent(eventBytes: number, payload: (i: number) => Uint8Array): FirehoseTransformationEvent {
  const records = [];
  let size = 200;
  for (let i = 0; ; i++) {
    const envelope = JSON.stringify({
      payload: Buffer.from(payload(i)).toString('base64'), topic: `factory/device-${String(i % 250).padStart(4, '0')}`, clientId: 'c', timestamp: 1720859923841 + i,
    }) + '\n';
    const record = {
      recordId: `4965387935219457455197774550722${String(i).padStart(10, '0')}0608511091278050492418000000`.slice(0, 62),
      approximateArrivalTimestamp: 1720859923841 + i * 11,
      data: Buffer.from(envelope, 'utf8').toString('base64'),
    };
    const recordSize = JSON.stringify(record).length + 1;
    if (size + recordSize > eventBytes) break;
    size += recordSize;
    records.push(record);
  }
  return { invocationId: 'bench', deliveryStreamArn: 'arn:aws:firehose:eu-west-1:123456789012:deliverystream/bench', region: 'eu-west-1', records };
}

/** The floor with `decode` as the payload's library. */
function floorWith(decode: (bytes: Uint8Array) => unknown) {
  return (event: FirehoseTransformationEvent): FirehoseTransformationResult => {
    const answers: FirehoseTransformationResultRecord[] = new Array(event.records.length);
    for (let i = 0; i < event.records.length; i++) {
      const record = event.records[i];
      const envelope = JSON.parse(Buffer.from(record.data, 'base64').toString('utf8'));
      const obj = decode(Buffer.from(envelope.payload, 'base64'));
      answers[i] = { recordId: record.recordId, result: 'Ok', data: Buffer.from(JSON.stringify(obj) + '\n', 'utf8').toString('base64') };
    }
    return { records: answers };
  };
}

async function main(): Promise<void> {
  const [kind, eventBytesArg, warmupArg, runsArg, descriptorFile] = process.argv.slice(2);
  const [eventBytes, warmup, runs] = [eventBytesArg, warmupArg, runsArg].map(Number);
  let event: FirehoseTransformationEvent;
  let floors: { library: string; run: (e: FirehoseTransformationEvent) => FirehoseTransformationResult }[];
  let env: Record<string, string>;
  if (kind === 'cbor') {
    const encoder = new CborXEncoder({ useRecords: false });
    event = envelopeEvent(eventBytes, i => encoder.encode(telemetry(i)));
    const noEval = new CborXNoEval({ mapsAsObjects: true, useRecords: false });
    const full = new CborX({ mapsAsObjects: true, useRecords: false });
    floors = [
      { library: 'cbor-x (decode-no-eval)', run: floorWith(b => noEval.decode(b)) },
      { library: 'cbor-x (full, eval)', run: floorWith(b => full.decode(b)) },
      { library: 'cborg', run: floorWith(b => cborgDecode(b)) },
    ];
    env = { PARSER_PAYLOAD: 'binary', PARSER_DECODER: '{"kind":"cbor"}' };
  } else {
    const set = fs.readFileSync(descriptorFile);
    const type: DescMessage = createFileRegistry(fromBinary(FileDescriptorSetSchema, set)).getMessage('factory.v1.Telemetry')!;
    event = envelopeEvent(eventBytes, i => {
      const t = telemetry(i);
      return toBinary(type, create(type, {
        deviceId: t.device_id,
        temperature: t.temperature,
        humidity: t.humidity,
        seq: t.seq,
        doorOpen: t.door_open,
        status: t.status === 'STATUS_OK' ? 1 : 2,
        vibration: t.vibration,
        location: t.location,
      } as never));
    });
    // protobufjs/ext/descriptor adds Root.fromDescriptor (its types do not declare it).
    const ext = descriptorExt as unknown as { FileDescriptorSet: { decode(b: Uint8Array): unknown } };
    const root = (protobufjs.Root as unknown as { fromDescriptor(d: unknown): protobufjs.Root }).fromDescriptor(ext.FileDescriptorSet.decode(set));
    const pbType = root.lookupType('factory.v1.Telemetry');
    floors = [
      { library: '@bufbuild/protobuf', run: floorWith(b => toJson(type, fromBinary(type, b), { useProtoFieldName: true })) },
      { library: 'protobufjs', run: floorWith(b => pbType.toObject(pbType.decode(b), { longs: String, enums: String, bytes: String, json: true })) },
    ];
    env = { PARSER_PAYLOAD: 'binary', PARSER_DECODER: '{"kind":"protobuf","messageType":"factory.v1.Telemetry"}' };
  }
  const handler = createReferenceHandler(env);
  const candidates = [...floors.map(f => async () => f.run(event)), () => handler(event, { awsRequestId: 'bench' })];
  const { times, cpuRatios } = await timeCandidates(candidates, warmup, runs);
  const result = await handler(event);
  const parser = candidates.length - 1;
  process.stderr.write(RESULT_MARKER + JSON.stringify({
    records: event.records.length,
    floors: floors.map((f, c) => ({ library: f.library, ms: median(times[c]), cpuRatioToFirst: median(cpuRatios[c]) })),
    parserMs: median(times[parser]),
    parserCpuRatio: median(cpuRatios[parser]),
    ok: result.records.filter(r => r.result === 'Ok').length,
    firstRow: Buffer.from(result.records[0].data, 'base64').toString('utf8').trim(),
    avgPayloadBytes: event.records.reduce((sum, r) => sum + Buffer.from(JSON.parse(Buffer.from(r.data, 'base64').toString('utf8')).payload, 'base64').length, 0)
      / event.records.length,
  }) + '\n');
}

main().catch((e) => {
  console.error(e);
  process.exitCode = 1;
});
