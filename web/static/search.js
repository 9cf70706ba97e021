// search.js: the search console (PROTOCOL.md §3, §4): a query box checked as you type on the
// parse channel, time presets and absolute times, launch with live progress, the overview
// histogram with drag-to-zoom (REQ_TS_RANGE), paged results in the renderer's own form,
// metadata and module statistics, downloads, background and delete, and attach.

import {h, replace, num, dec, bytes, localTime, utc, tzName, timeEl, goDuration, duration, debounce, sleep} from './dom.js';
import {RoutingSocket, Replies, RESP_ERROR, api, authHeaders} from './socket.js';
import {histogram} from './charts.js';
import {entryList, table, sortRows, chartView, gauges, metadataPanel, moduleStats} from './render.js';

const REQ = {
  CLOSE: 1, DETAILS: 4, TAGS: 5, GET_ENTRIES: 16, TS_RANGE: 18, METADATA: 65537,
  STATS_GET: 2130706435, STATS_GET_RANGE: 2130706436, STATS_SUMMARY: 2130706437, STATS_LOCATION: 2130706438,
};
const ENTRY_RENDERERS = new Set(['text', 'raw', 'hex', 'pcap']);
const ENTRY_PAGE = 50;
const ROW_PAGE = 100;
// Condensed results (table rows, chart slices, gauges) are fetched whole, up to this many;
// the server's per-request clamp is 10 000 (§4.5.5). More is reported, never hidden.
const CONDENSED_MAX = 10000;
const OVERVIEW_SETS = 90;
const ZOOM_SETS = 60;

export const PRESETS = [
  ['15m', 'Last 15 minutes', 15 * 60e3], ['1h', 'Last hour', 3600e3], ['4h', 'Last 4 hours', 4 * 3600e3],
  ['12h', 'Last 12 hours', 12 * 3600e3], ['24h', 'Last 24 hours', 24 * 3600e3], ['7d', 'Last 7 days', 7 * 86400e3],
  ['30d', 'Last 30 days', 30 * 86400e3], ['custom', 'Absolute range…', 0],
];

// splitPipeline splits a query into its modules at top-level '|' (outside quotes).
export function splitPipeline(q) {
  const out = [];
  let cur = '', quote = '';
  for (let i = 0; i < q.length; i++) {
    const c = q[i];
    if (quote) {
      if (c === '\\' && i + 1 < q.length) {
        cur += c + q[++i];
        continue;
      }
      if (c === quote) quote = '';
    } else if (c === '"' || c === '`') {
      quote = c;
    } else if (c === '|') {
      out.push(cur);
      cur = '';
      continue;
    }
    cur += c;
  }
  out.push(cur);
  return out.map(x => x.trim());
}

// toLocalInput formats a Date for <input type=datetime-local> in the browser's zone.
function toLocalInput(d) {
  const p = n => String(n).padStart(2, '0');
  return `${d.getFullYear()}-${p(d.getMonth() + 1)}-${p(d.getDate())}T${p(d.getHours())}:${p(d.getMinutes())}:${p(d.getSeconds())}`;
}

function iso(ms) {
  return new Date(ms).toISOString();
}

export class SearchConsole {
  constructor(root, {pill, listRoot}) {
    this.root = root;
    this.pill = pill;
    this.listRoot = listRoot;
    this.replies = new Replies();
    this.parseSeq = 0;
    this.addendum = 0;
    this.cur = null; // the search on screen
    this.view = {open: new Set(), hex: new Set(), text: new Set(), sort: null, chartKind: 'line', hiddenSeries: new Set(), rerender: () => this.renderResults()};
    this.build();
    this.sock = new RoutingSocket('/api/ws/search', ['PONG', 'parse', 'search', 'attach'], {
      onStatus: st => this.onStatus(st),
      onOpen: () => this.onOpen(),
      onMessage: (type, data) => this.onMessage(type, data),
    });
  }

  // ---------- page structure ----------

