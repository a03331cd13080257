// Shared state survives `caddy reload`: two real Caddy processes, A and
// B, sharing one PostgreSQL schema and one Redis key prefix; A's admin
// endpoint is on (on a free loopback port, for this test only) and A is
// reloaded through it (POST /load, forced), twice, then four times more.
// After each round:
//
//   * A still trusts its verification cache: a session deleted directly in
//     PostgreSQL still passes on A, which it may only while revocations
//     arrive (the old configuration's shutdown used to mark the shared
//     Redis client unhealthy for good, so A checked PostgreSQL every time);
//   * a sign-out on B is refused on A within 1 s (API and gate);
//   * a rate limit counted before the reloads still holds after them.
//
// Needs ACCOUNTGATE_TEST_POSTGRES, ACCOUNTGATE_TEST_REDIS and psql, like
// multinode.test.mjs.

import assert from 'node:assert/strict';
import { rm } from 'node:fs/promises';
import { before, describe, test } from 'node:test';

import { freePort, PROJECT, startCaddy, uniqueEmail } from './harness.mjs';
import {
	api,
	brief,
	deleteSessionRow,
	gate,
	newCluster,
	nodeCaddyfile,
	pollFor,
	startNode,
	useNodes,
} from './multinode-support.mjs';

const POSTGRES = process.env.ACCOUNTGATE_TEST_POSTGRES;
const REDIS = process.env.ACCOUNTGATE_TEST_REDIS;
const PASSWORD = 'password123';
const LIMIT = 3; // account.create per IP and hour
const PROJECT_LINES = [`rate_limit account.create ${LIMIT}`, 'rate_limit sessions.anonymous 0'];
const REVOCATION_DEADLINE = 1000; // ms

if (!POSTGRES || !REDIS) {
	const why = 'the reload test needs PostgreSQL and Redis: ACCOUNTGATE_TEST_POSTGRES and ACCOUNTGATE_TEST_REDIS (scripts/test sets both)';
	process.stderr.write(`# e2e/reload.test.mjs skipped: ${why}\n`);
	test('shared state survives caddy reload', { skip: why }, () => {});
} else {
	reloadTests();
}

/** POSTs the Caddyfile to A's admin endpoint; must-revalidate forces a reload of an unchanged config. */
async function reload(node) {
	const res = await fetch(`http://127.0.0.1:${node.adminPort}/load`, {
		method: 'POST',
		// The admin API checks Origin (it refuses requests without one).
		headers: { 'Content-Type': 'text/caddyfile', 'Cache-Control': 'must-revalidate', Origin: `http://127.0.0.1:${node.adminPort}` },
		body: node.config,
	});
	const text = await res.text();
	assert.equal(res.status, 200, `reload of ${node.name} through its admin API: ${res.status} ${text}`);
}

/** POST /v1/account from `ip` (loopback is a trusted proxy, so X-Forwarded-For picks the client IP). */
function signUp(node, ip, email = uniqueEmail('reload')) {
	return api(node, '/v1/account', {
		method: 'POST',
		headers: { 'X-Forwarded-For': ip },
		body: { userId: 'unique()', email, password: PASSWORD },
	});
}

