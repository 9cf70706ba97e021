// render.js: search results in each renderer's own form (PROTOCOL.md §5): entry lists with
// expandable enumerated values and a hex view, tables with sortable columns, charts, gauges
// and number cards; and the side panels: metadata (§5.10) and module statistics (§5.11).

import {h, num, dec, bytes, compact, duration, b64bytes, decodeText, hexDump, timeEl} from './dom.js';
import {chart, gauge} from './charts.js';

// Names of the enumerated value types (§5.3), by code.
const EV_TYPES = ['', 'bytes', 'bool', 'byte', 'int8', 'int16', 'uint16', 'int32', 'uint32', 'int64', 'uint64',
  'float32', 'float64', 'string', 'MAC', 'IP', 'timestamp', 'duration'];

// entryList renders SearchEntry values. tagNames maps the entry's Tag number to its name;
// view holds the UI state that must survive re-renders: view.open (entry keys expanded) and
// view.hex (entry keys shown as hex).
export function entryList(entries, {tagNames, renderer, view, first}) {
  if (!entries.length) return h('p', {class: 'empty'}, 'No entries in this page.');
  const list = h('ol', {class: 'entries', start: first + 1});
  entries.forEach((e, i) => {
    const key = `${first + i}:${e.TS}`;
    const raw = b64bytes(e.Data);
    const text = decodeText(raw);
    const binary = text === null;
    const asHex = renderer === 'hex' || view.hex.has(key) || (binary && !view.text.has(key));
    const open = view.open.has(key);
    const evs = e.Enumerated || [];
    const toggle = () => {
      if (view.open.has(key)) view.open.delete(key);
      else view.open.add(key);
      view.rerender();
    };
    const preview = binary ? hexDump(raw.slice(0, 32)).split('\n')[0] + (raw.length > 16 ? ' …' : '') : text.length > 400 ? text.slice(0, 400) + ' …' : text;
    const head = h('div', {class: 'entry-head', role: 'button', tabindex: 0, 'aria-expanded': String(open), title: 'show enumerated values and the hex view',
      onclick: toggle, onkeydown: ev => {
        if (ev.key === 'Enter' || ev.key === ' ') {
          ev.preventDefault();
          ev.stopPropagation();
          toggle();
        }
      }},
      h('span', {class: 'caret'}, open ? '▾' : '▸'),
      timeEl(new Date(e.TS), true, 'entry-ts'),
      h('span', {class: 'tag'}, tagNames[e.Tag] ?? `tag ${e.Tag}`),
      e.SRC ? h('span', {class: 'src'}, e.SRC) : null,
      binary ? h('span', {class: 'badge wait'}, 'binary') : null,
      evs.length ? h('span', {class: 'ev-count', title: 'enumerated values'}, `${evs.length} EV`) : null,
      h('span', {class: ['entry-data', open && 'full']}, open ? '' : preview));
    const li = h('li', {class: ['entry', open && 'open'], dataset: {index: first + i}}, head);
    if (open) {
      const tools = h('div', {class: 'entry-tools'},
        h('button', {type: 'button', class: ['seg', !asHex && 'on'], title: binary ? 'the bytes as text (this entry is not valid UTF-8 text)' : 'the entry as text', onclick: () => {
          view.hex.delete(key);
          view.text.add(key);
          view.rerender();
        }}, 'Text'),
        h('button', {type: 'button', class: ['seg', asHex && 'on'], onclick: () => {
          view.hex.add(key);
          view.text.delete(key);
          view.rerender();
        }}, 'Hex'),
        h('span', {class: 'muted small'}, ` ${num(raw.length)} bytes`));
      const body = asHex ? h('pre', {class: 'hex'}, hexDump(raw)) : h('pre', {class: 'entry-text'}, text === null ? new TextDecoder().decode(raw) : text);
      li.append(h('div', {class: 'entry-body'}, tools, body, evs.length ? evTable(evs) : h('p', {class: 'muted small'}, 'No enumerated values.')));
    }
    list.append(li);
  });
  return list;
}

