/**
 * What the server and the client share: event ids and cursors, the resume rule, the wire shapes
 * of seat streams with their encoders (and the compact snapshot's decoder), and the error codes.
 * Nothing here imports anything.
 */
export * from './compact-map.js';
export * from './cursor.js';
export * from './errors.js';
export * from './event-id.js';
export * from './notices.js';
export * from './resume.js';
export * from './seat-events.js';
export * from './sse-frames.js';
