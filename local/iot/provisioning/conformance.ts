/**
 * The conformance rows of fleet provisioning by claim (and of the MQTT 5 behaviour onboarding relies on), for the
 * runner's conformance table (../../conformance.ts).
 */
import { ConformanceRow, no, yes } from '../../conformance-row';

const E2E = 'test/local/fleet-provisioning.e2e.test.ts';
const UNIT = 'test/local/iot/provisioning.test.ts';
const CLI = 'test/cli/provision.e2e.test.ts';

/** The page the rows come from. */
export const FLEET_PROVISIONING_PAGE = 'https://docs.aws.amazon.com/iot/latest/developerguide/fleet-provision-api.html';

export function fleetProvisioningRows(): ConformanceRow[] {
  return [
    yes('`$aws/certificates/create/json` (CreateKeysAndCertificate)', 'certificate from the local CA, PENDING_ACTIVATION', E2E, 'Device SDK provisions serial A1'),
    yes('`$aws/certificates/create-from-csr/json` (CreateCertificateFromCsr)', 'the CSR\'s signature is verified; the key stays with the device', CLI, 'WHEN provision --csr'),
    yes('`$aws/provisioning-templates/<name>/provision/json` (RegisterThing)', 'thing, certificate status and policies from the template body', UNIT, 'registered within the hour'),
    yes('`/accepted` and `/rejected` `{statusCode, errorCode, errorMessage}`', 'codes of the RegisterThing API (the MQTT page lists none): 400 InvalidRequestException, 401 UnauthorizedException', UNIT, 'WHEN RegisterThing THEN it is rejected'),
    yes('Answers only to the asking connection, after it subscribed', 'no subscription: the answer is dropped (logged)', E2E, 'only it gets the answer'),
    yes('Ownership token: one hour, once, of the claim that created it', 'expired: 400; another claim\'s: 401', UNIT, 'older than an hour'),
    yes('Missing `SerialNumber` (a parameter without Default), unknown or disabled template', '400 InvalidRequestException naming it', UNIT, 'no SerialNumber'),
    yes('Pre-provisioning hook: AWS\'s event, 5 s, `allowProvisioning`, `parameterOverrides`', 'run from its asset; a refusal or failure: 401', E2E, 'a hook that refuses serial numbers'),
    yes('Template body: Parameters, Ref, Fn::Join/Select/Split/Sub/FindInMap, Thing/Certificate/Policy, DeviceConfiguration', 'OverrideSettings for attributes', UNIT, 'Fn::Sub, Fn::Split and Fn::Select'),
    yes('The registered device connects as its thing and publishes', 'its rows reach raw and parsed', E2E, 'rows reach parsed with device lathe-A1'),
    yes('The claim certificate cannot publish telemetry', 'MQTT 5: PUBACK 0x87', E2E, 'the claim could not publish telemetry'),
    yes('A PENDING_ACTIVATION certificate cannot connect', 'CONNACK 0x87', E2E, 'the unregistered certificate cannot connect'),
    yes('MQTT 5 session takeover: a second connection with the same client id', 'the older one gets DISCONNECT 0x8E Session taken over', E2E, 'reason 0x8E Session taken over'),
    no('CBOR payloads (`/cbor` topics)', 'rejected (JSON body) saying the runner answers JSON only'),
    no('Template `Conditions`, thing types and groups, inline `PolicyDocument`', 'Conditions are refused with a message; types, groups and inline documents are recorded but not enforced'),
    no('Ownership tokens across a runner restart', 'kept in memory: after a restart, create a new certificate'),
  ];
}
