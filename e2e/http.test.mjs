// Wire-level checks with plain HTTP (no SDK): cookies, X-Fallback-Cookies,
// CORS, pipeline errors, and the gate in front of a real upstream through
// Caddy's reverse_proxy.
//
// Contract: /work/shared/spec/appwrite-1.3-facts.md (part A decisions 29, 32,
// 33, 35; §1.1, §1.4, §1.6, §2.1, §2.2, §5.2, §5.23) and /work/shared/DESIGN.md
// (the gate's identity headers).

import assert from 'node:assert/strict';
import { describe, test } from 'node:test';

import { headerValues, parseSetCookie, PROJECT, randomSuffix, rawRequest, uniqueEmail, useCaddy } from './harness.mjs';

// These tests make more accounts and sign-ins than the default limits allow
// per IP and hour (§3.2); the limits have their own tests in
// account-more.test.mjs.
const env = useCaddy({ projectLines: ['rate_limit off'] });

const PASSWORD = 'password123';
const MAIN = `a_session_${PROJECT}`;
const LEGACY = `a_session_${PROJECT}_legacy`;
const YEAR_MS = 31536000 * 1000;
const GUEST_SCOPE = 'User (role: guests) missing scope (account)';

/** fetch against Caddy with the project header and a JSON body. */
async function api(path, { method = 'GET', headers = {}, body } = {}) {
	const h = { 'X-Appwrite-Project': PROJECT, ...headers };
	const init = { method, headers: h, redirect: 'manual' };
	if (body !== undefined) {
		h['Content-Type'] ??= 'application/json';
		init.body = typeof body === 'string' ? body : JSON.stringify(body);
	}
	const res = await fetch(env.origin + path, init);
	const text = await res.text();
	let json = null;
	try {
		json = JSON.parse(text);
	} catch {
		json = null;
	}
	return { status: res.status, headers: res.headers, text, json, setCookie: res.headers.getSetCookie() };
}

function assertError(res, { status, type, message }, what = '') {
	const got = { status: res.status, type: res.json?.type };
	const want = { status, type };
	if (message !== undefined) {
		got.message = res.json?.message;
		want.message = message;
	}
	assert.deepEqual(got, want, `${what} response: ${res.status} ${res.text}`);
	assert.equal(res.json.code, status, 'error JSON code is the status as an integer');
	const ct = typeof res.headers.get === 'function' ? res.headers.get('content-type') : res.headers['content-type'];
	assert.match(ct ?? '', /^application\/json/, 'errors are JSON');
}

async function createUser(email = uniqueEmail('http')) {
	const res = await api('/v1/account', { method: 'POST', body: { userId: 'unique()', email, password: PASSWORD, name: 'Name' } });
	assert.equal(res.status, 201, `create account: ${res.text}`);
	return { user: res.json, email };
}

/** Signs in with email and password; returns the session and its credentials. */
async function login(email, headers = {}) {
	const res = await api('/v1/account/sessions/email', { method: 'POST', headers, body: { email, password: PASSWORD } });
	assert.equal(res.status, 201, `email session: ${res.text}`);
	const cookies = res.setCookie.map(parseSetCookie);
	const main = cookies.find((c) => c.name === MAIN);
	assert.ok(main, `Set-Cookie has ${MAIN}: ${JSON.stringify(res.setCookie)}`);
	return {
		res,
		session: res.json,
		cookies,
		cookieValue: main.value, // as sent by the server (URL-encoded), which is what a browser sends back
		fallback: res.headers.get('x-fallback-cookies'),
	};
}

async function signedIn() {
	const { user, email } = await createUser();
	return { user, email, ...(await login(email)) };
}

function marker() {
	return `/app?t=${randomSuffix()}`;
}

function upstreamSaw(path) {
	return env.upstream.requests.filter((r) => r.url === path);
}

