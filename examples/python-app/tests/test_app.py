"""Asserts on the templates that the Python example app (../app.py) synthesizes with the jsii-built wheel.

Run through ../run-tests.sh, which installs dist/python/*.whl, aws-cdk-lib and constructs into a fresh venv.
"""
import base64
import importlib.metadata
import json
import pathlib
import re
import runpy
import sys

import pytest
from aws_cdk import App, Stack
from aws_cdk.assertions import Capture, Match, Template

APP_DIR = pathlib.Path(__file__).resolve().parent.parent
REPO_ROOT = APP_DIR.parent.parent
sys.path.insert(0, str(APP_DIR))

import app as example  # noqa: E402  (the app module builds both stacks on import; it synthesizes only as __main__)

import cdk_iot_core_firehose_pipeline as lib  # noqa: E402

PIPELINE_PREFIXES = {
    "data": "parsed/year=!{timestamp:yyyy}/month=!{timestamp:MM}/day=!{timestamp:dd}/hour=!{timestamp:HH}/",
    "error": "errors/!{firehose:error-output-type}/year=!{timestamp:yyyy}/month=!{timestamp:MM}/day=!{timestamp:dd}/hour=!{timestamp:HH}/",
    "raw": "raw/year=!{timestamp:yyyy}/month=!{timestamp:MM}/day=!{timestamp:dd}/hour=!{timestamp:HH}/",
}


@pytest.fixture(scope="module")
def telemetry() -> Template:
    return Template.from_stack(example.stack)


@pytest.fixture(scope="module")
def custom() -> Template:
    return Template.from_stack(example.custom)


def iot_arn(resource: str) -> dict:
    """The ARN `arn:<partition>:iot:<region>:<account>:<resource>` as the template renders it."""
    return {"Fn::Join": ["", [
        "arn:", {"Ref": "AWS::Partition"}, ":iot:", {"Ref": "AWS::Region"}, ":", {"Ref": "AWS::AccountId"},
        ":" + resource,
    ]]}


def resolve(stack: Stack, value):
    return stack.resolve(value)


def processor_parameters(template: Template, stream_id: str) -> dict:
    stream = template.to_json()["Resources"][stream_id]
    processing = stream["Properties"]["ExtendedS3DestinationConfiguration"]["ProcessingConfiguration"]
    assert processing["Enabled"] is True
    assert len(processing["Processors"]) == 1
    processor = processing["Processors"][0]
    assert processor["Type"] == "Lambda"
    return {p["ParameterName"]: p["ParameterValue"] for p in processor["Parameters"]}


# --- the packages under test ----------------------------------------------------------------------------------

def test_runs_against_the_peer_floor_and_the_built_wheel():
    assert importlib.metadata.version("aws-cdk-lib") == "2.222.0"
    assert importlib.metadata.version("constructs") == "10.5.1"
    wheel = importlib.metadata.distribution("cdk-iot-core-firehose-pipeline")
    requires = " ".join(wheel.requires or [])
    assert "aws-cdk-lib" in requires and ">=2.222.0" in requires
    assert pathlib.Path(lib.__file__).resolve().is_relative_to(pathlib.Path(sys.prefix).resolve()), \
        "the library must come from the venv (the wheel), not from the work tree"


# --- Telemetry stack: the README snippet, reference parser with JSON Lines, alarms only, customer-managed key ---

def key_arn() -> dict:
    return resolve(example.stack, example.pipeline.encryption_key.key_arn)


def test_thing_is_named_after_the_construct_path(telemetry):
    name = example.pipeline.thing_name
    assert re.fullmatch(r"Telemetry-Pipeline-Device-[0-9A-F]{8}", name), name
    telemetry.resource_count_is("AWS::IoT::Thing", 1)
    telemetry.has_resource_properties("AWS::IoT::Thing", {"ThingName": name})
    telemetry.has_output("*", {"Value": name, "Description": "Thing name = MQTT client id"})


def test_device_policy_allows_connect_as_the_thing_and_publish_to_the_topic_only(telemetry):
    telemetry.resource_count_is("AWS::IoT::Policy", 1)
    telemetry.has_resource_properties("AWS::IoT::Policy", {"PolicyDocument": Match.object_equals({
        "Version": "2012-10-17",
        "Statement": [
            {"Sid": "ConnectAsTheThing", "Effect": "Allow", "Action": "iot:Connect",
             "Resource": iot_arn("client/" + example.pipeline.thing_name),
             # only with a certificate that is attached to the thing
             "Condition": {"Bool": {"iot:Connection.Thing.IsAttached": "true"}}},
            {"Sid": "PublishTelemetry", "Effect": "Allow", "Action": "iot:Publish",
             "Resource": [iot_arn("topic/iot-test-topic"), iot_arn("topic/iot-test-topic/*")]},
        ],
    })})
    # generated certificate (the default): attached to the thing and to the policy
    telemetry.resource_count_is("Custom::IotDeviceCertificate", 1)
    telemetry.resource_count_is("AWS::IoT::ThingPrincipalAttachment", 1)
    telemetry.has_resource_properties("AWS::IoT::PolicyPrincipalAttachment", {
        "PolicyName": {"Ref": example.stack.resolve(example.stack.get_logical_id(example.pipeline.device_policy))},
    })


