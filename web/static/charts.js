// charts.js: hand-drawn SVG charts: sparklines, the overview histogram with a drag-to-zoom
// brush, line and bar charts, gauges. Colours come from CSS classes, so both themes apply.

import {s, h, compact, dec, shortTime, localTime, utc} from './dom.js';

// sparkline draws values (oldest first) as a small area chart.
export function sparkline(values, {width = 120, height = 28, label = ''} = {}) {
  const svg = s('svg', {class: 'spark', viewBox: `0 0 ${width} ${height}`, width, height, role: 'img', 'aria-label': label});
  const vals = values.filter(v => v !== null && v !== undefined && !Number.isNaN(v));
  if (vals.length < 2) {
    svg.append(s('line', {x1: 0, x2: width, y1: height - 1, y2: height - 1, class: 'spark-base'}));
    return svg;
  }
  const max = Math.max(...vals, 1e-9);
  const stepX = width / (values.length - 1);
  let d = '';
  values.forEach((v, i) => {
    const y = height - 1 - ((v || 0) / max) * (height - 3);
    d += (i ? 'L' : 'M') + (i * stepX).toFixed(1) + ' ' + y.toFixed(1);
  });
  svg.append(s('path', {d: d + `L${width} ${height}L0 ${height}Z`, class: 'spark-area'}));
  svg.append(s('path', {d, class: 'spark-line'}));
  svg.append(s('title', {}, label));
  return svg;
}

// niceTicks returns about n round tick values covering [0, max].
function niceTicks(max, n = 4) {
  if (!(max > 0)) return [0];
  const raw = max / n;
  const mag = 10 ** Math.floor(Math.log10(raw));
  const step = [1, 2, 2.5, 5, 10].map(m => m * mag).find(st => st >= raw);
  const out = [];
  for (let v = 0; v <= max + step * 0.001; v += step) out.push(v);
  if (out[out.length - 1] < max) out.push(out[out.length - 1] + step);
  return out;
}

function niceRange(min, max, n = 4) {
  if (min >= 0) return niceTicks(max, n);
  const span = max - min || 1;
  const raw = span / n;
  const mag = 10 ** Math.floor(Math.log10(raw));
  const step = [1, 2, 2.5, 5, 10].map(m => m * mag).find(st => st >= raw);
  const out = [];
  for (let v = Math.floor(min / step) * step; v <= max + step; v += step) {
    out.push(v);
    if (v >= max) break;
  }
  return out;
}

// timeTicks returns about n Dates spread over [t0, t1].
function timeTicks(t0, t1, n) {
  const span = t1 - t0;
  const steps = [1e3, 5e3, 15e3, 30e3, 60e3, 300e3, 900e3, 1800e3, 3600e3, 3 * 3600e3, 6 * 3600e3, 12 * 3600e3, 86400e3, 7 * 86400e3, 30 * 86400e3];
  const step = steps.find(st => span / st <= n) || steps[steps.length - 1];
  const tzOff = new Date(t0).getTimezoneOffset() * 60e3;
  const out = [];
  // Align to the step in local time, so that ticks fall on round local hours and days.
  let t = Math.ceil((t0 - tzOff) / step) * step + tzOff;
  for (; t <= t1; t += step) out.push(new Date(t));
  return out;
}

