// SPDX-License-Identifier: GPL-2.0-only
// quell web view (docs/web.md): plain JavaScript, no framework, nothing from elsewhere.
// The credential travels in the URL fragment (#token=... for the admin view,
// #c=... for a customer link), which the browser never sends to a server or
// a Referer; the script sends it as "Authorization: Bearer" to /api/.
'use strict';

// the fragment as key=value pairs; not URLSearchParams, which reads '+' as a
// blank and would break a base64 token pasted as is
function fragment(h) {
	const m = new Map();
	for (const kv of h.split('&')) {
		const i = kv.indexOf('=');
		if (kv && i > 0) {
			try { m.set(kv.slice(0, i), decodeURIComponent(kv.slice(i + 1))); }
			catch (e) { m.set(kv.slice(0, i), kv.slice(i + 1)); }
		}
	}
	return m;
}
const P = fragment(location.hash.slice(1));
const CRED = P.get('token') || P.get('c') || '';
const app = document.getElementById('app');
const REFRESH_S = P.has('refresh') ? Number(P.get('refresh')) : 2;

function el(tag, attrs, text) {
	const e = document.createElement(tag);
	for (const k in attrs || {})
		e.setAttribute(k, attrs[k]);
	if (text !== undefined)
		e.textContent = text;
	return e;
}

class ApiError extends Error {
	constructor(status, msg) { super(msg); this.status = status; }
}

async function api(cmd, args) {
	const q = new URLSearchParams(args || {}).toString();
	const r = await fetch('/api/' + cmd + (q ? '?' + q : ''),
			      { headers: { Authorization: 'Bearer ' + CRED }, cache: 'no-store' });
	let j = null;
	try { j = await r.json(); } catch (e) { /* not JSON: the status says it */ }
	if (!r.ok || !j || !j.ok)
		throw new ApiError(r.status, (j && j.error) || ('HTTP ' + r.status));
	return j;
}

// a graph PNG, fetched with the credential and shown through a blob: URL
async function graphImg(img, tenant, metric, range) {
	const q = new URLSearchParams({ tenant, metric, range }).toString();
	const r = await fetch('/api/graph?' + q, { headers: { Authorization: 'Bearer ' + CRED } });
	if (!r.ok) {
		let msg = 'HTTP ' + r.status;
		try { msg = (await r.json()).error; } catch (e) { /* keep the status */ }
		img.replaceWith(el('p', { class: 'muted' }, metric + ': ' + msg));
		return;
	}
	if (img.src)
		URL.revokeObjectURL(img.src);
	img.src = URL.createObjectURL(await r.blob());
}

// --- units, in words people use -------------------------------------------

function num(v, d) { return v === null || v === undefined || Number.isNaN(v) ? null : Number(v).toFixed(d); }
function bytes(v) {
	if (v === null || v === undefined)
		return '-';
	const u = ['B', 'KiB', 'MiB', 'GiB', 'TiB'];
	let i = 0;
	while (v >= 1024 && i < u.length - 1) { v /= 1024; i++; }
	return (i ? v.toFixed(1) : String(Math.round(v))) + ' ' + u[i];
}
function cores(pct) { return pct === null || pct === undefined ? '-' : (pct / 100).toFixed(pct < 100 ? 2 : 1); }
function when(t) {
	const d = new Date(t * 1000);
	return d.toLocaleDateString(undefined, { day: 'numeric', month: 'short' }) + ' ' +
		d.toLocaleTimeString(undefined, { hour: '2-digit', minute: '2-digit' });
}
function duration(s) {
	if (s < 90)
		return Math.round(s) + ' seconds';
	if (s < 5400)
		return Math.round(s / 60) + ' minutes';
	if (s < 172800)
		return (s / 3600).toFixed(1) + ' hours';
	return Math.round(s / 86400) + ' days';
}
function say(msg, cls) {
	app.replaceChildren(el('p', { class: cls || 'muted', id: cls === 'err' ? 'error' : 'msg' }, msg));
}

// --- the admin view: tenant table ------------------------------------------