def test_topic_rule_forwards_to_firehose_and_sends_errors_to_the_raw_bucket(telemetry):
    stack, pipeline = example.stack, example.pipeline
    role = Capture()
    # the topic rule, and the rule that keeps payloads with their own "topic" in the raw bucket
    telemetry.resource_count_is("AWS::IoT::TopicRule", 2)
    telemetry.has_resource_properties("AWS::IoT::TopicRule", {"TopicRulePayload": Match.object_like({
        "Sql": "SELECT * FROM 'iot-test-topic/+' WHERE NOT isUndefined(topic)"})})
    telemetry.has_resource_properties("AWS::IoT::TopicRule", {"TopicRulePayload": {
        "Sql": "SELECT topic() as topic, * FROM 'iot-test-topic/+' WHERE isUndefined(topic)",
        "AwsIotSqlVersion": "2016-03-23",
        "RuleDisabled": False,
        "Actions": [{"Firehose": {
            "DeliveryStreamName": resolve(stack, pipeline.delivery_stream.delivery_stream_name),
            "RoleArn": role,
            "Separator": "\n",
        }}],
        "ErrorAction": {"S3": {
            "BucketName": resolve(stack, pipeline.raw_bucket.bucket_name),
            "Key": Match.string_like_regexp(r"^iot-rule-errors/\$\{parse_time\(.*\)\}/\$\{newuuid\(\)\}\.json$"),
            "RoleArn": Match.any_value(),
        }},
    }})
    role_id = role.as_object()["Fn::GetAtt"][0]
    # the rule role may put records into exactly this stream and write rule errors under iot-rule-errors/
    telemetry.has_resource_properties("AWS::IAM::Policy", {
        "Roles": [{"Ref": role_id}],
        "PolicyDocument": {"Statement": [
            {"Action": "firehose:PutRecord", "Effect": "Allow",
             "Resource": resolve(stack, pipeline.delivery_stream.delivery_stream_arn)},
            {"Action": "s3:PutObject", "Effect": "Allow",
             "Resource": {"Fn::Join": ["", [resolve(stack, pipeline.raw_bucket.bucket_arn), "/iot-rule-errors/*"]]}},
            # the customer-managed key: through S3 only, for the raw bucket only
            {"Action": "kms:GenerateDataKey", "Effect": "Allow", "Resource": key_arn(), "Condition": {
                "StringEquals": {"kms:ViaService": {"Fn::Join": ["", ["s3.", {"Ref": "AWS::Region"}, ".amazonaws.com"]]}},
                "StringLike": {"kms:EncryptionContext:aws:s3:arn": [
                    resolve(stack, pipeline.raw_bucket.bucket_arn),
                    {"Fn::Join": ["", [resolve(stack, pipeline.raw_bucket.bucket_arn), "/*"]]}]},
            }},
        ]},
    })


def test_delivery_stream_buffers_compresses_backs_up_and_invokes_the_reference_parser(telemetry):
    stack, pipeline = example.stack, example.pipeline
    telemetry.resource_count_is("AWS::KinesisFirehose::DeliveryStream", 1)
    telemetry.has_resource_properties("AWS::KinesisFirehose::DeliveryStream", {
        "DeliveryStreamType": "DirectPut",
        "DeliveryStreamEncryptionConfigurationInput": {"KeyType": "CUSTOMER_MANAGED_CMK", "KeyARN": key_arn()},
        "ExtendedS3DestinationConfiguration": {
            "BucketARN": resolve(stack, pipeline.parsed_bucket.bucket_arn),
            "EncryptionConfiguration": {"KMSEncryptionConfig": {"AWSKMSKeyARN": key_arn()}},
            "BufferingHints": {"IntervalInSeconds": 60, "SizeInMBs": 1},
            "CompressionFormat": "GZIP",
            "FileExtension": ".json.gz",
            "Prefix": PIPELINE_PREFIXES["data"],
            "ErrorOutputPrefix": PIPELINE_PREFIXES["error"],
            "CloudWatchLoggingOptions": {"Enabled": True},
            "S3BackupMode": "Enabled",
            "S3BackupConfiguration": {
                "BucketARN": resolve(stack, pipeline.raw_bucket.bucket_arn),
                "Prefix": PIPELINE_PREFIXES["raw"],
                "CompressionFormat": "GZIP",
                "BufferingHints": {"IntervalInSeconds": 60, "SizeInMBs": 1},
                "EncryptionConfiguration": {"KMSEncryptionConfig": {"AWSKMSKeyARN": key_arn()}},
            },
        },
    })
    stream_id = resolve(stack, pipeline.delivery_stream.delivery_stream_name)["Ref"]
    params = processor_parameters(telemetry, stream_id)
    assert params["LambdaArn"] == resolve(stack, pipeline.parser_function.function_arn)
    assert (params["NumberOfRetries"], params["BufferSizeInMBs"], params["BufferIntervalInSeconds"]) == ("3", "1", "60")


