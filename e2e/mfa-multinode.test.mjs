// MFA across two instances sharing PostgreSQL and Redis: a session that
// has not proved its second factor is refused at B's gate (401
// user_more_factors_required), and once the TOTP challenge is completed on
// A the same session passes B's gate within a second.

import assert from 'node:assert/strict';
import { before, describe, test } from 'node:test';

import { uniqueEmail } from './harness.mjs';
import { api, gate, newCluster, pollFor, startNode, useNodes } from './multinode-support.mjs';
import { totp } from './totp.mjs';

const POSTGRES = process.env.ACCOUNTGATE_TEST_POSTGRES;
const REDIS = process.env.ACCOUNTGATE_TEST_REDIS;
const missing = !POSTGRES || !REDIS;
if (missing) {
	process.stderr.write('# e2e/mfa-multinode.test.mjs skipped: ACCOUNTGATE_TEST_POSTGRES and ACCOUNTGATE_TEST_REDIS are not set (scripts/test sets both)\n');
}

/** The session cookie a sign-in answered with, as a Cookie header value. */
function sessionCookie(res) {
	const c = res.headers
		.getSetCookie()
		.map((v) => v.split(';')[0])
		.find((v) => /^a_session_[^=]+=/.test(v) && !v.includes('_legacy='));
	assert.ok(c, `no session cookie: ${res.status} ${res.text}`);
	return c;
}

describe('MFA on two instances', { skip: missing && 'needs ACCOUNTGATE_TEST_POSTGRES and ACCOUNTGATE_TEST_REDIS' }, () => {
	const cluster = missing ? null : newCluster({ postgres: POSTGRES, redis: REDIS });
	const instances = useNodes(cluster, (upstream) =>
		['mfa-a', 'mfa-b'].map((name) => startNode({ name, upstreamPort: upstream.port, cluster, projectLines: ['rate_limit off'] })),
	);
	let upstream, a, b;
	before(() => ({ upstream, nodes: [a, b] } = instances));

	test('a half-signed-in session is refused on B until the challenge is completed on A', async () => {
		const email = uniqueEmail('mfa-nodes');
		const body = { email, password: 'password123' };
		assert.equal((await api(a, '/v1/account', { method: 'POST', body: { userId: 'unique()', ...body } })).status, 201);
		const first = sessionCookie(await api(a, '/v1/account/sessions/email', { method: 'POST', body }));
		const auth = { Cookie: first };

		// A TOTP authenticator, verified with the code of this time step.
		const made = await api(a, '/v1/account/mfa/authenticators/totp', { method: 'POST', headers: auth });
		assert.equal(made.status, 200, made.text);
		const secret = made.json.secret;
		const step = Math.floor(Date.now() / 30_000);
		const verified = await api(a, '/v1/account/mfa/authenticators/totp', { method: 'PUT', headers: auth, body: { otp: totp(secret, step) } });
		assert.equal(verified.status, 200, verified.text);
		const on = await api(a, '/v1/account/mfa', { method: 'PATCH', headers: auth, body: { mfa: true } });
		assert.equal(on.status, 200, on.text);

		// A new sign-in is half signed in: B's gate refuses it.
		const second = sessionCookie(await api(a, '/v1/account/sessions/email', { method: 'POST', body }));
		const refused = await gate(b, upstream, [['Cookie', second]]);
		assert.equal(refused.status, 401, refused.text);
		assert.equal(refused.json?.type, 'user_more_factors_required');
		assert.equal(refused.reached.length, 0);

		// The challenge, completed on A with the next step's code (the
		// verification spent this step's).
		const challenge = await api(a, '/v1/account/mfa/challenge', { method: 'POST', headers: { Cookie: second }, body: { factor: 'totp' } });
		assert.equal(challenge.status, 201, challenge.text);
		const done = await api(a, '/v1/account/mfa/challenge', {
			method: 'PUT',
			headers: { Cookie: second },
			body: { challengeId: challenge.json.$id, otp: totp(secret, step + 1) },
		});
		assert.ok(done.status === 200 || done.status === 201, done.text);

		const passed = await pollFor(async () => (await gate(b, upstream, [['Cookie', second]])).status === 200, { timeout: 1000 });
		assert.notEqual(passed.ms, null, `B still refused the session ${Math.round(passed.took)} ms after the challenge on A`);
	});
});