// rows of the "table" command: {name, state, cpu_pct, inflicted_ms_s, suffered_ms_s, mem_bytes, io_bps, nproc}
const COLS = [
	{ key: 'name', label: 'tenant', get: (t) => t.name, fmt: (v) => v },
	{ key: 'state', label: 'state', get: (t) => t.state, fmt: (v) => v },
	{ key: 'cpu', label: 'CPU cores', get: (t) => t.cpu_pct, fmt: (v) => cores(v) },
	{ key: 'inflicted', label: 'inflicted ms/s', get: (t) => t.inflicted_ms_s, fmt: (v) => num(v, 1) ?? '-' },
	{ key: 'suffered', label: 'suffered ms/s', get: (t) => t.suffered_ms_s, fmt: (v) => num(v, 1) ?? '-' },
	{ key: 'mem', label: 'memory', get: (t) => t.mem_bytes, fmt: (v) => bytes(v) },
	{ key: 'io', label: 'disk IO/s', get: (t) => t.io_bps, fmt: (v) => bytes(v) },
	{ key: 'nproc', label: 'procs', get: (t) => t.nproc, fmt: (v) => v ?? '-' },
];
const STATE_RANK = { killed: 3, frozen: 2, throttled: 1, ok: 0 };
let sortKey = P.get('sort') || 'cpu', sortAsc = false, lastSnap = null;
const rowOf = new Map();	// tenant name -> its <tr>, kept across refreshes
let rowTemplate = null;

function sortRows(rows) {
	const c = COLS.find((x) => x.key === sortKey) || COLS[2];
	const val = (t) => {
		const v = c.get(t);
		if (c.key === 'state')
			return STATE_RANK[v] ?? -1;
		return v === null || v === undefined ? -Infinity : v;
	};
	rows.sort((a, b) => {
		const x = val(a), y = val(b);
		// plain code-point order: localeCompare is ~10x slower over 10,000 comparisons
		let r = typeof x === 'string' ? (x < y ? -1 : x > y ? 1 : 0) : x - y;
		if (r === 0)
			r = a.name < b.name ? -1 : a.name > b.name ? 1 : 0;
		return sortAsc ? r : -r;
	});
	return rows;
}

// A refresh touches only the cells whose text changed and moves rows only
// when the order changed: re-creating 1,000 rows (8,000 cells) each second
// blocked the page for 290 ms at load average 23 (t_web_big). Rows are grid
// divs, not <tr>, so that off-screen ones can skip layout (content-visibility,
// index.html): a re-sort of a 1,000-row <table> took 500-870 ms, mostly layout.
function renderTable(snap) {
	const t0 = performance.now();
	const table = document.getElementById('tenants');
	const body = table.querySelector('.body');
	const rows = sortRows(snap.tenants.slice());
	const seen = new Set();
	if (!rowTemplate) {
		rowTemplate = el('div', { class: 'row', role: 'row' });
		for (const c of COLS)
			rowTemplate.appendChild(el('span', { class: c.key, role: 'cell' }));
		rowTemplate.firstChild.appendChild(document.createElement('a'));
	}
	let order = true, prev = null;
	for (const t of rows) {
		let tr = rowOf.get(t.name);
		seen.add(t.name);
		if (!tr) {
			tr = rowTemplate.cloneNode(true);
			tr.dataset.name = t.name;
			tr._v = [];
			const a = tr.firstChild.firstChild;
			a.href = '#' + linkTo({ view: 'tenant', name: t.name });
			rowOf.set(t.name, tr);
			order = false;
		}
		if (tr.className !== 'row ' + t.state)
			tr.className = 'row ' + t.state;
		for (let i = 0; i < COLS.length; i++) {
			const v = String(COLS[i].fmt(COLS[i].get(t)));
			if (tr._v[i] !== v) {
				tr._v[i] = v;
				(i ? tr.children[i] : tr.firstChild.firstChild).textContent = v;
			}
		}
		if (order && (prev ? prev.nextSibling : body.firstChild) !== tr)
			order = false;
		prev = tr;
	}
	for (const [name, tr] of rowOf) {
		if (!seen.has(name)) {
			tr.remove();
			rowOf.delete(name);
		}
	}
	if (!order) {
		const f = document.createDocumentFragment();
		for (const t of rows)
			f.appendChild(rowOf.get(t.name));
		body.appendChild(f);
	}
	for (const th of table.querySelector('.head').children) {
		th.classList.toggle('sorted', th.dataset.key === sortKey);
		th.classList.toggle('asc', th.dataset.key === sortKey && sortAsc);
	}
	table.dataset.rows = rows.length;
	table.dataset.renderMs = (performance.now() - t0).toFixed(1);
	if (!table.dataset.firstRowsMs)
		table.dataset.firstRowsMs = performance.now().toFixed(1);	// since navigation start
}

