/**
 * AWS IoT SQL (version 2016-03-23, https://docs.aws.amazon.com/iot/latest/developerguide/iot-sql-reference.html) as
 * the local runner evaluates it. What it does not evaluate is a `SqlError` when the rule is loaded, so a rule never
 * silently behaves differently from AWS.
 *
 *   lexer.ts      text → tokens
 *   parser.ts     tokens → AST (SET variables, SELECT [VALUE] items, FROM topic filter, WHERE, CASE, cast, nested SELECT)
 *   functions.ts  the function table: name → arity, implementation, reference anchor (every function of the
 *                 reference that does not call another service; those that do are refused)
 *   evaluator.ts  AST → closures; operator semantics; `compileSql`
 *   protobuf.ts   decode(*, 'proto', …): descriptor sets from the buckets, compiled once per content, and the limits
 *   templates.ts  `${expression}` substitution templates of rule actions
 *   time.ts       parse_time / time_to_epoch (Java date-time patterns)
 *   values.ts     SqlValue (Int/Decimal/String/…), the message, the reference's conversions
 *
 * The SQL rows of the conformance table in local/README.md are built from functions.ts by local/conformance.ts.
 */
export { NonJsonPayloadError, SqlError, SqlEvaluationError } from './errors';
export { tokenize } from './lexer';
export type { Token, TokenKind } from './lexer';
export { parseExpression, parseSql } from './parser';
export type { Expr, ParsedStatement, Query, SelectItem } from './parser';
export { castValue, EXTERNAL_FUNCTIONS, functionAnchor, FUNCTIONS_PAGE, resolveFunction, SUPPORTED_FUNCTIONS } from './functions';
export type { SqlFunction } from './functions';
export { compileExpression, compileSql } from './evaluator';
export type { CompiledExpression, SelectResult, SqlStatement } from './evaluator';
export { compileTemplate } from './templates';
export type { SubstitutionTemplate } from './templates';
export { payloadJson, stringify, toSqlString } from './values';
export type { SqlMessage, SqlObject, SqlValue } from './values';
export { DescriptorCache, PROTOBUF_DECODE_PAGE } from './protobuf';
export type { ObjectReader } from './protobuf';
