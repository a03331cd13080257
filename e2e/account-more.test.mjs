// More of the Account API through the official Appwrite web SDK 11.0.1,
// unmodified, against real Caddy binaries with accountgate (env CADDY_BIN):
// prefs, profile updates, anonymous sessions and their conversion, JWTs (at
// the API and at the gate), security logs, blocking, rate limits and the
// per-project switches. Each describe block runs its own Caddy, because the
// project config differs:
//
//   * "rate_limit off": the bulk of the tests (they create many accounts);
//   * default limits: the X-RateLimit-* headers and the 429s;
//   * "rate_limit account.create 25": a concurrent burst;
//   * "password_history 2" + "revoke_sessions_on_password_change";
//   * "disable email-password anonymous jwt", on a database seeded by a first
//     Caddy without that line (so that a session exists for POST /jwt).
//
// Contract: /work/shared/spec/appwrite-1.3-facts.md (part A items 7, 8, 11,
// 12, 17, 23, 24, 27, 28; §1.1, §1.2, §2.4, §2.5, §2.7, §2.10, §2.12, §3,
// §4.1, §4.6, §5.10, §5.11, §5.13, §5.15, §5.17-5.22, §8, §11 items 10-19,
// 35-37, 41-43, 51, 54) and /work/shared/DESIGN.md (the gate: JWT, Bearer).

import assert from 'node:assert/strict';
import { createHmac } from 'node:crypto';
import { describe, test } from 'node:test';

import { bindStorage, headerValues, installBrowserShim, ISO_MS, PROJECT, randomSuffix, rawRequest, startCaddy, uniqueEmail, useCaddy } from './harness.mjs';

// The SDK looks for `window` (localStorage, console) at call time; install the
// shim first, then load the SDK.
const shim = installBrowserShim();
const { Client, Account, ID, Query, AppwriteException } = await import('appwrite');

const PASSWORD = 'password123';
const MAIN = `a_session_${PROJECT}`;
const GUEST_SCOPE = 'User (role: guests) missing scope (account)';
const ACCOUNT_KEYS = [
	'$id',
	'$createdAt',
	'$updatedAt',
	'name',
	'registration',
	'status',
	'passwordUpdate',
	'email',
	'phone',
	'emailVerification',
	'phoneVerification',
	'prefs',
];
const LOG_KEYS = [
	'event',
	'userId',
	'userEmail',
	'userName',
	'mode',
	'ip',
	'time',
	'osCode',
	'osName',
	'osVersion',
	'clientType',
	'clientCode',
	'clientName',
	'clientVersion',
	'clientEngine',
	'clientEngineVersion',
	'deviceName',
	'deviceBrand',
	'deviceModel',
	'countryCode',
	'countryName',
];
const MSG = {
	invalidCredentials: 'Invalid credentials. Please check the email and password.',
	blocked: 'The current user has been blocked. You can unblock the user from the Appwrite console.',
	emailExists: 'A user with the same email already exists in the current project.',
	phoneExists: 'A user with the same phone number already exists in the current project.',
	phoneInvalid: "Invalid phone: Phone number must start with a '+' can have a maximum of fifteen digits.",
	prefsInvalid: 'Invalid prefs: Value must be a valid object.',
	nameInvalid: 'Invalid name: Value must be a valid string and at least 1 chars and no longer than 128 chars',
	passwordInvalid: 'Invalid password: Password must be at least 8 characters and should not be one of the commonly used password.',
	sessionExists: 'Cannot create an anonymous user when logged in',
	sessionNotFound: 'The current user session could not be found.',
	rateLimited: 'Rate limit for the current endpoint has been exceeded. Please try again after some time.',
	recentlyUsed: 'The password was recently used',
};

// ---------------------------------------------------------------- helpers

/**
 * SDK and HTTP helpers bound to one Caddy (env from useCaddy). Call inside
 * tests: env is filled in by the before hook.
 */
function kit(env) {
	/** A new SDK client with its own localStorage (its own session). */
	function newClient() {
		const client = new Client().setEndpoint(env.endpoint).setProject(PROJECT);
		const storage = shim.newStorage();
		return { client, storage, account: bindStorage(new Account(client), storage) };
	}

	/** A new SDK client that authenticates with a JWT only (its storage is empty). */
	function jwtClient(jwt) {
		const c = newClient();
		c.client.setJWT(jwt);
		return c;
	}

	/** Creates an account and signs in with `c` (default: a new client). */
	async function signedIn(c = newClient(), email = uniqueEmail()) {
		const user = await c.account.create(ID.unique(), email, PASSWORD, 'Name');
		const session = await c.account.createEmailSession(email, PASSWORD);
		return { ...c, user, session, email, fallback: c.storage.getItem('cookieFallback') };
	}

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
		return { status: res.status, headers: res.headers, text, json };
	}

	/** GET through the gate to the demo upstream; `path` is unique per call. */
	function gate(headers) {
		const path = `/app?t=${randomSuffix()}`;
		return rawRequest(env.origin + path, { headers }).then((res) => ({ ...res, path, reached: env.upstream.requests.filter((r) => r.url === path) }));
	}

	return { newClient, jwtClient, signedIn, api, gate };
}

async function rejectsWith(promise, { code, type, message }) {
	await assert.rejects(promise, (err) => {
		assert.ok(err instanceof AppwriteException, `expected an AppwriteException, got ${err?.stack ?? err}`);
		const got = { code: err.code, type: err.type };
		const want = { code, type };
		if (message !== undefined) {
			got.message = err.message;
			want.message = message;
		}
		assert.deepEqual(got, want, `error response: ${JSON.stringify(err.response)}`);
		return true;
	});
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
}

/** The response header `name` (fetch Headers or node's lowercased object). */
function header(res, name) {
	return typeof res.headers.get === 'function' ? res.headers.get(name) : (res.headers[name.toLowerCase()] ?? null);
}

function rateHeaders(res) {
	return {
		limit: header(res, 'x-ratelimit-limit'),
		remaining: header(res, 'x-ratelimit-remaining'),
		reset: header(res, 'x-ratelimit-reset'),
	};
}

