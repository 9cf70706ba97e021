// app.js: the console's entry point: views (search, live searches, dashboard) chosen by the
// URL fragment, the token box, and the two sockets. The query string holds the search
// (?q=QUERY&range=1h or &start=ISO&end=ISO), so a search can be shared and reloaded.

import {token, setToken, behindLogin} from './socket.js';
import {Dashboard} from './dashboard.js';
import {SearchConsole} from './search.js';

const $ = sel => document.querySelector(sel);
const deadAfter = Number(document.querySelector('meta[name="sluice-dead-after-ms"]').content) || 30000;

const dashboard = new Dashboard($('#view-dashboard'), {deadAfter, banners: $('#banners'), pill: $('#pill-stats')});
const search = new SearchConsole($('#view-search'), {pill: $('#pill-search'), listRoot: $('#view-searches')});
search.onAttached = () => {
  location.hash = '#search';
};

const VIEWS = ['search', 'searches', 'dashboard'];
let listTimer = 0;

function showView() {
  const v = VIEWS.includes(location.hash.slice(1)) ? location.hash.slice(1) : 'search';
  for (const name of VIEWS) {
    $('#view-' + name).hidden = name !== v;
    const tab = $('#tab-' + name);
    tab.setAttribute('aria-selected', String(name === v));
    tab.classList.toggle('active', name === v);
  }
  clearInterval(listTimer);
  if (v === 'searches') {
    search.refreshList();
    listTimer = setInterval(() => search.refreshList(), 5000);
  }
  document.title = {search: 'sluice · search', searches: 'sluice · live searches', dashboard: 'sluice · dashboard'}[v];
}
window.addEventListener('hashchange', showView);

// The token box: stored in localStorage, offered as the websocket protocol value.
const box = $('#token-box');
$('#token-btn').addEventListener('click', () => {
  box.hidden = !box.hidden;
  if (!box.hidden) {
    $('#token-input').value = token();
    $('#token-input').focus();
  }
});
$('#token-form').addEventListener('submit', ev => {
  ev.preventDefault();
  setToken($('#token-input').value.trim());
  box.hidden = true;
  tokenLabel();
  dashboard.sock.reconnect();
  search.sock.reconnect();
  search.loadTags();
});
$('#token-clear').addEventListener('click', () => {
  setToken('');
  $('#token-input').value = '';
  tokenLabel();
  dashboard.sock.reconnect();
  search.sock.reconnect();
});
// Log out: behind the login page, end the session (POST /logout clears the cookie) and go back
// to the login page.
const logout = $('#logout-btn');
logout.hidden = !behindLogin();
logout.addEventListener('click', async () => {
  logout.disabled = true;
  try {
    await fetch('/logout', {method: 'POST'});
  } finally {
    location.assign('/login');
  }
});
function tokenLabel() {
  $('#token-btn').textContent = token() ? 'Token ✓' : 'Token';
}
tokenLabel();

search.fromURL(new URLSearchParams(location.search));
showView();
dashboard.start();
search.start();

// For the browser tests and the curious: the two controllers.
window.sluice = {dashboard, search};