// histogram draws counts per time bucket, [{t0, t1, count}], over [start, end). Dragging
// across it selects a window and calls onZoom(startMs, endMs); highlight [a, b] shades the
// current zoom window.
export function histogram(buckets, {start, end, width = 1000, height = 120, onZoom, highlight, label = 'entries'}) {
  width = Math.max(280, Math.round(width));
  const padL = 46, padR = 8, padT = 8, padB = 22;
  const innerW = width - padL - padR, innerH = height - padT - padB;
  const max = Math.max(1, ...buckets.map(b => b.count));
  const ticks = niceTicks(max, 3);
  const top = ticks[ticks.length - 1];
  const x = t => padL + ((t - start) / (end - start)) * innerW;
  const y = v => padT + innerH - (v / top) * innerH;
  const svg = s('svg', {class: 'histogram', viewBox: `0 0 ${width} ${height}`, role: 'img', 'aria-label': `histogram of ${label} over time`});
  for (const tv of ticks) {
    svg.append(s('line', {x1: padL, x2: width - padR, y1: y(tv), y2: y(tv), class: 'grid'}));
    svg.append(s('text', {x: padL - 6, y: y(tv) + 4, class: 'axis', 'text-anchor': 'end'}, compact(tv)));
  }
  const span = end - start;
  for (const tk of timeTicks(start, end, Math.max(3, Math.floor(width / 120)))) {
    svg.append(s('text', {x: x(tk.getTime()), y: height - 6, class: 'axis', 'text-anchor': 'middle'}, shortTime(tk, span)));
  }
  if (highlight) {
    const a = Math.max(start, highlight[0]), b = Math.min(end, highlight[1]);
    if (b > a) svg.append(s('rect', {x: x(a), y: padT, width: Math.max(1, x(b) - x(a)), height: innerH, class: 'zoom-window'}));
  }
  for (const b of buckets) {
    if (!b.count || b.t1 <= start || b.t0 >= end) continue;
    const x0 = x(Math.max(b.t0, start)), x1 = x(Math.min(b.t1, end)); // buckets may overhang the range
    const bar = s('rect', {x: x0 + 0.5, y: y(b.count), width: Math.max(1, x1 - x0 - 1), height: innerH + padT - y(b.count), class: 'hbar'});
    bar.append(s('title', {}, `${localTime(new Date(b.t0))} – ${localTime(new Date(b.t1))}\n${compact(b.count)} ${label}\n${utc(new Date(b.t0))}`));
    svg.append(bar);
  }
  svg.append(s('line', {x1: padL, x2: width - padR, y1: padT + innerH, y2: padT + innerH, class: 'axis-line'}));
  if (!onZoom) return svg;

  // The brush: drag to select, release to zoom. Coordinates go through the SVG's own
  // transform, so the stretched viewBox does not matter.
  const brush = s('rect', {class: 'brush', y: padT, height: innerH, width: 0, x: 0, visibility: 'hidden'});
  svg.append(brush);
  const toT = ev => {
    const pt = svg.createSVGPoint();
    pt.x = ev.clientX;
    pt.y = ev.clientY;
    const p = pt.matrixTransform(svg.getScreenCTM().inverse());
    return start + Math.min(1, Math.max(0, (p.x - padL) / innerW)) * (end - start);
  };
  let from = null;
  svg.addEventListener('pointerdown', ev => {
    if (ev.button !== 0) return;
    from = toT(ev);
    svg.setPointerCapture(ev.pointerId);
    brush.setAttribute('visibility', 'visible');
    brush.setAttribute('x', x(from));
    brush.setAttribute('width', 0);
    ev.preventDefault();
  });
  svg.addEventListener('pointermove', ev => {
    if (from === null) return;
    const t = toT(ev);
    brush.setAttribute('x', x(Math.min(from, t)));
    brush.setAttribute('width', Math.abs(x(t) - x(from)));
  });
  const finish = ev => {
    if (from === null) return;
    const t = toT(ev);
    const a = Math.min(from, t), b = Math.max(from, t);
    from = null;
    brush.setAttribute('visibility', 'hidden');
    // A click (or a sliver under 0.5 % of the range) is not a zoom.
    if (b - a > (end - start) * 0.005) onZoom(a, b);
  };
  svg.addEventListener('pointerup', finish);
  svg.addEventListener('pointercancel', () => {
    from = null;
    brush.setAttribute('visibility', 'hidden');
  });
  return svg;
}

// seriesClass names the CSS colour class of series i (10 colours, then repeated).
export const seriesClass = i => 's' + (i % 10);