/** The end of the fixed one-hour window (whole UTC hours, §3.1) containing t. */
function windowEnd(t) {
	return Math.floor(t / 3_600_000) * 3600 + 3600;
}

/** The session value inside an X-Fallback-Cookies JSON (standard base64). */
function sessionValue(fallback) {
	const v = JSON.parse(fallback)[MAIN];
	assert.ok(v, `X-Fallback-Cookies has ${MAIN}: ${fallback}`);
	return v;
}

/** A Cookie header line with the session, URL-encoded as Set-Cookie sends it. */
function cookieLine(fallback) {
	return `${MAIN}=${encodeURIComponent(sessionValue(fallback))}`;
}

function b64url(s) {
	return Buffer.from(s).toString('base64url');
}

function decodeJWT(jwt) {
	const parts = jwt.split('.');
	assert.equal(parts.length, 3, `a JWT has three parts: ${jwt}`);
	return {
		header: JSON.parse(Buffer.from(parts[0], 'base64url').toString('utf8')),
		payload: JSON.parse(Buffer.from(parts[1], 'base64url').toString('utf8')),
		parts,
	};
}

/** An HS256 JWT signed with `key` (not the server's). */
function foreignJWT(payload, key = 'not-the-server-key') {
	const head = b64url(JSON.stringify({ typ: 'JWT', alg: 'HS256' }));
	const body = b64url(JSON.stringify(payload));
	const sig = createHmac('sha256', key).update(`${head}.${body}`).digest('base64url');
	return `${head}.${body}.${sig}`;
}

// ======================================================================
// rate_limit off: the bulk of the tests
// ======================================================================