def test_reference_parser_is_the_bundled_node_function_with_json_lines(telemetry):
    fn_id = resolve(example.stack, example.pipeline.parser_function.function_arn)["Fn::GetAtt"][0]
    fn = telemetry.to_json()["Resources"][fn_id]["Properties"]
    assert fn["Runtime"] == "nodejs22.x"
    assert fn["Architectures"] == ["arm64"]
    assert fn["Handler"] == "index.handler"
    assert fn["Environment"]["Variables"]["PARSER_FORMAT"] == "jsonl"
    assert json.loads(fn["Environment"]["Variables"]["PARSER_OPTIONS"]) == {"topicSegmentFields": ["device"]}
    assert fn["Environment"]["Variables"]["PARSER_DELIVERY"] == "firehose"
    assert set(fn["Code"]) == {"S3Bucket", "S3Key"}, "the reference parser is a file asset, not inline code"


def test_buckets_are_hardened(telemetry):
    stack, pipeline = example.stack, example.pipeline
    telemetry.resource_count_is("AWS::S3::Bucket", 3)  # parsed, raw, access logs
    for bucket in (pipeline.parsed_bucket, pipeline.raw_bucket):
        bucket_id = resolve(stack, bucket.bucket_name)["Ref"]
        resource = telemetry.to_json()["Resources"][bucket_id]
        assert resource["DeletionPolicy"] == "Retain"
        props = resource["Properties"]
        assert props["PublicAccessBlockConfiguration"] == {
            "BlockPublicAcls": True, "BlockPublicPolicy": True, "IgnorePublicAcls": True, "RestrictPublicBuckets": True}
        assert props["VersioningConfiguration"] == {"Status": "Enabled"}
        # encryption=PipelineEncryption.customer_managed(): SSE-KMS with the pipeline's key and S3 Bucket Keys
        assert props["BucketEncryption"]["ServerSideEncryptionConfiguration"] == [{
            "ServerSideEncryptionByDefault": {"SSEAlgorithm": "aws:kms", "KMSMasterKeyID": key_arn()},
            "BucketKeyEnabled": True}]
        assert "DestinationBucketName" in props["LoggingConfiguration"]
        telemetry.has_resource_properties("AWS::S3::BucketPolicy", {
            "Bucket": {"Ref": bucket_id},
            "PolicyDocument": {"Statement": Match.array_with([Match.object_like({
                "Effect": "Deny", "Action": "s3:*", "Condition": {"Bool": {"aws:SecureTransport": "false"}}})])},
        })


def test_customer_managed_encryption_creates_one_rotating_key_for_secret_and_log_groups(telemetry):
    assert example.pipeline.encryption_key is not None
    telemetry.resource_count_is("AWS::KMS::Key", 1)
    telemetry.has_resource_properties("AWS::KMS::Key", {"EnableKeyRotation": True})
    telemetry.has_resource_properties("AWS::SecretsManager::Secret", {"KmsKeyId": key_arn()})
    # the stream's and the parser's log groups (one year), and the key lets CloudWatch Logs use it for them
    log_groups = telemetry.find_resources("AWS::Logs::LogGroup", {"Properties": {"KmsKeyId": Match.any_value()}})
    assert len(log_groups) == 2
    assert all(group["Properties"]["KmsKeyId"] == key_arn() for group in log_groups.values())
    assert all(group["Properties"]["RetentionInDays"] == 365 for group in log_groups.values())
    telemetry.has_resource_properties("AWS::KMS::Key", {"KeyPolicy": {"Statement": Match.array_with([Match.object_like({
        "Principal": {"Service": {"Fn::Join": ["", ["logs.", {"Ref": "AWS::Region"}, ".amazonaws.com"]]}}})])}})


def test_monitoring_has_the_alarms_and_no_dashboard(telemetry):
    telemetry.resource_count_is("AWS::CloudWatch::Alarm", 10)
    telemetry.resource_count_is("AWS::CloudWatch::Dashboard", 0)
    assert len(example.pipeline.monitoring.alarms) == 10
    assert example.pipeline.monitoring.dashboard is None


def test_enum_like_classes_expose_their_kind():
    assert lib.PipelineEncryption.aws_managed().kind == lib.PipelineEncryptionKind.AWS_MANAGED
    assert lib.PipelineEncryption.customer_managed().kind == lib.PipelineEncryptionKind.CUSTOMER_MANAGED
    assert lib.DeviceCertificate.none().source == lib.DeviceCertificateSource.NONE
    assert lib.ParserDelivery.direct().mode == lib.ParserDeliveryMode.DIRECT
    assert example.pipeline.device.certificate_source == lib.DeviceCertificateSource.GENERATED


