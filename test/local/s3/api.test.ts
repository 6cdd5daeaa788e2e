/** The loopback S3 API's pure parts (the server itself is exercised by the direct-delivery end-to-end test). */
import { decodeAwsChunked } from '../../../local/s3/api';

describe('aws-chunked bodies', () => {
  test('GIVEN a signed aws-chunked body WHEN decoded THEN the payload bytes', () => {
    const body = Buffer.from('5;chunk-signature=abc\r\nhello\r\n6;chunk-signature=def\r\n world\r\n0;chunk-signature=000\r\nx-amz-checksum-crc32:AAAA\r\n\r\n');
    expect(decodeAwsChunked(body).toString()).toBe('hello world');
  });
});
