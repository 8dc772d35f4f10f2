// seatstream demo page: live seat map over Server-Sent Events. Plain ES module, no build step.
// Hot path (an SSE event) touches one seat element; everything else is batched into one rAF.

const STATUSES = ['AVAILABLE', 'HELD', 'RESERVED'];
const MAX_EVENTS = 20;

const param = Number(new URLSearchParams(location.search).get('schedule'));
const scheduleId = Number.isSafeInteger(param) && param > 0 ? param : 1;
const base = `/api/schedules/${scheduleId}`;

const $ = (id) => document.getElementById(id);
// Tiny element helper: props are assigned, `attrs` set as attributes, children appended.
function h(tag, props = {}, ...children) {
  const { attrs, dataset, ...rest } = props;
  const el = Object.assign(document.createElement(tag), rest);
  for (const [k, v] of Object.entries(attrs ?? {})) el.setAttribute(k, v);
  Object.assign(el.dataset, dataset);
  el.append(...children);
  return el;
}
const mapEl = $('seat-map');
const badgeEl = $('connection-state');
const reserveBtn = $('reserve');
const toastEl = $('toast');
const timeFmt = new Intl.DateTimeFormat(undefined, { hour: '2-digit', minute: '2-digit', second: '2-digit', hour12: false });

// seatId -> { id, row, number, status, mine, expiresAt, el }: the element lives on the record,
// so an event is one Map lookup plus a few attribute writes.
let seats = new Map();
let counts = { AVAILABLE: 0, HELD: 0, RESERVED: 0 };
const myHeld = new Set();        // ids I hold, so the 1 s countdown never scans the whole map
const pending = new Set();       // ids with a request in flight (disabled meanwhile)
const seatVersion = new Map();   // id -> event id of our own API response; older SSE events lose
let last = null;                 // last applied event id { raw, offset, epoch }
let heartbeatAt = null;
const recent = [];               // newest last, capped at MAX_EVENTS
const dirty = { events: false, holds: false, counts: false, header: false };
let countdowns = [];             // [span, expiresAtMs] for the ticking holds list
let reserving = false;

$('schedule-id').textContent = String(scheduleId);
document.title = `seatstream · schedule ${scheduleId}`;

// ---- event ids: "offset@epoch"; offsets only compare within one epoch -------------------------
function parseId(text) {
  if (!text) return null;
  const at = text.indexOf('@');
  const offset = Number(at < 0 ? text : text.slice(0, at));
  return Number.isSafeInteger(offset) ? { raw: text, offset, epoch: at < 0 ? '' : text.slice(at + 1) } : null;
}
const sameEpochNotNewer = (a, b) => a && b && a.epoch === b.epoch && a.offset <= b.offset;

function advance(id) {
  if (!id) return;
  if (last && id.epoch !== last.epoch) seatVersion.clear(); // history rewritten: old versions meaningless
  last = id;
  dirty.header = true;
}

// ---- rendering ------------------------------------------------------------------------------
const seatName = (s) => `${s.row}${s.number}`;
function describe(s) {
  const st = s.status.toLowerCase();
  return s.mine ? `${st} by you` : st;
}

// Paint one seat; called per event, so keep it to attribute writes on a single element.
function paint(s) {
  const el = s.el;
  if (!el) return;
  el.dataset.status = s.status;
  el.classList.toggle('mine', s.mine);
  const label = `Seat ${seatName(s)}, ${describe(s)}`;
  el.setAttribute('aria-label', label);
  const actionable = s.status === 'AVAILABLE' || (s.status === 'HELD' && s.mine);
  el.title = actionable ? `${label} (click to ${s.status === 'AVAILABLE' ? 'hold' : 'release'})` : label;
  el.disabled = pending.has(s.id) || !actionable;
}

function setSeat(s, status, mine, expiresAt) {
  if (!STATUSES.includes(status)) return;
  if (s.status !== status) { counts[s.status]--; counts[status]++; dirty.counts = true; }
  const wasMine = s.mine;
  const held = mine && status === 'HELD';
  s.status = status;
  s.mine = mine;
  s.expiresAt = held ? expiresAt : null;
  if (held) myHeld.add(s.id); else myHeld.delete(s.id);
  if (wasMine || mine) dirty.holds = true;
  paint(s);
  schedule();
}

const rowKey = (r) => [r.length, r]; // A..Z before AA..
function compareRows(a, b) {
  const [la, ra] = rowKey(a); const [lb, rb] = rowKey(b);
  return la - lb || (ra < rb ? -1 : ra > rb ? 1 : 0);
}

