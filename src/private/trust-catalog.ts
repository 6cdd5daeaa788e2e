/**
 * Every trust and every condition key the construct's templates may contain, each with the AWS page that documents
 * it. `test/src/trust.test.ts` synthesizes every example stack and fails on a role trust principal, a trust condition
 * key or a policy condition key this list does not hold; the README's "Why each trust and condition" table is
 * rendered from it (`trustTableMarkdown()`) and checked against it.
 *
 * A service principal that contains the region is written with `<region>` (`logs.<region>.amazonaws.com`).
 */

/** Who may assume a role, and on which condition keys. */
export interface DocumentedTrust {
  /** The service principal in the role's trust policy. */
  readonly principal: string;
  /** The condition keys the trust policy uses (all of them, exactly). */
  readonly conditionKeys: readonly string[];
  /** Which roles of the pipeline trust it. */
  readonly roles: string;
  /** The AWS page that documents the principal and its conditions. */
  readonly page: string;
}

/** A service principal that a bucket policy of the construct allows, and on which condition keys. */
export interface DocumentedBucketPolicyPrincipal {
  /** The service principal in the bucket policy's Allow statement. */
  readonly principal: string;
  /** The condition keys of that statement (all of them, exactly). */
  readonly conditionKeys: readonly string[];
  /** Which buckets, and what the service does there. */
  readonly buckets: string;
  /** The AWS pages that document the access and its conditions. */
  readonly page: string;
}

/** A condition key in an identity or resource policy. */
export interface DocumentedCondition {
  readonly key: string;
  /** Where the construct uses it, and for what. */
  readonly usedIn: string;
  /** The AWS page that documents the key for that service. */
  readonly page: string;
}

/** The Firehose developer guide, "Grant Firehose access to an Amazon S3 destination": trust on `sts:ExternalId` = the account. */
export const FIREHOSE_S3_ACCESS_PAGE = 'https://docs.aws.amazon.com/firehose/latest/dev/controlling-access.html#using-iam-s3';
/** AWS IoT's cross-service confused deputy prevention: `aws:SourceArn` (`arn:<partition>:iot:<region>:<account>:…`) and `aws:SourceAccount`. */
export const IOT_CONFUSED_DEPUTY_PAGE = 'https://docs.aws.amazon.com/iot/latest/developerguide/cross-service-confused-deputy-prevention.html';
/** Lambda's execution role: trusted by `lambda.amazonaws.com`, no condition documented. */
export const LAMBDA_EXECUTION_ROLE_PAGE = 'https://docs.aws.amazon.com/lambda/latest/dg/lambda-intro-execution-role.html';
/** AWS KMS condition keys: `kms:ViaService`, `kms:EncryptionContext:<key>`. */
export const KMS_VIA_SERVICE_PAGE = 'https://docs.aws.amazon.com/kms/latest/developerguide/conditions-kms.html#conditions-kms-via-service';
/** Amazon S3's SSE-KMS encryption context: `aws:s3:arn` is the object's ARN, or the bucket's with an S3 Bucket Key. */
export const S3_ENCRYPTION_CONTEXT_PAGE = 'https://docs.aws.amazon.com/AmazonS3/latest/userguide/UsingKMSEncryption.html#encryption-context';
/** Secrets Manager's encryption context (`SecretARN`) and the KMS permissions PutSecretValue needs. */
export const SECRETS_MANAGER_ENCRYPTION_PAGE = 'https://docs.aws.amazon.com/secretsmanager/latest/userguide/security-encryption.html';
/** CloudWatch Logs' use of a KMS key: the principal `logs.<region>.amazonaws.com`, the context `aws:logs:arn`. */
export const LOGS_KMS_PAGE = 'https://docs.aws.amazon.com/AmazonCloudWatch/latest/logs/encrypt-log-data-kms.html';
/** IAM's global condition keys (`aws:SecureTransport`, `aws:PrincipalArn`, `aws:PrincipalAccount`, ...). */
export const GLOBAL_CONDITION_KEYS_PAGE = 'https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_policies_condition-keys.html';
/** The actions, resources and condition keys of Secrets Manager (`aws:TagKeys` on TagResource and UntagResource). */
export const SECRETS_MANAGER_ACTIONS_PAGE = 'https://docs.aws.amazon.com/service-authorization/latest/reference/list_awssecretsmanager.html';
/** S3 server access logging through a bucket policy: `logging.s3.amazonaws.com` on `aws:SourceArn` and `aws:SourceAccount`. */
export const S3_ACCESS_LOGGING_PAGE = 'https://docs.aws.amazon.com/AmazonS3/latest/userguide/enable-server-access-logging.html';
/** Athena: the S3 actions on the query results location and the source data (AmazonAthenaFullAccess). */
export const ATHENA_S3_PERMISSIONS_PAGE = 'https://docs.aws.amazon.com/athena/latest/ug/managed-policies.html';
/** Athena over SSE-KMS data and results: `kms:Decrypt` to read, `kms:GenerateDataKey` to write results. */
export const ATHENA_KMS_PAGE = 'https://docs.aws.amazon.com/athena/latest/ug/encryption.html';
/** The Step Functions page on a state machine's role (and its confused-deputy conditions). */
export const STEP_FUNCTIONS_ROLE_PAGE = 'https://docs.aws.amazon.com/step-functions/latest/dg/procedure-create-iam-role.html';
/** Firehose record format conversion: the role reads the Glue table (GetTable, GetTableVersion, GetTableVersions). */
export const FIREHOSE_GLUE_ACCESS_PAGE = 'https://docs.aws.amazon.com/firehose/latest/dev/controlling-access.html#using-iam-glue';

