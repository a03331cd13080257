// The Users API (/v1/users) driven by the official server SDK,
// node-appwrite, unmodified: 9.0.0 (the 1.3 response format) and 27.1.0
// (today's), with project API keys from the Caddyfile (`api_key`, keys
// given as {env.*} placeholders), against a real Caddy binary:
//
//   * create a user, get and list them (limit, cursor, search, orderDesc);
//   * change phone, email, password and verification flags;
//   * create users from bcrypt and argon2 hashes; they sign in;
//   * block them: their session is refused at the gate at once; unblock:
//     let through again; prefs, name and verification changes;
//   * list and delete their sessions (the gate refuses the session), then
//     delete the user;
//   * a key without users.write cannot block (401 naming the scope); a
//     key sent with a session is refused (403);
//   * labels (27.1.0 only: 9.0.0 has none): updateLabels, equal("labels"),
//     X-Account-Labels upstream, allow_labels refusing then admitting at
//     once;
//   * with two instances on PostgreSQL and Redis (when
//     ACCOUNTGATE_TEST_POSTGRES and ACCOUNTGATE_TEST_REDIS are set): a
//     block through A's Users API is refused at B's gate within a second,
//     though B had the session cached, and an unblock lets it through.

import assert from 'node:assert/strict';
import { before, describe, test } from 'node:test';

import { apiKey, PROJECT, parseSetCookie, rawRequest, uniqueEmail, useCaddy } from './harness.mjs';
import { api, brief, gate as nodeGate, newCluster, performance, pollFor, startNode, useNodes } from './multinode-support.mjs';

const sdk9 = await import('node-appwrite-9');
const sdkNow = await import('node-appwrite');

const backendKey = apiKey('backend', 'users.read users.write');
const reportsKey = apiKey('reports', 'users.read');
const KEY_ALL = backendKey.secret;
const KEY_READ = reportsKey.secret;

const env = useCaddy({ projectLines: ['rate_limit off', backendKey.line, reportsKey.line] });

const PASSWORD = 'password123';

// Hashes made elsewhere (bcrypt cost 5; argon2id m=256 t=1 p=1, not the
// configured cost) of the passwords beside them.
const BCRYPT = { password: 'imported-pass-1', hash: '$2a$05$Hu2JHTz6Doml36lBslrk9ud1ZpjyPUTXoUak3.EZeh5qLV5TL8OYS' };
const ARGON2 = { password: 'imported-pass-2', hash: '$argon2id$v=19$m=256,t=1,p=1$Ti/ZvvLFrPgyRSXbjyLetQ$z2MJn0B4Uq3X6z6/WKbn7ePULtj2SPaXBrAmEmdFi4U' };

/** Signs in through the Account API; resolves with the session cookie value. */
async function signIn(email, password) {
	const r = await rawRequest(`${env.endpoint}/account/sessions/email`, {
		method: 'POST',
		headers: [['Content-Type', 'application/json'], ['X-Appwrite-Project', PROJECT]],
		body: JSON.stringify({ email, password }),
	});
	assert.equal(r.status, 201, r.text);
	const c = r.setCookie.map(parseSetCookie).find((c) => c.name === `a_session_${PROJECT}`);
	assert.ok(c, 'no session cookie');
	return c.value;
}

/** The gate's answer for the app path with this session. */
async function gate(cookie) {
	const r = await rawRequest(`${env.origin}/app`, { headers: [['Cookie', `a_session_${PROJECT}=${cookie}`]] });
	return r.status;
}

