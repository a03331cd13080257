// What an operator runs next to the API: Prometheus metrics in Caddy's
// registry (served by Caddy's `metrics` handler, and still there after a
// config reload), the security log under the logger accountgate.security
// (routed with Caddy's own `log` options), and the account_health
// liveness and readiness endpoints, with PostgreSQL and Redis going away
// and coming back behind TCP proxies (the shared servers keep running).

import assert from 'node:assert/strict';
import { readFile, rm } from 'node:fs/promises';
import path from 'node:path';
import { after, before, describe, test } from 'node:test';

import { freePort, newCaddyDir, PROJECT, randomSuffix, rawRequest, startCaddy, startSmtpSink, startUpstream, waitUntil } from './harness.mjs';
import { dropRedisKeys, dropSchema, newCluster, startRedisProxy } from './multinode-support.mjs';

const MAIN = `a_session_${PROJECT}`;

function token(s) {
	return /\s|"|\{|\}/.test(s) ? JSON.stringify(s) : s;
}

/**
 * A Caddyfile with the admin API on adminPort (for the reload), the
 * security log in its own JSON file, metrics on a site of their own, and
 * the health endpoints on the gated site: they answer before the gate.
 */
function opsCaddyfile({ dir, port, adminPort, metricsPort, upstreamPort, storeLines, cacheLine = '', projectLines = [] }) {
	return `{
	admin 127.0.0.1:${adminPort}
	persist_config off
	auto_https off
	storage file_system ${token(path.join(dir, 'caddy'))}
	log security {
		output file ${token(path.join(dir, 'security.log'))}
		format json
		include accountgate.security
	}
	accountgate {
		project ${PROJECT} {
			${storeLines}
			${cacheLine}
			platform localhost
			public_url http://localhost:${port}
${projectLines.map((l) => `\t\t\t${l}\n`).join('')}		}
	}
}

http://127.0.0.1:${metricsPort} {
	metrics /metrics
}

http://localhost:${port}, http://127.0.0.1:${port} {
	account_health /healthz ${PROJECT} ready
	account_health /livez ${PROJECT} live
	account_api ${PROJECT}
	account_gate ${PROJECT}
	reverse_proxy 127.0.0.1:${upstreamPort}
}
`;
}

/** Parses the exposition text into { 'name{a="x",b="y"}': value }, labels sorted, project label dropped. */
function parseMetrics(text) {
	const out = {};
	for (const line of text.split('\n')) {
		if (!line.startsWith('accountgate_')) continue;
		const m = /^([a-zA-Z_:][a-zA-Z0-9_:]*)(?:\{(.*)\})? (\S+)$/.exec(line);
		assert.ok(m, `unparsable sample ${line}`);
		const labels = [...(m[2] ?? '').matchAll(/([a-zA-Z_][a-zA-Z0-9_]*)="((?:[^"\\]|\\.)*)"/g)]
			.filter(([, k]) => k !== 'project')
			.map(([, k, v]) => `${k}="${v}"`)
			.sort();
		out[`${m[1]}{${labels.join(',')}}`] = Number(m[3]);
	}
	return out;
}

async function scrape(metricsPort) {
	const res = await rawRequest(`http://127.0.0.1:${metricsPort}/metrics`);
	assert.equal(res.status, 200, res.text.slice(0, 500));
	return parseMetrics(res.text);
}

function delta(before, after, key) {
	return (after[key] ?? 0) - (before[key] ?? 0);
}

async function call(origin, method, p, { body, cookie, headers = [] } = {}) {
	const h = [['X-Appwrite-Project', PROJECT], ...headers];
	if (cookie) h.push(['Cookie', cookie]);
	if (body !== undefined) h.push(['Content-Type', 'application/json']);
	return rawRequest(origin + p, { method, headers: h, body: body === undefined ? undefined : JSON.stringify(body) });
}

function sessionCookie(res) {
	const line = res.setCookie.find((c) => c.startsWith(`${MAIN}=`));
	assert.ok(line, `no session cookie: ${res.status} ${res.text}`);
	return line.split(';')[0];
}

