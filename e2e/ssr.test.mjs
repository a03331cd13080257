// Server-side rendering (Appwrite 1.5 on) driven by the official server
// SDK, node-appwrite 27.1.0, unmodified, against a real Caddy binary:
//
//   * an admin client (setKey, a key holding sessions.write) creates an
//     email session and gets its secret; a session client
//     (setSession(secret)) calls account.get();
//   * the gate accepts the cookie a_session_<project>=<secret> that the
//     back end sets, and passes the user on upstream;
//   * a key without sessions.write, and a browser, get no secret;
//   * users.createSession and users.createToken (users.write): the token
//     is spent by account.createSession, the session works at the gate.

import assert from 'node:assert/strict';
import { describe, test } from 'node:test';

import { Account, AppwriteException, Client, ID, Users } from 'node-appwrite';

import { apiKey, PROJECT, rawRequest, uniqueEmail, useCaddy } from './harness.mjs';

const ssrKey = apiKey('ssr', 'sessions.write');
const usersKey = apiKey('admin', 'users.read users.write');
const KEY_SSR = ssrKey.secret;
const KEY_USERS = usersKey.secret;

const env = useCaddy({ projectLines: ['rate_limit off', ssrKey.line, usersKey.line] });

const PASSWORD = 'password123';

const client = () => new Client().setEndpoint(env.endpoint).setProject(PROJECT);
const adminAccount = (key) => new Account(client().setKey(key));
const sessionAccount = (secret) => new Account(client().setSession(secret));

/** The gate's answer for the app path with the back end's cookie. */
async function gate(secret) {
	const r = await rawRequest(`${env.origin}/app`, { headers: [['Cookie', `a_session_${PROJECT}=${secret}`]] });
	const id = r.status === 200 ? r.json.headers.find(([n]) => n.toLowerCase() === 'x-account-id')?.[1] : undefined;
	return { status: r.status, id };
}

describe('node-appwrite 27.1.0 server-side rendering', () => {
	test('admin client creates the session; session client and the gate accept its secret', async () => {
		const email = uniqueEmail('ssr');
		const user = await new Account(client()).create({ userId: ID.unique(), email, password: PASSWORD });

		const session = await adminAccount(KEY_SSR).createEmailPasswordSession({ email, password: PASSWORD });
		assert.equal(session.userId, user.$id);
		assert.ok(session.secret, 'a sessions.write key gets the secret');

		const me = await sessionAccount(session.secret).get();
		assert.equal(me.$id, user.$id);
		assert.equal(me.email, email);

		assert.deepEqual(await gate(session.secret), { status: 200, id: user.$id });

		// The back end signs the user out with the same secret: the
		// gate refuses the cookie from then on.
		await sessionAccount(session.secret).deleteSession({ sessionId: 'current' });
		assert.notEqual((await gate(session.secret)).status, 200);
	});

	test('without sessions.write, no secret', async () => {
		const email = uniqueEmail('nossr');
		await new Account(client()).create({ userId: ID.unique(), email, password: PASSWORD });
		const browser = await new Account(client()).createEmailPasswordSession({ email, password: PASSWORD });
		assert.equal(browser.secret, '');
		const wrongKey = await adminAccount(KEY_USERS).createEmailPasswordSession({ email, password: PASSWORD });
		assert.equal(wrongKey.secret, '');
	});

	test('anonymous session through the admin client', async () => {
		const session = await adminAccount(KEY_SSR).createAnonymousSession();
		assert.ok(session.secret);
		const me = await sessionAccount(session.secret).get();
		assert.equal(me.$id, session.userId);
		assert.equal((await gate(session.secret)).id, session.userId);
	});

	test('users.createSession and users.createToken', async () => {
		const users = new Users(client().setKey(KEY_USERS));
		const user = await users.create({ userId: ID.unique(), email: uniqueEmail('made'), password: PASSWORD });

		const made = await users.createSession({ userId: user.$id });
		assert.equal(made.provider, 'server');
		assert.equal((await sessionAccount(made.secret).get()).$id, user.$id);
		assert.deepEqual(await gate(made.secret), { status: 200, id: user.$id });

		const token = await users.createToken({ userId: user.$id, length: 16, expire: 120 });
		assert.equal(token.secret.length, 16);
		const spent = await adminAccount(KEY_SSR).createSession({ userId: user.$id, secret: token.secret });
		assert.equal(spent.userId, user.$id);
		assert.deepEqual(await gate(spent.secret), { status: 200, id: user.$id });
		await assert.rejects(adminAccount(KEY_SSR).createSession({ userId: user.$id, secret: token.secret }),
			(e) => e instanceof AppwriteException && e.type === 'user_invalid_token');

		// A key without users.write cannot make either.
		const noWrite = new Users(client().setKey(KEY_SSR));
		await assert.rejects(noWrite.createSession({ userId: user.$id }),
			(e) => e instanceof AppwriteException && e.code === 401 && /missing scope \(users.write\)/.test(e.message));
	});
});