  build() {
    const q = this.q = h('textarea', {id: 'query', rows: 1, spellcheck: 'false', autocomplete: 'off', autofocus: true, 'aria-label': 'query',
      placeholder: 'Type a query, e.g. tag=syslog syslog Appname | count by Appname | table'});
    q.addEventListener('input', () => {
      this.autosize();
      this.parseSoon();
    });
    q.addEventListener('keydown', ev => {
      if (ev.key === 'Enter' && !ev.shiftKey && !ev.isComposing) {
        ev.preventDefault();
        this.launch();
      }
    });
    // Enter runs the search; only Shift+Enter adds a line (some input paths insert the line
    // break even when keydown was cancelled).
    q.addEventListener('beforeinput', ev => {
      if ((ev.inputType === 'insertLineBreak' || ev.inputType === 'insertParagraph') && !this.shiftEnter) ev.preventDefault();
    });
    q.addEventListener('keydown', ev => {
      this.shiftEnter = ev.key === 'Enter' && ev.shiftKey;
    }, true);
    this.range = h('select', {id: 'range', 'aria-label': 'time range', onchange: () => this.onRangeChange()},
      PRESETS.map(([k, label]) => h('option', {value: k}, label)));
    this.range.value = '1h';
    const now = Date.now();
    this.startIn = h('input', {type: 'datetime-local', id: 'start', step: 1, value: toLocalInput(new Date(now - 3600e3)), 'aria-label': 'start (browser time zone)', oninput: () => this.showAbsTitles()});
    this.endIn = h('input', {type: 'datetime-local', id: 'end', step: 1, value: toLocalInput(new Date(now)), 'aria-label': 'end (browser time zone)', oninput: () => this.showAbsTitles()});
    this.absBox = h('span', {class: 'abs-range', hidden: true}, this.startIn, h('span', {class: 'muted'}, '→'), this.endIn,
      h('span', {class: 'muted small tz', title: 'times are in your browser\'s time zone; hover a time to see it in UTC'}, tzName()));
    this.launchBtn = h('button', {type: 'submit', id: 'launch', class: 'primary', title: 'run the search (Enter)'}, 'Search');
    this.cancelBtn = h('button', {type: 'button', id: 'cancel', hidden: true, title: 'stop the running search (Esc)', onclick: () => {
      if (this.launching) this.launching.cancelled = true;
      else this.cancel();
    }}, 'Cancel');
    this.parseStatus = h('div', {id: 'parse-status', class: 'parse-status', 'aria-live': 'polite'});
    this.launchError = h('div', {id: 'launch-error', class: 'error-box', role: 'alert', hidden: true});

    this.resultsEl = h('section', {id: 'results', hidden: true});
    const form = h('form', {class: 'querybar', onsubmit: ev => {
      ev.preventDefault();
      this.launch();
    }}, h('div', {class: 'query-row'}, q, this.launchBtn, this.cancelBtn), h('div', {class: 'range-row'}, h('label', {class: 'muted small', for: 'range'}, 'Time range'), this.range, this.absBox, h('span', {class: 'muted small', id: 'range-desc'})));
    replace(this.root, h('div', {class: 'panel query-panel'}, form, this.parseStatus, this.launchError), this.resultsEl,
      h('section', {class: 'welcome', id: 'hint'},
        h('h2', {}, 'Start with an example'),
        h('div', {class: 'examples'},
          this.example('Syslog programs', 'count by program, as a sortable table', 'tag=syslog syslog Appname | count by Appname | table'),
          this.example('HTTP status over time', 'a line or bar chart of counts per status', 'tag=weblog json status | count by status | chart count by status'),
          this.example('Mean response size', 'a gauge', 'tag=weblog json bytes | mean bytes | gauge mean'),
          this.example('sshd log lines', 'raw entries with their extracted values', 'tag=syslog syslog Appname==sshd Hostname')),
        h('p', {class: 'tags-line', id: 'tags-line'}),
        h('p', {class: 'muted small keys'}, h('kbd', {}, 'Enter'), ' runs the query · ', h('kbd', {}, 'Shift'), '+', h('kbd', {}, 'Enter'), ' adds a line · ',
          h('kbd', {}, 'Esc'), ' cancels · ', h('kbd', {}, '/'), ' jumps to the query box · drag across the overview to zoom')));
    document.addEventListener('keydown', ev => {
      if (ev.key === 'Escape' && this.launching) {
        ev.preventDefault();
        this.launching.cancelled = true;
      } else if (ev.key === 'Escape' && this.cur && !this.cur.done && !this.cur.closed) {
        ev.preventDefault();
        this.cancel();
      } else if (ev.key === '/' && !['INPUT', 'TEXTAREA', 'SELECT'].includes(document.activeElement.tagName) && !this.root.hidden) {
        ev.preventDefault();
        q.focus();
      }
    });
    this.onRangeChange();
    window.addEventListener('resize', debounce(() => {
      if (!this.cur || this.resultsEl.hidden) return;
      this.renderOverview();
      if (this.cur.renderer === 'chart') this.renderResults();
    }, 150));
  }

  example(title, what, text) {
    return h('button', {type: 'button', class: 'example', title: 'run ' + text, onclick: () => {
      this.q.value = text;
      this.autosize();
      this.parseSoon();
      this.launch();
    }}, h('span', {class: 'example-title'}, title), h('span', {class: 'example-what muted small'}, what), h('code', {}, text));
  }

  autosize() {
    this.q.style.height = 'auto';
    this.q.style.height = Math.min(200, this.q.scrollHeight + 2) + 'px';
  }

  onRangeChange() {
    const custom = this.range.value === 'custom';
    this.absBox.hidden = !custom;
    this.showAbsTitles();
  }

  showAbsTitles() {
    const desc = this.root.querySelector('#range-desc');
    const [a, b] = this.timeRange();
    this.startIn.title = utc(new Date(a));
    this.endIn.title = utc(new Date(b));
    if (desc) {
      desc.textContent = this.range.value === 'custom' ? '' : `${localTime(new Date(a))} → now`;
      desc.title = utc(new Date(a)) + ' → now';
    }
  }

  // timeRange returns [start, end] in ms for the chosen preset or absolute times.
  timeRange() {
    if (this.range.value === 'custom') {
      return [new Date(this.startIn.value).getTime(), new Date(this.endIn.value).getTime()];
    }
    const p = PRESETS.find(x => x[0] === this.range.value) || PRESETS[1];
    // on whole seconds, like the absolute inputs: counts are then answered from the store's
    // per-second block summaries (a range starting inside a second makes every block decode)
    const now = Math.ceil(Date.now() / 1000) * 1000;
    return [now - p[2], now];
  }

  // ---------- URL ----------

  // fromURL fills the form from ?q=&range= or ?q=&start=&end= and says whether to run.
  fromURL(params) {
    const q = params.get('q');
    if (params.get('start') && params.get('end')) {
      const a = new Date(params.get('start')), b = new Date(params.get('end'));
      if (!Number.isNaN(a.getTime()) && !Number.isNaN(b.getTime())) {
        this.range.value = 'custom';
        this.startIn.value = toLocalInput(a);
        this.endIn.value = toLocalInput(b);
      }
    } else if (params.get('range') && PRESETS.some(p => p[0] === params.get('range'))) {
      this.range.value = params.get('range');
    }
    this.onRangeChange();
    if (q !== null) {
      this.q.value = q;
      this.autosize();
      this.pendingLaunch = true;
    }
    return q !== null;
  }

  toURL() {
    const params = new URLSearchParams();
    params.set('q', this.q.value.trim());
    if (this.range.value === 'custom') {
      const [a, b] = this.timeRange();
      params.set('start', iso(a));
      params.set('end', iso(b));
    } else {
      params.set('range', this.range.value);
    }
    history.replaceState(null, '', '/?' + params.toString() + location.hash);
  }

  // ---------- socket ----------

  onStatus(st) {
    this.status = st;
    this.renderPill();
    if (st.state === 'retrying' || st.state === 'closed') {
      this.replies.failAll('the search socket closed: ' + (st.reason || 'closed'));
      if (this.cur && !this.cur.closed) {
        this.cur.channelLost = true;
        this.renderProgress();
      }
    }
  }

