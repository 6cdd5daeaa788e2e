/** The two ways IoT SQL fails: when a rule is loaded (`SqlError`) and when it is evaluated for a message. */

/** A statement that cannot be parsed, or uses what the local runner does not evaluate. */
export class SqlError extends Error {
  constructor(message: string, public readonly position?: number) {
    super(message);
    this.name = 'SqlError';
  }
}

/** Evaluating a statement failed for this message (AWS: the rule does not run its actions). */
export class SqlEvaluationError extends Error {}

/**
 * A payload that is not a JSON object met a SELECT that adds fields to `*` (`SELECT *, topic() AS topic …`): AWS IoT
 * adds data to `*` only for JSON or empty payloads (https://docs.aws.amazon.com/iot/latest/developerguide/binary-payloads.html).
 * The rules engine counts these per topic and says what to change.
 */
export class NonJsonPayloadError extends SqlEvaluationError {}
