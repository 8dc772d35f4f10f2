import { describe, expect, it } from 'vitest';
import { EmissionError, EmitResult, isFailure, isSuccess, orThrow } from '../../src/sinks/index.js';

describe('EmitResult', () => {
  it('has the six Reactor results as readable string constants', () => {
    expect(Object.values(EmitResult)).toEqual([
      'OK',
      'FAIL_TERMINATED',
      'FAIL_OVERFLOW',
      'FAIL_CANCELLED',
      'FAIL_NON_SERIALIZED',
      'FAIL_ZERO_SUBSCRIBER',
    ]);
    expect(EmitResult.OK).toBe('OK');
  });

  it('isSuccess is true only for OK and isFailure is its negation', () => {
    for (const result of Object.values(EmitResult)) {
      expect(isSuccess(result)).toBe(result === 'OK');
      expect(isFailure(result)).toBe(result !== 'OK');
    }
  });

  it('orThrow passes OK and throws an EmissionError carrying any failure', () => {
    expect(() => orThrow(EmitResult.OK)).not.toThrow();
    try {
      orThrow(EmitResult.FAIL_OVERFLOW);
      expect.unreachable();
    } catch (error) {
      expect(error).toBeInstanceOf(EmissionError);
      expect((error as EmissionError).result).toBe('FAIL_OVERFLOW');
    }
  });
});
