// dashboard.js: the live stats dashboard (PROTOCOL.md §2; the seed's ws-stats document).
//
// The first sysDesc packet lists the backends and builds the table; sysStats, idxStats and
// igstStats keep filling it; ping is the keepalive: a backend whose state is not OK, or from
// which no ping arrived for deadAfter (30 s), is dead, named in a banner with the time of its
// last ping, until its pings return.

import {h, replace, num, dec, bytes, rate, duration, localTime, utc, ago, timeEl} from './dom.js';
import {RoutingSocket} from './socket.js';
import {sparkline} from './charts.js';

const SUBS = ['sysDesc', 'ping', 'sysStats', 'idxStats', 'igstStats'];
// History kept for sparklines: samples of CPU, network and ingest rates.
const HISTORY = 120;

function push(arr, v) {
  arr.push(v);
  if (arr.length > HISTORY) arr.shift();
}

function bar(frac, {label, warn = 0.8, crit = 0.95} = {}) {
  const f = Math.max(0, Math.min(1, frac || 0));
  const fill = h('span', {class: ['bar-fill', f >= crit ? 'crit' : f >= warn ? 'warn' : '']});
  fill.style.width = (f * 100).toFixed(1) + '%';
  return h('span', {class: 'bar', role: 'meter', 'aria-valuemin': 0, 'aria-valuemax': 100, 'aria-valuenow': Math.round(f * 100), 'aria-label': label, title: label}, fill);
}

export class Dashboard {
  // root: the dashboard section; banners: the global banner area; pill: the header status
  // element of the stats socket.
  constructor(root, {deadAfter, banners, pill}) {
    this.root = root;
    this.deadAfter = deadAfter;
    this.banners = banners;
    this.pill = pill;
    this.desc = null; // host → SysInfo, from the last sysDesc
    this.descAt = 0;
    this.sys = new Map(); // host → {stats, error, at, cpu: [], up: [], down: []}
    this.idx = new Map(); // indexer → IdxStats
    this.wellHist = new Map(); // well ID → {last: {t, entries, bytes}, rates: []}
    this.igst = new Map(); // indexer → {stats, eps: [], bps: []}
    this.pings = new Map(); // indexer → {state, last: ms, since: ms}
    this.connectedAt = 0;
    this.events = []; // recent dead/recovered events, newest first
    this.dead = new Map(); // indexer → reason text, as last shown

    this.el = {
      summary: h('div', {class: 'summary-cards'}),
      hosts: h('div', {class: 'table-wrap'}),
      ingest: h('div', {class: 'ingest-cards'}),
      wells: h('div', {class: 'table-wrap'}),
      events: h('ul', {class: 'events'}),
    };
    replace(root,
      h('div', {class: 'section-head'}, h('h2', {}, 'Backends'), h('span', {class: 'muted', id: 'dash-updated'})),
      this.el.summary,
      h('div', {class: 'panel'}, this.el.hosts),
      h('div', {class: 'section-head'}, h('h2', {}, 'Ingest')),
      this.el.ingest,
      h('div', {class: 'section-head'}, h('h2', {}, 'Wells')),
      h('div', {class: 'panel'}, this.el.wells),
      h('div', {class: 'section-head'}, h('h2', {}, 'Backend events')),
      h('div', {class: 'panel'}, this.el.events));
    this.renderHosts();

    this.sock = new RoutingSocket('/api/ws/stats', SUBS, {
      onStatus: st => this.showStatus(st),
      onOpen: () => {
        this.connectedAt = Date.now();
      },
      onMessage: (type, data) => this.onMessage(type, data),
    });
  }

  start() {
    this.sock.connect();
    this.tick = setInterval(() => this.check(), 500);
  }

  showStatus(st) {
    const changed = !this.status || this.status.state !== st.state;
    this.status = st;
    this.renderPill();
    if (changed && this.rendered) this.renderHosts(); // the webserver row's reachability
  }

  renderPill() {
    const st = this.status || {state: 'connecting'};
    let text, cls;
    switch (st.state) {
      case 'open':
        text = 'stats live';
        cls = 'ok';
        break;
      case 'retrying': {
        const secs = Math.max(0, Math.ceil((st.retryAt - Date.now()) / 1000));
        text = `stats reconnecting in ${secs} s (attempt ${st.attempt})`;
        cls = 'bad';
        break;
      }
      default:
        text = 'stats connecting…';
        cls = 'wait';
    }
    this.pill.className = 'pill ' + cls;
    this.pill.textContent = text;
    this.pill.title = st.reason ? 'stats socket: ' + st.reason : 'stats socket /api/ws/stats';
    this.pill.dataset.state = st.state;
  }

