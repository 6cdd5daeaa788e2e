"""Names and limits shared with the TypeScript side (copied from src/contract/parser.ts and
src/contract/partition-keys.ts; test/lambda/toolkit/vectors.test.ts checks that the copies still match)."""

import re

# Lambda's synchronous response limit is 6 MB (6,291,456 B); like AWS's processor blueprints the toolkit stops at
# 6,000,000 B for headroom (https://docs.aws.amazon.com/firehose/latest/dev/data-transformation.html).
MAX_RESPONSE_BYTES = 6_000_000

METRICS_NAMESPACE = "IotCoreFirehosePipeline"
DEFAULT_SERVICE_NAME = "firehose-parser"
ENV_SERVICE_NAME = "POWERTOOLS_SERVICE_NAME"
ENV_METRICS_NAMESPACE = "POWERTOOLS_METRICS_NAMESPACE"
ENV_LOG_LEVEL = "POWERTOOLS_LOG_LEVEL"
ENV_METRICS_DISABLED = "POWERTOOLS_METRICS_DISABLED"
ENV_LAMBDA_LOG_LEVEL = "AWS_LAMBDA_LOG_LEVEL"

PARTITION_KEY_VALUE_MAX_LENGTH = 128
_PARTITION_KEY_VALUE_PATTERN = re.compile(r"[A-Za-z0-9_.:@+-]+")


def partition_key_value_problem(value):
    """Why a partition-key value is not in the safe set (without quoting it), or None when it is safe."""
    if len(value) == 0:
        return "is empty"
    if len(value) > PARTITION_KEY_VALUE_MAX_LENGTH:
        return "is %d characters long (at most %d)" % (len(value), PARTITION_KEY_VALUE_MAX_LENGTH)
    if value in (".", ".."):
        return 'is "." or ".." (a path segment)'
    # fullmatch, not match with "$": "$" would also match before a trailing newline.
    if _PARTITION_KEY_VALUE_PATTERN.fullmatch(value) is None:
        if "/" in value:
            return 'contains "/" (it would add S3 key levels)'
        if "=" in value:
            return 'contains "=" (it would look like a Hive partition)'
        return "contains a character outside A-Z a-z 0-9 _ - . : @ +"
    return None

# The binary envelope's fields (src/contract/payload.ts, BINARY_ENVELOPE): what a binary pipeline's rule writes.
ENVELOPE_PAYLOAD = "payload"
ENVELOPE_TOPIC = "topic"
ENVELOPE_CLIENT_ID = "clientId"
ENVELOPE_TIMESTAMP = "timestamp"
