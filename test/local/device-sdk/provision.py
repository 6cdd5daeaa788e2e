"""Onboards a device the way a real one does, with the AWS IoT Device SDK v2 for Python (awsiotsdk >= 1.31):
fleet provisioning by claim through `awsiot.iotidentity.IotIdentityClientV2` over the SDK's MQTT 5 client, then a
connection with the new certificate, as the new thing, that publishes telemetry. Used by the local runner's fleet
provisioning end-to-end test; runs from the project's venv (.venv/bin/python, test/requirements.txt).

Prints one JSON object per line:
  {"event": "claim-publish", "reason_code": n}          the claim certificate's own telemetry publish (--claim-topic)
  {"event": "certificate", "certificate_id": ...}       CreateKeysAndCertificate accepted
  {"event": "registered", "thing_name": ..., "device_configuration": {...}}
  {"event": "rejected", "status_code": n, "error_code": ..., "error_message": ...}   RegisterThing rejected (exit 0)
  {"event": "puback", "seq": n, "reason_code": n}       the new thing's publishes
  {"event": "done"}
Exits 1 with {"event": "error", "message": ...} when anything else fails.
"""
import argparse
import json
import os
import sys
import threading

from awscrt import mqtt5, mqtt_request_response
from awsiot import V2ServiceException, iotidentity, mqtt5_client_builder

TIMEOUT_SECONDS = 20


def emit(**fields):
    print(json.dumps(fields), flush=True)


def connect(args, cert, key, client_id):
    """An MQTT 5 client over mutual TLS, started and connected."""
    connected = threading.Event()
    failure = {}

    def on_failure(data):
        failure["message"] = f"connect failed: {data.exception}"
        connected.set()

    client = mqtt5_client_builder.mtls_from_path(
        endpoint=args.endpoint, port=args.port, cert_filepath=cert, pri_key_filepath=key, ca_filepath=args.ca,
        client_id=client_id, on_lifecycle_connection_success=lambda data: connected.set(),
        on_lifecycle_connection_failure=on_failure)
    client.start()
    if not connected.wait(TIMEOUT_SECONDS) or failure:
        client.stop()
        raise RuntimeError(failure.get("message", "no CONNACK"))
    return client


def publish(client, topic, payload):
    packet = mqtt5.PublishPacket(topic=topic, payload=payload, qos=mqtt5.QoS.AT_LEAST_ONCE)
    result = client.publish(packet).result(TIMEOUT_SECONDS)
    return int(result.puback.reason_code)


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--endpoint", default="localhost")
    parser.add_argument("--port", type=int, required=True)
    parser.add_argument("--claim-cert", required=True)
    parser.add_argument("--claim-key", required=True)
    parser.add_argument("--ca", required=True)
    parser.add_argument("--template", required=True)
    parser.add_argument("--serial", required=True)
    parser.add_argument("--param", nargs=2, action="append", default=[], metavar=("NAME", "VALUE"))
    parser.add_argument("--claim-topic", help="a telemetry topic the claim certificate tries to publish to")
    parser.add_argument("--topic", required=True, help="the telemetry base topic; the thing publishes to <topic>/<thing>")
    parser.add_argument("--count", type=int, default=3)
    parser.add_argument("--tag", default="fleet")
    parser.add_argument("--out", required=True)
    args = parser.parse_args()

    claim = connect(args, args.claim_cert, args.claim_key, f"claim-{args.serial}")
    if args.claim_topic:
        emit(event="claim-publish", reason_code=publish(claim, args.claim_topic, json.dumps({"via": args.tag}).encode()))
    identity = iotidentity.IotIdentityClientV2(claim, mqtt_request_response.ClientOptions(
        max_request_response_subscriptions=2, max_streaming_subscriptions=1, operation_timeout_in_seconds=TIMEOUT_SECONDS))
    created = identity.create_keys_and_certificate(iotidentity.CreateKeysAndCertificateRequest()).result(TIMEOUT_SECONDS)
    emit(event="certificate", certificate_id=created.certificate_id)
    parameters = {"SerialNumber": args.serial, **dict(args.param)}
    try:
        registered = identity.register_thing(iotidentity.RegisterThingRequest(
            template_name=args.template, certificate_ownership_token=created.certificate_ownership_token,
            parameters=parameters)).result(TIMEOUT_SECONDS)
    except V2ServiceException as e:
        error = e.modeled_error
        emit(event="rejected", status_code=getattr(error, "status_code", None), error_code=getattr(error, "error_code", None),
             error_message=getattr(error, "error_message", None))
        claim.stop()
        return
    claim.stop()
    thing = registered.thing_name
    emit(event="registered", thing_name=thing, device_configuration=registered.device_configuration or {})

    os.makedirs(args.out, exist_ok=True)
    cert, key = os.path.join(args.out, f"{thing}.cert.pem"), os.path.join(args.out, f"{thing}.key.pem")
    with open(cert, "w") as f:
        f.write(created.certificate_pem)
    with open(key, "w") as f:
        f.write(created.private_key)
    device = connect(args, cert, key, thing)
    for seq in range(args.count):
        payload = json.dumps({"seq": seq, "via": args.tag, "temperature": 20 + seq}).encode()
        emit(event="puback", seq=seq, reason_code=publish(device, f"{args.topic}/{thing}", payload))
    device.stop()
    emit(event="done")


if __name__ == "__main__":
    try:
        main()
    except Exception as e:  # noqa: BLE001 - reported to the test as one line
        emit(event="error", message=f"{type(e).__name__}: {e}")
        sys.exit(1)
