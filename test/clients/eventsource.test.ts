import { EventSource } from 'eventsource';
import { describeResume } from './support/resume.js';

/**
 * The `eventsource` package (v4), Node's usual EventSource: it reconnects by itself when the
 * server ends the stream, after the `retry:` hint, with `Last-Event-ID`. Like every client built
 * on `eventsource-parser`, it records an id only from a block that carries data.
 */
describeResume('eventsource', (url, fetch, onEvent) => {
  const source = new EventSource(url, { fetch });
  const forward = (event: MessageEvent<string>) =>
    onEvent({ event: event.type, id: event.lastEventId, data: event.data });
  for (const type of ['message', 'snapshot', 'cursor']) source.addEventListener(type, forward);
  return source;
});
