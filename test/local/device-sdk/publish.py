"""Publishes JSON messages the way a real device does: the AWS IoT Device SDK v2 for Python (awsiotsdk, built on the
AWS Common Runtime), MQTT over mutual TLS, QoS 1. Used by the local runner's end-to-end tests against
`cdk-iot-pipeline local`; runs from the project's venv (.venv/bin/python, test/requirements.txt).

Prints one JSON object per line: {"event": "connected", ...}, {"event": "puback", "seq": n}, then
{"event": "done", "acked": n}. Exits 1 with {"event": "error", "message": ...} when anything fails.

--extra '{"k": 1}' adds fields to every payload; --cbor sends each payload as CBOR (cbor2, from PyPI) instead of JSON,
as a constrained device does; --alpn (MQTT 3.1.1) negotiates the TLS ALPN protocol
x-amzn-mqtt-ca, as the SDK does on port 443, on whatever port is given.
"""
import argparse
import json
import sys
import threading

from awscrt import io, mqtt, mqtt5
from awsiot import mqtt5_client_builder, mqtt_connection_builder

TIMEOUT_SECONDS = 20


def emit(**fields):
    print(json.dumps(fields), flush=True)


def alpn_connection(args):
    """The connection the SDK builds for port 443: mutual TLS with ALPN x-amzn-mqtt-ca (here on any port)."""
    tls = io.TlsContextOptions.create_client_with_mtls_from_path(args.cert, args.key)
    tls.override_default_trust_store_from_path(None, args.ca)
    tls.alpn_list = ["x-amzn-mqtt-ca"]
    client = mqtt.Client(io.ClientBootstrap.get_or_create_static_default(), io.ClientTlsContext(tls))
    return mqtt.Connection(client=client, host_name=args.endpoint, port=args.port, client_id=args.client_id,
                           clean_session=True, keep_alive_secs=30)


def publish_v311(args, payloads):
    if args.alpn:
        connection = alpn_connection(args)
    else:
        connection = mqtt_connection_builder.mtls_from_path(
            endpoint=args.endpoint, port=args.port, cert_filepath=args.cert, pri_key_filepath=args.key,
            ca_filepath=args.ca, client_id=args.client_id, clean_session=True, keep_alive_secs=30)
    connection.connect().result(TIMEOUT_SECONDS)
    emit(event="connected", protocol="3.1.1", alpn=bool(args.alpn))
    for seq, payload in enumerate(payloads):
        future, _ = connection.publish(topic=args.topic, payload=payload, qos=mqtt.QoS.AT_LEAST_ONCE)
        future.result(TIMEOUT_SECONDS)
        emit(event="puback", seq=seq)
    connection.disconnect().result(TIMEOUT_SECONDS)
    return len(payloads)


def publish_v5(args, payloads):
    connected = threading.Event()
    stopped = threading.Event()
    failure = {}

    def on_success(data):
        connected.set()

    def on_failure(data):
        failure["message"] = f"connect failed: {data.exception}"
        if data.connack_packet is not None:
            failure["reason_code"] = int(data.connack_packet.reason_code)
        connected.set()

    client = mqtt5_client_builder.mtls_from_path(
        endpoint=args.endpoint, port=args.port, cert_filepath=args.cert, pri_key_filepath=args.key,
        ca_filepath=args.ca, client_id=args.client_id,
        on_lifecycle_connection_success=on_success, on_lifecycle_connection_failure=on_failure,
        on_lifecycle_stopped=lambda data: stopped.set())
    client.start()
    if not connected.wait(TIMEOUT_SECONDS) or failure:
        client.stop()
        raise RuntimeError(json.dumps(failure or {"message": "no CONNACK"}))
    emit(event="connected", protocol="5")
    acked = 0
    for seq, payload in enumerate(payloads):
        properties = [mqtt5.UserProperty(name=name, value=value) for name, value in args.user_property]
        packet = mqtt5.PublishPacket(topic=args.topic, payload=payload, qos=mqtt5.QoS.AT_LEAST_ONCE,
                                     user_properties=properties or None,
                                     content_type=args.content_type,
                                     payload_format_indicator=mqtt5.PayloadFormatIndicator.AWS_MQTT5_PFI_UTF8
                                     if args.utf8 else None)
        result = client.publish(packet).result(TIMEOUT_SECONDS)
        reason = int(result.puback.reason_code)
        emit(event="puback", seq=seq, reason_code=reason)
        if reason < 0x80:
            acked += 1
    client.stop()
    stopped.wait(TIMEOUT_SECONDS)
    return acked


def main():
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--endpoint", required=True)
    parser.add_argument("--port", type=int, required=True)
    parser.add_argument("--cert", required=True)
    parser.add_argument("--key", required=True)
    parser.add_argument("--ca", required=True)
    parser.add_argument("--client-id", required=True)
    parser.add_argument("--topic", required=True)
    parser.add_argument("--count", type=int, default=1)
    parser.add_argument("--mqtt-version", choices=["3.1.1", "5"], default="3.1.1")
    parser.add_argument("--tag", default="device-sdk", help="the value of the messages' \"via\" field")
    parser.add_argument("--user-property", nargs=2, action="append", default=[], metavar=("NAME", "VALUE"))
    parser.add_argument("--content-type", default=None)
    parser.add_argument("--utf8", action="store_true", help="MQTT 5: payload format indicator UTF-8 data")
    parser.add_argument("--extra", default="{}", help="a JSON object whose fields every payload gets")
    parser.add_argument("--alpn", action="store_true", help="MQTT 3.1.1: negotiate ALPN x-amzn-mqtt-ca")
    parser.add_argument("--cbor", action="store_true", help="encode every payload as CBOR (cbor2) instead of JSON")
    args = parser.parse_args()
    extra = json.loads(args.extra)
    messages = [{"via": args.tag, "seq": seq, **extra} for seq in range(args.count)]
    if args.cbor:
        import cbor2  # only the CBOR devices need it
        payloads = [cbor2.dumps(message) for message in messages]
    else:
        payloads = [json.dumps(message) for message in messages]
    try:
        publish = publish_v5 if args.mqtt_version == "5" else publish_v311
        emit(event="done", acked=publish(args, payloads))
    except Exception as error:  # the test reads the message; no traceback
        emit(event="error", message=str(error))
        sys.exit(1)


if __name__ == "__main__":
    main()
