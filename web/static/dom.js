// dom.js: element builders and formatting shared by the dashboard and the search console.
// No innerHTML anywhere: every server string reaches the page as text, never as markup.

const SVG_NS = 'http://www.w3.org/2000/svg';

function build(el, attrs, children) {
  if (attrs) {
    for (const [k, v] of Object.entries(attrs)) {
      if (v === undefined || v === null || v === false) continue;
      if (k === 'class') el.setAttribute('class', Array.isArray(v) ? v.filter(Boolean).join(' ') : v);
      else if (k === 'style') Object.assign(el.style, v);
      else if (k === 'dataset') Object.assign(el.dataset, v);
      else if (k.startsWith('on') && typeof v === 'function') el.addEventListener(k.slice(2), v);
      else if (k === 'text') el.textContent = v;
      else if (v === true) el.setAttribute(k, '');
      else el.setAttribute(k, String(v));
    }
  }
  append(el, children);
  return el;
}

function append(el, children) {
  for (const c of children) {
    if (c === undefined || c === null || c === false) continue;
    if (Array.isArray(c)) append(el, c);
    else el.append(c instanceof Node ? c : document.createTextNode(String(c)));
  }
}

// h builds an HTML element: h('div', {class: 'x', onclick: f}, child, 'text', [more]).
export function h(tag, attrs, ...children) {
  return build(document.createElement(tag), attrs, children);
}

// s builds an SVG element.
export function s(tag, attrs, ...children) {
  return build(document.createElementNS(SVG_NS, tag), attrs, children);
}

// replace swaps el's children for the given ones.
export function replace(el, ...children) {
  el.replaceChildren();
  append(el, children);
  return el;
}

const nf = new Intl.NumberFormat(undefined, {maximumFractionDigits: 0});
const nf1 = new Intl.NumberFormat(undefined, {maximumFractionDigits: 1});
const nf2 = new Intl.NumberFormat(undefined, {maximumFractionDigits: 2});

// num formats a count with grouping: 1234567 → "1,234,567".
export function num(n) {
  return n === undefined || n === null || Number.isNaN(n) ? '–' : nf.format(n);
}

// dec formats a number with up to two decimals, or one when large.
export function dec(n) {
  if (n === undefined || n === null || Number.isNaN(n)) return '–';
  return Math.abs(n) >= 100 ? nf1.format(n) : nf2.format(n);
}

// compact formats a count for narrow places: 1234567 → "1.2M".
export function compact(n) {
  if (n === undefined || n === null) return '–';
  const a = Math.abs(n);
  if (a < 1000) return nf1.format(n);
  for (const [d, u] of [[1e12, 'T'], [1e9, 'G'], [1e6, 'M'], [1e3, 'k']]) {
    if (a >= d) return nf1.format(n / d) + u;
  }
  return String(n);
}

// bytes formats a byte count in binary units: 1536 → "1.5 KiB".
export function bytes(n) {
  if (n === undefined || n === null || Number.isNaN(n)) return '–';
  const units = ['B', 'KiB', 'MiB', 'GiB', 'TiB', 'PiB'];
  let i = 0;
  let v = n;
  while (Math.abs(v) >= 1024 && i < units.length - 1) {
    v /= 1024;
    i++;
  }
  return (i === 0 ? nf.format(v) : nf1.format(v)) + '\u202f' + units[i];
}

// rate formats bytes per second.
export function rate(n) {
  return bytes(n) + '/s';
}

// duration formats nanoseconds (or, with unit 's', seconds) as "1h 2m", "3.2 s", "41 ms".
export function duration(v, unit = 'ns') {
  const ns = unit === 's' ? v * 1e9 : v;
  if (ns < 1e3) return nf.format(ns) + ' ns';
  if (ns < 1e6) return nf1.format(ns / 1e3) + ' µs';
  if (ns < 1e9) return nf1.format(ns / 1e6) + ' ms';
  const sec = ns / 1e9;
  if (sec < 60) return nf1.format(sec) + ' s';
  const d = Math.floor(sec / 86400), hr = Math.floor(sec / 3600) % 24, m = Math.floor(sec / 60) % 60;
  if (d > 0) return `${d}d ${hr}h`;
  if (hr > 0) return `${hr}h ${m}m`;
  return `${m}m ${Math.floor(sec) % 60}s`;
}

// goDuration parses a Go duration string ("77.137567ms", "1m2.5s") into milliseconds.
export function goDuration(str) {
  if (!str) return 0;
  const units = {ns: 1e-6, us: 1e-3, 'µs': 1e-3, ms: 1, s: 1e3, m: 6e4, h: 3.6e6};
  let total = 0;
  for (const m of str.matchAll(/([\d.]+)(ns|us|µs|ms|s|m|h)/g)) total += parseFloat(m[1]) * units[m[2]];
  return total;
}