for (const [label, sdk] of [
	['node-appwrite 9.0.0 (1.3 format)', sdk9],
	['node-appwrite 27.1.0 (today)', sdkNow],
]) {
	const { Client, Users, Query, AppwriteException } = sdk;
	const users = (key) => new Users(new Client().setEndpoint(env.endpoint).setProject(PROJECT).setKey(key));

	describe(label, () => {
		test('create, list, block at the gate, unblock, sessions, delete', async () => {
			const admin = users(KEY_ALL);
			const email = uniqueEmail('usersapi');
			const created = await admin.create('unique()', email, undefined, PASSWORD, 'Server Made');
			assert.equal(created.email, email);
			assert.equal(created.name, 'Server Made');
			assert.equal(created.status, true);
			assert.equal(created.password, undefined, 'the password hash is never sent');
			const id = created.$id;

			assert.equal((await admin.get(id)).email, email);
			const listed = await admin.list([Query.limit(5000)]);
			assert.ok(listed.total >= 1);
			assert.ok(listed.users.some((u) => u.$id === id));
			const searched = await admin.list([], email);
			assert.deepEqual(searched.users.map((u) => u.$id), [id]);
			const after = await admin.list([Query.cursorAfter(id), Query.limit(10)]);
			assert.ok(!after.users.some((u) => u.$id === id));

			const cookie = await signIn(email, PASSWORD);
			assert.equal(await gate(cookie), 200);

			assert.equal((await admin.updateStatus(id, false)).status, false);
			assert.equal(await gate(cookie), 401, 'a blocked user is refused at the gate');
			assert.equal((await admin.updateStatus(id, true)).status, true);
			assert.equal(await gate(cookie), 200, 'an unblocked user is let through');

			// Today's SDK parses into objects without a prototype.
			assert.deepEqual({ ...(await admin.updatePrefs(id, { theme: 'dark' })) }, { theme: 'dark' });
			assert.deepEqual({ ...(await admin.getPrefs(id)) }, { theme: 'dark' });
			assert.equal((await admin.updateName(id, 'Renamed')).name, 'Renamed');
			assert.equal((await admin.updateEmailVerification(id, true)).emailVerification, true);
			const phone = `+1555${String(Date.now()).slice(-7)}`;
			assert.equal((await admin.updatePhone(id, phone)).phone, phone);
			assert.equal((await admin.updatePhoneVerification(id, true)).phoneVerification, true);
			const email2 = uniqueEmail('usersapi-moved');
			const moved = await admin.updateEmail(id, email2);
			assert.equal(moved.email, email2);
			assert.equal(moved.emailVerification, false, 'a new address is unverified');
			await admin.updatePassword(id, 'another-password-1');
			await assert.rejects(signIn(email2, PASSWORD));
			await signIn(email2, 'another-password-1');

			const newest = await admin.list([Query.orderDesc('$createdAt'), Query.limit(1)]);
			assert.equal(newest.users[0].$id, id, 'orderDesc puts the newest first');

			const sessions = await admin.listSessions(id);
			assert.equal(sessions.total, 2);
			assert.equal(sessions.sessions[0].userId, id);
			await admin.deleteSessions(id);
			assert.equal(await gate(cookie), 401, 'deleted sessions are refused at the gate');
			assert.equal((await admin.listSessions(id)).total, 0);

			const cookie2 = await signIn(email2, 'another-password-1');
			const [s] = (await admin.listSessions(id)).sessions;
			await admin.deleteSession(id, s.$id);
			assert.equal(await gate(cookie2), 401);

			const logs = await admin.listLogs(id);
			assert.ok(logs.total >= 1);

			await admin.delete(id);
			await assert.rejects(admin.get(id), (e) => e instanceof AppwriteException && e.code === 404 && e.type === 'user_not_found');
		});

		test('users created from bcrypt and argon2 hashes sign in with their old password', async () => {
			const admin = users(KEY_ALL);
			for (const [make, h] of [
				[(id, email) => admin.createBcryptUser(id, email, BCRYPT.hash, 'From bcrypt'), BCRYPT],
				[(id, email) => admin.createArgon2User(id, email, ARGON2.hash, 'From argon2'), ARGON2],
			]) {
				const email = uniqueEmail('usersapi-hash');
				const u = await make('unique()', email);
				assert.equal(u.email, email);
				await assert.rejects(signIn(email, 'wrong-password'));
				const c = await signIn(email, h.password);
				assert.equal(await gate(c), 200);
				// Signed in again after the re-hash at the configured cost.
				await signIn(email, h.password);
				await admin.delete(u.$id);
			}
		});

		test('a key without users.write cannot block; key and session together are refused', async () => {
			const admin = users(KEY_ALL);
			const email = uniqueEmail('usersapi-scope');
			const { $id: id } = await admin.create('unique()', email, undefined, PASSWORD);
			const cookie = await signIn(email, PASSWORD);

			const reader = users(KEY_READ);
			assert.equal((await reader.get(id)).email, email, 'the read key reads');
			await assert.rejects(reader.updateStatus(id, false), (e) => {
				assert.ok(e instanceof AppwriteException);
				assert.equal(e.code, 401);
				assert.equal(e.type, 'general_unauthorized_scope');
				assert.match(e.message, /\(role: applications\) missing scope \(users\.write\)$/);
				return true;
			});
			assert.equal((await admin.get(id)).status, true, 'the refused block changed nothing');
			assert.equal(await gate(cookie), 200);

			// 9.x has no setSession; it sends the same header through addHeader.
			const bothClient = new Client().setEndpoint(env.endpoint).setProject(PROJECT).setKey(KEY_ALL);
			if (bothClient.setSession) bothClient.setSession(cookie);
			else bothClient.addHeader('X-Appwrite-Session', cookie);
			const both = new Users(bothClient);
			await assert.rejects(both.list(), (e) => e.code === 403 && e.type === 'user_api_key_and_session_set');

			const guest = new Users(new Client().setEndpoint(env.endpoint).setProject(PROJECT).setKey('x'.repeat(64)));
			await assert.rejects(guest.list(), (e) => e.code === 401 && /missing scope \(users\.read\)$/.test(e.message));
			await admin.delete(id);
		});
	});
}