// chart draws a ChartableValueSet (PROTOCOL.md §5.6) as a line or bar chart with a legend.
// Series can be hidden by clicking their legend entry.
export function chart(set, {kind = 'line', hidden = new Set(), onToggle, width = 1000} = {}) {
  const names = set.Names || [];
  const values = (set.Values || []).map(v => ({t: new Date(v.TS).getTime(), data: v.Data || []}));
  const wrap = h('div', {class: 'chart'});
  if (!names.length || !values.length) {
    wrap.append(h('p', {class: 'empty'}, 'The chart has no points.'));
    return wrap;
  }
  width = Math.max(280, Math.round(width));
  const height = width < 600 ? 240 : 320, padL = 56, padR = 12, padT = 12, padB = 28;
  const innerW = width - padL - padR, innerH = height - padT - padB;
  const visible = names.map((_, i) => !hidden.has(names[i]));
  let min = 0, max = 0;
  for (const v of values) {
    v.data.forEach((d, i) => {
      if (d === null || !visible[i]) return;
      min = Math.min(min, d);
      max = Math.max(max, d);
    });
  }
  const ticks = niceRange(min, max || 1, 4);
  const lo = ticks[0], hi = ticks[ticks.length - 1];
  const y = v => padT + innerH - ((v - lo) / (hi - lo || 1)) * innerH;
  const svg = s('svg', {viewBox: `0 0 ${width} ${height}`, class: 'chart-svg', role: 'img', 'aria-label': `${kind} chart of ${names.length} series`});
  for (const tv of ticks) {
    svg.append(s('line', {x1: padL, x2: width - padR, y1: y(tv), y2: y(tv), class: tv === 0 ? 'axis-line' : 'grid'}));
    svg.append(s('text', {x: padL - 6, y: y(tv) + 4, class: 'axis', 'text-anchor': 'end'}, compact(tv)));
  }
  const temporal = values.length > 1;
  if (kind === 'bar' || !temporal) {
    // Grouped bars: one group per slice, one bar per visible series.
    const shown = names.map((n, i) => i).filter(i => visible[i]);
    const groupW = innerW / values.length;
    const barW = Math.max(1, (groupW * 0.8) / Math.max(1, shown.length));
    values.forEach((v, gi) => {
      shown.forEach((si, k) => {
        const d = v.data[si];
        if (d === null || d === undefined) return;
        const bx = padL + gi * groupW + groupW * 0.1 + k * barW;
        const r = s('rect', {x: bx, width: Math.max(0.5, barW - (barW > 3 ? 1 : 0)), y: Math.min(y(d), y(0)), height: Math.abs(y(d) - y(0)), class: 'series-fill ' + seriesClass(si)});
        r.append(s('title', {}, `${names[si]}: ${dec(d)}\n${temporal ? localTime(new Date(v.t)) : ''}`));
        svg.append(r);
      });
    });
    if (!temporal) {
      shown.forEach((si, k) => {
        const bx = padL + groupW * 0.1 + k * barW + barW / 2;
        if (shown.length <= 24) svg.append(s('text', {x: bx, y: height - 8, class: 'axis', 'text-anchor': 'middle'}, names[si].slice(0, 14)));
      });
    }
  } else {
    const t0 = values[0].t, t1 = values[values.length - 1].t;
    const x = t => padL + ((t - t0) / (t1 - t0 || 1)) * innerW;
    names.forEach((name, si) => {
      if (!visible[si]) return;
      let d = '';
      let pen = false;
      for (const v of values) {
        const val = v.data[si];
        if (val === null || val === undefined) {
          pen = false; // a missing point breaks the line (§5.6)
          continue;
        }
        d += (pen ? 'L' : 'M') + x(v.t).toFixed(1) + ' ' + y(val).toFixed(1);
        pen = true;
      }
      const p = s('path', {d, class: 'series-line ' + seriesClass(si)});
      p.append(s('title', {}, name));
      svg.append(p);
    });
    for (const tk of timeTicks(t0, t1, Math.max(3, Math.floor(width / 120)))) {
      svg.append(s('text', {x: x(tk.getTime()), y: height - 8, class: 'axis', 'text-anchor': 'middle'}, shortTime(tk, t1 - t0)));
    }
    // Hover: a vertical rule and the values of the nearest slice.
    const rule = s('line', {y1: padT, y2: padT + innerH, class: 'hover-rule', visibility: 'hidden'});
    svg.append(rule);
    const tip = h('div', {class: 'chart-tip', hidden: true});
    wrap.append(tip);
    svg.addEventListener('pointermove', ev => {
      const pt = svg.createSVGPoint();
      pt.x = ev.clientX;
      pt.y = ev.clientY;
      const p = pt.matrixTransform(svg.getScreenCTM().inverse());
      const t = t0 + ((p.x - padL) / innerW) * (t1 - t0);
      let best = 0;
      for (let i = 1; i < values.length; i++) if (Math.abs(values[i].t - t) < Math.abs(values[best].t - t)) best = i;
      const v = values[best];
      rule.setAttribute('x1', x(v.t));
      rule.setAttribute('x2', x(v.t));
      rule.setAttribute('visibility', 'visible');
      const rows = names.map((n, i) => [n, v.data[i], i]).filter(r => visible[r[2]] && r[1] !== null && r[1] !== undefined)
        .sort((a, b) => b[1] - a[1]).slice(0, 8);
      tip.replaceChildren(h('div', {class: 'tip-time', title: utc(new Date(v.t))}, localTime(new Date(v.t))),
        ...rows.map(r => h('div', {}, h('span', {class: 'swatch ' + seriesClass(r[2])}), ` ${r[0]}: `, h('b', {}, dec(r[1])))));
      tip.hidden = false;
      const box = wrap.getBoundingClientRect();
      const left = ev.clientX - box.left;
      tip.style.left = Math.min(left + 12, box.width - 200) + 'px';
      tip.style.top = '8px';
    });
    svg.addEventListener('pointerleave', () => {
      rule.setAttribute('visibility', 'hidden');
      tip.hidden = true;
    });
  }
  wrap.prepend(svg);
  const legend = h('div', {class: 'legend'});
  names.forEach((name, i) => {
    legend.append(h('button', {class: ['legend-item', hidden.has(name) && 'off'], type: 'button', title: 'show or hide this series', onclick: () => onToggle && onToggle(name)},
      h('span', {class: 'swatch ' + seriesClass(i)}), name));
  });
  wrap.append(legend);
  return wrap;
}

