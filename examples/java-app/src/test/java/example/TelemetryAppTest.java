package example;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.assertThrows;

import io.github.cdkiotcorefirehosepipeline.AddFleetProvisioningOptions;
import io.github.cdkiotcorefirehosepipeline.Column;
import io.github.cdkiotcorefirehosepipeline.ColumnType;
import io.github.cdkiotcorefirehosepipeline.CsvOptions;
import io.github.cdkiotcorefirehosepipeline.DeviceCertificate;
import io.github.cdkiotcorefirehosepipeline.DeviceCertificateSource;
import io.github.cdkiotcorefirehosepipeline.IotCoreFirehosePipeline;
import io.github.cdkiotcorefirehosepipeline.ParsedFormat;
import io.github.cdkiotcorefirehosepipeline.ParserDelivery;
import io.github.cdkiotcorefirehosepipeline.ParserDeliveryMode;
import io.github.cdkiotcorefirehosepipeline.PayloadFormat;
import io.github.cdkiotcorefirehosepipeline.PayloadFormatKind;
import io.github.cdkiotcorefirehosepipeline.ProtobufPayloadOptions;
import io.github.cdkiotcorefirehosepipeline.PipelineEncryption;
import io.github.cdkiotcorefirehosepipeline.PipelineEncryptionKind;
import io.github.cdkiotcorefirehosepipeline.TableOptions;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.Paths;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Collectors;
import java.util.stream.Stream;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import software.amazon.awscdk.App;
import software.amazon.awscdk.Stack;
import software.amazon.awscdk.assertions.Capture;
import software.amazon.awscdk.assertions.Match;
import software.amazon.awscdk.assertions.Template;
import software.amazon.awscdk.cxapi.CloudAssembly;

/** Asserts on the templates that {@link TelemetryApp} synthesizes with the jsii-built jar. */
class TelemetryAppTest {

    private static final String DATA_PREFIX =
            "parsed/year=!{timestamp:yyyy}/month=!{timestamp:MM}/day=!{timestamp:dd}/hour=!{timestamp:HH}/";
    private static final String ERROR_PREFIX =
            "errors/!{firehose:error-output-type}/year=!{timestamp:yyyy}/month=!{timestamp:MM}/day=!{timestamp:dd}/hour=!{timestamp:HH}/";
    private static final String RAW_PREFIX =
            "raw/year=!{timestamp:yyyy}/month=!{timestamp:MM}/day=!{timestamp:dd}/hour=!{timestamp:HH}/";

    private static TelemetryApp.Example ex;
    private static Template telemetry;
    private static Template custom;
    private static Template queryable;
    private static Template fleet;
    private static Template binary;

    @BeforeAll
    static void synthesize() {
        ex = TelemetryApp.build();
        telemetry = Template.fromStack(ex.stack());
        custom = Template.fromStack(ex.custom());
        queryable = Template.fromStack(ex.queryable());
        fleet = Template.fromStack(ex.fleetStack());
        binary = Template.fromStack(ex.binaryStack());
    }

    // --- helpers ------------------------------------------------------------------------------------------------

    /** The ARN {@code arn:<partition>:iot:<region>:<account>:<resource>} as the template renders it. */
    private static Map<String, Object> iotArn(final String resource) {
        return Map.of("Fn::Join", List.of("", List.of(
                "arn:", Map.of("Ref", "AWS::Partition"), ":iot:", Map.of("Ref", "AWS::Region"), ":",
                Map.of("Ref", "AWS::AccountId"), ":" + resource)));
    }

    private static Object resolve(final Stack stack, final Object value) {
        return stack.resolve(value);
    }

    /** The logical id in {@code {"Ref": id}} or {@code {"Fn::GetAtt": [id, attr]}}. */
    @SuppressWarnings("unchecked")
    private static String idOf(final Object reference) {
        Map<String, Object> map = (Map<String, Object>) reference;
        if (map.containsKey("Ref")) {
            return (String) map.get("Ref");
        }
        return (String) ((List<Object>) map.get("Fn::GetAtt")).get(0);
    }

    @SuppressWarnings("unchecked")
    private static Map<String, Object> props(final Template template, final String logicalId) {
        Map<String, Object> resources = (Map<String, Object>) template.toJSON().get("Resources");
        Map<String, Object> resource = (Map<String, Object>) resources.get(logicalId);
        assertNotNull(resource, "no resource " + logicalId);
        return (Map<String, Object>) resource.get("Properties");
    }

    @SuppressWarnings("unchecked")
    private static Map<String, Object> s3Destination(final Template template, final IotCoreFirehosePipeline pipeline,
                                                     final Stack stack) {
        String streamId = idOf(resolve(stack, pipeline.getDeliveryStream().getDeliveryStreamName()));
        return (Map<String, Object>) props(template, streamId).get("ExtendedS3DestinationConfiguration");
    }

    /** The Lambda processor's parameters, by name. */
    @SuppressWarnings("unchecked")
    private static Map<String, Object> processorParameters(final Map<String, Object> destination) {
        Map<String, Object> processing = (Map<String, Object>) destination.get("ProcessingConfiguration");
        assertEquals(Boolean.TRUE, processing.get("Enabled"));
        List<Map<String, Object>> processors = (List<Map<String, Object>>) processing.get("Processors");
        assertEquals(1, processors.size());
        assertEquals("Lambda", processors.get(0).get("Type"));
        return ((List<Map<String, Object>>) processors.get(0).get("Parameters")).stream()
                .collect(Collectors.toMap(p -> (String) p.get("ParameterName"), p -> p.get("ParameterValue")));
    }

    @SuppressWarnings("unchecked")
    private static Map<String, Object> buffering(final Map<String, Object> destination) {
        Map<String, Object> hints = (Map<String, Object>) destination.get("BufferingHints");
        return Map.of("IntervalInSeconds", ((Number) hints.get("IntervalInSeconds")).intValue(),
                "SizeInMBs", ((Number) hints.get("SizeInMBs")).intValue());
    }

    @SuppressWarnings("unchecked")
    private static Map<String, String> environment(final Map<String, Object> function) {
        return (Map<String, String>) ((Map<String, Object>) function.get("Environment")).get("Variables");
    }