// Labels (PATCH /v1/users/{userId}/labels) came with the 1.4 format:
// node-appwrite 9.0.0 has no updateLabels and its models no labels, so
// only today's SDK drives them.
describe('labels with node-appwrite 27.1.0: the model, equal("labels"), the gate header and allow_labels', () => {
	const labelled = useCaddy({
		projectLines: ['rate_limit off', backendKey.line],
		gateLines: ['allow_labels staff admin'],
	});
	const { Client, Users, Query, AppwriteException } = sdkNow;

	test('updateLabels, list by label, and the gate admits by label at once', async () => {
		assert.equal(typeof sdk9.Users.prototype.updateLabels, 'undefined', 'node-appwrite 9.0.0 has no labels');
		const admin = new Users(new Client().setEndpoint(labelled.endpoint).setProject(PROJECT).setKey(KEY_ALL));
		const email = uniqueEmail('usersapi-labels');
		const { $id: id, labels: none } = await admin.create('unique()', email, undefined, PASSWORD);
		assert.deepEqual(none, []);
		const r = await rawRequest(`${labelled.endpoint}/account/sessions/email`, {
			method: 'POST',
			headers: [['Content-Type', 'application/json'], ['X-Appwrite-Project', PROJECT]],
			body: JSON.stringify({ email, password: PASSWORD }),
		});
		assert.equal(r.status, 201, r.text);
		const cookie = r.setCookie.map(parseSetCookie).find((c) => c.name === `a_session_${PROJECT}`).value;
		const app = (accept) =>
			rawRequest(`${labelled.origin}/app`, {
				headers: [['Cookie', `a_session_${PROJECT}=${cookie}`], ['Accept', accept], ['X-Account-Labels', 'admin']],
			});

		// Without a listed label: 403 JSON for API clients, a page for browsers.
		const refused = await app('application/json');
		assert.equal(refused.status, 403, refused.text);
		assert.equal(JSON.parse(refused.text).type, 'general_resource_blocked');
		const page = await app('text/html');
		assert.equal(page.status, 403);
		assert.match(page.headers['content-type'] ?? '', /^text\/html/);

		const updated = await admin.updateLabels(id, ['beta', 'staff', 'beta']);
		assert.deepEqual(updated.labels, ['beta', 'staff'], 'repeats dropped, order kept');
		assert.deepEqual((await admin.get(id)).labels, ['beta', 'staff']);
		const byLabel = await admin.list([Query.equal('labels', ['staff'])]);
		assert.deepEqual(byLabel.users.map((u) => u.$id), [id]);
		assert.equal(byLabel.total, 1);

		// Admitted on the very next request; the upstream gets the labels,
		// never the client's copy.
		const passed = await app('application/json');
		assert.equal(passed.status, 200, passed.text);
		const seen = JSON.parse(passed.text).headers.filter(([k]) => k.toLowerCase() === 'x-account-labels');
		assert.deepEqual(seen, [['X-Account-Labels', 'beta,staff']]);

		await assert.rejects(admin.updateLabels(id, ['not-alnum']), (e) => e instanceof AppwriteException && e.code === 400 && e.type === 'general_argument_invalid');
		await assert.rejects(admin.updateLabels(id, ['a'.repeat(37)]), (e) => e.code === 400);

		assert.deepEqual((await admin.updateLabels(id, [])).labels, []);
		assert.equal((await app('application/json')).status, 403, 'cleared labels are refused at once');
		await admin.delete(id);
	});
});

