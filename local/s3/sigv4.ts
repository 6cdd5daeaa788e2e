/**
 * Checks AWS Signature Version 4 on requests to the loopback S3 API: the run's own random credentials are the only
 * ones accepted, so nothing but the functions the runner started (which get them in their environment) can read or
 * write the local buckets.
 *
 * The algorithm is S3's:
 * - Authorization header: https://docs.aws.amazon.com/AmazonS3/latest/API/sigv4-auth-using-authorization-header.html
 *   and https://docs.aws.amazon.com/AmazonS3/latest/API/sig-v4-header-based-auth.html (canonical request, string to
 *   sign, signing key; the payload hash is the `x-amz-content-sha256` header, `UNSIGNED-PAYLOAD` or `STREAMING-…`).
 * - Presigned URL (query parameters): https://docs.aws.amazon.com/AmazonS3/latest/API/sigv4-query-string-auth.html
 *   (`X-Amz-Signature` is left out of the canonical query string; the payload is `UNSIGNED-PAYLOAD`; `X-Amz-Expires`).
 * The chunk signatures of an `aws-chunked` body are not checked (the seed signature over the headers is).
 * Written here rather than taken from a signer package: verifying needs the canonical request of a request someone
 * else encoded (the path exactly as sent), which a signer rebuilds from its own encoding.
 */
import { createHash, createHmac, randomBytes, timingSafeEqual } from 'crypto';

/** Access key id and secret access key of one run. */
export interface RunCredentials {
  readonly accessKeyId: string;
  readonly secretAccessKey: string;
}

/** Fresh random credentials for one run (an id of 20 upper-case characters, a 40-character secret, like AWS's). */
export function randomRunCredentials(): RunCredentials {
  const alphabet = 'ABCDEFGHIJKLMNOPQRSTUVWXYZ234567';
  const id = [...randomBytes(16)].map((b) => alphabet[b % 32]).join('');
  return { accessKeyId: `LKIA${id}`, secretAccessKey: randomBytes(30).toString('base64') };
}

/** What a request is, as far as its signature goes. */
export interface SignedRequest {
  readonly method: string;
  /** The request target as sent (`req.url`): path still percent-encoded, query string. */
  readonly url: string;
  /** Lower-case names (Node's `req.headers`). */
  readonly headers: Readonly<Record<string, string | string[] | undefined>>;
}

/** Why a request is refused: the S3 error code and message to answer with (HTTP 403; 400 for the last four). */
export interface SignatureFailure {
  readonly code: 'AccessDenied' | 'InvalidAccessKeyId' | 'SignatureDoesNotMatch' | 'RequestTimeTooSkewed'
  | 'AuthorizationHeaderMalformed' | 'AuthorizationQueryParametersError' | 'XAmzContentSHA256Mismatch' | 'InvalidRequest';
  readonly message: string;
  readonly accessKeyId?: string;
}

const ALGORITHM = 'AWS4-HMAC-SHA256';
/** S3 refuses a request whose time differs from its own by more than 15 minutes (RequestTimeTooSkewed). */
const MAX_SKEW_MS = 15 * 60 * 1000;
/** A presigned URL lives at most 7 days (sigv4-query-string-auth.html, X-Amz-Expires). */
const MAX_EXPIRES_SECONDS = 604800;

