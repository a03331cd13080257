// Multi-factor authentication through the newest Appwrite web SDK
// (appwrite-28), unmodified, against a real Caddy with accountgate
// (env CADDY_BIN): a TOTP authenticator whose codes the test computes
// itself (RFC 6238, node:crypto), an email code through a real SMTP
// server on loopback, a recovery code, replays refused, and the gate in
// front of an upstream that lets a session through only once it proved
// its second factor.

import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';

import { randomInt } from 'node:crypto';

import { totp } from './totp.mjs';
import { bindStorage, installBrowserShim, PROJECT, rawRequest, startSmtpSink, startTwilioSink, uniqueEmail, useCaddy } from './harness.mjs';

const shim = installBrowserShim();
const { Client, Account, ID, AppwriteException, AuthenticatorType, AuthenticationFactor } = await import('appwrite-28');

const PASSWORD = 'password123';
const MAIL_FROM = 'no-reply@example.com';
const TWILIO_SID = 'AC' + 'fedcba9876543210'.repeat(2);
const TWILIO_TOKEN = 'e2e-mfa-twilio-token-0123456789';
const TWILIO_FROM = '+15005550006';

async function rejectsWith(promise, { code, type }) {
	await assert.rejects(promise, (err) => {
		assert.ok(err instanceof AppwriteException, `expected an AppwriteException, got ${err?.stack ?? err}`);
		assert.deepEqual({ code: err.code, type: err.type }, { code, type }, err.message);
		return true;
	});
}

const MORE = { code: 401, type: 'user_more_factors_required' };
const INVALID = { code: 401, type: 'user_invalid_token' };

