// client.js is driven by engine/browser_test.go. It does what the Gravwell web GUI's JS client
// does on the search and stats sockets (PROTOCOL.md §1, §2, §3, §4, §6) from a real browser,
// and writes what it saw into <pre id="result"> as one JSON object; window.sluiceDone is a
// promise that settles once the result is written.
//
// Query parameters:
//   mode   "full" (default): search socket and stats socket; "noauth": one connection attempt
//          that the server must refuse before the upgrade.
//   token  the credential, offered as the websocket subprotocol: new WebSocket(url, token).
//          Absent: new WebSocket(url), as the JS client does when it has no token.
//   tag    the tag the search reads (default "app").
//   start, end  the search range, ISO 8601.
'use strict';

const params = new URLSearchParams(location.search);
const mode = params.get('mode') || 'full';
const token = params.get('token');
const tag = params.get('tag') || 'app';
const start = new Date(params.get('start'));
const end = new Date(params.get('end'));
const wsBase = (location.protocol === 'https:' ? 'wss://' : 'ws://') + location.host;
const query = 'tag=' + tag;
const addendum = {filterID: 'search-filter-1'};
// The JS client treats a first reply slower than 10 s as a transport failure.
const STEP_TIMEOUT = 10000;
const RESP_ERROR = 4294967295;

const sleep = ms => new Promise(resolve => setTimeout(resolve, ms));
const log = (...args) => console.log('[client]', ...args);

// Socket is one routing websocket. Bare messages (the ACK) are queued under channel '' and
// enveloped ones under their type; next(channel) takes them in arrival order.
class Socket {
  constructor(path, subs) {
    this.url = wsBase + path;
    this.ws = token === null ? new WebSocket(this.url) : new WebSocket(this.url, token);
    this.queues = new Map();
    this.waiters = new Map();
    this.order = []; // channel of the first messages, in arrival order ('' = bare)
    this.binary = 0; // binary frames: the server must never send them (§1.3)
    this.errors = [];
    this.closeEvent = null;
    this.opened = new Promise((resolve, reject) => {
      this.ws.onopen = () => {
        // Subs goes out at once; the caller sends more right behind it without waiting for
        // the ACK, as the JS client does (§1.4 rule 4).
        this.ws.send(JSON.stringify({Subs: subs}));
        log('open', path, 'protocol=' + this.ws.protocol, 'extensions=' + this.ws.extensions);
        resolve();
      };
      this.ws.onerror = () => {
        this.errors.push('error event');
        reject(new Error('websocket error event on ' + this.url));
      };
    });
    this.closed = new Promise(resolve => {
      this.ws.onclose = e => {
        this.closeEvent = {code: e.code, reason: e.reason, wasClean: e.wasClean};
        log('close', path, JSON.stringify(this.closeEvent));
        for (const ws of this.waiters.values()) {
          for (const w of ws) w.reject(new Error(`socket ${path} closed (${e.code} ${e.reason}) while waiting on "${w.channel}"`));
        }
        this.waiters.clear();
        resolve(this.closeEvent);
      };
    });
    this.ws.onmessage = e => {
      if (typeof e.data !== 'string') {
        this.binary++;
        return;
      }
      let m;
      try {
        m = JSON.parse(e.data);
      } catch (err) {
        this.errors.push('not JSON: ' + e.data.slice(0, 200));
        return;
      }
      let channel = '';
      let payload = m;
      if (m !== null && typeof m === 'object' && typeof m.type === 'string' && 'data' in m) {
        channel = m.type;
        payload = m.data;
      }
      if (this.order.length < 100) this.order.push(channel);
      const ws = this.waiters.get(channel);
      if (ws && ws.length) {
        ws.shift().resolve(payload);
        return;
      }
      if (!this.queues.has(channel)) this.queues.set(channel, []);
      this.queues.get(channel).push(payload);
    };
  }

  send(type, data) {
    this.ws.send(JSON.stringify({type, data}));
  }

  queued(channel) {
    const q = this.queues.get(channel);
    return q ? q.length : 0;
  }

  next(channel, timeout = STEP_TIMEOUT) {
    const q = this.queues.get(channel);
    if (q && q.length) return Promise.resolve(q.shift());
    if (this.closeEvent) return Promise.reject(new Error(`socket closed (${this.closeEvent.code}) before a message on "${channel}"`));
    return new Promise((resolve, reject) => {
      if (!this.waiters.has(channel)) this.waiters.set(channel, []);
      const list = this.waiters.get(channel);
      const w = {channel};
      const timer = setTimeout(() => {
        list.splice(list.indexOf(w), 1);
        reject(new Error(`no message on "${channel}" within ${timeout} ms`));
      }, timeout);
      w.resolve = v => { clearTimeout(timer); resolve(v); };
      w.reject = err => { clearTimeout(timer); reject(err); };
      list.push(w);
    });
  }
}