function linkTo(o) {
	const q = [(P.has('token') ? 'token' : 'c') + '=' + encodeURIComponent(CRED)];
	for (const k in o)
		q.push(k + '=' + encodeURIComponent(o[k]));
	return q.join('&');
}

function renderHost(h) {
	const m = document.getElementById('host');
	const f = (v, d) => num(v, d) ?? '-';
	m.innerHTML = '';
	const items = [
		['host', h.hostname], ['CPU', f(h.cpu_pct / 100, 1) + ' of ' + h.ncpu + ' cores'],
		['load', (h.load || []).map((x) => x.toFixed(2)).join(' ')],
		['memory', bytes(h.mem_used) + ' of ' + bytes(h.mem_total)],
		['CPU pressure', f(h.psi_cpu_some, 1) + ' %'], ['memory pressure', f(h.psi_mem_some, 1) + ' %'],
		['IO pressure', f(h.psi_io_some, 1) + ' %'], ['tenants', h.tenants],
		['throttled', h.throttled], ['frozen', h.frozen],
	];
	for (const [k, v] of items) {
		const s = el('span', {}, k + ': ');
		s.appendChild(el('b', { 'data-key': k }, String(v ?? '-')));
		m.appendChild(s);
	}
}

function eventsTable(evs, withTenant) {
	const t = el('table', { id: 'events' });
	const hr = t.createTHead().insertRow();
	for (const h of ['time'].concat(withTenant ? ['tenant'] : [], ['action', 'rule', 'limits', 'evidence']))
		hr.appendChild(el('th', {}, h));
	const b = t.createTBody();
	for (const e of evs.slice().reverse()) {
		const r = b.insertRow();
		r.insertCell().textContent = when(e.time);
		if (withTenant)
			r.insertCell().textContent = e.tenant;
		r.insertCell().textContent = e.action + (e.dry_run ? ' (dry run)' : '');
		r.insertCell().textContent = e.rule || '';
		r.insertCell().textContent = e.limits_text || '';
		const c = r.insertCell();
		c.appendChild(el('pre', {}, e.evidence ? JSON.stringify(e.evidence) : ''));
		c.style.textAlign = 'left';
	}
	return t;
}

async function adminList() {
	app.innerHTML = '<section><h2>Host</h2><div id="host" class="meters"></div></section>' +
		'<section><h2>Tenants</h2><div id="tenants" class="grid" role="table">' +
		'<div class="head" role="row"></div><div class="body"></div></div></section>' +
		'<section><h2>Recent actions</h2><div id="actions"></div></section>';
	const tr = document.querySelector('#tenants .head');
	for (const c of COLS) {
		const th = el('span', { 'data-key': c.key, class: c.key, role: 'columnheader' }, c.label);
		th.addEventListener('click', () => {
			sortAsc = sortKey === c.key ? !sortAsc : c.key === 'name';
			sortKey = c.key;
			if (lastSnap)
				renderTable(lastSnap);
		});
		tr.appendChild(th);
	}
	const tick = async () => {
		try {
			const [snap, ev] = await Promise.all([api('table'), api('events', { limit: 15 })]);
			lastSnap = snap;
			renderHost(snap.host);
			renderTable(snap);
			document.getElementById('actions').replaceChildren(
				ev.events.length ? eventsTable(ev.events, true) : el('p', { class: 'muted' }, 'No actions yet.'));
			document.getElementById('updated').textContent = 'updated ' + new Date().toLocaleTimeString();
		} catch (e) {
			document.getElementById('updated').textContent = 'update failed: ' + e.message;
		}
	};
	await tick();
	if (REFRESH_S > 0)
		setInterval(tick, REFRESH_S * 1000);
}

