"""boto3 (what Python parsers in direct delivery use) against the runner's loopback S3 API.

Run by test/local/s3/api-security.e2e.test.ts with the endpoint and the run's credentials in the environment
(AWS_ENDPOINT_URL_S3, AWS_ACCESS_KEY_ID, AWS_SECRET_ACCESS_KEY, AWS_REGION); prints one JSON object.
"""
import json
import sys

import boto3
from botocore.config import Config


def main() -> None:
    bucket, key = sys.argv[1], sys.argv[2]
    path_style = {"addressing_style": "path"}
    s3 = boto3.client("s3", config=Config(s3=path_style, retries={"max_attempts": 1}))
    s3.put_object(Bucket=bucket, Key=key, Body=b"from boto3")
    body = s3.get_object(Bucket=bucket, Key=key)["Body"].read().decode()
    params = {"Bucket": bucket, "Key": key}
    v4 = boto3.client("s3", config=Config(s3=path_style, signature_version="s3v4"))
    presigned = v4.generate_presigned_url("get_object", Params=params, ExpiresIn=60)
    # botocore presigns with Signature Version 2 by default for a custom endpoint
    presigned_v2 = s3.generate_presigned_url("get_object", Params=params, ExpiresIn=60)
    print(json.dumps({"body": body, "presigned": presigned, "presignedV2": presigned_v2}))


if __name__ == "__main__":
    main()
