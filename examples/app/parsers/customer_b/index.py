"""Customer B's parser: the write-up's Python Lambda, done right.

Implements the Kinesis Data Firehose data-transformation contract: every input record is answered exactly
once, in order, with ``Ok`` (transformed data), ``Dropped`` (nothing to deliver) or ``ProcessingFailed`` (the
record cannot be parsed; Firehose keeps it under ``<errorOutputPrefix>processing-failed/``). A bad record
never fails the batch, and payloads are never logged.

Input records are what the pipeline's IoT rule forwards: ``{"topic": "<topic>/<device>", ...payload}``
followed by a newline (several messages may share a record). Output: one JSON object per line with the
device id, the reading fields and the arrival time.
"""

import base64
import binascii
import json
import logging
import os

LOGGER = logging.getLogger()
LOGGER.setLevel(os.environ.get("LOG_LEVEL", "INFO"))

# Lambda returns at most 6 MB synchronously; stay below like the AWS blueprints do.
MAX_RESPONSE_BYTES = 6_000_000


class ParseError(Exception):
    """A record that cannot be parsed; the message must not contain payload."""


def transform(message: dict, arrival_ms: int) -> dict:
    """One parsed row from one IoT message."""
    topic = message.get("topic")
    if not isinstance(topic, str) or "/" not in topic:
        raise ParseError("message has no topic with a device level")
    reading = message.get("reading", message)
    temperature = reading.get("temperature")
    if temperature is not None and not isinstance(temperature, (int, float)):
        raise ParseError("temperature is not a number")
    return {
        "device": topic.split("/")[1],
        "temperature": temperature,
        "message": message.get("message"),
        "arrival_timestamp": arrival_ms,
    }


def parse_record(record: dict) -> bytes:
    """The transformed bytes of one record (empty when it holds no message)."""
    try:
        text = base64.b64decode(record["data"], validate=True).decode("utf-8")
    except (binascii.Error, UnicodeDecodeError, KeyError, TypeError) as error:
        raise ParseError(f"data is not base64-encoded UTF-8 ({type(error).__name__})") from None
    rows = []
    for line in text.split("\n"):
        if not line.strip():
            continue
        try:
            message = json.loads(line)
        except json.JSONDecodeError as error:
            raise ParseError(f"invalid JSON at position {error.pos}") from None
        if not isinstance(message, dict):
            raise ParseError("message is not a JSON object")
        rows.append(json.dumps(transform(message, record.get("approximateArrivalTimestamp", 0)), separators=(",", ":")))
    return "".join(row + "\n" for row in rows).encode("utf-8")


def handler(event, context=None):
    records = event.get("records", [])
    answers = []
    used = len('{"records":[]}')
    counts = {"Ok": 0, "Dropped": 0, "ProcessingFailed": 0}
    for record in records:
        record_id = record.get("recordId")
        try:
            data = parse_record(record)
            answer = (
                {"recordId": record_id, "result": "Ok", "data": base64.b64encode(data).decode("ascii")}
                if data
                else {"recordId": record_id, "result": "Dropped", "data": ""}
            )
        except ParseError as error:
            LOGGER.warning(json.dumps({"event": "record failed", "recordId": record_id, "reason": str(error)}))
            answer = {"recordId": record_id, "result": "ProcessingFailed", "data": ""}
        size = len(json.dumps(answer)) + 1
        # Records that would push the response past the limit are failed (kept by Firehose), not lost.
        reserve = (len(records) - len(answers) - 1) * (len(json.dumps({"recordId": "", "result": "ProcessingFailed", "data": ""})) + 60)
        if answer["result"] == "Ok" and used + size + reserve >= MAX_RESPONSE_BYTES:
            answer = {"recordId": record_id, "result": "ProcessingFailed", "data": ""}
            size = len(json.dumps(answer)) + 1
        used += size
        counts[answer["result"]] += 1
        answers.append(answer)
    LOGGER.info(json.dumps({"event": "batch answered", "records": len(records), **counts}))
    return {"records": answers}