    // --- the packages under test ----------------------------------------------------------------------------------

    @Test
    void runsAgainstThePeerFloorAndTheBuiltJar() throws Exception {
        Path cdkJar = Paths.get(App.class.getProtectionDomain().getCodeSource().getLocation().toURI());
        assertEquals("aws-cdk-lib-" + System.getProperty("example.cdkVersion") + ".jar", cdkJar.getFileName().toString());
        assertEquals("2.222.0", System.getProperty("example.cdkVersion"));
        // the jar on the class path is byte for byte the one jsii-pacmak just wrote to dist/java (not a stale copy)
        Path libJar = Paths.get(IotCoreFirehosePipeline.class.getProtectionDomain().getCodeSource().getLocation().toURI());
        String version = System.getProperty("example.pipelineVersion");
        Path distJar = Paths.get(System.getProperty("example.pipelineRepo"), "io", "github", "cdk-iot-core-firehose-pipeline",
                "cdk-iot-core-firehose-pipeline", version, "cdk-iot-core-firehose-pipeline-" + version + ".jar");
        assertArrayEquals(Files.readAllBytes(distJar), Files.readAllBytes(libJar), libJar + " differs from " + distJar);
    }

    // --- Telemetry stack: the README snippet, reference parser with JSON Lines, alarms only, customer-managed key ---

    private static Object keyArn() {
        return resolve(ex.stack(), ex.pipeline().getEncryptionKey().getKeyArn());
    }

    @Test
    void thingIsNamedAfterTheConstructPath() {
        String name = ex.pipeline().getThingName();
        assertTrue(name.matches("Telemetry-Pipeline-Device-[0-9A-F]{8}"), name);
        telemetry.resourceCountIs("AWS::IoT::Thing", 1);
        telemetry.hasResourceProperties("AWS::IoT::Thing", Map.of("ThingName", name));
        telemetry.hasOutput("*", Map.of("Value", name, "Description", "Thing name = MQTT client id"));
    }

    @Test
    void devicePolicyAllowsConnectAsTheThingAndPublishToTheTopicOnly() {
        telemetry.resourceCountIs("AWS::IoT::Policy", 1);
        telemetry.hasResourceProperties("AWS::IoT::Policy", Map.of("PolicyDocument", Match.objectEquals(Map.of(
                "Version", "2012-10-17",
                "Statement", List.of(
                        Map.of("Sid", "ConnectAsTheThing", "Effect", "Allow", "Action", "iot:Connect",
                                "Resource", iotArn("client/" + ex.pipeline().getThingName()),
                                // only with a certificate that is attached to the thing
                                "Condition", Map.of("Bool", Map.of("iot:Connection.Thing.IsAttached", "true"))),
                        Map.of("Sid", "PublishTelemetry", "Effect", "Allow", "Action", "iot:Publish",
                                "Resource", List.of(iotArn("topic/iot-test-topic"), iotArn("topic/iot-test-topic/*"))))))));
        // generated certificate (the default): attached to the thing and to the policy
        telemetry.resourceCountIs("Custom::IotDeviceCertificate", 1);
        telemetry.resourceCountIs("AWS::IoT::ThingPrincipalAttachment", 1);
        telemetry.hasResourceProperties("AWS::IoT::PolicyPrincipalAttachment", Map.of(
                "PolicyName", Map.of("Ref", resolve(ex.stack(), ex.stack().getLogicalId(ex.pipeline().getDevicePolicy())))));
    }

    @Test
    void topicRuleForwardsToFirehoseAndSendsErrorsToTheRawBucket() {
        Stack stack = ex.stack();
        IotCoreFirehosePipeline pipeline = ex.pipeline();
        Capture role = new Capture();
        // the topic rule, and the rule that keeps payloads with their own "topic" in the raw bucket
        telemetry.resourceCountIs("AWS::IoT::TopicRule", 2);
        telemetry.hasResourceProperties("AWS::IoT::TopicRule", Map.of("TopicRulePayload", Match.objectLike(Map.of(
                "Sql", "SELECT * FROM 'iot-test-topic/+' WHERE NOT isUndefined(topic)"))));
        telemetry.hasResourceProperties("AWS::IoT::TopicRule", Map.of("TopicRulePayload", Map.of(
                "Sql", "SELECT topic() as topic, * FROM 'iot-test-topic/+' WHERE isUndefined(topic)",
                "AwsIotSqlVersion", "2016-03-23",
                "RuleDisabled", false,
                "Actions", List.of(Map.of("Firehose", Map.of(
                        "DeliveryStreamName", resolve(stack, pipeline.getDeliveryStream().getDeliveryStreamName()),
                        "RoleArn", role,
                        "Separator", "\n"))),
                "ErrorAction", Map.of("S3", Map.of(
                        "BucketName", resolve(stack, pipeline.getRawBucket().getBucketName()),
                        "Key", Match.stringLikeRegexp("^iot-rule-errors/\\$\\{parse_time\\(.*\\)\\}/\\$\\{newuuid\\(\\)\\}\\.json$"),
                        "RoleArn", Match.anyValue())))));
        String roleId = idOf(role.asObject());
        // the rule role may put records into exactly this stream and write rule errors under iot-rule-errors/
        telemetry.hasResourceProperties("AWS::IAM::Policy", Map.of(
                "Roles", List.of(Map.of("Ref", roleId)),
                "PolicyDocument", Map.of("Statement", List.of(
                        Map.of("Action", "firehose:PutRecord", "Effect", "Allow",
                                "Resource", resolve(stack, pipeline.getDeliveryStream().getDeliveryStreamArn())),
                        Map.of("Action", "s3:PutObject", "Effect", "Allow",
                                "Resource", Map.of("Fn::Join", List.of("", List.of(
                                        resolve(stack, pipeline.getRawBucket().getBucketArn()), "/iot-rule-errors/*")))),
                        // the customer-managed key: through S3 only, for the raw bucket only
                        Map.of("Action", "kms:GenerateDataKey", "Effect", "Allow", "Resource", keyArn(), "Condition", Map.of(
                                "StringEquals", Map.of("kms:ViaService", Map.of("Fn::Join", List.of("", List.of(
                                        "s3.", Map.of("Ref", "AWS::Region"), ".amazonaws.com")))),
                                "StringLike", Map.of("kms:EncryptionContext:aws:s3:arn", List.of(
                                        resolve(stack, pipeline.getRawBucket().getBucketArn()),
                                        Map.of("Fn::Join", List.of("", List.of(resolve(stack, pipeline.getRawBucket().getBucketArn()), "/*")))))))))));
    }