describe('metrics, security log and health on SQLite', () => {
	let upstream;
	let smtp;
	let caddy;
	let adminPort;
	let metricsPort;
	let config;
	let ok = false;

	before(async () => {
		upstream = await startUpstream();
		smtp = await startSmtpSink();
		adminPort = await freePort();
		metricsPort = await freePort();
		const dir = await newCaddyDir();
		caddy = await startCaddy({
			dir,
			makeConfig: ({ dir, port }) => {
				config = opsCaddyfile({
					dir,
					port,
					adminPort,
					metricsPort,
					upstreamPort: upstream.port,
					storeLines: `store sqlite ${token(path.join(dir, 'ops.db'))}`,
					projectLines: ['rate_limit sessions.email 2', `mailer smtp 127.0.0.1:${smtp.port} {\ntls none\nfrom ops@example.com\n}`],
				});
				return config;
			},
		});
	});

	after(async () => {
		if (caddy) {
			await caddy.stop();
			if (!ok) process.stderr.write(`\n--- Caddy output ---\n${caddy.tail(200)}\n`);
			else if (process.env.E2E_KEEP_TMP !== '1') await rm(caddy.dir, { recursive: true, force: true });
		}
		await smtp?.close();
		await upstream?.close();
	});

	test('a scripted scenario is counted, logged without secrets, and survives a reload', async () => {
		const origin = caddy.origin;
		const run = randomSuffix();
		const alice = `alice-${run}@example.com`;
		const bob = `bob-${run}@example.com`;
		const carol = `carol-${run}@example.com`;
		const secrets = [alice, bob, carol, 'alice-password-1', 'alice-password-2', 'wrong-password-9', 'bob-password-1', 'carol-password-1'];
		const before = await scrape(metricsPort);

		assert.equal((await call(origin, 'POST', '/v1/account', { body: { userId: 'unique()', email: alice, password: 'alice-password-1' } })).status, 201);
		assert.equal((await call(origin, 'POST', '/v1/account/sessions/email', { body: { email: alice, password: 'wrong-password-9' } })).status, 401);
		const aliceCookie = sessionCookie(await call(origin, 'POST', '/v1/account/sessions/email', { body: { email: alice, password: 'alice-password-1' } }));
		secrets.push(aliceCookie.split('=')[1], decodeURIComponent(aliceCookie.split('=')[1]));
		assert.equal((await rawRequest(`${origin}/app`, { headers: [['Cookie', aliceCookie]] })).status, 200);
		assert.equal((await rawRequest(`${origin}/app`)).status, 401);
		const jwt = await call(origin, 'POST', '/v1/account/jwt', { cookie: aliceCookie });
		assert.equal(jwt.status, 201, jwt.text);
		secrets.push(jwt.json.jwt);
		const refused = await call(origin, 'PATCH', '/v1/account/name', { cookie: aliceCookie, body: { name: 'x' }, headers: [['Origin', 'http://evil.test']] });
		assert.equal(refused.status, 403, refused.text);

		assert.equal((await call(origin, 'POST', '/v1/account/recovery', { body: { email: alice, url: `${origin}/reset` } })).status, 201);
		const mail = await smtp.waitFor((m) => m.envelope.to.includes(alice), { detail: () => caddy.tail() });
		const link = new URL(/http:\/\/\S+/.exec(mail.text)[0]);
		secrets.push(link.searchParams.get('secret'));
		const done = await call(origin, 'PUT', '/v1/account/recovery', {
			body: { userId: link.searchParams.get('userId'), secret: link.searchParams.get('secret'), password: 'alice-password-2', passwordAgain: 'alice-password-2' },
		});
		assert.equal(done.status, 200, done.text);

		// Two failures, then the per-email limit refuses; should the hourly
		// window roll over meanwhile, the new one counts afresh.
		let bobFailures = 0;
		for (;;) {
			const res = await call(origin, 'POST', '/v1/account/sessions/email', { body: { email: bob, password: 'bob-password-1' } });
			if (res.status === 429) break;
			assert.equal(res.status, 401, res.text);
			bobFailures++;
			assert.ok(bobFailures <= 4, 'the per-email limit never refused');
		}
		assert.ok(bobFailures >= 2);

		assert.equal((await call(origin, 'POST', '/v1/account', { body: { userId: 'unique()', email: carol, password: 'carol-password-1' } })).status, 201);
		const carolCookie = sessionCookie(await call(origin, 'POST', '/v1/account/sessions/email', { body: { email: carol, password: 'carol-password-1' } }));
		secrets.push(carolCookie.split('=')[1], decodeURIComponent(carolCookie.split('=')[1]));
		assert.equal((await call(origin, 'PATCH', '/v1/account/status', { cookie: carolCookie })).status, 200);
		assert.equal((await rawRequest(`${origin}/app`, { headers: [['Cookie', carolCookie]] })).status, 401);

		// The health endpoints answer without a session, before the gate.
		const ready = await rawRequest(`${origin}/healthz`);
		assert.equal(ready.status, 200, ready.text);
		assert.deepEqual({ status: ready.json.status, store: ready.json.checks.store.status, kind: ready.json.checks.store.kind }, { status: 'pass', store: 'pass', kind: 'sqlite' });
		const live = await rawRequest(`${origin}/livez`);
		assert.deepEqual({ status: live.status, body: live.json }, { status: 200, body: { status: 'pass' } });

		// Metrics: the scenario's counts, as deltas (Caddy's start-up probe
		// also met the gate).
		let now;
		await waitUntil(async () => {
			now = await scrape(metricsPort);
			return delta(before, now, 'accountgate_deliveries_total{channel="email",result="sent"}') === 1;
		}, { what: 'the delivery to be counted' });
		const want = {
			'accountgate_sign_ins_total{method="email-password",result="success"}': 2,
			'accountgate_sign_ins_total{method="email-password",result="failure"}': 1 + bobFailures,
			'accountgate_sign_ups_total{method="email-password"}': 2,
			'accountgate_rate_limit_refusals_total{limit="sessions.email"}': 1,
			'accountgate_gate_decisions_total{decision="allowed",reason=""}': 1,
			'accountgate_gate_decisions_total{decision="refused",reason="unauthenticated"}': 1,
			'accountgate_gate_decisions_total{decision="refused",reason="blocked"}': 1,
			'accountgate_security_events_total{event="jwt_created",result="success"}': 1,
			'accountgate_security_events_total{event="origin_refused",result="refused"}': 1,
			'accountgate_security_events_total{event="recovery",result="success"}': 2,
			'accountgate_security_events_total{event="block",result="success"}': 1,
			'accountgate_deliveries_total{channel="email",result="sent"}': 1,
			'accountgate_store_call_duration_seconds_count{operation="CreateUser"}': 2,
			'accountgate_password_hash_wait_seconds_count{}': 8,
		};
		const got = Object.fromEntries(Object.keys(want).map((k) => [k, delta(before, now, k)]));
		assert.deepEqual(got, want);
		assert.equal(now['accountgate_outbox_depth{}'], 0);
		for (const k of Object.keys(now)) {
			assert.ok(!/alice|bob|carol|127\.0\.0\.1|a_session/.test(k), `a metric label carries user data: ${k}`);
		}

		// The security log: one JSON line per event in its own file.
		const lines = await waitUntil(async () => {
			const text = await readFile(path.join(caddy.dir, 'security.log'), 'utf8').catch(() => '');
			const l = text.split('\n').filter(Boolean).map((s) => JSON.parse(s));
			return l.length >= 12 + bobFailures ? l : null;
		}, { what: 'the security log' });
		const summary = lines.map((l) => {
			assert.equal(l.logger, 'accountgate.security');
			assert.equal(l.project, PROJECT);
			return [l.level, l.event, l.result, l.method ?? l.reason ?? l.stage ?? l.limit, l.email_masked].filter(Boolean).join(' ');
		});
		const a = `a***@example.com`;
		const b = `b***@example.com`;
		const c = `c***@example.com`;
		assert.deepEqual(summary, [
			`info sign_up success email-password ${a}`,
			`warn sign_in failure email-password ${a}`,
			`info sign_in success email-password ${a}`,
			'info jwt_created success jwt',
			'warn origin_refused refused general_unknown_origin',
			`info recovery success requested ${a}`,
			`info recovery success completed ${a}`,
			...Array(bobFailures).fill(`warn sign_in failure email-password ${b}`),
			'warn rate_limited refused sessions.email',
			`info sign_up success email-password ${c}`,
			`info sign_in success email-password ${c}`,
			`info block success ${c}`,
			'warn gate refused blocked',
		]);
		for (const l of lines) {
			assert.ok(l.client_ip, `no client_ip: ${JSON.stringify(l)}`);
		}
		const everything = (await readFile(path.join(caddy.dir, 'security.log'), 'utf8')) + caddy.output();
		for (const s of secrets) {
			assert.ok(s && !everything.includes(s), `the logs carry ${s}`);
		}

		// A reload provisions a new config with a new registry: the
		// collectors register again, the counts carry on, health still
		// answers.
		const reloaded = await rawRequest(`http://127.0.0.1:${adminPort}/load`, {
			method: 'POST',
			headers: [['Content-Type', 'text/caddyfile']],
			body: config.replace('rate_limit sessions.email 2', 'rate_limit sessions.email 3'),
		});
		assert.equal(reloaded.status, 200, reloaded.text);
		// The reload closes the old servers' idle connections, which
		// node's keep-alive agent may still hold: the first request on
		// one fails and is sent again.
		await waitUntil(async () => (await rawRequest(`${origin}/healthz`).catch(() => ({}))).status === 200, { what: 'health after the reload' });
		await waitUntil(() => scrape(metricsPort).then(() => true, () => false), { what: 'metrics after the reload' });
		const afterReload = await scrape(metricsPort);
		assert.equal(
			delta(before, afterReload, 'accountgate_sign_ins_total{method="email-password",result="failure"}'),
			1 + bobFailures,
			'sign-in failures after the reload',
		);
		assert.equal(afterReload['accountgate_outbox_depth{}'], 0, 'outbox depth after the reload');
		assert.equal((await call(origin, 'POST', '/v1/account/sessions/email', { body: { email: bob, password: 'bob-password-1' } })).status, 401);
		const afterCall = await scrape(metricsPort);
		assert.equal(delta(before, afterCall, 'accountgate_sign_ins_total{method="email-password",result="failure"}'), 2 + bobFailures);
		ok = true;
	});
});