describe('rate_limit off', () => {
	const env = useCaddy({ projectLines: ['rate_limit off'] });
	const k = kit(env);

	describe('prefs', () => {
		test('getPrefs of a new account is {}', async () => {
			const s = await k.signedIn();
			assert.deepEqual(await s.account.getPrefs(), {});
		});

		test('updatePrefs returns the account with the prefs, getPrefs echoes, and the object is replaced', async () => {
			const s = await k.signedIn();
			const updated = await s.account.updatePrefs({ theme: 'dark' });
			assert.deepEqual(Object.keys(updated), ACCOUNT_KEYS, 'PATCH /prefs returns the whole account model (§5.21)');
			assert.equal(updated.$id, s.user.$id);
			assert.equal(updated.email, s.email);
			assert.deepEqual(updated.prefs, { theme: 'dark' });
			assert.deepEqual(await s.account.getPrefs(), { theme: 'dark' });
			assert.deepEqual((await s.account.get()).prefs, { theme: 'dark' });

			const nested = { lang: 'fr', n: 1.5, on: true, none: null, list: [1, 'two', { three: 3 }], deep: { a: { b: 'c/d' } }, text: 'héllo 🍰' };
			const again = await s.account.updatePrefs(nested);
			assert.deepEqual(again.prefs, nested, 'the new object replaces the old one (theme is gone)');
			assert.deepEqual(await s.account.getPrefs(), nested);

			assert.deepEqual((await s.account.updatePrefs({})).prefs, {});
			assert.deepEqual(await s.account.getPrefs(), {});
		});

		test('prefs that are not an object are 400 general_argument_invalid', async () => {
			const s = await k.signedIn();
			await s.account.updatePrefs({ keep: 'me' });
			for (const bad of ['{"theme":"dark"}', '{}', '[]', ['a', 'b'], 42]) {
				await rejectsWith(s.account.updatePrefs(bad), { code: 400, type: 'general_argument_invalid', message: MSG.prefsInvalid });
			}
			// §1.3 Assoc: at most 65535 bytes of PHP json_encode output.
			await rejectsWith(s.account.updatePrefs({ longValue: '-'.repeat(100_000) }), { code: 400, type: 'general_argument_invalid', message: MSG.prefsInvalid });
			assert.deepEqual(await s.account.getPrefs(), { keep: 'me' }, 'a refused update changes nothing');
		});

		test('a guest gets 401 on getPrefs and updatePrefs', async () => {
			const { account } = k.newClient();
			await rejectsWith(account.getPrefs(), { code: 401, type: 'general_unauthorized_scope', message: GUEST_SCOPE });
			await rejectsWith(account.updatePrefs({ a: 1 }), { code: 401, type: 'general_unauthorized_scope', message: GUEST_SCOPE });
		});
	});

	describe('profile updates', () => {
		test('updateName', async () => {
			const s = await k.signedIn();
			const updated = await s.account.updateName('Lorem');
			assert.deepEqual(Object.keys(updated), ACCOUNT_KEYS);
			assert.equal(updated.name, 'Lorem');
			assert.equal(updated.email, s.email, 'the email is unchanged');
			assert.equal(updated.registration, s.user.registration);
			assert.equal((await s.account.get()).name, 'Lorem');
			assert.ok(Date.parse(updated.$updatedAt) >= Date.parse(s.user.$updatedAt), '$updatedAt moves forward');

			await rejectsWith(s.account.updateName(''), { code: 400, type: 'general_argument_invalid', message: MSG.nameInvalid });
			await rejectsWith(s.account.updateName('x'.repeat(129)), { code: 400, type: 'general_argument_invalid', message: MSG.nameInvalid });
			assert.equal((await s.account.updateName('x'.repeat(128))).name, 'x'.repeat(128), '128 chars are allowed');
		});

		test('updatePassword: the old password is required, then the new one signs in and the old one fails', async () => {
			const s = await k.signedIn();
			const other = k.newClient();
			await other.account.createEmailSession(s.email, PASSWORD);
			const NEW = 'new-password-1';

			await rejectsWith(s.account.updatePassword(NEW, 'wrong-password'), { code: 401, type: 'user_invalid_credentials', message: MSG.invalidCredentials });
			await rejectsWith(s.account.updatePassword(NEW), { code: 401, type: 'user_invalid_credentials' });
			await rejectsWith(s.account.updatePassword('short', PASSWORD), { code: 400, type: 'general_argument_invalid', message: MSG.passwordInvalid });

			const updated = await s.account.updatePassword(NEW, PASSWORD);
			assert.deepEqual(Object.keys(updated), ACCOUNT_KEYS);
			assert.equal(updated.$id, s.user.$id);
			assert.match(updated.passwordUpdate, ISO_MS);
			assert.ok(Date.parse(updated.passwordUpdate) >= Date.parse(s.user.passwordUpdate), 'passwordUpdate moves forward');

			// The old password is now the wrong old password.
			await rejectsWith(s.account.updatePassword('another-password', PASSWORD), { code: 401, type: 'user_invalid_credentials' });

			const fresh = k.newClient();
			await rejectsWith(fresh.account.createEmailSession(s.email, PASSWORD), { code: 401, type: 'user_invalid_credentials', message: MSG.invalidCredentials });
			const session = await fresh.account.createEmailSession(s.email, NEW);
			assert.equal(session.userId, s.user.$id);

			// §5.18: by default the other sessions are not revoked.
			assert.equal((await other.account.get()).$id, s.user.$id, 'another session of the user still works');
			assert.equal((await s.account.get()).$id, s.user.$id);
		});

		test('updateEmail: needs the password, lowercases, conflicts are 409 user_email_already_exists', async () => {
			const a = await k.signedIn();
			const b = await k.signedIn();
			const newEmail = uniqueEmail('Changed');

			await rejectsWith(a.account.updateEmail(newEmail, 'wrong-password'), { code: 401, type: 'user_invalid_credentials', message: MSG.invalidCredentials });
			await rejectsWith(a.account.updateEmail(b.email, PASSWORD), { code: 409, type: 'user_email_already_exists', message: MSG.emailExists });
			await rejectsWith(a.account.updateEmail(b.email.toUpperCase(), PASSWORD), { code: 409, type: 'user_email_already_exists' });
			await rejectsWith(a.account.updateEmail('not-an-email', PASSWORD), {
				code: 400,
				type: 'general_argument_invalid',
				message: 'Invalid email: Value must be a valid email address',
			});

			const updated = await a.account.updateEmail(newEmail, PASSWORD);
			assert.deepEqual(Object.keys(updated), ACCOUNT_KEYS);
			assert.equal(updated.$id, a.user.$id);
			assert.equal(updated.email, newEmail.toLowerCase(), 'emails are lowercased (part A item 11)');
			assert.equal(updated.emailVerification, false);
			assert.equal((await a.account.get()).email, newEmail.toLowerCase());

			// The new address signs in, the old one no longer does, and it is free again (§11 item 17).
			const fresh = k.newClient();
			assert.equal((await fresh.account.createEmailSession(newEmail, PASSWORD)).userId, a.user.$id);
			await rejectsWith(k.newClient().account.createEmailSession(a.email, PASSWORD), { code: 401, type: 'user_invalid_credentials' });
			const reused = await k.newClient().account.create(ID.unique(), a.email, PASSWORD, 'Reuse');
			assert.notEqual(reused.$id, a.user.$id);
		});

		test('updatePhone: E.164 only, needs the password, conflicts are 409 user_phone_already_exists', async () => {
			const a = await k.signedIn();
			const b = await k.signedIn();
			const phone = '+123456789';

			await rejectsWith(a.account.updatePhone('12345', PASSWORD), { code: 400, type: 'general_argument_invalid', message: MSG.phoneInvalid });
			await rejectsWith(a.account.updatePhone('+0123456789', PASSWORD), { code: 400, type: 'general_argument_invalid', message: MSG.phoneInvalid });
			await rejectsWith(a.account.updatePhone('+1234567890123456', PASSWORD), { code: 400, type: 'general_argument_invalid', message: MSG.phoneInvalid });
			await rejectsWith(a.account.updatePhone(phone, 'wrong-password'), { code: 401, type: 'user_invalid_credentials', message: MSG.invalidCredentials });

			const updated = await a.account.updatePhone(phone, PASSWORD);
			assert.deepEqual(Object.keys(updated), ACCOUNT_KEYS);
			assert.equal(updated.phone, phone);
			assert.equal(updated.phoneVerification, false);
			assert.equal(updated.email, a.email, 'the email is unchanged');
			assert.equal((await a.account.get()).phone, phone);

			await rejectsWith(b.account.updatePhone(phone, PASSWORD), { code: 409, type: 'user_phone_already_exists', message: MSG.phoneExists });
			assert.equal((await b.account.get()).phone, '', 'the refused update changed nothing');
		});

		test('a guest gets 401 on every profile update', async () => {
			const { account } = k.newClient();
			const guest = { code: 401, type: 'general_unauthorized_scope', message: GUEST_SCOPE };
			await rejectsWith(account.updateName('Lorem'), guest);
			await rejectsWith(account.updatePassword('new-password-1', PASSWORD), guest);
			await rejectsWith(account.updateEmail(uniqueEmail(), PASSWORD), guest);
			await rejectsWith(account.updatePhone('+19876543210', PASSWORD), guest);
			await rejectsWith(account.updateStatus(), guest);
		});
	});

	describe('anonymous sessions', () => {
		test('createAnonymousSession, again while signed in is 401, then conversion with updateEmail', async () => {
			const c = k.newClient();
			const session = await c.account.createAnonymousSession();
			assert.equal(session.provider, 'anonymous');
			assert.equal(session.providerUid, '');
			assert.equal(session.current, true);
			assert.match(session.expire, ISO_MS, 'expire is ISO with milliseconds (part A item 9)');
			assert.ok(c.storage.getItem('cookieFallback'), 'the SDK stored the session');

			const anon = await c.account.get();
			assert.deepEqual(Object.keys(anon), ACCOUNT_KEYS);
			assert.equal(anon.$id, session.userId);
			assert.equal(anon.email, '');
			assert.equal(anon.phone, '');
			assert.equal(anon.name, '');
			assert.equal(anon.passwordUpdate, '', 'no password yet (§4.1)');
			assert.equal(anon.status, true);
			assert.equal((await c.account.getSession('current')).provider, 'anonymous');

			await rejectsWith(c.account.createAnonymousSession(), { code: 401, type: 'user_session_already_exists', message: MSG.sessionExists });

			await c.account.updatePrefs({ theme: 'dark' });

			// A taken email is 409 (§11 item 37).
			const taken = await k.signedIn();
			await rejectsWith(c.account.updateEmail(taken.email, PASSWORD), { code: 409, type: 'user_email_already_exists', message: MSG.emailExists });

			// Conversion: no current password needed; the one given becomes the password.
			const email = uniqueEmail('converted');
			const converted = await c.account.updateEmail(email, PASSWORD);
			assert.equal(converted.$id, anon.$id, 'the same account');
			assert.equal(converted.email, email);
			assert.deepEqual(converted.prefs, { theme: 'dark' }, 'prefs are kept');
			assert.equal((await c.account.get()).$id, anon.$id, 'the anonymous session still works');

			const fresh = k.newClient();
			const login = await fresh.account.createEmailSession(email, PASSWORD);
			assert.equal(login.userId, anon.$id);
			assert.equal(login.provider, 'email');
			const got = await fresh.account.get();
			assert.equal(got.$id, anon.$id);
			assert.deepEqual(got.prefs, { theme: 'dark' });

			// Now the account has a password: changing the email asks for it (part A item 24).
			await rejectsWith(c.account.updateEmail(uniqueEmail('again'), 'wrong-password'), { code: 401, type: 'user_invalid_credentials' });
		});
	});

	describe('JWT', () => {
		test('createJWT: an HS256 token for the session, valid 15 minutes', async () => {
			const s = await k.signedIn();
			const before = Math.floor(Date.now() / 1000);
			const res = await s.account.createJWT();
			const after = Math.ceil(Date.now() / 1000);
			assert.deepEqual(Object.keys(res), ['jwt']);
			assert.equal(typeof res.jwt, 'string');
			const { header: h, payload } = decodeJWT(res.jwt);
			assert.equal(h.alg, 'HS256');
			assert.equal(payload.userId, s.user.$id);
			assert.equal(payload.sessionId, s.session.$id);
			assert.ok(payload.exp >= before + 900 && payload.exp <= after + 900, `exp ${payload.exp} is now + 900 s (${before}..${after})`);
		});

		test('a second client with setJWT gets the account until the session is deleted', async () => {
			const s = await k.signedIn();
			const { jwt } = await s.account.createJWT();
			const j = k.jwtClient(jwt);
			assert.equal(j.storage.getItem('cookieFallback'), null, 'the JWT client has no session of its own');

			const got = await j.account.get();
			assert.equal(got.$id, s.user.$id);
			assert.equal(got.email, s.email);
			assert.deepEqual(await j.account.getPrefs(), {});
			// A JWT caller has no cookie session: "current" resolves to nothing (§2.7, §5.11).
			await rejectsWith(j.account.getSession('current'), { code: 404, type: 'user_session_not_found', message: MSG.sessionNotFound });
			await rejectsWith(j.account.createJWT(), { code: 404, type: 'user_session_not_found' });

			await s.account.deleteSession('current');

			// §2.4: a JWT whose session is gone makes a guest, not user_jwt_invalid.
			await rejectsWith(j.account.get(), { code: 401, type: 'general_unauthorized_scope', message: GUEST_SCOPE });
		});

		test('garbage, forged and tampered JWTs are 401 user_jwt_invalid, even next to a valid session', async () => {
			const s = await k.signedIn();
			const { jwt } = await s.account.createJWT();
			const { parts, payload } = decodeJWT(jwt);
			const other = await k.signedIn();
			const tampered = `${parts[0]}.${b64url(JSON.stringify({ ...payload, userId: other.user.$id }))}.${parts[2]}`;
			const forged = foreignJWT({ userId: s.user.$id, sessionId: s.session.$id, exp: Math.floor(Date.now() / 1000) + 600 });
			for (const bad of ['garbage', 'a.b.c', tampered, forged]) {
				await rejectsWith(k.jwtClient(bad).account.get(), { code: 401, type: 'user_jwt_invalid' });
			}
			// §1.1 step 2: a bad X-Appwrite-JWT fails even when the cookie session is valid.
			s.client.setJWT('garbage');
			await rejectsWith(s.account.get(), { code: 401, type: 'user_jwt_invalid' });
			s.client.setJWT('');
			assert.equal((await s.account.get()).$id, s.user.$id, 'an empty X-Appwrite-JWT is no JWT');
		});
	});

	describe('logs', () => {
		test('sign-up and two sign-ins: 3 logs, newest first, with paging', async () => {
			const s = await k.signedIn();
			await s.account.createEmailSession(s.email, PASSWORD);

			const list = await s.account.listLogs();
			assert.deepEqual(Object.keys(list), ['total', 'logs']);
			assert.equal(list.total, 3);
			assert.deepEqual(
				list.logs.map((l) => l.event),
				['session.create', 'session.create', 'user.create'],
			);
			for (const l of list.logs) {
				assert.deepEqual(Object.keys(l), LOG_KEYS, 'log model fields, in model order');
				assert.equal(l.userId, s.user.$id);
				assert.equal(l.userEmail, s.email);
				assert.equal(l.userName, 'Name');
				assert.equal(l.mode, 'default');
				assert.ok(typeof l.ip === 'string' && l.ip !== '', 'ip');
				assert.match(l.time, ISO_MS);
				assert.equal(l.countryCode, '--');
				assert.equal(l.countryName, 'Unknown');
			}
			const times = list.logs.map((l) => Date.parse(l.time));
			assert.deepEqual(
				times,
				[...times].sort((a, b) => b - a),
				'newest first',
			);

			// SDK 11 Query helpers produce the 1.3 syntax limit(n) / offset(n).
			assert.equal(Query.limit(1), 'limit(1)');
			assert.equal(Query.offset(1), 'offset(1)');

			const first = await s.account.listLogs([Query.limit(1)]);
			assert.equal(first.total, 3, 'total is the true count, not the page size');
			assert.deepEqual(first.logs, [list.logs[0]]);

			const rest = await s.account.listLogs([Query.offset(1)]);
			assert.equal(rest.total, 3);
			assert.deepEqual(rest.logs, list.logs.slice(1));

			const middle = await s.account.listLogs([Query.limit(1), Query.offset(1)]);
			assert.deepEqual(middle.logs, [list.logs[1]]);

			const none = await s.account.listLogs([Query.offset(3)]);
			assert.equal(none.total, 3);
			assert.deepEqual(none.logs, []);

			assert.deepEqual((await s.account.listLogs([Query.limit(0)])).logs, []);
			assert.deepEqual((await s.account.listLogs(['limit("1")'])).logs, [list.logs[0]], 'a quoted numeric limit is accepted (§8)');
		});

		test('bad queries are 400 general_argument_invalid', async () => {
			const s = await k.signedIn();
			const bad = { code: 400, type: 'general_argument_invalid' };
			await rejectsWith(s.account.listLogs(['limit(101)']), bad);
			// (The limit's message names the range; with the maximum of 100 (part A item 8) the
			// 1.3 text "between 0 and 9,223,…" no longer holds, so only the type is checked.)
			await rejectsWith(s.account.listLogs([Query.limit(-1)]), bad);
			await rejectsWith(s.account.listLogs([Query.offset(-1)]), {
				...bad,
				message: 'Invalid queries: Query not valid: Invalid offset: Value must be a valid range between 0 and 9,223,372,036,854,775,807',
			});
			// §8: the 1.3 syntax is method(arg, …); a well-formed query of another method is
			// "Query method not valid", whatever its number of arguments.
			await rejectsWith(s.account.listLogs(['cursorAfter("abc")']), { ...bad, message: 'Invalid queries: Query method not valid: cursorAfter' });
			await rejectsWith(s.account.listLogs(['equal("event", "user.create")']), { ...bad, message: 'Invalid queries: Query method not valid: equal' });
			await rejectsWith(s.account.listLogs(['garbage']), { ...bad, message: 'Invalid queries: Invalid query: garbage' });
			assert.equal((await s.account.listLogs([Query.limit(100)])).total, 2, 'limit(100) is the maximum and allowed');
		});

		test('default page 25, maximum 100, total is the true count; each update is logged with the values of its time', async () => {
			const s = await k.signedIn(); // user.create, session.create
			for (let i = 1; i <= 26; i++) await s.account.updateName(`Name ${i}`); // 26 × user.update
			const TOTAL = 28;

			const page = await s.account.listLogs();
			assert.equal(page.total, TOTAL);
			assert.equal(page.logs.length, 25, 'default limit 25 (part A item 8)');
			assert.deepEqual(
				page.logs.map((l) => l.userName),
				Array.from({ length: 25 }, (_, i) => `Name ${26 - i}`),
				'newest first, each with the name as it was when the event happened',
			);
			assert.ok(page.logs.every((l) => l.event === 'user.update'));

			const all = await s.account.listLogs([Query.limit(100)]);
			assert.equal(all.total, TOTAL);
			assert.equal(all.logs.length, TOTAL);
			assert.deepEqual(
				all.logs.slice(-2).map((l) => [l.event, l.userName]),
				[
					['session.create', 'Name'],
					['user.create', 'Name'],
				],
			);
			const last = await s.account.listLogs([Query.offset(TOTAL - 1)]);
			assert.deepEqual(last.logs, [all.logs[TOTAL - 1]]);
		});

		test('a guest gets 401', async () => {
			await rejectsWith(k.newClient().account.listLogs(), { code: 401, type: 'general_unauthorized_scope', message: GUEST_SCOPE });
		});
	});

	describe('blocking (updateStatus)', () => {
		test('every session and JWT of the user gets 401 user_blocked at once, at the API and at the gate', async () => {
			const s = await k.signedIn();
			const saved = s.storage.getItem('cookieFallback');
			const second = k.newClient();
			await second.account.createEmailSession(s.email, PASSWORD);
			const { jwt } = await second.account.createJWT();
			const j = k.jwtClient(jwt);
			assert.equal((await j.account.get()).$id, s.user.$id);
			const ok = await k.gate([['X-Fallback-Cookies', saved]]);
			assert.equal(ok.status, 200, ok.text);

			const blocked = await s.account.updateStatus();
			assert.deepEqual(Object.keys(blocked), ACCOUNT_KEYS);
			assert.equal(blocked.$id, s.user.$id);
			assert.equal(blocked.status, false);
			// §5.22: X-Fallback-Cookies: [] is sent; the SDK stores it.
			assert.equal(s.storage.getItem('cookieFallback'), '[]');

			const user_blocked = { code: 401, type: 'user_blocked', message: MSG.blocked };
			// The session itself is not deleted (§2.12): with its value back it is refused as blocked.
			s.storage.setItem('cookieFallback', saved);
			await rejectsWith(s.account.get(), user_blocked);
			await rejectsWith(s.account.getPrefs(), user_blocked);
			await rejectsWith(second.account.get(), user_blocked);
			await rejectsWith(second.account.listSessions(), user_blocked);
			await rejectsWith(j.account.get(), user_blocked);

			// The gate: cookie, fallback header, JWT and Bearer JWT.
			for (const headers of [[['Cookie', cookieLine(saved)]], [['X-Fallback-Cookies', saved]], [['X-Appwrite-JWT', jwt]], [['Authorization', `Bearer ${jwt}`]]]) {
				const res = await k.gate(headers);
				assertError(res, { status: 401, type: 'user_blocked', message: MSG.blocked }, `gate with ${headers[0][0]}`);
				assert.equal(res.reached.length, 0, `the upstream must not be reached (${headers[0][0]})`);
			}

			// §2.12: the password is checked first, then the block.
			await rejectsWith(k.newClient().account.createEmailSession(s.email, 'wrong-password'), { code: 401, type: 'user_invalid_credentials' });
			await rejectsWith(k.newClient().account.createEmailSession(s.email, PASSWORD), user_blocked);
		});
	});

	describe('gate with JWT and Bearer', () => {
		test('X-Appwrite-JWT: 200, the upstream gets the identity but not the JWT', async () => {
			const s = await k.signedIn();
			const { jwt } = await s.account.createJWT();
			const res = await k.gate([['X-Appwrite-JWT', jwt]]);
			assert.equal(res.status, 200, res.text);
			assert.equal(res.reached.length, 1);
			const seen = res.json.headers;
			assert.deepEqual(headerValues(seen, 'X-Account-Id'), [s.user.$id]);
			assert.deepEqual(headerValues(seen, 'X-Account-Email'), [s.email]);
			assert.deepEqual(headerValues(seen, 'X-Account-Session-Id'), [s.session.$id]);
			assert.deepEqual(headerValues(seen, 'X-Appwrite-JWT'), [], 'the upstream must not see X-Appwrite-JWT');
		});

		test('Authorization: Bearer <our JWT>: 200, the upstream gets the identity and no Authorization', async () => {
			const s = await k.signedIn();
			const { jwt } = await s.account.createJWT();
			const res = await k.gate([
				['Authorization', `Bearer ${jwt}`],
				['Cookie', 'theme=dark'],
			]);
			assert.equal(res.status, 200, res.text);
			const seen = res.json.headers;
			assert.deepEqual(headerValues(seen, 'X-Account-Id'), [s.user.$id]);
			assert.deepEqual(headerValues(seen, 'Authorization'), [], 'the upstream must not see our JWT');
			assert.deepEqual(headerValues(seen, 'Cookie'), ['theme=dark']);
		});

		test('a session plus a foreign Bearer token: 200 and the upstream gets Authorization unchanged', async () => {
			const s = await k.signedIn();
			const foreign = foreignJWT({ sub: 'someone', exp: Math.floor(Date.now() / 1000) + 600 });
			for (const [credential, value] of [
				['Cookie', cookieLine(s.fallback)],
				['X-Fallback-Cookies', s.fallback],
			]) {
				for (const auth of ['Bearer foreign-token', `Bearer ${foreign}`]) {
					const res = await k.gate([
						[credential, value],
						['Authorization', auth],
					]);
					assert.equal(res.status, 200, `${credential} + ${auth}: ${res.text}`);
					const seen = res.json.headers;
					assert.deepEqual(headerValues(seen, 'X-Account-Id'), [s.user.$id]);
					assert.deepEqual(headerValues(seen, 'Authorization'), [auth], 'a token that is not ours reaches the upstream untouched');
				}
			}
		});

		test('a foreign Bearer token without a session is 401 and the upstream is not reached', async () => {
			const res = await k.gate([['Authorization', 'Bearer foreign-token']]);
			assertError(res, { status: 401, type: 'general_unauthorized_scope', message: GUEST_SCOPE });
			assert.equal(res.reached.length, 0);
		});

		test('a bad or orphaned JWT at the gate is 401 and the upstream is not reached', async () => {
			const s = await k.signedIn();
			const { jwt } = await s.account.createJWT();
			const garbage = await k.gate([['X-Appwrite-JWT', 'garbage']]);
			assert.equal(garbage.status, 401, garbage.text);
			assert.equal(garbage.reached.length, 0);

			await s.account.deleteSession('current');
			// Part A item 28: the JWT stops working with its session.
			for (const headers of [[['X-Appwrite-JWT', jwt]], [['Authorization', `Bearer ${jwt}`]]]) {
				const res = await k.gate(headers);
				assertError(res, { status: 401, type: 'general_unauthorized_scope' }, `gate with ${headers[0][0]}`);
				assert.equal(res.reached.length, 0);
			}
		});
	});
});