  renderPill() {
    const st = this.status || {state: 'connecting'};
    let text = 'search connecting…', cls = 'wait';
    if (st.state === 'open') {
      text = 'search live';
      cls = 'ok';
    } else if (st.state === 'retrying') {
      text = `search reconnecting in ${Math.max(0, Math.ceil((st.retryAt - Date.now()) / 1000))} s (attempt ${st.attempt})`;
      cls = 'bad';
    }
    this.pill.className = 'pill ' + cls;
    this.pill.textContent = text;
    this.pill.title = st.reason ? 'search socket: ' + st.reason : 'search socket /api/ws/search';
    this.pill.dataset.state = st.state;
  }

  // loadTags lists the server's tags (GET /api/tags) on the start page, each a one-click
  // search over the chosen range.
  async loadTags() {
    const line = this.root.querySelector('#tags-line');
    if (!line) return;
    try {
      const tags = await api('GET', '/api/tags');
      if (!Array.isArray(tags) || !tags.length) {
        replace(line, h('span', {class: 'muted small'}, 'This server holds no tags yet: ingest something (POST /api/ingest).'));
        return;
      }
      replace(line, h('span', {class: 'muted small'}, 'Tags on this server: '), tags.map(t => h('button', {type: 'button', class: 'chip chip-tag', dataset: {tag: t}, title: `search tag=${t}`, onclick: () => {
        this.q.value = 'tag=' + t;
        this.autosize();
        this.parseSoon();
        this.launch();
      }}, t)));
    } catch (err) {
      replace(line, h('span', {class: 'muted small'}, 'Tags unavailable: ' + err.message));
    }
  }

  start() {
    this.loadTags();
    this.sock.connect();
    this.pingTimer = setInterval(() => this.sock.send('PONG', {}), 5000); // keepalive, §1.7
    this.pillTimer = setInterval(() => this.status && this.status.state === 'retrying' && this.renderPill(), 1000);
  }

  async onOpen() {
    this.parseNow();
    if (this.cur && this.cur.channelLost && this.cur.id) {
      // The socket dropped and with it our output channel: attach again (the search outlives
      // its consumers for a grace period, §3.8).
      const id = this.cur.id;
      this.cur.closed = true;
      await this.attach(id, {reattach: true});
    } else if (this.pendingLaunch) {
      this.pendingLaunch = false;
      this.launch();
    }
  }

  onMessage(type, data) {
    if (type === 'parse') {
      this.onParse(data);
      return;
    }
    if (type === 'PONG') return;
    if (!this.replies.deliver(type, data)) console.debug('[sluice] unexpected message on', type);
  }

  // request sends one request on an output channel and resolves with its reply.
  request(cur, data) {
    if (cur.closed) return Promise.reject(new Error('the search was closed'));
    const p = this.replies.expect(cur.channel, 'request ' + data.ID);
    if (!this.sock.send(cur.channel, data)) {
      this.replies.drop(cur.channel);
      return Promise.reject(new Error('the search socket is not connected'));
    }
    return p;
  }

  // ---------- parse as you type ----------

  parseSoon = debounce(() => this.parseNow(), 150);

  parseNow() {
    const text = this.q.value.trim();
    if (!text) {
      replace(this.parseStatus);
      this.parsed = null;
      return;
    }
    this.parseSeq++;
    this.parseText = text;
    this.sock.send('parse', {SearchString: text, Sequence: this.parseSeq});
  }

  onParse(r) {
    if (!r || r.Sequence !== this.parseSeq) return; // a reply to an older keystroke
    this.parsed = r;
    const segs = splitPipeline(this.parseText);
    const bad = r.GoodQuery ? -1 : Math.min(Math.max(0, r.ModuleIndex || 0), segs.length - 1);
    const chips = segs.map((seg, i) => h('span', {class: ['chip', i === bad && 'chip-bad', r.GoodQuery && i === segs.length - 1 && r.RenderModule && seg.split(/\s/)[0] === r.RenderModule && 'chip-render'],
      title: i === bad ? r.ParseError : seg}, seg.length > 48 ? seg.slice(0, 46) + '…' : seg || '(empty)'));
    const joined = [];
    chips.forEach((c, i) => joined.push(i ? h('span', {class: 'pipe'}, '|') : null, c));
    if (r.GoodQuery) {
      replace(this.parseStatus, h('span', {class: 'parse-ok', dataset: {state: 'ok'}}, '✓'), joined,
        h('span', {class: 'muted small'}, ` renders as ${r.RenderModule || 'text'}${r.Tags && r.Tags.length ? ' · tags ' + r.Tags.join(', ') : ''}${r.TimeZoomDisabled ? ' · no time zoom' : ''}`));
    } else {
      const name = segs[bad] ? segs[bad].split(/\s+/)[0] : '';
      replace(this.parseStatus, h('span', {class: 'parse-bad', dataset: {state: 'bad'}}, '✗'), joined,
        h('div', {class: 'parse-error', role: 'alert', id: 'parse-error'}, h('b', {}, `module ${bad + 1}${name ? ' (' + name + ')' : ''}: `), r.ParseError || 'invalid query'));
    }
  }

  // ---------- launch, cancel, attach ----------