describe('MFA with the newest web SDK', () => {
	let smtp;
	let sms;
	before(async () => {
		smtp = await startSmtpSink();
		sms = await startTwilioSink({ sid: TWILIO_SID, token: TWILIO_TOKEN });
	});
	const env = useCaddy({
		projectLines: () => [
			'rate_limit off',
			`mailer smtp 127.0.0.1:${smtp.port} {\ntls none\nfrom ${MAIL_FROM}\n}`,
			`sms twilio ${TWILIO_SID} ${TWILIO_TOKEN} ${TWILIO_FROM} {\nbase_url ${sms.baseURL}\n}`,
		],
	});
	after(async () => {
		await smtp?.close();
		await sms?.close();
	});

	function newClient() {
		const client = new Client().setEndpoint(env.endpoint).setProject(PROJECT);
		const storage = shim.newStorage();
		return { storage, account: bindStorage(new Account(client), storage) };
	}

	/** GET /app through the gate with the client's session. */
	async function gated(c) {
		const fallback = c.storage.getItem('cookieFallback');
		return rawRequest(env.origin + '/app', { headers: fallback ? [['X-Fallback-Cookies', fallback]] : [] });
	}

	async function signIn(email) {
		const c = newClient();
		await c.account.createEmailPasswordSession(email, PASSWORD);
		return c;
	}

	/** Waits for a TOTP step that none of the used steps is. */
	async function freshStep(used) {
		for (;;) {
			const step = Math.floor(Date.now() / 30_000);
			if (!used.has(step)) {
				used.add(step);
				return step;
			}
			await new Promise((r) => setTimeout(r, 30_000 - (Date.now() % 30_000) + 50));
		}
	}

	test('TOTP: enable, sign in again, user_more_factors_required, challenge, gated app; replay refused', { timeout: 120_000 }, async () => {
		const email = uniqueEmail('mfa-totp');
		const c = newClient();
		await c.account.create(ID.unique(), email, PASSWORD, 'Ada');
		await c.account.createEmailPasswordSession(email, PASSWORD);

		const { secret, uri } = await c.account.createMfaAuthenticator(AuthenticatorType.Totp);
		assert.match(uri, /^otpauth:\/\/totp\//);
		const used = new Set();
		let step = await freshStep(used);
		const user = await c.account.updateMfaAuthenticator(AuthenticatorType.Totp, totp(secret, step));
		assert.equal(user.email, email);
		assert.equal((await c.account.updateMFA(true)).mfa, true);
		assert.deepEqual({ ...(await c.account.listMfaFactors()) }, { totp: true, phone: false, email: false, recoveryCode: false });
		const { recoveryCodes } = await c.account.createMfaRecoveryCodes();
		assert.equal(recoveryCodes.length, 10);
		await c.account.deleteSession('current');

		const s = await signIn(email);
		await rejectsWith(s.account.get(), MORE);
		assert.equal((await gated(s)).status, 401);
		assert.equal((await gated(s)).json.type, 'user_more_factors_required');
		const ch = await s.account.createMfaChallenge(AuthenticationFactor.Totp);
		// The code used to verify the authenticator is spent.
		await rejectsWith(s.account.updateMfaChallenge(ch.$id, totp(secret, step)), INVALID);
		step = await freshStep(used);
		const code = totp(secret, step);
		const session = await s.account.updateMfaChallenge(ch.$id, code);
		assert.deepEqual(session.factors, ['password', 'totp']);
		assert.ok(session.mfaUpdatedAt);
		assert.equal((await s.account.get()).mfa, true);
		const app = await gated(s);
		assert.equal(app.status, 200, app.text);

		// Replay: the same code on another sign-in is refused.
		const t = await signIn(email);
		const ch2 = await t.account.createMfaChallenge(AuthenticationFactor.Totp);
		await rejectsWith(t.account.updateMfaChallenge(ch2.$id, code), INVALID);
		await rejectsWith(t.account.get(), MORE);

		// A recovery code works once.
		const rc = await t.account.createMfaChallenge(AuthenticationFactor.Recoverycode);
		await t.account.updateMfaChallenge(rc.$id, recoveryCodes[0]);
		assert.equal((await t.account.get()).email, email);
		assert.equal((await gated(t)).status, 200);
		const u = await signIn(email);
		const rc2 = await u.account.createMfaChallenge(AuthenticationFactor.Recoverycode);
		await rejectsWith(u.account.updateMfaChallenge(rc2.$id, recoveryCodes[0]), INVALID);
		assert.equal((await gated(u)).status, 401);
	});

	test('email code through the SMTP sink', async () => {
		const email = uniqueEmail('mfa-mail');
		const c = newClient();
		await c.account.create(ID.unique(), email, PASSWORD, 'Grace');
		// A verified email by email-code sign-in, then a password session.
		const tok = await c.account.createEmailToken(ID.unique(), email);
		const signInMail = await smtp.waitFor((m) => m.envelope.to.includes(email), { what: 'the sign-in code' });
		await c.account.createSession(tok.userId, signInMail.text.match(/\b\d{6}\b/)[0]);
		const factors = await c.account.listMfaFactors();
		assert.equal(factors.email, true, JSON.stringify(factors));
		await c.account.createMfaRecoveryCodes();
		await c.account.updateMFA(true);

		const s = await signIn(email);
		await rejectsWith(s.account.get(), MORE);
		const seen = new Set(smtp.to(email));
		const ch = await s.account.createMfaChallenge(AuthenticationFactor.Email);
		const mail = await smtp.waitFor((m) => !seen.has(m) && m.envelope.to.includes(email), { what: 'the MFA code' });
		const code = mail.text.match(/\b\d{6}\b/)[0];
		const session = await s.account.updateMfaChallenge(ch.$id, code);
		assert.deepEqual(session.factors, ['password', 'email']);
		assert.equal((await gated(s)).status, 200);
		await rejectsWith(s.account.updateMfaChallenge(ch.$id, code), INVALID);
	});

	test('phone code through the Twilio-shaped sink', async () => {
		const email = uniqueEmail('mfa-phone');
		const phone = '+1555' + String(randomInt(0, 10_000_000)).padStart(7, '0');
		const c = newClient();
		await c.account.create(ID.unique(), email, PASSWORD, 'Hedy');
		await c.account.createEmailPasswordSession(email, PASSWORD);
		await c.account.updatePhone(phone, PASSWORD);
		const nextText = async (fn) => {
			const seen = new Set(sms.messages);
			await fn();
			const msg = await sms.waitFor((m) => !seen.has(m) && m.to === phone, { what: `an SMS to ${phone}` });
			return msg.body.match(/\b\d{6}\b/)[0];
		};
		let tok;
		const verifyCode = await nextText(async () => {
			tok = await c.account.createPhoneVerification();
		});
		await c.account.updatePhoneVerification(tok.userId, verifyCode);
		assert.equal({ ...(await c.account.listMfaFactors()) }.phone, true);
		await c.account.createMfaRecoveryCodes();
		await c.account.updateMFA(true);

		const s = await signIn(email);
		await rejectsWith(s.account.get(), MORE);
		assert.equal((await gated(s)).status, 401);
		let ch;
		const code = await nextText(async () => {
			ch = await s.account.createMfaChallenge(AuthenticationFactor.Phone);
		});
		const session = await s.account.updateMfaChallenge(ch.$id, code);
		assert.deepEqual(session.factors, ['password', 'phone']);
		assert.equal((await gated(s)).status, 200);
		await rejectsWith(s.account.updateMfaChallenge(ch.$id, code), INVALID);
	});
});