// --- graphs, shared by both views ------------------------------------------

function graphsSection(tenant, metrics) {
	const s = el('section', { class: 'graphs', id: 'graphs' });
	s.appendChild(el('h2', {}, 'History'));
	const bar = el('div', { class: 'ranges' });
	const box = el('div');
	const show = (range) => {
		for (const b of bar.children)
			b.classList.toggle('on', b.textContent === range);
		box.replaceChildren();
		for (const m of metrics) {
			const img = el('img', { alt: m + ' over ' + range, 'data-metric': m, 'data-range': range });
			box.appendChild(img);
			graphImg(img, tenant, m, range);
		}
	};
	for (const r of ['1h', '1d', '30d']) {
		const b = el('button', { type: 'button' }, r);
		b.addEventListener('click', () => show(r));
		bar.appendChild(b);
	}
	s.append(bar, box);
	show(P.get('range') || '1h');
	return s;
}

async function adminTenant(name) {
	const back = el('a', { href: '#' + linkTo({}) }, '\u2190 all tenants');
	app.replaceChildren(back);
	let t, lim, ev;
	try {
		[t, lim, ev] = await Promise.all([api('tenant', { name }), api('limits', { name }),
						   api('events', { tenant: name, limit: 200 })]);
	} catch (e) {
		app.appendChild(el('p', { class: 'err', id: 'error' }, e.message));
		return;
	}
	const x = t.tenant;
	const s = el('section', { id: 'tenant', 'data-name': x.name });
	s.appendChild(el('h2', {}, x.name + ' \u2014 ' + x.state + (x.rule ? ' (' + x.rule + ')' : '')));
	const m = el('div', { class: 'meters' });
	const r = x.rates || {}, g = x.gauges || {}, f = x.faults || {};
	for (const [k, v] of [['CPU cores', cores(r.cpu_pct)], ['inflicted ms/s', num(r.inflicted_ms_s, 1)],
		['suffered ms/s', num(r.suffered_ms_s, 1)], ['memory', bytes(g.mem_bytes)],
		['read/s', bytes(r.io_rbps)], ['write/s', bytes(r.io_wbps)], ['procs', g.nproc],
		['limits', lim.effective_text || limitsWords(x.limits)],
		['faults cpu/mem/pids', [f.cpu, f.mem, f.pids].map((v) => v ?? '-').join(' / ')]]) {
		const sp = el('span', {}, k + ': ');
		sp.appendChild(el('b', {}, String(v ?? '-')));
		m.appendChild(sp);
	}
	s.appendChild(m);
	if (t.procs && t.procs.length) {
		const pt = el('table');
		const hr = pt.createTHead().insertRow();
		for (const h of ['pid', 'command', 'CPU %', 'memory'])
			hr.appendChild(el('th', {}, h));
		for (const p of t.procs.slice(0, 20)) {
			const row = pt.createTBody().insertRow();
			for (const v of [p.pid, p.comm, num(p.cpu_pct, 1), bytes(p.rss_bytes)])
				row.insertCell().textContent = v ?? '-';
		}
		s.appendChild(pt);
	}
	app.appendChild(s);
	app.appendChild(graphsSection(name, ['cpu', 'mem', 'io', 'inflicted']));
	const es = el('section');
	es.appendChild(el('h2', {}, 'Events and their evidence'));
	es.appendChild(ev.events.length ? eventsTable(ev.events, false) : el('p', { class: 'muted' }, 'No events.'));
	app.appendChild(es);
}

// --- the customer view: its own account, in words ---------------------------