// Full rebuild: only for snapshots (or the GET fallback). Keeps my marks for seats whose status
// still matches, and keeps local state newer than the snapshot (our own API responses).
function buildMap(list, snapId) {
  const old = seats;
  seats = new Map();
  counts = { AVAILABLE: 0, HELD: 0, RESERVED: 0 };
  myHeld.clear();
  const rows = new Map();
  const now = Date.now();
  for (const raw of list) {
    if (!raw || !Number.isSafeInteger(raw.id) || !STATUSES.includes(raw.status)) continue;
    const prev = old.get(raw.id);
    let status = raw.status;
    let mine = raw.mine === true;
    let expiresAt = raw.expiresAt ?? null;
    const v = seatVersion.get(raw.id);
    if (prev && snapId && v && v.epoch === snapId.epoch && v.offset > snapId.offset) {
      ({ status, mine, expiresAt } = prev); // our response is newer than this snapshot
    } else if (!mine && prev?.mine && prev.status === status) {
      const expired = status === 'HELD' && prev.expiresAt && Date.parse(prev.expiresAt) < now;
      if (!expired) { mine = true; expiresAt = prev.expiresAt; }
    }
    const s = { id: raw.id, row: String(raw.row), number: raw.number, status, mine: false, expiresAt: null, el: null };
    counts[status]++;
    seats.set(s.id, s);
    if (!rows.has(s.row)) rows.set(s.row, []);
    rows.get(s.row).push(s);
    if (mine) { s.mine = true; if (status === 'HELD') { s.expiresAt = expiresAt; myHeld.add(s.id); } }
  }
  const frag = document.createDocumentFragment();
  let maxCols = 0;
  for (const row of [...rows.keys()].sort(compareRows)) {
    const list = rows.get(row).sort((a, b) => a.number - b.number);
    maxCols = Math.max(maxCols, list.length);
    const rowEl = h('div', { className: 'row', attrs: { role: 'group', 'aria-label': `Row ${row}` } },
      h('span', { className: 'row-label', textContent: row, attrs: { 'aria-hidden': 'true' } }));
    for (const s of list) {
      s.el = h('button', { type: 'button', className: 'seat', textContent: String(s.number), dataset: { seatId: String(s.id) } });
      paint(s);
      rowEl.append(s.el);
    }
    frag.append(rowEl);
  }
  mapEl.style.setProperty('--cols', String(maxCols));
  mapEl.replaceChildren(frag);
  if (!seats.size) mapEl.innerHTML = '<p class="placeholder">This schedule has no seats.</p>';
  mapEl.removeAttribute('aria-busy');
  dirty.holds = dirty.counts = true;
  schedule();
}

// One rAF flush for everything that is not a seat: event table, holds list, counts, header.
let rafQueued = false;
function schedule() {
  if (!rafQueued) { rafQueued = true; requestAnimationFrame(flush); }
}
function flush() {
  rafQueued = false;
  if (dirty.header) {
    dirty.header = false;
    $('last-event-id').textContent = last ? last.raw : '–';
    const hb = $('last-heartbeat');
    if (heartbeatAt) { hb.textContent = fmtTime(heartbeatAt); hb.dateTime = heartbeatAt; }
  }
  if (dirty.counts) {
    dirty.counts = false;
    for (const st of STATUSES) $(`count-${st}`).textContent = String(counts[st]);
  }
  if (dirty.events) { dirty.events = false; renderEvents(); }
  if (dirty.holds) { dirty.holds = false; renderHolds(); }
}

function fmtTime(iso) {
  const d = new Date(iso);
  return Number.isNaN(d.getTime()) ? '–' : timeFmt.format(d);
}

function renderEvents() {
  const rows = [];
  for (let i = recent.length - 1; i >= 0; i--) {
    const e = recent[i];
    rows.push(h('tr', { dataset: { status: e.status } },
      ...[fmtTime(e.t), e.seat, e.status.toLowerCase()].map((textContent) => h('td', { textContent }))));
  }
  $('events').replaceChildren(...rows);
}

function renderHolds() {
  const held = [...myHeld].map((id) => seats.get(id)).filter(Boolean)
    .sort((a, b) => compareRows(a.row, b.row) || a.number - b.number);
  countdowns = [];
  const items = held.map((s) => {
    const left = h('span', { className: 'countdown' });
    countdowns.push([left, s.expiresAt ? Date.parse(s.expiresAt) : NaN]);
    return h('li', {}, h('span', { className: 'hold-seat', textContent: seatName(s) }), left,
      h('button', { type: 'button', className: 'link', textContent: 'Release', disabled: pending.has(s.id),
        dataset: { release: String(s.id) }, attrs: { 'aria-label': `Release seat ${seatName(s)}` } }));
  });
  $('my-holds').replaceChildren(...items);
  $('holds-empty').hidden = held.length > 0;
  const reserved = [];
  for (const s of seats.values()) if (s.mine && s.status === 'RESERVED') reserved.push(seatName(s));
  const resEl = $('my-reserved');
  resEl.hidden = reserved.length === 0;
  resEl.textContent = `Reserved by you: ${reserved.join(', ')}`;
  reserveBtn.disabled = reserving || held.length === 0;
  reserveBtn.textContent = held.length ? `Reserve my seats (${held.length})` : 'Reserve my seats';
  tick();
}

