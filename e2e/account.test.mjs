// The Account API driven by the official Appwrite web SDK 11.0.1, unmodified,
// against a real Caddy binary with accountgate (env CADDY_BIN).
//
// Contract: /work/shared/spec/appwrite-1.3-facts.md (part A; §1, §2, §4,
// §5.1-5.2, §5.12-5.16, §5.23, §5.25, §11).

import assert from 'node:assert/strict';
import { describe, test } from 'node:test';

import { bindStorage, installBrowserShim, ISO_MS, PROJECT, randomSuffix, uniqueEmail, useCaddy } from './harness.mjs';

// The SDK looks for `window` (localStorage, console) at call time; install the
// shim first, then load the SDK.
const shim = installBrowserShim();
const { Client, Account, ID, AppwriteException } = await import('appwrite');

// These tests make more accounts and sign-ins than the default limits allow
// per IP and hour (§3.2); the limits have their own tests in
// account-more.test.mjs.
const env = useCaddy({ projectLines: ['rate_limit off'] });

const PASSWORD = 'password123';
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
const SESSION_KEYS = [
	'$id',
	'$createdAt',
	'userId',
	'expire',
	'provider',
	'providerUid',
	'providerAccessToken',
	'providerAccessTokenExpiry',
	'providerRefreshToken',
	'ip',
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
	'current',
];
const YEAR_MS = 31536000 * 1000;
const GUEST_SCOPE = 'User (role: guests) missing scope (account)';