// the limits in force (static tightened by a throttle), as a customer reads them
function limitsWords(l) {
	const w = [];
	if (!l)
		return 'none';
	if (l.cpu_pct !== null && l.cpu_pct !== undefined) w.push(cores(l.cpu_pct) + ' CPU cores');
	if (l.mem_max !== null && l.mem_max !== undefined) w.push(bytes(l.mem_max) + ' of memory');
	else if (l.mem_high !== null && l.mem_high !== undefined) w.push(bytes(l.mem_high) + ' of memory');
	if (l.nproc !== null && l.nproc !== undefined) w.push(l.nproc + ' processes');
	for (const [k, v] of [['io_rbps', 'disk reads'], ['io_wbps', 'disk writes']])
		if (l[k] !== null && l[k] !== undefined) w.push(bytes(l[k]) + '/s of ' + v);
	return w.length ? w.join(', ') : 'none';
}

const METRIC_WORDS = {
	cpu_pct: (v) => 'used ' + cores(v) + ' CPU cores',
	cpu: (v) => 'used ' + cores(v) + ' CPU cores',
	inflicted_ms_s: () => 'kept other sites waiting for the CPU',
	mem_bytes: (v) => 'used ' + bytes(v) + ' of memory',
	mem: (v) => 'used ' + bytes(v) + ' of memory',
	io_wbps: (v) => 'wrote ' + bytes(v) + ' a second to disk',
	io_rbps: (v) => 'read ' + bytes(v) + ' a second from disk',
	io_bps: (v) => 'read and wrote ' + bytes(v) + ' a second on disk',
	iops: (v) => 'made ' + Math.round(v) + ' disk operations a second',
	forks_s: (v) => 'started ' + Math.round(v) + ' new processes a second',
	nproc: (v) => 'ran ' + Math.round(v) + ' processes',
};
const WHILE_WORDS = {
	suffered_sum: 'while other sites waited for the CPU',
	suffered: 'while other sites waited for the CPU',
	psi_cpu_some: 'while the server\u2019s CPU was overloaded',
	psi_mem_some: 'while the server was short of memory',
	psi_io_some: 'while the server\u2019s disks were overloaded',
	io_lat_ms: 'while the server\u2019s disks were slow for everyone',
};

function because(e) {
	const ev = e.evidence || {};
	if (e.rule === 'manual' || (!ev.metric && !e.rule))
		return 'because the server\u2019s administrator limited it';
	if (ev.reason)
		return '(' + ev.reason + ')';
	const what = (METRIC_WORDS[ev.metric] || ((v) => 'had ' + ev.metric + ' at ' + v))(ev.value);
	let s = 'because it ' + what;
	if (ev.over_s)
		s += ' for ' + duration(ev.over_s);
	const w = WHILE_WORDS[ev.while];
	if (w)
		s += ' ' + w;
	return s;
}

// the audit log as sentences: each restriction with how long it lasted
function story(evs, now) {
	const out = [];
	const ends = ['release', 'thaw'];
	for (let i = 0; i < evs.length; i++) {
		const e = evs[i];
		if (e.dry_run || !['apply', 'escalate', 'throttle', 'freeze', 'kill', 'set'].includes(e.action))
			continue;
		const end = evs.slice(i + 1).find((x) => ends.includes(x.action) ||
			(e.action !== 'freeze' && ['apply', 'escalate', 'throttle', 'freeze'].includes(x.action)));
		const endStill = end ? null : ' (still in effect)';
		const dur = end ? ' for ' + duration(end.time - e.time) : '';
		const lim = e.limits_text ? ' (limited to ' + e.limits_text + ')' : '';
		let s;
		if (e.action === 'kill')
			s = 'At ' + when(e.time) + ' your site\u2019s processes were stopped ' + because(e);
		else if (e.action === 'freeze')
			s = 'At ' + when(e.time) + ' your site was paused' + dur + (endStill || '') + ' ' + because(e);
		else if (e.action === 'set')
			s = 'At ' + when(e.time) + ' your site\u2019s limits were changed' + lim;
		else
			s = 'At ' + when(e.time) + ' your site was ' + (e.action === 'escalate' ? 'slowed further' : 'slowed') +
				lim + dur + (endStill || '') + ' ' + because(e);
		out.push({ time: e.time, text: s + '.' });
	}
	return out.reverse();
}

