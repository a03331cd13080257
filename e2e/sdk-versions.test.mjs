// The same user journeys through several official Appwrite web SDK
// versions, installed side by side as npm aliases (package.json), against a
// real Caddy with accountgate (env CADDY_BIN) and a real SMTP sink:
//
//   appwrite      11.0.1  X-Appwrite-Response-Format 1.0.0 (the 1.3 contract)
//   appwrite-13   13.0.2  1.4.0
//   appwrite-16   16.1.0  1.6.0
//   appwrite-28   28.0.0  2.3.0
//
// From SDK 16 on, token sign-in runs too: createMagicURLToken,
// createEmailToken (email OTP) and createPhoneToken (through a
// Twilio-shaped SMS sink), each spent by createSession(userId, secret),
// and a spent secret replayed is refused.
//
// Every response is checked against the models that SDK declares (its
// types/models.d.ts, read at run time): each required field is present
// with the declared type, and no field the SDK does not declare is sent,
// so the server's per-format shapes match each SDK exactly.

import assert from 'node:assert/strict';
import { readFile } from 'node:fs/promises';
import { after, before, describe, test } from 'node:test';

import { randomInt } from 'node:crypto';

import { bindStorage, installBrowserShim, ISO_MS, PROJECT, startSmtpSink, startTwilioSink, uniqueEmail, useCaddy } from './harness.mjs';

const shim = installBrowserShim();

const PASSWORD = 'password123';
const NEW_PASSWORD = 'another-password-456';
const MAIL_FROM = 'no-reply@example.com';
const TWILIO_SID = 'AC' + '0123456789abcdef'.repeat(2);
const TWILIO_TOKEN = 'e2e-twilio-auth-token-0123456789';
const TWILIO_FROM = '+15005550006';

const SDKS = [
	{ pkg: 'appwrite', version: '11.0.1', format: '1.0.0', logs: true },
	{ pkg: 'appwrite-13', version: '13.0.2', format: '1.4.0', logs: true },
	{ pkg: 'appwrite-16', version: '16.1.0', format: '1.6.0', logs: true },
	// SDK 28 has no listLogs any more.
	{ pkg: 'appwrite-28', version: '28.0.0', format: '2.3.0', logs: false },
];

/**
 * The models an SDK declares: { Name: { field: { type, optional } } },
 * read from its types/models.d.ts (`type Name<…> = { field?: type; … };`).
 */
