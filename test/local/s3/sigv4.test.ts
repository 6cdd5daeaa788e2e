/** Signature Version 4 checks of the loopback S3 API (pure), against the worked example of S3's own documentation. */
import { payloadMismatch, randomRunCredentials, SignedRequest, verifySignature } from '../../../local/s3/sigv4';

// "Example: GET Object" of https://docs.aws.amazon.com/AmazonS3/latest/API/sig-v4-header-based-auth.html
// (the documentation's example keys, request and resulting signature).
const DOC_KEYS = { accessKeyId: 'AKIAIOSFODNN7EXAMPLE', secretAccessKey: 'wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY' };
const EMPTY_SHA256 = 'e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855';
const DOC_REQUEST: SignedRequest = {
  method: 'GET',
  url: '/test.txt',
  headers: {
    'host': 'examplebucket.s3.amazonaws.com',
    'range': 'bytes=0-9',
    'x-amz-content-sha256': EMPTY_SHA256,
    'x-amz-date': '20130524T000000Z',
    'authorization': 'AWS4-HMAC-SHA256 Credential=AKIAIOSFODNN7EXAMPLE/20130524/us-east-1/s3/aws4_request,SignedHeaders=host;range;x-amz-content-sha256;x-amz-date,Signature=f0e8bdb87c964420e857bd35b5d6ed310bd44f0170aba48dd91039c6036bdb41',
  },
};
const SIGNED_AT = Date.UTC(2013, 4, 24, 0, 0, 0);

describe('Signature Version 4', () => {
  test('GIVEN the documentation\'s GET Object example WHEN verified with its keys THEN valid', () => {
    expect(verifySignature(DOC_REQUEST, DOC_KEYS, SIGNED_AT)).toBeUndefined();
  });

  test.each<[string, SignedRequest, string]>([
    ['another header value', { ...DOC_REQUEST, headers: { ...DOC_REQUEST.headers, range: 'bytes=0-99' } }, 'SignatureDoesNotMatch'],
    ['another path', { ...DOC_REQUEST, url: '/other.txt' }, 'SignatureDoesNotMatch'],
    ['another method', { ...DOC_REQUEST, method: 'DELETE' }, 'SignatureDoesNotMatch'],
    ['an added query parameter', { ...DOC_REQUEST, url: '/test.txt?acl' }, 'SignatureDoesNotMatch'],
    ['no signature at all', { ...DOC_REQUEST, headers: { host: 'examplebucket.s3.amazonaws.com' } }, 'AccessDenied'],
    ['a malformed Authorization header', { ...DOC_REQUEST, headers: { ...DOC_REQUEST.headers, authorization: 'AWS4-HMAC-SHA256 Credential=AKIAIOSFODNN7EXAMPLE' } }, 'AuthorizationHeaderMalformed'],
    ['a Signature Version 2 header', { ...DOC_REQUEST, headers: { ...DOC_REQUEST.headers, authorization: 'AWS AKIAIOSFODNN7EXAMPLE:frJIUN8DYpKDtOLCwo//yllqDzg=' } }, 'InvalidRequest'],
    ['a Signature Version 2 presigned URL', { ...DOC_REQUEST, url: '/test.txt?AWSAccessKeyId=AKIAIOSFODNN7EXAMPLE&Expires=1&Signature=x', headers: { host: 'h' } }, 'InvalidRequest'],
  ])('GIVEN the example with %s WHEN verified THEN %s', (_what, request, code) => {
    expect(verifySignature(request, DOC_KEYS, SIGNED_AT)).toMatchObject({ code });
  });

  test('GIVEN the example WHEN verified with other keys THEN InvalidAccessKeyId naming the id it carried', () => {
    expect(verifySignature(DOC_REQUEST, randomRunCredentials(), SIGNED_AT)).toEqual(expect.objectContaining({
      code: 'InvalidAccessKeyId',
      accessKeyId: 'AKIAIOSFODNN7EXAMPLE',
    }));
  });

  test('GIVEN the example WHEN verified 16 minutes after it was signed THEN RequestTimeTooSkewed (S3 allows 15)', () => {
    expect(verifySignature(DOC_REQUEST, DOC_KEYS, SIGNED_AT + 16 * 60 * 1000)).toMatchObject({ code: 'RequestTimeTooSkewed' });
    expect(verifySignature(DOC_REQUEST, DOC_KEYS, SIGNED_AT + 14 * 60 * 1000)).toBeUndefined();
  });

  test('GIVEN a body that does not match the signed x-amz-content-sha256 WHEN checked THEN XAmzContentSHA256Mismatch', () => {
    expect(payloadMismatch(DOC_REQUEST, Buffer.alloc(0))).toBeUndefined();
    expect(payloadMismatch(DOC_REQUEST, Buffer.from('x'))).toMatchObject({ code: 'XAmzContentSHA256Mismatch' });
    expect(payloadMismatch({ ...DOC_REQUEST, headers: { ...DOC_REQUEST.headers, 'x-amz-content-sha256': 'UNSIGNED-PAYLOAD' } }, Buffer.from('x'))).toBeUndefined();
  });

  test('GIVEN two runs WHEN credentials are made THEN they differ and look like AWS keys (20-character id, 40-character secret)', () => {
    const a = randomRunCredentials();
    const b = randomRunCredentials();
    expect(a.accessKeyId).not.toBe(b.accessKeyId);
    expect(a.secretAccessKey).not.toBe(b.secretAccessKey);
    expect(a.accessKeyId).toMatch(/^[A-Z2-7]{20}$/);
    expect(a.secretAccessKey).toHaveLength(40);
  });
});