// ======================================================================
// default rate limits (§3)
// ======================================================================

describe('default rate limits', () => {
	const env = useCaddy();
	const k = kit(env);

	async function createAndLogin(email = uniqueEmail('limits')) {
		const created = await k.api('/v1/account', { method: 'POST', body: { userId: 'unique()', email, password: PASSWORD, name: 'Name' } });
		assert.equal(created.status, 201, created.text);
		const login = await k.api('/v1/account/sessions/email', { method: 'POST', body: { email, password: PASSWORD } });
		assert.equal(login.status, 201, login.text);
		return { created, login, email, user: created.json, fallback: login.headers.get('x-fallback-cookies') };
	}

	test('POST /v1/account/jwt: Limit 100, Remaining 99 then 98, per user; unlimited routes send no headers', async () => {
		const a = await createAndLogin();
		assert.equal(rateHeaders(a.created).limit, '10', 'POST /v1/account: 10 per hour');
		assert.deepEqual(rateHeaders(a.login).limit, '10', 'POST /sessions/email: 10 per hour');
		assert.deepEqual(rateHeaders(a.login).remaining, '9', 'a fresh email has its own bucket');

		const t0 = Date.now();
		const first = await k.api('/v1/account/jwt', { method: 'POST', headers: { 'X-Fallback-Cookies': a.fallback } });
		const t1 = Date.now();
		assert.equal(first.status, 201, first.text);
		assert.equal(typeof first.json.jwt, 'string');
		const h = rateHeaders(first);
		assert.equal(h.limit, '100');
		assert.equal(h.remaining, '99');
		assert.ok([windowEnd(t0), windowEnd(t1)].includes(Number(h.reset)), `X-RateLimit-Reset ${h.reset} is the end of the current UTC hour`);

		const second = await k.api('/v1/account/jwt', { method: 'POST', headers: { 'X-Fallback-Cookies': a.fallback } });
		assert.equal(second.status, 201, second.text);
		assert.equal(rateHeaders(second).remaining, '98');

		// The SDK call reads the same route.
		const c = k.newClient();
		c.storage.setItem('cookieFallback', a.fallback);
		assert.equal(typeof (await c.account.createJWT()).jwt, 'string');

		const b = await createAndLogin();
		const other = await k.api('/v1/account/jwt', { method: 'POST', headers: { 'X-Fallback-Cookies': b.fallback } });
		assert.equal(rateHeaders(other).remaining, '99', 'the JWT limit is per user');

		// §3.2: routes without a limit send no X-RateLimit headers.
		for (const [method, path, body] of [
			['GET', '/v1/account'],
			['GET', '/v1/account/prefs'],
			['GET', '/v1/account/logs'],
			['PATCH', '/v1/account/name', { name: 'Lorem' }],
		]) {
			const res = await k.api(path, { method, body, headers: { 'X-Fallback-Cookies': a.fallback } });
			assert.equal(res.status, 200, `${method} ${path}: ${res.text}`);
			assert.deepEqual(rateHeaders(res), { limit: null, remaining: null, reset: null }, `${method} ${path} has no X-RateLimit headers`);
		}
	});

	test('POST /v1/account/sessions/email: 10 per email per hour, then 429', async () => {
		const email = uniqueEmail('throttled');
		const t0 = Date.now();
		for (let i = 0; i < 10; i++) {
			const res = await k.api('/v1/account/sessions/email', { method: 'POST', body: { email, password: PASSWORD } });
			assertError(res, { status: 401, type: 'user_invalid_credentials', message: MSG.invalidCredentials }, `attempt ${i + 1}`);
			assert.deepEqual(
				{ limit: rateHeaders(res).limit, remaining: rateHeaders(res).remaining },
				{ limit: '10', remaining: String(9 - i) },
				`attempt ${i + 1}`,
			);
		}
		const eleventh = await k.api('/v1/account/sessions/email', { method: 'POST', body: { email, password: PASSWORD } });
		const t1 = Date.now();
		assertError(eleventh, { status: 429, type: 'general_rate_limit_exceeded', message: MSG.rateLimited }, 'attempt 11');
		const h = rateHeaders(eleventh);
		assert.deepEqual({ limit: h.limit, remaining: h.remaining }, { limit: '10', remaining: '0' }, 'the headers are on the 429 too');
		assert.ok([windowEnd(t0), windowEnd(t1)].includes(Number(h.reset)), `X-RateLimit-Reset ${h.reset}`);

		// Through the SDK too.
		await rejectsWith(k.newClient().account.createEmailSession(email, PASSWORD), { code: 429, type: 'general_rate_limit_exceeded', message: MSG.rateLimited });

		// Another email has its own bucket.
		const other = await k.api('/v1/account/sessions/email', { method: 'POST', body: { email: uniqueEmail('other'), password: PASSWORD } });
		assertError(other, { status: 401, type: 'user_invalid_credentials' });
		assert.equal(rateHeaders(other).remaining, '9');
	});

	test('POST /v1/account/sessions/anonymous: 50 per IP per hour', async () => {
		const res = await k.api('/v1/account/sessions/anonymous', { method: 'POST', body: {} });
		assert.equal(res.status, 201, res.text);
		assert.deepEqual({ limit: rateHeaders(res).limit, remaining: rateHeaders(res).remaining }, { limit: '50', remaining: '49' });
	});

	test('session routes: PATCH 10, DELETE one 100, DELETE all 100 per IP, each with its own counter', async () => {
		const a = await createAndLogin();
		const second = await k.api('/v1/account/sessions/email', { method: 'POST', body: { email: a.email, password: PASSWORD } });
		assert.equal(second.status, 201, second.text);
		const auth = { 'X-Fallback-Cookies': a.fallback };

		const patch = await k.api('/v1/account/sessions/current', { method: 'PATCH', headers: auth, body: {} });
		assert.equal(patch.status, 400, `a non-OAuth session cannot be refreshed (part A item 19): ${patch.text}`);
		assert.deepEqual({ limit: rateHeaders(patch).limit, remaining: rateHeaders(patch).remaining }, { limit: '10', remaining: '9' }, 'PATCH /sessions/{id}');

		const one = await k.api(`/v1/account/sessions/${second.json.$id}`, { method: 'DELETE', headers: auth });
		assert.equal(one.status, 204, one.text);
		assert.deepEqual({ limit: rateHeaders(one).limit, remaining: rateHeaders(one).remaining }, { limit: '100', remaining: '99' }, 'DELETE /sessions/{id}');

		const all = await k.api('/v1/account/sessions', { method: 'DELETE', headers: auth });
		assert.equal(all.status, 204, all.text);
		assert.deepEqual({ limit: rateHeaders(all).limit, remaining: rateHeaders(all).remaining }, { limit: '100', remaining: '99' }, 'DELETE /sessions');
	});

	// Keep this test last in the block: it uses up the hour's POST /v1/account quota of this Caddy.
	test('POST /v1/account: 10 per IP per hour, counted before parameter validation (part A item 23)', async () => {
		const seen = [];
		for (let i = 0; i < 12; i++) {
			const res = await k.api('/v1/account', { method: 'POST', body: {} });
			seen.push({ status: res.status, type: res.json?.type, limit: rateHeaders(res).limit, remaining: rateHeaders(res).remaining });
			if (res.status === 429) {
				assertError(res, { status: 429, type: 'general_rate_limit_exceeded', message: MSG.rateLimited });
				break;
			}
			assertError(res, { status: 400, type: 'general_argument_invalid', message: 'Param "userId" is not optional.' }, `request ${i + 1}`);
		}
		const last = seen.at(-1);
		assert.equal(last.status, 429, `a 429 comes within 12 requests: ${JSON.stringify(seen)}`);
		assert.ok(seen.every((r) => r.limit === '10'), JSON.stringify(seen));
		const allowed = seen.slice(0, -1);
		assert.ok(allowed.length >= 1, `this test needs quota left; earlier tests must create at most 9 accounts: ${JSON.stringify(seen)}`);
		assert.deepEqual(
			allowed.map((r) => Number(r.remaining)),
			Array.from({ length: allowed.length }, (_, i) => allowed.length - 1 - i),
			'Remaining counts down to 0 on the last allowed request',
		);
		assert.equal(last.remaining, '0');
	});
});