  async launch() {
    const text = this.q.value.trim();
    this.launchError.hidden = true;
    if (!text) {
      this.showLaunchError('Type a query first, e.g. tag=syslog.');
      return;
    }
    const [a, b] = this.timeRange();
    if (Number.isNaN(a) || Number.isNaN(b)) {
      this.showLaunchError('Both the start and the end time are needed.');
      return;
    }
    if (b <= a) {
      this.showLaunchError(`The end (${localTime(new Date(b))}) must be after the start (${localTime(new Date(a))}).`);
      return;
    }
    this.toURL();
    this.closeCurrent();
    if (this.launching) Object.assign(this.launching, {cancelled: true, replaced: true}); // a newer launch replaces one still on its way
    const addendum = {filterID: 'console-' + (++this.addendum)};
    const p = this.replies.expect('search', 'launch');
    const sent = this.sock.send('search', {SearchString: text, SearchStart: iso(a), SearchEnd: iso(b), Background: false, NoHistory: false, Preview: false,
      Metadata: {console: 'sluice'}, Addendum: addendum, LaunchInfo: {method: 'manual', started: '0001-01-01T00:00:00Z', expires: '0001-01-01T00:00:00Z'}});
    if (!sent) {
      this.replies.drop('search');
      this.pendingLaunch = true;
      this.showLaunchError('The search socket is not connected yet; the search will run when it is.');
      return;
    }
    this.launchBtn.disabled = true;
    this.cancelBtn.hidden = false;
    const launching = this.launching = {cancelled: false};
    let r;
    try {
      r = await p;
    } catch (err) {
      this.showLaunchError(err.message);
      return;
    } finally {
      if (this.launching === launching) {
        this.launching = null;
        this.launchBtn.disabled = false;
        this.cancelBtn.hidden = true;
      }
    }
    if (r.Error !== undefined && r.Error !== null) {
      this.showLaunchError(r.Error);
      return;
    }
    if (launching.cancelled) {
      // Esc while the launch was on its way: refuse it; the server discards the search (§3.4).
      this.sock.send('search', {OK: false, OutputSearchSubproto: r.OutputSearchSubproto});
      if (launching.replaced) return;
      replace(this.launchError, h('b', {}, 'Cancelled: '), `the search was discarded before it started (search ${r.SearchID}).`);
      this.launchError.hidden = false;
      this.launchError.dataset.cancelled = r.SearchID;
      return;
    }
    this.sock.send('search', {OK: true, OutputSearchSubproto: r.OutputSearchSubproto});
    this.show({id: r.SearchID, channel: r.OutputSearchSubproto, renderer: r.RenderModule, query: r.RawQuery,
      start: new Date(r.SearchStartRange).getTime(), end: new Date(r.SearchEndRange).getTime(), timeZoomDisabled: r.TimeZoomDisabled});
  }

  showLaunchError(msg) {
    delete this.launchError.dataset.cancelled;
    replace(this.launchError, h('b', {}, 'The server refused the search: '), msg);
    this.launchError.hidden = false;
  }

  // attach attaches to a live search by ID (§3.6) and shows it.
  async attach(id, {reattach = false} = {}) {
    const p = this.replies.expect('attach', 'attach');
    if (!this.sock.send('attach', {ID: String(id)})) {
      this.replies.drop('attach');
      this.showLaunchError('The search socket is not connected.');
      return false;
    }
    let r;
    try {
      r = await p;
    } catch (err) {
      this.showLaunchError(err.message);
      return false;
    }
    if (r.Error !== undefined && r.Error !== null) {
      this.showLaunchError(`cannot attach to search ${id}: ${r.Error}` + (reattach ? ' (the connection dropped and the search is gone)' : ''));
      return false;
    }
    if (!reattach) this.closeCurrent();
    const info = r.Info || {};
    this.q.value = info.UserQuery || '';
    this.autosize();
    this.parseNow();
    this.range.value = 'custom';
    this.startIn.value = toLocalInput(new Date(info.StartRange));
    this.endIn.value = toLocalInput(new Date(info.EndRange));
    this.onRangeChange();
    this.toURL();
    this.show({id: info.ID || String(id), channel: r.Subproto, renderer: r.RendererMod, query: info.UserQuery,
      start: new Date(info.StartRange).getTime(), end: new Date(info.EndRange).getTime(), timeZoomDisabled: info.TimeZoomDisabled, attached: true, reattached: reattach});
    return true;
  }

  // closeCurrent detaches from the search on screen (REQ_CLOSE, §4.5.1).
  closeCurrent() {
    const cur = this.cur;
    if (!cur || cur.closed) return;
    cur.closed = true;
    if (this.sock.send(cur.channel, {ID: REQ.CLOSE})) {
      this.replies.expect(cur.channel, 'close').catch(() => {}).finally(() => this.replies.drop(cur.channel));
    }
  }

  // cancel stops the running search: the server deletes it, and the console detaches.
  async cancel() {
    const cur = this.cur;
    if (!cur || cur.done) return;
    cur.cancelled = true;
    cur.done = true;
    this.closeCurrent();
    this.renderProgress();
    try {
      await api('DELETE', '/api/searchctrl/' + encodeURIComponent(cur.id));
    } catch (err) {
      if (err.status !== 404) this.setResultError(err.message); // 404: already gone with its last consumer
    }
  }

  // ---------- a search on screen ----------

  show(c) {
    const cur = this.cur = Object.assign(c, {
      gen: (this.cur ? this.cur.gen : 0) + 1, count: 0, finished: false, info: null, page: 0, zoom: null,
      overview: null, zoomSets: null, data: null, tags: {}, metadata: null, modstats: null, errors: [], location: null,
    });
    this.view.open.clear();
    this.view.hex.clear();
    this.view.text.clear();
    this.view.sort = null;
    this.view.hiddenSeries.clear();
    this.view.chartKind = 'line';
    this.launchError.hidden = true;
    this.buildResults();
    this.resultsEl.hidden = false;
    this.root.querySelector('#hint').hidden = true;
    this.poll(cur);
  }

  buildResults() {
    const cur = this.cur;
    this.el = {
      progress: h('div', {class: 'progress-row', id: 'progress'}),
      notices: h('div', {class: 'notices', id: 'notices'}),
      overview: h('div', {class: 'panel overview', id: 'overview'}),
      pager: h('div', {class: 'pager', id: 'pager'}),
      body: h('div', {class: 'results-body', id: 'results-body'}),
      meta: h('div', {id: 'metadata'}),
      mods: h('div', {id: 'modstats'}),
    };
    replace(this.resultsEl,
      h('div', {class: 'panel'}, this.el.progress, this.el.notices),
      this.el.overview,
      h('div', {class: 'results-grid'},
        h('div', {class: 'panel results-main'}, h('div', {class: 'results-head'}, h('h2', {}, ENTRY_RENDERERS.has(cur.renderer) ? 'Entries' : {table: 'Table', chart: 'Chart', gauge: 'Gauges', numbercard: 'Numbers'}[cur.renderer] || 'Values'), this.el.pager), this.el.body),
        h('aside', {class: 'side'},
          h('details', {class: 'panel', open: true}, h('summary', {}, h('h2', {}, 'Metadata')), this.el.meta),
          h('details', {class: 'panel', open: true}, h('summary', {}, h('h2', {}, 'Module statistics')), this.el.mods))));
  }