    @Test
    void deliveryStreamBuffersCompressesBacksUpAndInvokesTheReferenceParser() {
        Stack stack = ex.stack();
        IotCoreFirehosePipeline pipeline = ex.pipeline();
        telemetry.resourceCountIs("AWS::KinesisFirehose::DeliveryStream", 1);
        telemetry.hasResourceProperties("AWS::KinesisFirehose::DeliveryStream", Map.of(
                "DeliveryStreamType", "DirectPut",
                "DeliveryStreamEncryptionConfigurationInput", Map.of("KeyType", "CUSTOMER_MANAGED_CMK", "KeyARN", keyArn()),
                "ExtendedS3DestinationConfiguration", Map.ofEntries(
                        Map.entry("BucketARN", resolve(stack, pipeline.getParsedBucket().getBucketArn())),
                        Map.entry("EncryptionConfiguration", Map.of("KMSEncryptionConfig", Map.of("AWSKMSKeyARN", keyArn()))),
                        Map.entry("BufferingHints", Map.of("IntervalInSeconds", 60, "SizeInMBs", 1)),
                        Map.entry("CompressionFormat", "GZIP"),
                        Map.entry("FileExtension", ".json.gz"),
                        Map.entry("Prefix", DATA_PREFIX),
                        Map.entry("ErrorOutputPrefix", ERROR_PREFIX),
                        Map.entry("CloudWatchLoggingOptions", Map.of("Enabled", true)),
                        Map.entry("S3BackupMode", "Enabled"),
                        Map.entry("S3BackupConfiguration", Map.of(
                                "BucketARN", resolve(stack, pipeline.getRawBucket().getBucketArn()),
                                "Prefix", RAW_PREFIX,
                                "CompressionFormat", "GZIP",
                                "BufferingHints", Map.of("IntervalInSeconds", 60, "SizeInMBs", 1),
                                "EncryptionConfiguration", Map.of("KMSEncryptionConfig", Map.of("AWSKMSKeyARN", keyArn())))))));
        Map<String, Object> params = processorParameters(s3Destination(telemetry, pipeline, stack));
        assertEquals(resolve(stack, pipeline.getParserFunction().getFunctionArn()), params.get("LambdaArn"));
        assertEquals(List.of("3", "1", "60"), List.of(params.get("NumberOfRetries"), params.get("BufferSizeInMBs"),
                params.get("BufferIntervalInSeconds")));
    }

    @Test
    void referenceParserIsTheBundledNodeFunctionWithJsonLines() {
        Map<String, Object> fn = props(telemetry, idOf(resolve(ex.stack(), ex.pipeline().getParserFunction().getFunctionArn())));
        assertEquals("nodejs22.x", fn.get("Runtime"));
        assertEquals(List.of("arm64"), fn.get("Architectures"));
        assertEquals("index.handler", fn.get("Handler"));
        Map<String, String> env = environment(fn);
        assertEquals("jsonl", env.get("PARSER_FORMAT"));
        assertEquals("{\"topicSegmentFields\":[\"device\"]}", env.get("PARSER_OPTIONS"));
        assertEquals("firehose", env.get("PARSER_DELIVERY"));
        @SuppressWarnings("unchecked")
        Map<String, Object> code = (Map<String, Object>) fn.get("Code");
        assertEquals(java.util.Set.of("S3Bucket", "S3Key"), code.keySet(), "the reference parser is a file asset");
    }

    @Test
    @SuppressWarnings("unchecked")
    void bucketsAreHardened() {
        Stack stack = ex.stack();
        telemetry.resourceCountIs("AWS::S3::Bucket", 3); // parsed, raw, access logs
        Map<String, Object> resources = (Map<String, Object>) telemetry.toJSON().get("Resources");
        for (var bucket : List.of(ex.pipeline().getParsedBucket(), ex.pipeline().getRawBucket())) {
            String bucketId = idOf(resolve(stack, bucket.getBucketName()));
            Map<String, Object> resource = (Map<String, Object>) resources.get(bucketId);
            assertEquals("Retain", resource.get("DeletionPolicy"));
            Map<String, Object> p = (Map<String, Object>) resource.get("Properties");
            assertEquals(Map.of("BlockPublicAcls", true, "BlockPublicPolicy", true, "IgnorePublicAcls", true,
                    "RestrictPublicBuckets", true), p.get("PublicAccessBlockConfiguration"));
            assertEquals(Map.of("Status", "Enabled"), p.get("VersioningConfiguration"));
            // encryption(PipelineEncryption.customerManaged()): SSE-KMS with the pipeline's key and S3 Bucket Keys
            assertEquals(Map.of("ServerSideEncryptionConfiguration", List.of(Map.of(
                    "ServerSideEncryptionByDefault", Map.of("SSEAlgorithm", "aws:kms", "KMSMasterKeyID", keyArn()),
                    "BucketKeyEnabled", true))), p.get("BucketEncryption"));
            assertTrue(((Map<String, Object>) p.get("LoggingConfiguration")).containsKey("DestinationBucketName"));
            telemetry.hasResourceProperties("AWS::S3::BucketPolicy", Map.of(
                    "Bucket", Map.of("Ref", bucketId),
                    "PolicyDocument", Map.of("Statement", Match.arrayWith(List.of(Match.objectLike(Map.of(
                            "Effect", "Deny", "Action", "s3:*",
                            "Condition", Map.of("Bool", Map.of("aws:SecureTransport", "false")))))))));
        }
    }

