import { createEventSource } from 'eventsource-client';
import { describeResume } from './support/resume.js';

/**
 * `eventsource-client`: reconnects by itself when the stream ends (after the `retry:` hint),
 * sending `Last-Event-ID` from the last id it recorded, which `eventsource-parser` takes only
 * from blocks with data.
 */
describeResume('eventsource-client', (url, fetch, onEvent) =>
  createEventSource({
    url,
    fetch,
    onMessage: (message) => onEvent({ event: message.event ?? 'message', id: message.id, data: message.data }),
  }),
);