def test_stack_outputs_the_data_endpoint_and_the_certificate_secret(telemetry):
    outputs = telemetry.to_json()["Outputs"]
    assert "IotDataAtsEndpoint" in outputs
    telemetry.has_output("*", {"Value": resolve(example.stack, example.pipeline.certificate_secret.secret_arn)})
    telemetry.has_output("*", {"Value": "iot-test-topic", "Description": "Base topic devices publish to"})


# --- CustomParsers stack: reference parser with CSV, and Parser.from_function with a Python function -----------

def test_csv_reference_parser_pipeline(custom):
    stack, pipeline = example.custom, example.csv_pipeline
    custom.has_resource_properties("AWS::IoT::Thing", {"ThingName": "line-1-gateway"})
    custom.has_resource_properties("AWS::IoT::TopicRule", {"TopicRulePayload": Match.object_like({
        "Sql": "SELECT topic() as topic, * FROM 'plant/line-1/+' WHERE isUndefined(topic)"})})
    stream_id = resolve(stack, pipeline.delivery_stream.delivery_stream_name)["Ref"]
    stream = custom.to_json()["Resources"][stream_id]["Properties"]["ExtendedS3DestinationConfiguration"]
    assert stream["BufferingHints"] == {"IntervalInSeconds": 120, "SizeInMBs": 8}
    assert stream["S3BackupConfiguration"]["BufferingHints"] == {"IntervalInSeconds": 120, "SizeInMBs": 8}
    assert stream["FileExtension"] == ".csv.gz"
    params = processor_parameters(custom, stream_id)
    assert params["LambdaArn"] == resolve(stack, pipeline.parser_function.function_arn)
    assert (params["NumberOfRetries"], params["BufferSizeInMBs"], params["BufferIntervalInSeconds"]) == ("5", "1", "60")
    fn_id = params["LambdaArn"]["Fn::GetAtt"][0]
    fn = custom.to_json()["Resources"][fn_id]["Properties"]
    assert fn["MemorySize"] == 1024
    assert fn["Environment"]["Variables"]["PARSER_FORMAT"] == "csv"
    assert json.loads(fn["Environment"]["Variables"]["PARSER_OPTIONS"]) == {
        "columns": ["machine", "temperature", "reading.humidity"]}


def test_function_parser_pipeline_invokes_the_python_function(custom):
    stack, pipeline = example.custom, example.function_pipeline
    fn_arn = resolve(stack, example.parser_function.function_arn)
    assert resolve(stack, pipeline.parser_function.function_arn) == fn_arn
    stream_id = resolve(stack, pipeline.delivery_stream.delivery_stream_name)["Ref"]
    params = processor_parameters(custom, stream_id)
    assert params["LambdaArn"] == fn_arn
    # explicit processor parameters, including a fractional buffer size and zero retries
    assert (params["NumberOfRetries"], params["BufferSizeInMBs"], params["BufferIntervalInSeconds"]) == ("0", "0.25", "30")
    stream = custom.to_json()["Resources"][stream_id]["Properties"]["ExtendedS3DestinationConfiguration"]
    assert stream["FileExtension"] == ".csv.gz"
    assert stream["S3BackupMode"] == "Enabled"
    assert stream["S3BackupConfiguration"]["BucketARN"] == resolve(stack, pipeline.raw_bucket.bucket_arn)
    # the Firehose role may invoke exactly that function
    role_id = params["RoleArn"]["Fn::GetAtt"][0]
    policies = custom.find_resources("AWS::IAM::Policy", {"Properties": {"Roles": [{"Ref": role_id}]}})
    assert len(policies) == 1
    statements = next(iter(policies.values()))["Properties"]["PolicyDocument"]["Statement"]
    invoke = [s for s in statements if "lambda:InvokeFunction" in json.dumps(s["Action"])]
    assert invoke == [{"Action": ["lambda:InvokeFunction", "lambda:GetFunctionConfiguration"], "Effect": "Allow", "Resource": fn_arn,
                       "Sid": "InvokeTheParser"}]
    # and no S3 delete of any kind
    assert "s3:Delete" not in json.dumps(statements)
    # no reference parser in this pipeline: the only functions are the Python parser and the library's helpers
    custom.has_resource_properties("AWS::Lambda::Function", {
        "Runtime": "python3.12", "Handler": "index.handler", "Architectures": ["arm64"],
        "Code": {"ZipFile": example.PARSER_CODE}})
    assert len(custom.find_resources("AWS::Lambda::Function", {"Properties": {"Runtime": "python3.12"}})) == 1


