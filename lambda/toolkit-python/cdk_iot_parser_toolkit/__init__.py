"""Firehose-contract parser toolkit for Python: write a Kinesis Data Firehose data-transformation Lambda as one
``parse`` function. Standard library only, Python 3.9 or newer. The same semantics as the TypeScript toolkit
(``cdk-iot-core-firehose-pipeline/parser-toolkit``); names map one to one:

=====================================  ==============================================
TypeScript                             Python
=====================================  ==============================================
``createParser<Row>({ parse, ... })``  ``create_parser(parse, ...)``
``parse(message, invocation)``         ``parse(message)``; ``message.invocation``
``serialize(row)``                     ``serialize(row)``
``partitionKeys(row, message)``        ``partition_keys(row, message)``
``splitLines``                         ``split_lines``
``maxResponseBytes``                   ``max_response_bytes``
``maxLoggedFailures``                  ``max_logged_failures``
``logger`` / ``metrics``               ``logger`` / ``metrics`` (Powertools for Python fits)
``ParseError``                         ``ParseError``
``message.text`` / ``index``           ``message.text`` / ``index``
``message.recordId``                   ``message.record_id``
``message.approximateArrivalTimestamp``  ``message.approximate_arrival_timestamp``
``message.json()`` / ``jsonObject()``  ``message.json()`` / ``json_object()``
``message.binaryPayload()``            ``message.binary_payload()`` (``bytes``, ``text()``, ``client_id``, ...)
``csvCell`` / ``csvLine``              ``csv_cell`` / ``csv_line``
``MAX_RESPONSE_BYTES``                 ``MAX_RESPONSE_BYTES``
``RESPONSE_SIZE_REASON``               ``RESPONSE_SIZE_REASON``
``sink(groups, invocation)`` (async)   ``sink(groups, invocation)`` (synchronous; ``data`` is bytes)
=====================================  ==============================================

See README.md next to this package.
"""

from ._binary import BinaryPayload
from ._contract import DEFAULT_SERVICE_NAME, METRICS_NAMESPACE as DEFAULT_METRICS_NAMESPACE
from ._csv import CSV_FORMULA_ESCAPE, csv_cell, csv_line
from ._observability import EmfMetrics, JsonLogger
from ._parser import (
    MAX_RESPONSE_BYTES,
    RESPONSE_SIZE_REASON,
    InvocationInfo,
    ParseError,
    ParserMessage,
    SinkGroup,
    SinkInvocation,
    create_parser,
    default_serialize,
)

__all__ = [
    "BinaryPayload",
    "CSV_FORMULA_ESCAPE",
    "DEFAULT_METRICS_NAMESPACE",
    "DEFAULT_SERVICE_NAME",
    "EmfMetrics",
    "InvocationInfo",
    "JsonLogger",
    "MAX_RESPONSE_BYTES",
    "ParseError",
    "ParserMessage",
    "RESPONSE_SIZE_REASON",
    "SinkGroup",
    "SinkInvocation",
    "create_parser",
    "csv_cell",
    "csv_line",
    "default_serialize",
]
