// Signed identity assertions (account_gate `assertion`), with the real
// binary:
//
//   * examples/assertion-verifier, as written: its Go verifier is built
//     and run as the upstream; a signed-in request is verified there
//     against the JWKS (alg, kid, aud, exp); without a session nothing
//     reaches it; a spoofed X-Account-Assertion never does;
//   * two instances (A and B) on PostgreSQL and Redis: the upstream's
//     assertion verifies with node's crypto against the JWKS of either,
//     is reused across requests, names the session; after
//     `caddy accountgate assertion-keys rotate` both keys are in the JWKS
//     and new assertions on both instances carry the new kid, while the
//     old assertion still verifies; spoofed copies in any spelling never
//     reach the upstream.
//
// The cluster part needs ACCOUNTGATE_TEST_POSTGRES and
// ACCOUNTGATE_TEST_REDIS (scripts/test sets both); the example part needs
// `go` on PATH to build the verifier.

import assert from 'node:assert/strict';
import { execFile, spawn } from 'node:child_process';
import { createPublicKey, verify } from 'node:crypto';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { after, before, describe, test } from 'node:test';
import { fileURLToPath } from 'node:url';

import { freePort, globalOptions, PROJECT, rawRequest, startCaddy, startUpstream, uniqueEmail } from './harness.mjs';
import { dropRedisKeys, dropSchema, newCluster, pollFor } from './multinode-support.mjs';

const ROOT = path.join(path.dirname(fileURLToPath(import.meta.url)), '..');
const PASSWORD = 'password123';
const POSTGRES = process.env.ACCOUNTGATE_TEST_POSTGRES;
const REDIS = process.env.ACCOUNTGATE_TEST_REDIS;

function run(file, args, opts = {}) {
	return new Promise((resolve) => {
		execFile(file, args, { timeout: 180_000, ...opts }, (err, stdout, stderr) => resolve({ code: err ? (err.code ?? 1) : 0, stdout, stderr }));
	});
}

const b64url = (s) => Buffer.from(s, 'base64url');

/** Verifies an ES256 JWT against a JWKS document; returns { header, claims } or throws. */
function verifyJWT(token, jwks, { audience, now = Date.now() / 1000 }) {
	const parts = token.split('.');
	assert.equal(parts.length, 3, 'a JWS compact token');
	const header = JSON.parse(b64url(parts[0]));
	assert.equal(header.alg, 'ES256');
	const jwk = jwks.keys.find((k) => k.kid === header.kid);
	assert.ok(jwk, `kid ${header.kid} is in the JWKS (${jwks.keys.map((k) => k.kid)})`);
	assert.equal(jwk.alg, 'ES256');
	assert.equal(jwk.use, 'sig');
	const key = createPublicKey({ key: jwk, format: 'jwk' });
	const ok = verify('sha256', Buffer.from(`${parts[0]}.${parts[1]}`), { key, dsaEncoding: 'ieee-p1363' }, b64url(parts[2]));
	assert.ok(ok, 'the signature verifies against the JWKS');
	const claims = JSON.parse(b64url(parts[1]));
	assert.equal(claims.aud, audience);
	assert.ok(claims.exp > now, 'not expired');
	assert.ok(claims.iat <= now + 5, 'issued in the past');
	return { header, claims };
}

async function signUpAndIn(origin, project) {
	const email = uniqueEmail('assert');
	const headers = { 'Content-Type': 'application/json', 'X-Appwrite-Project': project };
	const created = await fetch(`${origin}/v1/account`, {
		method: 'POST',
		headers,
		body: JSON.stringify({ userId: 'unique()', email, password: PASSWORD, name: 'Asserted' }),
	});
	const user = JSON.parse(await created.text());
	assert.equal(created.status, 201, JSON.stringify(user));
	const signedIn = await fetch(`${origin}/v1/account/sessions/email`, { method: 'POST', headers, body: JSON.stringify({ email, password: PASSWORD }) });
	const session = JSON.parse(await signedIn.text());
	assert.equal(signedIn.status, 201);
	const cookie = signedIn.headers
		.getSetCookie()
		.map((c) => c.split(';')[0])
		.find((c) => c.startsWith(`a_session_${project}=`));
	assert.ok(cookie);
	return { email, cookie, user, session };
}