  onMessage(type, data) {
    const now = Date.now();
    switch (type) {
      case 'sysDesc':
        this.desc = data || {};
        this.descAt = now;
        break;
      case 'ping':
        for (const [addr, state] of Object.entries((data && data.States) || {})) {
          const p = this.pings.get(addr) || {since: now};
          if (state !== p.state) p.since = now;
          p.state = state;
          p.last = now;
          if (state === 'OK') p.lastOK = now;
          this.pings.set(addr, p);
        }
        this.pingError = data && data.Error;
        break;
      case 'sysStats':
        for (const [host, v] of Object.entries((data && data.Stats) || {})) {
          const e = this.sys.get(host) || {cpu: [], up: [], down: [], mem: []};
          e.stats = v.Stats || null;
          e.error = v.Error || '';
          e.at = now;
          if (e.stats) {
            push(e.cpu, e.stats.CPUUsage || 0);
            push(e.up, (e.stats.Net && e.stats.Net.Up) || 0);
            push(e.down, (e.stats.Net && e.stats.Net.Down) || 0);
            push(e.mem, e.stats.MemoryUsedPercent || 0);
          }
          this.sys.set(host, e);
        }
        break;
      case 'idxStats':
        for (const [addr, v] of Object.entries((data && data.Stats) || {})) {
          this.idx.set(addr, v);
          for (const well of v.IndexStats || []) {
            for (const loc of well.Stats || []) {
              const key = loc.ID || addr + '/' + well.Name + (loc.Cold ? '/cold' : '');
              const wh = this.wellHist.get(key) || {rates: []};
              if (wh.last && now > wh.last.t) {
                const dt = (now - wh.last.t) / 1000;
                push(wh.rates, Math.max(0, (loc.Entries - wh.last.entries) / dt));
              }
              wh.last = {t: now, entries: loc.Entries, bytes: loc.Data};
              this.wellHist.set(key, wh);
            }
          }
        }
        break;
      case 'igstStats':
        for (const [addr, v] of Object.entries((data && data.Stats) || {})) {
          const e = this.igst.get(addr) || {eps: [], bps: []};
          e.stats = v;
          push(e.eps, v.EntriesPerSecond || 0);
          push(e.bps, v.BytesPerSecond || 0);
          this.igst.set(addr, e);
        }
        break;
      default:
        return;
    }
    this.lastMessage = now;
    this.dirty = true;
    // Render at once for the first packets, then at most twice a second.
    if (!this.rendered) this.render();
  }

  // check runs twice a second: dead-man timers, the reconnect countdown, pending renders.
  check() {
    this.renderPill();
    this.checkDead();
    if (this.dirty) this.render();
  }

  // indexers are the backends expected to ping: every key seen in ping, idxStats or igstStats
  // (those carry indexers only, §2.1). sysDesc also lists webservers, which do not ping.
  indexers() {
    const set = new Set(this.pings.keys());
    for (const k of this.idx.keys()) set.add(k);
    for (const k of this.igst.keys()) set.add(k);
    return [...set].sort();
  }

  // deadReason returns why addr is dead, or '' when it is alive.
  deadReason(addr, now) {
    const p = this.pings.get(addr);
    if (!p) {
      // Never pinged: dead once a whole period has passed since we first could have heard.
      const since = this.connectedAt || this.startedAt;
      if (since && now - since > this.deadAfter) return `no ping received since the dashboard connected at ${localTime(new Date(since))}`;
      return '';
    }
    if (p.state !== 'OK') return `state ${p.state} since ${localTime(new Date(p.since))}; ` + (p.lastOK ? `last OK ping at ${localTime(new Date(p.lastOK))}` : 'no OK ping since the page loaded');
    if (now - p.last > this.deadAfter) return `no ping for ${Math.round((now - p.last) / 1000)} s; last ping at ${localTime(new Date(p.last))}`;
    return '';
  }

