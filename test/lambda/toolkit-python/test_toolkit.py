"""The Python parser toolkit beyond the shared vectors: CSV cells, the JSON log lines and EMF metrics, the
6 MB default, reasons that never quote payloads, and source that Python 3.9 (Lambda's oldest Python) parses."""

import ast
import base64
import json

import pytest

from cdk_iot_parser_toolkit import (
    MAX_RESPONSE_BYTES,
    RESPONSE_SIZE_REASON,
    EmfMetrics,
    JsonLogger,
    ParseError,
    create_parser,
    csv_cell,
    csv_line,
)

from conftest import ROOT
from test_vectors import CapturingLogger, CapturingMetrics


def b64(text):
    return base64.b64encode(text.encode("utf-8")).decode("ascii")


def event(*datas):
    return {
        "invocationId": "inv-1",
        "deliveryStreamArn": "arn:aws:firehose:eu-west-1:123456789012:deliverystream/s",
        "region": "eu-west-1",
        "records": [{"recordId": "r%d" % i, "approximateArrivalTimestamp": 1720859923841, "data": d} for i, d in enumerate(datas)],
    }


@pytest.mark.parametrize("path", sorted((ROOT / "lambda" / "toolkit-python").rglob("*.py")), ids=lambda p: p.name)
def test_source_parses_as_python_3_9(path):
    ast.parse(path.read_text(), filename=str(path), feature_version=(3, 9))


@pytest.mark.parametrize("value, cell", [
    (None, ""), ("plain", "plain"), ("=1+2", "'=1+2"), ("-x", "'-x"), ("@a", "'@a"), ("+a", "'+a"), ("\tx", "'\tx"),
    ("a,b", '"a,b"'), ('say "hi"', '"say ""hi"""'), ("two\nlines", '"two\nlines"'), (-5, "-5"), (21.5, "21.5"),
    (True, "true"), (False, "false"), (float("nan"), ""), ({"a": [1, "x"]}, '"{""a"":[1,""x""]}"'), ([1, 2], '"[1,2]"'),
])
def test_csv_cell(value, cell):
    assert csv_cell(value) == cell


def test_csv_line_joins_cells_without_terminator():
    assert csv_line(["pump-1", 21.5, None, "=cmd"]) == "pump-1,21.5,,'=cmd"


def test_failure_reasons_are_logged_without_payload():
    logger = CapturingLogger()
    secret = "s3cr3t-payload-value"
    handler = create_parser(lambda m: m.json_object()["t"] + 1, logger=logger, metrics=CapturingMetrics())
    response = handler(event(b64('{"t":"' + secret + '"}'), b64('{"t": '), b64('{"t":1}')))
    assert [a["result"] for a in response["records"]] == ["ProcessingFailed", "ProcessingFailed", "Ok"]
    warnings = [extra for level, message, extra in logger.lines if level == "WARN"]
    assert [(w["recordId"], w["index"]) for w in warnings] == [("r0", 0), ("r1", 1)]
    assert warnings[0]["reason"].startswith("TypeError: ")
    assert warnings[1]["reason"] == "invalid JSON: unexpected end of input"
    assert secret not in json.dumps(logger.lines)


def test_batch_summary_and_log_cap():
    logger = CapturingLogger()
    handler = create_parser(lambda m: m.json_object(), logger=logger, metrics=CapturingMetrics(), max_logged_failures=2)
    handler(event(*(["bm90IGpzb24="] * 5 + [b64('{"a":1}')])), type("Context", (), {"aws_request_id": "req-1"})())
    warnings = [m for level, m, extra in logger.lines if level == "WARN"]
    assert warnings == ["Record answered ProcessingFailed"] * 2 + ["More records answered ProcessingFailed than logged one by one"]
    summary = [extra for level, message, extra in logger.lines if message == "Batch answered"][0]
    assert summary["awsRequestId"] == "req-1"
    assert (summary["records"], summary["ok"], summary["failed"], summary["bytesOut"]) == (6, 1, 5, len('{"a":1}\n'))