  // poll refreshes the search until it has finished: details, location, overview, the page on
  // screen, metadata and module statistics, pipelined on the output channel (§3.9).
  async poll(cur) {
    let delay = 250;
    for (;;) {
      if (this.cur !== cur || cur.closed) return;
      // Replies answered before the search finished may hold partial results even when a
      // later reply of the same round says Finished: the round that stops the polling is one
      // that began after Finished was seen.
      const final = cur.finished;
      try {
        await this.refresh(cur);
      } catch (err) {
        if (this.cur !== cur || cur.closed) return;
        this.setResultError(err.message);
      }
      if (this.cur !== cur || cur.closed) return;
      if (final) {
        cur.done = true;
        this.renderProgress();
        return;
      }
      if (cur.finished) continue; // the final round, at once
      await sleep(delay);
      delay = Math.min(2000, delay + 250);
    }
  }

  // refresh asks for everything on screen at once and renders the answers.
  async refresh(cur) {
    const jobs = [
      this.request(cur, {ID: REQ.DETAILS, Addendum: {console: 'details'}}).then(r => this.onDetails(cur, r)),
      this.request(cur, {ID: REQ.STATS_LOCATION}).then(r => this.ok(cur, r, REQ.STATS_LOCATION) && (cur.location = r.Stats)),
      this.request(cur, {ID: REQ.STATS_GET, Stats: {SetCount: OVERVIEW_SETS}}).then(r => this.ok(cur, r, REQ.STATS_GET) && (cur.overview = r.Stats)),
      cur.zoom ? this.request(cur, {ID: REQ.STATS_GET_RANGE, Stats: {SetCount: ZOOM_SETS, SetStart: iso(cur.zoom[0]), SetEnd: iso(cur.zoom[1])}})
        .then(r => this.ok(cur, r, REQ.STATS_GET_RANGE) && (cur.zoomSets = r.Stats)) : null,
      this.fetchPage(cur, false),
      this.request(cur, {ID: REQ.METADATA}).then(r => this.ok(cur, r, REQ.METADATA) && (cur.metadata = r.Metadata || {})),
      this.request(cur, {ID: REQ.STATS_SUMMARY}).then(r => this.ok(cur, r, REQ.STATS_SUMMARY) && (cur.modstats = (r.Stats && r.Stats.Set && r.Stats.Set[0] && r.Stats.Set[0].Stats) || [])),
    ];
    const results = await Promise.allSettled(jobs);
    if (this.cur !== cur) return;
    const failed = results.find(x => x.status === 'rejected');
    if (failed && !cur.closed) throw failed.reason;
    this.renderAll();
  }

  // ok records the status fields every response carries and reports whether r answers id;
  // a RESP_ERROR is shown in place with its text.
  ok(cur, r, id) {
    if (!r) return false;
    this.base(cur, r);
    if (r.ID === RESP_ERROR) {
      this.addError(cur, r.Error || 'error without text');
      return false;
    }
    if (r.ID !== id) {
      this.addError(cur, `unexpected reply ${r.ID} to request ${id}`);
      return false;
    }
    return true;
  }

  base(cur, r) {
    if (typeof r.EntryCount === 'number') cur.count = r.EntryCount;
    if (r.Finished) cur.finished = true;
    cur.overLimit = r.OverLimit;
    cur.warning = r.Warning;
    cur.ldr = r.LimitDroppedRange;
  }

  addError(cur, msg) {
    if (cur.errors.includes(msg)) return;
    cur.errors.push(msg);
    if (cur === this.cur) this.renderNotices();
  }

  setResultError(msg) {
    if (!this.cur) {
      this.showLaunchError(msg);
      return;
    }
    this.addError(this.cur, msg);
  }

  onDetails(cur, r) {
    if (!this.ok(cur, r, REQ.DETAILS)) return;
    cur.info = r.SearchInfo;
    if (cur.info && cur.info.Error) this.addError(cur, 'the search failed: ' + cur.info.Error);
  }

  // fetchPage fetches what the results area shows: one page of entries, or the whole
  // condensed result (rows, slices, gauges) up to CONDENSED_MAX.
  async fetchPage(cur, render = true) {
    const entries = ENTRY_RENDERERS.has(cur.renderer);
    const first = entries ? cur.page * ENTRY_PAGE : 0;
    const last = entries ? first + ENTRY_PAGE : CONDENSED_MAX;
    const range = {First: first, Last: last};
    let id = REQ.GET_ENTRIES;
    if (cur.zoom && !cur.timeZoomDisabled) {
      id = REQ.TS_RANGE;
      range.StartTS = iso(cur.zoom[0]);
      range.EndTS = iso(cur.zoom[1]);
    }
    const want = {gen: cur.gen, page: cur.page, zoom: cur.zoom};
    const r = await this.request(cur, {ID: id, EntryRange: range, Addendum: {console: 'page'}});
    if (!this.ok(cur, r, id)) return;
    if (want.page !== cur.page || want.zoom !== cur.zoom) return; // the user moved on meanwhile
    cur.data = {id, first, entries: r.Entries, tags: r.Tags || {}, more: r.AdditionalEntries, range: r.EntryRange, binary: r.ContainsBinaryEntries};
    if (entries) {
      cur.tagNames = {};
      for (const [name, n] of Object.entries(r.Tags || {})) cur.tagNames[n] = name;
    }
    if (render) this.renderAll();
  }

  async goPage(p) {
    const cur = this.cur;
    if (!cur) return;
    if (!ENTRY_RENDERERS.has(cur.renderer)) {
      cur.rowPage = p;
      this.renderResults();
      return;
    }
    cur.page = p;
    this.view.open.clear();
    if (cur.closed) return;
    try {
      await this.fetchPage(cur);
    } catch (err) {
      this.setResultError(err.message);
    }
  }

