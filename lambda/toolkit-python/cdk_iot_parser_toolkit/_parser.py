"""``create_parser``: a Firehose data-transformation handler from one ``parse`` function.

The semantics are those of the TypeScript toolkit (lambda/toolkit/parser.ts); the contract vectors under
test/fixtures/contract-vectors/ run against both. Contract:
https://docs.aws.amazon.com/firehose/latest/dev/data-transformation.html (request/response shape, 6 MB limit),
https://docs.aws.amazon.com/firehose/latest/dev/data-transformation-status-model.html (Ok / Dropped /
ProcessingFailed), https://docs.aws.amazon.com/firehose/latest/dev/data-transformation-failure-handling.html
(ProcessingFailed records are written under the error prefix).
"""

import base64
import binascii
import json
import re
from typing import Any, Callable, Dict, List, Optional

from . import _contract
from ._binary import read_binary_envelope
from ._observability import EmfMetrics, JsonLogger

MAX_RESPONSE_BYTES = _contract.MAX_RESPONSE_BYTES

#: The reason recorded for records answered ``ProcessingFailed`` by the response-size guard.
RESPONSE_SIZE_REASON = "response size limit: answered ProcessingFailed so the batch stays below the limit"

_STANDARD_BASE64 = re.compile(rb"[A-Za-z0-9+/]*={0,2}")
_LONE_SURROGATE = re.compile("[\ud800-\udfff]")


class ParseError(Exception):
    """Raise it from ``parse`` / ``serialize`` / ``partition_keys`` to fail the record with a reason that is safe
    to log. The message is logged verbatim, so it must not quote the payload."""


class InvocationInfo:
    """Facts about the invocation (``message.invocation``)."""

    __slots__ = ("invocation_id", "delivery_stream_arn", "region")

    def __init__(self, invocation_id, delivery_stream_arn, region):
        self.invocation_id = invocation_id
        self.delivery_stream_arn = delivery_stream_arn
        self.region = region


class SinkInvocation(InvocationInfo):
    """The invocation as a sink sees it: also ``first_arrival_timestamp`` (of the first record; None for no records)."""

    __slots__ = ("first_arrival_timestamp",)

    def __init__(self, invocation, first_arrival_timestamp):
        InvocationInfo.__init__(self, invocation.invocation_id, invocation.delivery_stream_arn, invocation.region)
        self.first_arrival_timestamp = first_arrival_timestamp


class SinkGroup:
    """Records whose rows a sink must store durably before they are answered ``Dropped``: ``partition_keys`` (the keys
    they share, or None), ``record_ids`` (in input order) and ``data`` (their rows, each ending in ``\\n``, UTF-8 bytes)."""

    __slots__ = ("partition_keys", "record_ids", "data")

    def __init__(self, partition_keys, record_ids, data):
        self.partition_keys = partition_keys
        self.record_ids = record_ids
        self.data = data


def _reject_constant(name):
    raise ValueError("not JSON")


# Made once: json.loads / json.dumps with options build a new decoder / encoder on every call.
_DECODER = json.JSONDecoder(parse_constant=_reject_constant)
_ENCODER = json.JSONEncoder(separators=(",", ":"), ensure_ascii=False, allow_nan=False)
# A recordId that json.dumps writes as itself in quotes (Firehose's ids are digits).
_PLAIN_JSON_STRING = re.compile(r"[ !#-\[\]-~]*")


