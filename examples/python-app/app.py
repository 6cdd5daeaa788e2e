"""Example CDK app in Python: consumes the jsii-built package `cdk_iot_core_firehose_pipeline` as a user would.

Three stacks:
- ``Telemetry``: the README snippet, verbatim (between the README markers below): reference parser, JSON Lines,
  alarms without a dashboard, one customer-managed KMS key.
- ``CustomParsers``: the reference parser with CSV output, and ``Parser.from_function`` with a Python Lambda
  function (inline code) that implements the Firehose data-transformation contract; default monitoring and
  AWS-managed encryption.

- ``Queryable``: two pipelines with a queryable table in one Glue database: JSON Lines (nested, decimal columns,
  a workgroup with its own cutoff and expiry) and Parquet with dynamic partitioning (known partition values).
- ``Fleet``: fleet provisioning by claim: devices manufactured with one claim certificate obtain their own
  certificate and thing ``lathe-<SerialNumber>`` on first boot, vetted by a pre-provisioning hook (inline code).
- ``Binary``: devices that do not send JSON: CBOR decoded by the reference parser (with a queryable table), and
  Protobuf decoded by AWS IoT in the rule with the FileDescriptorSet in ``schemas/``.

Synthesize with ``python app.py`` (offline, no AWS credentials); ``tests/`` asserts on the templates.
"""
# [README:python]
from aws_cdk import App, Duration, Size, Stack
from cdk_iot_core_firehose_pipeline import (
    BufferingOptions, IotCoreFirehosePipeline, MonitoringOptions, ParsedFormat, Parser, PipelineEncryption,
)

app = App()
stack = Stack(app, "Telemetry")
pipeline = IotCoreFirehosePipeline(stack, "Pipeline",
    topic="iot-test-topic",
    buffering=BufferingOptions(interval=Duration.seconds(60), size=Size.mebibytes(1)),
    parser=Parser.reference(format=ParsedFormat.json_lines(topic_segment_fields=["device"])),
    monitoring=MonitoringOptions(alarms=True, dashboard=False),
    encryption=PipelineEncryption.customer_managed(),
)
# [/README:python]

from aws_cdk import aws_lambda as lambda_  # noqa: E402

# The Firehose data-transformation contract: for every input record answer the same recordId with
# result Ok (data = base64 of the output), Dropped, or ProcessingFailed. The IoT rule puts the message
# JSON (with its `topic`) plus "\n" into each record; the output is one CSV line per record.
PARSER_CODE = '''\
import base64
import json


def handler(event, context):
    records = []
    for record in event["records"]:
        try:
            message = json.loads(base64.b64decode(record["data"]))
            device = message["topic"].rsplit("/", 1)[-1]
            line = "%s,%s\\n" % (device, float(message["temperature"]))
            records.append({"recordId": record["recordId"], "result": "Ok",
                            "data": base64.b64encode(line.encode("utf-8")).decode("ascii")})
        except (ValueError, KeyError, TypeError, AttributeError):
            records.append({"recordId": record["recordId"], "result": "ProcessingFailed", "data": record["data"]})
    return {"records": records}
'''

custom = Stack(app, "CustomParsers")

csv_pipeline = IotCoreFirehosePipeline(custom, "CsvPipeline",
    topic="plant/line-1",
    thing_name="line-1-gateway",
    buffering=BufferingOptions(interval=Duration.seconds(120), size=Size.mebibytes(8)),
    parser=Parser.reference(
        format=ParsedFormat.csv(columns=["machine", "temperature", "reading.humidity"]),
        retries=5,
        memory_size=1024,
    ),
)

parser_function = lambda_.Function(custom, "PythonParser",
    runtime=lambda_.Runtime.PYTHON_3_12,
    architecture=lambda_.Architecture.ARM_64,
    handler="index.handler",
    code=lambda_.Code.from_inline(PARSER_CODE),
    timeout=Duration.minutes(1),
    description="Firehose transformation: IoT JSON to CSV lines (device,temperature)",
)

function_pipeline = IotCoreFirehosePipeline(custom, "FunctionPipeline",
    topic="fleet/sensors",
    parser=Parser.from_function(parser_function,
        buffer_interval=Duration.seconds(30),
        buffer_size=Size.kibibytes(256),
        retries=0,
        file_extension=".csv",
    ),
)