  async zoomTo(a, b) {
    const cur = this.cur;
    if (!cur) return;
    const step = ((cur.info && cur.info.MinZoomWindow) || 1) * 1000;
    a = Math.floor(a / step) * step;
    b = Math.max(a + step, Math.ceil(b / step) * step);
    cur.zoom = [a, b];
    cur.page = 0;
    cur.rowPage = 0;
    cur.zoomSets = null;
    this.renderOverview();
    if (cur.closed) return;
    try {
      const [sets] = await Promise.all([
        this.request(cur, {ID: REQ.STATS_GET_RANGE, Stats: {SetCount: ZOOM_SETS, SetStart: iso(a), SetEnd: iso(b)}}),
        this.fetchPage(cur, false),
      ]);
      if (this.ok(cur, sets, REQ.STATS_GET_RANGE)) cur.zoomSets = sets.Stats;
      this.renderAll();
    } catch (err) {
      this.setResultError(err.message);
    }
  }

  async resetZoom() {
    const cur = this.cur;
    if (!cur) return;
    cur.zoom = null;
    cur.zoomSets = null;
    cur.page = 0;
    cur.rowPage = 0;
    this.renderOverview();
    if (cur.closed) return;
    try {
      await this.fetchPage(cur);
    } catch (err) {
      this.setResultError(err.message);
    }
  }

  // ---------- rendering ----------

  renderAll() {
    this.renderProgress();
    this.renderNotices();
    this.renderOverview();
    this.renderResults();
    this.renderSide();
  }

  renderProgress() {
    const cur = this.cur;
    if (!cur || !this.el) return;
    const info = cur.info || {};
    let state, cls;
    if (cur.cancelled) [state, cls] = ['Cancelled', 'wait'];
    else if (info.Error) [state, cls] = ['Failed', 'bad'];
    else if (cur.finished && cur.done) [state, cls] = ['Finished', 'ok']; // after the final round (poll)
    else if (cur.channelLost) [state, cls] = ['Disconnected', 'bad'];
    else [state, cls] = ['Running', 'run'];
    let frac = cur.finished ? 1 : 0;
    const loc = cur.location;
    if (!cur.finished && loc && loc.Current) {
      const s0 = new Date(loc.RangeStart).getTime(), s1 = new Date(loc.RangeEnd).getTime(), c = new Date(loc.Current).getTime();
      if (s1 > s0) frac = info.Descending === false ? (c - s0) / (s1 - s0) : (s1 - c) / (s1 - s0);
    }
    const fill = h('span', {class: 'bar-fill'});
    fill.style.width = (Math.max(0, Math.min(1, frac)) * 100).toFixed(1) + '%';
    const formats = info.RenderDownloadFormats || [];
    replace(this.el.progress,
      h('span', {class: 'badge ' + cls, id: 'search-state', dataset: {state: state.toLowerCase()}}, state),
      h('span', {class: 'count', title: ENTRY_RENDERERS.has(cur.renderer) ? 'entries found' : 'entries that reached the renderer'},
        h('b', {id: 'entry-count'}, num(cur.count)), cur.count === 1 ? ' entry' : ' entries'),
      h('span', {class: 'bar progress-bar', title: `${dec(frac * 100)} % of the range searched`}, fill),
      h('span', {class: 'muted small', title: utc(new Date(cur.start)) + ' → ' + utc(new Date(cur.end))}, `${localTime(new Date(cur.start))} → ${localTime(new Date(cur.end))}`),
      info.Duration ? h('span', {class: 'muted small', title: 'run time'}, duration(goDuration(info.Duration) * 1e6)) : null,
      h('span', {class: 'muted small'}, `${cur.renderer} · search ${cur.id}${cur.attached ? ' (attached)' : ''}`),
      h('span', {class: 'actions-bar'},
        formats.length ? h('span', {class: 'downloads', id: 'downloads'}, h('span', {class: 'muted small', title: cur.zoom ? 'downloads hold the zoom window' : 'downloads hold the whole search'}, cur.zoom ? 'Download window' : 'Download'),
          formats.map(f => h('button', {type: 'button', class: 'small-btn', dataset: {format: f}, title: `download the results as ${f}`, onclick: () => this.download(f)}, f))) : null,
        !cur.closed && !info.Background ? h('button', {type: 'button', class: 'small-btn', id: 'background-btn', title: 'keep this search on the server after you leave', onclick: () => this.background(cur.id)}, 'Background') : null,
        info.Background ? h('span', {class: 'badge wait'}, 'background') : null,
        h('button', {type: 'button', class: 'small-btn danger', id: 'delete-btn', title: 'delete this search and its results on the server', onclick: () => this.deleteSearch(cur.id)}, 'Delete')));
    this.cancelBtn.hidden = cur.done || cur.closed;
  }

  renderNotices() {
    const cur = this.cur;
    if (!cur || !this.el) return;
    const out = [];
    if (cur.overLimit) {
      const l = cur.ldr || {};
      out.push(h('div', {class: 'banner banner-warn', id: 'overlimit'}, h('b', {}, 'Over limit: '), 'the render store reached its size limit (render_store_limit_mb), so some results were dropped',
        l.StartTS && !l.StartTS.startsWith('0001') ? [' between ', timeEl(new Date(l.StartTS)), ' and ', timeEl(new Date(l.EndTS))] : null, '.'));
    }
    if (cur.warning) out.push(h('div', {class: 'banner banner-warn', id: 'warning'}, h('b', {}, 'Warning: '), cur.warning));
    for (const e of cur.errors) out.push(h('div', {class: 'banner banner-error', role: 'alert'}, h('b', {}, 'Server error: '), e));
    if (cur.channelLost && !cur.closed) out.push(h('div', {class: 'banner banner-error'}, 'The search socket dropped; the console re-attaches when it reconnects.'));
    if (cur.reattached) out.push(h('div', {class: 'banner banner-info'}, 'The connection dropped and came back; re-attached to the search.'));
    replace(this.el.notices, out);
  }

  bucketsOf(stats) {
    if (!stats || !stats.Set) return [];
    const end = new Date(stats.RangeEnd).getTime();
    return stats.Set.map((set, i) => {
      const t0 = new Date(set.TS).getTime();
      const t1 = i + 1 < stats.Set.length ? new Date(stats.Set[i + 1].TS).getTime() : end;
      return {t0, t1, count: this.plotted(set.Stats || [])};
    });
  }