describe('rate_limit account.create 25: a concurrent burst', () => {
	const env = useCaddy({ projectLines: ['rate_limit account.create 25'] });
	const k = kit(env);

	test('40 parallel POST /v1/account: exactly 25 pass (to the 400 param error) and 15 get 429', async () => {
		const results = await Promise.all(Array.from({ length: 40 }, () => k.api('/v1/account', { method: 'POST', body: {} })));
		const passed = results.filter((r) => r.status === 400);
		const refused = results.filter((r) => r.status === 429);
		assert.deepEqual(
			{ passed: passed.length, refused: refused.length, other: results.length - passed.length - refused.length },
			{ passed: 25, refused: 15, other: 0 },
			`statuses: ${results.map((r) => r.status).join(' ')}`,
		);
		for (const r of passed) assertError(r, { status: 400, type: 'general_argument_invalid', message: 'Param "userId" is not optional.' });
		for (const r of refused) assertError(r, { status: 429, type: 'general_rate_limit_exceeded', message: MSG.rateLimited });
		assert.ok(
			results.every((r) => rateHeaders(r).limit === '25'),
			'every answer has X-RateLimit-Limit 25',
		);
		// The counter is exact: each passed request saw its own count.
		assert.deepEqual(
			passed.map((r) => Number(rateHeaders(r).remaining)).sort((a, b) => a - b),
			Array.from({ length: 25 }, (_, i) => i),
		);
		assert.ok(refused.every((r) => rateHeaders(r).remaining === '0'));
	});
});