  checkDead() {
    const now = Date.now();
    this.startedAt = this.startedAt || now;
    const dead = new Map();
    for (const addr of this.indexers()) {
      const why = this.deadReason(addr, now);
      if (why) dead.set(addr, why);
    }
    let changed = false;
    for (const addr of dead.keys()) {
      if (!this.dead.has(addr)) {
        this.events.unshift({t: now, addr, what: 'dead', why: dead.get(addr)});
        changed = true;
      }
    }
    for (const addr of this.dead.keys()) {
      if (!dead.has(addr)) {
        this.events.unshift({t: now, addr, what: 'recovered', why: 'pings returned'});
        changed = true;
      }
    }
    this.events.length = Math.min(this.events.length, 20);
    const textChanged = [...dead].some(([a, w]) => this.dead.get(a) !== w);
    this.dead = dead;
    if (changed || textChanged) this.renderBanners();
    if (changed) this.dirty = true;
  }

  renderBanners() {
    const old = this.banners.querySelectorAll('.banner-dead');
    old.forEach(b => b.remove());
    for (const [addr, why] of this.dead) {
      this.banners.append(h('div', {class: 'banner banner-dead', role: 'alert', dataset: {backend: addr}},
        h('strong', {}, `Backend ${addr} is dead`), ': ', why, '.'));
    }
  }

  render() {
    this.rendered = true;
    this.dirty = false;
    this.renderSummary();
    this.renderHosts();
    this.renderIngest();
    this.renderWells();
    this.renderEvents();
    const upd = this.root.querySelector('#dash-updated');
    if (upd && this.lastMessage) {
      upd.textContent = `updated ${localTime(new Date(this.lastMessage))}`;
      upd.title = utc(new Date(this.lastMessage));
    }
  }

  renderSummary() {
    const hosts = this.desc ? Object.keys(this.desc).length : 0;
    const idx = this.indexers();
    const deadN = this.dead.size;
    let entries = 0, data = 0, wells = 0;
    for (const v of this.idx.values()) {
      for (const w of v.IndexStats || []) {
        wells++;
        for (const l of w.Stats || []) {
          entries += l.Entries || 0;
          data += l.Data || 0;
        }
      }
    }
    let eps = 0;
    for (const v of this.igst.values()) eps += (v.stats && v.stats.EntriesPerSecond) || 0;
    const card = (label, value, cls, title) => h('div', {class: ['card', cls], title}, h('div', {class: 'card-value'}, value), h('div', {class: 'card-label'}, label));
    replace(this.el.summary,
      card('systems', num(hosts)),
      card(deadN ? `of ${idx.length} indexers dead` : 'indexers alive', deadN ? num(deadN) : `${num(idx.length)}`, deadN ? 'card-bad' : 'card-ok'),
      card('wells', num(wells)),
      card('entries stored', num(entries)),
      card('data stored', bytes(data)),
      card('entries/s ingested', dec(eps)));
  }

