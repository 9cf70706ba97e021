// socket.js: a routing websocket (PROTOCOL.md §1.4–§1.6) that reconnects with backoff, and the
// one-reply-per-request discipline of output channels (§3.9).
//
// The credential is offered the way the Gravwell JS client does it: new WebSocket(url, token),
// or new WebSocket(url) when there is no token (§1.2).

export const RESP_ERROR = 4294967295;

// The first retry waits BACKOFF_MIN ms, each further one twice as long, up to BACKOFF_MAX.
const BACKOFF_MIN = 1000;
const BACKOFF_MAX = 30000;
// A reply slower than REPLY_TIMEOUT ms is a transport failure (the JS client's 10 s, §3.9).
const REPLY_TIMEOUT = 15000;

const TOKEN_KEY = 'sluice.token';

// token returns the stored credential ('' when none).
export function token() {
  try {
    return localStorage.getItem(TOKEN_KEY) || '';
  } catch {
    return '';
  }
}

// setToken stores the credential ('' removes it).
export function setToken(t) {
  try {
    if (t) localStorage.setItem(TOKEN_KEY, t);
    else localStorage.removeItem(TOKEN_KEY);
  } catch {
    // storage disabled: the token lives only as long as the page
  }
}

// behindLogin reports whether the page was served behind the login page (it then holds a
// session cookie, which the browser sends on every socket and REST call by itself).
export function behindLogin() {
  const m = document.querySelector('meta[name="sluice-login"]');
  return !!m && m.content === 'true';
}

// authHeaders are the headers that carry the credential on REST calls.
export function authHeaders() {
  const t = token();
  return t ? {Authorization: 'Bearer ' + t} : {};
}

// RoutingSocket keeps one routing websocket open to path with the given Subs. Callbacks:
//   onStatus({state, attempt, retryIn, reason})  state: 'connecting' | 'open' | 'retrying' | 'closed'
//   onOpen()                                      after the ACK
//   onMessage(type, data)                         every enveloped message
// Messages sent while the socket is not open are refused (send returns false).
export class RoutingSocket {
  constructor(path, subs, {onStatus = () => {}, onOpen = () => {}, onMessage = () => {}} = {}) {
    this.path = path;
    this.subs = subs;
    this.onStatus = onStatus;
    this.onOpen = onOpen;
    this.onMessage = onMessage;
    this.attempt = 0;
    this.ws = null;
    this.stopped = false;
    this.timer = 0;
    this.acked = false;
    this.status = {state: 'connecting', attempt: 0};
  }

  url() {
    return (location.protocol === 'https:' ? 'wss://' : 'ws://') + location.host + this.path;
  }

  setStatus(st) {
    this.status = st;
    this.onStatus(st);
  }

  connect() {
    clearTimeout(this.timer);
    this.stopped = false;
    this.acked = false;
    this.setStatus({state: 'connecting', attempt: this.attempt});
    const t = token();
    let ws;
    try {
      ws = t ? new WebSocket(this.url(), t) : new WebSocket(this.url());
    } catch (err) {
      this.retry(String(err));
      return;
    }
    this.ws = ws;
    let opened = false;
    ws.onopen = () => {
      opened = true;
      ws.send(JSON.stringify({Subs: this.subs}));
    };
    ws.onmessage = e => {
      if (typeof e.data !== 'string') return; // the server never sends binary frames (§1.3)
      let m;
      try {
        m = JSON.parse(e.data);
      } catch {
        console.warn('[sluice] not JSON on', this.path, e.data.slice(0, 200));
        return;
      }
      if (!this.acked) {
        if (m && m.Resp === 'ACK') {
          this.acked = true;
          this.attempt = 0;
          this.setStatus({state: 'open', attempt: 0});
          this.onOpen();
        } else {
          this.lastReason = 'the server refused the subscription (' + JSON.stringify(m).slice(0, 80) + ')';
        }
        return;
      }
      if (m && typeof m.type === 'string') this.onMessage(m.type, m.data);
    };
    ws.onclose = e => {
      if (this.ws !== ws) return;
      this.ws = null;
      this.acked = false;
      if (this.stopped) {
        this.setStatus({state: 'closed', attempt: 0});
        return;
      }
      let reason;
      if (!opened) {
        const hint = token() ? ' (is the token right?)' : behindLogin() ? ' (has the session ended? log in again)' : ' (a token may be required)';
        reason = 'the server refused the connection' + hint;
      }
      else reason = `connection lost (code ${e.code}${e.reason ? ': ' + e.reason : ''})`;
      this.retry(this.lastReason || reason);
      this.lastReason = '';
    };
  }

