// Turns the raw results of scripts/bench into Markdown tables.
//
//   node bench/report.mjs <results dir> <cached sessions>
//
// results.tsv: round, scenario, requests, duration µs, p50 µs, p99 µs,
// non-2xx, socket errors, gateway CPU ticks, upstream CPU ticks, gateway
// GC cycles.
import fs from 'node:fs';
import path from 'node:path';
import { execSync } from 'node:child_process';

const [dir, cachedArg] = process.argv.slice(2);
const cached = Number(cachedArg);
const read = (f) => (fs.existsSync(path.join(dir, f)) ? fs.readFileSync(path.join(dir, f), 'utf8') : '');
const tsv = (f) => read(f).trim().split('\n').filter(Boolean).map((l) => l.split('\t'));
const median = (xs) => {
	const s = [...xs].sort((a, b) => a - b);
	const m = s.length >> 1;
	return s.length % 2 ? s[m] : (s[m - 1] + s[m]) / 2;
};
const tick = 1e6 / Number(execSync('getconf CLK_TCK').toString()); // µs per clock tick

const runs = tsv('results.tsv').map(([round, name, req, dur, p50, p99, non2xx, errs, gw, up, gc]) => ({
	round: +round, name, req: +req, rps: +req / (+dur / 1e6), p50: +p50, p99: +p99,
	bad: +non2xx + +errs, cpuGw: (+gw * tick) / +req, cpuUp: (+up * tick) / +req, gc: (+gc * 1000) / +req,
}));
const argon = new Map(tsv('argon2.tsv').map(([r, rate]) => [+r, +rate]));
const mem = Object.fromEntries(tsv('memory.tsv').map(([k, v]) => [k, +v]));
const order = ['proxy', 'gate-cookie', 'gate-jwt', 'account-get', 'sign-in'];
const label = {
	proxy: 'plain `reverse_proxy`',
	'gate-cookie': '`account_gate` + `reverse_proxy`, session cookie',
	'gate-jwt': '`account_gate` + `reverse_proxy`, `X-Appwrite-JWT`',
	'account-get': '`GET /v1/account` (cookie)',
	'sign-in': '`POST /v1/account/sessions/email`',
};
const base = new Map(runs.filter((r) => r.name === 'proxy').map((r) => [r.round, r]));
const fmt = (x, d = 0) => x.toLocaleString('en-US', { minimumFractionDigits: d, maximumFractionDigits: d });
const ms = (us) => fmt(us / 1000, us < 10000 ? 2 : 1);

const stats = {};
console.log('| scenario | req/s (median) | × proxy | p50 | p99 | server CPU µs/req (Caddy + upstream) | Δ CPU µs/req vs proxy | GC cycles / 1k req | non-2xx / errors |');
console.log('|---|---:|---:|---:|---:|---:|---:|---:|---:|');
for (const name of order) {
	const rs = runs.filter((r) => r.name === name);
	if (!rs.length) continue;
	const withBase = rs.filter((r) => base.has(r.round));
	const s = {
		rps: median(rs.map((r) => r.rps)),
		ratio: median(withBase.map((r) => r.rps / base.get(r.round).rps)),
		p50: median(rs.map((r) => r.p50)),
		p99: median(rs.map((r) => r.p99)),
		cpu: median(rs.map((r) => r.cpuGw + r.cpuUp)),
		cpuGw: median(rs.map((r) => r.cpuGw)),
		cpuUp: median(rs.map((r) => r.cpuUp)),
		dcpu: median(withBase.map((r) => r.cpuGw + r.cpuUp - (base.get(r.round).cpuGw + base.get(r.round).cpuUp))),
		bad: rs.reduce((a, r) => a + r.bad, 0),
		gc: median(rs.map((r) => r.gc)),
		rounds: rs.map((r) => fmt(r.rps)).join(' / '),
	};
	stats[name] = s;
	const cpu = s.cpu >= 1000 ? `${fmt(s.cpu)} (${fmt(s.cpuGw)} + ${fmt(s.cpuUp)})` : `${fmt(s.cpu, 1)} (${fmt(s.cpuGw, 1)} + ${fmt(s.cpuUp, 1)})`;
	// Sign-in is argon2-bound: its yardstick is the raw argon2id rate below,
	// not the proxy.
	const vsProxy = name === 'proxy' || name === 'sign-in';
	console.log(`| ${label[name]} | ${fmt(s.rps, s.rps < 100 ? 1 : 0)} | ${name === 'proxy' ? '1.00' : vsProxy ? '—' : fmt(s.ratio, 2)} | ${ms(s.p50)} ms | ${ms(s.p99)} ms | ${cpu} | ${vsProxy ? '—' : (s.dcpu >= 0 ? '+' : '') + fmt(s.dcpu, 1)} | ${fmt(s.gc, s.gc < 10 ? 2 : 0)} | ${s.bad} |`);
}
console.log();
console.log('Per round (req/s): ' + order.filter((n) => stats[n]).map((n) => `${n} ${stats[n].rounds}`).join('; ') + '.');