/** The role trusts of the construct and of the aws-cdk-lib constructs it uses. */
export const DOCUMENTED_TRUSTS: readonly DocumentedTrust[] = [
  {
    principal: 'firehose.amazonaws.com',
    conditionKeys: ['sts:ExternalId'],
    roles: 'the delivery stream\'s role (`sts:ExternalId` = the account id)',
    page: FIREHOSE_S3_ACCESS_PAGE,
  },
  {
    principal: 'iot.amazonaws.com',
    conditionKeys: ['aws:SourceAccount', 'aws:SourceArn'],
    roles: 'the topic rules\' roles (`aws:SourceArn` = the rule\'s ARN), the IoT logging role and the fleet provisioning role (`aws:SourceArn` = `arn:…:iot:<region>:<account>:*`)',
    page: IOT_CONFUSED_DEPUTY_PAGE,
  },
  {
    principal: 'lambda.amazonaws.com',
    conditionKeys: [],
    roles: 'the parser, the certificate provider, the endpoint lookup, aws-cdk-lib\'s custom-resource providers, the replay worker',
    page: LAMBDA_EXECUTION_ROLE_PAGE,
  },
  {
    principal: 'states.amazonaws.com',
    conditionKeys: ['aws:SourceAccount', 'aws:SourceArn'],
    roles: 'the replay state machine\'s role (`aws:SourceArn` = `arn:…:states:<region>:<account>:*`)',
    page: STEP_FUNCTIONS_ROLE_PAGE,
  },
];

/** AWS IoT reading a FileDescriptorSet for `decode(*, 'proto', …)`: `iot.amazonaws.com`, `s3:Get*` on the object, SSE-S3 or SSE-KMS. */
export const IOT_PROTOBUF_DESCRIPTOR_PAGE = 'https://docs.aws.amazon.com/iot/latest/developerguide/binary-payloads.html';

/** The service principals the construct's bucket policies allow. */
export const DOCUMENTED_BUCKET_POLICY_PRINCIPALS: readonly DocumentedBucketPolicyPrincipal[] = [
  {
    principal: 'logging.s3.amazonaws.com',
    conditionKeys: ['aws:SourceAccount', 'aws:SourceArn'],
    buckets: 'the access-log buckets: S3 delivers the server access logs of the logged bucket (`aws:SourceArn` = that bucket) under its prefix',
    page: S3_ACCESS_LOGGING_PAGE,
  },
  {
    principal: 'iot.amazonaws.com',
    conditionKeys: ['aws:SourceAccount', 'aws:SourceArn'],
    buckets: 'the descriptor set bucket of `PayloadFormat.protobuf()`: the rule\'s `decode(*, \'proto\', …)` reads (`s3:Get*`) the FileDescriptorSet under `payload-schemas/` (`aws:SourceArn` = `arn:…:iot:<region>:<account>:*`)',
    page: `${IOT_PROTOBUF_DESCRIPTOR_PAGE} (access), ${IOT_CONFUSED_DEPUTY_PAGE} (conditions)`,
  },
];