function expectID(m, id) {
  if (!m || m.ID !== id) {
    const what = m && m.ID === RESP_ERROR ? 'RESP_ERROR' : 'reply';
    throw new Error(`${what} with ID ${m && m.ID}, want ${id}: ${JSON.stringify(m).slice(0, 400)}`);
  }
  return m;
}

// entryIndex returns the "i" field of an entry's JSON body (the Go test ingests {"i":i,...}).
function entryIndex(e) {
  return JSON.parse(atob(e.Data)).i;
}

function summarize(set, n) {
  let min = Infinity, max = -Infinity;
  for (const i of set) { min = Math.min(min, i); max = Math.max(max, i); }
  return {distinct: set.size, min: set.size ? min : -1, max: set.size ? max : -1, entries: n};
}

async function runSearch(out) {
  const s = new Socket('/api/ws/search', ['PONG', 'parse', 'search', 'attach']);
  out.binaryFrames = 0;
  try {
    await s.opened;
    out.protocol = s.ws.protocol;
    out.extensions = s.ws.extensions;
    // Everything right behind Subs, without waiting for the ACK.
    s.send('PONG', {});
    s.send('parse', {SearchString: query, Sequence: 1});
    s.send('search', {
      SearchString: query, SearchStart: start.toISOString(), SearchEnd: end.toISOString(),
      Background: false, Preview: false, NoHistory: false, Metadata: {}, Addendum: addendum,
    });
    const ack = await s.next('');
    out.ack = ack.Resp;
    out.firstMessage = s.order[0];
    out.pong = JSON.stringify(await s.next('PONG'));
    const parse = await s.next('parse');
    out.parse = {Sequence: parse.Sequence, GoodQuery: parse.GoodQuery, RawQuery: parse.RawQuery};
    const launch = await s.next('search');
    // The JS client treats any Error key that is not null, "" included, as a failure.
    if ('Error' in launch && launch.Error !== null) throw new Error('launch failed: ' + JSON.stringify(launch));
    const ch = launch.OutputSearchSubproto;
    out.launch = {channel: ch, renderModule: launch.RenderModule, searchID: launch.SearchID, addendum: launch.Addendum === undefined ? null : launch.Addendum};
    log('launched', ch, launch.SearchID);
    s.send('search', {OK: true, OutputSearchSubproto: ch});
    await sleep(200); // the JS client's "the backend needs a moment"

    // Poll details and entry count, pipelined, until both say Finished.
    let details, count, polls = 0;
    for (;;) {
      if (++polls > 200) throw new Error('search did not finish after 200 polls');
      s.send(ch, {ID: 4, Addendum: addendum});
      s.send(ch, {ID: 3});
      details = expectID(await s.next(ch), 4);
      count = expectID(await s.next(ch), 3);
      if (details.Finished && count.Finished) break;
      await sleep(50);
    }
    out.details = {
      polls, entryCount: count.EntryCount, detailsEntryCount: details.EntryCount,
      searchInfoID: details.SearchInfo ? details.SearchInfo.ID : null,
      addendum: details.Addendum === undefined ? null : details.Addendum,
    };

    // Page with REQ_TS_RANGE (what the GUI polls for entries).
    const paged = new Set();
    let n = 0, pages = 0, prevTS = Infinity;
    const p = {addendumEchoed: true, rangeEchoed: true, tagsOK: true, newestFirst: true, addendum: null};
    for (let first = 0; ; first += 1000) {
      if (++pages > 100) throw new Error('REQ_TS_RANGE paging did not end after 100 pages');
      s.send(ch, {ID: 18, Addendum: addendum, EntryRange: {First: first, Last: first + 1000, StartTS: start.toISOString(), EndTS: end.toISOString()}});
      const r = expectID(await s.next(ch), 18);
      if (pages === 1) p.addendum = r.Addendum === undefined ? null : r.Addendum;
      if (JSON.stringify(r.Addendum) !== JSON.stringify(addendum)) p.addendumEchoed = false;
      const er = r.EntryRange;
      if (!er || er.First !== first || !er.StartTS || !er.EndTS) p.rangeEchoed = false;
      if (!r.Tags || r.Tags[tag] !== 0) p.tagsOK = false;
      for (const e of r.Entries || []) {
        n++;
        paged.add(entryIndex(e));
        const ts = Date.parse(e.TS);
        if (ts > prevTS) p.newestFirst = false;
        prevTS = ts;
      }
      if (!r.AdditionalEntries) break;
    }
    out.paged = Object.assign(p, summarize(paged, n), {pages});

    // REQ_STREAMING to the terminator.
    s.send(ch, {ID: 17});
    const streamed = new Set();
    let sn = 0, blocks = 0, blocksOK = true, terminator = false;
    for (;;) {
      if (++blocks > 1000) throw new Error('stream did not end after 1000 blocks');
      const b = expectID(await s.next(ch), 17);
      const entries = b.Entries || [];
      if (b.Finished) {
        terminator = entries.length === 0 && b.EntryCount === 0;
        break;
      }
      if (b.EntryCount !== entries.length || !b.EntryRange || b.EntryRange.First !== sn) blocksOK = false;
      for (const e of entries) {
        sn++;
        streamed.add(entryIndex(e));
      }
    }
    out.streamed = Object.assign(summarize(streamed, sn), {blocks: blocks - 1, blocksOK, terminator});

    // The overview chart's stats: the last module's OutputCount per set.
    s.send(ch, {ID: 2130706435, Stats: {SetCount: 90}});
    const st = expectID(await s.next(ch), 2130706435);
    let sum = 0;
    for (const set of st.Stats.Set) {
      if (set.Stats && set.Stats.length) sum += set.Stats[set.Stats.length - 1].OutputCount;
    }
    out.stats = {sets: st.Stats.Set.length, sum};

    s.send(ch, {ID: 1});
    expectID(await s.next(ch), 1);
    // Nothing more may arrive on the channel: a PONG round trip flushes anything in flight.
    s.send('PONG', {});
    await s.next('PONG');
    out.closed = true;
    out.afterClose = s.queued(ch);
  } finally {
    out.binaryFrames = s.binary;
    out.socketErrors = s.errors;
    if (s.ws.readyState === WebSocket.OPEN) s.ws.close(1000, 'done');
    if (s.ws.readyState !== WebSocket.CLOSED) await Promise.race([s.closed, sleep(2000)]);
    out.closeEvent = s.closeEvent;
  }
}