const signin = runs.filter((r) => r.name === 'sign-in' && argon.has(r.round));
const argonRate = median([...argon.values()]);
const signinRatio = signin.length ? median(signin.map((r) => r.rps / argon.get(r.round))) : NaN;
console.log(`Raw argon2id (m=19456 KiB, t=2, p=1) on core 0: ${fmt(argonRate, 1)} hashes/s (rounds: ${[...argon.values()].map((v) => fmt(v, 1)).join(' / ')}); sign-in ÷ raw argon2id = ${fmt(signinRatio, 2)}.`);
const rssMiB = mem.rss_warm_kib / 1024;
console.log(`Memory: gateway VmRSS ${fmt(mem.rss_start_kib / 1024, 1)} MiB after start (a bare Caddy of the same binary, the upstream: ${fmt(mem.rss_upstream_kib / 1024, 1)} MiB), ${fmt(rssMiB, 1)} MiB with ${fmt(cached)} sessions in the verification cache (peak VmHWM ${fmt(mem.hwm_warm_kib / 1024, 1)} MiB; live Go heap after a forced GC ${fmt(mem.heap_live_kib / 1024, 1)} MiB); warm-up ${fmt(mem.warmup_requests)} requests in ${fmt(mem.warmup_duration_us / 1e6, 1)} s.`);
console.log();

const g = stats['gate-cookie'], j = stats['gate-jwt'], a = stats['account-get'];
const targets = [
	['gated cookie ≥ 0.90× plain proxy req/s', g && `${fmt(g.ratio, 2)}×`, g && g.ratio >= 0.9],
	['gated cookie ≤ 25 µs more CPU per request', g && `${g.dcpu >= 0 ? '+' : ''}${fmt(g.dcpu, 1)} µs`, g && g.dcpu <= 25],
	['JWT ≥ 0.85× plain proxy req/s', j && `${fmt(j.ratio, 2)}×`, j && j.ratio >= 0.85],
	['GET /v1/account ≥ 1.0× plain proxy req/s', a && `${fmt(a.ratio, 2)}×`, a && a.ratio >= 1.0],
	['email sign-in ≥ 0.85× raw argon2id rate', `${fmt(signinRatio, 2)}×`, signinRatio >= 0.85],
	[`RSS ≤ 150 MB with ${fmt(cached)} cached sessions`, `${fmt((mem.rss_warm_kib * 1024) / 1e6, 1)} MB (${fmt(mem.rss_warm_kib / 1024, 1)} MiB)`, (mem.rss_warm_kib * 1024) / 1e6 <= 150],
];
console.log('| target | measured | met |');
console.log('|---|---:|---|');
for (const [t, m, ok] of targets) console.log(`| ${t} | ${m ?? 'n/a'} | ${ok ? 'yes' : '**no**'} |`);

const gob = read('gobench.txt').split('\n').filter((l) => l.startsWith('Benchmark'));
if (gob.length) {
	console.log();
	console.log('| Go benchmark (core 0, GOMAXPROCS 1) | ns/op | B/op | allocs/op |');
	console.log('|---|---:|---:|---:|');
	for (const l of gob) {
		const f = l.trim().split(/\s+/);
		const at = (unit) => f[f.indexOf(unit) - 1];
		console.log(`| ${f[0].replace(/^Benchmark/, '').replace(/-\d+$/, '')} | ${fmt(+at('ns/op'), +at('ns/op') < 100 ? 1 : 0)} | ${at('B/op')} | ${at('allocs/op')} |`);
	}
}

const alloc = read('gatecheck-hit.alloc.txt').split('\n');
const as0 = alloc.findIndex((l) => /flat\s+flat%/.test(l));
if (as0 >= 0) {
	console.log();
	console.log('Allocation sites of the cache-hit gate check (BenchmarkGateCheckCookie/hit, 100,000 ops, memprofilerate 1; allocations per op by function, flat):');
	console.log('```');
	for (const l of alloc.slice(as0 + 1)) {
		const f = l.trim().split(/\s+/);
		if (f.length < 6 || !(+f[0] > 0)) continue;
		const perOp = +f[0] / 100000;
		if (perOp >= 0.2) console.log(`${perOp.toFixed(1).padStart(5)}  ${f.slice(5).join(' ')}`);
	}
	console.log('```');
}

const heap = read('heap.top.txt').split('\n');
const hs = heap.findIndex((l) => /flat\s+flat%/.test(l));
if (hs >= 0) {
	console.log();
	console.log('Heap in use after the warm-up (forced GC; top 8 by flat; full: heap.top.txt, heap.pprof):');
	console.log('```');
	console.log(heap.slice(hs, hs + 9).join('\n'));
	console.log('```');
}
const sig = read('sign-in.cum.txt').split('\n').filter((l) => /gcBgMarkWorker$|argon2\.processBlocks\.func1$|argon2\.initBlocks$|runtime\.gcAssistAlloc$|runtime\.scanSpan$|mallocgc$|APIHandler\)\.ServeHTTP$|sqlite\.\(\*Store\)\.WithTx$|Total samples/.test(l));
if (sig.length) {
	console.log();
	console.log('CPU profile of the gateway, sign-in run (selected cumulative lines; full: sign-in.cum.txt):');
	console.log('```');
	console.log(sig.join('\n'));
	console.log('```');
}