/** RFC 3986 encoding as SigV4 wants it: everything but `A-Za-z0-9-._~` percent-encoded, upper-case hex. */
function uriEncode(value: string): string {
  return encodeURIComponent(value).replace(/[!'()*]/g, (c) => `%${c.charCodeAt(0).toString(16).toUpperCase()}`);
}

function sha256Hex(data: string | Buffer): string {
  return createHash('sha256').update(data).digest('hex');
}

function hmac(key: Buffer | string, data: string): Buffer {
  return createHmac('sha256', key).update(data, 'utf8').digest();
}

function decodeQueryComponent(raw: string): string {
  try {
    return decodeURIComponent(raw.replace(/\+/g, '%20'));
  } catch {
    return raw;
  }
}

function queryPairs(query: string): Array<[string, string]> {
  if (query === '') return [];
  return query.split('&').filter((p) => p !== '').map((pair) => {
    const eq = pair.indexOf('=');
    return eq < 0 ? [decodeQueryComponent(pair), ''] : [decodeQueryComponent(pair.slice(0, eq)), decodeQueryComponent(pair.slice(eq + 1))];
  });
}

function canonicalQuery(pairs: Array<[string, string]>): string {
  return pairs
    .map(([k, v]) => [uriEncode(k), uriEncode(v)])
    .sort(([ak, av], [bk, bv]) => (ak < bk ? -1 : ak > bk ? 1 : av < bv ? -1 : av > bv ? 1 : 0))
    .map(([k, v]) => `${k}=${v}`)
    .join('&');
}

function headerValue(headers: SignedRequest['headers'], name: string): string | undefined {
  const v = headers[name];
  if (v === undefined) return undefined;
  return (Array.isArray(v) ? v.join(',') : v).trim().replace(/\s+/g, ' ');
}

/** `20130524T000000Z` → Date, or undefined. */
function parseAmzDate(value: string | undefined): Date | undefined {
  const m = /^(\d{4})(\d{2})(\d{2})T(\d{2})(\d{2})(\d{2})Z$/.exec(value ?? '');
  if (!m) return undefined;
  return new Date(Date.UTC(+m[1], +m[2] - 1, +m[3], +m[4], +m[5], +m[6]));
}

interface Parsed {
  readonly accessKeyId: string;
  readonly scope: string;
  readonly date: string;
  readonly region: string;
  readonly service: string;
  readonly signedHeaders: string[];
  readonly signature: string;
  readonly amzDate: string;
  readonly payloadHash: string;
  readonly pairs: Array<[string, string]>;
}

function parseCredential(credential: string): { accessKeyId: string; date: string; region: string; service: string; terminal: string } | undefined {
  const parts = credential.split('/');
  if (parts.length !== 5) return undefined;
  const [accessKeyId, date, region, service, terminal] = parts;
  return { accessKeyId, date, region, service, terminal };
}

function parse(req: SignedRequest): Parsed | SignatureFailure {
  const q = req.url.indexOf('?');
  const pairs = queryPairs(q < 0 ? '' : req.url.slice(q + 1));
  const param = (name: string) => pairs.find(([k]) => k === name)?.[1];
  const authorization = headerValue(req.headers, 'authorization');
  if (authorization?.startsWith('AWS ') || param('AWSAccessKeyId') !== undefined) {
    // Signature Version 2 (what botocore presigns with by default for a custom endpoint): S3's answer in the Regions
    // that accept only Version 4.
    return {
      code: 'InvalidRequest',
      message: 'The authorization mechanism you have provided is not supported. Please use AWS4-HMAC-SHA256. '
        + '(boto3: botocore.config.Config(signature_version="s3v4"))',
    };
  }
  if (authorization !== undefined) {
    const m = /^AWS4-HMAC-SHA256 +Credential=([^,\s]+), *SignedHeaders=([^,\s]+), *Signature=([0-9a-f]{64})$/.exec(authorization);
    const credential = m ? parseCredential(m[1]) : undefined;
    if (!m || !credential) {
      return { code: 'AuthorizationHeaderMalformed', message: `The authorization header is malformed; expected "${ALGORITHM} Credential=<access key id>/<date>/<region>/s3/aws4_request, SignedHeaders=…, Signature=…" (Signature Version 4).` };
    }
    const payloadHash = headerValue(req.headers, 'x-amz-content-sha256');
    if (payloadHash === undefined) {
      return { code: 'AccessDenied', message: 'Missing required header for this request: x-amz-content-sha256', accessKeyId: credential.accessKeyId };
    }
    return {
      ...credential,
      scope: `${credential.date}/${credential.region}/${credential.service}/${credential.terminal}`,
      signedHeaders: m[2].split(';'),
      signature: m[3],
      amzDate: headerValue(req.headers, 'x-amz-date') ?? '',
      payloadHash,
      pairs,
    };
  }
  if (param('X-Amz-Algorithm') !== undefined || param('X-Amz-Signature') !== undefined) {
    const credential = parseCredential(param('X-Amz-Credential') ?? '');
    const signature = param('X-Amz-Signature') ?? '';
    const signedHeaders = param('X-Amz-SignedHeaders');
    if (param('X-Amz-Algorithm') !== ALGORITHM || !credential || !/^[0-9a-f]{64}$/.test(signature) || !signedHeaders) {
      return { code: 'AuthorizationQueryParametersError', message: `Query-string authentication (Signature Version 4) requires X-Amz-Algorithm=${ALGORITHM}, X-Amz-Credential, X-Amz-Date, X-Amz-Expires, X-Amz-SignedHeaders and X-Amz-Signature.` };
    }
    const expires = Number(param('X-Amz-Expires'));
    const signedAt = parseAmzDate(param('X-Amz-Date'));
    if (!Number.isInteger(expires) || expires < 1 || expires > MAX_EXPIRES_SECONDS || !signedAt) {
      return { code: 'AuthorizationQueryParametersError', message: `X-Amz-Expires must be a number of seconds from 1 to ${MAX_EXPIRES_SECONDS} and X-Amz-Date a time like 20130524T000000Z.`, accessKeyId: credential.accessKeyId };
    }
    if (Date.now() > signedAt.getTime() + expires * 1000) {
      return { code: 'AccessDenied', message: 'Request has expired', accessKeyId: credential.accessKeyId };
    }
    return {
      ...credential,
      scope: `${credential.date}/${credential.region}/${credential.service}/${credential.terminal}`,
      signedHeaders: signedHeaders.split(';'),
      signature,
      amzDate: param('X-Amz-Date') ?? '',
      payloadHash: 'UNSIGNED-PAYLOAD',
      pairs: pairs.filter(([k]) => k !== 'X-Amz-Signature'),
    };
  }
  return { code: 'AccessDenied', message: 'Access Denied: the local runner\'s S3 API accepts only requests signed (Signature Version 4) with the credentials it gives the functions it runs' };
}

/**
 * Checks the request's signature against the run's credentials, from its headers alone (before the body is read):
 * undefined when it is valid, otherwise the S3 error to answer with. `payloadMismatch` checks the body afterwards.
 */
export function verifySignature(req: SignedRequest, credentials: RunCredentials, now: number = Date.now()): SignatureFailure | undefined {
  const parsed = parse(req);
  if ('code' in parsed) return parsed;
  if (parsed.accessKeyId !== credentials.accessKeyId) {
    return { code: 'InvalidAccessKeyId', message: 'The AWS Access Key Id you provided does not exist in our records.', accessKeyId: parsed.accessKeyId };
  }
  const signedAt = parseAmzDate(parsed.amzDate);
  if (parsed.service !== 's3' || !parsed.scope.endsWith('/aws4_request') || !signedAt || parsed.date !== parsed.amzDate.slice(0, 8)) {
    return { code: 'AuthorizationHeaderMalformed', message: 'The credential scope must be <date>/<region>/s3/aws4_request with the date of X-Amz-Date (yyyymmddThhmmssZ).', accessKeyId: parsed.accessKeyId };
  }
  if (req.headers.authorization !== undefined && Math.abs(now - signedAt.getTime()) > MAX_SKEW_MS) {
    return { code: 'RequestTimeTooSkewed', message: 'The difference between the request time and the current time is too large.', accessKeyId: parsed.accessKeyId };
  }
  if (!parsed.signedHeaders.includes('host')) {
    return { code: 'AccessDenied', message: 'The host header must be signed.', accessKeyId: parsed.accessKeyId };
  }
  const path = req.url.split('?')[0] || '/';
  const canonicalHeaders = parsed.signedHeaders.map((name) => `${name}:${headerValue(req.headers, name) ?? ''}\n`).join('');
  const canonicalRequest = [
    req.method,
    path,
    canonicalQuery(parsed.pairs),
    canonicalHeaders,
    parsed.signedHeaders.join(';'),
    parsed.payloadHash,
  ].join('\n');
  const stringToSign = [ALGORITHM, parsed.amzDate, parsed.scope, sha256Hex(canonicalRequest)].join('\n');
  const key = ['aws4_request'].reduce(
    (k, part) => hmac(k, part),
    hmac(hmac(hmac(`AWS4${credentials.secretAccessKey}`, parsed.date), parsed.region), parsed.service),
  );
  const expected = createHmac('sha256', key).update(stringToSign, 'utf8').digest();
  if (!timingSafeEqual(expected, Buffer.from(parsed.signature, 'hex'))) {
    return { code: 'SignatureDoesNotMatch', message: 'The request signature we calculated does not match the signature you provided. Check your key and signing method.', accessKeyId: parsed.accessKeyId };
  }
  return undefined;
}

/** A signed payload (`x-amz-content-sha256` = the body's SHA-256) whose body does not match: S3's error, else undefined. */
export function payloadMismatch(req: SignedRequest, body: Buffer): SignatureFailure | undefined {
  const declared = headerValue(req.headers, 'x-amz-content-sha256');
  if (declared === undefined || !/^[0-9a-f]{64}$/.test(declared) || sha256Hex(body) === declared) return undefined;
  return { code: 'XAmzContentSHA256Mismatch', message: 'The provided x-amz-content-sha256 header does not match what was computed.' };
}
