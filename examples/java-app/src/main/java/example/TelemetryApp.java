package example;

// The README's Java snippet is the README:java-imports region, an empty line, and the README:java region
// below without its indentation (src/test checks that README.md holds exactly that).
// [README:java-imports]
import io.github.cdkiotcorefirehosepipeline.BufferingOptions;
import io.github.cdkiotcorefirehosepipeline.IotCoreFirehosePipeline;
import io.github.cdkiotcorefirehosepipeline.JsonLinesOptions;
import io.github.cdkiotcorefirehosepipeline.MonitoringOptions;
import io.github.cdkiotcorefirehosepipeline.ParsedFormat;
import io.github.cdkiotcorefirehosepipeline.Parser;
import io.github.cdkiotcorefirehosepipeline.PipelineEncryption;
import io.github.cdkiotcorefirehosepipeline.ReferenceParserOptions;
import java.util.List;
import software.amazon.awscdk.App;
import software.amazon.awscdk.Duration;
import software.amazon.awscdk.Size;
import software.amazon.awscdk.Stack;
// [/README:java-imports]

import io.github.cdkiotcorefirehosepipeline.Column;
import io.github.cdkiotcorefirehosepipeline.ColumnType;
import io.github.cdkiotcorefirehosepipeline.AddFleetProvisioningOptions;
import io.github.cdkiotcorefirehosepipeline.CsvOptions;
import io.github.cdkiotcorefirehosepipeline.DeviceCertificate;
import io.github.cdkiotcorefirehosepipeline.FleetProvisioning;
import io.github.cdkiotcorefirehosepipeline.FunctionParserOptions;
import io.github.cdkiotcorefirehosepipeline.ParquetCompression;
import io.github.cdkiotcorefirehosepipeline.ParquetOptions;
import io.github.cdkiotcorefirehosepipeline.PartitionKey;
import io.github.cdkiotcorefirehosepipeline.PayloadDecoder;
import io.github.cdkiotcorefirehosepipeline.PayloadFormat;
import io.github.cdkiotcorefirehosepipeline.ProtobufPayloadOptions;
import io.github.cdkiotcorefirehosepipeline.TableFormat;
import io.github.cdkiotcorefirehosepipeline.TableOptions;
import io.github.cdkiotcorefirehosepipeline.WorkGroupOptions;
import java.nio.file.Paths;
import java.util.Map;
import software.amazon.awscdk.services.lambda.Architecture;
import software.amazon.awscdk.services.lambda.Code;
import software.amazon.awscdk.services.lambda.Function;
import software.amazon.awscdk.services.lambda.Runtime;

/**
 * Example CDK app in Java: consumes the jsii-built jar of cdk-iot-core-firehose-pipeline as a user would.
 *
 * <ul>
 *   <li>{@code Telemetry}: the README snippet — reference parser, JSON Lines, alarms without a dashboard, one
 *       customer-managed KMS key.</li>
 *   <li>{@code CustomParsers}: the reference parser with CSV output, and {@code Parser.fromFunction} with a
 *       Lambda function (inline Python code) that implements the Firehose data-transformation contract; default
 *       monitoring and AWS-managed encryption.</li>
 *   <li>{@code Queryable}: two pipelines with a queryable table in one Glue database: JSON Lines (nested and
 *       decimal columns, a workgroup with its own cutoff and expiry) and Parquet with dynamic partitioning (known
 *       partition values).</li>
 *   <li>{@code Fleet}: fleet provisioning by claim — devices manufactured with one claim certificate obtain their
 *       own certificate and thing {@code lathe-<SerialNumber>} on first boot, vetted by a pre-provisioning hook
 *       (inline Python code).</li>
 *   <li>{@code Binary}: devices that do not send JSON — CBOR decoded by the reference parser (with a queryable
 *       table), and Protobuf decoded by AWS IoT in the rule with the FileDescriptorSet in {@code schemas/}.</li>
 * </ul>
 */
public final class TelemetryApp {

    /**
     * The Firehose data-transformation contract: for every input record answer the same recordId with result
     * Ok (data = base64 of the output), Dropped or ProcessingFailed. The IoT rule puts the message JSON (with
     * its {@code topic}) plus "\n" into each record; the output is one CSV line per record.
     */
    public static final String PARSER_CODE = """
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
            """;