async function customer(self) {
	const want = P.get('name');
	app.replaceChildren();
	if (want && want !== self) {
		// ask anyway: the server decides, and the page shows what it said
		try {
			await api('tenant', { name: want });
			app.appendChild(el('p', { class: 'err', id: 'error' }, 'unexpected: the server answered'));
		} catch (e) {
			app.appendChild(el('p', { class: 'err', id: 'denied', 'data-status': e.status },
				'You can only see your own account (' + self + '). The server said: ' + e.message));
		}
		return;
	}
	let t, lim, ev;
	try {
		[t, lim, ev] = await Promise.all([api('tenant', { name: self }), api('limits', { name: self }),
						   api('events', { limit: 500 })]);
	} catch (e) {
		app.appendChild(el('p', { class: 'err', id: 'error' }, e.message));
		return;
	}
	const x = t.tenant, r = x.rates || {}, g = x.gauges || {}, f = x.faults || {};
	const s = el('section', { id: 'usage', 'data-name': x.name });
	s.appendChild(el('h2', {}, 'Your resource usage: ' + x.name));
	const state = { ok: 'running normally', throttled: 'slowed down by the server (see below)',
		frozen: 'paused by the server (see below)', killed: 'stopped by the server' }[x.state] || x.state;
	s.appendChild(el('p', { id: 'state' }, 'Right now your site is ' + state + '.'));
	const ul = el('ul');
	for (const line of [
		'CPU: ' + cores(r.cpu_pct) + ' cores',
		'Memory: ' + bytes(g.mem_bytes),
		'Disk: reading ' + bytes(r.io_rbps) + '/s, writing ' + bytes(r.io_wbps) + '/s',
		'Processes: ' + (g.nproc ?? '-'),
		'Your limits now: ' + limitsWords(x.limits),
	])
		ul.appendChild(el('li', {}, line));
	s.appendChild(ul);
	const faults = [];
	if (f.cpu) faults.push('reached its CPU limit ' + f.cpu + ' times');
	if (f.mem) faults.push('reached its memory limit ' + f.mem + ' times');
	if (f.pids) faults.push('was refused ' + f.pids + ' new processes at its process limit');
	s.appendChild(el('p', { id: 'faults' }, faults.length ? 'Since it started, your site ' + faults.join(', ') + '.' :
		'Your site has not hit any of its limits.'));
	app.appendChild(s);
	const st = el('section', { class: 'story', id: 'story' });
	st.appendChild(el('h2', {}, 'What happened'));
	const items = story(ev.events, Date.now() / 1000);
	if (!items.length)
		st.appendChild(el('p', { class: 'muted' }, 'Nothing: your site was never slowed or stopped in the period the server keeps.'));
	const ol = el('ul');
	for (const i of items)
		ol.appendChild(el('li', {}, i.text));
	st.appendChild(ol);
	app.appendChild(st);
	app.appendChild(graphsSection(self, ['cpu', 'mem', 'io']));
}

// --- start --------------------------------------------------------------------

async function main() {
	if (!CRED) {
		say('Open the link that `quellctl web-link` prints, or add #token=<the [web] token_file token> to this address.');
		return;
	}
	let ping;
	try {
		ping = await api('ping');
	} catch (e) {
		say(e.status === 401 ? 'This link or token is not valid: ' + e.message : e.message, 'err');
		return;
	}
	const c = ping.caller || {};
	document.getElementById('who').textContent = c.class === 'tenant' ? 'account ' + c.tenant : 'admin view (read-only)';
	document.body.dataset.view = c.class === 'tenant' ? 'customer' : 'admin';
	if (c.class === 'tenant')
		return customer(c.tenant);
	if (P.get('view') === 'tenant' && P.get('name'))
		return adminTenant(P.get('name'));
	return adminList();
}

window.addEventListener('hashchange', () => location.reload());
main().finally(() => { document.body.dataset.ready = '1'; });