// ---------------------------------------------------------------- PostgreSQL and Redis

const POSTGRES = process.env.ACCOUNTGATE_TEST_POSTGRES;
const REDIS = process.env.ACCOUNTGATE_TEST_REDIS;

if (!POSTGRES || !REDIS) {
	const why = 'readiness with PostgreSQL and Redis needs ACCOUNTGATE_TEST_POSTGRES and ACCOUNTGATE_TEST_REDIS (scripts/test sets both)';
	process.stderr.write(`# e2e/operations.test.mjs: ${why}\n`);
	test('readiness follows PostgreSQL and Redis', { skip: why }, () => {});
} else {
	describe('readiness follows PostgreSQL and Redis', () => {
		const cluster = newCluster({ postgres: POSTGRES, redis: REDIS });
		let upstream;
		let pg;
		let rd;
		let caddy;
		let ok = false;

		before(async () => {
			upstream = await startUpstream();
			pg = await startRedisProxy(POSTGRES); // a plain TCP proxy, for PostgreSQL too
			rd = await startRedisProxy(REDIS);
			const adminPort = await freePort();
			const metricsPort = await freePort();
			caddy = await startCaddy({
				makeConfig: ({ dir, port }) =>
					opsCaddyfile({
						dir,
						port,
						adminPort,
						metricsPort,
						upstreamPort: upstream.port,
						storeLines: `store postgres ${token(pg.url)} {\n\t\t\t\tschema ${cluster.schema}\n\t\t\t}`,
						cacheLine: `cache redis ${token(rd.url)} {\n\t\t\t\tkey_prefix ${cluster.keyPrefix}\n\t\t\t}`,
						projectLines: [`secret ${cluster.secret}`],
					}),
			});
		});

		after(async () => {
			if (caddy) {
				await caddy.stop();
				if (!ok) process.stderr.write(`\n--- Caddy output ---\n${caddy.tail(200)}\n`);
				else if (process.env.E2E_KEEP_TMP !== '1') await rm(caddy.dir, { recursive: true, force: true });
			}
			await pg?.close();
			await rd?.close();
			await upstream?.close();
			await dropSchema(cluster).catch((err) => process.stderr.write(`# dropping the schema: ${err.message}\n`));
			await dropRedisKeys(cluster);
		});

		async function probe(what, { status, store, redis }) {
			const start = Date.now();
			const res = await rawRequest(`${caddy.origin}/healthz`);
			const took = Date.now() - start;
			assert.ok(took < 3000, `${what}: the probe took ${took} ms`);
			assert.deepEqual(
				{ status: res.status, body: res.json?.status, store: res.json?.checks?.store?.status, redis: res.json?.checks?.redis?.status },
				{ status, body: status === 200 ? 'pass' : 'fail', store, redis },
				`${what}: ${res.text}`,
			);
			const live = await rawRequest(`${caddy.origin}/livez`);
			assert.equal(live.status, 200, `${what}: liveness ${live.text}`);
		}

		const readyAgain = (what) =>
			waitUntil(async () => (await rawRequest(`${caddy.origin}/healthz`)).status === 200, { what, timeout: 15_000, detail: () => caddy.tail() });

		test('PostgreSQL down and back, then Redis down and back', async () => {
			await probe('both up', { status: 200, store: 'pass', redis: 'pass' });
			await pg.down();
			await probe('PostgreSQL down', { status: 503, store: 'fail', redis: 'pass' });
			await probe('PostgreSQL still down', { status: 503, store: 'fail', redis: 'pass' });
			await pg.up();
			await readyAgain('ready after PostgreSQL came back');
			await probe('PostgreSQL back', { status: 200, store: 'pass', redis: 'pass' });
			await rd.down();
			await probe('Redis down', { status: 503, store: 'pass', redis: 'fail' });
			await rd.up();
			await readyAgain('ready after Redis came back');
			await probe('Redis back', { status: 200, store: 'pass', redis: 'pass' });
			const text = caddy.output();
			assert.ok(text.includes('not ready') && text.includes('ready again'), 'readiness changes are logged');
			ok = true;
		});
	});
}
