import { Counter, Gauge, Registry, collectDefaultMetrics } from 'prom-client';

/** Prometheus metrics of one app instance (its own registry, so several apps share a process). */
export function createMetrics(topicCount: () => number) {
  const registry = new Registry();
  collectDefaultMetrics({ register: registry });
  return {
    registry,
    sseOpen: new Gauge({ name: 'seatstream_sse_connections', help: 'Open SSE connections', registers: [registry] }),
    sseOpened: new Counter({
      name: 'seatstream_sse_connections_total',
      help: 'SSE connections opened',
      registers: [registry],
    }),
    sseOverflows: new Counter({
      name: 'seatstream_sse_overflow_disconnects_total',
      help: 'SSE connections closed because the client fell more than SSE_BUFFER_LIMIT_BYTES behind',
      registers: [registry],
    }),
    mutations: new Counter({
      name: 'seatstream_seat_mutations_total',
      help: 'Seat mutations by operation and outcome',
      labelNames: ['operation', 'outcome'] as const,
      registers: [registry],
    }),
    topics: new Gauge({
      name: 'seatstream_topics',
      help: 'Topics with live subscribers on this instance',
      registers: [registry],
      collect() {
        this.set(topicCount());
      },
    }),
  };
}

export type Metrics = ReturnType<typeof createMetrics>;