    /**
     * AWS IoT's pre-provisioning hook contract: the event carries the RegisterThing parameters; provisioning
     * proceeds only when the answer has {@code "allowProvisioning": true}, given within 5 seconds.
     */
    public static final String HOOK_CODE = """
            import re


            def handler(event, context):
                serial = (event.get("parameters") or {}).get("SerialNumber")
                return {"allowProvisioning": isinstance(serial, str) and re.fullmatch(r"LT-[0-9]{6}", serial) is not None}
            """;

    /** What the app built, for the tests. */
    public record Example(App app, Stack stack, IotCoreFirehosePipeline pipeline, Stack custom,
                          IotCoreFirehosePipeline csvPipeline, Function parserFunction,
                          IotCoreFirehosePipeline functionPipeline, Stack queryable,
                          IotCoreFirehosePipeline jsonTablePipeline, IotCoreFirehosePipeline parquetPipeline,
                          Stack fleetStack, Function hookFunction, FleetProvisioning fleet,
                          Stack binaryStack, IotCoreFirehosePipeline cborPipeline,
                          IotCoreFirehosePipeline protobufPipeline) {
    }

    /** The FileDescriptorSet of the Protobuf pipeline, in this app's folder (where Maven and cdk run it). */
    public static final String DESCRIPTOR_SET = Paths.get("schemas", "telemetry.binpb").toAbsolutePath().toString();

    private TelemetryApp() {
    }