describe('session cookies and X-Fallback-Cookies', () => {
	test('login sets a_session_test_legacy then a_session_test, host-only and HttpOnly', async () => {
		const { user, email } = await createUser();
		const { cookies, session, fallback } = await login(email);

		assert.deepEqual(
			cookies.map((c) => c.name),
			[LEGACY, MAIN],
			'two cookies, the legacy one first',
		);
		const [legacy, main] = cookies;
		for (const c of [legacy, main]) {
			assert.equal(c.attrs.httponly, true, `${c.name} HttpOnly`);
			assert.equal(c.attrs.path, '/', `${c.name} Path=/`);
			assert.ok(!('domain' in c.attrs), `${c.name} must be host-only (no Domain), got ${c.attrs.domain}`);
			assert.ok(c.attrs.expires, `${c.name} has Expires`);
			const ahead = Date.parse(c.attrs.expires) - Date.now();
			assert.ok(Math.abs(ahead - YEAR_MS) < 120_000, `${c.name} Expires ${c.attrs.expires} is about one year ahead`);
		}
		// Decision 29: main cookie SameSite=None and Secure always; legacy twin no SameSite, Secure only on https.
		assert.equal(String(main.attrs.samesite).toLowerCase(), 'none', 'main cookie SameSite=None');
		assert.equal(main.attrs.secure, true, 'main cookie Secure');
		assert.ok(!('samesite' in legacy.attrs), 'legacy cookie has no SameSite');
		assert.ok(!('secure' in legacy.attrs), 'legacy cookie is not Secure on http');

		// §2.1: the value is URL-encoded base64 of {"id":"<userId>","secret":"..."}.
		assert.equal(legacy.value, main.value, 'both cookies carry the same value');
		assert.doesNotMatch(main.value, /[=+/]/, 'the base64 value is URL-encoded in Set-Cookie');
		const b64 = decodeURIComponent(main.value);
		assert.match(b64, /^[A-Za-z0-9+/]+={0,2}$/, 'standard base64');
		const decoded = JSON.parse(Buffer.from(b64, 'base64').toString('utf8'));
		assert.deepEqual(Object.keys(decoded), ['id', 'secret']);
		assert.equal(decoded.id, user.$id);
		assert.equal(session.userId, user.$id);
		assert.ok(typeof decoded.secret === 'string' && decoded.secret.length >= 32, 'a secret');

		// §2.2: X-Fallback-Cookies is {"a_session_test":"<same base64 value>"}.
		assert.ok(fallback, 'X-Fallback-Cookies response header');
		assert.deepEqual(JSON.parse(fallback), { [MAIN]: b64 });
	});

	test('the cookie, the legacy cookie and the fallback header each authenticate', async () => {
		const s = await signedIn();
		for (const headers of [
			{ Cookie: `${MAIN}=${s.cookieValue}` },
			{ Cookie: `${LEGACY}=${s.cookieValue}` },
			{ 'X-Fallback-Cookies': s.fallback },
		]) {
			const res = await api('/v1/account', { headers });
			assert.equal(res.status, 200, `${JSON.stringify(headers)}: ${res.text}`);
			assert.equal(res.json.$id, s.user.$id);
		}
	});

	for (const value of ['', '[]', '{}', 'garbage', '{"a_session_test":"garbage"}', '{"a_session_test":"WyJub3QiLCJhbiIsIm9iamVjdCJd"}']) {
		test(`X-Fallback-Cookies ${JSON.stringify(value)} means no session (401, never 400/500)`, async () => {
			const res = await rawRequest(`${env.origin}/v1/account`, {
				headers: [
					['X-Appwrite-Project', PROJECT],
					['X-Fallback-Cookies', value],
				],
			});
			assertError(res, { status: 401, type: 'general_unauthorized_scope', message: GUEST_SCOPE });
		});
	}

	test('DELETE /v1/account/sessions/current clears both cookies and sends X-Fallback-Cookies []', async () => {
		const s = await signedIn();
		const res = await api('/v1/account/sessions/current', { method: 'DELETE', headers: { Cookie: `${MAIN}=${s.cookieValue}` } });
		assert.equal(res.status, 204, res.text);
		assert.equal(res.text, '');
		assert.equal(res.headers.get('x-fallback-cookies'), '[]');
		const cleared = res.setCookie.map(parseSetCookie);
		assert.deepEqual(
			cleared.map((c) => c.name).sort(),
			[LEGACY, MAIN].sort(),
			`both cookies are cleared: ${JSON.stringify(res.setCookie)}`,
		);
		for (const c of cleared) {
			assert.equal(c.value, '', `${c.name} is emptied`);
			const expired = (c.attrs.expires && Date.parse(c.attrs.expires) <= Date.now()) || (c.attrs['max-age'] !== undefined && Number(c.attrs['max-age']) <= 0);
			assert.ok(expired, `${c.name} is expired: ${JSON.stringify(c.attrs)}`);
			assert.equal(c.attrs.path, '/');
		}
		const after = await api('/v1/account', { headers: { Cookie: `${MAIN}=${s.cookieValue}` } });
		assertError(after, { status: 401, type: 'general_unauthorized_scope' });
	});
});

