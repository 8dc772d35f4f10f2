import { describe, expect, it } from 'vitest';
import { LocalBus } from '../../src/backends/memory/local-bus.js';
import type { FrameCodec } from '../../src/hub/frame-codec.js';
import { HandOverPacer } from '../../src/hub/hand-over-pacer.js';
import { Topic } from '../../src/hub/topic.js';

const codec: FrameCodec = {
  event: (e) => `E${e.offset};`,
  snapshot: (_topic, s) => `S${s.id.offset};`,
  heartbeat: () => 'H;',
  cursor: (token) => `C${token};`,
};

const nextTurn = () => new Promise<void>((resolve) => setImmediate(resolve));

/**
 * A topic whose subscriber spends `cost.ms` of CPU on each chunk, as thousands of socket writes do,
 * on an event loop `loop.busy` busy (0–1).
 */
function costlyTopic() {
  const bus = new LocalBus();
  const loop = { busy: 1 };
  const topic = new Topic('t', bus, codec, new HandOverPacer(() => loop.busy));
  const cost = { ms: 0 };
  const chunks: string[] = [];
  const arrivals: number[] = [];
  topic.sink.asObservable().subscribe((chunk) => {
    chunks.push(`${chunk.first}-${chunk.last}`);
    arrivals.push(performance.now());
    const until = performance.now() + cost.ms;
    while (performance.now() < until); // busy: CPU time, as writes are
  });
  /** Appends `perTurn` events per turn of the event loop, then waits until the last is handed over. */
  const publish = async (count: number, perTurn = 1) => {
    let last = 0;
    for (let i = 0; i < count; i++) {
      for (let k = 0; k < perTurn; k++) last = bus.appendNow('t', 'x').offset;
      await nextTurn();
    }
    while (!chunks.at(-1)?.endsWith(`-${last}`)) await new Promise((resolve) => setTimeout(resolve, 1));
  };
  return { topic, cost, loop, chunks, arrivals, publish };
}

describe('Topic', () => {
  it('hands a cheap topic each turn’s events at once: no pause between hand-overs', async () => {
    const { topic, chunks, publish } = costlyTopic();
    await publish(4);
    expect(chunks).toEqual(['1-1', '2-2', '3-3', '4-4']);
    topic.dispose();
  });

  it('merges the events of a costly topic over the pause its hand-overs ask for', async () => {
    const { topic, cost, chunks, publish } = costlyTopic();
    cost.ms = 60;
    // A few costly hand-overs, each event of its own, teach the topic what one costs ...
    for (let i = 0; i < 4; i++) await publish(1);
    expect(chunks).toEqual(['1-1', '2-2', '3-3', '4-4']);
    // ... then events of successive turns, inside the pause, go out together.
    await publish(3);
    expect(chunks.slice(4)).toEqual(['5-7']);
    // Once the hand-overs are cheap again, the pause shrinks with the average.
    cost.ms = 0;
    for (let i = 0; i < 30; i++) await publish(1);
    chunks.length = 0;
    await publish(3);
    expect(chunks).toEqual(['38-38', '39-39', '40-40']);
    topic.dispose();
  });

  it('never holds a costly topic back while the event loop has time to spare', async () => {
    const { topic, cost, loop, chunks, publish } = costlyTopic();
    cost.ms = 60;
    for (let i = 0; i < 4; i++) await publish(1);
    loop.busy = 0.5;
    await publish(3);
    expect(chunks.slice(4)).toEqual(['5-5', '6-6', '7-7']);
    topic.dispose();
  });

  it('hands a paced topic’s events over at once when enough for one chunk are waiting', async () => {
    const { topic, cost, chunks, arrivals, publish } = costlyTopic();
    cost.ms = 120;
    for (let i = 0; i < 4; i++) await publish(1); // a pause of about 80 ms
    cost.ms = 0;
    const sent = performance.now();
    await publish(3, 100); // 100 events a turn: the 256th ends the pause
    expect(chunks.slice(4)).toEqual(['5-304']);
    expect(arrivals.at(-1)! - sent).toBeLessThan(40);
    topic.dispose();
  });
});
