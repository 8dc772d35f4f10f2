import { apiErrorOf, NetworkError, ProtocolError } from './errors.js';
import type { Seat, SeatChangeResult, SeatOperation, SeatsResponse, Session } from './types.js';

export interface SeatApiOptions {
  /** Origin (and path prefix) of the API, e.g. `http://127.0.0.1:3000`. Default '' (same origin, browsers). */
  baseUrl?: string;
  /** Default: the global fetch. */
  fetch?: typeof fetch;
  /** A session token, sent as `Authorization: Bearer`. Without it, browsers send the session cookie. */
  token?: string;
  /** fetch's `credentials`. Default `same-origin`; `include` for an API on another origin. */
  credentials?: RequestCredentials;
  /** On a 401, start a session and retry once. Default true. */
  autoSession?: boolean;
  /** Called whenever a session is started (the caller's seats may belong to another user now). */
  onSession?: (session: Session) => void;
}

/**
 * The request / response side of seatstream: sessions, the seat map, hold / release / reserve.
 * Errors are typed: `ApiError` (an error status, with the body's `error` code and `seatIds`),
 * `NetworkError` (no answer), `ProtocolError` (an answer that is not the API's).
 */
export class SeatApi {
  private readonly baseUrl: string;
  private readonly fetchFn: typeof fetch;
  private readonly credentials: RequestCredentials;
  private readonly autoSession: boolean;
  private sessionToken: string | undefined;

  constructor(private readonly options: SeatApiOptions = {}) {
    this.baseUrl = (options.baseUrl ?? '').replace(/\/+$/, '');
    const fetchFn = options.fetch ?? globalThis.fetch;
    if (!fetchFn) throw new TypeError('seatstream: no fetch available; pass options.fetch');
    this.fetchFn = fetchFn.bind(globalThis);
    this.credentials = options.credentials ?? 'same-origin';
    this.autoSession = options.autoSession ?? true;
    this.sessionToken = options.token;
  }

  /** The session token in use, if one is known. */
  get token(): string | undefined {
    return this.sessionToken;
  }

  url(path: string): string {
    return this.baseUrl + path;
  }

  /** Starts a guest session (or keeps the one the cookie names) and uses its token from now on. */
  async startSession(): Promise<Session> {
    const session = (await this.request('POST', '/api/session', undefined, false)).body as Session;
    if (!session || typeof session.token !== 'string')
      throw new ProtocolError('POST /api/session: no token in the answer');
    this.sessionToken = session.token;
    this.options.onSession?.(session);
    return session;
  }

  /** The seat map (with `mine` / `expiresAt` on my seats when there is a session) and its last event id. */
  async seats(scheduleId: number): Promise<SeatsResponse> {
    const { body, headers } = await this.request('GET', `/api/schedules/${scheduleId}/seats`, undefined, false);
    if (!Array.isArray(body)) throw new ProtocolError('GET seats: the answer is not a list of seats');
    return { seats: body as Seat[], lastEventId: headers.get('Last-Event-ID') ?? undefined };
  }

  hold(scheduleId: number, seatIds: readonly number[]): Promise<SeatChangeResult> {
    return this.mutate('hold', scheduleId, seatIds);
  }

  release(scheduleId: number, seatIds: readonly number[]): Promise<SeatChangeResult> {
    return this.mutate('release', scheduleId, seatIds);
  }

  reserve(scheduleId: number, seatIds: readonly number[]): Promise<SeatChangeResult> {
    return this.mutate('reserve', scheduleId, seatIds);
  }

  private async mutate(
    operation: SeatOperation,
    scheduleId: number,
    seatIds: readonly number[],
  ): Promise<SeatChangeResult> {
    const { body } = await this.request(
      'POST',
      `/api/schedules/${scheduleId}/seats/${operation}`,
      { seatIds: [...seatIds] },
      this.autoSession,
    );
    const result = body as SeatChangeResult;
    if (!result || !Array.isArray(result.seats) || typeof result.eventId !== 'string') {
      throw new ProtocolError(`POST ${operation}: unexpected answer`);
    }
    return result;
  }

  private async request(
    method: string,
    path: string,
    json: unknown,
    retryWithSession: boolean,
  ): Promise<{ body: unknown; headers: Headers }> {
    const headers: Record<string, string> = { Accept: 'application/json' };
    if (this.sessionToken) headers.Authorization = `Bearer ${this.sessionToken}`;
    if (json !== undefined) headers['Content-Type'] = 'application/json';
    let response: Response;
    let text: string;
    try {
      response = await this.fetchFn(this.url(path), {
        method,
        headers,
        credentials: this.credentials,
        ...(json !== undefined && { body: JSON.stringify(json) }),
      });
      text = await response.text();
    } catch (error) {
      throw new NetworkError(`${method} ${path}: no answer from the server`, { cause: error });
    }
    if (response.status === 401 && retryWithSession) {
      await this.startSession();
      return this.request(method, path, json, false);
    }
    if (!response.ok) throw apiErrorOf(response.status, text);
    try {
      return { body: text ? JSON.parse(text) : undefined, headers: response.headers };
    } catch {
      throw new ProtocolError(`${method} ${path}: the answer is not JSON (HTTP ${response.status})`);
    }
  }
}
