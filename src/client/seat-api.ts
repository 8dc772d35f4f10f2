import { apiErrorOf, NetworkError, ProtocolError } from './errors.js';
import type {
  FetchCredentials,
  FetchLike,
  FetchResponseLike,
  Seat,
  SeatChangeResult,
  SeatOperation,
  SeatsResponse,
  Session,
} from './types.js';

export interface SeatApiOptions {
  /** Origin (and path prefix) of the API, e.g. `http://127.0.0.1:3000`. Default '' (same origin, browsers). */
  baseUrl?: string;
  /** Default: the global fetch. */
  fetch?: FetchLike;
  /** A session token, sent as `Authorization: Bearer`. Without it, browsers send the session cookie. */
  token?: string;
  /** fetch's `credentials`. Default `same-origin`; `include` for an API on another origin. */
  credentials?: FetchCredentials;
  /** On a 401, start a session and retry once. Default true. */
  autoSession?: boolean;
  /** Called whenever a session is started (the caller's seats may belong to another user now). */
  onSession?: (session: Session) => void;
  /**
   * Where `checkout` posts `{ seatIds }`: a path under `baseUrl`, or an absolute URL. Default: the
   * demo's checkout (`/api/demo/schedules/:id/checkout`, only while the server runs with `DEMO` on).
   * An operator's page points it at its own checkout, which takes payment and then calls the
   * service's reserve; it must answer like the API's mutations (`{ scheduleId, status, seats,
   * eventId, events }`). It gets the same `Authorization: Bearer` as the API.
   */
  checkoutPath?: (scheduleId: number) => string;
}

/** The demo's checkout: it stands in for an operator's, so the demo page can reserve. */
export const DEMO_CHECKOUT_PATH = (scheduleId: number): string => `/api/demo/schedules/${scheduleId}/checkout`;

/**
 * The request / response side of seatstream: sessions, the seat map, hold / release / checkout.
 * Errors are typed: `ApiError` (an error status, with the body's `error` code and `seatIds`),
 * `NetworkError` (no answer), `ProtocolError` (an answer that is not the API's).
 */
export class SeatApi {
  private readonly baseUrl: string;
  private readonly fetchFn: FetchLike;
  private readonly credentials: FetchCredentials;
  private readonly autoSession: boolean;
  private readonly checkoutPath: (scheduleId: number) => string;
  private sessionToken: string | undefined;

  constructor(private readonly options: SeatApiOptions = {}) {
    this.baseUrl = (options.baseUrl ?? '').replace(/\/+$/, '');
    const fetchFn = options.fetch ?? globalThis.fetch;
    if (!fetchFn) throw new TypeError('seatstream: no fetch available; pass options.fetch');
    this.fetchFn = fetchFn.bind(globalThis);
    this.credentials = options.credentials ?? 'same-origin';
    this.autoSession = options.autoSession ?? true;
    this.checkoutPath = options.checkoutPath ?? DEMO_CHECKOUT_PATH;
    this.sessionToken = options.token;
  }

  /** The session token in use, if one is known. */
  get token(): string | undefined {
    return this.sessionToken;
  }

  /** A path under `baseUrl`; an absolute URL (an operator's checkout elsewhere) as it is. */
  url(path: string): string {
    return /^https?:\/\//i.test(path) ? path : this.baseUrl + path;
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

  /**
   * Logs the session out: the server refuses its token from now on, on every instance, and clears
   * the session cookie. The token is forgotten here too; the next mutation starts a new session
   * (with `autoSession`).
   */
  async logout(): Promise<void> {
    try {
      await this.request('DELETE', '/api/session', undefined, false);
    } finally {
      // Even when the request failed, this client must not go on acting as the old session.
      this.sessionToken = undefined;
    }
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

  /**
   * Buys my held seats: posts them to the checkout (`checkoutPath`); they come back RESERVED.
   * All or nothing: seats not held by me are NOT_HELD.
   */
  checkout(scheduleId: number, seatIds: readonly number[]): Promise<SeatChangeResult> {
    return this.mutate('checkout', scheduleId, seatIds);
  }

  private async mutate(
    operation: SeatOperation,
    scheduleId: number,
    seatIds: readonly number[],
  ): Promise<SeatChangeResult> {
    const path =
      operation === 'checkout' ? this.checkoutPath(scheduleId) : `/api/schedules/${scheduleId}/seats/${operation}`;
    const { body } = await this.request('POST', path, { seatIds: [...seatIds] }, this.autoSession);
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
  ): Promise<{ body: unknown; headers: FetchResponseLike['headers'] }> {
    const headers: Record<string, string> = { Accept: 'application/json' };
    if (this.sessionToken) headers.Authorization = `Bearer ${this.sessionToken}`;
    if (json !== undefined) headers['Content-Type'] = 'application/json';
    let response: FetchResponseLike;
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
    if (!response.ok) throw apiErrorOf(response.status, text, response.headers);
    try {
      return { body: text ? JSON.parse(text) : undefined, headers: response.headers };
    } catch {
      throw new ProtocolError(`${method} ${path}: the answer is not JSON (HTTP ${response.status})`);
    }
  }
}