// ======================================================================
// password_history and revoke_sessions_on_password_change
// ======================================================================

describe('password_history 2, revoke_sessions_on_password_change', () => {
	const env = useCaddy({ projectLines: ['rate_limit off', 'password_history 2', 'revoke_sessions_on_password_change'] });
	const k = kit(env);

	test('a recent password is 409 password_recently_used; the history keeps 2 hashes', async () => {
		const s = await k.signedIn();
		const recent = { code: 409, type: 'password_recently_used', message: MSG.recentlyUsed };
		await rejectsWith(s.account.updatePassword(PASSWORD, PASSWORD), recent);
		await s.account.updatePassword('second-password', PASSWORD); // history: PASSWORD, second
		await rejectsWith(s.account.updatePassword(PASSWORD, 'second-password'), recent);
		await rejectsWith(s.account.updatePassword('second-password', 'second-password'), recent);
		await s.account.updatePassword('third-password', 'second-password'); // history: second, third
		// Part A item 17: at most 2 hashes are kept, so the first password is allowed again.
		await s.account.updatePassword(PASSWORD, 'third-password');
		assert.equal((await k.newClient().account.createEmailSession(s.email, PASSWORD)).userId, s.user.$id);
	});

	test('a password change signs out the other sessions and their JWTs, not the caller', async () => {
		const s = await k.signedIn();
		const other = k.newClient();
		await other.account.createEmailSession(s.email, PASSWORD);
		const { jwt } = await other.account.createJWT();
		const j = k.jwtClient(jwt);
		assert.equal((await j.account.get()).$id, s.user.$id);

		await s.account.updatePassword('changed-password', PASSWORD);

		assert.equal((await s.account.get()).$id, s.user.$id, 'the caller keeps its session');
		await rejectsWith(other.account.get(), { code: 401, type: 'general_unauthorized_scope', message: GUEST_SCOPE });
		await rejectsWith(j.account.get(), { code: 401, type: 'general_unauthorized_scope' });
		const list = await s.account.listSessions();
		assert.deepEqual(
			list.sessions.map((x) => x.$id),
			[s.session.$id],
		);
	});
});