describe('CORS and origin', () => {
	test('preflight OPTIONS /v1/account from http://localhost is 204 with the CORS headers', async () => {
		const res = await api('/v1/account', {
			method: 'OPTIONS',
			headers: {
				Origin: 'http://localhost',
				'Access-Control-Request-Method': 'POST',
				'Access-Control-Request-Headers': 'content-type,x-appwrite-project,x-fallback-cookies',
			},
		});
		assert.equal(res.status, 204, res.text);
		assert.equal(res.headers.get('access-control-allow-origin'), 'http://localhost');
		assert.equal(res.headers.get('access-control-allow-credentials'), 'true');
		const list = (name) =>
			(res.headers.get(name) ?? '')
				.split(',')
				.map((s) => s.trim().toLowerCase())
				.filter(Boolean);
		assert.ok(list('access-control-expose-headers').includes('x-fallback-cookies'), `Expose-Headers: ${res.headers.get('access-control-expose-headers')}`);
		// §1.6: Allow-Headers lists the SDK's headers, X-Fallback-Cookies included; Allow-Methods the API's methods.
		for (const h of ['content-type', 'x-appwrite-project', 'x-fallback-cookies']) {
			assert.ok(list('access-control-allow-headers').includes(h), `Allow-Headers has ${h}: ${res.headers.get('access-control-allow-headers')}`);
		}
		for (const m of ['get', 'post', 'patch', 'delete']) {
			assert.ok(list('access-control-allow-methods').includes(m), `Allow-Methods has ${m}: ${res.headers.get('access-control-allow-methods')}`);
		}
	});

	test('a write from http://localhost is allowed', async () => {
		const { email } = await createUser();
		const { res } = await login(email, { Origin: 'http://localhost' });
		assert.equal(res.headers.get('access-control-allow-origin'), 'http://localhost');
		assert.equal(res.headers.get('access-control-allow-credentials'), 'true');
	});

	test('a POST from an unknown origin is 403 general_unknown_origin', async () => {
		const { email } = await createUser();
		const res = await api('/v1/account/sessions/email', {
			method: 'POST',
			headers: { Origin: 'http://evil.example' },
			body: { email, password: PASSWORD },
		});
		assertError(res, {
			status: 403,
			type: 'general_unknown_origin',
			message: 'Invalid Origin. Register your new client (evil.example) as a new Web platform on your project console dashboard',
		});
		assert.equal(res.setCookie.length, 0, 'no session cookie for a refused origin');
	});
});

describe('pipeline errors', () => {
	test('another project id is 404 project_not_found', async () => {
		const res = await api('/v1/account', { headers: { 'X-Appwrite-Project': 'other' } });
		assertError(res, {
			status: 404,
			type: 'project_not_found',
			message:
				'Project with the requested ID could not be found. Please check the value of the X-Appwrite-Project header to ensure the correct project ID is being used.',
		});
	});

	test('an unknown route is 404 general_route_not_found', async () => {
		const res = await api('/v1/account/nope');
		assertError(res, { status: 404, type: 'general_route_not_found', message: 'Not Found' });
	});

	test('a malformed JSON body is 400 general_argument_invalid', async () => {
		const res = await api('/v1/account', { method: 'POST', body: '{"userId":"unique()","email":' });
		assertError(res, { status: 400, type: 'general_argument_invalid' });
	});
});