def test_two_pipelines_share_one_certificate_provider_and_one_endpoint_lookup(custom):
    custom.resource_count_is("AWS::IoT::Thing", 2)
    custom.resource_count_is("AWS::KinesisFirehose::DeliveryStream", 2)
    custom.resource_count_is("AWS::IoT::TopicRule", 4)  # per pipeline: the topic rule and the rejected-messages rule
    custom.resource_count_is("Custom::IotDeviceCertificate", 2)
    custom.resource_count_is("Custom::AWS", 1)
    custom.resource_count_is("AWS::S3::Bucket", 6)
    # the defaults: AWS-managed encryption, alarms and a dashboard per pipeline
    custom.resource_count_is("AWS::KMS::Key", 0)
    assert example.csv_pipeline.encryption_key is None
    custom.resource_count_is("AWS::CloudWatch::Alarm", 20)
    custom.resource_count_is("AWS::CloudWatch::Dashboard", 2)


def test_inline_parser_implements_the_firehose_contract():
    namespace: dict = {}
    exec(compile(example.PARSER_CODE, "index.py", "exec"), namespace)  # noqa: S102 - our own constant

    def record(record_id: str, payload: bytes) -> dict:
        return {"recordId": record_id, "data": base64.b64encode(payload).decode()}

    event = {"records": [
        record("1", b'{"topic": "fleet/sensors/sensor-7", "temperature": 21.5}\n'),
        record("2", b"not json\n"),
        record("3", b'{"topic": "fleet/sensors/sensor-8"}\n'),
    ]}
    result = namespace["handler"](event, None)["records"]
    assert [(r["recordId"], r["result"]) for r in result] == [("1", "Ok"), ("2", "ProcessingFailed"), ("3", "ProcessingFailed")]
    assert base64.b64decode(result[0]["data"]) == b"sensor-7,21.5\n"
    assert result[1]["data"] == event["records"][1]["data"]


# --- Queryable stack: Glue tables with partition projection, Athena workgroups, Parquet ----------------------------

@pytest.fixture(scope="module")
def queryable() -> Template:
    return Template.from_stack(example.queryable)


def glue_table(template: Template, name: str) -> dict:
    tables = [r for r in template.find_resources("AWS::Glue::Table").values() if r["Properties"]["TableInput"]["Name"] == name]
    assert len(tables) == 1, name
    return tables[0]["Properties"]


def test_two_tables_share_one_glue_database(queryable):
    queryable.resource_count_is("AWS::Glue::Database", 1)
    queryable.has_resource_properties("AWS::Glue::Database", {"DatabaseInput": Match.object_like({"Name": "plant"})})
    queryable.resource_count_is("AWS::Glue::Table", 2)
    queryable.resource_count_is("AWS::Athena::WorkGroup", 2)
    assert (example.json_table_pipeline.database_name, example.json_table_pipeline.table_name) == ("plant", "json_table")
    assert example.json_table_pipeline.work_group_name == "plant-json_table"
    assert example.parquet_pipeline.table_name == "line_telemetry"


def test_json_table_has_the_columns_and_the_default_projection(queryable):
    table = glue_table(queryable, "json_table")
    assert table["DatabaseName"] == "plant"
    descriptor = table["TableInput"]["StorageDescriptor"]
    assert [(c["Name"], c["Type"]) for c in descriptor["Columns"]] == [
        ("device", "string"), ("reading", "struct<celsius:double,tags:array<string>>"), ("price", "decimal(10,2)"),
        ("arrival_timestamp", "bigint")]
    assert descriptor["SerdeInfo"]["SerializationLibrary"] == "org.openx.data.jsonserde.JsonSerDe"
    assert [(k["Name"], k["Type"]) for k in table["TableInput"]["PartitionKeys"]] == [
        ("year", "int"), ("month", "int"), ("day", "int"), ("hour", "int")]
    params = table["TableInput"]["Parameters"]
    assert params["projection.enabled"] == "true"
    assert (params["projection.month.range"], params["projection.month.digits"]) == ("1,12", "2")
    template = resolve(example.queryable, params["storage.location.template"])
    assert template["Fn::Join"][1][-1] == "/parsed/year=${year}/month=${month}/day=${day}/hour=${hour}/"


def test_json_table_workgroup_uses_its_options(queryable):
    workgroups = [w["Properties"] for w in queryable.find_resources("AWS::Athena::WorkGroup").values()]
    json_wg = next(w for w in workgroups if w["Name"] == "plant-json_table")
    config = json_wg["WorkGroupConfiguration"]
    assert config["BytesScannedCutoffPerQuery"] == 1024 ** 3
    assert config["EnforceWorkGroupConfiguration"] is True
    assert config["PublishCloudWatchMetricsEnabled"] is True
    assert config["ResultConfiguration"]["EncryptionConfiguration"] == {"EncryptionOption": "SSE_S3"}
    bucket_id = resolve(example.queryable, example.json_table_pipeline.query_results_bucket.bucket_name)["Ref"]
    rules = queryable.to_json()["Resources"][bucket_id]["Properties"]["LifecycleConfiguration"]["Rules"]
    assert rules[0]["ExpirationInDays"] == 7


