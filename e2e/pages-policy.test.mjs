// The gate's policies as a person and as an API client meet them: headless
// Chromium (env ACCOUNTGATE_TEST_CHROMIUM) against a real Caddy (env
// CADDY_BIN) with one gate per policy. A browser refused by a policy gets
// a 403 page that says why (with "verify your email" where that is the
// cause, which leads through the account page and the mailed link to the
// site), screenshotted and checked with axe-core; an API client with the
// same session gets 403 general_resource_blocked JSON. Neither names the
// accounts or domains that may pass. Each policy also lets the right
// person through to the upstream. A second site, with rate limits on,
// shows that a rate limit and a blocked account are explained in words.

import assert from 'node:assert/strict';
import path from 'node:path';
import { after, before, describe, test } from 'node:test';

import { apiCall, mailedLink, upstreamIdentity, useBrowser, watch } from './browser.mjs';
import { globalOptions, PROJECT, sqliteProject, startSmtpSink, uniqueEmail, useCaddy } from './harness.mjs';

const PASSWORD = 'password123';
// The one account let through /chosen/ (allow_users), by its email.
const CHOSEN = uniqueEmail('chosen');
const STAFF_DOMAIN = 'staff.example.com';
const NOT_SHOWN = [CHOSEN, STAFF_DOMAIN];

const MSG_ANONYMOUS = 'This site does not accept anonymous accounts. Sign in with an email address, a phone number or a provider.';
const MSG_VERIFY = 'This site needs a verified email address. Verify the email address of your account, then try again.';
const MSG_DOMAIN = 'This site is not open to accounts with this email address.';
const MSG_NOT_ALLOWED = 'This account is not allowed on this site.';
const MSG_REQUIRE_EMAIL = 'The email address of this account is not verified.';
const MSG_REQUIRE_PHONE = 'The phone number of this account is not verified.';

const browser = useBrowser('policy');

describe('gate policies in Chromium and for API clients', { skip: browser.skip }, () => {
	let smtp;
	before(async () => {
		smtp = await startSmtpSink();
	});

	// One site: a gate per policy, and a plain gate for the rest.
	const env = useCaddy({
		makeConfig: ({ dir, port }) => {
			const up = `reverse_proxy 127.0.0.1:${env.upstream.port}`;
			return `{
${globalOptions(dir)}
	accountgate {
		project ${PROJECT} {
${sqliteProject(dir, port)}
			rate_limit off
			mailer smtp 127.0.0.1:${smtp.port} {
				tls none
				from no-reply@example.com
			}
		}
	}
}

http://localhost:${port}, http://127.0.0.1:${port} {
	account_api ${PROJECT}
	handle /members/* {
		account_gate ${PROJECT} {
			deny anonymous
		}
		${up}
	}
	handle /staff/* {
		account_gate ${PROJECT} {
			allow_email_domains ${STAFF_DOMAIN}
		}
		${up}
	}
	handle /verified/* {
		account_gate ${PROJECT} {
			require verified_email
		}
		${up}
	}
	handle /phone/* {
		account_gate ${PROJECT} {
			require verified_phone
		}
		${up}
	}
	handle /chosen/* {
		account_gate ${PROJECT} {
			allow_users ${CHOSEN}
		}
		${up}
	}
	handle {
		account_gate ${PROJECT}
		${up}
	}
}
`;
		},
	});

	after(async () => {
		await smtp?.close();
	});

	const api = (context, method, route, data) => apiCall(context, env.origin, method, route, data);

	/** A new browser context signed up and in with email and password; verified when asked (the mailed secret, through the API). */
	async function signedUp({ email = uniqueEmail('policy'), verified = false } = {}) {
		const context = await browser.newContext();
		await api(context, 'POST', '', { userId: 'unique()', email, password: PASSWORD, name: 'Ada Lovelace' });
		await api(context, 'POST', '/sessions/email', { email, password: PASSWORD });
		if (verified) {
			const link = await mailedLink(smtp, email, 'Account Verification', () => api(context, 'POST', '/verification', { url: `${env.origin}/verified` }));
			await api(context, 'PUT', '/verification', { userId: link.searchParams.get('userId'), secret: link.searchParams.get('secret') });
		}
		return { context, email };
	}

	/** Opens route in a new page of context; expects the upstream's echo and returns the identity it got. */
	async function passes(context, route) {
		const page = await context.newPage();
		const res = await page.goto(env.origin + route);
		assert.equal(res.status(), 200, `${route}: ${res.status()} ${await res.text()}`);
		return upstreamIdentity(page, route);
	}

	/**
	 * A refusal: the browser gets a page with `message` and the status; an
	 * API client with the same session gets the Appwrite error as JSON (403
	 * general_resource_blocked for a policy, 401 user_unauthorized for a
	 * requirement) with the same message. Neither names who else may pass.
	 * Returns the page.
	 */
	async function refused(context, route, message, name, { status = 403, type = 'general_resource_blocked', verify = message === MSG_VERIFY } = {}) {
		const page = watch(await context.newPage());
		const res = await page.goto(env.origin + route);
		assert.equal(res.status(), status, `${route}: ${await res.text()}`);
		assert.match(res.headers()['content-type'], /^text\/html/);
		await page.getByText(message).waitFor();
		await browser.check(page, name);
		const html = await page.content();
		for (const s of NOT_SHOWN) assert.ok(!html.includes(s), `the page names ${s}`);
		const offersVerify = await page.getByRole('link', { name: 'Verify your email address' }).count();
		assert.equal(offersVerify, verify ? 1 : 0, '"verify your email" only where that is the cause');

		const json = await context.request.get(env.origin + route, { headers: { Accept: 'application/json' }, maxRedirects: 0 });
		assert.equal(json.status(), status);
		assert.match(json.headers()['content-type'], /^application\/json/);
		const body = await json.json();
		assert.deepEqual({ type: body.type, code: body.code, message: body.message }, { type, code: status, message });
		return page;
	}

	test('deny anonymous: an anonymous browser gets the page, the API client 403 JSON; a person with an email passes', async () => {
		const context = await browser.newContext();
		await api(context, 'POST', '/sessions/anonymous');
		await refused(context, '/members/home', MSG_ANONYMOUS, 'anonymous');

		const person = await signedUp();
		assert.equal((await passes(person.context, '/members/home')).email, person.email);
	});

	test('allow_email_domains: an unverified address is told to verify it; another domain is refused; a verified staff address passes', async () => {
		const unverified = await signedUp({ email: uniqueEmail('unverified').replace('example.com', STAFF_DOMAIN) });
		const page = await refused(unverified.context, '/staff/board', MSG_VERIFY, 'verify-email');
		// The page offers the way out: the account page, which sends the
		// verification mail; its link verifies; the gate then lets them in.
		await page.getByRole('link', { name: 'Verify your email address' }).click();
		await page.getByRole('heading', { level: 1, name: 'Your account' }).waitFor();
		const link = await mailedLink(smtp, unverified.email, 'Account Verification', async () => {
			await page.getByRole('button', { name: 'Send me a verification email' }).click();
			await page.getByText('We sent you an email.').waitFor();
		});
		await page.goto(link.toString());
		await page.getByRole('heading', { name: 'Your email address is verified' }).waitFor();
		assert.equal((await passes(unverified.context, '/staff/board')).email, unverified.email);

		const outsider = await signedUp({ verified: true });
		await refused(outsider.context, '/staff/board', MSG_DOMAIN, 'domain');

		const staff = await signedUp({ email: uniqueEmail('staff').replace('example.com', STAFF_DOMAIN), verified: true });
		assert.equal((await passes(staff.context, '/staff/board')).email, staff.email);
	});

	test('allow_users: another account is refused without learning who may pass; the chosen one passes', async () => {
		const other = await signedUp({ verified: true });
		await refused(other.context, '/chosen/room', MSG_NOT_ALLOWED, 'not-allowed');

		const chosen = await signedUp({ email: CHOSEN, verified: true });
		assert.equal((await passes(chosen.context, '/chosen/room')).email, CHOSEN);
	});

	test('require verified_email and verified_phone: the page says what is missing (401), "verify your email" for the email only; verified, the person passes', async () => {
		const person = await signedUp();
		const requirement = { status: 401, type: 'user_unauthorized' };
		await refused(person.context, '/verified/docs', MSG_REQUIRE_EMAIL, 'require-email', { ...requirement, verify: true });
		await refused(person.context, '/phone/docs', MSG_REQUIRE_PHONE, 'require-phone', { ...requirement, verify: false });

		const verified = await signedUp({ verified: true });
		assert.equal((await passes(verified.context, '/verified/docs')).email, verified.email);
	});
});

