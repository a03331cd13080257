// The example configurations, run as written against a real Caddy binary:
//
//   * examples/public-and-gated: a browser without a session is sent to the
//     public /login page (which is served, not redirected again: no loop),
//     the page's assets are public, and after a sign-in through the API the
//     gated page reaches the upstream with the identity headers;
//   * examples/multi-node: two instances of the one file on PostgreSQL and
//     Redis: a session made on A works on B, a sign-out on B is refused on A.
//
// Only what a test must own is substituted in the files: the port, the
// upstream, the public folder, and for multi-node a fresh schema and key
// prefix (so runs never share data or counters).

import assert from 'node:assert/strict';
import { readFile, rm } from 'node:fs/promises';
import path from 'node:path';
import { after, before, describe, test } from 'node:test';
import { fileURLToPath } from 'node:url';

import { headerValues, newCaddyDir, rawRequest, startCaddy, startUpstream, uniqueEmail } from './harness.mjs';
import { dropRedisKeys, dropSchema, newCluster, pollFor } from './multinode-support.mjs';

const EXAMPLES = path.join(path.dirname(fileURLToPath(import.meta.url)), '..', 'examples');
const PASSWORD = 'password123';

/** Replaces each `from` in text, failing when one is not there (the example changed). */
function substitute(text, pairs) {
	for (const [from, to] of pairs) {
		assert.ok(text.includes(from), `the example no longer contains ${JSON.stringify(from)}`);
		text = text.split(from).join(to);
	}
	return text;
}

/** Signs up and in on origin; returns the Cookie header value of the session. */
async function signUpAndIn(origin, project) {
	const email = uniqueEmail('example');
	const headers = { 'Content-Type': 'application/json', 'X-Appwrite-Project': project };
	const created = await fetch(`${origin}/v1/account`, {
		method: 'POST',
		headers,
		body: JSON.stringify({ userId: 'unique()', email, password: PASSWORD, name: 'Example' }),
	});
	assert.equal(created.status, 201, await created.text());
	const signedIn = await fetch(`${origin}/v1/account/sessions/email`, { method: 'POST', headers, body: JSON.stringify({ email, password: PASSWORD }) });
	const text = await signedIn.text();
	assert.equal(signedIn.status, 201, text);
	const cookie = signedIn.headers
		.getSetCookie()
		.map((c) => c.split(';')[0])
		.find((c) => c.startsWith(`a_session_${project}=`));
	assert.ok(cookie, 'the sign-in set the session cookie');
	return { email, cookie, session: JSON.parse(text) };
}

describe('examples/public-and-gated', () => {
	let upstream;
	let caddy;
	before(async () => {
		upstream = await startUpstream();
		const example = await readFile(path.join(EXAMPLES, 'public-and-gated', 'Caddyfile'), 'utf8');
		caddy = await startCaddy({
			project: 'demo',
			makeConfig: ({ dir, port }) =>
				substitute(example, [
					['{$PORT:8080}', String(port)],
					['./data/demo.db', path.join(dir, 'demo.db')],
					['{$PUBLIC_ROOT:./public}', path.join(EXAMPLES, 'public-and-gated', 'public')],
					['{$APP_UPSTREAM:127.0.0.1:3000}', `127.0.0.1:${upstream.port}`],
				]),
		});
	});
	after(async () => {
		await caddy?.stop();
		if (caddy) await rm(caddy.dir, { recursive: true, force: true });
		await upstream?.close();
	});

	test('a browser without a session lands on the public sign-in page, once', async () => {
		const page = await rawRequest(`${caddy.origin}/reports/2026?tab=1`, { headers: [['Accept', 'text/html']] });
		assert.equal(page.status, 302, page.text);
		const location = page.headers.location;
		assert.equal(location, `/login?return=${encodeURIComponent('/reports/2026?tab=1')}`);

		const login = await rawRequest(caddy.origin + location, { headers: [['Accept', 'text/html']] });
		assert.equal(login.status, 200, `the sign-in page must be served, not gated again: ${login.status} ${login.headers.location ?? ''}`);
		assert.match(login.text, /<form id="signin">/);
		for (const asset of ['/assets/login.js', '/assets/login.css']) {
			const res = await rawRequest(caddy.origin + asset);
			assert.equal(res.status, 200, `${asset} is public`);
		}
		assert.equal(upstream.requests.length, 0, 'nothing reached the app');
	});

	test('after a sign-in the gated page reaches the app with the identity', async () => {
		const { email, cookie } = await signUpAndIn(caddy.origin, 'demo');
		const res = await rawRequest(`${caddy.origin}/reports/2026`, { headers: [['Cookie', cookie]] });
		assert.equal(res.status, 200, res.text);
		const seen = upstream.requests.at(-1);
		assert.equal(seen.url, '/reports/2026');
		assert.deepEqual(headerValues(seen.headers, 'X-Account-Email'), [email]);
	});
});

