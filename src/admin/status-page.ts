/**
 * The status page (GET / and /status): a fixed HTML shell with no data in
 * it, and a small inline script that polls /status.json every two seconds
 * and fills the tables. With admin.token the script sends the token as a
 * bearer header on that fetch: it asks for it once in a form, or takes it
 * from the URL fragment (#token=...), which browsers never send to a server;
 * it keeps it in sessionStorage (this tab only). docs/operations.md says why.
 *
 * Everything from the broker reaches the page through textContent, never as
 * HTML, and the Content-Security-Policy allows only this script and style
 * (by hash) and fetches to this origin.
 */
import { createHash } from 'node:crypto'

/** How often the page asks for /status.json. */
export const REFRESH_MS = 2000

const STYLE = `
body { font: 14px/1.4 system-ui, sans-serif; margin: 1.5em; color: #222; }
h1 { font-size: 1.3em; margin: 0 0 .2em; }
h2 { font-size: 1.05em; margin: 1.4em 0 .4em; }
table { border-collapse: collapse; width: 100%; }
th, td { text-align: left; padding: .25em .6em; border-bottom: 1px solid #ddd; vertical-align: top; }
th { background: #f4f4f4; font-weight: 600; }
td.empty { color: #777; font-style: italic; }
#problem { color: #a00; }
#login[hidden], #problem:empty { display: none; }
.muted { color: #666; }
`

const SCRIPT = `
'use strict';
const KEY = 'tdbroker-admin-token';
let token = sessionStorage.getItem(KEY);
const fragment = /^#token=(.+)$/.exec(location.hash);
if (fragment) {
  token = decodeURIComponent(fragment[1]);
  sessionStorage.setItem(KEY, token);
  history.replaceState(null, '', location.pathname + location.search);
}
const $ = id => document.getElementById(id);
let timer;

function cell (row, text) {
  const td = document.createElement('td');
  td.textContent = text === null || text === undefined || text === '' ? '-' : String(text);
  row.appendChild(td);
  return td;
}
function fill (id, items, columns) {
  const body = $(id);
  const rows = items.map(item => {
    const tr = document.createElement('tr');
    for (const column of columns) cell(tr, column(item));
    return tr;
  });
  if (rows.length === 0) {
    const tr = document.createElement('tr');
    const td = cell(tr, 'none');
    td.colSpan = columns.length;
    td.className = 'empty';
    rows.push(tr);
  }
  body.replaceChildren(...rows);
  return rows;
}
function duration (seconds) {
  const s = Math.abs(seconds), sign = seconds < 0 ? '-' : '';
  if (s >= 86400) return sign + Math.floor(s / 86400) + ' d ' + Math.floor(s % 86400 / 3600) + ' h';
  if (s >= 3600) return sign + Math.floor(s / 3600) + ' h ' + Math.floor(s % 3600 / 60) + ' min';
  if (s >= 60) return sign + Math.floor(s / 60) + ' min ' + (s % 60) + ' s';
  return sign + s + ' s';
}
function account (a) {
  if (a === null) return null;
  return (a.is_bot ? 'bot ' : 'user ') + a.user_id + (a.phone ? ' (' + a.phone + ')' : '');
}
function scope (s) {
  if (s === null) return 'not in the clients list';
  return Object.entries(s).map(([k, v]) => k + ': ' + v).join('; ');
}

function render (d) {
  $('summary').textContent = 'tdbroker ' + d.version + ', ' + d.broker + ', up ' + duration(d.uptime_seconds) +
    (d.clients_required ? '' : ', no clients list (every connection is "anonymous")');
  $('updated').textContent = 'updated ' + new Date(d.generated_at).toLocaleTimeString();
  const sessionRows = fill('sessions', d.sessions, [
    s => s.session, s => s.state, s => s.authorization_state, s => account(s.account), s => s.creator,
    s => s.connections.map(c => c.client + ' #' + c.id).join(', '),
    s => s.flood_waits.map(w => w.type + ' ' + duration(w.seconds_left)).join(', ')
  ]);
  d.sessions.forEach((s, i) => { sessionRows[i].dataset.session = s.session; });
  const clientRows = fill('clients', d.clients, [
    c => c.name, c => c.connections, c => c.requests.per_second, c => c.requests.last_minute, c => c.requests.total, c => scope(c.scope)
  ]);
  d.clients.forEach((c, i) => { clientRows[i].dataset.client = c.name; });
  fill('connections', d.connections, [
    c => c.id, c => c.client, c => c.auth, c => c.transport, c => c.remote, c => c.sessions.join(', ')
  ]);
  $('certificate').textContent = d.certificate === null
    ? 'no tls section'
    : d.certificate.subject + ', expires ' + d.certificate.not_after + ' (' +
      (d.certificate.seconds_left < 0 ? 'expired ' + duration(-d.certificate.seconds_left) + ' ago' : 'in ' + duration(d.certificate.seconds_left)) + ')';
  $('mysql').textContent = d.mysql === null
    ? 'not configured'
    : d.mysql.state + ', ' + d.mysql.queued + ' writes queued, ' + d.mysql.backups_pending + ' backups pending';
  $('cluster').textContent = d.cluster === null ? 'not configured' : JSON.stringify(d.cluster);
}

async function poll () {
  clearTimeout(timer);
  const abort = new AbortController();
  const limit = setTimeout(() => abort.abort(), 5000);
  try {
    const res = await fetch('status.json', { cache: 'no-store', signal: abort.signal, headers: token ? { authorization: 'Bearer ' + token } : {} });
    if (res.status === 401) {
      $('login').hidden = false;
      $('problem').textContent = token ? 'the token was refused' : 'this admin listener needs its token (admin.token)';
      return;
    }
    if (!res.ok) throw new Error('/status.json answered ' + res.status);
    $('login').hidden = true;
    render(await res.json());
    $('problem').textContent = '';
  } catch (e) {
    $('problem').textContent = 'no answer from the broker: ' + e.message;
  } finally {
    clearTimeout(limit);
    if ($('login').hidden) timer = setTimeout(poll, ${REFRESH_MS});
  }
}

$('login').addEventListener('submit', event => {
  event.preventDefault();
  token = $('token').value;
  sessionStorage.setItem(KEY, token);
  $('token').value = '';
  poll();
});
poll();
`