// The single 1 s timer: only rewrites the countdown text of my holds.
function tick() {
  const now = Date.now();
  for (const [el, at] of countdowns) {
    if (Number.isNaN(at)) { el.textContent = ''; continue; }
    const sec = Math.max(0, Math.ceil((at - now) / 1000));
    el.textContent = sec > 0 ? `${Math.floor(sec / 60)}:${String(sec % 60).padStart(2, '0')} left` : 'expiring…';
    el.classList.toggle('urgent', sec <= 30);
  }
}
setInterval(tick, 1000);

let toastTimer = 0;
function toast(message, isError = false) {
  toastEl.textContent = message;
  toastEl.dataset.kind = isError ? 'error' : 'info';
  toastEl.classList.add('show');
  clearTimeout(toastTimer);
  toastTimer = setTimeout(() => toastEl.classList.remove('show'), isError ? 8000 : 4000);
}

// ---- HTTP -----------------------------------------------------------------------------------
async function api(method, path, body, retried = false) {
  const init = { method, credentials: 'same-origin', headers: { Accept: 'application/json' } };
  if (body !== undefined) { init.headers['Content-Type'] = 'application/json'; init.body = JSON.stringify(body); }
  let res;
  try { res = await fetch(path, init); } catch { throw Object.assign(new Error('Network error: server unreachable'), { status: 0 }); }
  if (res.status === 401 && !retried && path !== '/api/session') {
    await startSession(); // cookie expired or missing: get a new session once, then retry
    return api(method, path, body, true);
  }
  let data = null;
  try { data = await res.json(); } catch { /* empty or non-JSON body */ }
  if (!res.ok) {
    throw Object.assign(new Error(data?.message || `Request failed (HTTP ${res.status})`), { status: res.status, code: data?.error, data });
  }
  return { data, res };
}

const startSession = () => api('POST', '/api/session'); // no body, so no Content-Type either

// Learn which seats are mine (the stream does not say). Also the map fallback if no snapshot yet.
async function syncMine() {
  try {
    const { data, res } = await api('GET', `${base}/seats`);
    if (!Array.isArray(data)) return;
    const at = parseId(res.headers.get('Last-Event-ID'));
    if (!seats.size) buildMap(data, null);
    const mineNow = new Map(data.filter((x) => x && x.mine).map((x) => [x.id, x]));
    for (const s of seats.values()) {
      const m = mineNow.get(s.id);
      if (m && m.status === s.status) {
        if (!s.mine || (s.status === 'HELD' && s.expiresAt !== (m.expiresAt ?? null))) setSeat(s, s.status, true, m.expiresAt ?? null);
      } else if (s.mine && !m) {
        const v = seatVersion.get(s.id); // skip seats we changed after this response was made
        if (!(v && at && v.epoch === at.epoch && v.offset > at.offset)) setSeat(s, s.status, false, null);
      }
    }
  } catch (err) {
    toast(`Could not load your seats: ${err.message}`, true);
  }
}

// Apply the authoritative seats of a hold/release/reserve response right away, and remember its
// event id per seat so a late, older SSE event cannot undo it.
function applyResult(data) {
  const id = parseId(data?.eventId);
  const names = [];
  for (const r of data?.seats ?? []) {
    const s = seats.get(r.id);
    if (!s) continue;
    if (id) seatVersion.set(s.id, id);
    setSeat(s, r.status, r.status !== 'AVAILABLE', r.expiresAt ?? data.expiresAt ?? null);
    names.push(seatName(s));
  }
  return names.join(', ');
}

async function act(action, ids) {
  for (const id of ids) { pending.add(id); const s = seats.get(id); if (s) paint(s); }
  dirty.holds = true; // disables the matching Release buttons
  schedule();
  try {
    const { data } = await api('POST', `${base}/seats/${action}`, { seatIds: ids });
    const names = applyResult(data);
    const until = action === 'hold' && data?.expiresAt ? ` until ${fmtTime(data.expiresAt)}` : '';
    toast(`${{ hold: 'Held', release: 'Released', reserve: 'Reserved' }[action]} ${names}${until}`);
  } catch (err) {
    let msg = err.message;
    if (err.code === 'SEATS_UNAVAILABLE' && Array.isArray(err.data?.seatIds)) {
      msg += ` (${err.data.seatIds.map((id) => (seats.has(id) ? seatName(seats.get(id)) : `#${id}`)).join(', ')})`;
    }
    toast(msg, true);
  } finally {
    for (const id of ids) { pending.delete(id); const s = seats.get(id); if (s) paint(s); }
    dirty.holds = true;
    schedule();
  }
}