def test_parquet_table_converts_records_and_projects_the_known_partition_values(queryable):
    stack, pipeline = example.queryable, example.parquet_pipeline
    stream_id = resolve(stack, pipeline.delivery_stream.delivery_stream_name)["Ref"]
    destination = queryable.to_json()["Resources"][stream_id]["Properties"]["ExtendedS3DestinationConfiguration"]
    conversion = destination["DataFormatConversionConfiguration"]
    assert conversion["OutputFormatConfiguration"] == {"Serializer": {"ParquetSerDe": {"Compression": "GZIP"}}}
    assert conversion["InputFormatConfiguration"]["Deserializer"]["OpenXJsonSerDe"]["CaseInsensitive"] is True
    # the stream names the Glue table by its Ref (so CloudFormation creates it after the table)
    table_ids = [lid for lid, r in queryable.find_resources("AWS::Glue::Table").items()
                 if r["Properties"]["TableInput"]["Name"] == "line_telemetry"]
    assert (conversion["SchemaConfiguration"]["DatabaseName"], conversion["SchemaConfiguration"]["TableName"]) == (
        "plant", {"Ref": table_ids[0]})
    # aws-cdk-lib's dataFormatConversion sets no CompressionFormat: CloudFormation's default, UNCOMPRESSED
    assert "CompressionFormat" not in destination
    assert destination["BufferingHints"]["SizeInMBs"] == 64
    table = glue_table(queryable, "line_telemetry")
    assert table["TableInput"]["StorageDescriptor"]["SerdeInfo"]["SerializationLibrary"].endswith("ParquetHiveSerDe")
    assert table["TableInput"]["PartitionKeys"][0]["Name"] == "line"
    params = table["TableInput"]["Parameters"]
    assert (params["projection.line.type"], params["projection.line.values"]) == ("enum", "line-1,line-2")


def test_queryable_outputs_name_database_table_and_workgroup(queryable):
    outputs = queryable.to_json()["Outputs"]
    values = {k: v["Value"] for k, v in outputs.items() if k.startswith("ParquetTable")}
    assert sorted(v for k, v in values.items() if re.match(r"^ParquetTable(DatabaseName|TableName|WorkGroupName)Output", k)) == [
        "line_telemetry", "plant", "plant-line_telemetry"]


# --- Fleet stack: fleet provisioning by claim -------------------------------------------------------------------

@pytest.fixture(scope="module")
def fleet() -> Template:
    return Template.from_stack(example.fleet_stack)


def joined(value) -> str:
    """A `Fn::Join` of strings and `Ref`s as text, each `Ref` as `<logical id>`."""
    if isinstance(value, str):
        return value
    separator, parts = value["Fn::Join"]
    return separator.join(p if isinstance(p, str) else "<%s>" % p["Ref"] for p in parts)


def fleet_policy_id(template: Template) -> str:
    ids = [k for k in template.find_resources("AWS::IoT::Policy") if k.startswith("PipelineFleetPolicy")]
    assert len(ids) == 1
    return ids[0]


def test_fleet_template_is_enabled_and_named(fleet):
    assert example.fleet.template_name == "lathes"
    assert example.fleet.thing_name_prefix == "lathe-"
    fleet.has_resource_properties("AWS::IoT::ProvisioningTemplate", {
        "TemplateName": "lathes",
        "TemplateType": "FLEET_PROVISIONING",
        "Enabled": True,
        "ProvisioningRoleArn": {"Fn::GetAtt": [Match.string_like_regexp("^PipelineLathesProvisioningRole"), "Arn"]},
        "PreProvisioningHook": {"TargetArn": resolve(example.fleet_stack, example.hook_function.function_arn), "PayloadVersion": "2020-04-01"},
    })


def test_fleet_template_body_makes_the_thing_activates_the_certificate_and_attaches_the_fleet_policy(fleet):
    templates = list(fleet.find_resources("AWS::IoT::ProvisioningTemplate").values())
    assert len(templates) == 1
    body = json.loads(joined(templates[0]["Properties"]["TemplateBody"]))
    assert body["Parameters"] == {
        "SerialNumber": {"Type": "String"}, "Model": {"Type": "String"}, "AWS::IoT::Certificate::Id": {"Type": "String"},
    }
    assert body["Resources"]["thing"] == {"Type": "AWS::IoT::Thing", "Properties": {
        "ThingName": {"Fn::Join": ["", ["lathe-", {"Ref": "SerialNumber"}]]},
        "AttributePayload": {"Model": {"Ref": "Model"}},
    }}
    assert body["Resources"]["certificate"] == {"Type": "AWS::IoT::Certificate", "Properties": {
        "CertificateId": {"Ref": "AWS::IoT::Certificate::Id"}, "Status": "ACTIVE"}}
    assert body["Resources"]["policy"] == {"Type": "AWS::IoT::Policy", "Properties": {"PolicyName": "<%s>" % fleet_policy_id(fleet)}}