    @Test
    void customerManagedEncryptionCreatesOneRotatingKeyForSecretAndLogGroups() {
        assertNotNull(ex.pipeline().getEncryptionKey());
        telemetry.resourceCountIs("AWS::KMS::Key", 1);
        telemetry.hasResourceProperties("AWS::KMS::Key", Map.of("EnableKeyRotation", true));
        telemetry.hasResourceProperties("AWS::SecretsManager::Secret", Map.of("KmsKeyId", keyArn()));
        // the stream's and the parser's log groups (one year)
        Map<String, Map<String, Object>> logGroups = telemetry.findResources("AWS::Logs::LogGroup",
                Map.of("Properties", Map.of("KmsKeyId", Match.anyValue())));
        assertEquals(2, logGroups.size());
        for (Map<String, Object> group : logGroups.values()) {
            @SuppressWarnings("unchecked")
            Map<String, Object> p = (Map<String, Object>) group.get("Properties");
            assertEquals(keyArn(), p.get("KmsKeyId"));
            assertEquals(365, ((Number) p.get("RetentionInDays")).intValue());
        }
    }

    @Test
    void monitoringHasTheAlarmsAndNoDashboard() {
        telemetry.resourceCountIs("AWS::CloudWatch::Alarm", 10);
        telemetry.resourceCountIs("AWS::CloudWatch::Dashboard", 0);
        assertEquals(10, ex.pipeline().getMonitoring().getAlarms().size());
        assertNull(ex.pipeline().getMonitoring().getDashboard());
    }

    @Test
    void enumLikeClassesExposeTheirKind() {
        assertEquals(PipelineEncryptionKind.AWS_MANAGED, PipelineEncryption.awsManaged().getKind());
        assertEquals(PipelineEncryptionKind.CUSTOMER_MANAGED, PipelineEncryption.customerManaged().getKind());
        assertEquals(DeviceCertificateSource.NONE, DeviceCertificate.none().getSource());
        assertEquals(ParserDeliveryMode.DIRECT, ParserDelivery.direct().getMode());
        assertEquals(DeviceCertificateSource.GENERATED, ex.pipeline().getDevice().getCertificateSource());
    }

    @Test
    void stackOutputsTheDataEndpointAndTheCertificateSecret() {
        @SuppressWarnings("unchecked")
        Map<String, Object> outputs = (Map<String, Object>) telemetry.toJSON().get("Outputs");
        assertTrue(outputs.containsKey("IotDataAtsEndpoint"));
        telemetry.hasOutput("*", Map.of("Value", resolve(ex.stack(), ex.pipeline().getCertificateSecret().getSecretArn())));
        telemetry.hasOutput("*", Map.of("Value", "iot-test-topic", "Description", "Base topic devices publish to"));
    }

    // --- CustomParsers stack: reference parser with CSV, and Parser.fromFunction with a Python function ----------

    @Test
    @SuppressWarnings("unchecked")
    void csvReferenceParserPipeline() {
        Stack stack = ex.custom();
        IotCoreFirehosePipeline pipeline = ex.csvPipeline();
        custom.hasResourceProperties("AWS::IoT::Thing", Map.of("ThingName", "line-1-gateway"));
        custom.hasResourceProperties("AWS::IoT::TopicRule", Map.of("TopicRulePayload", Match.objectLike(Map.of(
                "Sql", "SELECT topic() as topic, * FROM 'plant/line-1/+' WHERE isUndefined(topic)"))));
        Map<String, Object> destination = s3Destination(custom, pipeline, stack);
        assertEquals(Map.of("IntervalInSeconds", 120, "SizeInMBs", 8), buffering(destination));
        assertEquals(Map.of("IntervalInSeconds", 120, "SizeInMBs", 8),
                buffering((Map<String, Object>) destination.get("S3BackupConfiguration")));
        assertEquals(".csv.gz", destination.get("FileExtension"));
        Map<String, Object> params = processorParameters(destination);
        assertEquals(resolve(stack, pipeline.getParserFunction().getFunctionArn()), params.get("LambdaArn"));
        assertEquals(List.of("5", "1", "60"), List.of(params.get("NumberOfRetries"), params.get("BufferSizeInMBs"),
                params.get("BufferIntervalInSeconds")));
        Map<String, Object> fn = props(custom, idOf(params.get("LambdaArn")));
        assertEquals(1024, ((Number) fn.get("MemorySize")).intValue());
        assertEquals("csv", environment(fn).get("PARSER_FORMAT"));
        assertEquals("{\"columns\":[\"machine\",\"temperature\",\"reading.humidity\"]}", environment(fn).get("PARSER_OPTIONS"));
    }

    @Test
    @SuppressWarnings("unchecked")
    void functionParserPipelineInvokesThePythonFunction() {
        Stack stack = ex.custom();
        IotCoreFirehosePipeline pipeline = ex.functionPipeline();
        Object fnArn = resolve(stack, ex.parserFunction().getFunctionArn());
        assertEquals(fnArn, resolve(stack, pipeline.getParserFunction().getFunctionArn()));
        Map<String, Object> destination = s3Destination(custom, pipeline, stack);
        Map<String, Object> params = processorParameters(destination);
        assertEquals(fnArn, params.get("LambdaArn"));
        // explicit processor parameters, including a fractional buffer size and zero retries
        assertEquals(List.of("0", "0.25", "30"), List.of(params.get("NumberOfRetries"), params.get("BufferSizeInMBs"),
                params.get("BufferIntervalInSeconds")));
        assertEquals(".csv.gz", destination.get("FileExtension"));
        assertEquals("Enabled", destination.get("S3BackupMode"));
        assertEquals(resolve(stack, pipeline.getRawBucket().getBucketArn()),
                ((Map<String, Object>) destination.get("S3BackupConfiguration")).get("BucketARN"));
        // the Firehose role may invoke exactly that function
        String roleId = idOf(params.get("RoleArn"));
        Map<String, Map<String, Object>> policies = custom.findResources("AWS::IAM::Policy",
                Map.of("Properties", Map.of("Roles", List.of(Map.of("Ref", roleId)))));
        assertEquals(1, policies.size());
        Map<String, Object> document = (Map<String, Object>) ((Map<String, Object>) policies.values().iterator().next()
                .get("Properties")).get("PolicyDocument");
        List<Object> invoke = new ArrayList<>();
        for (Map<String, Object> statement : (List<Map<String, Object>>) document.get("Statement")) {
            if (String.valueOf(statement.get("Action")).contains("lambda:InvokeFunction")) {
                invoke.add(statement);
            }
        }
        assertEquals(List.of(Map.of("Action", List.of("lambda:InvokeFunction", "lambda:GetFunctionConfiguration"), "Effect", "Allow", "Resource", fnArn,
                "Sid", "InvokeTheParser")), invoke);
        custom.hasResourceProperties("AWS::Lambda::Function", Map.of(
                "Runtime", "python3.12", "Handler", "index.handler", "Architectures", List.of("arm64"),
                "Code", Map.of("ZipFile", TelemetryApp.PARSER_CODE)));
        assertEquals(1, custom.findResources("AWS::Lambda::Function",
                Map.of("Properties", Map.of("Runtime", "python3.12"))).size());
    }

