/** AWS SDK errors in words that say what to do. */
import { CliError, UsageError } from '../errors';

/**
 * Turns SDK errors that are about the caller's setup (region, credentials, access) into messages that say
 * what to do. Other errors pass through.
 */
export function explainAwsError(e: unknown, what: string): Error {
  const err = (typeof e === 'object' && e !== null ? e : {}) as { name?: string; message?: string; Code?: string };
  const name = err.name ?? err.Code ?? '';
  const message = err.message ?? String(e);
  if (/region is missing/i.test(message)) {
    return new UsageError(`${what}: no AWS Region. Pass --region (e.g. --region eu-west-1) or set AWS_REGION.`);
  }
  if (name === 'CredentialsProviderError' || /could not load credentials/i.test(message)) {
    return new CliError(`${what}: no AWS credentials. Set AWS_PROFILE (or --profile), or AWS_ACCESS_KEY_ID/AWS_SECRET_ACCESS_KEY, or run "aws sso login".`);
  }
  if (/AccessDenied|UnauthorizedOperation|not authorized/i.test(`${name} ${message}`)) {
    return new CliError(`${what}: access denied (${message}). Use credentials that may call this API.`);
  }
  if (/ECONNREFUSED|ENOTFOUND|EAI_AGAIN/.test(message)) {
    return new CliError(`${what}: cannot reach the AWS endpoint (${message}). Check --endpoint-url / your network.`);
  }
  return e instanceof Error ? e : new Error(message);
}