class ParserMessage:
    """One message: a line of a record (or the whole record with ``split_lines=False``), already decoded."""

    __slots__ = ("text", "index", "record_id", "approximate_arrival_timestamp", "invocation")

    def __init__(self, text, index, record_id, approximate_arrival_timestamp, invocation):
        #: The message text, without its line separator (``\\n`` or ``\\r\\n``).
        self.text = text
        #: Position of the message within its record (0-based, blank lines not counted).
        self.index = index
        #: The Firehose record the message came from.
        self.record_id = record_id
        #: When Firehose received the record, epoch milliseconds.
        self.approximate_arrival_timestamp = approximate_arrival_timestamp
        #: The invocation (``InvocationInfo``).
        self.invocation = invocation

    def json(self):
        """The parsed JSON (RFC 8259 only: ``NaN`` / ``Infinity`` are invalid); raises a ``ParseError`` that
        names only the position on invalid JSON."""
        try:
            return _DECODER.decode(self.text)
        except json.JSONDecodeError as error:
            if error.pos >= len(self.text):
                raise ParseError("invalid JSON: unexpected end of input") from None
            raise ParseError("invalid JSON at position %d" % error.pos) from None
        except ValueError:
            raise ParseError("invalid JSON") from None
        except RecursionError:
            raise ParseError("invalid JSON: nested too deeply") from None

    def json_object(self):
        """Like ``json()``, but fails the record unless the message is a JSON object."""
        value = self.json()
        if not isinstance(value, dict):
            raise ParseError("message is %s, expected a JSON object" % _describe_json(value))
        return value

    def binary_payload(self):
        """A binary pipeline's message (the rule's envelope) as a ``BinaryPayload``: ``bytes``, ``text()``, ``topic``,
        ``client_id``, ``timestamp``; raises a ``ParseError`` when the message is not an envelope."""
        return read_binary_envelope(self.json(), ParseError, _decode_base64_strict)


def _describe_json(value):
    if value is None:
        return "JSON null"
    if isinstance(value, list):
        return "a JSON array"
    if isinstance(value, bool):
        return "a JSON boolean"
    if isinstance(value, (int, float)):
        return "a JSON number"
    return "a JSON string"


def _escape_lone_surrogates(text):
    """JSON text with lone surrogates (from JSON input such as ``"\\ud800"``) escaped as ``\\udxxx``, as
    JavaScript's ``JSON.stringify`` writes them, so the line can be UTF-8 encoded."""
    return _LONE_SURROGATE.sub(lambda m: "\\u%04x" % ord(m.group()), text)


def default_serialize(row):
    """Strings as-is, anything else compact JSON with non-ASCII characters kept (``JSON.stringify``'s form)."""
    if isinstance(row, str):
        return row
    return _escape_lone_surrogates(_ENCODER.encode(row))


def _failure_reason(error):
    if isinstance(error, ParseError):
        return str(error)
    if isinstance(error, (json.JSONDecodeError, UnicodeError)):
        # Their messages may quote the input.
        return "%s (message withheld: it may quote the payload)" % type(error).__name__
    return ("%s: %s" % (type(error).__name__, error))[:200]


def _decode_base64_strict(data):
    """Standard, padded base64 (RFC 4648 section 4), or None."""
    if not isinstance(data, str) or len(data) % 4 != 0:
        return None
    try:
        raw = data.encode("ascii")
    except UnicodeEncodeError:
        return None
    if _STANDARD_BASE64.fullmatch(raw) is None:
        return None
    try:
        return binascii.a2b_base64(raw)  # every character already checked above
    except (binascii.Error, ValueError):
        return None


def _is_blank(line):
    """Only JSON whitespace (space, TAB, CR, LF): not str.isspace, which counts other characters too."""
    return line.strip(" \t\r\n") == ""


def _canonical_partition_keys(keys):
    if keys is None:
        return None
    if not isinstance(keys, dict):
        raise ParseError("partition_keys() must return a dict of strings")
    if not keys:
        return None
    canonical = {}
    for name in sorted(keys):
        value = keys[name]
        if not isinstance(name, str):
            raise ParseError("partition_keys() must return a dict of strings")
        if not isinstance(value, str):
            raise ParseError('partition key "%s" is not a string' % name)
        problem = _contract.partition_key_value_problem(value)
        if problem is not None:
            raise ParseError('partition key "%s" %s; values must be in the safe set' % (name, problem))
        canonical[name] = value
    return canonical