    @Test
    void twoPipelinesShareOneCertificateProviderAndOneEndpointLookup() {
        custom.resourceCountIs("AWS::IoT::Thing", 2);
        custom.resourceCountIs("AWS::KinesisFirehose::DeliveryStream", 2);
        custom.resourceCountIs("AWS::IoT::TopicRule", 4); // per pipeline: the topic rule and the rejected-messages rule
        custom.resourceCountIs("Custom::IotDeviceCertificate", 2);
        custom.resourceCountIs("Custom::AWS", 1);
        custom.resourceCountIs("AWS::S3::Bucket", 6);
        // the defaults: AWS-managed encryption, alarms and a dashboard per pipeline
        custom.resourceCountIs("AWS::KMS::Key", 0);
        assertNull(ex.csvPipeline().getEncryptionKey());
        custom.resourceCountIs("AWS::CloudWatch::Alarm", 20);
        custom.resourceCountIs("AWS::CloudWatch::Dashboard", 2);
    }

    // --- Queryable stack: Glue tables with partition projection, Athena workgroups, Parquet ------------------------

    @SuppressWarnings("unchecked")
    private static Map<String, Object> glueTable(final String name) {
        List<Map<String, Object>> tables = new ArrayList<>();
        for (Map<String, Object> resource : queryable.findResources("AWS::Glue::Table").values()) {
            Map<String, Object> p = (Map<String, Object>) resource.get("Properties");
            if (name.equals(((Map<String, Object>) p.get("TableInput")).get("Name"))) {
                tables.add(p);
            }
        }
        assertEquals(1, tables.size(), name);
        return tables.get(0);
    }

    @Test
    void twoTablesShareOneGlueDatabase() {
        queryable.resourceCountIs("AWS::Glue::Database", 1);
        queryable.hasResourceProperties("AWS::Glue::Database", Map.of("DatabaseInput", Match.objectLike(Map.of("Name", "plant"))));
        queryable.resourceCountIs("AWS::Glue::Table", 2);
        queryable.resourceCountIs("AWS::Athena::WorkGroup", 2);
        assertEquals(List.of("plant", "json_table", "plant-json_table"), List.of(ex.jsonTablePipeline().getDatabaseName(),
                ex.jsonTablePipeline().getTableName(), ex.jsonTablePipeline().getWorkGroupName()));
        assertEquals("line_telemetry", ex.parquetPipeline().getTableName());
    }

    @Test
    @SuppressWarnings("unchecked")
    void jsonTableHasTheColumnsAndTheDefaultProjection() {
        Map<String, Object> input = (Map<String, Object>) glueTable("json_table").get("TableInput");
        Map<String, Object> descriptor = (Map<String, Object>) input.get("StorageDescriptor");
        List<String> columns = new ArrayList<>();
        for (Map<String, Object> c : (List<Map<String, Object>>) descriptor.get("Columns")) {
            columns.add(c.get("Name") + " " + c.get("Type"));
        }
        assertEquals(List.of("device string", "reading struct<celsius:double,tags:array<string>>", "price decimal(10,2)",
                "arrival_timestamp bigint"), columns);
        assertEquals("org.openx.data.jsonserde.JsonSerDe",
                ((Map<String, Object>) descriptor.get("SerdeInfo")).get("SerializationLibrary"));
        List<String> keys = new ArrayList<>();
        for (Map<String, Object> k : (List<Map<String, Object>>) input.get("PartitionKeys")) {
            keys.add(k.get("Name") + " " + k.get("Type"));
        }
        assertEquals(List.of("year int", "month int", "day int", "hour int"), keys);
        Map<String, Object> params = (Map<String, Object>) input.get("Parameters");
        assertEquals("true", params.get("projection.enabled"));
        assertEquals("integer", params.get("projection.hour.type"));
        assertEquals("0,23", params.get("projection.hour.range"));
        assertTrue(String.valueOf(params.get("storage.location.template"))
                .contains("/parsed/year=${year}/month=${month}/day=${day}/hour=${hour}/"));
    }

    @Test
    @SuppressWarnings("unchecked")
    void jsonTableWorkGroupUsesItsOptions() {
        Map<String, Object> workGroup = null;
        for (Map<String, Object> resource : queryable.findResources("AWS::Athena::WorkGroup").values()) {
            Map<String, Object> p = (Map<String, Object>) resource.get("Properties");
            if ("plant-json_table".equals(p.get("Name"))) {
                workGroup = p;
            }
        }
        assertNotNull(workGroup);
        Map<String, Object> config = (Map<String, Object>) workGroup.get("WorkGroupConfiguration");
        assertEquals(1073741824L, ((Number) config.get("BytesScannedCutoffPerQuery")).longValue());
        assertEquals(true, config.get("EnforceWorkGroupConfiguration"));
        assertEquals(true, config.get("PublishCloudWatchMetricsEnabled"));
        String bucketId = idOf(resolve(ex.queryable(), ex.jsonTablePipeline().getQueryResultsBucket().getBucketName()));
        Map<String, Object> bucket = props(queryable, bucketId);
        List<Map<String, Object>> rules = (List<Map<String, Object>>) ((Map<String, Object>) bucket.get("LifecycleConfiguration")).get("Rules");
        assertEquals(7, ((Number) rules.get(0).get("ExpirationInDays")).intValue());
    }