def test_claim_policy_allows_only_the_templates_provisioning_topics(fleet):
    document = resolve(example.fleet_stack, example.fleet.claim_policy.policy_document)
    statements = {s["Sid"]: s for s in document["Statement"]}
    assert set(statements) == {"ConnectWithAnyClientId", "FleetProvisioningTopics", "FleetProvisioningAnswers"}
    assert statements["ConnectWithAnyClientId"]["Resource"] == iot_arn("client/*")
    assert statements["FleetProvisioningTopics"]["Action"] == ["iot:Publish", "iot:Receive"]
    assert statements["FleetProvisioningTopics"]["Resource"] == [
        iot_arn("topic/$aws/certificates/create/*"),
        iot_arn("topic/$aws/certificates/create-from-csr/*"),
        iot_arn("topic/$aws/provisioning-templates/lathes/provision/*"),
    ]
    assert statements["FleetProvisioningAnswers"]["Action"] == "iot:Subscribe"
    assert [joined(r).split(":topicfilter/")[1] for r in statements["FleetProvisioningAnswers"]["Resource"]] == [
        "$aws/certificates/create/*/accepted", "$aws/certificates/create/*/rejected",
        "$aws/certificates/create-from-csr/*/accepted", "$aws/certificates/create-from-csr/*/rejected",
        "$aws/provisioning-templates/lathes/provision/*/accepted", "$aws/provisioning-templates/lathes/provision/*/rejected",
    ]


def test_provisioning_role_is_trusted_by_iot_of_this_account_only(fleet):
    roles = [r for k, r in fleet.find_resources("AWS::IAM::Role").items() if k.startswith("PipelineLathesProvisioningRole")]
    assert len(roles) == 1
    [statement] = roles[0]["Properties"]["AssumeRolePolicyDocument"]["Statement"]
    assert statement["Principal"] == {"Service": "iot.amazonaws.com"}
    assert statement["Condition"]["StringEquals"] == {"aws:SourceAccount": {"Ref": "AWS::AccountId"}}
    assert joined(statement["Condition"]["ArnLike"]["aws:SourceArn"]) == "arn:<AWS::Partition>:iot:<AWS::Region>:<AWS::AccountId>:*"


def test_hook_may_be_invoked_by_iot_for_this_template_only(fleet):
    fleet.has_resource_properties("AWS::Lambda::Permission", {
        "Action": "lambda:InvokeFunction",
        "Principal": "iot.amazonaws.com",
        "FunctionName": resolve(example.fleet_stack, example.hook_function.function_arn),
        "SourceArn": iot_arn("provisioningtemplate/lathes"),
        "SourceAccount": {"Ref": "AWS::AccountId"},
    })


def test_fleet_outputs_name_the_template_and_the_claim_secret(fleet):
    outputs = fleet.to_json()["Outputs"]
    assert [v["Value"] for k, v in outputs.items() if re.match(r"^PipelineLathesFleetTemplateNameOutput[0-9A-F]{8}$", k)] == ["lathes"]
    secret = resolve(example.fleet_stack, example.fleet.claim_certificate_secret.secret_arn)
    assert [v["Value"] for k, v in outputs.items() if re.match(r"^PipelineLathesFleetClaimSecretArnOutput[0-9A-F]{8}$", k)] == [secret]


def test_invalid_fleet_props_raise_in_python():
    pipeline = lib.IotCoreFirehosePipeline(Stack(App(), "InvalidFleet"), "Pipeline", topic="t")
    with pytest.raises(Exception, match="invalid `templateName`"):
        pipeline.add_fleet_provisioning("Bad", template_name="has space")
    with pytest.raises(Exception, match=r'"Model" is listed twice'):
        pipeline.add_fleet_provisioning("Twice", attributes=["Model", "Model"])


# --- Binary stack: a CBOR pipeline (reference parser's decoder, a table) and Protobuf decoded in the rule ----------

@pytest.fixture(scope="module")
def binary() -> Template:
    return Template.from_stack(example.binary_stack)


def rule_sqls(template: Template, stack: Stack) -> list:
    return [stack.resolve(r["Properties"]["TopicRulePayload"]["Sql"]) for r in template.find_resources("AWS::IoT::TopicRule").values()]


def test_cbor_pipeline_wraps_the_bytes_and_configures_the_decoder(binary):
    sqls = rule_sqls(binary, example.binary_stack)
    assert ("SELECT encode(*, 'base64') AS payload, topic() AS topic, clientid() AS clientId, timestamp() AS timestamp "
            "FROM 'grid/meters/+'") in sqls
    assert example.cbor_pipeline.rejected_messages_rule is None
    assert example.cbor_pipeline.payload_format.kind == lib.PayloadFormatKind.BINARY
    functions = binary.find_resources("AWS::Lambda::Function", {"Properties": {"Description": Match.string_like_regexp("cbor payloads")}})
    assert len(functions) == 1
    env = list(functions.values())[0]["Properties"]["Environment"]["Variables"]
    assert env["PARSER_PAYLOAD"] == "binary"
    assert json.loads(env["PARSER_DECODER"]) == {"kind": "cbor"}
    # the table is the same as for a JSON pipeline
    tables = binary.find_resources("AWS::Glue::Table")
    assert len(tables) == 1
    columns = list(tables.values())[0]["Properties"]["TableInput"]["StorageDescriptor"]["Columns"]
    assert [c["Name"] for c in columns] == ["kwh", "device_id"]