async function runStats(out) {
  const s = new Socket('/api/ws/stats', ['sysDesc', 'ping']);
  try {
    await s.opened;
    out.protocol = s.ws.protocol;
    out.extensions = s.ws.extensions;
    out.ack = (await s.next('')).Resp;
    const desc = await s.next('sysDesc');
    const ping = await s.next('ping');
    await s.next('ping'); // a second one: pings keep coming
    out.order = s.order.slice(0, 6);
    out.first = s.order[1]; // order[0] is the bare ACK
    out.types = [...new Set(s.order)].filter(c => c !== '');
    out.hosts = Object.keys(desc).sort();
    out.pingStates = ping.States || null;
  } finally {
    out.binaryFrames = s.binary;
    out.socketErrors = s.errors;
    if (s.ws.readyState === WebSocket.OPEN) s.ws.close(1000, 'done');
  }
}

// runNoAuth tries one connection that the server must refuse with 401 before the upgrade: the
// browser then fires error and close (1006) and never open.
async function runNoAuth(out) {
  const url = wsBase + '/api/ws/search';
  const ws = token === null ? new WebSocket(url) : new WebSocket(url, token);
  out.events = [];
  await new Promise(resolve => {
    const timer = setTimeout(() => { out.events.push('timeout'); resolve(); }, STEP_TIMEOUT);
    ws.onopen = () => { out.events.push('open'); ws.send(JSON.stringify({Subs: ['PONG']})); };
    ws.onmessage = () => out.events.push('message');
    ws.onerror = () => out.events.push('error');
    ws.onclose = e => {
      out.events.push('close');
      out.closeCode = e.code;
      out.wasClean = e.wasClean;
      clearTimeout(timer);
      resolve();
    };
  });
  out.protocol = ws.protocol;
  out.readyState = ws.readyState;
}

async function main() {
  const result = {mode, error: null};
  try {
    if (mode === 'noauth') {
      result.noauth = {};
      await runNoAuth(result.noauth);
    } else {
      result.search = {};
      result.stats = {};
      await Promise.all([runSearch(result.search), runStats(result.stats)]);
    }
  } catch (e) {
    result.error = String((e && e.stack) || e);
    console.error('[client] failed:', result.error);
  }
  document.getElementById('result').textContent = JSON.stringify(result);
  return result;
}

window.sluiceDone = main();
