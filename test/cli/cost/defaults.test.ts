import { COST_DEFAULTS } from '../../../cli/cost/defaults';
import { BUFFERING_DEFAULTS, PROCESSOR_DEFAULTS } from '../../../src/contract';

describe('COST_DEFAULTS', () => {
  test('GIVEN the construct\'s defaults THEN the model\'s one buffer stands for both the processor\'s and the S3 destination\'s', () => {
    // THEN the processor's buffering (parser invocations) is what the model uses...
    expect({ bufferMb: COST_DEFAULTS.bufferMb, bufferSeconds: COST_DEFAULTS.bufferSeconds })
      .toEqual({ bufferMb: PROCESSOR_DEFAULTS.bufferSizeMiB, bufferSeconds: PROCESSOR_DEFAULTS.bufferIntervalSeconds });
    // ...and the S3 destination's (objects written) agrees; if this fails, the model needs a second buffer
    expect({ bufferMb: BUFFERING_DEFAULTS.sizeMiB, bufferSeconds: BUFFERING_DEFAULTS.intervalSeconds })
      .toEqual({ bufferMb: COST_DEFAULTS.bufferMb, bufferSeconds: COST_DEFAULTS.bufferSeconds });
  });
});