/** The headers a recording upstream saw whose name is X-Account-Assertion in any spelling. */
function assertionHeaders(seen) {
	return seen.headers.filter(([n]) => n.toLowerCase().replaceAll('_', '-') === 'x-account-assertion');
}

const SPOOFS = [
	['X-Account-Assertion', 'eyJhbGciOiJub25lIn0.eyJzdWIiOiJhZG1pbiJ9.'],
	['x_account_assertion', 'forged'],
];

describe('examples/assertion-verifier', () => {
	let caddy;
	let verifier;
	let tmp;
	let verifierOutput = '';
	before(async () => {
		tmp = await mkdtemp(path.join(os.tmpdir(), 'accountgate-e2e-verifier-'));
		const bin = path.join(tmp, 'assertion-verifier');
		const built = await run('go', ['build', '-o', bin, './examples/assertion-verifier'], { cwd: ROOT });
		// Go builds the Caddy binary too: a missing go is a broken set-up, not a skip.
		assert.equal(built.code, 0, `go build: ${built.code} ${built.stderr}`);
		const vport = await freePort();
		const example = await readFile(path.join(ROOT, 'examples', 'assertion-verifier', 'Caddyfile'), 'utf8');
		caddy = await startCaddy({
			project: 'demo',
			makeConfig: ({ dir, port }) => {
				let text = example;
				for (const [from, to] of [
					['{$PORT:8080}', String(port)],
					['./data/demo.db', path.join(dir, 'demo.db')],
					['{$APP_UPSTREAM:127.0.0.1:3000}', `127.0.0.1:${vport}`],
				]) {
					assert.ok(text.includes(from), `the example no longer contains ${from}`);
					text = text.split(from).join(to);
				}
				return text;
			},
		});
		verifier = spawn(bin, ['-listen', `127.0.0.1:${vport}`, '-jwks', `${caddy.origin}/.well-known/jwks.json`, '-audience', caddy.origin], {
			stdio: ['ignore', 'pipe', 'pipe'],
		});
		verifier.stdout.on('data', (d) => (verifierOutput += d));
		verifier.stderr.on('data', (d) => (verifierOutput += d));
		const up = await pollFor(
			async () => {
				try {
					return (await rawRequest(`http://127.0.0.1:${vport}/`)).status === 401;
				} catch {
					return false;
				}
			},
			{ timeout: 10_000 },
		);
		assert.ok(up.ms !== null, `the verifier did not start: ${verifierOutput}`);
	});
	after(async () => {
		verifier?.kill('SIGTERM');
		await caddy?.stop();
		if (caddy) await rm(caddy.dir, { recursive: true, force: true });
		if (tmp) await rm(tmp, { recursive: true, force: true });
	});

	test('the Go verifier accepts the gate\'s assertion and nothing else', async () => {
		const { cookie, user, session } = await signUpAndIn(caddy.origin, 'demo');
		const res = await rawRequest(`${caddy.origin}/orders/7`, { headers: [['Cookie', cookie], ...SPOOFS] });
		assert.equal(res.status, 200, `${res.status} ${res.text}\n${verifierOutput}`);
		assert.equal(res.json.verified, true);
		assert.equal(res.json.user, user.$id);
		assert.equal(res.json.session, session.$id);
		assert.equal(res.json.email, user.email);
		assert.equal(res.json.path, '/orders/7');
		const jwks = await (await fetch(`${caddy.origin}/.well-known/jwks.json`)).json();
		assert.equal(res.json.kid, jwks.keys[0].kid);
		// Without a session the gate refuses; a forged assertion alone does
		// not get through either (and the verifier itself refuses it).
		const anon = await rawRequest(`${caddy.origin}/orders/7`, { headers: SPOOFS });
		assert.equal(anon.status, 401);
		assert.match(anon.text, /general_unauthorized_scope/);
	});
});

