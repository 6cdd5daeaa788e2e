"""The README's Python binary-parser example ("Binary devices"), verbatim; the test also checks that README.md and
lambda/toolkit-python/README.md still hold exactly this code."""

import base64
import inspect
import json
import sys

from conftest import ROOT

# ---- example begins ----
import struct

from cdk_iot_parser_toolkit import ParseError, create_parser


def parse(message):
    p = message.binary_payload()  # bytes, text(), topic, client_id, timestamp: from the rule, not the device
    if len(p.bytes) != 4:
        raise ParseError("expected 4 bytes, got %d" % len(p.bytes))
    millivolts, centi_celsius = struct.unpack("<Hh", p.bytes)
    return {"device": p.client_id, "topic": p.topic, "volts": millivolts / 1000, "celsius": centi_celsius / 100,
            "at": p.timestamp}


handler = create_parser(parse)
# ---- example ends ----


def envelope(payload):
    return json.dumps({"payload": base64.b64encode(bytes(payload)).decode(), "topic": "grid/meters/m-1",
                       "clientId": "m-1", "timestamp": 1720859923000})


def test_the_example_answers_rows_and_fails_a_payload_of_another_length():
    event = {"invocationId": "i", "deliveryStreamArn": "arn", "region": "eu-west-1", "records": [
        {"recordId": "r0", "approximateArrivalTimestamp": 1, "data": base64.b64encode(envelope([0xF0, 0x0C, 0xF3, 0xFD]).encode()).decode()},
        {"recordId": "r1", "approximateArrivalTimestamp": 1, "data": base64.b64encode(envelope([1, 2, 3]).encode()).decode()},
    ]}
    response = handler(event)
    assert [r["result"] for r in response["records"]] == ["Ok", "ProcessingFailed"]
    row = json.loads(base64.b64decode(response["records"][0]["data"]))
    assert row == {"device": "m-1", "topic": "grid/meters/m-1", "volts": 3.312, "celsius": -5.25, "at": 1720859923000}


def test_the_readmes_show_this_example_verbatim():
    source = inspect.getsource(sys.modules[__name__])
    example = source.split("# ---- example begins ----\n")[1].split("# ---- example ends ----")[0]
    for readme in (ROOT / "README.md", ROOT / "lambda" / "toolkit-python" / "README.md"):
        assert example in readme.read_text(), readme