// gauge draws one GaugeValue as a half-circle dial; without Min/Max bounds the dial spans
// zero to a round number above the value.
export function gauge(g) {
  const lo = g.Min, hi = g.Max > g.Min ? g.Max : niceTicks(Math.max(Math.abs(g.Magnitude), 1), 4).slice(-1)[0];
  const frac = Math.min(1, Math.max(0, (g.Magnitude - lo) / (hi - lo || 1)));
  const r = 80, cx = 100, cy = 96;
  const pt = f => [cx - r * Math.cos(Math.PI * f), cy - r * Math.sin(Math.PI * f)];
  const [ex, ey] = pt(frac);
  const arc = (f0, f1) => {
    const [x0, y0] = pt(f0), [x1, y1] = pt(f1);
    return `M${x0.toFixed(2)} ${y0.toFixed(2)} A${r} ${r} 0 0 1 ${x1.toFixed(2)} ${y1.toFixed(2)}`;
  };
  const svg = s('svg', {viewBox: '0 0 200 118', class: 'gauge-svg', role: 'img', 'aria-label': `${g.Name} ${dec(g.Magnitude)}`},
    s('path', {d: arc(0, 1), class: 'gauge-track'}),
    frac > 0 ? s('path', {d: arc(0, frac), class: 'gauge-value'}) : null,
    s('circle', {cx: ex, cy: ey, r: 5, class: 'gauge-knob'}),
    s('text', {x: cx, y: cy - 12, class: 'gauge-number', 'text-anchor': 'middle'}, compact(g.Magnitude)),
    s('text', {x: cx - r, y: cy + 18, class: 'axis', 'text-anchor': 'middle'}, compact(lo)),
    s('text', {x: cx + r, y: cy + 18, class: 'axis', 'text-anchor': 'middle'}, compact(hi)));
  return h('figure', {class: 'gauge'}, svg, h('figcaption', {title: String(g.Magnitude)}, g.Name,
    g.Max > g.Min ? null : h('span', {class: 'muted', title: 'the query set no bounds; the dial spans zero to a round number above the value'}, ' (no bounds)')));
}