async function sdkModels(pkg) {
	const text = await readFile(new URL(`./node_modules/${pkg}/types/models.d.ts`, import.meta.url), 'utf8');
	const models = {};
	const head = /^\s*(?:export )?type (\w+)(?:<.*>)? = \{\s*$/gm;
	let m;
	while ((m = head.exec(text))) {
		const end = text.indexOf('\n', text.indexOf('};', m.index));
		const fields = {};
		for (const line of text.slice(head.lastIndex, end).split('\n')) {
			const f = /^\s*['"]?([$\w]+)['"]?(\?)?: (.+);\s*$/.exec(line);
			if (f) fields[f[1]] = { type: f[3].trim(), optional: f[2] === '?' };
		}
		models[m[1]] = fields;
	}
	return models;
}

/** Asserts that v is a `name` model of `models`, recursively. */
function assertModel(models, name, v, path = name) {
	const fields = models[name];
	assert.ok(fields, `the SDK declares no model ${name}`);
	assert.ok(v && typeof v === 'object', `${path}: not an object: ${JSON.stringify(v)}`);
	for (const [field, { type, optional }] of Object.entries(fields)) {
		if (!(field in v)) {
			assert.ok(optional, `${path}: the SDK's ${name} declares ${field}: ${type}, the response lacks it: ${JSON.stringify(v)}`);
			continue;
		}
		assertType(models, type, v[field], `${path}.${field}`);
	}
	for (const field of Object.keys(v)) {
		assert.ok(field in fields, `${path}: the response has ${field}, which the SDK's ${name} does not declare`);
	}
}

function assertType(models, type, v, path) {
	if (type.endsWith('[]')) {
		assert.ok(Array.isArray(v), `${path}: want ${type}, got ${JSON.stringify(v)}`);
		v.forEach((x, i) => assertType(models, type.slice(0, -2), x, `${path}[${i}]`));
		return;
	}
	switch (type) {
		case 'string':
		case 'boolean':
			assert.equal(typeof v, type, `${path}: want ${type}, got ${JSON.stringify(v)}`);
			return;
		case 'number':
			assert.ok(typeof v === 'number' || typeof v === 'bigint', `${path}: want a number, got ${JSON.stringify(v)}`);
			return;
		case 'object':
		case 'Preferences':
			assert.ok(v && typeof v === 'object' && !Array.isArray(v), `${path}: want an object, got ${JSON.stringify(v)}`);
			return;
	}
	const model = type.replace(/^Models\./, '').replace(/<.*>$/, '');
	if (models[model]) assertModel(models, model, v, path);
}

/** Asserts that promise rejects with an Appwrite error of code and type. */
async function rejectsWith(promise, { code, type, message }) {
	await assert.rejects(promise, (err) => {
		assert.equal(err?.constructor?.name, 'AppwriteException', `expected an AppwriteException, got ${err?.stack ?? err}`);
		assert.deepEqual({ code: err.code, type: err.type }, { code, type }, `error: ${err.response}`);
		if (message) assert.match(err.message, message);
		return true;
	});
}

/** The `exp` claim of a JWT, in ms. */
function jwtExpiry(jwt) {
	return JSON.parse(Buffer.from(jwt.split('.')[1], 'base64url').toString()).exp * 1000;
}

/** The link of a mail's text part. */
function linkOf(mail) {
	const links = [...new Set(mail.text.match(/https?:\/\/[^\s<>"]+/g) ?? [])];
	assert.equal(links.length, 1, `one link in: ${mail.text}`);
	return new URL(links[0]);
}

describe('the same journeys through SDK 11, 13, 16 and 28', () => {
	let smtp;
	let sms;
	before(async () => {
		smtp = await startSmtpSink();
		sms = await startTwilioSink({ sid: TWILIO_SID, token: TWILIO_TOKEN });
	});
	after(async () => {
		await smtp?.close();
		await sms?.close();
	});
	const env = useCaddy({
		projectLines: () => [
			'rate_limit off',
			`mailer smtp 127.0.0.1:${smtp.port} {\ntls none\nfrom ${MAIL_FROM}\n}`,
			`sms twilio ${TWILIO_SID} ${TWILIO_TOKEN} ${TWILIO_FROM} {\nbase_url ${sms.baseURL}\n}`,
		],
	});

	/** Runs fn, then waits for the next mail to address whose subject matches. */
	async function mailMatching(address, subject, fn) {
		const seen = new Set(smtp.to(address));
		const result = await fn();
		const mail = await smtp.waitFor((m) => !seen.has(m) && m.envelope.to.includes(address) && subject.test(m.subject), {
			what: `a mail ${subject} to ${address}`,
			detail: () => env.caddy.tail(40),
		});
		return { result, mail };
	}

	/** Runs fn, then waits for the next SMS to phone and returns its body. */
	async function textAfter(phone, fn) {
		const seen = new Set(sms.to(phone));
		const result = await fn();
		const msg = await sms.waitFor((m) => !seen.has(m) && m.to === phone, { what: `an SMS to ${phone}`, detail: () => env.caddy.tail(40) });
		return { result, code: msg.body };
	}

	/** Runs fn, then waits for the next mail to address with subject. */
	async function mailAfter(address, subject, fn) {
		return mailMatching(address, new RegExp(`^${subject}$`), fn);
	}

	for (const sdk of SDKS) {
		describe(`appwrite ${sdk.version} (format ${sdk.format})`, () => {
			let mod;
			let models;
			let client;
			let storage;
			let account;
			let user;
			let session;
			const email = uniqueEmail(`sdk${sdk.version.split('.')[0]}`);
			const major = Number(sdk.version.split('.')[0]);
			const today = major >= 16; // format 1.5 on

			before(async () => {
				mod = await import(sdk.pkg);
				models = await sdkModels(sdk.pkg);
				client = new mod.Client().setEndpoint(env.endpoint).setProject(PROJECT);
				storage = shim.newStorage();
				account = bindStorage(new mod.Account(client), storage);
			});

			test('the SDK sends its response format', async () => {
				const sdkFile = await readFile(new URL(`./node_modules/${sdk.pkg}/package.json`, import.meta.url), 'utf8');
				assert.equal(JSON.parse(sdkFile).version, sdk.version);
				assert.equal(client.headers['X-Appwrite-Response-Format'] ?? client.headers['x-appwrite-response-format'], sdk.format);
			});

			test('sign-up', async () => {
				user = await account.create(mod.ID.unique(), email, PASSWORD, 'Ada Lovelace');
				assertModel(models, 'User', user);
				assert.equal(user.email, email);
			});

			test('email sign-in', async () => {
				session = major >= 14 ? await account.createEmailPasswordSession(email, PASSWORD) : await account.createEmailSession(email, PASSWORD);
				assertModel(models, 'Session', session);
				assert.equal(session.userId, user.$id);
				assert.equal(session.provider, 'email');
				assert.equal(session.current, true);
				if (today) {
					assert.deepEqual(session.factors, ['password']);
					assert.equal(session.secret, '');
					assert.equal(session.$updatedAt, session.$createdAt);
				}
			});

			test('get account', async () => {
				const me = await account.get();
				assertModel(models, 'User', me);
				assert.equal(me.$id, user.$id);
				if ('labels' in models.User) assert.deepEqual(me.labels, []);
				if ('accessedAt' in models.User) assert.match(me.accessedAt, ISO_MS);
				if ('mfa' in models.User) assert.equal(me.mfa, false);
				if ('targets' in models.User) {
					assert.equal(me.targets.length, 1);
					assert.equal(me.targets[0].providerType, 'email');
					assert.equal(me.targets[0].identifier, email);
				}
			});

			test('JWT', async () => {
				const before = Date.now();
				const { jwt } = await account.createJWT();
				assertModel(models, 'Jwt', { jwt });
				const lifetime = jwtExpiry(jwt) - before;
				assert.ok(lifetime > 14 * 60_000 && lifetime <= 16 * 60_000, `JWT lifetime ${lifetime} ms, want 15 minutes`);
				const withJWT = new mod.Client().setEndpoint(env.endpoint).setProject(PROJECT).setJWT(jwt);
				const me = await bindStorage(new mod.Account(withJWT), shim.newStorage()).get();
				assert.equal(me.$id, user.$id);
				if (major >= 28) {
					const short = await account.createJWT(60);
					const l = jwtExpiry(short.jwt) - Date.now();
					assert.ok(l > 50_000 && l <= 61_000, `JWT of 60 s lives ${l} ms`);
				}
			});

			test('email verification: create, mail, confirm', async () => {
				const url = `${env.origin}/verify`;
				const { result: tok, mail } = await mailAfter(email, 'Account Verification', () =>
					major >= 28 ? account.createEmailVerification(url) : account.createVerification(url),
				);
				assertModel(models, 'Token', tok);
				assert.equal(tok.secret, '');
				const link = linkOf(mail);
				assert.equal(link.searchParams.get('userId'), user.$id);
				const secret = link.searchParams.get('secret');
				const done = major >= 28 ? await account.updateEmailVerification(user.$id, secret) : await account.updateVerification(user.$id, secret);
				assertModel(models, 'Token', done);
				assert.equal((await account.get()).emailVerification, true);
			});

			test('sessions: list, get, update', async () => {
				const list = await account.listSessions();
				assertModel(models, 'SessionList', list);
				assert.equal(list.total, 1);
				const current = await account.getSession('current');
				assertModel(models, 'Session', current);
				assert.equal(current.$id, session.$id);
				if (today) {
					// From format 1.5 on, any session is extended.
					const updated = await account.updateSession('current');
					assertModel(models, 'Session', updated);
					assert.equal(updated.$id, session.$id);
					assert.ok(Date.parse(updated.expire) > Date.parse(session.expire), `expire ${updated.expire} after ${session.expire}`);
					assert.ok(Date.parse(updated.$updatedAt) > Date.parse(session.$updatedAt));
				} else {
					// Before it, only OAuth2 sessions can be refreshed.
					await rejectsWith(account.updateSession('current'), { code: 400, type: 'general_argument_invalid', message: /only OAuth2 sessions/ });
				}
			});

			test("logs with the SDK's Query helper", async () => {
				// SDK 28 dropped listLogs; the route is still called with its
				// Query helper (today's JSON syntax) through its client.
				const listLogs = sdk.logs
					? (queries) => account.listLogs(queries)
					: (queries) => shim.runAs(storage, () => client.call('get', new URL(`${env.endpoint}/account/logs`), {}, queries ? { queries } : {}));
				// SDK 28 declares no log models either: its logs are checked
				// against SDK 16's, the last that declares them.
				const logModels = models.LogList ? models : await sdkModels('appwrite-16');
				const all = await listLogs();
				assertModel(logModels, 'LogList', all);
				assert.ok(all.total >= 3, `total ${all.total}`);
				const queries = [mod.Query.limit(1), mod.Query.offset(1)];
				assert.equal(queries[0].startsWith('{'), major >= 16, `the Query syntax of SDK ${sdk.version}: ${queries[0]}`);
				const one = await listLogs(queries);
				assertModel(logModels, 'LogList', one);
				assert.equal(one.total, all.total);
				assert.equal(one.logs.length, 1);
				assert.deepEqual(one.logs[0], all.logs[1]);
			});

			test('anonymous sign-in', async () => {
				const anon = bindStorage(new mod.Account(new mod.Client().setEndpoint(env.endpoint).setProject(PROJECT)), shim.newStorage());
				const s = await anon.createAnonymousSession();
				assertModel(models, 'Session', s);
				assert.equal(s.provider, 'anonymous');
				if (today) assert.deepEqual(s.factors, ['anonymous']);
				assertModel(models, 'User', await anon.get());
			});

			// SDK 11 (format 1.3) has no identities: the journey is not
			// registered for it rather than skipped.
			if (major >= 13) test('identities', async () => {
				// SDK 13 declares its queries as one string.
				const list = await account.listIdentities(major === 13 ? mod.Query.limit(5) : [mod.Query.limit(5)]);
				assertModel(models, 'IdentityList', list);
				assert.deepEqual({ total: list.total, identities: list.identities }, { total: 0, identities: [] });
				await rejectsWith(account.deleteIdentity('missing'), { code: 404, type: 'user_identity_not_found' });
			});

			test('recovery', async () => {
				const { result: tok, mail } = await mailAfter(email, 'Password Reset', () => account.createRecovery(email, `${env.origin}/recovery`));
				assertModel(models, 'Token', tok);
				const secret = linkOf(mail).searchParams.get('secret');
				// From SDK 14 (format 1.5) on, updateRecovery has no passwordAgain.
				const done = major >= 14 ? await account.updateRecovery(user.$id, secret, NEW_PASSWORD) : await account.updateRecovery(user.$id, secret, NEW_PASSWORD, NEW_PASSWORD);
				assertModel(models, 'Token', done);
				const again = major >= 14 ? await account.createEmailPasswordSession(email, NEW_PASSWORD) : await account.createEmailSession(email, NEW_PASSWORD);
				assert.equal(again.userId, user.$id);
			});

			// Token sign-in came with SDK 14 (format 1.5): the journey is
			// registered for the SDKs that have it.
			if (today) describe('token sign-in', () => {
				/** A guest's Account with its own cookie storage. */
				const guest = () => bindStorage(new mod.Account(new mod.Client().setEndpoint(env.endpoint).setProject(PROJECT)), shim.newStorage());
				const invalidToken = { code: 401, type: 'user_invalid_token' };

				/** Spends userId/secret in a fresh guest, checks the session, and returns that guest. */
				async function spend(userId, secret, provider, factor) {
					const g = guest();
					const s = await g.createSession(userId, secret);
					assertModel(models, 'Session', s);
					assert.equal(s.userId, userId);
					assert.equal(s.provider, provider);
					assert.equal(s.current, true);
					assert.deepEqual(s.factors, [factor]);
					assert.equal((await g.get()).$id, userId);
					// Spent: replayed from anywhere, it is refused.
					await rejectsWith(guest().createSession(userId, secret), invalidToken);
					return g;
				}

				test('magic URL token with a security phrase', async () => {
					const address = uniqueEmail(`magic${major}`);
					const { result: tok, mail } = await mailAfter(address, 'Login', () => guest().createMagicURLToken(mod.ID.unique(), address, `${env.origin}/magic`, true));
					assertModel(models, 'Token', tok);
					assert.equal(tok.secret, '');
					assert.match(tok.phrase, /^[A-Z][a-z]+ [A-Z][a-z]+$/);
					assert.ok(mail.text.includes(`Security phrase: ${tok.phrase}`), mail.text);
					const link = linkOf(mail);
					assert.equal(link.origin + link.pathname, `${env.origin}/magic`);
					assert.equal(link.searchParams.get('userId'), tok.userId);
					const g = await spend(tok.userId, link.searchParams.get('secret'), 'magic-url', 'email');
					const me = await g.get();
					assert.equal(me.email, address);
					assert.equal(me.emailVerification, true);
				});

				test('email OTP: a six-digit code by mail', async () => {
					const address = uniqueEmail(`otp${major}`);
					const { result: tok, mail } = await mailMatching(address, /^Sign-in code for /, () => guest().createEmailToken(mod.ID.unique(), address));
					assertModel(models, 'Token', tok);
					assert.equal(tok.phrase, '');
					const lifetime = Date.parse(tok.expire) - Date.parse(tok.$createdAt);
					assert.equal(lifetime, 15 * 60_000);
					const code = /\b\d{6}\b/.exec(mail.text)?.[0];
					assert.ok(code, mail.text);
					await rejectsWith(guest().createSession(tok.userId, code === '000000' ? '000001' : '000000'), invalidToken);
					const g = await spend(tok.userId, code, 'token', 'email');
					assert.equal((await g.get()).emailVerification, true);
				});

				test('email OTP finds the existing account, whatever userId says', async () => {
					const { result: tok, mail } = await mailMatching(email, /^Sign-in code for /, () => guest().createEmailToken(mod.ID.unique(), email));
					assert.equal(tok.userId, user.$id);
					await spend(user.$id, /\b\d{6}\b/.exec(mail.text)[0], 'token', 'email');
				});

				test('phone token: a code by SMS', async () => {
					const phone = '+1555' + String(randomInt(0, 10_000_000)).padStart(7, '0');
					const { result: tok, code } = await textAfter(phone, () => guest().createPhoneToken(mod.ID.unique(), phone));
					assertModel(models, 'Token', tok);
					assert.match(code, /^\d{6}$/);
					const g = await spend(tok.userId, code, 'phone', 'phone');
					const me = await g.get();
					assert.equal(me.phone, phone);
					assert.equal(me.phoneVerification, true);
				});
			});

			// Only SDKs with push targets can ask for them (MFA, built
			// since, has its own journeys in mfa.test.mjs).
			if (major >= 16) test('what is not built yet answers general_not_implemented', async () => {
				await rejectsWith(account.createPushTarget(mod.ID.unique(), 'device-token'), { code: 405, type: 'general_not_implemented', message: /Push targets/ });
			});
		});
	}
});