/** The condition keys of the identity and resource policies. */
export const DOCUMENTED_CONDITIONS: readonly DocumentedCondition[] = [
  {
    key: 'kms:ViaService',
    usedIn: 'every grant of the customer-managed key to a role: only through S3 (`s3.<region>.amazonaws.com`) or Secrets Manager (`secretsmanager.<region>.amazonaws.com`)',
    page: KMS_VIA_SERVICE_PAGE,
  },
  {
    key: 'kms:EncryptionContext:aws:s3:arn',
    usedIn: 'the key\'s use through S3: only for the pipeline\'s buckets (their ARNs and their objects\' ARNs)',
    page: S3_ENCRYPTION_CONTEXT_PAGE,
  },
  {
    key: 'kms:EncryptionContext:SecretARN',
    usedIn: 'the certificate provider\'s use of the key through Secrets Manager: only for the secrets it writes',
    page: SECRETS_MANAGER_ENCRYPTION_PAGE,
  },
  {
    key: 'kms:EncryptionContext:aws:logs:arn',
    usedIn: 'the key policy statement for CloudWatch Logs: only the pipeline\'s log groups',
    page: LOGS_KMS_PAGE,
  },
  {
    key: 'aws:SecureTransport',
    usedIn: 'the buckets\' policies (aws-cdk-lib `enforceSSL`): deny requests without TLS',
    page: GLOBAL_CONDITION_KEYS_PAGE,
  },
  {
    key: 'aws:SourceArn',
    usedIn: 'the access-log bucket\'s policy for `logging.s3.amazonaws.com`: only the logged buckets; the descriptor set bucket\'s policy for `iot.amazonaws.com`: only AWS IoT of this account and region (IoT\'s confused-deputy page)',
    page: S3_ACCESS_LOGGING_PAGE,
  },
  {
    key: 'aws:SourceAccount',
    usedIn: 'the access-log bucket\'s policy for `logging.s3.amazonaws.com` and the descriptor set bucket\'s policy for `iot.amazonaws.com`: only this account',
    page: S3_ACCESS_LOGGING_PAGE,
  },
  {
    key: 'aws:PrincipalAccount',
    usedIn: 'the certificate secret\'s policy: deny principals of other accounts',
    page: GLOBAL_CONDITION_KEYS_PAGE,
  },
  {
    key: 'aws:PrincipalIsAWSService',
    usedIn: 'the certificate secret\'s policy: AWS services acting for the account are not denied as "another account"',
    page: GLOBAL_CONDITION_KEYS_PAGE,
  },
  {
    key: 'aws:PrincipalArn',
    usedIn: 'the certificate secret\'s policy: the provider may not read the secret; only the provider may change its ownership tag',
    page: GLOBAL_CONDITION_KEYS_PAGE,
  },
  {
    key: 'aws:TagKeys',
    usedIn: 'the provider may tag its secrets with the ownership tag only; the secret\'s policy denies everyone else tagging or untagging it',
    page: SECRETS_MANAGER_ACTIONS_PAGE,
  },
  {
    key: 'iot:Connection.Thing.IsAttached',
    usedIn: 'the device policies (AWS IoT policies, not IAM): connect only with a certificate attached to the thing',
    page: 'https://docs.aws.amazon.com/iot/latest/developerguide/thing-policy-variables.html',
  },
  {
    key: 's3:prefix',
    usedIn: 'the replay worker\'s `s3:ListBucket` on the parsed bucket: only keys under its run folder `errors/replay-runs/`',
    page: 'https://docs.aws.amazon.com/service-authorization/latest/reference/list_amazons3.html',
  },
];