def test_default_logger_writes_json_lines_filtered_by_the_stricter_level():
    lines = []
    logger = JsonLogger(env={"POWERTOOLS_SERVICE_NAME": "globex", "AWS_LAMBDA_LOG_LEVEL": "WARN"}, write=lines.append)
    logger.info("Batch answered", extra={"records": 1})
    logger.warning("Record answered ProcessingFailed", extra={"recordId": "r0"})
    assert len(lines) == 1
    line = json.loads(lines[0])
    assert (line["level"], line["message"], line["service"], line["recordId"]) == ("WARN", "Record answered ProcessingFailed", "globex", "r0")
    assert line["timestamp"].endswith("Z")
    silent = []
    JsonLogger(env={"POWERTOOLS_LOG_LEVEL": "SILENT"}, write=silent.append).error("x")
    assert silent == []


def test_default_metrics_write_one_emf_line_per_flush():
    lines = []
    metrics = EmfMetrics(env={}, write=lines.append, now=lambda: 1720859923841)
    metrics.flush_metrics()
    assert lines == []  # nothing added, nothing written
    metrics.add_metric("RecordsIn", "Count", 3)
    metrics.add_metric("BytesIn", "Bytes", 10)
    metrics.add_metric("BytesIn", "Bytes", 5)
    metrics.flush_metrics()
    assert json.loads(lines[0]) == {
        "_aws": {"Timestamp": 1720859923841, "CloudWatchMetrics": [{
            "Namespace": "IotCoreFirehosePipeline", "Dimensions": [["service"]],
            "Metrics": [{"Name": "RecordsIn", "Unit": "Count"}, {"Name": "BytesIn", "Unit": "Bytes"}]}]},
        "service": "firehose-parser", "RecordsIn": 3, "BytesIn": [10, 5],
    }
    disabled = []
    off = EmfMetrics(env={"POWERTOOLS_METRICS_DISABLED": "true"}, write=disabled.append)
    off.add_metric("RecordsIn", "Count", 1)
    off.flush_metrics()
    assert disabled == []


def test_default_limit_keeps_a_6_mb_batch_below_6_000_000_bytes():
    # GIVEN 8 records whose rows grow (the parser adds a field) so all of them together exceed the limit
    big = b64(json.dumps({"v": "x" * 700_000}) + "\n")
    logger = CapturingLogger()
    handler = create_parser(lambda m: dict(m.json_object(), pad="y" * 100_000), logger=logger, metrics=CapturingMetrics())
    response = handler(event(*([big] * 8)))
    results = [a["result"] for a in response["records"]]
    # THEN the first records are Ok, the rest answered ProcessingFailed, and the response fits as Python writes it
    assert results[0] == "Ok" and results[-1] == "ProcessingFailed" and set(results) == {"Ok", "ProcessingFailed"}
    assert MAX_RESPONSE_BYTES - 1_100_000 < len(json.dumps(response)) < MAX_RESPONSE_BYTES
    reasons = {extra["reason"] for level, m, extra in logger.lines if level == "WARN" and "reason" in extra}
    assert reasons == {RESPONSE_SIZE_REASON}


def test_parse_error_and_options_say_what_to_change():
    with pytest.raises(ValueError, match="max_response_bytes must be an integer"):
        create_parser(lambda m: m.text, max_response_bytes=10)
    with pytest.raises(TypeError, match="parse must be a function"):
        create_parser("not a function")
    assert str(ParseError("temperature is not a number")) == "temperature is not a number"


def test_partition_key_reason_names_the_key_not_the_value():
    logger = CapturingLogger()
    handler = create_parser(lambda m: m.text, partition_keys=lambda row, m: {"device": row}, logger=logger, metrics=CapturingMetrics())
    handler(event(b64("a/secret")))
    reason = [extra["reason"] for level, m, extra in logger.lines if level == "WARN"][0]
    assert reason == 'partition key "device" contains "/" (it would add S3 key levels); values must be in the safe set'