  // plotted is the count a histogram bar shows for one set: the JS client plots the last
  // module's OutputCount (§4.5.11), which is what reaches the renderer for entry lists; for a
  // condensing query that is the output of the aggregation, so the bar shows the entries that
  // reached the first condensing module instead.
  plotted(mods) {
    if (!mods.length) return 0;
    const ci = this.cur && this.cur.info ? this.cur.info.CollapsingIndex : mods.length;
    if (ci >= mods.length) return mods[mods.length - 1].OutputCount;
    return ci > 0 ? mods[ci - 1].OutputCount : mods[0].InputCount;
  }

  renderOverview() {
    const cur = this.cur;
    if (!cur || !this.el) return;
    const ov = cur.overview;
    const head = h('div', {class: 'overview-head'}, h('h2', {}, 'Overview'),
      cur.timeZoomDisabled ? h('span', {class: 'muted small'}, 'this renderer ignores time windows') : h('span', {class: 'muted small'}, 'drag across the chart to zoom'),
      cur.zoom ? h('span', {class: 'zoom-info', id: 'zoom-info'}, 'Zoomed to ', timeEl(new Date(cur.zoom[0])), ' – ', timeEl(new Date(cur.zoom[1])), ' ',
        h('button', {type: 'button', class: 'small-btn', id: 'zoom-reset', onclick: () => this.resetZoom()}, 'Reset zoom')) : null);
    if (!ov) {
      replace(this.el.overview, head, h('p', {class: 'empty'}, 'Waiting for statistics…'));
      return;
    }
    const start = new Date(ov.RangeStart).getTime(), end = new Date(ov.RangeEnd).getTime();
    const onZoom = cur.timeZoomDisabled ? null : (a, b) => this.zoomTo(a, b);
    const width = this.el.overview.clientWidth - 28;
    const charts = [histogram(this.bucketsOf(ov), {start, end, width, height: 96, onZoom, highlight: cur.zoom, label: 'entries'})];
    if (cur.zoom && cur.zoomSets) {
      charts.push(h('div', {class: 'muted small zoom-label'}, 'Zoom window'),
        histogram(this.bucketsOf(cur.zoomSets), {start: cur.zoom[0], end: cur.zoom[1], width, height: 84, onZoom, label: 'entries'}));
    }
    replace(this.el.overview, head, charts);
  }

  renderResults() {
    const cur = this.cur;
    if (!cur || !this.el) return;
    const d = cur.data;
    if (!d) {
      replace(this.el.body, h('p', {class: 'empty'}, cur.finished ? 'No results.' : 'Searching…'));
      replace(this.el.pager);
      return;
    }
    const r = cur.renderer;
    if (ENTRY_RENDERERS.has(r)) {
      const n = d.entries ? d.entries.length : 0;
      const total = cur.zoom ? null : cur.count;
      const canNext = d.more;
      replace(this.el.pager, this.pagerEl(d.first, n, total, cur.page > 0, canNext, cur.zoom ? 'in the zoom window' : ''));
      replace(this.el.body, d.binary ? h('div', {class: 'muted small'}, 'This page holds binary entries: they are shown as hex.') : null,
        entryList(d.entries || [], {tagNames: cur.tagNames || {}, renderer: r, view: this.view, first: d.first}));
      return;
    }
    if (r === 'table') {
      const set = d.entries || {Columns: [], Rows: []};
      const rows = (set.Rows || []).slice();
      if (this.view.sort) sortRows(rows, this.view.sort.col, this.view.sort.dir);
      const pages = Math.max(1, Math.ceil(rows.length / ROW_PAGE));
      cur.rowPage = Math.min(cur.rowPage || 0, pages - 1);
      const first = cur.rowPage * ROW_PAGE;
      const page = rows.slice(first, first + ROW_PAGE);
      replace(this.el.pager, this.pagerEl(first, page.length, rows.length, cur.rowPage > 0, cur.rowPage < pages - 1, 'rows', true));
      replace(this.el.body, d.more ? h('div', {class: 'banner banner-warn'}, `Only the first ${num(CONDENSED_MAX)} rows were fetched; sorting applies to them.`) : null,
        table(set, page, {view: this.view, first, onSort: col => {
          const s = this.view.sort;
          this.view.sort = s && s.col === col ? {col, dir: s.dir === 'asc' ? 'desc' : 'asc'} : {col, dir: 'asc'};
          this.renderResults();
        }}));
      return;
    }
    replace(this.el.pager);
    if (r === 'chart') {
      replace(this.el.body, d.more ? h('div', {class: 'banner banner-warn'}, `Only the first ${num(CONDENSED_MAX)} time slices were fetched.`) : null,
        chartView(d.entries || {}, {view: this.view, width: this.el.body.clientWidth, onKind: k => {
          this.view.chartKind = k;
          this.renderResults();
        }, onToggle: name => {
          if (this.view.hiddenSeries.has(name)) this.view.hiddenSeries.delete(name);
          else this.view.hiddenSeries.add(name);
          this.renderResults();
        }}));
      return;
    }
    if (r === 'gauge' || r === 'numbercard') {
      replace(this.el.body, gauges(d.entries || [], r));
      return;
    }
    replace(this.el.body, h('pre', {class: 'entry-text'}, JSON.stringify(d.entries, null, 2)));
  }

  pagerEl(first, n, total, canPrev, canNext, what = '', rowsMode = false) {
    const label = n ? `${num(first + 1)}–${num(first + n)}` : '0';
    const size = rowsMode ? ROW_PAGE : ENTRY_PAGE;
    return [
      h('span', {class: 'muted small', id: 'page-label'}, `${label}${total !== null && total !== undefined ? ' of ' + num(total) : ''} ${rowsMode ? '' : what}`),
      h('button', {type: 'button', class: 'small-btn', id: 'page-prev', disabled: !canPrev, onclick: () => this.goPage(Math.floor(first / size) - 1)}, '‹ Prev'),
      h('button', {type: 'button', class: 'small-btn', id: 'page-next', disabled: !canNext, onclick: () => this.goPage(Math.floor(first / size) + 1)}, 'Next ›'),
    ];
  }