const hash = (s: string): string => `'sha256-${createHash('sha256').update(s).digest('base64')}'`

/** The page's Content-Security-Policy: nothing but its own script and style, and fetches to this origin. */
export const STATUS_PAGE_CSP = [
  "default-src 'none'", `script-src ${hash(SCRIPT)}`, `style-src ${hash(STYLE)}`, "connect-src 'self'",
  "img-src 'none'", "base-uri 'none'", "form-action 'none'", "frame-ancestors 'none'"
].join('; ')

const table = (id: string, headings: string[]): string =>
  `<table><thead><tr>${headings.map(h => `<th>${h}</th>`).join('')}</tr></thead><tbody id="${id}"><tr><td class="empty" colspan="${headings.length}">loading</td></tr></tbody></table>`

/** The page: fixed text only; the data comes from /status.json. */
export const STATUS_PAGE = `<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<meta name="referrer" content="no-referrer">
<title>tdbroker status</title>
<style>${STYLE}</style>
</head>
<body>
<h1>tdbroker status</h1>
<div><span id="summary" class="muted">loading</span> · <span id="updated" class="muted"></span></div>
<p id="problem"></p>
<form id="login" hidden>
<label>Admin token <input id="token" type="password" autocomplete="off" required></label>
<button type="submit">Show status</button>
<span class="muted">kept in this tab only (sessionStorage)</span>
</form>
<h2>Sessions</h2>
${table('sessions', ['session', 'state', 'authorization', 'account', 'created by', 'attached', 'flood waits'])}
<h2>Clients</h2>
${table('clients', ['client', 'connections', 'requests/s (1 min)', 'last minute', 'total', 'scope'])}
<h2>Connections</h2>
${table('connections', ['id', 'client', 'auth', 'transport', 'remote', 'sessions'])}
<h2>Certificate</h2>
<p id="certificate" class="muted">loading</p>
<h2>MySQL</h2>
<p id="mysql" class="muted">loading</p>
<h2>Cluster</h2>
<p id="cluster" class="muted">loading</p>
<script>${SCRIPT}</script>
</body>
</html>
`
