/**
 * Private (per-user) topics: `user:<base64url of the user id>`, so any id is safe inside a Redis
 * hash tag (no braces, no spaces). A notice is stored on the bus as `{"event":"<name>","data":<json>}`
 * and written as a named SSE event (`event: <name>`).
 */
const PREFIX = 'user:';
const NOTICE = /^\{"event":"([a-z][a-z0-9-]{0,31})","data":([\s\S]*)\}$/;

export function userTopic(userId: string): string {
  return PREFIX + Buffer.from(userId, 'utf8').toString('base64url');
}

export function isUserTopic(topic: string): boolean {
  return topic.startsWith(PREFIX);
}

/** The stored form of a notice: `json` is the notice's data, serialized once. */
export function encodeNotice(event: string, json: string): string {
  return `{"event":${JSON.stringify(event)},"data":${json}}`;
}

/** A stored notice's name and data; a malformed one is passed on as `message` with the stored text. */
export function decodeNotice(stored: string): { event: string; data: string } {
  const match = NOTICE.exec(stored);
  return match ? { event: match[1]!, data: match[2]! } : { event: 'message', data: stored };
}