from cdk_iot_core_firehose_pipeline import (  # noqa: E402
    Column, ColumnType, ParquetCompression, PartitionKey, TableFormat, TableOptions, WorkGroupOptions,
)

queryable = Stack(app, "Queryable")

json_table_pipeline = IotCoreFirehosePipeline(queryable, "JsonTable",
    topic="plant/json",
    parser=Parser.reference(format=ParsedFormat.json_lines(topic_segment_fields=["device"])),
    table=TableOptions(
        database_name="plant",
        columns=[
            Column(name="device", type=ColumnType.STRING, comment="topic level after the base topic"),
            Column(name="reading", type=ColumnType.struct([
                Column(name="celsius", type=ColumnType.DOUBLE),
                Column(name="tags", type=ColumnType.array(ColumnType.STRING)),
            ])),
            Column(name="price", type=ColumnType.decimal(10, 2)),
            Column(name="arrival_timestamp", type=ColumnType.BIGINT),
        ],
        work_group=WorkGroupOptions(bytes_scanned_cutoff_per_query=Size.gibibytes(1), results_expiration=Duration.days(7)),
    ),
)

parquet_pipeline = IotCoreFirehosePipeline(queryable, "ParquetTable",
    topic="plant/lines",
    dynamic_partitioning=True,
    parser=Parser.reference(partition_keys=[PartitionKey.topic_level("line", 2)]),
    table=TableOptions(
        database_name="plant",
        table_name="line_telemetry",
        columns=[Column(name="temp", type=ColumnType.DOUBLE), Column(name="arrival_timestamp", type=ColumnType.BIGINT)],
        format=TableFormat.parquet(compression=ParquetCompression.GZIP),
        partition_key_values={"line": ["line-1", "line-2"]},
    ),
)

from cdk_iot_core_firehose_pipeline import DeviceCertificate  # noqa: E402

# AWS IoT's pre-provisioning hook contract: the event carries the RegisterThing parameters; provisioning proceeds
# only when the answer has "allowProvisioning": true, given within 5 seconds.
HOOK_CODE = '''\
import re


def handler(event, context):
    serial = (event.get("parameters") or {}).get("SerialNumber")
    return {"allowProvisioning": isinstance(serial, str) and re.fullmatch(r"LT-[0-9]{6}", serial) is not None}
'''

fleet_stack = Stack(app, "Fleet")

fleet_pipeline = IotCoreFirehosePipeline(fleet_stack, "Pipeline", topic="factory/telemetry")

hook_function = lambda_.Function(fleet_stack, "LathesHook",
    runtime=lambda_.Runtime.PYTHON_3_12,
    architecture=lambda_.Architecture.ARM_64,
    handler="index.handler",
    code=lambda_.Code.from_inline(HOOK_CODE),
    timeout=Duration.seconds(5),
    description="Pre-provisioning hook: only serial numbers LT-<6 digits> are provisioned",
)

fleet = fleet_pipeline.add_fleet_provisioning("Lathes",
    template_name="lathes",
    thing_name_prefix="lathe-",
    attributes=["Model"],
    pre_provisioning_hook=hook_function,
    claim_certificate=DeviceCertificate.generated(),
)

import pathlib  # noqa: E402

from cdk_iot_core_firehose_pipeline import PayloadDecoder, PayloadFormat  # noqa: E402

SCHEMAS = pathlib.Path(__file__).resolve().parent / "schemas"

binary_stack = Stack(app, "Binary")

cbor_pipeline = IotCoreFirehosePipeline(binary_stack, "Cbor",
    topic="grid/meters",
    payload=PayloadFormat.binary(),
    parser=Parser.reference(decoder=PayloadDecoder.cbor()),
    table=TableOptions(columns=[Column(name="kwh", type=ColumnType.DOUBLE), Column(name="device_id", type=ColumnType.STRING)]),
)

protobuf_pipeline = IotCoreFirehosePipeline(binary_stack, "Protobuf",
    topic="factory/lathes",
    payload=PayloadFormat.protobuf(
        descriptor_set=str(SCHEMAS / "telemetry.binpb"),
        message_type="factory.v1.Telemetry",
    ),
)

if __name__ == "__main__":
    app.synth()