function reloadTests() {
	describe('shared state survives caddy reload', () => {
		const cluster = newCluster({ postgres: POSTGRES, redis: REDIS });
		let adminPort = 0;
		const instances = useNodes(cluster, async (upstream) => {
			adminPort = await freePort();
			// A: the nodes' Caddyfile with the admin endpoint on.
			const a = startCaddy({
				makeConfig: ({ dir, port }) =>
					nodeCaddyfile({ dir, port, upstreamPort: upstream.port, cluster, projectLines: PROJECT_LINES }).replace(
						'\tadmin off\n',
						`\tadmin 127.0.0.1:${adminPort}\n`,
					),
			}).then((a) => ({ ...a, name: 'A', adminPort, remove: () => rm(a.dir, { recursive: true, force: true }) }));
			return [a, startNode({ name: 'B', upstreamPort: upstream.port, cluster, projectLines: PROJECT_LINES })];
		});
		let upstream, A, B;
		before(() => {
			({ upstream, nodes: [A, B] } = instances);
			assert.match(A.config, new RegExp(`admin 127\\.0\\.0\\.1:${adminPort}`), 'A has its admin endpoint');
		});

		/**
		 * The cache-trust probe of multinode.test.mjs: an anonymous session
		 * made on B, verified twice on `node`, deleted in PostgreSQL behind
		 * the instances' backs, then asked for again on `node`: true when
		 * `node` still accepts it (it served it from its cache, which it only
		 * does while revocations arrive).
		 */
		async function trustsCache(node) {
			const made = await api(B, '/v1/account/sessions/anonymous', { method: 'POST' });
			assert.equal(made.status, 201, `probe: anonymous session on B: ${brief(made)}`);
			const fallback = made.headers.get('x-fallback-cookies');
			for (let i = 0; i < 2; i++) {
				const warm = await api(node, '/v1/account', { headers: { 'X-Fallback-Cookies': fallback } });
				assert.equal(warm.status, 200, `probe: the new session on ${node.name}: ${brief(warm)}`);
			}
			await deleteSessionRow(cluster, made.json.$id);
			const res = await api(node, '/v1/account', { headers: { 'X-Fallback-Cookies': fallback } });
			return res.status === 200;
		}

		const limitedIP = '198.51.100.7';

		/** A user signed up (from its own IP) and signed in on A. */
		async function signedIn() {
			const email = uniqueEmail('reload');
			const made = await signUp(A, `198.51.100.${10 + Math.floor(Math.random() * 200)}`, email);
			assert.equal(made.status, 201, `sign-up: ${brief(made)}`);
			const session = await api(A, '/v1/account/sessions/email', { method: 'POST', body: { email, password: PASSWORD } });
			assert.equal(session.status, 201, `sign-in: ${brief(session)}`);
			const fallback = session.headers.get('x-fallback-cookies');
			assert.ok(fallback, 'X-Fallback-Cookies on the sign-in');
			return { id: made.json.$id, fallback };
		}

		test('before the reloads: A trusts its cache; the rate limit is counted to its end on A', async () => {
			assert.equal(await trustsCache(A), true, 'control: A trusts its cache before any reload');
			for (let i = 1; i <= LIMIT; i++) {
				const r = await signUp(A, limitedIP);
				assert.equal(r.status, 201, `sign-up ${i} of ${LIMIT} from ${limitedIP}: ${brief(r)}`);
			}
		});

		// Whether the old configuration's shutdown overtook the new one's
		// subscription depended on timing, so the checks run after the two
		// reloads and again after four more.
		for (const [round, reloads] of [
			['first', 2],
			['second', 4],
		]) {
			let user = null;

			test(`${round} round: a user signs in on A, then A reloads ${reloads} times through its admin API`, async () => {
				user = await signedIn();
				for (let i = 0; i < reloads; i++) await reload(A);
				const me = await api(A, '/v1/account', { headers: { 'X-Fallback-Cookies': user.fallback } });
				assert.equal(me.status, 200, `the session on A after the reloads: ${brief(me)}`);
			});

			test(`${round} round: after the reloads A still trusts its cache (its revocation channel is healthy)`, async () => {
				assert.equal(await trustsCache(A), true, 'A checked PostgreSQL for a cached session: it no longer trusts its revocation channel');
			});

			test(`${round} round: after the reloads a sign-out on B is refused on A within 1 s (API and gate)`, async () => {
				const headers = { 'X-Fallback-Cookies': user.fallback };
				// Warm A's (new) cache, so that only a revocation can make it refuse.
				for (let i = 0; i < 2; i++) {
					const warm = await api(A, '/v1/account', { headers });
					assert.equal(warm.status, 200, `the session on A: ${brief(warm)}`);
				}
				const out = await api(B, '/v1/account/sessions/current', { method: 'DELETE', headers });
				assert.equal(out.status, 204, `sign-out on B: ${brief(out)}`);
				let lastApi = null;
				let lastGate = null;
				const r = await pollFor(
					async () => {
						[lastApi, lastGate] = await Promise.all([
							api(A, '/v1/account', { headers }),
							gate(A, upstream, [['X-Fallback-Cookies', user.fallback]]),
						]);
						return lastApi.status === 401 && lastGate.status === 401;
					},
					{ timeout: REVOCATION_DEADLINE, interval: 50 },
				);
				assert.notEqual(r.ms, null, `still accepted on A ${REVOCATION_DEADLINE} ms after the sign-out on B: API ${brief(lastApi)}; gate ${brief(lastGate)}`);
				assert.equal(lastGate.reached.length, 0, 'the upstream is not reached with the signed-out session');
			});

			test(`${round} round: after the reloads the rate limit counted before them still holds, on A and on B`, async () => {
				const onA = await signUp(A, limitedIP);
				assert.equal(onA.status, 429, `sign-up ${LIMIT + 1} from ${limitedIP} on A after the reloads: ${brief(onA)}`);
				assert.equal(onA.json?.type, 'general_rate_limit_exceeded');
				const onB = await signUp(B, limitedIP);
				assert.equal(onB.status, 429, `the same on B: ${brief(onB)}`);
			});
		}
	});
}
