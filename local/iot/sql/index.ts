/**
 * The part of AWS IoT SQL (version 2016-03-23) the local runner evaluates. Anything outside the subset is a
 * `SqlError` when the rule is loaded, so a rule never silently behaves differently from AWS.
 *
 *   lexer.ts      text → tokens
 *   parser.ts     tokens → AST (SELECT items, FROM topic filter, WHERE)
 *   functions.ts  the function table: name → arity and implementation (add functions there)
 *   evaluator.ts  AST → closures; operator semantics; `compileSql`
 *   templates.ts  `${expression}` substitution templates of rule actions
 *   values.ts     SqlValue, the message, conversions shared by operators and functions
 *
 * Supported:
 * - `SELECT` items: `*`, expressions with `AS alias`, nested fields `a.b`, `a[0]`, `a.b[1].c`.
 * - `FROM '<topic filter>'` with MQTT `+` and `#`; `WHERE <condition>`.
 * - Literals: strings in single or double quotes (`''`/`""` escape the quote), numbers, `true`, `false`, `null`,
 *   object `{'k': v}` and array `[a, b]` literals; backticks quote a field name (`` `my-field` ``).
 * - Operators: `+ - * / %`, unary `-`, `= <> != < <= > >=`, `AND`, `OR`, `NOT`, parentheses.
 * - Functions: see `SUPPORTED_FUNCTIONS` (functions.ts).
 */
export { SqlError, SqlEvaluationError } from './errors';
export { tokenize } from './lexer';
export type { Token, TokenKind } from './lexer';
export { parseExpression, parseSql } from './parser';
export type { Expr, ParsedStatement, SelectItem } from './parser';
export { resolveFunction, SUPPORTED_FUNCTIONS } from './functions';
export type { SqlFunction } from './functions';
export { compileExpression, compileSql } from './evaluator';
export type { CompiledExpression, SelectResult, SqlStatement } from './evaluator';
export { compileTemplate } from './templates';
export type { SubstitutionTemplate } from './templates';
export { payloadJson, stringify } from './values';
export type { SqlMessage, SqlObject, SqlValue } from './values';