function evTable(evs) {
  return h('table', {class: 'grid-table ev-table'},
    h('thead', {}, h('tr', {}, h('th', {}, 'Enumerated value'), h('th', {}, 'Value'), h('th', {}, 'Type'))),
    h('tbody', {}, evs.map(ev => h('tr', {},
      h('td', {class: 'ev-name'}, ev.Name),
      h('td', {class: 'ev-value'}, ev.ValueStr),
      h('td', {class: 'muted small'}, ev.Value ? EV_TYPES[ev.Value.Type] || `type ${ev.Value.Type}` : '')))));
}

function numeric(v) {
  return v !== '' && v !== null && !Number.isNaN(Number(v));
}

// sortRows sorts table rows in place by column col (numbers numerically, text naturally).
export function sortRows(rows, col, dir) {
  const allNum = rows.every(r => r.Row[col] === '' || numeric(r.Row[col]));
  const coll = new Intl.Collator(undefined, {numeric: true, sensitivity: 'base'});
  rows.sort((a, b) => {
    const x = a.Row[col] ?? '', y = b.Row[col] ?? '';
    const c = allNum ? (Number(x || -Infinity) - Number(y || -Infinity)) : coll.compare(x, y);
    return dir === 'desc' ? -c : c;
  });
}

// table renders a TableValueSet page; view.sort = {col, dir}; onSort(col) toggles.
export function table(set, rows, {view, onSort, first}) {
  const cols = set.Columns || [];
  if (!cols.length) return h('p', {class: 'empty'}, 'The table has no columns.');
  const numCols = cols.map((_, i) => rows.length > 0 && rows.every(r => r.Row[i] === '' || numeric(r.Row[i])));
  return h('div', {class: 'table-wrap'}, h('table', {class: 'grid-table results-table'},
    h('thead', {}, h('tr', {}, h('th', {class: 'rownum'}, '#'), cols.map((c, i) => {
      const sorted = view.sort && view.sort.col === i;
      return h('th', {class: [numCols[i] && 'num', 'sortable', sorted && 'sorted'], 'aria-sort': sorted ? (view.sort.dir === 'asc' ? 'ascending' : 'descending') : 'none'},
        h('button', {type: 'button', class: 'th-btn', title: 'sort by ' + c, onclick: () => onSort(i)}, c, h('span', {class: 'sort-mark'}, sorted ? (view.sort.dir === 'asc' ? ' ▲' : ' ▼') : ' ↕')));
    }))),
    h('tbody', {}, rows.map((r, ri) => h('tr', {}, h('td', {class: 'rownum muted'}, num(first + ri + 1)),
      cols.map((_, i) => h('td', {class: numCols[i] && 'num'}, r.Row[i] ?? '')))))));
}

// chartView renders a ChartableValueSet with its line/bar switch.
export function chartView(set, {view, onKind, onToggle, width}) {
  return h('div', {class: 'chart-view'},
    h('div', {class: 'toolbar'},
      h('span', {class: 'seg-group', role: 'group', 'aria-label': 'chart type'},
        ['line', 'bar'].map(k => h('button', {type: 'button', class: ['seg', view.chartKind === k && 'on'], 'aria-pressed': String(view.chartKind === k), onclick: () => onKind(k)}, k === 'line' ? 'Line' : 'Bar'))),
      h('span', {class: 'muted small'}, `${num((set.Names || []).length)} series · ${num((set.Values || []).length)} points`)),
    chart(set, {kind: view.chartKind, hidden: view.hiddenSeries, onToggle, width}));
}

// gauges renders GaugeValue lists: dials for gauge, big numbers for numbercard.
export function gauges(list, renderer) {
  if (!list.length) return h('p', {class: 'empty'}, 'No values.');
  if (renderer === 'numbercard') {
    return h('div', {class: 'numbercards'}, list.map(g => h('div', {class: 'numbercard', title: String(g.Magnitude)},
      h('div', {class: 'numbercard-value'}, Math.abs(g.Magnitude) >= 1e6 ? compact(g.Magnitude) : dec(g.Magnitude)),
      h('div', {class: 'numbercard-label'}, g.Name))));
  }
  return h('div', {class: 'gauges'}, list.map(g => gauge(g)));
}