def test_record_ids_that_json_escapes_are_counted_escaped():
    # GIVEN ids that json.dumps writes longer than themselves, and a limit that fits one row but not two
    ids = ['caf\u00e9-\U0001F600', 'quote"and\\backslash']
    request = event(b64("x" * 40), b64("y" * 40))
    for record, record_id in zip(request["records"], ids):
        record["recordId"] = record_id
    one_row = len(json.dumps({"records": [
        {"recordId": ids[0], "result": "Ok", "data": b64("x" * 40 + "\n")},
        {"recordId": ids[1], "result": "ProcessingFailed", "data": ""},
    ]}))
    handler = create_parser(lambda m: m.text, logger=CapturingLogger(), metrics=CapturingMetrics(), max_response_bytes=one_row + 1)
    # WHEN
    response = handler(request)
    # THEN the first is Ok, the second does not fit, and the response as json.dumps writes it is below the limit
    assert [a["result"] for a in response["records"]] == ["Ok", "ProcessingFailed"]
    assert len(json.dumps(response)) <= one_row
    # AND one byte less does not fit it: the escaped ids are counted in full, not as their characters
    tighter = create_parser(lambda m: m.text, logger=CapturingLogger(), metrics=CapturingMetrics(), max_response_bytes=one_row)
    assert [a["result"] for a in tighter(request)["records"]] == ["ProcessingFailed", "ProcessingFailed"]


def test_sink_gets_rows_grouped_by_partition_keys_and_written_records_are_dropped():
    # GIVEN a sink and rows with partition keys
    calls = []
    metrics = CapturingMetrics()
    handler = create_parser(
        lambda m: m.json_object(),
        partition_keys=lambda row, m: {"site": row["site"]},
        sink=lambda groups, invocation: calls.append((groups, invocation)),
        logger=CapturingLogger(), metrics=metrics,
    )
    request = event(b64('{"site":"a","n":1}'), b64("not json"), b64('{"site":"b","n":2}'), b64(""), b64('{"site":"a","n":3}'))
    # WHEN
    response = handler(request)
    # THEN one sink call with a group per key set, in first-seen order, and the records answered Dropped / failed
    assert len(calls) == 1
    groups, invocation = calls[0]
    assert [(g.partition_keys, g.record_ids, g.data) for g in groups] == [
        ({"site": "a"}, ["r0", "r4"], b'{"site":"a","n":1}\n{"site":"a","n":3}\n'),
        ({"site": "b"}, ["r2"], b'{"site":"b","n":2}\n'),
    ]
    assert (invocation.invocation_id, invocation.first_arrival_timestamp) == ("inv-1", 1720859923841)
    assert [a["result"] for a in response["records"]] == ["Dropped", "ProcessingFailed", "Dropped", "Dropped", "Dropped"]
    assert (metrics.published[0]["RecordsWritten"], metrics.published[0]["RecordsDropped"]) == (3, 4)


def test_a_failing_sink_raises_so_firehose_retries_the_batch():
    logger = CapturingLogger()
    metrics = CapturingMetrics()

    def sink(groups, invocation):
        raise OSError("bucket unreachable")

    handler = create_parser(lambda m: m.text, sink=sink, logger=logger, metrics=metrics)
    with pytest.raises(OSError):
        handler(event(b64("a")))
    assert [m for level, m, extra in logger.lines if level == "ERROR"] == ["Sink write failed; raising so Firehose retries the whole batch"]
    assert metrics.published == [{"SinkFailures": 1}]


def test_a_sink_is_not_called_without_rows():
    calls = []
    handler = create_parser(lambda m: None, sink=lambda g, i: calls.append(g), logger=CapturingLogger(), metrics=CapturingMetrics())
    assert [a["result"] for a in handler(event(b64("a"), b64("")))["records"]] == ["Dropped", "Dropped"]
    assert calls == []