describe('gate through reverse_proxy', () => {
	test('without a session the upstream is not reached: 401 JSON', async () => {
		const path = marker();
		const res = await api(path, { headers: { Cookie: 'theme=dark' } });
		assertError(res, { status: 401, type: 'general_unauthorized_scope' });
		assert.equal(upstreamSaw(path).length, 0, 'the upstream saw the request');
	});

	test('with the session cookie the upstream gets the identity and not the credentials', async () => {
		const s = await signedIn();
		const path = marker();
		const res = await rawRequest(env.origin + path, {
			headers: [['Cookie', `${LEGACY}=${s.cookieValue}; theme=dark; ${MAIN}=${s.cookieValue}`]],
		});
		assert.equal(res.status, 200, res.text);
		assert.equal(res.json.url, path);
		const seen = res.json.headers;
		const one = (name) => headerValues(seen, name);
		assert.deepEqual(one('X-Account-Id'), [s.user.$id]);
		assert.deepEqual(one('X-Account-Email'), [s.email]);
		assert.deepEqual(one('X-Account-Name'), ['Name']);
		assert.deepEqual(one('X-Account-Email-Verified'), ['false']);
		assert.deepEqual(one('X-Account-Phone-Verified'), ['false']);
		assert.deepEqual(one('X-Account-Session-Id'), [s.session.$id]);
		assert.deepEqual(one('X-Account-Session-Provider'), ['email']);
		const cookie = one('Cookie').join('; ');
		assert.doesNotMatch(cookie, /a_session_/i, `the upstream must not see the session cookies: ${cookie}`);
		assert.match(cookie, /(^|;\s*)theme=dark(;|$)/, `other cookies still reach the upstream: ${cookie}`);
	});

	test('with X-Fallback-Cookies instead of the cookie the upstream is reached too', async () => {
		const s = await signedIn();
		const path = marker();
		const res = await rawRequest(env.origin + path, { headers: [['X-Fallback-Cookies', s.fallback]] });
		assert.equal(res.status, 200, res.text);
		const seen = res.json.headers;
		assert.deepEqual(headerValues(seen, 'X-Account-Id'), [s.user.$id]);
		assert.deepEqual(headerValues(seen, 'X-Fallback-Cookies'), [], 'the upstream must not see X-Fallback-Cookies');
	});

	test('malformed X-Fallback-Cookies at the gate is 401, never 400/500', async () => {
		for (const value of ['', '[]', '{}', 'garbage']) {
			const res = await rawRequest(env.origin + marker(), { headers: [['X-Fallback-Cookies', value]] });
			assertError(res, { status: 401, type: 'general_unauthorized_scope' }, `X-Fallback-Cookies ${JSON.stringify(value)}`);
		}
	});

	const spoofed = [
		['X-Account-Id', 'spoofed-1'],
		['x-account-id', 'spoofed-2'],
		['X_Account_Id', 'spoofed-3'],
		['x_account_ID', 'spoofed-4'],
		['X-Account-Id', 'spoofed-5'],
		['X-Account-Id', 'spoofed-6'],
		['X-Account-Email', 'spoofed-7@example.com'],
		['X_Account_Email_Verified', 'spoofed-8'],
		['x-account-session-provider', 'spoofed-9'],
	];

	test('spoofed identity headers without a session: 401, upstream not reached', async () => {
		const path = marker();
		const res = await rawRequest(env.origin + path, { headers: spoofed });
		assertError(res, { status: 401, type: 'general_unauthorized_scope' });
		assert.equal(upstreamSaw(path).length, 0, 'the upstream saw the request');
	});

	test('spoofed identity headers with a valid session: the upstream sees only the real identity', async () => {
		const s = await signedIn();
		const path = marker();
		const res = await rawRequest(env.origin + path, {
			headers: [...spoofed.slice(0, 3), ['Cookie', `${MAIN}=${s.cookieValue}`], ...spoofed.slice(3)],
		});
		assert.equal(res.status, 200, res.text);
		const seen = res.json.headers;
		assert.deepEqual(headerValues(seen, 'X-Account-Id'), [s.user.$id], `X-Account-Id as the upstream saw it: ${JSON.stringify(seen)}`);
		assert.deepEqual(headerValues(seen, 'X-Account-Email'), [s.email]);
		assert.deepEqual(headerValues(seen, 'X-Account-Email-Verified'), ['false']);
		assert.deepEqual(headerValues(seen, 'X-Account-Session-Provider'), ['email']);
		const leaked = seen.filter(([, v]) => /spoofed/.test(v));
		assert.deepEqual(leaked, [], 'no spoofed value may reach the upstream');
	});

	test('after DELETE /v1/account/sessions/current the cookie is refused at once', async () => {
		const s = await signedIn();
		const cookie = `${MAIN}=${s.cookieValue}`;
		const ok = await rawRequest(env.origin + marker(), { headers: [['Cookie', cookie]] });
		assert.equal(ok.status, 200, ok.text);

		const del = await api('/v1/account/sessions/current', { method: 'DELETE', headers: { Cookie: cookie } });
		assert.equal(del.status, 204, del.text);

		const path = marker();
		const res = await rawRequest(env.origin + path, { headers: [['Cookie', cookie]] });
		assertError(res, { status: 401, type: 'general_unauthorized_scope' });
		assert.equal(upstreamSaw(path).length, 0);
	});
});