def test_protobuf_pipeline_decodes_in_the_rule_with_the_deployed_descriptor_set(binary):
    stack = example.binary_stack
    bucket = stack.resolve(example.protobuf_pipeline.descriptor_set_bucket.bucket_name)
    decode = [s for s in rule_sqls(binary, stack) if isinstance(s, dict)]
    assert len(decode) == 1
    parts = decode[0]["Fn::Join"][1]
    assert parts[0] == "SELECT decode(*, 'proto', '" and parts[1] == bucket
    assert re.fullmatch(r"', 'payload-schemas/[0-9a-f]{16}\.desc', 'telemetry', 'factory\.v1\.Telemetry'\) AS payload, .* FROM 'factory/lathes/\+'", parts[2])
    binary.resource_count_is("Custom::CDKBucketDeployment", 1)
    policies = [p for p in binary.find_resources("AWS::S3::BucketPolicy").values() if p["Properties"]["Bucket"] == bucket]
    statements = stack.resolve(policies[0]["Properties"]["PolicyDocument"]["Statement"])
    iot = [st for st in statements if st.get("Principal") == {"Service": "iot.amazonaws.com"}]
    assert len(iot) == 1 and iot[0]["Action"] == "s3:Get*"
    assert set(iot[0]["Condition"]) == {"ArnLike", "StringEquals"}


def test_invalid_payload_props_raise_in_python():
    with pytest.raises(Exception, match="declares no message \"Nope\""):
        lib.PayloadFormat.protobuf(descriptor_set=str(example.SCHEMAS / "telemetry.binpb"), message_type="Nope")
    with pytest.raises(Exception, match="give it a decoder"):
        lib.IotCoreFirehosePipeline(Stack(App(), "NoDecoder"), "Pipeline", topic="t", payload=lib.PayloadFormat.binary())


# --- errors cross the language boundary ------------------------------------------------------------------------

def test_invalid_props_raise_in_python():
    with pytest.raises(Exception, match="MQTT wildcard"):
        lib.IotCoreFirehosePipeline(Stack(App(), "Invalid"), "Pipeline", topic="iot-test-topic/+")
    with pytest.raises(Exception, match="at least one column"):
        lib.ParsedFormat.csv(columns=[])
    with pytest.raises(Exception, match=r'"Temp" has uppercase letters'):
        lib.IotCoreFirehosePipeline(Stack(App(), "InvalidTable"), "Pipeline", topic="t",
            table=lib.TableOptions(columns=[lib.Column(name="Temp", type=lib.ColumnType.DOUBLE)]))
    with pytest.raises(Exception, match="precision 40 is out of range"):
        lib.ColumnType.decimal(40, 2)


# --- the app as a CDK app, and the README -----------------------------------------------------------------------

def test_python_app_synthesizes_a_cloud_assembly_with_the_bundled_handlers():
    # `python app.py`, in this process (one more interpreter would import aws_cdk again, ~10-25 s)
    namespace = runpy.run_path(str(APP_DIR / "app.py"), run_name="__main__")
    assert namespace["app"] is not example.app
    out = pathlib.Path(namespace["app"].synth().directory)
    manifest = json.loads((out / "manifest.json").read_text())
    stacks = sorted(k for k, v in manifest["artifacts"].items() if v["type"] == "aws:cloudformation:stack")
    assert stacks == ["Binary", "CustomParsers", "Fleet", "Queryable", "Telemetry"]
    template = json.loads((out / "Telemetry.template.json").read_text())
    assert [r["Type"] for r in template["Resources"].values()].count("AWS::KinesisFirehose::DeliveryStream") == 1
    # the handlers bundled into the wheel (assets/) are in the assembly, and they are the real bundles
    bundles = {p.read_text() for p in out.glob("asset.*/index.js")}
    assert any("PARSER_FORMAT" in b and len(b) > 10_000 for b in bundles), "reference parser bundle missing"
    assert any("CreateKeysAndCertificate" in b for b in bundles), "certificate provider bundle missing"


def _marked_region(path: pathlib.Path, name: str) -> str:
    text = path.read_text()
    match = re.search(rf"^# \[README:{name}\]\n(.*?)^# \[/README:{name}\]\n", text, re.S | re.M)
    assert match, f"no README:{name} region in {path}"
    return match.group(1)


def test_readme_python_snippet_is_the_one_this_app_runs():
    snippet = _marked_region(APP_DIR / "app.py", "python")
    readme = (REPO_ROOT / "README.md").read_text()
    blocks = re.findall(r"^```python\n(.*?)^```", readme, re.S | re.M)
    assert snippet in blocks, "README.md has no ```python block equal to the README:python region of app.py:\n" + snippet