    @Test
    @SuppressWarnings("unchecked")
    void parquetTableConvertsRecordsAndProjectsTheKnownPartitionValues() {
        Map<String, Object> destination = s3Destination(queryable, ex.parquetPipeline(), ex.queryable());
        Map<String, Object> conversion = (Map<String, Object>) destination.get("DataFormatConversionConfiguration");
        assertEquals(Map.of("Serializer", Map.of("ParquetSerDe", Map.of("Compression", "GZIP"))), conversion.get("OutputFormatConfiguration"));
        Map<String, Object> schema = (Map<String, Object>) conversion.get("SchemaConfiguration");
        // the stream names the Glue table by its Ref (so CloudFormation creates it after the table)
        String tableId = queryable.findResources("AWS::Glue::Table").entrySet().stream()
                .filter(e -> "line_telemetry".equals(((Map<String, Object>) ((Map<String, Object>) e.getValue().get("Properties")).get("TableInput")).get("Name")))
                .map(Map.Entry::getKey).findFirst().orElseThrow();
        assertEquals(List.of("plant", Map.of("Ref", tableId)), List.of(schema.get("DatabaseName"), schema.get("TableName")));
        // aws-cdk-lib's dataFormatConversion sets no CompressionFormat: CloudFormation's default, UNCOMPRESSED
        assertFalse(destination.containsKey("CompressionFormat"));
        Map<String, Object> input = (Map<String, Object>) glueTable("line_telemetry").get("TableInput");
        Map<String, Object> params = (Map<String, Object>) input.get("Parameters");
        assertEquals(List.of("enum", "line-1,line-2"), List.of(params.get("projection.line.type"), params.get("projection.line.values")));
        assertEquals("line", ((List<Map<String, Object>>) input.get("PartitionKeys")).get(0).get("Name"));
    }

    // --- Fleet stack: fleet provisioning by claim ------------------------------------------------------------------

    /** A {@code Fn::Join} of strings and {@code Ref}s as text, each {@code Ref} as {@code <logical id>}. */
    @SuppressWarnings("unchecked")
    private static String joined(final Object value) {
        if (value instanceof String text) {
            return text;
        }
        List<Object> join = (List<Object>) ((Map<String, Object>) value).get("Fn::Join");
        return ((List<Object>) join.get(1)).stream()
                .map(p -> p instanceof String text ? text : "<" + ((Map<String, Object>) p).get("Ref") + ">")
                .collect(Collectors.joining((String) join.get(0)));
    }

    /** The one resource of a type whose logical id starts with a prefix. */
    @SuppressWarnings("unchecked")
    private static Map.Entry<String, Map<String, Object>> onlyResource(final Template template, final String type, final String idPrefix) {
        List<Map.Entry<String, Map<String, Object>>> found = template.findResources(type).entrySet().stream()
                .filter(e -> e.getKey().startsWith(idPrefix)).toList();
        assertEquals(1, found.size(), type + " " + idPrefix);
        return found.get(0);
    }

    @Test
    void fleetTemplateIsEnabledAndNamed() {
        assertEquals("lathes", ex.fleet().getTemplateName());
        assertEquals("lathe-", ex.fleet().getThingNamePrefix());
        fleet.hasResourceProperties("AWS::IoT::ProvisioningTemplate", Map.of(
                "TemplateName", "lathes",
                "TemplateType", "FLEET_PROVISIONING",
                "Enabled", true,
                "ProvisioningRoleArn", Map.of("Fn::GetAtt", List.of(Match.stringLikeRegexp("^PipelineLathesProvisioningRole"), "Arn")),
                "PreProvisioningHook", Map.of(
                        "TargetArn", resolve(ex.fleetStack(), ex.hookFunction().getFunctionArn()),
                        "PayloadVersion", "2020-04-01")));
    }

    @Test
    @SuppressWarnings("unchecked")
    void fleetTemplateBodyMakesTheThingActivatesTheCertificateAndAttachesTheFleetPolicy() {
        Map<String, Object> template = onlyResource(fleet, "AWS::IoT::ProvisioningTemplate", "PipelineLathesTemplate").getValue();
        String body = joined(((Map<String, Object>) template.get("Properties")).get("TemplateBody"));
        String policyId = onlyResource(fleet, "AWS::IoT::Policy", "PipelineFleetPolicy").getKey();
        assertEquals("{\"Parameters\":{\"SerialNumber\":{\"Type\":\"String\"},\"Model\":{\"Type\":\"String\"},"
                + "\"AWS::IoT::Certificate::Id\":{\"Type\":\"String\"}},"
                + "\"Resources\":{"
                + "\"thing\":{\"Type\":\"AWS::IoT::Thing\",\"Properties\":{"
                + "\"ThingName\":{\"Fn::Join\":[\"\",[\"lathe-\",{\"Ref\":\"SerialNumber\"}]]},"
                + "\"AttributePayload\":{\"Model\":{\"Ref\":\"Model\"}}}},"
                + "\"certificate\":{\"Type\":\"AWS::IoT::Certificate\",\"Properties\":{"
                + "\"CertificateId\":{\"Ref\":\"AWS::IoT::Certificate::Id\"},\"Status\":\"ACTIVE\"}},"
                + "\"policy\":{\"Type\":\"AWS::IoT::Policy\",\"Properties\":{\"PolicyName\":\"<" + policyId + ">\"}}}}",
                body);
    }

    @Test
    @SuppressWarnings("unchecked")
    void claimPolicyAllowsOnlyTheTemplatesProvisioningTopics() {
        Map<String, Object> document = (Map<String, Object>) resolve(ex.fleetStack(), ex.fleet().getClaimPolicy().getPolicyDocument());
        List<Map<String, Object>> statements = (List<Map<String, Object>>) document.get("Statement");
        assertEquals(List.of("ConnectWithAnyClientId", "FleetProvisioningTopics", "FleetProvisioningAnswers"),
                statements.stream().map(s -> s.get("Sid")).toList());
        assertEquals(iotArn("client/*"), statements.get(0).get("Resource"));
        assertEquals(List.of("iot:Publish", "iot:Receive"), statements.get(1).get("Action"));
        assertEquals(List.of(
                iotArn("topic/$aws/certificates/create/*"),
                iotArn("topic/$aws/certificates/create-from-csr/*"),
                iotArn("topic/$aws/provisioning-templates/lathes/provision/*")), statements.get(1).get("Resource"));
        assertEquals("iot:Subscribe", statements.get(2).get("Action"));
        assertEquals(List.of(
                "$aws/certificates/create/*/accepted", "$aws/certificates/create/*/rejected",
                "$aws/certificates/create-from-csr/*/accepted", "$aws/certificates/create-from-csr/*/rejected",
                "$aws/provisioning-templates/lathes/provision/*/accepted", "$aws/provisioning-templates/lathes/provision/*/rejected"),
                ((List<Object>) statements.get(2).get("Resource")).stream().map(r -> joined(r).split(":topicfilter/")[1]).toList());
    }