  renderSide() {
    const cur = this.cur;
    if (!cur || !this.el) return;
    replace(this.el.meta, cur.metadata ? metadataPanel(cur.metadata) : h('p', {class: 'empty'}, '…'));
    replace(this.el.mods, cur.modstats ? moduleStats(cur.modstats) : h('p', {class: 'empty'}, '…'));
  }

  // ---------- REST: downloads, background, delete, the list of live searches ----------

  async download(format) {
    const cur = this.cur;
    let url = `/api/searchctrl/${encodeURIComponent(cur.id)}/download/${encodeURIComponent(format)}`;
    if (cur.zoom && !cur.timeZoomDisabled) url += `?start=${encodeURIComponent(iso(cur.zoom[0]))}&end=${encodeURIComponent(iso(cur.zoom[1]))}`; // the zoom window
    try {
      const resp = await fetch(url, {headers: authHeaders()});
      if (!resp.ok) {
        const text = (await resp.text()).trim();
        let msg = text;
        try {
          msg = JSON.parse(text).Error || text;
        } catch {
          // plain text error
        }
        throw new Error(`download ${format}: ${resp.status} ${msg || resp.statusText}`);
      }
      const blob = await resp.blob();
      let name = `search-${cur.id}.${format}`;
      const cd = resp.headers.get('Content-Disposition') || '';
      const m = cd.match(/filename="?([^";]+)"?/);
      if (m) name = m[1];
      const a = h('a', {href: URL.createObjectURL(blob), download: name, hidden: true});
      document.body.append(a);
      a.click();
      setTimeout(() => {
        URL.revokeObjectURL(a.href);
        a.remove();
      }, 1000);
      this.lastDownload = {format, name, size: blob.size};
    } catch (err) {
      this.setResultError(err.message);
    }
  }

  async background(id) {
    try {
      await api('PATCH', `/api/searchctrl/${encodeURIComponent(id)}/background`);
      if (this.cur && this.cur.id === id && this.cur.info) this.cur.info.Background = true;
      this.renderProgress();
      this.refreshList();
    } catch (err) {
      if (this.cur && this.cur.id === id) this.setResultError(err.message);
      else this.listError(err.message);
    }
  }

  async deleteSearch(id) {
    try {
      await api('DELETE', `/api/searchctrl/${encodeURIComponent(id)}`);
      if (this.cur && this.cur.id === id) {
        this.cur.done = true;
        this.cur.deleted = true;
        this.closeCurrent();
        this.resultsEl.hidden = true;
        this.cur = null;
      }
      this.refreshList();
    } catch (err) {
      if (this.cur && this.cur.id === id) this.setResultError(err.message);
      else this.listError(err.message);
    }
  }

  listError(msg) {
    const box = this.listRoot.querySelector('#list-error');
    if (box) {
      box.textContent = msg;
      box.hidden = false;
    }
  }

  // refreshList shows the live searches (GET /api/searchctrl) with attach, background and
  // delete buttons.
  async refreshList() {
    const root = this.listRoot;
    let list;
    const err = h('div', {class: 'error-box', id: 'list-error', role: 'alert', hidden: true});
    try {
      list = await api('GET', '/api/searchctrl');
    } catch (e) {
      replace(root, h('div', {class: 'section-head'}, h('h2', {}, 'Live searches')), h('div', {class: 'error-box', id: 'list-error', role: 'alert'}, e.message));
      return;
    }
    list = Array.isArray(list) ? list : (list && (list.Searches || list.searches)) || [];
    const rows = list.map(s => {
      // GET /api/searchctrl answers in Gravwell's shape (State "ACTIVE/BACKGROUNDED",
      // AttachedClients, Progress, LaunchInfo.started); older servers in sluice's first one
      // (State, Background, Consumers, Launched). Both are read.
      const id = s.ID;
      const consumers = s.AttachedClients ?? s.Consumers ?? 0;
      const background = s.Background ?? /BACKGROUNDED/.test(s.State || '');
      const progress = s.Progress ?? s.State ?? '';
      const launched = s.Launched || (s.LaunchInfo && s.LaunchInfo.started);
      return h('tr', {dataset: {id}},
        h('td', {class: 'mono'}, id),
        h('td', {class: 'query-cell', title: s.UserQuery}, s.UserQuery),
        h('td', {}, h('span', {class: 'badge ' + (progress === 'running' ? 'run' : 'ok')}, progress || '?'), background ? h('span', {class: 'badge wait'}, 'background') : null),
        h('td', {class: 'num'}, num(consumers)),
        h('td', {class: 'num'}, s.StoredData !== undefined ? bytes(s.StoredData) : '–'),
        h('td', {}, launched && !launched.startsWith('0001') ? timeEl(new Date(launched)) : '–'),
        h('td', {class: 'small'}, s.StartRange ? [timeEl(new Date(s.StartRange)), ' → ', timeEl(new Date(s.EndRange))] : '–'),
        h('td', {class: 'actions'},
          h('button', {type: 'button', class: 'small-btn', title: 'open this search here', onclick: async () => {
            if (await this.attach(id)) this.onAttached && this.onAttached();
          }}, 'Attach'),
          !background ? h('button', {type: 'button', class: 'small-btn', title: 'keep it on the server without consumers', onclick: () => this.background(id)}, 'Background') : null,
          h('button', {type: 'button', class: 'small-btn danger', onclick: () => this.deleteSearch(id)}, 'Delete')));
    });
    replace(root,
      h('div', {class: 'section-head'}, h('h2', {}, 'Live searches'), h('span', {class: 'muted small'}, `${num(list.length)} on the server · refreshed ${localTime(new Date())}`),
        h('button', {type: 'button', class: 'small-btn', onclick: () => this.refreshList()}, 'Refresh')),
      err,
      h('div', {class: 'panel'}, rows.length ? h('div', {class: 'table-wrap'}, h('table', {class: 'grid-table live-list'},
        h('thead', {}, h('tr', {}, ['ID', 'Query', 'State', 'Consumers', 'Stored', 'Launched', 'Range', ''].map(c => h('th', {}, c)))),
        h('tbody', {}, rows))) : h('p', {class: 'empty'}, 'No live searches. Searches live while a console shows them, and background searches until deleted.')));
  }
}

