import { describe, expect, it } from 'vitest';
import { ArrayQueue } from '../../src/sinks/array-queue.js';

describe('ArrayQueue (ring buffer behind the sink buffers)', () => {
  it('keeps FIFO order across wrap-around and growth', () => {
    const queue = new ArrayQueue<number>();
    const out: number[] = [];
    let next = 0;
    // Interleave pushes and shifts so the head wraps before the ring grows.
    for (let round = 0; round < 50; round++) {
      for (let i = 0; i < 7; i++) queue.push(next++);
      for (let i = 0; i < 5; i++) out.push(queue.shift());
    }
    while (queue.size > 0) out.push(queue.shift());
    expect(out).toEqual(Array.from({ length: next }, (_, i) => i));
  });

  it('indexes from the oldest item and clears', () => {
    const queue = new ArrayQueue<string>();
    for (const s of ['a', 'b', 'c']) queue.push(s);
    queue.shift();
    queue.push('d');
    expect([queue.at(0), queue.at(1), queue.at(2)]).toEqual(['b', 'c', 'd']);
    queue.clear();
    expect(queue.size).toBe(0);
    queue.push('e');
    expect(queue.shift()).toBe('e');
  });
});