  renderHosts() {
    if (!this.desc) {
      replace(this.el.hosts, h('p', {class: 'empty'}, 'Waiting for the first sysDesc packet from /api/ws/stats…'));
      return;
    }
    const now = Date.now();
    const rows = Object.keys(this.desc).sort((a, b) => (a === 'webserver' ? -1 : b === 'webserver' ? 1 : a.localeCompare(b))).map(host => {
      const d = this.desc[host] || {};
      const e = this.sys.get(host);
      const st = e && e.stats;
      const isIdx = this.pings.has(host) || this.idx.has(host) || this.igst.has(host);
      const deadWhy = this.dead.get(host);
      const p = this.pings.get(host);
      let status;
      if (!isIdx && this.status && this.status.state !== 'open') status = h('span', {class: 'badge bad', title: 'the stats socket is not connected'}, 'unreachable');
      else if (!isIdx) status = h('span', {class: 'badge ok', title: host === 'webserver' ? 'the webserver answering this page' : 'a webserver (webservers do not ping)'}, 'up');
      else if (deadWhy) status = h('span', {class: 'badge bad', title: deadWhy}, 'dead');
      else if (p) status = h('span', {class: 'badge ok', title: `last ping ${localTime(new Date(p.last))} (${ago(p.last, now)})`}, p.state);
      else status = h('span', {class: 'badge wait'}, 'no ping yet');
      const cpuModel = [d.CPUCount ? `${d.CPUCount} × ` : '', d.CPUModel || 'unknown CPU'].join('');
      const cpuExtra = [d.CPUMhz && `${d.CPUMhz} MHz`, d.CPUCache && `${d.CPUCache} KB cache`, d.VirtSystem && `${d.VirtSystem} ${d.VirtRole || ''}`].filter(Boolean).join(' · ');
      const bi = st && st.BuildInfo;
      const version = bi ? `sluice ${bi.Major}.${bi.Minor}.${bi.Point}` : '';
      const memTotal = (st && st.TotalMemory) || (d.TotalMemoryMB ? d.TotalMemoryMB * 1048576 : 0);
      const memPct = st ? st.MemoryUsedPercent || 0 : null;
      const disks = st ? (st.Disks || []) : [];
      return h('tr', {class: deadWhy ? 'row-dead' : '', dataset: {host}},
        h('td', {class: 'cell-host'}, h('div', {class: 'host-name'}, host), status,
          (d.Error || (e && e.error)) ? h('div', {class: 'error-text small host-error'}, d.Error || e.error) : null),
        h('td', {dataset: {label: 'CPU'}}, h('div', {}, cpuModel), h('div', {class: 'muted small'}, cpuExtra)),
        h('td', {dataset: {label: 'System'}}, h('div', {}, d.SystemVersion || '–'), h('div', {class: 'muted small'}, version)),
        h('td', {class: 'num', dataset: {label: 'CPU use'}}, st ? [h('div', {class: 'metric'}, h('b', {}, dec(st.CPUUsage) + ' %'), sparkline(e.cpu, {width: 90, height: 22, label: 'CPU % over the last minutes'})), bar(st.CPUUsage / 100, {label: `CPU ${dec(st.CPUUsage)} %`})] : '–'),
        h('td', {class: 'num', dataset: {label: 'Memory'}}, memPct !== null ? [h('div', {class: 'metric'}, h('b', {}, dec(memPct) + ' %'), h('span', {class: 'muted small'}, ' of ' + bytes(memTotal))), bar(memPct / 100, {label: `memory ${dec(memPct)} % used of ${bytes(memTotal)}`})] : bytes(memTotal)),
        h('td', {class: 'disks', dataset: {label: 'Disks'}}, disks.length ? disks.map(dk => h('div', {class: 'disk', title: `${dk.Partition} on ${dk.Mount}: ${bytes(dk.Used)} used of ${bytes(dk.Total)}`},
          h('span', {class: 'disk-mount'}, dk.Mount), bar(dk.Total ? dk.Used / dk.Total : 0, {label: `${dk.Mount}: ${bytes(dk.Used)} of ${bytes(dk.Total)}`}),
          h('span', {class: 'small muted'}, `${bytes(dk.Used)} / ${bytes(dk.Total)}`))) : h('span', {class: 'muted'}, st ? 'no disks' : '–')),
        h('td', {class: 'num', dataset: {label: 'Network'}}, st ? [h('div', {class: 'metric'}, '↑ ', h('b', {}, rate(st.Net.Up)), sparkline(e.up, {width: 70, height: 18, label: 'bytes/s sent'})),
          h('div', {class: 'metric'}, '↓ ', h('b', {}, rate(st.Net.Down)), sparkline(e.down, {width: 70, height: 18, label: 'bytes/s received'}))] : '–'),
        h('td', {class: 'num', dataset: {label: 'Uptime'}}, st ? [h('div', {}, duration(st.Uptime || 0, 's')), st.LoadAverage ? h('div', {class: 'muted small', title: 'load average 1, 5, 15 min'}, `load ${dec(st.LoadAverage.load1)} ${dec(st.LoadAverage.load5)} ${dec(st.LoadAverage.load15)}`) : null] : '–'),
      );
    });
    replace(this.el.hosts, h('table', {class: 'grid-table hosts'},
      h('thead', {}, h('tr', {}, ['Backend', 'CPU', 'System', 'CPU use', 'Memory', 'Disks', 'Network', 'Uptime'].map(c => h('th', {}, c)))),
      h('tbody', {}, rows)));
  }

