// The gate's policies as a person and as an API client meet them: headless
// Chromium (env ACCOUNTGATE_TEST_CHROMIUM) against a real Caddy (env
// CADDY_BIN) with one gate per policy. A browser refused by a policy gets
// a 403 page that says why (with "verify your email" where that is the
// cause, which leads through the account page and the mailed link to the
// site), screenshotted and checked with axe-core; an API client with the
// same session gets 403 general_resource_blocked JSON. Neither names the
// accounts or domains that may pass. Each policy also lets the right
// person through to the upstream.

import assert from 'node:assert/strict';
import path from 'node:path';
import { after, before, describe, test } from 'node:test';

import { apiCall, mailedLink, upstreamIdentity, useBrowser, watch } from './browser.mjs';
import { PROJECT, startSmtpSink, uniqueEmail, useCaddy } from './harness.mjs';

const PASSWORD = 'password123';
// The one account let through /chosen/ (allow_users), by its email.
const CHOSEN = uniqueEmail('chosen');
const STAFF_DOMAIN = 'staff.example.com';
const NOT_SHOWN = [CHOSEN, STAFF_DOMAIN];

const MSG_ANONYMOUS = 'This site does not accept anonymous accounts. Sign in with an email address, a phone number or a provider.';
const MSG_VERIFY = 'This site needs a verified email address. Verify the email address of your account, then try again.';
const MSG_DOMAIN = 'This site is not open to accounts with this email address.';
const MSG_NOT_ALLOWED = 'This account is not allowed on this site.';

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
	admin off
	persist_config off
	auto_https off
	storage file_system ${JSON.stringify(path.join(dir, 'caddy'))}
	accountgate {
		project ${PROJECT} {
			store sqlite ${JSON.stringify(path.join(dir, PROJECT + '.db'))}
			platform localhost
			public_url http://localhost:${port}
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
	 * A refusal by policy: the browser gets a 403 page with `message`; an API
	 * client with the same session gets 403 general_resource_blocked JSON
	 * with the same message. Neither names who else may pass. Returns the page.
	 */
	async function refused(context, route, message, name) {
		const page = watch(await context.newPage());
		const res = await page.goto(env.origin + route);
		assert.equal(res.status(), 403, `${route}: ${await res.text()}`);
		assert.match(res.headers()['content-type'], /^text\/html/);
		await page.getByText(message).waitFor();
		await browser.check(page, name);
		const html = await page.content();
		for (const s of NOT_SHOWN) assert.ok(!html.includes(s), `the page names ${s}`);
		const offersVerify = await page.getByRole('link', { name: 'Verify your email address' }).count();
		assert.equal(offersVerify, message === MSG_VERIFY ? 1 : 0, '"verify your email" only where that is the cause');

		const json = await context.request.get(env.origin + route, { headers: { Accept: 'application/json' } });
		assert.equal(json.status(), 403);
		assert.match(json.headers()['content-type'], /^application\/json/);
		const body = await json.json();
		assert.deepEqual({ type: body.type, code: body.code, message: body.message }, { type: 'general_resource_blocked', code: 403, message });
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
});