    @Test
    @SuppressWarnings("unchecked")
    void provisioningRoleIsTrustedByIotOfThisAccountOnly() {
        Map<String, Object> role = onlyResource(fleet, "AWS::IAM::Role", "PipelineLathesProvisioningRole").getValue();
        Map<String, Object> trust = (Map<String, Object>) ((Map<String, Object>) role.get("Properties")).get("AssumeRolePolicyDocument");
        List<Map<String, Object>> statements = (List<Map<String, Object>>) trust.get("Statement");
        assertEquals(1, statements.size());
        assertEquals(Map.of("Service", "iot.amazonaws.com"), statements.get(0).get("Principal"));
        Map<String, Object> condition = (Map<String, Object>) statements.get(0).get("Condition");
        assertEquals(Map.of("aws:SourceAccount", Map.of("Ref", "AWS::AccountId")), condition.get("StringEquals"));
        assertEquals("arn:<AWS::Partition>:iot:<AWS::Region>:<AWS::AccountId>:*",
                joined(((Map<String, Object>) condition.get("ArnLike")).get("aws:SourceArn")));
    }

    @Test
    void hookMayBeInvokedByIotForThisTemplateOnly() {
        fleet.hasResourceProperties("AWS::Lambda::Permission", Map.of(
                "Action", "lambda:InvokeFunction",
                "Principal", "iot.amazonaws.com",
                "FunctionName", resolve(ex.fleetStack(), ex.hookFunction().getFunctionArn()),
                "SourceArn", iotArn("provisioningtemplate/lathes"),
                "SourceAccount", Map.of("Ref", "AWS::AccountId")));
    }

    @Test
    @SuppressWarnings("unchecked")
    void fleetOutputsNameTheTemplateAndTheClaimSecret() {
        Map<String, Object> outputs = (Map<String, Object>) fleet.toJSON().get("Outputs");
        assertEquals(List.of("lathes"), outputs.entrySet().stream()
                .filter(e -> e.getKey().matches("^PipelineLathesFleetTemplateNameOutput[0-9A-F]{8}$"))
                .map(e -> ((Map<String, Object>) e.getValue()).get("Value")).toList());
        Object secret = resolve(ex.fleetStack(), ex.fleet().getClaimCertificateSecret().getSecretArn());
        assertEquals(List.of(secret), outputs.entrySet().stream()
                .filter(e -> e.getKey().matches("^PipelineLathesFleetClaimSecretArnOutput[0-9A-F]{8}$"))
                .map(e -> ((Map<String, Object>) e.getValue()).get("Value")).toList());
    }

    @Test
    void invalidFleetPropsThrowInJava() {
        IotCoreFirehosePipeline pipeline = IotCoreFirehosePipeline.Builder.create(new Stack(new App(), "InvalidFleet"), "Pipeline")
                .topic("t").build();
        RuntimeException name = assertThrows(RuntimeException.class, () ->
                pipeline.addFleetProvisioning("Bad", AddFleetProvisioningOptions.builder().templateName("has space").build()));
        assertTrue(name.getMessage().contains("invalid `templateName`"), name.getMessage());
        RuntimeException twice = assertThrows(RuntimeException.class, () ->
                pipeline.addFleetProvisioning("Twice", AddFleetProvisioningOptions.builder().attributes(List.of("Model", "Model")).build()));
        assertTrue(twice.getMessage().contains("\"Model\" is listed twice"), twice.getMessage());
    }

    // --- Binary stack: CBOR decoded by the reference parser (with a table), Protobuf decoded in the rule ------------

    @SuppressWarnings("unchecked")
    private static List<Object> ruleSqls(final Template template, final Stack stack) {
        Map<String, Map<String, Object>> rules = (Map<String, Map<String, Object>>) (Object) template.findResources("AWS::IoT::TopicRule");
        return rules.values().stream()
                .map(r -> resolve(stack, ((Map<String, Object>) ((Map<String, Object>) r.get("Properties")).get("TopicRulePayload")).get("Sql")))
                .toList();
    }

    @Test
    @SuppressWarnings("unchecked")
    void cborPipelineWrapsTheBytesAndConfiguresTheDecoder() {
        assertTrue(ruleSqls(binary, ex.binaryStack()).contains(
                "SELECT encode(*, 'base64') AS payload, topic() AS topic, clientid() AS clientId, timestamp() AS timestamp FROM 'grid/meters/+'"));
        assertNull(ex.cborPipeline().getRejectedMessagesRule());
        assertEquals(PayloadFormatKind.BINARY, ex.cborPipeline().getPayloadFormat().getKind());
        Map<String, Map<String, Object>> parsers = (Map<String, Map<String, Object>>) (Object) binary.findResources("AWS::Lambda::Function",
                Map.of("Properties", Map.of("Description", Match.stringLikeRegexp("cbor payloads"))));
        assertEquals(1, parsers.size());
        Map<String, String> env = environment((Map<String, Object>) parsers.values().iterator().next().get("Properties"));
        assertEquals("binary", env.get("PARSER_PAYLOAD"));
        assertEquals("{\"kind\":\"cbor\"}", env.get("PARSER_DECODER"));
        binary.resourceCountIs("AWS::Glue::Table", 1);
    }

