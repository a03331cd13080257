// The token flows through the official Appwrite web SDK 11.0.1, unmodified,
// against real Caddy binaries with accountgate (env CADDY_BIN), with real
// delivery: a real SMTP server on loopback (npm smtp-server, mails parsed
// with mailparser) and a Twilio-shaped HTTP endpoint on loopback for SMS.
//
//   * magic URL sign-in (POST/PUT /v1/account/sessions/magic-url) and the
//     instance's /auth/magic-url page (its headers and markup; e2e/pages.test.mjs
//     opens it in a browser);
//   * phone sign-in (POST/PUT /v1/account/sessions/phone);
//   * password recovery (POST/PUT /v1/account/recovery);
//   * email verification (POST/PUT /v1/account/verification);
//   * phone verification (POST/PUT /v1/account/verification/phone);
//   * secrets of one flow never work in another; token responses never
//     carry the secret; url checks; 503 without a mailer / SMS provider;
//   * the outbox is durable: a mail requested while the SMTP server is down
//     is delivered, exactly once, by a restarted Caddy on the same data.
//
// Expired secrets are not tested here: their lifetimes are 15 minutes to
// 7 days, too long to wait for end to end. Expiry is covered by the Go
// tests (account package, with a fake clock); here the `expire` values are
// only checked against the documented lifetimes.
//
// Contract: /work/shared/spec/appwrite-1.3-facts.md (part A items 1-3, 5,
// 11, 13-18, 36; §2.6, §4.3, §5.6-5.9, §5.26-5.31, §6 item 6, §7).

import assert from 'node:assert/strict';
import { randomInt } from 'node:crypto';
import { rm } from 'node:fs/promises';
import { after, before, describe, test } from 'node:test';
import { setTimeout as sleep } from 'node:timers/promises';

import {
	bindStorage,
	freePort,
	installBrowserShim,
	ISO_MS,
	newCaddyDir,
	PROJECT,
	rawRequest,
	startCaddy,
	startSmtpSink,
	startTwilioSink,
	startUpstream,
	uniqueEmail,
	useCaddy,
	waitUntil,
} from './harness.mjs';

// The SDK looks for `window` (localStorage, console) at call time; install the
// shim first, then load the SDK.
const shim = installBrowserShim();
const { Client, Account, ID, AppwriteException } = await import('appwrite');

const PASSWORD = 'password123';
const NEW_PASSWORD = 'another-password-456';
const PROJECT_NAME = 'Acme E2E';
const MAIL_FROM = 'no-reply@example.com';
const TWILIO_SID = 'AC' + '0123456789abcdef'.repeat(2);
const TWILIO_TOKEN = 'e2e-twilio-auth-token-0123456789';
const TWILIO_FROM = '+15005550006';
const TOKEN_KEYS = ['$id', '$createdAt', 'userId', 'secret', 'expire'];
const GUEST_SCOPE = 'User (role: guests) missing scope (account)';
const MINUTE = 60_000;
const HOUR = 60 * MINUTE;
const DAY = 24 * HOUR;

// ---------------------------------------------------------------- helpers