  retry(reason) {
    const delay = Math.min(BACKOFF_MAX, BACKOFF_MIN * 2 ** this.attempt);
    this.attempt++;
    this.setStatus({state: 'retrying', attempt: this.attempt, retryIn: delay, retryAt: Date.now() + delay, reason});
    this.timer = setTimeout(() => this.connect(), delay);
  }

  // reconnect drops the current connection (if any) and connects again at once.
  reconnect() {
    this.attempt = 0;
    const ws = this.ws;
    this.ws = null;
    if (ws) ws.close(1000);
    this.connect();
  }

  // send sends one enveloped message; false when the socket is not open.
  send(type, data) {
    if (!this.ws || !this.acked || this.ws.readyState !== WebSocket.OPEN) return false;
    this.ws.send(JSON.stringify({type, data}));
    return true;
  }

  close() {
    this.stopped = true;
    clearTimeout(this.timer);
    if (this.ws) this.ws.close(1000);
  }
}

// Replies matches the replies on channels of one socket to requests in order: each channel
// answers its requests one by one, first in first out (§3.9).
export class Replies {
  constructor() {
    this.queues = new Map();
  }

  // expect returns a promise of the next reply on channel that is not yet claimed.
  expect(channel, what) {
    return new Promise((resolve, reject) => {
      if (!this.queues.has(channel)) this.queues.set(channel, []);
      const q = this.queues.get(channel);
      const w = {resolve, reject, what};
      w.timer = setTimeout(() => {
        const i = q.indexOf(w);
        if (i >= 0) q.splice(i, 1);
        reject(new Error(`no reply to ${what} on "${channel}" within ${REPLY_TIMEOUT / 1000} s`));
      }, REPLY_TIMEOUT);
      q.push(w);
    });
  }

  // deliver hands a message to the oldest waiter of its channel; false when nobody waits.
  deliver(channel, data) {
    const q = this.queues.get(channel);
    if (!q || !q.length) return false;
    const w = q.shift();
    clearTimeout(w.timer);
    w.resolve(data);
    return true;
  }

  // failAll rejects every waiter (the socket closed).
  failAll(reason) {
    for (const q of this.queues.values()) {
      for (const w of q) {
        clearTimeout(w.timer);
        w.reject(new Error(reason));
      }
    }
    this.queues.clear();
  }

  // drop forgets the waiters of one channel without settling them.
  drop(channel) {
    const q = this.queues.get(channel) || [];
    for (const w of q) clearTimeout(w.timer);
    this.queues.delete(channel);
  }
}

// api calls a REST route with the credential and returns the decoded JSON body; a non-2xx
// answer throws an Error carrying the server's own message.
export async function api(method, path, body) {
  const init = {method, headers: {...authHeaders()}};
  if (body !== undefined) {
    init.headers['Content-Type'] = 'application/json';
    init.body = JSON.stringify(body);
  }
  const resp = await fetch(path, init);
  const text = await resp.text();
  let data = null;
  try {
    data = text ? JSON.parse(text) : null;
  } catch {
    data = null;
  }
  if (resp.status === 401 && behindLogin() && !token()) {
    location.assign('/login'); // the session expired or was ended elsewhere
  }
  if (!resp.ok) {
    const msg = (data && (data.Error || data.error)) || text.trim() || resp.statusText;
    const err = new Error(`${method} ${path}: ${resp.status} ${msg}`);
    err.status = resp.status;
    throw err;
  }
  return data;
}