def _json_size(value):
    """Bytes of ``value`` as Python's ``json.dumps`` writes it by default (ASCII escapes, ``", "`` and ``": "``
    separators): never smaller than the compact UTF-8 form, so a response counted this way fits however the
    runtime serializes it."""
    return len(json.dumps(value))


_ENTRY_SIZES = {
    result: _json_size({"recordId": "", "result": result, "data": ""}) - 2
    for result in ("Ok", "Dropped", "ProcessingFailed")
}
# `, "metadata": {"partitionKeys": <keys>}` without `<keys>`.
_METADATA_OVERHEAD = _json_size({"metadata": {"partitionKeys": {}}}) - 2 - 2 + 2
_ENVELOPE = _json_size({"records": []})
_SEPARATOR = len(", ")


class _Answers:
    """The answers of one invocation, settled strictly in input order. Before settling record ``i``,
    ``reserve`` holds the size of empty ``ProcessingFailed`` answers for records ``i..n-1``, so an answer is only
    accepted when every later record can still be answered."""

    def __init__(self, records, limit, max_logged_failures):
        self.records = []
        self.ok = self.dropped = self.failed = self.overflowed = self.bytes_out = 0
        self.failures = []
        self._input = records
        self._limit = limit
        self._max_logged = max_logged_failures
        self._id_bytes = []
        self._reserve = 0
        for i, record in enumerate(records):
            record_id = record.get("recordId") if isinstance(record, dict) else None
            if not isinstance(record_id, str):
                raise TypeError("Invalid Firehose transformation event: record %d has no string recordId" % i)
            size = len(record_id) + 2 if _PLAIN_JSON_STRING.fullmatch(record_id) else _json_size(record_id)
            self._id_bytes.append(size)
            self._reserve += size + _ENTRY_SIZES["ProcessingFailed"]
        self.used = _ENVELOPE + max(0, len(records) - 1) * _SEPARATOR
        if self.used + self._reserve >= limit:
            raise ValueError("Cannot answer %d records below %d bytes even with empty answers; the batch is retried"
                             % (len(records), limit))

    def _take(self):
        i = len(self.records)
        self._reserve -= self._id_bytes[i] + _ENTRY_SIZES["ProcessingFailed"]
        return i

    def rows(self, data, keys):
        i = self._take()
        encoded = base64.b64encode(data).decode("ascii")
        size = self._id_bytes[i] + _ENTRY_SIZES["Ok"] + len(encoded)
        if keys is not None:
            size += _METADATA_OVERHEAD + _json_size(keys)
        if self.used + size + self._reserve >= self._limit:
            self.overflowed += 1
            self._failed(i, RESPONSE_SIZE_REASON)
            return
        answer = {"recordId": self._input[i]["recordId"], "result": "Ok", "data": encoded}
        if keys is not None:
            answer["metadata"] = {"partitionKeys": keys}
        self.records.append(answer)
        self.used += size
        self.ok += 1
        self.bytes_out += len(data)

    def drop(self):
        i = self._take()
        self.records.append({"recordId": self._input[i]["recordId"], "result": "Dropped", "data": ""})
        self.used += self._id_bytes[i] + _ENTRY_SIZES["Dropped"]
        self.dropped += 1

    def fail(self, reason):
        self._failed(self._take(), reason)

    def _failed(self, i, reason):
        record_id = self._input[i]["recordId"]
        self.records.append({"recordId": record_id, "result": "ProcessingFailed", "data": ""})
        self.used += self._id_bytes[i] + _ENTRY_SIZES["ProcessingFailed"]
        self.failed += 1
        if len(self.failures) < self._max_logged:
            self.failures.append({"recordId": record_id, "index": i, "reason": reason})


class _Rows:
    __slots__ = ("data", "keys")

    def __init__(self, data, keys):
        self.data = data
        self.keys = keys


class _Failed:
    __slots__ = ("reason",)

    def __init__(self, reason):
        self.reason = reason


_NO_ROWS = object()