// Per-request CPU of the gateway by part, from the cumulative profiles of
// the gated-cookie and plain-proxy runs: profile seconds ÷ the requests
// answered while the profile ran (8 s of the 10 s wrk run).
const secs = (v) => (v.endsWith('ms') ? parseFloat(v) / 1000 : v.endsWith('us') || v.endsWith('µs') ? parseFloat(v) / 1e6 : parseFloat(v));
const cumOf = (file, re) => {
	for (const l of read(file).split('\n')) {
		const f = l.trim().split(/\s+/);
		if (f.length >= 6 && re.test(f.slice(5).join(' '))) return secs(f[3]);
	}
	return 0;
};
const totalOf = (file) => {
	const m = read(file).match(/Total samples = ([0-9.]+m?s)/);
	return m ? secs(m[1]) : 0;
};
const profReq = (name) => {
	const m = read(`wrk-profile-${name}.txt`).match(/^RESULT (\d+) (\d+)/m);
	return m ? (+m[1] * 8e6) / +m[2] : 0;
};
const parts = [
	['whole gateway process', null],
	['caddyhttp Server.ServeHTTP (all handlers)', /caddyhttp\.\(\*Server\)\.ServeHTTP$/],
	['account_gate own work (Gate.ServeHTTP minus reverse_proxy)', 'gate'],
	['reverse_proxy Handler.ServeHTTP', /reverseproxy\.\(\*Handler\)\.ServeHTTP$/],
	['GC background mark (gcBgMarkWorker)', /runtime\.gcBgMarkWorker$/],
	['allocation (mallocgc, incl. GC assists)', /runtime\.mallocgc$/],
	['syscalls (Syscall6: network I/O)', /linux\.Syscall6$/],
];
const gReq = profReq('gate-cookie'), pReq = profReq('proxy');
if (gReq && pReq && read('gate-cookie.cum.txt') && read('proxy.cum.txt')) {
	const val = (file, req, re) => {
		if (re === null) return (totalOf(file) * 1e6) / req;
		if (re === 'gate') return ((cumOf(file, /caddymodule\.\(\*Gate\)\.ServeHTTP$/) - cumOf(file, /reverseproxy\.\(\*Handler\)\.ServeHTTP$/)) * 1e6) / req;
		return (cumOf(file, re) * 1e6) / req;
	};
	console.log();
	console.log(`Gateway CPU per request by part, from the two profiles (µs/req; ${fmt(gReq)} and ${fmt(pReq)} requests in the 8 s profiles; cumulative figures, so rows overlap: allocation and syscalls are also inside the handler rows):`);
	console.log();
	console.log('| part | gate-cookie | proxy | Δ |');
	console.log('|---|---:|---:|---:|');
	for (const [what, re] of parts) {
		const g = val('gate-cookie.cum.txt', gReq, re), pr = re === 'gate' ? 0 : val('proxy.cum.txt', pReq, re);
		console.log(`| ${what} | ${fmt(g, 1)} | ${fmt(pr, 1)} | ${g - pr >= 0 ? '+' : ''}${fmt(g - pr, 1)} |`);
	}
	const focus = read('gate-own.top.txt').split('\n');
	const fs0 = focus.findIndex((l) => /flat\s+flat%/.test(l));
	if (fs0 >= 0) {
		console.log();
		console.log('account_gate own work in the gated-cookie profile (pprof -focus Gate.ServeHTTP -ignore reverseproxy, by cum):');
		console.log('```');
		console.log(focus.slice(fs0, fs0 + 1).concat(focus.slice(fs0 + 1).filter((l) => /accountgate|Replacer|json\.Unmarshal|readCookies|CanonicalMIMEHeaderKey|mallocgc$|mapassign/.test(l)).slice(0, 16)).join('\n'));
		console.log('```');
	}
}

const top = read('gate-cookie.top.txt').split('\n');
const start = top.findIndex((l) => /flat\s+flat%/.test(l));
if (start >= 0) {
	console.log();
	console.log('CPU profile of the gateway, gated-cookie run (top 15 by flat time; full: gate-cookie.top.txt, .cum.txt, .pprof):');
	console.log('```');
	console.log(top.slice(start, start + 16).join('\n'));
	console.log('```');
	const cum = read('gate-cookie.cum.txt').split('\n').filter((l) => /accountgate|caddyhttp\.\(\*Server\)\.ServeHTTP|reverseproxy\.\(\*Handler\)\.ServeHTTP$/.test(l));
	if (cum.length) {
		console.log('Cumulative share of the handlers (same profile):');
		console.log('```');
		console.log(cum.slice(0, 14).join('\n'));
		console.log('```');
	}
}
