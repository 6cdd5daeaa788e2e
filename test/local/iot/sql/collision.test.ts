/**
 * A payload key with the name of a SELECT alias (`SELECT topic() AS topic, *` on `{"topic": "..."}`): AWS does not
 * document which value wins; the local runner lets the named item win (see `mergeSelect` in evaluator.ts), and the
 * construct's default rule keeps such payloads out with WHERE, so on AWS the collision never happens there.
 */
import { message } from './message';
import { compileSql, SqlValue } from '../../../../local/iot/sql';
import { defaultRuleSql, rejectedRuleSql } from '../../../../src/contract';

function select(sql: string, payload: unknown, topic = 'fleet/sensor-a'): SqlValue | 'skip' {
  const result = compileSql(sql).evaluate(message(payload, topic));
  if (result.kind === 'skip') return 'skip';
  if (result.kind === 'raw') throw new Error('unexpected raw payload');
  return result.value;
}

describe('IoT SQL: a payload key that collides with a SELECT alias', () => {
  test.each([
    ['SELECT topic() AS topic, * FROM \'fleet/+\''],
    ['SELECT *, topic() AS topic FROM \'fleet/+\''],
  ])('GIVEN %s and a payload with its own topic WHEN evaluated locally THEN the named item wins', (sql) => {
    const out = select(sql, { topic: 'fleet/sensor-b', t: 1 }) as Record<string, unknown>;
    expect(out).toEqual({ topic: 'fleet/sensor-a', t: 1 });
  });

  test('GIVEN the alias first WHEN evaluated THEN the key keeps its first position (the write-up\'s shape: topic first)', () => {
    expect(JSON.stringify(select('SELECT topic() AS topic, * FROM \'fleet/+\'', { t: 1, topic: 'x' }))).toBe('{"topic":"fleet/sensor-a","t":1}');
    expect(JSON.stringify(select('SELECT *, topic() AS topic FROM \'fleet/+\'', { t: 1, topic: 'x' }))).toBe('{"t":1,"topic":"fleet/sensor-a"}');
  });

  test('GIVEN a named item whose value is Undefined WHEN evaluated THEN it is left out and the payload\'s value stays', () => {
    expect(select('SELECT *, missing.field AS topic FROM \'fleet/+\'', { topic: 'kept', t: 1 })).toEqual({ topic: 'kept', t: 1 });
  });

  test('GIVEN the construct\'s default rule WHEN a payload has its own topic THEN the rule skips it, and the rejected-messages rule takes it as published', () => {
    expect(select(defaultRuleSql('fleet'), { topic: 'fleet/sensor-b', t: 1 })).toBe('skip');
    expect(select(rejectedRuleSql('fleet'), { topic: 'fleet/sensor-b', t: 1 })).toEqual({ topic: 'fleet/sensor-b', t: 1 });
    // Any value of its own counts, null included (isUndefined(null) is false).
    expect(select(defaultRuleSql('fleet'), { topic: null })).toBe('skip');
  });

  test('GIVEN the construct\'s default rule WHEN a payload has no topic THEN the rule forwards it with the authorized topic first and the rejected-messages rule skips it', () => {
    expect(JSON.stringify(select(defaultRuleSql('fleet'), { t: 1, device: 'forged' }))).toBe('{"topic":"fleet/sensor-a","t":1,"device":"forged"}');
    expect(select(rejectedRuleSql('fleet'), { t: 1 })).toBe('skip');
  });
});