// ======================================================================
// disable email-password anonymous jwt
// ======================================================================

describe('disable email-password anonymous jwt', () => {
	// A first Caddy without the switches makes an account and a session in the
	// database; the Caddy of these tests then runs on the same database.
	const env = useCaddy({
		projectLines: ['disable email-password anonymous jwt'],
		async seed({ dir, upstreamPort }) {
			const caddy = await startCaddy({ dir, upstreamPort });
			try {
				const email = uniqueEmail('seeded');
				const post = (path, body) =>
					fetch(caddy.origin + path, {
						method: 'POST',
						headers: { 'X-Appwrite-Project': PROJECT, 'Content-Type': 'application/json' },
						body: JSON.stringify(body),
					});
				const created = await post('/v1/account', { userId: 'unique()', email, password: PASSWORD, name: 'Seeded' });
				const createdText = await created.text();
				assert.equal(created.status, 201, `seed: create account: ${createdText}`);
				const login = await post('/v1/account/sessions/email', { email, password: PASSWORD });
				assert.equal(login.status, 201, `seed: sign in: ${await login.text()}`);
				return { email, user: JSON.parse(createdText), fallback: login.headers.get('x-fallback-cookies') };
			} finally {
				await caddy.stop();
			}
		},
	});
	const k = kit(env);

	const emailOff = { code: 501, type: 'user_auth_method_unsupported', message: 'Email / Password authentication is disabled for this project' };

	test('account.create and createEmailSession are 501', async () => {
		const { account } = k.newClient();
		await rejectsWith(account.create(ID.unique(), uniqueEmail('off'), PASSWORD, 'Name'), emailOff);
		await rejectsWith(account.createEmailSession(env.seed.email, PASSWORD), emailOff);
		// The switch comes before parameter validation (§1.1 steps 10, 11) and after the rate limit (step 9).
		for (const path of ['/v1/account', '/v1/account/sessions/email', '/v1/account/sessions']) {
			const res = await k.api(path, { method: 'POST', body: {} });
			assertError(res, { status: 501, type: emailOff.type, message: emailOff.message }, `POST ${path} {}`);
			assert.equal(rateHeaders(res).limit, '10', `POST ${path}: the rate limit ran first`);
		}
	});

	test('createAnonymousSession is 501', async () => {
		await rejectsWith(k.newClient().account.createAnonymousSession(), {
			code: 501,
			type: 'user_auth_method_unsupported',
			message: 'Anonymous authentication is disabled for this project',
		});
	});

	test('createJWT is 501 for a signed-in user, and a guest still gets the scope error first', async () => {
		const c = k.newClient();
		c.storage.setItem('cookieFallback', env.seed.fallback);
		assert.equal((await c.account.get()).$id, env.seed.user.$id, 'precondition: the seeded session works on the restarted Caddy');
		await rejectsWith(c.account.createJWT(), {
			code: 501,
			type: 'user_auth_method_unsupported',
			message: 'JWT authentication is disabled for this project',
		});
		// §1.1: the scope check (step 5) comes before the method switch (step 10).
		await rejectsWith(k.newClient().account.createJWT(), { code: 401, type: 'general_unauthorized_scope', message: GUEST_SCOPE });
	});
});