    @Test
    @SuppressWarnings("unchecked")
    void protobufPipelineDecodesInTheRuleWithTheDeployedDescriptorSet() {
        Object bucket = resolve(ex.binaryStack(), ex.protobufPipeline().getDescriptorSetBucket().getBucketName());
        List<Object> decode = ruleSqls(binary, ex.binaryStack()).stream().filter(s -> s instanceof Map).toList();
        assertEquals(1, decode.size());
        List<Object> parts = (List<Object>) ((List<Object>) ((Map<String, Object>) decode.get(0)).get("Fn::Join")).get(1);
        assertEquals("SELECT decode(*, 'proto', '", parts.get(0));
        assertEquals(bucket, parts.get(1));
        assertTrue(((String) parts.get(2)).matches(
                "', 'payload-schemas/[0-9a-f]{16}\\.desc', 'telemetry', 'factory\\.v1\\.Telemetry'\\) AS payload, .* FROM 'factory/lathes/\\+'"),
                (String) parts.get(2));
        binary.resourceCountIs("Custom::CDKBucketDeployment", 1);
        binary.hasResourceProperties("AWS::S3::BucketPolicy", Map.of("Bucket", bucket, "PolicyDocument", Map.of("Statement", Match.arrayWith(List.of(
                Match.objectLike(Map.of("Principal", Map.of("Service", "iot.amazonaws.com"), "Action", "s3:Get*",
                        "Condition", Match.objectLike(Map.of("ArnLike", Match.anyValue(), "StringEquals", Match.anyValue())))))))));
    }

    @Test
    void invalidPayloadPropsThrowInJava() {
        RuntimeException type = assertThrows(RuntimeException.class, () ->
                PayloadFormat.protobuf(ProtobufPayloadOptions.builder().descriptorSet(TelemetryApp.DESCRIPTOR_SET).messageType("Nope").build()));
        assertTrue(type.getMessage().contains("declares no message \"Nope\""), type.getMessage());
        RuntimeException decoder = assertThrows(RuntimeException.class, () ->
                IotCoreFirehosePipeline.Builder.create(new Stack(new App(), "NoDecoder"), "Pipeline").topic("t")
                        .payload(PayloadFormat.binary()).build());
        assertTrue(decoder.getMessage().contains("give it a decoder"), decoder.getMessage());
    }

    // --- errors cross the language boundary ------------------------------------------------------------------------

    @Test
    void invalidPropsThrowInJava() {
        RuntimeException wildcard = assertThrows(RuntimeException.class, () ->
                IotCoreFirehosePipeline.Builder.create(new Stack(new App(), "Invalid"), "Pipeline")
                        .topic("iot-test-topic/+").build());
        assertTrue(wildcard.getMessage().contains("MQTT wildcard"), wildcard.getMessage());
        RuntimeException noColumns = assertThrows(RuntimeException.class, () ->
                ParsedFormat.csv(CsvOptions.builder().columns(List.of()).build()));
        assertTrue(noColumns.getMessage().contains("at least one column"), noColumns.getMessage());
        RuntimeException upper = assertThrows(RuntimeException.class, () ->
                IotCoreFirehosePipeline.Builder.create(new Stack(new App(), "InvalidTable"), "Pipeline").topic("t")
                        .table(TableOptions.builder().columns(List.of(Column.builder().name("Temp").type(ColumnType.DOUBLE).build())).build())
                        .build());
        assertTrue(upper.getMessage().contains("\"Temp\" has uppercase letters"), upper.getMessage());
    }

    // --- the app as a CDK app, and the README -----------------------------------------------------------------------

    @Test
    void appSynthesizesACloudAssemblyWithTheBundledHandlers() throws IOException {
        CloudAssembly assembly = TelemetryApp.build().app().synth();
        assertEquals(List.of("Binary", "CustomParsers", "Fleet", "Queryable", "Telemetry"),
                assembly.getStacks().stream().map(s -> s.getStackName()).sorted().toList());
        Path out = Paths.get(assembly.getDirectory());
        String template = Files.readString(out.resolve("Telemetry.template.json"));
        assertTrue(template.contains("AWS::KinesisFirehose::DeliveryStream"));
        // the handlers bundled into the jar (assets/) are in the assembly, and they are the real bundles
        List<String> bundles = new ArrayList<>();
        try (Stream<Path> assets = Files.list(out)) {
            for (Path dir : assets.filter(p -> p.getFileName().toString().startsWith("asset.")).toList()) {
                Path index = dir.resolve("index.js");
                if (Files.exists(index)) {
                    bundles.add(Files.readString(index));
                }
            }
        }
        assertTrue(bundles.stream().anyMatch(b -> b.contains("PARSER_FORMAT") && b.length() > 10_000),
                "reference parser bundle missing");
        assertTrue(bundles.stream().anyMatch(b -> b.contains("CreateKeysAndCertificate")),
                "certificate provider bundle missing");
    }

    private static String region(final String source, final String name) {
        Matcher m = Pattern.compile("^[ \\t]*// \\[README:" + Pattern.quote(name) + "\\]\\n(.*?)^[ \\t]*// \\[/README:"
                + Pattern.quote(name) + "\\]\\n", Pattern.DOTALL | Pattern.MULTILINE).matcher(source);
        assertTrue(m.find(), "no README:" + name + " region");
        return m.group(1);
    }

    /** The README's Java snippet: the imports region, an empty line, the body region without its indentation. */
    static String readmeSnippet(final String source) {
        return region(source, "java-imports") + "\n" + dedent(region(source, "java"));
    }

    /** Removes the indentation common to all non-blank lines. */
    static String dedent(final String text) {
        List<String> lines = text.lines().toList();
        int indent = lines.stream().filter(l -> !l.isBlank())
                .mapToInt(l -> l.length() - l.stripLeading().length()).min().orElse(0);
        return lines.stream().map(l -> l.isBlank() ? "" : l.substring(indent)).collect(Collectors.joining("\n", "", "\n"));
    }

    @Test
    void readmeJavaSnippetIsTheOneThisAppRuns() throws IOException {
        String snippet = readmeSnippet(Files.readString(Paths.get(System.getProperty("example.appSource"))));
        String readme = Files.readString(Paths.get(System.getProperty("example.readme")));
        List<String> blocks = new ArrayList<>();
        Matcher m = Pattern.compile("^```java\\n(.*?)^```", Pattern.DOTALL | Pattern.MULTILINE).matcher(readme);
        while (m.find()) {
            blocks.add(m.group(1));
        }
        assertTrue(blocks.contains(snippet),
                "README.md has no ```java block equal to the README regions of TelemetryApp.java:\n" + snippet);
    }
}
