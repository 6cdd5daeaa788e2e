"""The contract vectors (test/fixtures/contract-vectors/*.json) against the Python toolkit. The TypeScript toolkit
runs the same files (test/lambda/toolkit/vectors.test.ts); the test parsers are defined identically in both."""

import base64
import json
import pathlib

import pytest

from cdk_iot_parser_toolkit import MAX_RESPONSE_BYTES, ParseError, create_parser

from conftest import ROOT

VECTORS = sorted((ROOT / "test" / "fixtures" / "contract-vectors").glob("*.json"))


class CapturingLogger:
    def __init__(self):
        self.lines = []

    def info(self, message, extra=None):
        self.lines.append(("INFO", message, extra))

    def warning(self, message, extra=None):
        self.lines.append(("WARN", message, extra))

    def error(self, message, extra=None):
        self.lines.append(("ERROR", message, extra))


class CapturingMetrics:
    def __init__(self):
        self.stored = {}
        self.published = []

    def add_metric(self, name, unit, value):
        self.stored[name] = value

    def flush_metrics(self):
        self.published.append(self.stored)
        self.stored = {}


def fields(message):
    """The vectors' ``fields`` parser: directives in the message decide the outcome."""
    o = message.json_object()
    if isinstance(o.get("fail"), str):
        raise ParseError(o["fail"])
    if o.get("crash") is True:
        raise RuntimeError("crash requested by the vector")
    if o.get("drop") is True:
        return None
    if isinstance(o.get("rows"), list):
        return o["rows"]
    return o


def row_keys(row, message):
    return row.get("keys") if isinstance(row, dict) else None


def options_for(parser):
    options = {"split_lines": parser.get("splitLines", True)}
    if "maxResponseBytes" in parser:
        options["max_response_bytes"] = parser["maxResponseBytes"]
    name = parser["name"]
    if name == "fields":
        options["parse"] = fields
        if parser.get("partitionKeys"):
            options["partition_keys"] = row_keys
    elif name == "text":
        options["parse"] = lambda m: m.text
    elif name == "meta":
        options["parse"] = lambda m: {
            "index": m.index, "recordId": m.record_id, "arrival": m.approximate_arrival_timestamp,
            "invocationId": m.invocation.invocation_id, "region": m.invocation.region, "text": m.text,
        }
    elif name == "binary":
        def binary(m):
            p = m.binary_payload()
            return {"topic": p.topic, "clientId": p.client_id, "timestamp": p.timestamp, "hex": p.bytes.hex()}
        options["parse"] = binary
    elif name == "binary-text":
        options["parse"] = lambda m: m.binary_payload().text() or None
    else:
        raise AssertionError("unknown vector parser %r" % parser)
    return options


def assert_valid(event, response, limit):
    """The contract, independent of the expected answers: every id once, in order; only the three results; Ok data
    is newline-terminated UTF-8; the response (as Python's runtime would serialize it) below the limit."""
    assert [a["recordId"] for a in response["records"]] == [r["recordId"] for r in event["records"]]
    for answer in response["records"]:
        assert answer["result"] in ("Ok", "Dropped", "ProcessingFailed")
        if answer["result"] == "Ok":
            assert base64.b64decode(answer["data"], validate=True).decode("utf-8").endswith("\n")
        else:
            assert answer["data"] == "" and "metadata" not in answer
    assert len(json.dumps(response)) < limit


def test_the_vectors_cover_the_contract():
    assert len(VECTORS) >= 20
    assert sum(1 for v in VECTORS if json.loads(v.read_text())["expected"].get("throws")) >= 3


@pytest.mark.parametrize("path", VECTORS, ids=[v.stem for v in VECTORS])
def test_vector(path):
    vector = json.loads(path.read_text())
    metrics = CapturingMetrics()
    handler = create_parser(logger=CapturingLogger(), metrics=metrics, **options_for(vector["parser"]))
    if vector["expected"].get("throws"):
        with pytest.raises(Exception):
            handler(vector["event"])
        return
    response = handler(vector["event"])
    assert response == vector["expected"]["response"]
    assert_valid(vector["event"], response, vector["parser"].get("maxResponseBytes", MAX_RESPONSE_BYTES))
    assert len(metrics.published) == 1
    published = metrics.published[0]
    assert {k: published[k] for k in vector["expected"]["metrics"]} == vector["expected"]["metrics"]