/** A new SDK client with its own localStorage (its own session). */
function newClient() {
	const client = new Client().setEndpoint(env.endpoint).setProject(PROJECT);
	const storage = shim.newStorage();
	return { client, storage, account: bindStorage(new Account(client), storage) };
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

function assertRecent(iso, what, slackMs = 120_000) {
	assert.match(iso, ISO_MS, `${what} must be ISO 8601 with milliseconds and +00:00`);
	const t = Date.parse(iso);
	assert.ok(Math.abs(Date.now() - t) < slackMs, `${what} ${iso} is not close to now`);
}

/** Creates an account and signs in with `c` (default: a new client). */
async function signedIn(c = newClient(), email = uniqueEmail()) {
	const user = await c.account.create(ID.unique(), email, PASSWORD, 'Name');
	const session = await c.account.createEmailSession(email, PASSWORD);
	return { ...c, user, session, email };
}

describe('account.create', () => {
	test('returns the account model', async () => {
		const { account } = newClient();
		const email = uniqueEmail('create');
		const user = await account.create(ID.unique(), email, PASSWORD, 'Name');

		assert.deepEqual(Object.keys(user), ACCOUNT_KEYS, 'account model fields, in model order, and no password/hash/hashOptions');
		// ID.unique() is the literal 'unique()' in SDK 11.0.1: the server makes the id (20 lowercase hex, §1.6).
		assert.match(user.$id, /^[0-9a-f]{20}$/);
		assertRecent(user.$createdAt, '$createdAt');
		assertRecent(user.$updatedAt, '$updatedAt');
		assertRecent(user.registration, 'registration');
		assertRecent(user.passwordUpdate, 'passwordUpdate');
		assert.equal(user.name, 'Name');
		assert.equal(user.email, email);
		assert.equal(user.phone, '');
		assert.equal(user.status, true);
		assert.equal(user.emailVerification, false);
		assert.equal(user.phoneVerification, false);
		assert.deepEqual(user.prefs, {});
		for (const k of ['password', 'hash', 'hashOptions']) assert.ok(!(k in user), `the account model must not carry ${k}`);
	});

	test('a custom id round-trips and the email is lowercased', async () => {
		const { account } = newClient();
		const id = `custom-${randomSuffix()}`;
		const email = uniqueEmail('MiXeD');
		const user = await account.create(ID.custom(id), email, PASSWORD, 'Name');
		assert.equal(user.$id, id);
		assert.equal(user.email, email.toLowerCase());
	});

	test('a duplicate email is 409 user_already_exists', async () => {
		const { account } = newClient();
		const email = uniqueEmail('dup');
		await account.create(ID.unique(), email, PASSWORD, 'Name');
		await rejectsWith(account.create(ID.unique(), email, PASSWORD, 'Other'), {
			code: 409,
			type: 'user_already_exists',
			message: 'A user with the same id, email, or phone already exists in your project.',
		});
		// Emails are lowercased on every route (decision 11), so a case variant is the same address.
		await rejectsWith(account.create(ID.unique(), email.toUpperCase(), PASSWORD, 'Other'), { code: 409, type: 'user_already_exists' });
	});

	test('an invalid email is 400 general_argument_invalid', async () => {
		const { account } = newClient();
		await rejectsWith(account.create(ID.unique(), 'not-an-email', PASSWORD, 'Name'), {
			code: 400,
			type: 'general_argument_invalid',
			message: 'Invalid email: Value must be a valid email address',
		});
	});

	test('a short password is 400 general_argument_invalid', async () => {
		const { account } = newClient();
		await rejectsWith(account.create(ID.unique(), uniqueEmail('short'), 'short', 'Name'), {
			code: 400,
			type: 'general_argument_invalid',
			message: 'Invalid password: Password must be at least 8 characters and should not be one of the commonly used password.',
		});
	});
});

describe('account.createEmailSession', () => {
	test('a wrong password and an unknown email give the same 401', async () => {
		const { account } = newClient();
		const email = uniqueEmail('creds');
		await account.create(ID.unique(), email, PASSWORD, 'Name');
		const invalid = {
			code: 401,
			type: 'user_invalid_credentials',
			message: 'Invalid credentials. Please check the email and password.',
		};
		await rejectsWith(account.createEmailSession(email, 'wrong-password'), invalid);
		await rejectsWith(account.createEmailSession(uniqueEmail('nobody'), PASSWORD), invalid);
	});

	test('returns the session model and keeps the session in cookieFallback', async () => {
		const c = newClient();
		const email = uniqueEmail('login');
		const user = await c.account.create(ID.unique(), email, PASSWORD, 'Name');
		const session = await c.account.createEmailSession(email, PASSWORD);

		assert.deepEqual(Object.keys(session), SESSION_KEYS, 'session model fields, in model order');
		assert.ok(session.$id && typeof session.$id === 'string');
		assertRecent(session.$createdAt, '$createdAt');
		assert.equal(session.userId, user.$id);
		assert.equal(session.provider, 'email');
		assert.equal(session.providerUid, email);
		assert.equal(session.providerAccessToken, '');
		assert.equal(session.providerAccessTokenExpiry, '');
		assert.equal(session.providerRefreshToken, '');
		assert.equal(session.current, true);
		assert.ok(typeof session.ip === 'string' && session.ip !== '', 'ip');
		assert.equal(session.countryCode, '--', 'loopback IP → countryCode --');
		assert.equal(session.countryName, 'Unknown', 'loopback IP → countryName Unknown');
		assert.match(session.expire, ISO_MS, 'expire is ISO with milliseconds and +00:00');
		const ahead = Date.parse(session.expire) - Date.parse(session.$createdAt);
		assert.ok(Math.abs(ahead - YEAR_MS) < 5_000, `expire ${session.expire} should be $createdAt ${session.$createdAt} + 1 year`);

		// The SDK stored the X-Fallback-Cookies response header (§2.2).
		const fallback = JSON.parse(c.storage.getItem('cookieFallback'));
		assert.deepEqual(Object.keys(fallback), [`a_session_${PROJECT}`]);
		const decoded = JSON.parse(Buffer.from(fallback[`a_session_${PROJECT}`], 'base64').toString('utf8'));
		assert.equal(decoded.id, user.$id);
		assert.ok(typeof decoded.secret === 'string' && decoded.secret.length > 0);
	});
});

describe('account.get', () => {
	test('returns the signed-in account', async () => {
		const s = await signedIn();
		const got = await s.account.get();
		assert.deepEqual(Object.keys(got), ACCOUNT_KEYS);
		for (const k of ['$id', '$createdAt', 'name', 'registration', 'status', 'passwordUpdate', 'email', 'phone', 'emailVerification', 'phoneVerification']) {
			assert.deepEqual(got[k], s.user[k], k);
		}
		assert.deepEqual(got.prefs, {});
	});

	test('a guest gets 401 general_unauthorized_scope', async () => {
		const { account } = newClient();
		await rejectsWith(account.get(), { code: 401, type: 'general_unauthorized_scope', message: GUEST_SCOPE });
	});
});

describe('sessions', () => {
	test('listSessions lists every session of the user, oldest first', async () => {
		const a = await signedIn();
		const b = newClient();
		const bSession = await b.account.createEmailSession(a.email, PASSWORD);

		const list = await a.account.listSessions();
		assert.deepEqual(Object.keys(list), ['total', 'sessions']);
		assert.equal(list.total, 2);
		assert.equal(list.sessions.length, 2);
		assert.deepEqual(
			list.sessions.map((s) => s.$id),
			[a.session.$id, bSession.$id],
		);
		const [first, second] = list.sessions;
		assert.deepEqual(Object.keys(first), SESSION_KEYS);
		assert.equal(first.current, true, 'the caller’s session is current');
		assert.equal(second.current, false, 'the other client’s session is not current');
		for (const s of list.sessions) {
			assert.equal(s.userId, a.user.$id);
			assert.equal(s.provider, 'email');
			assert.equal(s.providerUid, a.email);
			// Decision 9: expire is ISO everywhere (1.3 sent "" in the list).
			assert.match(s.expire, ISO_MS);
		}
	});

	test('getSession by "current" and by id', async () => {
		const a = await signedIn();
		const current = await a.account.getSession('current');
		assert.deepEqual(Object.keys(current), SESSION_KEYS);
		assert.equal(current.$id, a.session.$id);
		assert.equal(current.userId, a.user.$id);
		assert.equal(current.current, true);
		assert.match(current.expire, ISO_MS);
		const drift = Math.abs(Date.parse(current.expire) - Date.parse(a.session.expire));
		assert.ok(drift < 1000, `expire ${current.expire} differs from the login's ${a.session.expire}`);

		const byId = await a.account.getSession(a.session.$id);
		assert.deepEqual(byId, current);
	});

	test('getSession of an unknown id is 404 user_session_not_found', async () => {
		const a = await signedIn();
		await rejectsWith(a.account.getSession('nope-unknown'), {
			code: 404,
			type: 'user_session_not_found',
			message: 'The current user session could not be found.',
		});
	});

	test('another user’s session id is not found', async () => {
		const a = await signedIn();
		const b = await signedIn();
		await rejectsWith(a.account.getSession(b.session.$id), { code: 404, type: 'user_session_not_found' });
		await rejectsWith(a.account.deleteSession(b.session.$id), { code: 404, type: 'user_session_not_found' });
		assert.equal((await b.account.get()).$id, b.user.$id, 'b is still signed in');
	});

	test('deleteSession(id) signs out that client only', async () => {
		const a = await signedIn();
		const b = newClient();
		const bSession = await b.account.createEmailSession(a.email, PASSWORD);
		assert.equal((await b.account.get()).$id, a.user.$id);

		await a.account.deleteSession(bSession.$id);

		await rejectsWith(b.account.get(), { code: 401, type: 'general_unauthorized_scope', message: GUEST_SCOPE });
		assert.equal((await a.account.get()).$id, a.user.$id, 'the first client keeps its session');
		const list = await a.account.listSessions();
		assert.deepEqual(
			list.sessions.map((s) => s.$id),
			[a.session.$id],
		);
	});

	test('deleteSession("current") signs out', async () => {
		const a = await signedIn();
		await a.account.deleteSession('current');
		// §2.2: logout sends X-Fallback-Cookies: [] and the SDK stores it.
		assert.equal(a.storage.getItem('cookieFallback'), '[]');
		await rejectsWith(a.account.get(), { code: 401, type: 'general_unauthorized_scope', message: GUEST_SCOPE });
	});

	test('deleteSessions() signs out every client of the user', async () => {
		const a = await signedIn();
		const b = newClient();
		await b.account.createEmailSession(a.email, PASSWORD);

		await a.account.deleteSessions();

		assert.equal(a.storage.getItem('cookieFallback'), '[]');
		await rejectsWith(a.account.get(), { code: 401, type: 'general_unauthorized_scope', message: GUEST_SCOPE });
		await rejectsWith(b.account.get(), { code: 401, type: 'general_unauthorized_scope', message: GUEST_SCOPE });

		// A new login works afterwards (§11 item 28).
		const again = await a.account.createEmailSession(a.email, PASSWORD);
		assert.equal((await a.account.get()).$id, a.user.$id);
		const list = await a.account.listSessions();
		assert.equal(list.total, 1);
		assert.equal(list.sessions[0].$id, again.$id);
	});
});