test("the keys never reach Caddy's output", () => {
	const out = env.caddy.output();
	assert.ok(out.length > 0);
	assert.ok(!out.includes(KEY_ALL) && !out.includes(KEY_READ), 'an API key is in the logs');
});

const POSTGRES = process.env.ACCOUNTGATE_TEST_POSTGRES;
const REDIS = process.env.ACCOUNTGATE_TEST_REDIS;

describe('two instances: a block (and a label change) through A is seen at B', { skip: !POSTGRES || !REDIS ? 'needs ACCOUNTGATE_TEST_POSTGRES and ACCOUNTGATE_TEST_REDIS (scripts/test sets both)' : false }, () => {
	const cluster = newCluster({ postgres: POSTGRES, redis: REDIS });
	const projectLines = ['rate_limit off', backendKey.line];
	const instances = useNodes(cluster, (upstream) => ['A', 'B'].map((name) => startNode({ name, upstreamPort: upstream.port, cluster, projectLines })));
	let upstream;
	before(() => ({ upstream } = instances));

	test('labels, block and unblock with node-appwrite', async () => {
		const [A, B] = instances.nodes;
		const { Client, Users } = sdkNow;
		const admin = new Users(new Client().setEndpoint(`${A.origin}/v1`).setProject(PROJECT).setKey(KEY_ALL));
		const email = uniqueEmail('usersapi-multi');
		const { $id: id } = await admin.create('unique()', email, undefined, PASSWORD);
		const s = await api(B, '/v1/account/sessions/email', { method: 'POST', body: { email, password: PASSWORD } });
		assert.equal(s.status, 201, brief(s));
		const fb = s.headers.get('x-fallback-cookies');
		for (let i = 0; i < 2; i++) assert.equal((await nodeGate(B, upstream, [['X-Fallback-Cookies', fb]])).status, 200);

		const within = async (status, what) => {
			const since = performance.now();
			let last = null;
			const r = await pollFor(async () => (last = await nodeGate(B, upstream, [['X-Fallback-Cookies', fb]])).status === status, { timeout: 1000 });
			assert.ok(r.ms !== null, `${what}: B's gate still answers ${brief(last)} ${(performance.now() - since).toFixed(0)} ms later`);
		};
		// A label change through A reaches B's upstream header at once.
		await admin.updateLabels(id, ['vip']);
		let seen = null;
		const labelled = await pollFor(async () => {
			seen = await nodeGate(B, upstream, [['X-Fallback-Cookies', fb]]);
			return seen.status === 200 && JSON.parse(seen.text).headers.some(([k, v]) => k.toLowerCase() === 'x-account-labels' && v === 'vip');
		}, { timeout: 1000 });
		assert.ok(labelled.ms !== null, `B still sends other labels: ${brief(seen)}`);
		await admin.updateStatus(id, false);
		await within(401, 'after the block');
		await admin.updateStatus(id, true);
		await within(200, 'after the unblock');
		await admin.delete(id);
		await within(401, 'after the delete');
	});
});