// One delegated listener for all seats instead of thousands.
mapEl.addEventListener('click', (ev) => {
  const btn = ev.target.closest('button[data-seat-id]');
  if (!btn || btn.disabled) return;
  const s = seats.get(Number(btn.dataset.seatId));
  if (s?.status === 'AVAILABLE') act('hold', [s.id]);
  else if (s?.status === 'HELD' && s.mine) act('release', [s.id]);
});
$('my-holds').addEventListener('click', (ev) => {
  const btn = ev.target.closest('button[data-release]');
  if (btn && !btn.disabled) act('release', [Number(btn.dataset.release)]);
});
reserveBtn.addEventListener('click', async () => {
  if (!myHeld.size || reserving) return;
  reserving = true;
  reserveBtn.disabled = true;
  try { await act('reserve', [...myHeld]); } finally { reserving = false; dirty.holds = true; schedule(); }
});

// ---- SSE ------------------------------------------------------------------------------------
let es = null;
let everOpen = false;
let retryMs = 1000;
let retryTimer = 0;
let snapshots = 0;

function setConn(state) {
  if (badgeEl.dataset.state === state) return;
  badgeEl.dataset.state = state;
  badgeEl.textContent = state;
}

function onMessage(e) {
  let d;
  try { d = JSON.parse(e.data); } catch { return; }
  if (!d) return;
  if (d.isHeartbeat || d.scheduleSeatId === -1) {
    heartbeatAt = d.timestamp || new Date().toISOString();
    dirty.header = true;
    schedule();
    return;
  }
  if (d.scheduleId != null && d.scheduleId !== scheduleId) return;
  const id = parseId(e.lastEventId);
  if (sameEpochNotNewer(id, last)) return; // duplicate or replayed event already applied
  advance(id);
  const s = seats.get(d.scheduleSeatId);
  recent.push({ t: d.timestamp, seat: s ? seatName(s) : `#${d.scheduleSeatId}`, status: String(d.status) });
  if (recent.length > MAX_EVENTS) recent.shift();
  dirty.events = true;
  schedule();
  if (!s || sameEpochNotNewer(id, seatVersion.get(s.id))) return; // our response already newer
  const mine = s.mine && d.status !== 'AVAILABLE'; // released/expired seats stop being mine
  setSeat(s, d.status, mine, s.expiresAt);
}

function onSnapshot(e) {
  let d;
  try { d = JSON.parse(e.data); } catch { return; }
  if (!Array.isArray(d?.seats)) return;
  const id = parseId(e.lastEventId);
  advance(id); // the snapshot reflects everything up to its id; later events apply on top
  buildMap(d.seats, id);
  // start() already fetches my seats once; a later snapshot means a gap, in which my holds
  // may have expired or been made in another tab, so re-check them then.
  if (snapshots++ > 0) syncMine();
}

function onError(e) {
  if (typeof e.data === 'string') { // named `error` event sent by the server before it ends
    let msg = 'Stream error';
    try { const d = JSON.parse(e.data); msg = d.message || d.error || msg; } catch { /* keep default */ }
    toast(msg, true);
    return;
  }
  if (es.readyState === EventSource.CLOSED) {
    // The browser gave up (HTTP error or wrong content type): retry ourselves with backoff.
    setConn('offline');
    clearTimeout(retryTimer);
    retryTimer = setTimeout(connect, retryMs);
    retryMs = Math.min(retryMs * 2, 30000);
  } else {
    setConn(everOpen ? 'reconnecting' : 'connecting'); // browser reconnects with Last-Event-ID
  }
}

function connect() {
  clearTimeout(retryTimer);
  if (es) es.close();
  setConn(everOpen ? 'reconnecting' : 'connecting');
  // A fresh EventSource cannot send Last-Event-ID, so ask for a snapshot to rebuild from.
  es = new EventSource(`${base}/seats/events?snapshot=true`);
  es.onopen = () => { everOpen = true; retryMs = 1000; setConn(navigator.onLine === false ? 'offline' : 'live'); };
  es.onmessage = onMessage;
  es.addEventListener('snapshot', onSnapshot);
  es.addEventListener('error', onError);
}

window.addEventListener('offline', () => setConn('offline'));
window.addEventListener('online', () => {
  if (!es || es.readyState === EventSource.CLOSED) connect();
  else setConn(es.readyState === EventSource.OPEN ? 'live' : 'reconnecting');
});

// ---- start-up: session first (so the cookie exists), then the stream, then my seats --------
async function start() {
  try { await startSession(); } catch (err) { toast(`Could not start a session: ${err.message}`, true); }
  connect();
  syncMine();
}
start();