// metadataPanel renders SearchMetadata: per enumerated value its numeric range or top values,
// then the sources and tags.
export function metadataPanel(md) {
  const parts = [];
  for (const v of md.ValueStats || []) {
    if (v.Type === 'number') {
      parts.push(h('div', {class: 'md-item', dataset: {name: v.Name}}, h('div', {class: 'md-name'}, v.Name, h('span', {class: 'muted small'}, ' number')),
        h('div', {class: 'md-range'}, h('span', {}, 'min ', h('b', {}, dec(v.Number.Min))), h('span', {}, 'max ', h('b', {}, dec(v.Number.Max))),
          h('span', {class: 'muted'}, `${num(v.Number.Count)} values`))));
    } else {
      const map = Object.entries((v.Raw && v.Raw.Map) || {}).sort((a, b) => b[1] - a[1]);
      const total = map.reduce((s, [, c]) => s + c, 0) + ((v.Raw && v.Raw.Other) || 0);
      parts.push(h('div', {class: 'md-item', dataset: {name: v.Name}}, h('div', {class: 'md-name'}, v.Name, h('span', {class: 'muted small'}, ` ${num(map.length)} distinct${v.Raw && v.Raw.Other ? ' +' : ''}`)),
        topList(map.slice(0, 6), total),
        v.Raw && v.Raw.Other ? h('div', {class: 'muted small'}, `${num(v.Raw.Other)} others (only the first ${map.length} distinct values are counted)`) : null));
    }
  }
  const src = (md.SourceStats || []).slice().sort((a, b) => b.Count - a.Count);
  if (src.length) {
    const total = src.reduce((s, x) => s + x.Count, 0);
    parts.push(h('div', {class: 'md-item'}, h('div', {class: 'md-name'}, 'Sources', h('span', {class: 'muted small'}, ` ${num(src.length)}`)), topList(src.slice(0, 6).map(x => [x.IP || '(none)', x.Count]), total)));
  }
  const tags = Object.entries(md.TagStats || {}).sort((a, b) => b[1] - a[1]);
  if (tags.length) {
    const total = tags.reduce((s, [, c]) => s + c, 0);
    parts.push(h('div', {class: 'md-item'}, h('div', {class: 'md-name'}, 'Tags'), topList(tags, total)));
  }
  if (!parts.length) return h('p', {class: 'empty'}, 'No metadata: the search produced no values.');
  return h('div', {class: 'metadata'}, parts);
}

function topList(pairs, total) {
  return h('ul', {class: 'top-list'}, pairs.map(([name, count]) => {
    const fill = h('span', {class: 'top-fill'});
    fill.style.width = (total ? (count / total) * 100 : 0).toFixed(1) + '%';
    return h('li', {title: `${name}: ${num(count)} (${total ? dec((count / total) * 100) : 0} %)`}, fill, h('span', {class: 'top-name'}, name), h('span', {class: 'top-count'}, compact(count)));
  }));
}

// moduleStats renders the summary set's module statistics (§5.11), one row per module.
export function moduleStats(mods) {
  if (!mods || !mods.length) return h('p', {class: 'empty'}, 'No module statistics yet.');
  const io = (count, size) => [h('div', {}, num(count)), h('div', {class: 'muted small'}, bytes(size))];
  return h('div', {class: 'table-wrap'}, h('table', {class: 'grid-table modstats'},
    h('thead', {}, h('tr', {}, ['Module', 'In', 'Out', 'Time'].map((c, i) => h('th', {class: i && 'num'}, c)))),
    h('tbody', {}, mods.map(m => h('tr', {dataset: {module: m.Name}},
      h('td', {title: m.Args}, h('b', {}, m.Name), h('div', {class: 'muted small mono args'}, m.Args && m.Args !== m.Name ? m.Args.slice(m.Name.length).trim() : '')),
      h('td', {class: 'num'}, io(m.InputCount, m.InputBytes)), h('td', {class: 'num'}, io(m.OutputCount, m.OutputBytes)),
      h('td', {class: 'num'}, duration(m.Duration)))))));
}