    public static Example build() {
        // [README:java]
        App app = new App();
        Stack stack = new Stack(app, "Telemetry");
        IotCoreFirehosePipeline pipeline = IotCoreFirehosePipeline.Builder.create(stack, "Pipeline")
                .topic("iot-test-topic")
                .buffering(BufferingOptions.builder().interval(Duration.seconds(60)).size(Size.mebibytes(1)).build())
                .parser(Parser.reference(ReferenceParserOptions.builder()
                        .format(ParsedFormat.jsonLines(JsonLinesOptions.builder().topicSegmentFields(List.of("device")).build()))
                        .build()))
                .monitoring(MonitoringOptions.builder().alarms(true).dashboard(false).build())
                .encryption(PipelineEncryption.customerManaged())
                .build();
        // [/README:java]

        Stack custom = new Stack(app, "CustomParsers");

        IotCoreFirehosePipeline csvPipeline = IotCoreFirehosePipeline.Builder.create(custom, "CsvPipeline")
                .topic("plant/line-1")
                .thingName("line-1-gateway")
                .buffering(BufferingOptions.builder().interval(Duration.seconds(120)).size(Size.mebibytes(8)).build())
                .parser(Parser.reference(ReferenceParserOptions.builder()
                        .format(ParsedFormat.csv(CsvOptions.builder()
                                .columns(List.of("machine", "temperature", "reading.humidity"))
                                .build()))
                        .retries(5)
                        .memorySize(1024)
                        .build()))
                .build();

        Function parserFunction = Function.Builder.create(custom, "PythonParser")
                .runtime(Runtime.PYTHON_3_12)
                .architecture(Architecture.ARM_64)
                .handler("index.handler")
                .code(Code.fromInline(PARSER_CODE))
                .timeout(Duration.minutes(1))
                .description("Firehose transformation: IoT JSON to CSV lines (device,temperature)")
                .build();

        IotCoreFirehosePipeline functionPipeline = IotCoreFirehosePipeline.Builder.create(custom, "FunctionPipeline")
                .topic("fleet/sensors")
                .parser(Parser.fromFunction(parserFunction, FunctionParserOptions.builder()
                        .bufferInterval(Duration.seconds(30))
                        .bufferSize(Size.kibibytes(256))
                        .retries(0)
                        .fileExtension(".csv")
                        .build()))
                .build();

        Stack queryable = new Stack(app, "Queryable");

        IotCoreFirehosePipeline jsonTablePipeline = IotCoreFirehosePipeline.Builder.create(queryable, "JsonTable")
                .topic("plant/json")
                .parser(Parser.reference(ReferenceParserOptions.builder()
                        .format(ParsedFormat.jsonLines(JsonLinesOptions.builder().topicSegmentFields(List.of("device")).build()))
                        .build()))
                .table(TableOptions.builder()
                        .databaseName("plant")
                        .columns(List.of(
                                Column.builder().name("device").type(ColumnType.STRING).comment("topic level after the base topic").build(),
                                Column.builder().name("reading").type(ColumnType.struct(List.of(
                                        Column.builder().name("celsius").type(ColumnType.DOUBLE).build(),
                                        Column.builder().name("tags").type(ColumnType.array(ColumnType.STRING)).build()))).build(),
                                Column.builder().name("price").type(ColumnType.decimal(10, 2)).build(),
                                Column.builder().name("arrival_timestamp").type(ColumnType.BIGINT).build()))
                        .workGroup(WorkGroupOptions.builder()
                                .bytesScannedCutoffPerQuery(Size.gibibytes(1))
                                .resultsExpiration(Duration.days(7))
                                .build())
                        .build())
                .build();

        IotCoreFirehosePipeline parquetPipeline = IotCoreFirehosePipeline.Builder.create(queryable, "ParquetTable")
                .topic("plant/lines")
                .dynamicPartitioning(true)
                .parser(Parser.reference(ReferenceParserOptions.builder()
                        .partitionKeys(List.of(PartitionKey.topicLevel("line", 2)))
                        .build()))
                .table(TableOptions.builder()
                        .databaseName("plant")
                        .tableName("line_telemetry")
                        .columns(List.of(
                                Column.builder().name("temp").type(ColumnType.DOUBLE).build(),
                                Column.builder().name("arrival_timestamp").type(ColumnType.BIGINT).build()))
                        .format(TableFormat.parquet(ParquetOptions.builder().compression(ParquetCompression.GZIP).build()))
                        .partitionKeyValues(Map.of("line", List.of("line-1", "line-2")))
                        .build())
                .build();

        Stack fleetStack = new Stack(app, "Fleet");

        IotCoreFirehosePipeline fleetPipeline = IotCoreFirehosePipeline.Builder.create(fleetStack, "Pipeline")
                .topic("factory/telemetry")
                .build();

        Function hookFunction = Function.Builder.create(fleetStack, "LathesHook")
                .runtime(Runtime.PYTHON_3_12)
                .architecture(Architecture.ARM_64)
                .handler("index.handler")
                .code(Code.fromInline(HOOK_CODE))
                .timeout(Duration.seconds(5))
                .description("Pre-provisioning hook: only serial numbers LT-<6 digits> are provisioned")
                .build();

        FleetProvisioning fleet = fleetPipeline.addFleetProvisioning("Lathes", AddFleetProvisioningOptions.builder()
                .templateName("lathes")
                .thingNamePrefix("lathe-")
                .attributes(List.of("Model"))
                .preProvisioningHook(hookFunction)
                .claimCertificate(DeviceCertificate.generated())
                .build());

        Stack binaryStack = new Stack(app, "Binary");

        IotCoreFirehosePipeline cborPipeline = IotCoreFirehosePipeline.Builder.create(binaryStack, "Cbor")
                .topic("grid/meters")
                .payload(PayloadFormat.binary())
                .parser(Parser.reference(ReferenceParserOptions.builder().decoder(PayloadDecoder.cbor()).build()))
                .table(TableOptions.builder()
                        .columns(List.of(
                                Column.builder().name("kwh").type(ColumnType.DOUBLE).build(),
                                Column.builder().name("device_id").type(ColumnType.STRING).build()))
                        .build())
                .build();

        IotCoreFirehosePipeline protobufPipeline = IotCoreFirehosePipeline.Builder.create(binaryStack, "Protobuf")
                .topic("factory/lathes")
                .payload(PayloadFormat.protobuf(ProtobufPayloadOptions.builder()
                        .descriptorSet(DESCRIPTOR_SET)
                        .messageType("factory.v1.Telemetry")
                        .build()))
                .build();

        return new Example(app, stack, pipeline, custom, csvPipeline, parserFunction, functionPipeline, queryable,
                jsonTablePipeline, parquetPipeline, fleetStack, hookFunction, fleet, binaryStack, cborPipeline,
                protobufPipeline);
    }

    public static void main(final String[] args) {
        build().app().synth();
    }
}