/** A fresh E.164 number: +1555 and 7 random digits. */
function uniquePhone() {
	return '+1555' + String(randomInt(0, 10_000_000)).padStart(7, '0');
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

/**
 * A token model as the create and confirm routes send it: the model's
 * fields, no secret (part A 15-16), `expire` about `lifetime` ms from now.
 */
function assertToken(tok, { userId, lifetime } = {}) {
	assert.deepEqual(Object.keys(tok), TOKEN_KEYS, `token model fields: ${JSON.stringify(tok)}`);
	assert.equal(tok.secret, '', `a token response must not carry the secret: ${JSON.stringify(tok)}`);
	assert.match(tok.$id, /^[0-9a-f]{20}$/);
	assert.match(tok.$createdAt, ISO_MS);
	assert.match(tok.expire, ISO_MS);
	if (userId !== undefined) assert.equal(tok.userId, userId);
	if (lifetime !== undefined) {
		const off = Date.parse(tok.expire) - (Date.now() + lifetime);
		assert.ok(Math.abs(off) < 2 * MINUTE, `expire ${tok.expire} should be about ${lifetime / MINUTE} minutes from now`);
	}
}

/** Appwrite's database datetime (facts §7) of an ISO 8601 token expire. */
function dbTime(iso) {
	return new Date(iso).toISOString().slice(0, 23).replace('T', ' ');
}

/** Decodes the HTML character references a template engine may write in an attribute. */
function decodeEntities(s) {
	const named = { amp: '&', quot: '"', apos: "'", lt: '<', gt: '>' };
	return s.replace(/&(?:#(\d+)|#x([0-9a-f]+)|(amp|quot|apos|lt|gt));/gi, (m, dec, hex, name) =>
		dec ? String.fromCodePoint(Number(dec)) : hex ? String.fromCodePoint(parseInt(hex, 16)) : named[name.toLowerCase()],
	);
}

/**
 * The one link of a mail: the http(s) URL in its text part, which the HTML
 * part must carry too (as an href). Returns a URL.
 */
function linkOf(mail) {
	const inText = [...new Set(mail.text.match(/https?:\/\/[^\s<>"]+/g) ?? [])];
	assert.equal(inText.length, 1, `one link in the text part, got ${JSON.stringify(inText)} in:\n${mail.text}`);
	const href = inText[0];
	if (mail.html) {
		const hrefs = [...mail.html.matchAll(/href="([^"]*)"/g)].map((m) => decodeEntities(m[1]));
		assert.ok(hrefs.includes(href), `the HTML part links to ${href}; its hrefs: ${JSON.stringify(hrefs)}`);
	}
	return new URL(href);
}

/**
 * Checks a link's token query (facts §7): userId, secret, expire (the DB
 * datetime, URL-encoded with + and %3A) and, for magic URLs only, project.
 * Returns the secret.
 */
function assertLinkQuery(link, tok, { project }) {
	const q = link.searchParams;
	assert.equal(q.get('userId'), tok.userId);
	const secret = q.get('secret');
	assert.ok(secret && secret.length >= 32, `secret in the link: ${link}`);
	assert.equal(q.get('expire'), dbTime(tok.expire));
	assert.ok(link.search.includes('expire=' + encodeURIComponent(dbTime(tok.expire)).replaceAll('%20', '+')), `expire is URL-encoded as in 1.3: ${link.search}`);
	assert.equal(q.get('project'), project ?? null, `project in the link: ${link}`);
	return secret;
}

// ---------------------------------------------------------------- with a mailer and an SMS provider

describe('token flows with SMTP and Twilio-shaped SMS on loopback', () => {
	let smtp;
	let sms;
	before(async () => {
		smtp = await startSmtpSink();
		sms = await startTwilioSink({ sid: TWILIO_SID, token: TWILIO_TOKEN });
	});
	// Rate limits off: this file makes many tokens; limits have their own tests.
	const env = useCaddy({
		projectLines: () => [
			'rate_limit off',
			`project_name "${PROJECT_NAME}"`,
			`mailer smtp 127.0.0.1:${smtp.port} {\ntls none\nfrom ${MAIL_FROM}\n}`,
			`sms twilio ${TWILIO_SID} ${TWILIO_TOKEN} ${TWILIO_FROM} {\nbase_url ${sms.baseURL}\n}`,
		],
	});
	after(async () => {
		await smtp?.close();
		await sms?.close();
	});

	const caddyTail = () => `--- Caddy output ---\n${env.caddy.tail(40)}`;

	function newClient() {
		const client = new Client().setEndpoint(env.endpoint).setProject(PROJECT);
		const storage = shim.newStorage();
		return { client, storage, account: bindStorage(new Account(client), storage) };
	}

	async function signedIn(c = newClient(), email = uniqueEmail('tok')) {
		const user = await c.account.create(ID.unique(), email, PASSWORD, 'Ada Lovelace');
		const session = await c.account.createEmailSession(email, PASSWORD);
		return { ...c, user, session, email };
	}

	/** Runs fn, then waits for the next mail to `address` with `subject`. */
	async function mailAfter(address, subject, fn) {
		const seen = new Set(smtp.to(address));
		const result = await fn();
		const mail = await smtp.waitFor((m) => !seen.has(m) && m.envelope.to.includes(address) && m.subject === subject, {
			what: `a mail "${subject}" to ${address} (got ${smtp.to(address).map((m) => JSON.stringify(m.subject)).join(', ') || 'none'})`,
			detail: caddyTail,
		});
		return { result, mail };
	}

	/** Runs fn, then waits for the next SMS to `phone`. */
	async function smsAfter(phone, fn) {
		const seen = new Set(sms.to(phone));
		const result = await fn();
		const msg = await sms.waitFor((m) => !seen.has(m) && m.to === phone, {
			what: `an SMS to ${phone} (rejected requests: ${JSON.stringify(sms.rejected)})`,
			detail: caddyTail,
		});
		return { result, msg };
	}

	/** Checks an SMS as the Twilio endpoint got it; returns the code. */
	function codeOf(msg, phone) {
		assert.equal(msg.to, phone);
		assert.equal(msg.from, TWILIO_FROM);
		assert.match(msg.body, /^\d{6}$/, `the SMS body is just the 6-digit code, got ${JSON.stringify(msg.body)}`);
		return msg.body;
	}

	/** fetch against Caddy with the project header and a JSON body. */
	async function api(path, { method = 'GET', headers = {}, body } = {}) {
		const h = { 'X-Appwrite-Project': PROJECT, ...headers };
		const init = { method, headers: h, redirect: 'manual' };
		if (body !== undefined) {
			h['Content-Type'] = 'application/json';
			init.body = JSON.stringify(body);
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

	describe('magic URL', () => {
		test('mail with a link → updateMagicURLSession signs in, proves the email; the secret is single use', async () => {
			const email = uniqueEmail('magic');
			const guest = newClient();
			const url = 'http://localhost:5173/auth/callback?next=%2Fhome#top';
			const { result: tok, mail } = await mailAfter(email, 'Login', () => guest.account.createMagicURLSession(ID.unique(), email, url));
			assertToken(tok, { lifetime: HOUR }); // part A 2: one hour
			assert.match(tok.userId, /^[0-9a-f]{20}$/);

			assert.deepEqual(mail.envelope, { from: MAIL_FROM, to: [email] });
			assert.deepEqual(mail.to.map((a) => a.address), [email]);
			assert.equal(mail.from[0]?.address, MAIL_FROM);
			assert.ok(mail.text.includes(PROJECT_NAME), `the mail names the project:\n${mail.text}`);

			const link = linkOf(mail);
			// The given url, its port, query and fragment kept (facts §7).
			assert.equal(link.origin, 'http://localhost:5173');
			assert.equal(link.pathname, '/auth/callback');
			assert.equal(link.hash, '#top');
			assert.equal(link.searchParams.get('next'), '/home');
			const secret = assertLinkQuery(link, tok, { project: PROJECT });

			const c = newClient();
			const session = await c.account.updateMagicURLSession(link.searchParams.get('userId'), secret);
			assert.equal(session.userId, tok.userId);
			assert.equal(session.provider, 'magic-url');
			assert.equal(session.current, true);
			const me = await c.account.get();
			assert.equal(me.$id, tok.userId);
			assert.equal(me.email, email);
			assert.equal(me.emailVerification, true);

			await rejectsWith(newClient().account.updateMagicURLSession(tok.userId, secret), { code: 401, type: 'user_invalid_token' });
		});

		test('without url, the link goes to <public_url>/auth/magic-url; an existing account is found by (lowercased) email', async () => {
			const { user, email } = await signedIn();
			const typed = email.toUpperCase();
			const { result: tok, mail } = await mailAfter(email, 'Login', () => newClient().account.createMagicURLSession(ID.unique(), typed));
			assertToken(tok, { userId: user.$id }); // part A 5: userId only for new accounts; part A 11: lowercased
			const link = linkOf(mail);
			assert.equal(link.origin, env.origin);
			assert.equal(link.pathname, '/auth/magic-url');
			const secret = assertLinkQuery(link, tok, { project: PROJECT });

			const c = newClient();
			await c.account.updateMagicURLSession(user.$id, secret);
			const me = await c.account.get();
			assert.equal(me.$id, user.$id);
			assert.equal(me.emailVerification, true);
		});

		test('/auth/magic-url is a strict HTML page, and loading it does not spend the secret', async () => {
			const email = uniqueEmail('page');
			const { result: tok, mail } = await mailAfter(email, 'Login', () => newClient().account.createMagicURLSession(ID.unique(), email));
			const link = linkOf(mail);
			assert.equal(link.pathname, '/auth/magic-url');

			// What a mail scanner or the browser does: GET the link.
			const page = await rawRequest(env.origin + link.pathname + link.search);
			assert.equal(page.status, 200, page.text);
			assert.match(page.headers['content-type'], /^text\/html\b/);
			// same-origin, not no-referrer: the page's form posts need their
			// Origin (Chromium sends "Origin: null" under no-referrer); the URL
			// with the secret still never goes to another site.
			assert.equal(page.headers['referrer-policy'], 'same-origin');
			assert.equal(page.headers['cache-control'], 'no-store');
			const csp = page.headers['content-security-policy'];
			assert.ok(csp, 'a Content-Security-Policy header');
			const directives = Object.fromEntries(
				csp
					.split(';')
					.map((d) => d.trim().split(/\s+/))
					.filter((d) => d[0])
					.map(([name, ...values]) => [name.toLowerCase(), values]),
			);
			assert.deepEqual(directives['default-src'], ["'none'"], `CSP: ${csp}`);
			assert.deepEqual(directives['script-src'], ["'self'"], `only the site's own script files: ${csp}`);
			assert.deepEqual(directives['form-action'], ["'self'"], `CSP: ${csp}`);
			assert.deepEqual(directives['frame-ancestors'], ["'none'"], `CSP: ${csp}`);
			// No inline script; the one script is the pages' own file, which
			// posts the page's form (the form's button does without script).
			assert.ok(!/<script(?![^>]*\ssrc=)[^>]*>/i.test(page.text), 'no inline script');
			const srcs = [...page.text.matchAll(/<script[^>]*\ssrc="([^"]*)"/gi)].map((m) => m[1]);
			assert.deepEqual(srcs, ['/auth/pages.js']);
			assert.match(page.text, /<form method="post" action="\/auth\/magic-url"/);

			// The GET changed nothing: the secret still signs in, once.
			const c = newClient();
			const session = await c.account.updateMagicURLSession(tok.userId, link.searchParams.get('secret'));
			assert.equal(session.userId, tok.userId);
		});
	});

	describe('phone session', () => {
		test('SMS with a 6-digit code → updatePhoneSession signs in, proves the phone; the code is single use', async () => {
			const phone = uniquePhone();
			const { result: tok, msg } = await smsAfter(phone, () => newClient().account.createPhoneSession(ID.unique(), phone));
			assertToken(tok, { lifetime: 15 * MINUTE }); // part A 3
			const code = codeOf(msg, phone);
			assert.deepEqual(msg.fields.sort(), ['Body', 'From', 'To']);

			const c = newClient();
			const session = await c.account.updatePhoneSession(tok.userId, code);
			assert.equal(session.userId, tok.userId);
			assert.equal(session.provider, 'phone');
			assert.equal(session.current, true);
			const me = await c.account.get();
			assert.equal(me.$id, tok.userId);
			assert.equal(me.phone, phone);
			assert.equal(me.email, '');
			assert.equal(me.phoneVerification, true);

			await rejectsWith(newClient().account.updatePhoneSession(tok.userId, code), { code: 401, type: 'user_invalid_token' });

			// A second sign-in with the same number finds the same account.
			const again = await smsAfter(phone, () => newClient().account.createPhoneSession(ID.unique(), phone));
			assert.equal(again.result.userId, tok.userId);
			assert.equal(sms.rejected.length, 0, `requests the Twilio endpoint refused: ${JSON.stringify(sms.rejected)}`);
		});
	});

	describe('recovery', () => {
		test('mail → mismatch 400 → reset 200 → single use; old password fails, new works; every other session ends', async () => {
			const a = await signedIn();
			const b = newClient();
			await b.account.createEmailSession(a.email, PASSWORD);
			await b.account.get();

			const url = 'http://localhost/reset-password?lang=en';
			const { result: tok, mail } = await mailAfter(a.email, 'Password Reset', () => newClient().account.createRecovery(a.email, url));
			assertToken(tok, { userId: a.user.$id, lifetime: HOUR });
			assert.deepEqual(mail.envelope, { from: MAIL_FROM, to: [a.email] });
			assert.deepEqual(
				mail.to.map((x) => [x.address, x.name]),
				[[a.email, 'Ada Lovelace']],
				'recovery mail goes to the address and name',
			);
			assert.ok(mail.text.includes('Ada Lovelace'), `greets the user by name:\n${mail.text}`);
			const link = linkOf(mail);
			assert.equal(link.origin, 'http://localhost');
			assert.equal(link.pathname, '/reset-password');
			assert.equal(link.searchParams.get('lang'), 'en');
			const secret = assertLinkQuery(link, tok, { project: undefined });

			const guest = newClient();
			await rejectsWith(guest.account.updateRecovery(a.user.$id, secret, NEW_PASSWORD, NEW_PASSWORD + 'x'), {
				code: 400,
				type: 'user_password_mismatch',
			});
			// The mismatch did not spend the secret.
			const done = await guest.account.updateRecovery(a.user.$id, secret, NEW_PASSWORD, NEW_PASSWORD);
			assertToken(done, { userId: a.user.$id });
			assert.equal(done.$id, tok.$id);

			await rejectsWith(guest.account.updateRecovery(a.user.$id, secret, 'third-password-789', 'third-password-789'), {
				code: 401,
				type: 'user_invalid_token',
			});

			// Part A 18: every session of the user is gone.
			await rejectsWith(a.account.get(), { code: 401, type: 'general_unauthorized_scope', message: GUEST_SCOPE });
			await rejectsWith(b.account.get(), { code: 401, type: 'general_unauthorized_scope', message: GUEST_SCOPE });

			await rejectsWith(newClient().account.createEmailSession(a.email, PASSWORD), { code: 401, type: 'user_invalid_credentials' });
			const c = newClient();
			await c.account.createEmailSession(a.email, NEW_PASSWORD);
			const me = await c.account.get();
			assert.equal(me.$id, a.user.$id);
			assert.equal(me.emailVerification, true, 'part A 18: a recovery proves the email');
		});

		test('an unknown email → 404 user_not_found, and no mail', async () => {
			const email = uniqueEmail('nobody');
			await rejectsWith(newClient().account.createRecovery(email, 'http://localhost/reset'), { code: 404, type: 'user_not_found' });
			await sleep(300);
			assert.equal(smtp.to(email).length, 0);
		});
	});

	describe('email verification', () => {
		test('mail → updateVerification proves the email; single use', async () => {
			const a = await signedIn();
			assert.equal(a.user.emailVerification, false);
			const { result: tok, mail } = await mailAfter(a.email, 'Account Verification', () => a.account.createVerification('http://localhost/verify'));
			assertToken(tok, { userId: a.user.$id, lifetime: 7 * DAY });
			assert.deepEqual(mail.envelope, { from: MAIL_FROM, to: [a.email] });
			assert.deepEqual(mail.to.map((x) => x.name), ['Ada Lovelace']);
			const link = linkOf(mail);
			assert.equal(link.origin + link.pathname, 'http://localhost/verify');
			const secret = assertLinkQuery(link, tok, { project: undefined });

			// The confirmation needs no session (facts §5.29).
			const done = await newClient().account.updateVerification(a.user.$id, secret);
			assertToken(done, { userId: a.user.$id });
			assert.equal(done.$id, tok.$id);
			assert.equal((await a.account.get()).emailVerification, true);

			await rejectsWith(a.account.updateVerification(a.user.$id, secret), { code: 401, type: 'user_invalid_token' });
		});

		test('createVerification needs a session', async () => {
			await rejectsWith(newClient().account.createVerification('http://localhost/verify'), {
				code: 401,
				type: 'general_unauthorized_scope',
				message: GUEST_SCOPE,
			});
		});
	});

	describe('phone verification', () => {
		test('updatePhone → SMS → updatePhoneVerification (own session only) proves the phone; single use', async () => {
			const a = await signedIn();
			const phone = uniquePhone();
			await a.account.updatePhone(phone, PASSWORD);
			const { result: tok, msg } = await smsAfter(phone, () => a.account.createPhoneVerification());
			assertToken(tok, { userId: a.user.$id, lifetime: 15 * MINUTE }); // part A 3
			const code = codeOf(msg, phone);

			// Part A 13: a guest, or another user, cannot use the code.
			await rejectsWith(newClient().account.updatePhoneVerification(a.user.$id, code), { code: 401, type: 'user_invalid_token' });
			const other = await signedIn();
			await rejectsWith(other.account.updatePhoneVerification(a.user.$id, code), { code: 401, type: 'user_invalid_token' });
			assert.equal((await a.account.get()).phoneVerification, false);

			const done = await a.account.updatePhoneVerification(a.user.$id, code);
			assertToken(done, { userId: a.user.$id });
			assert.equal(done.$id, tok.$id);
			const me = await a.account.get();
			assert.equal(me.phone, phone);
			assert.equal(me.phoneVerification, true);

			await rejectsWith(a.account.updatePhoneVerification(a.user.$id, code), { code: 401, type: 'user_invalid_token' });
		});

		test('an account without a phone → 400 user_phone_not_found', async () => {
			const a = await signedIn();
			await rejectsWith(a.account.createPhoneVerification(), { code: 400, type: 'user_phone_not_found' });
		});
	});

	describe('secrets are bound to their flow and user', () => {
		test('recovery, verification and magic URL secrets only work in their own flow', async () => {
			const a = await signedIn();
			const other = await signedIn();
			const guest = newClient();
			const r = await mailAfter(a.email, 'Password Reset', () => guest.account.createRecovery(a.email, 'http://localhost/reset'));
			const v = await mailAfter(a.email, 'Account Verification', () => a.account.createVerification('http://localhost/verify'));
			const m = await mailAfter(a.email, 'Login', () => guest.account.createMagicURLSession(ID.unique(), a.email, 'http://localhost/magic'));
			const rs = assertLinkQuery(linkOf(r.mail), r.result, { project: undefined });
			const vs = assertLinkQuery(linkOf(v.mail), v.result, { project: undefined });
			const ms = assertLinkQuery(linkOf(m.mail), m.result, { project: PROJECT });
			const uid = a.user.$id;
			const invalid = { code: 401, type: 'user_invalid_token' };

			await rejectsWith(guest.account.updateVerification(uid, rs), invalid);
			await rejectsWith(newClient().account.updateMagicURLSession(uid, rs), invalid);
			await rejectsWith(guest.account.updateRecovery(uid, vs, NEW_PASSWORD, NEW_PASSWORD), invalid);
			await rejectsWith(newClient().account.updateMagicURLSession(uid, vs), invalid);
			await rejectsWith(guest.account.updateRecovery(uid, ms, NEW_PASSWORD, NEW_PASSWORD), invalid);
			await rejectsWith(guest.account.updateVerification(uid, ms), invalid);
			// Another user's id with a's secrets.
			await rejectsWith(guest.account.updateVerification(other.user.$id, vs), invalid);
			await rejectsWith(guest.account.updateRecovery(other.user.$id, rs, NEW_PASSWORD, NEW_PASSWORD), invalid);
			await rejectsWith(newClient().account.updateMagicURLSession(other.user.$id, ms), invalid);
			assert.equal((await a.account.get()).emailVerification, false);
			await other.account.get(); // the other user's session is untouched

			// None of the failures spent a secret: each works in its own flow.
			assertToken(await guest.account.updateVerification(uid, vs), { userId: uid });
			const c = newClient();
			assert.equal((await c.account.updateMagicURLSession(uid, ms)).userId, uid);
			assertToken(await guest.account.updateRecovery(uid, rs, NEW_PASSWORD, NEW_PASSWORD), { userId: uid });
		});

		test('phone-session codes and phone-verification codes only work in their own flow (part A 14)', async () => {
			const phone = uniquePhone();
			const first = await smsAfter(phone, () => newClient().account.createPhoneSession(ID.unique(), phone));
			const uid = first.result.userId;
			const c = newClient();
			await c.account.updatePhoneSession(uid, codeOf(first.msg, phone));

			// A pending phone-session code, tried as a verification code by the user's own session.
			const s = await smsAfter(phone, () => newClient().account.createPhoneSession(ID.unique(), phone));
			const sessionCode = codeOf(s.msg, phone);
			await rejectsWith(c.account.updatePhoneVerification(uid, sessionCode), { code: 401, type: 'user_invalid_token' });

			// A pending verification code, tried as a sign-in code.
			const v = await smsAfter(phone, () => c.account.createPhoneVerification());
			const verificationCode = codeOf(v.msg, phone);
			if (verificationCode !== sessionCode) {
				await rejectsWith(newClient().account.updatePhoneSession(uid, verificationCode), { code: 401, type: 'user_invalid_token' });
			}

			// Both still work where they belong.
			assertToken(await c.account.updatePhoneVerification(uid, verificationCode), { userId: uid });
			const d = newClient();
			assert.equal((await d.account.updatePhoneSession(uid, sessionCode)).userId, uid);
		});
	});

	describe('url checks', () => {
		test('a url without a scheme, with another scheme, or off the platform list → 400, and nothing is sent', async () => {
			const a = await signedIn();
			const fresh = uniqueEmail('badurl');
			const bad = { code: 400, type: 'general_argument_invalid' };
			const urls = ['localhost/x', 'http://remotehost/x', 'https://localhost.evil.example/x', 'ftp://localhost/x', 'javascript://localhost/%0aalert(1)', '//localhost/x'];
			for (const url of urls) {
				await rejectsWith(newClient().account.createMagicURLSession(ID.unique(), fresh, url), bad);
				await rejectsWith(newClient().account.createRecovery(a.email, url), bad);
				await rejectsWith(a.account.createVerification(url), bad);
			}
			// The refused magic-URL requests made no account for `fresh`.
			const created = await newClient().account.create(ID.unique(), fresh, PASSWORD);
			assert.equal(created.email, fresh);
			await sleep(500);
			assert.deepEqual(smtp.to(fresh).map((m) => m.subject), []);
			assert.deepEqual(smtp.to(a.email).map((m) => m.subject), []);
		});
	});

	describe('over raw HTTP', () => {
		test('create routes answer 201, confirmations 200 (part A 1), and no body holds a secret', async () => {
			const email = uniqueEmail('raw');
			const phone = uniquePhone();
			const noSecret = (res, what) => {
				assert.equal(res.json?.secret, '', `${what}: ${res.text}`);
			};

			// Magic URL.
			let mail;
			let res;
			({ result: res, mail } = await mailAfter(email, 'Login', () => api('/v1/account/sessions/magic-url', { method: 'POST', body: { userId: 'unique()', email } })));
			assert.equal(res.status, 201, res.text);
			noSecret(res, 'POST magic-url');
			const magic = linkOf(mail).searchParams;
			res = await api('/v1/account/sessions/magic-url', { method: 'PUT', body: { userId: magic.get('userId'), secret: magic.get('secret') } });
			assert.equal(res.status, 200, res.text);
			assert.equal(res.json.provider, 'magic-url');
			const emailSession = { 'X-Fallback-Cookies': res.headers.get('x-fallback-cookies') };
			assert.ok(emailSession['X-Fallback-Cookies'], 'PUT magic-url sends X-Fallback-Cookies');
			const uid = magic.get('userId');

			// Verification.
			({ result: res, mail } = await mailAfter(email, 'Account Verification', () =>
				api('/v1/account/verification', { method: 'POST', headers: emailSession, body: { url: 'http://localhost/verify' } }),
			));
			assert.equal(res.status, 201, res.text);
			noSecret(res, 'POST verification');
			res = await api('/v1/account/verification', { method: 'PUT', body: { userId: uid, secret: linkOf(mail).searchParams.get('secret') } });
			assert.equal(res.status, 200, res.text);
			noSecret(res, 'PUT verification');

			// Recovery.
			({ result: res, mail } = await mailAfter(email, 'Password Reset', () =>
				api('/v1/account/recovery', { method: 'POST', body: { email, url: 'http://localhost/reset' } }),
			));
			assert.equal(res.status, 201, res.text);
			noSecret(res, 'POST recovery');
			res = await api('/v1/account/recovery', {
				method: 'PUT',
				body: { userId: uid, secret: linkOf(mail).searchParams.get('secret'), password: NEW_PASSWORD, passwordAgain: NEW_PASSWORD },
			});
			assert.equal(res.status, 200, res.text);
			noSecret(res, 'PUT recovery');

			// Phone session.
			let msg;
			({ result: res, msg } = await smsAfter(phone, () => api('/v1/account/sessions/phone', { method: 'POST', body: { userId: 'unique()', phone } })));
			assert.equal(res.status, 201, res.text);
			noSecret(res, 'POST phone');
			const puid = res.json.userId;
			res = await api('/v1/account/sessions/phone', { method: 'PUT', body: { userId: puid, secret: codeOf(msg, phone) } });
			assert.equal(res.status, 200, res.text);
			assert.equal(res.json.provider, 'phone');
			const phoneSession = { 'X-Fallback-Cookies': res.headers.get('x-fallback-cookies') };

			// Phone verification.
			({ result: res, msg } = await smsAfter(phone, () => api('/v1/account/verification/phone', { method: 'POST', headers: phoneSession })));
			assert.equal(res.status, 201, res.text);
			noSecret(res, 'POST verification/phone');
			res = await api('/v1/account/verification/phone', { method: 'PUT', headers: phoneSession, body: { userId: puid, secret: codeOf(msg, phone) } });
			assert.equal(res.status, 200, res.text);
			noSecret(res, 'PUT verification/phone');
		});
	});

	test('no secret or code shows up in Caddy output', () => {
		const out = env.caddy.output();
		for (const m of smtp.messages) {
			for (const href of m.text.match(/https?:\/\/[^\s<>"]+/g) ?? []) {
				const secret = new URL(href).searchParams.get('secret');
				if (secret) assert.ok(!out.includes(secret), `Caddy's output holds a mailed secret (mail "${m.subject}" to ${m.envelope.to})`);
			}
		}
		assert.equal(sms.rejected.length, 0, `requests the Twilio endpoint refused: ${JSON.stringify(sms.rejected)}`);
	});
});

// ---------------------------------------------------------------- without a mailer or SMS provider

describe('without a mailer or an SMS provider', () => {
	const env = useCaddy({ projectLines: ['rate_limit off'] });

	function newClient() {
		const client = new Client().setEndpoint(env.endpoint).setProject(PROJECT);
		const storage = shim.newStorage();
		return { client, storage, account: bindStorage(new Account(client), storage) };
	}

	test('mail flows → 503 general_smtp_disabled, SMS flows → 503 general_phone_disabled', async () => {
		const smtpOff = { code: 503, type: 'general_smtp_disabled' };
		const phoneOff = { code: 503, type: 'general_phone_disabled' };
		const c = newClient();
		const email = uniqueEmail('nomailer');
		const user = await c.account.create(ID.unique(), email, PASSWORD);
		await c.account.createEmailSession(email, PASSWORD);
		await c.account.updatePhone(uniquePhone(), PASSWORD);

		await rejectsWith(newClient().account.createMagicURLSession(ID.unique(), uniqueEmail('nomailer'), 'http://localhost/magic'), smtpOff);
		await rejectsWith(newClient().account.createMagicURLSession(ID.unique(), uniqueEmail('nomailer')), smtpOff);
		await rejectsWith(newClient().account.createRecovery(email, 'http://localhost/reset'), smtpOff);
		await rejectsWith(c.account.createVerification('http://localhost/verify'), smtpOff);
		await rejectsWith(newClient().account.createPhoneSession(ID.unique(), uniquePhone()), phoneOff);
		await rejectsWith(c.account.createPhoneVerification(), phoneOff);
		const me = await c.account.get();
		assert.equal(me.$id, user.$id);
	});
});

// ---------------------------------------------------------------- durability

describe('durable outbox', () => {
	test('a mail requested while the SMTP server is down is delivered once by the restarted Caddy', async (t) => {
		const upstream = await startUpstream();
		const dir = await newCaddyDir();
		const smtpPort = await freePort(); // nothing listens there yet
		const projectLines = ['rate_limit off', `project_name "${PROJECT_NAME}"`, `mailer smtp 127.0.0.1:${smtpPort} {\ntls none\nfrom ${MAIL_FROM}\n}`];
		let caddy = null;
		let smtp = null;
		const outputs = [];
		let ok = false;
		try {
			caddy = await startCaddy({ dir, upstreamPort: upstream.port, projectLines });
			const client = () => {
				const cl = new Client().setEndpoint(caddy.endpoint).setProject(PROJECT);
				return bindStorage(new Account(cl), shim.newStorage());
			};
			const email = uniqueEmail('durable');
			const user = await client().create(ID.unique(), email, PASSWORD, 'Grace Hopper');

			const t0 = Date.now();
			const tok = await client().createRecovery(email, 'http://localhost/reset');
			const took = Date.now() - t0;
			assertToken(tok, { userId: user.$id, lifetime: HOUR });
			assert.ok(took < 3000, `createRecovery answered in ${took} ms: it must not wait for delivery`);

			// The worker tried at once and failed (nothing listens): wait until
			// it has scheduled the retry, so that no claim is held at shutdown.
			await waitUntil(() => /outbox: delivery failed, will retry/.test(caddy.output()), {
				timeout: 15_000,
				what: 'the failed first delivery attempt in the log',
				detail: () => caddy.tail(40),
			});
			await caddy.stop();
			outputs.push(caddy.output());
			caddy = null;

			smtp = await startSmtpSink({ port: smtpPort });
			const restartedAt = Date.now();
			caddy = await startCaddy({ dir, upstreamPort: upstream.port, projectLines });
			const mail = await smtp.waitFor((m) => m.envelope.to.includes(email), {
				timeout: 60_000,
				what: `the recovery mail to ${email} after the restart`,
				detail: () => caddy.tail(40),
			});
			t.diagnostic(`delivered ${Date.now() - restartedAt} ms after the restart`);
			assert.equal(mail.subject, 'Password Reset');
			const link = linkOf(mail);
			const secret = assertLinkQuery(link, tok, { project: undefined });

			// Exactly once: nothing more arrives (retries are ≥ 4 s apart).
			await sleep(7000);
			assert.equal(smtp.to(email).length, 1, `mails to ${email}: ${smtp.to(email).length}`);

			// The token survived the restart too.
			assertToken(await client().updateRecovery(user.$id, secret, NEW_PASSWORD, NEW_PASSWORD), { userId: user.$id });
			await client().createEmailSession(email, NEW_PASSWORD);

			outputs.push(caddy.output());
			for (const out of outputs) assert.ok(!out.includes(secret), "Caddy's output holds the mailed secret");
			ok = true;
		} finally {
			if (caddy) {
				await caddy.stop();
				if (!ok) process.stderr.write(`\n--- Caddy output (dir ${dir}) ---\n${outputs.join('\n--- restart ---\n')}\n${caddy.tail(200)}\n--- end ---\n`);
			}
			await smtp?.close();
			await upstream.close();
			if (ok && process.env.E2E_KEEP_TMP !== '1') await rm(dir, { recursive: true, force: true });
		}
	});
});