def create_parser(
    parse,  # type: Callable[[ParserMessage], Any]
    serialize=None,  # type: Optional[Callable[[Any], str]]
    partition_keys=None,  # type: Optional[Callable[[Any, ParserMessage], Optional[Dict[str, str]]]]
    split_lines=True,  # type: bool
    max_response_bytes=MAX_RESPONSE_BYTES,  # type: int
    logger=None,
    metrics=None,
    max_logged_failures=10,  # type: int
    sink=None,  # type: Optional[Callable[[List[SinkGroup], SinkInvocation], None]]
):
    """Builds a Firehose transformation handler ``handler(event, context=None)`` from a ``parse`` function.

    - ``parse(message)`` turns one ``ParserMessage`` into a row, a list of rows, or nothing (``None`` / ``[]``).
      Raise to fail the whole record (``ProcessingFailed``); nothing for every message of a record drops it.
    - ``serialize(row)`` returns one line without terminator (default: strings as-is, else compact JSON).
    - ``partition_keys(row, message)`` returns ``{name: value}`` for dynamic partitioning, or ``None``.
    - ``split_lines``: split each record on ``\\n`` (a trailing ``\\r`` removed, blank lines skipped).
    - ``max_response_bytes``: exclusive upper bound of the serialized response (default 6,000,000).
    - ``logger`` / ``metrics``: anything with ``info``/``warning``/``error(message, extra=dict)`` and
      ``add_metric(name, unit, value)`` / ``flush_metrics()`` (Powertools' ``Logger`` / ``Metrics`` fit);
      default: JSON lines and CloudWatch EMF on stdout.
    - ``sink(groups, invocation)``: store the rows yourself instead of answering them ``Ok``. Called once per
      invocation with one ``SinkGroup`` per distinct partition-key set, when any record has rows; when it returns,
      those records are answered ``Dropped``; when it raises, the handler raises and Firehose retries the batch
      (delivery is at-least-once: name what you write after the records, so that a retry overwrites it).

    Every input record is answered exactly once, in input order. The handler raises only when the whole batch
    must be retried: a malformed event, or a batch that cannot be answered below the limit even with empty answers.
    """
    if not callable(parse):
        raise TypeError("create_parser: parse must be a function parse(message) -> row, list of rows or None")
    if isinstance(max_response_bytes, bool) or not isinstance(max_response_bytes, int) or max_response_bytes <= _ENVELOPE:
        raise ValueError("max_response_bytes must be an integer above %d, got %r" % (_ENVELOPE, max_response_bytes))
    serialize_row = serialize or default_serialize
    log = logger if logger is not None else JsonLogger()
    metric = metrics if metrics is not None else EmfMetrics()

    def parse_record(record, invocation, counters):
        data = _decode_base64_strict(record.get("data"))
        if data is None:
            return _Failed("data is not valid base64")
        counters[0] += len(data)
        try:
            text = data.decode("utf-8")
        except UnicodeDecodeError:
            return _Failed("data is not valid UTF-8")
        if text.startswith("\ufeff"):
            text = text[1:]
        record_id = record["recordId"]
        arrival = record.get("approximateArrivalTimestamp")
        out = []  # type: List[str]
        keys = None
        keys_canonical = None
        index = 0
        try:
            for line in (text.split("\n") if split_lines else [text]):
                if split_lines:
                    if line.endswith("\r"):
                        line = line[:-1]
                    if _is_blank(line):
                        continue
                elif line == "":
                    continue
                message = ParserMessage(line, index, record_id, arrival, invocation)
                index += 1
                result = parse(message)
                if result is None:
                    continue
                for row in (result if isinstance(result, (list, tuple)) else (result,)):
                    serialized = serialize_row(row)
                    if not isinstance(serialized, str):
                        raise ParseError("serialize() did not return a string")
                    out.append(serialized)
                    if partition_keys is not None:
                        k = _canonical_partition_keys(partition_keys(row, message))
                        canonical = "" if k is None else json.dumps(k)
                        if len(out) == 1:
                            keys, keys_canonical = k, canonical
                        elif canonical != keys_canonical:
                            raise ParseError("rows of one record have different partition keys")
            if not out:
                return _NO_ROWS
            encoded = ("\n".join(out) + "\n").encode("utf-8")
        except Exception as error:  # a bad record fails alone
            return _Failed(_failure_reason(error))
        return _Rows(encoded, keys)

    def handler(event, context=None):
        records = event.get("records") if isinstance(event, dict) else None
        if not isinstance(records, list):
            raise TypeError('Invalid Firehose transformation event: "records" is not a list')
        invocation = InvocationInfo(event.get("invocationId"), event.get("deliveryStreamArn"), event.get("region"))
        log_context = {"invocationId": event.get("invocationId"), "awsRequestId": getattr(context, "aws_request_id", None)}
        answers = _Answers(records, max_response_bytes, max_logged_failures)
        counters = [0]
        written = 0
        if sink is None:
            for record in records:
                outcome = parse_record(record, invocation, counters)
                if isinstance(outcome, _Rows):
                    answers.rows(outcome.data, outcome.keys)
                elif outcome is _NO_ROWS:
                    answers.drop()
                else:
                    answers.fail(outcome.reason)
        else:
            # Parse everything, store the rows through the sink, then answer: written records Dropped.
            outcomes = [parse_record(record, invocation, counters) for record in records]
            groups = {}  # type: Dict[str, SinkGroup]
            for record, outcome in zip(records, outcomes):
                if isinstance(outcome, _Rows):
                    key = "" if outcome.keys is None else json.dumps(outcome.keys)
                    group = groups.get(key)
                    if group is None:
                        group = groups[key] = SinkGroup(outcome.keys, [], [])
                    group.record_ids.append(record["recordId"])
                    group.data.append(outcome.data)
            batch = [SinkGroup(g.partition_keys, g.record_ids, b"".join(g.data)) for g in groups.values()]
            if batch:
                first = records[0].get("approximateArrivalTimestamp")
                try:
                    sink(batch, SinkInvocation(invocation, first))
                except Exception as error:
                    fields = dict(log_context)
                    fields.update({"groups": len(batch), "error": _failure_reason(error)})
                    log.error("Sink write failed; raising so Firehose retries the whole batch", extra=fields)
                    metric.add_metric("SinkFailures", "Count", 1)
                    metric.flush_metrics()
                    raise
                for group in batch:
                    written += len(group.record_ids)
                    answers.bytes_out += len(group.data)
            for outcome in outcomes:
                if isinstance(outcome, _Failed):
                    answers.fail(outcome.reason)
                else:
                    answers.drop()

        for failure in answers.failures:
            fields = dict(log_context)
            fields.update(failure)
            log.warning("Record answered ProcessingFailed", extra=fields)
        if answers.failed > len(answers.failures):
            fields = dict(log_context)
            fields.update({"failed": answers.failed, "logged": len(answers.failures)})
            log.warning("More records answered ProcessingFailed than logged one by one", extra=fields)
        summary = dict(log_context)
        summary.update({
            "records": len(records), "ok": answers.ok, "dropped": answers.dropped, "failed": answers.failed,
            "overflowed": answers.overflowed, "written": written, "bytesIn": counters[0], "bytesOut": answers.bytes_out,
            "responseBytes": answers.used,
        })
        log.info("Batch answered", extra=summary)
        metric.add_metric("RecordsIn", "Count", len(records))
        metric.add_metric("RecordsOk", "Count", answers.ok)
        metric.add_metric("RecordsDropped", "Count", answers.dropped)
        metric.add_metric("RecordsFailed", "Count", answers.failed)
        metric.add_metric("RecordsOverflowed", "Count", answers.overflowed)
        if sink is not None:
            metric.add_metric("RecordsWritten", "Count", written)
        metric.add_metric("BytesIn", "Bytes", counters[0])
        metric.add_metric("BytesOut", "Bytes", answers.bytes_out)
        metric.flush_metrics()
        return {"records": answers.records}

    return handler