  renderIngest() {
    if (!this.igst.size) {
      replace(this.el.ingest, h('p', {class: 'empty panel'}, 'No igstStats yet.'));
      return;
    }
    const cards = [...this.igst.entries()].sort().map(([addr, e]) => {
      const v = e.stats;
      const quota = v.QuotaMax ? `${bytes(v.QuotaUsed)} of ${bytes(v.QuotaMax)} quota` : `${bytes(v.QuotaUsed)} today, no quota`;
      return h('div', {class: 'panel ingest-card', dataset: {indexer: addr}},
        h('div', {class: 'ingest-head'}, h('b', {}, addr), this.dead.has(addr) ? h('span', {class: 'badge bad'}, 'dead') : null),
        h('div', {class: 'ingest-figures'},
          h('div', {}, h('div', {class: 'card-value'}, dec(v.EntriesPerSecond)), h('div', {class: 'card-label'}, 'entries/s')),
          h('div', {}, h('div', {class: 'card-value'}, rate(v.BytesPerSecond)), h('div', {class: 'card-label'}, 'ingested')),
          h('div', {}, h('div', {class: 'card-value'}, num(v.TotalCount)), h('div', {class: 'card-label'}, 'entries since start')),
          h('div', {}, h('div', {class: 'card-value'}, num(v.LastDayCount)), h('div', {class: 'card-label'}, 'entries in 24 h'))),
        h('div', {class: 'spark-row'}, h('span', {class: 'small muted'}, 'last minute, entries/s'),
          sparkline(v.EntriesMinuteTail || [], {width: 260, height: 34, label: 'entries per second over the last 60 s'})),
        h('div', {class: 'spark-row'}, h('span', {class: 'small muted'}, 'last 24 h, entries/h'),
          sparkline(v.EntriesHourTail || [], {width: 260, height: 34, label: 'entries per hour over the last 24 h'})),
        h('div', {class: 'small muted'}, quota, ' · ', num((v.Ingesters || []).length), ' ingesters connected',
          (v.Missing || []).length ? ` · ${(v.Missing || []).length} missing` : ''));
    });
    replace(this.el.ingest, cards);
  }

  renderWells() {
    const rows = [];
    for (const [addr, v] of [...this.idx.entries()].sort()) {
      if (v.Error) rows.push(h('tr', {}, h('td', {}, addr), h('td', {colspan: 6, class: 'error-text'}, v.Error)));
      for (const well of v.IndexStats || []) {
        for (const loc of well.Stats || []) {
          const key = loc.ID || addr + '/' + well.Name + (loc.Cold ? '/cold' : '');
          const wh = this.wellHist.get(key);
          const last = wh && wh.rates.length ? wh.rates[wh.rates.length - 1] : null;
          rows.push(h('tr', {dataset: {well: well.Name}},
            h('td', {dataset: {label: 'Indexer'}}, addr),
            h('td', {class: 'cell-host', dataset: {label: 'Well'}}, h('b', {}, well.Name), loc.Cold ? h('span', {class: 'badge wait'}, 'cold') : null),
            h('td', {class: 'num', dataset: {label: 'Entries'}}, num(loc.Entries)),
            h('td', {class: 'num', dataset: {label: 'Data'}}, bytes(loc.Data)),
            h('td', {class: 'num', dataset: {label: 'Ingest rate'}}, h('div', {class: 'metric'}, last === null ? h('span', {class: 'muted small'}, 'measuring…') : h('b', {}, dec(last) + '/s'),
              sparkline(wh ? wh.rates : [], {width: 110, height: 22, label: `${well.Name}: entries/s over the last minutes`}))),
            h('td', {class: 'small muted path', dataset: {label: 'Path'}}, loc.Path),
            h('td', {class: 'small', dataset: {label: 'Accelerator'}}, [loc.Accelerator, loc.Extractor].filter(Boolean).join(' / ') || h('span', {class: 'muted'}, '–'))));
        }
      }
    }
    if (!rows.length) {
      replace(this.el.wells, h('p', {class: 'empty'}, this.idx.size ? 'No wells yet: ingest something.' : 'No idxStats yet.'));
      return;
    }
    replace(this.el.wells, h('table', {class: 'grid-table wells'},
      h('thead', {}, h('tr', {}, ['Indexer', 'Well', 'Entries', 'Data', 'Ingest rate', 'Path', 'Accelerator'].map(c => h('th', {}, c)))),
      h('tbody', {}, rows)));
  }

  renderEvents() {
    if (!this.events.length) {
      replace(this.el.events, h('li', {class: 'muted'}, `No backend has gone dead since the page loaded (a backend is dead when its ping state is not OK or it has not pinged for ${this.deadAfter % 1000 ? (this.deadAfter / 1000).toFixed(1) : this.deadAfter / 1000} s).`));
      return;
    }
    replace(this.el.events, this.events.map(ev => h('li', {class: ev.what === 'dead' ? 'ev-dead' : 'ev-ok'},
      timeEl(new Date(ev.t)), ' ', h('b', {}, ev.addr), ev.what === 'dead' ? ' went dead: ' : ' recovered: ', ev.why)));
  }
}