const POSTGRES = process.env.ACCOUNTGATE_TEST_POSTGRES;
const REDIS = process.env.ACCOUNTGATE_TEST_REDIS;
const missing = !POSTGRES || !REDIS;
if (missing) {
	process.stderr.write('# examples/multi-node skipped: ACCOUNTGATE_TEST_POSTGRES and ACCOUNTGATE_TEST_REDIS are not set (scripts/test sets both)\n');
}

describe('examples/multi-node', { skip: missing && 'needs ACCOUNTGATE_TEST_POSTGRES and ACCOUNTGATE_TEST_REDIS' }, () => {
	const cluster = missing ? null : newCluster({ postgres: POSTGRES, redis: REDIS });
	const nodes = [];
	let upstream;
	before(async () => {
		upstream = await startUpstream();
		const example = await readFile(path.join(EXAMPLES, 'multi-node', 'Caddyfile'), 'utf8');
		for (const name of ['a', 'b']) {
			const dir = await newCaddyDir();
			const node = await startCaddy({
				dir,
				project: 'demo',
				makeConfig: ({ port }) =>
					substitute(example, [
						['{$ADMIN_LISTEN:localhost:2019}', 'off'],
						['{env.DATABASE_URL}', cluster.postgres],
						['{env.REDIS_URL}', cluster.redis],
						['{env.ACCOUNT_SECRET}', cluster.secret],
						['schema accountgate', `schema ${cluster.schema}`],
						['key_prefix accountgate:demo:', `key_prefix ${cluster.keyPrefix}`],
						// Both nodes answer under the one public URL, as behind a load balancer.
						[':{$PORT:8080}', `http://localhost:${port}`],
						['{$APP_UPSTREAM:127.0.0.1:3000}', `127.0.0.1:${upstream.port}`],
					]),
			});
			nodes.push(node);
		}
	});
	after(async () => {
		for (const node of nodes) {
			await node.stop();
			await rm(node.dir, { recursive: true, force: true });
		}
		await upstream?.close();
		if (cluster) {
			await dropSchema(cluster);
			await dropRedisKeys(cluster);
		}
	});

	test('the health checks answer without a session', async () => {
		for (const node of nodes) {
			const ready = await fetch(`${node.origin}/healthz`);
			const body = await ready.json();
			assert.equal(ready.status, 200, JSON.stringify(body));
			assert.equal(body.status, 'pass');
			assert.equal(body.checks.store.status, 'pass');
			assert.equal(body.checks.redis.status, 'pass');
			assert.equal((await fetch(`${node.origin}/livez`)).status, 200);
		}
	});

	test('a session made on A works on B, and a sign-out on B is refused on A', async () => {
		const [a, b] = nodes;
		// The public URL is https://app.example.com: the API checks Origin
		// against it, so requests carry no Origin (server-side clients).
		const { cookie, session } = await signUpAndIn(a.origin, 'demo');
		const onB = await rawRequest(`${b.origin}/app`, { headers: [['Cookie', cookie]] });
		assert.equal(onB.status, 200, onB.text);

		// Warm A's cache, then sign out on B.
		assert.equal((await rawRequest(`${a.origin}/app`, { headers: [['Cookie', cookie]] })).status, 200);
		const out = await fetch(`${b.origin}/v1/account/sessions/${session.$id}`, {
			method: 'DELETE',
			headers: { 'X-Appwrite-Project': 'demo', Cookie: cookie },
		});
		assert.equal(out.status, 204, await out.text());
		const refused = await pollFor(async () => (await rawRequest(`${a.origin}/app`, { headers: [['Cookie', cookie]] })).status === 401, {
			timeout: 1000,
		});
		assert.notEqual(refused.ms, null, `A still let the signed-out session through after ${Math.round(refused.took)} ms`);
	});
});