// Rate limits on (the default): what a person reads when they hit one, or
// when their account is blocked: words, not error codes.
describe('refusals of the API explained in words on the pages', { skip: browser.skip }, () => {
	const env = useCaddy();
	const api = (context, method, route, data) => apiCall(context, env.origin, method, route, data);

	async function signInPage(context) {
		const page = watch(await context.newPage());
		await page.goto(`${env.origin}/auth/signin?return=%2Fapp`);
		return page;
	}

	async function submit(page, email, password) {
		await page.getByLabel('Email address').first().fill(email);
		await page.getByLabel('Password', { exact: true }).fill(password);
		await page.getByRole('button', { name: 'Sign in', exact: true }).click();
		await page.waitForLoadState('load');
	}

	test('too many sign-in attempts: the page says to wait, not "429"', async () => {
		const email = uniqueEmail('limited');
		const page = await signInPage(await browser.newContext());
		// The limit of POST /v1/account/sessions/email is 10 an hour per
		// address; the 11th attempt is refused.
		for (let i = 0; i < 10; i++) {
			await submit(page, email, 'wrong password ' + i);
			await page.getByText('Invalid credentials').first().waitFor();
		}
		await submit(page, email, 'wrong password 10');
		await page.getByText('Too many attempts in a short time. Please wait a while (at most an hour), then try again.').waitFor();
		const text = await page.locator('main').innerText();
		assert.ok(!/429|general_rate_limit_exceeded/.test(text), `no codes on the page:\n${text}`);
		await browser.check(page, 'rate-limited');
	});

	test('a blocked account: the page says so in words', async () => {
		const email = uniqueEmail('blocked');
		const context = await browser.newContext();
		await api(context, 'POST', '', { userId: 'unique()', email, password: PASSWORD });
		await api(context, 'POST', '/sessions/email', { email, password: PASSWORD });
		await api(context, 'PATCH', '/status');
		const page = await signInPage(await browser.newContext());
		await submit(page, email, PASSWORD);
		await page.getByText('This account has been blocked. Please contact the people who run this site.').waitFor();
		const text = await page.locator('main').innerText();
		assert.ok(!/user_blocked/.test(text), `no codes on the page:\n${text}`);
		await browser.check(page, 'blocked');
	});
});
