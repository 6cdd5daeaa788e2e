/** The message the SQL tests evaluate against (pure: no I/O). */
import type { SqlMessage } from '../../../../local/iot/sql';

export const NOW = Date.UTC(2026, 4, 17, 8, 9, 10, 123);

export function message(payload: unknown, topic = 'iot-test-topic/dev-1', clientId = 'thing-1'): SqlMessage {
  const text = typeof payload === 'string' ? payload : JSON.stringify(payload);
  return { topic, clientId, timestamp: NOW, payload: Buffer.from(text), principal: 'abc123', traceId: 'trace-1' };
}