if (!POSTGRES || !REDIS) {
	const why = 'the rotation test needs PostgreSQL and Redis: ACCOUNTGATE_TEST_POSTGRES and ACCOUNTGATE_TEST_REDIS (scripts/test sets both)';
	process.stderr.write(`# e2e/assertion.test.mjs: cluster part skipped: ${why}\n`);
	test('assertion keys rotated across instances', { skip: why }, () => {});
} else {
	cluster();
}

/** A node's Caddyfile: the multi-node one with a gate that sends assertions. */
function nodeConfig({ dir, port, upstreamPort, cluster }) {
	return `{
${globalOptions(dir)}
	accountgate {
		project ${PROJECT} {
			store postgres ${JSON.stringify(cluster.postgres)} {
				schema ${cluster.schema}
			}
			cache redis ${JSON.stringify(cluster.redis)} {
				key_prefix ${cluster.keyPrefix}
			}
			secret ${cluster.secret}
			platform localhost
			public_url ${cluster.publicURL}
		}
	}
}

http://localhost:${port} {
	account_api ${PROJECT}
	account_gate ${PROJECT} {
		assertion https://app.example.com {
			lifetime 2m
		}
	}
	reverse_proxy 127.0.0.1:${upstreamPort}
}
`;
}

function cluster() {
	describe('assertions on two instances, and a rotation by the command', () => {
		const c = newCluster({ postgres: POSTGRES, redis: REDIS });
		const nodes = [];
		let upstream;
		let A;
		let B;
		let signedIn;
		let first; // { token, kid }

		before(async () => {
			upstream = await startUpstream();
			// One after the other: the first creates the key, the second loads it.
			for (const name of ['A', 'B']) {
				const dir = await mkdtemp(path.join(os.tmpdir(), `accountgate-e2e-assert-${name}-`));
				nodes.push(await startCaddy({ dir, makeConfig: ({ dir, port }) => nodeConfig({ dir, port, upstreamPort: upstream.port, cluster: c }) }));
			}
			[A, B] = nodes;
			signedIn = await signUpAndIn(A.origin, PROJECT);
		});
		after(async () => {
			await Promise.all(nodes.map((n) => n.stop()));
			if (process.env.E2E_KEEP_TMP !== '1') {
				await Promise.all(nodes.map((n) => rm(n.dir, { recursive: true, force: true })));
				await dropSchema(c);
				await dropRedisKeys(c);
			}
			await upstream?.close();
		});

		async function jwksOf(node) {
			const res = await fetch(`${node.origin}/.well-known/jwks.json`);
			assert.equal(res.status, 200);
			assert.equal(res.headers.get('content-type'), 'application/jwk-set+json');
			assert.match(res.headers.get('cache-control'), /max-age=\d+/);
			return res.json();
		}

		/** A gated GET with spoofed assertions; returns the one assertion the upstream got. */
		async function through(node) {
			const p = `/app/${node === A ? 'A' : 'B'}/${Math.random().toString(36).slice(2)}`;
			const res = await rawRequest(node.origin + p, { headers: [['Cookie', signedIn.cookie], ...SPOOFS] });
			assert.equal(res.status, 200, res.text);
			const seen = upstream.requests.find((r) => r.url === p);
			assert.ok(seen, 'the upstream got the request');
			const got = assertionHeaders(seen);
			assert.equal(got.length, 1, `exactly one assertion header upstream, ours: ${JSON.stringify(got)}`);
			assert.equal(got[0][0].toLowerCase(), 'x-account-assertion');
			assert.doesNotMatch(got[0][1], /forged|eyJhbGciOiJub25lIn0/);
			return got[0][1];
		}

		test('the upstream gets an assertion that verifies against the JWKS, reused per session', async () => {
			const jwks = await jwksOf(A);
			assert.deepEqual(await jwksOf(B), jwks, 'both instances serve the same keys');
			assert.equal(jwks.keys.length, 1);
			const token = await through(A);
			const { header, claims } = verifyJWT(token, jwks, { audience: 'https://app.example.com' });
			assert.equal(header.kid, jwks.keys[0].kid);
			assert.equal(claims.sub, signedIn.user.$id);
			assert.equal(claims.sid, signedIn.session.$id);
			assert.equal(claims.email, signedIn.email);
			assert.equal(claims.name, 'Asserted');
			assert.equal(claims.email_verified, false);
			assert.equal(claims.phone_verified, false);
			assert.equal(claims.exp - claims.iat, 120);
			assert.equal(await through(A), token, 'the next request reuses the assertion');
			assert.equal(await through(A), token, 'and the next');
			verifyJWT(await through(B), jwks, { audience: 'https://app.example.com' });
			first = { token, kid: header.kid };
		});

		test('a rotation by the command: both keys in the JWKS, new assertions with the new kid on both instances', async () => {
			assert.ok(first, 'the first test ran');
			const cmd = await run(process.env.CADDY_BIN, [
				'accountgate', 'assertion-keys', 'rotate', '--json',
				'--config', path.join(A.dir, 'Caddyfile'), '--adapter', 'caddyfile', '--project', PROJECT,
			], { cwd: A.dir, timeout: 30_000 });
			assert.equal(cmd.code, 0, `rotate: ${cmd.stdout}\n${cmd.stderr}`);
			const out = JSON.parse(cmd.stdout);
			assert.notEqual(out.rotated, first.kid);
			assert.deepEqual(out.keys, [out.rotated, first.kid]);
			for (const node of [A, B]) {
				// Announced through Redis: each instance reloads at once.
				let jwks;
				const r = await pollFor(
					async () => {
						jwks = await jwksOf(node);
						return jwks.keys[0]?.kid === out.rotated;
					},
					{ timeout: 5000, interval: 50 },
				);
				assert.ok(r.ms !== null, `the new key is not first in the JWKS: ${JSON.stringify(jwks)}`);
				assert.deepEqual(jwks.keys.map((k) => k.kid), [out.rotated, first.kid]);
				const token = await through(node);
				assert.notEqual(token, first.token);
				const { header, claims } = verifyJWT(token, jwks, { audience: 'https://app.example.com' });
				assert.equal(header.kid, out.rotated);
				assert.equal(claims.sid, signedIn.session.$id);
				// Signed before the rotation, still valid: the old key overlaps.
				assert.equal(verifyJWT(first.token, jwks, { audience: 'https://app.example.com' }).header.kid, first.kid);
			}
		});

		test('a signed-out session gets no assertion', async () => {
			const out = await fetch(`${A.origin}/v1/account/sessions/current`, {
				method: 'DELETE',
				headers: { 'X-Appwrite-Project': PROJECT, Cookie: signedIn.cookie },
			});
			assert.equal(out.status, 204);
			for (const node of [A, B]) {
				// B hears of it through Redis, within a moment.
				const r = await pollFor(async () => (await rawRequest(`${node.origin}/gone`, { headers: [['Cookie', signedIn.cookie]] })).status === 401, {
					timeout: 2000,
				});
				assert.ok(r.ms !== null, 'the signed-out session is refused');
				const p = `/gone/${Math.random().toString(36).slice(2)}`;
				const res = await rawRequest(node.origin + p, { headers: [['Cookie', signedIn.cookie]] });
				assert.equal(res.status, 401);
				assert.ok(!upstream.requests.some((s) => s.url === p), 'nothing reached the upstream');
			}
		});
	});
}
