/**
 * The request/response routes a test drives (docs/api.md, docs/integration.md): guest sessions,
 * the buyer's hold and release, the service's schedules, reserve, release and notices. Results
 * are typed; any answer outside 2xx throws a SeatstreamApiError with its status and body.
 */
import type { PublicSeat, SeatStatus } from '../protocol/seat-events.js';
import { SeatstreamApiError } from './api-error.js';

/** A buyer's credential: a guest session from `guest()`, or any bearer token (an operator JWT). */
export interface Credential {
  readonly token: string;
}

/** `POST /api/session`. */
export interface GuestSession extends Credential {
  readonly userId: string;
  /** ISO time. */
  readonly expiresAt: string;
}

/** A seat as a buyer sees it: its own seats are `mine`, with their expiry while held. */
export interface BuyerSeat extends PublicSeat {
  readonly mine?: true;
  readonly expiresAt?: string;
}

/** A seat as the service sees it: with its holder or buyer. */
export interface ServiceSeat extends PublicSeat {
  readonly holder?: string;
}

/** What a hold or a buyer's release changed. */
export interface BuyerChange {
  readonly scheduleId: number;
  readonly status: SeatStatus;
  readonly seats: readonly BuyerSeat[];
  /** A hold's expiry, ISO time. */
  readonly expiresAt?: string;
  /** The last event written (`offset@epoch`), or the head when none was. */
  readonly eventId: string;
  readonly events: number;
}

/** What a reserve or the service's release changed. */
export interface ServiceChange {
  readonly scheduleId: number;
  readonly status: SeatStatus;
  readonly seats: readonly ServiceSeat[];
  readonly eventId: string;
  readonly events: number;
}

/** `GET /api/schedules/:id/seats`. */
export interface SeatMap {
  /** The last event reflected in `seats`: open a stream after it to miss nothing. */
  readonly lastEventId: string;
  readonly seats: readonly BuyerSeat[];
}

/** The body of `PUT /api/schedules/:id`: a layout, and for an import the seats already sold. */
export interface ScheduleLayout {
  readonly rows: number;
  readonly seatsPerRow: number;
  readonly reserved?: readonly number[];
}

export interface ScheduleResult {
  readonly scheduleId: number;
  readonly rows: number;
  readonly seatsPerRow: number;
  readonly seats: number;
  readonly outcome: 'created' | 'updated' | 'unchanged';
  /** The seats this request made RESERVED. */
  readonly reserved: readonly number[];
  readonly eventId: string;
  readonly events: number;
}

/** The checkout's reserve: the buyer who holds the seats, and the order they are for. */
export interface Order {
  readonly userId: string;
  readonly seatIds: readonly number[];
  readonly orderId: string;
}

/** A notice to a user's private streams; `event` defaults to `message`. */
export interface Notice {
  readonly event?: string;
  readonly data: unknown;
}

export interface ApiResponse<T> {
  readonly status: number;
  readonly body: T;
  readonly headers: Headers;
}

export interface RequestOptions {
  /** Sent as JSON. */
  readonly body?: unknown;
  /** Sent as `Authorization: Bearer`. */
  readonly token?: string;
  readonly headers?: Record<string, string>;
}

/** The API of one seatstream at `baseUrl`; the service routes need `serviceToken` (its `ADMIN_TOKEN`). */
export class SeatstreamApi {
  constructor(
    readonly baseUrl: string,
    readonly serviceToken?: string,
  ) {}

  /** A new guest session (each call a new guest: no cookie is kept). */
  async guest(): Promise<GuestSession> {
    return (await this.request<GuestSession>('POST', '/api/session')).body;
  }

  /** The buyer holds seats (all or nothing). */
  async hold(buyer: Credential, scheduleId: number, seatIds: readonly number[]): Promise<BuyerChange> {
    return this.send<BuyerChange>(`/api/schedules/${scheduleId}/seats/hold`, { seatIds }, buyer.token);
  }

  /** The buyer releases seats it holds. */
  async release(buyer: Credential, scheduleId: number, seatIds: readonly number[]): Promise<BuyerChange> {
    return this.send<BuyerChange>(`/api/schedules/${scheduleId}/seats/release`, { seatIds }, buyer.token);
  }

  /** The seat map, with the buyer's own seats marked when a buyer is given. */
  async seatMap(scheduleId: number, buyer?: Credential): Promise<SeatMap> {
    const response = await this.request<BuyerSeat[]>('GET', `/api/schedules/${scheduleId}/seats`, {
      ...(buyer && { token: buyer.token }),
    });
    return { lastEventId: response.headers.get('last-event-id') ?? '', seats: response.body };
  }

  /** The service creates a schedule, or imports one with the seats already sold (`reserved`). */
  async putSchedule(scheduleId: number, layout: ScheduleLayout): Promise<ScheduleResult> {
    const response = await this.request<ScheduleResult>('PUT', `/api/schedules/${scheduleId}`, {
      body: layout,
      token: this.service(),
    });
    return response.body;
  }

  /** The service reserves a buyer's held seats for an order (the checkout, after payment). */
  async reserve(scheduleId: number, order: Order): Promise<ServiceChange> {
    return this.send<ServiceChange>(`/api/schedules/${scheduleId}/seats/reserve`, order, this.service());
  }

  /** The service releases seats, whoever holds or reserved them (a cancelled payment, a refund). */
  async releaseAny(scheduleId: number, seatIds: readonly number[]): Promise<ServiceChange> {
    return this.send<ServiceChange>(`/api/schedules/${scheduleId}/seats/release`, { seatIds }, this.service());
  }

  /** The service sends a notice to every open private stream of the user. */
  async notify(userId: string, notice: Notice): Promise<{ eventId: string }> {
    const path = `/api/users/${encodeURIComponent(userId)}/notifications`;
    return this.send<{ eventId: string }>(path, notice, this.service());
  }

  /** Any route: the parsed body of a 2xx answer, else a SeatstreamApiError. */
  async request<T>(method: string, path: string, options: RequestOptions = {}): Promise<ApiResponse<T>> {
    const headers: Record<string, string> = { ...options.headers };
    if (options.token !== undefined) headers.authorization = `Bearer ${options.token}`;
    if (options.body !== undefined) headers['content-type'] = 'application/json';
    const response = await fetch(this.baseUrl + path, {
      method,
      headers,
      ...(options.body !== undefined && { body: JSON.stringify(options.body) }),
    });
    const text = await response.text();
    const body = parseBody(text);
    if (response.status < 200 || response.status > 299) {
      throw new SeatstreamApiError(`${method} ${path}`, response.status, body);
    }
    return { status: response.status, body: body as T, headers: response.headers };
  }

  private async send<T>(path: string, body: unknown, token: string): Promise<T> {
    return (await this.request<T>('POST', path, { body, token })).body;
  }

  private service(): string {
    if (this.serviceToken === undefined) throw new Error('This call needs the service token: none was given');
    return this.serviceToken;
  }
}

function parseBody(text: string): unknown {
  if (text === '') return undefined;
  try {
    return JSON.parse(text);
  } catch {
    return text;
  }
}