const pad = (n, w = 2) => String(n).padStart(w, '0');

// localTime formats a Date in the browser's time zone: "2024-05-01 11:00:02".
export function localTime(d, withMs = false) {
  if (!(d instanceof Date) || Number.isNaN(d.getTime())) return '–';
  const base = `${d.getFullYear()}-${pad(d.getMonth() + 1)}-${pad(d.getDate())} ${pad(d.getHours())}:${pad(d.getMinutes())}:${pad(d.getSeconds())}`;
  return withMs ? base + '.' + pad(d.getMilliseconds(), 3) : base;
}

// shortTime formats a Date for axis labels, choosing the precision from the span in ms.
export function shortTime(d, span) {
  if (span > 3 * 86400e3) return `${pad(d.getMonth() + 1)}-${pad(d.getDate())}`;
  if (span > 86400e3) return `${pad(d.getMonth() + 1)}-${pad(d.getDate())} ${pad(d.getHours())}:${pad(d.getMinutes())}`;
  if (span > 120e3) return `${pad(d.getHours())}:${pad(d.getMinutes())}`;
  return `${pad(d.getHours())}:${pad(d.getMinutes())}:${pad(d.getSeconds())}`;
}

// utc formats a Date as RFC 3339 UTC, for hover titles.
export function utc(d) {
  return d instanceof Date && !Number.isNaN(d.getTime()) ? d.toISOString().replace('.000Z', 'Z') + ' (UTC)' : '';
}

// timeEl is a <time> showing d in the browser's zone with the UTC time on hover.
export function timeEl(d, withMs = false, cls) {
  const date = d instanceof Date ? d : new Date(d);
  return h('time', {datetime: Number.isNaN(date.getTime()) ? undefined : date.toISOString(), title: utc(date), class: cls}, localTime(date, withMs));
}

// tzName is the browser's time zone, e.g. "Europe/Berlin (UTC+01:00)".
export function tzName() {
  const off = -new Date().getTimezoneOffset();
  const sign = off >= 0 ? '+' : '-';
  const o = Math.abs(off);
  const zone = Intl.DateTimeFormat().resolvedOptions().timeZone || 'local';
  return `${zone} (UTC${sign}${pad(Math.floor(o / 60))}:${pad(o % 60)})`;
}

// ago formats the time since d: "12 s ago".
export function ago(d, now = Date.now()) {
  const sec = Math.max(0, Math.round((now - d) / 1000));
  if (sec < 60) return `${sec} s ago`;
  if (sec < 3600) return `${Math.floor(sec / 60)} min ago`;
  return `${Math.floor(sec / 3600)} h ago`;
}

// b64bytes decodes standard base64 into a Uint8Array.
export function b64bytes(b64) {
  if (!b64) return new Uint8Array(0);
  const bin = atob(b64);
  const out = new Uint8Array(bin.length);
  for (let i = 0; i < bin.length; i++) out[i] = bin.charCodeAt(i);
  return out;
}

const utf8 = new TextDecoder('utf-8', {fatal: true});

// decodeText returns the bytes as text, or null when they are not printable UTF-8 (binary).
export function decodeText(u8) {
  let text;
  try {
    text = utf8.decode(u8);
  } catch {
    return null;
  }
  // Printable: no control characters but tab, newline and carriage return.
  return /[\u0000-\u0008\u000b\u000c\u000e-\u001f\u007f]/.test(text) ? null : text;
}

// hexDump formats bytes as "offset  hex bytes  |ascii|" lines, 16 bytes per line.
export function hexDump(u8, max = 4096) {
  const lines = [];
  const n = Math.min(u8.length, max);
  for (let off = 0; off < n; off += 16) {
    let hexPart = '';
    let ascii = '';
    for (let i = 0; i < 16; i++) {
      if (off + i < n) {
        const b = u8[off + i];
        hexPart += b.toString(16).padStart(2, '0') + (i === 7 ? '  ' : ' ');
        ascii += b >= 0x20 && b < 0x7f ? String.fromCharCode(b) : '.';
      } else {
        hexPart += i === 7 ? '    ' : '   ';
      }
    }
    lines.push(off.toString(16).padStart(8, '0') + '  ' + hexPart + ' |' + ascii + '|');
  }
  if (u8.length > max) lines.push(`… ${num(u8.length - max)} more bytes not shown`);
  return lines.join('\n');
}

// debounce returns f delayed until ms have passed without another call.
export function debounce(f, ms) {
  let t = 0;
  return (...args) => {
    clearTimeout(t);
    t = setTimeout(() => f(...args), ms);
  };
}

// sleep resolves after ms.
export const sleep = ms => new Promise(r => setTimeout(r, ms));
