/**
 * seatstream demo page: a live seat map on the seatstream client (src/client). Bundled by
 * `npm run build:client` into public/build/app.js.
 */
import { type HoldNoticeData, SeatstreamClient, type SeatOperation, type SeatView } from '../../src/client/index.js';
import { ConnectionBadge } from './connection-badge.js';
import { byId, formatTime, frameBatcher, seatName } from './dom.js';
import { EventsPanel } from './events-panel.js';
import { HoldsPanel } from './holds-panel.js';
import { errorMessage, noticeText } from './messages.js';
import { SeatMapView } from './seat-map-view.js';
import { Toast } from './toast.js';

declare global {
  interface Window {
    /** The page's client, for the browser console and the end-to-end tests. */
    seatstream: SeatstreamClient;
  }
}

const param = Number(new URLSearchParams(location.search).get('schedule'));
const scheduleId = Number.isSafeInteger(param) && param > 0 ? param : 1;
byId('schedule-id').textContent = String(scheduleId);
document.title = `seatstream · schedule ${scheduleId}`;

// Silent for 2.5 heartbeats (HEARTBEAT_MS is 30 s by default): the connection is dead, reconnect.
// "Reserve my seats" goes through the demo's checkout (the client's default checkoutPath).
// My private notices (a hold about to expire, expired, reserved) ride on the same connection.
const client = new SeatstreamClient({ schedules: scheduleId, idleTimeoutMs: 75_000, notifications: true });
window.seatstream = client;

const map = new SeatMapView(byId('seat-map'), {
  AVAILABLE: byId('count-AVAILABLE'),
  HELD: byId('count-HELD'),
  RESERVED: byId('count-RESERVED'),
});
const holds = new HoldsPanel(
  byId('my-holds'),
  byId('holds-empty'),
  byId('my-reserved'),
  byId<HTMLButtonElement>('reserve'),
  byId('hold-warning'),
);
const events = new EventsPanel(byId('events'));
const badge = new ConnectionBadge(byId('connection-state'), byId<HTMLButtonElement>('retry'));
const toast = new Toast(byId('toast'));
const pending = new Set<number>();
let heartbeatAt: string | undefined;

const refreshHolds = frameBatcher(() => {
  const mine = [...client.seats().values()].filter((seat) => seat.mine);
  holds.render(
    mine.filter((seat) => seat.status === 'HELD'),
    mine.filter((seat) => seat.status === 'RESERVED'),
    pending,
  );
});
const refreshHeader = frameBatcher(() => {
  byId('last-event-id').textContent = client.lastEventId() ?? '–';
  if (heartbeatAt) {
    const element = byId<HTMLTimeElement>('last-heartbeat');
    element.textContent = formatTime(heartbeatAt);
    element.dateTime = heartbeatAt;
  }
});

client.on('state', (state) => badge.show(state));
client.on('snapshot', ({ seats }) => {
  map.render(seats);
  refreshHolds();
  refreshHeader();
});
client.on('seat', ({ seat, previous }) => {
  map.paint(seat); // the hot path: one element
  if (seat.mine || previous.mine) refreshHolds();
});
client.on('event', (event) => {
  const seat = client.seat(event.seatId);
  events.add(event, seat ? seatName(seat) : `#${event.seatId}`);
  refreshHeader();
});
client.on('heartbeat', ({ timestamp }) => {
  heartbeatAt = timestamp;
  refreshHeader();
});
client.on('error', (error) => toast.show(error.message, 'error'));
client.on('notice', (notice) => {
  const text = noticeText(notice, seatNames);
  if (notice.event === 'hold-expiring' && text) {
    const { seatIds, expiresAt } = notice.data as HoldNoticeData;
    holds.warn(seatNames([...seatIds]), Date.parse(expiresAt ?? ''));
  } else if (notice.event === 'hold-expired' || notice.event === 'reserved') holds.clearWarning();
  if (text) toast.show(text, notice.event === 'hold-expired' || notice.event === 'released' ? 'error' : 'info');
});

const verbs: Record<SeatOperation, string> = { hold: 'Held', release: 'Released', checkout: 'Reserved' };

function seatNames(ids: number[]): string {
  return ids
    .map((id) => {
      const seat = client.seat(id);
      return seat ? seatName(seat) : `#${id}`;
    })
    .join(', ');
}

async function act(operation: SeatOperation, seatIds: number[]): Promise<void> {
  for (const id of seatIds) pending.add(id);
  map.setPending(seatIds, true);
  refreshHolds();
  try {
    const result = await client[operation](seatIds);
    const names = result.seats.map(seatName).join(', ');
    const until = operation === 'hold' && result.expiresAt ? ` until ${formatTime(result.expiresAt)}` : '';
    toast.show(`${verbs[operation]} ${names}${until}`);
  } catch (error) {
    toast.show(errorMessage(error, operation, seatNames), 'error');
  } finally {
    for (const id of seatIds) pending.delete(id);
    map.setPending(seatIds, false);
    refreshHolds();
  }
}

map.onSeatClick((seat: SeatView) => {
  if (seat.status === 'AVAILABLE') void act('hold', [seat.id]);
  else if (seat.status === 'HELD' && seat.mine) void act('release', [seat.id]);
});
holds.onRelease((seatId) => void act('release', [seatId]));
byId('reserve').addEventListener('click', async () => {
  const held = client.myHolds().map((seat) => seat.id);
  if (held.length === 0) return;
  holds.setBusy(true);
  try {
    await act('checkout', held);
  } finally {
    holds.setBusy(false);
    refreshHolds();
  }
});
byId('retry').addEventListener('click', () => client.reconnect());

// The session first: the stream carries my notices, which need to know who I am.
client.startSession().then(
  () => client.connect(),
  (error: unknown) =>
    toast.show(`Could not start a session: ${error instanceof Error ? error.message : String(error)}`, 'error'),
);