/** The README's "Why each trust and condition" tables, rendered from the lists above. */
export function trustTableMarkdown(): string {
  const trusts = DOCUMENTED_TRUSTS.map((t) =>
    `| \`${t.principal}\` | ${t.conditionKeys.length === 0 ? 'none' : t.conditionKeys.map((k) => `\`${k}\``).join(', ')} | ${t.roles} | ${t.page} |`);
  const conditions = DOCUMENTED_CONDITIONS.map((c) => `| \`${c.key}\` | ${c.usedIn} | ${c.page} |`);
  const bucketPrincipals = DOCUMENTED_BUCKET_POLICY_PRINCIPALS.map((b) =>
    `| \`${b.principal}\` | ${b.conditionKeys.map((k) => `\`${k}\``).join(', ')} | ${b.buckets} | ${b.page} |`);
  return [
    '| principal (sts:AssumeRole) | condition keys | roles | AWS page |',
    '|---|---|---|---|',
    ...trusts,
    '',
    '| principal (bucket policy) | condition keys | buckets and access | AWS page |',
    '|---|---|---|---|',
    ...bucketPrincipals,
    '',
    '| condition key | where and why | AWS page |',
    '|---|---|---|',
    ...conditions,
  ].join('\n');
}

/** Who uses the customer-managed key (`PipelineEncryption.customerManaged()`), for what, through which service. */
export interface KeyUse {
  readonly who: string;
  readonly forWhat: string;
  readonly actions: string;
  /** The service the key is used through (`kms:ViaService`), or how else the use is bounded. */
  readonly through: string;
  /** The encryption context the use is limited to. */
  readonly context: string;
}

/** Every use of the pipeline's key (`grantKeyThroughS3`, `grantKeyThroughSecretsManager`, the key policy). */
export const KEY_USES: readonly KeyUse[] = [
  {
    who: 'the delivery stream\'s role',
    forWhat: 'writing parsed and raw objects (and reading parts back for multipart uploads)',
    actions: '`kms:GenerateDataKey`, `kms:Decrypt`',
    through: 'S3 (`s3.<region>.amazonaws.com`)',
    context: '`aws:s3:arn`: the parsed and raw buckets and their objects',
  },
  {
    who: 'the topic rule\'s role, the rejected-messages rule\'s role',
    forWhat: 'writing rule errors and rejected messages into the raw bucket',
    actions: '`kms:GenerateDataKey`',
    through: 'S3',
    context: '`aws:s3:arn`: the raw bucket and its objects',
  },
  {
    who: 'the reference parser with `ParserDelivery.direct()`',
    forWhat: 'writing its own objects into the parsed bucket',
    actions: '`kms:GenerateDataKey`',
    through: 'S3',
    context: '`aws:s3:arn`: the parsed bucket and its objects',
  },
  {
    who: 'the certificate provider',
    forWhat: 'storing a generated certificate and its private key (PutSecretValue)',
    actions: '`kms:GenerateDataKey`',
    through: 'Secrets Manager (`secretsmanager.<region>.amazonaws.com`)',
    context: '`SecretARN`: that certificate\'s secret',
  },
  {
    who: 'the replay worker (`addReplay()`)',
    forWhat: 'reading processing-failed and raw objects; writing replayed rows and failed-again records into the parsed bucket',
    actions: '`kms:Decrypt` (parsed and raw buckets); `kms:GenerateDataKey` (parsed bucket)',
    through: 'S3',
    context: '`aws:s3:arn`: the parsed and raw buckets and their objects',
  },
  {
    who: 'a principal given `grantQuery()`',
    forWhat: 'Athena reading the table\'s objects and query results; writing query results',
    actions: '`kms:Decrypt`; `kms:GenerateDataKey` (results only)',
    through: 'S3',
    context: '`aws:s3:arn`: the parsed and results buckets (results only for writing)',
  },
  {
    who: 'the account\'s principals that IAM allows (in the key policy, added by aws-cdk-lib\'s `Secret` for the certificate secret)',
    forWhat: 'using the certificate secret (Secrets Manager encrypts and decrypts it for them)',
    actions: '`kms:Encrypt`, `kms:Decrypt`, `kms:ReEncrypt*`, `kms:GenerateDataKey*`, `kms:CreateGrant`, `kms:DescribeKey`',
    through: 'Secrets Manager',
    context: 'none beyond the service (aws-cdk-lib\'s statement); the secret\'s resource policy limits who may use the secret',
  },
  {
    who: 'CloudWatch Logs (`logs.<region>.amazonaws.com`, in the key policy)',
    forWhat: 'encrypting the pipeline\'s log groups',
    actions: '`kms:Encrypt*`, `kms:Decrypt*`, `kms:ReEncrypt*`, `kms:GenerateDataKey*`, `kms:Describe*`',
    through: 'the service principal itself',
    context: '`aws:logs:arn`: log groups named with the pipeline\'s prefix',
  },
];

/** The README's "Who uses the key" table, rendered from `KEY_USES`. */
export function keyUseTableMarkdown(): string {
  return [
    '| who | for what | actions | through | encryption context |',
    '|---|---|---|---|---|',
    ...KEY_USES.map((u) => `| ${u.who} | ${u.forWhat} | ${u.actions} | ${u.through} | ${u.context} |`),
  ].join('\n');
}
