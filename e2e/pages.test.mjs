// The hosted pages in a real browser: headless Chromium (Debian package,
// env ACCOUNTGATE_TEST_CHROMIUM) driven by playwright-core against a real
// Caddy (env CADDY_BIN), with mail through a real SMTP server on loopback
// and OAuth2 through a real OpenID Connect provider (e2e/oidcprovider).
// Every page a test reaches is screenshotted into e2e/artifacts/ and
// checked with axe-core (no serious or critical violation) under its own
// Content-Security-Policy (no violation, no script error).
//
//   * magic URL: the mailed link opens /auth/magic-url, which signs the
//     browser in; the gated app then sees the identity;
//   * OAuth2: the browser runs the whole redirect chain through the OIDC
//     provider to the success page, and through the GitHub-shaped fake
//     (e2e/oauth-support.mjs) to the failure page when the person refuses;
//   * policies: a browser refused by a gate's policy gets a page that
//     says why; an API client with the same session gets 403 JSON; nothing
//     names who else may pass.

import assert from 'node:assert/strict';
import path from 'node:path';
import { after, before, describe, test } from 'node:test';

import { useBrowser, watch } from './browser.mjs';
import { headerValues, PROJECT, startSmtpSink, uniqueEmail, useCaddy } from './harness.mjs';
import { startGitHubFake, startOidcProvider } from './oauth-support.mjs';

const PASSWORD = 'password123';
const MAIL_FROM = 'no-reply@example.com';
// The one account let through /chosen/ (allow_users), by its email.
const CHOSEN = uniqueEmail('chosen');
const STAFF_DOMAIN = 'staff.example.com';
const GH = { clientId: 'gh-client-pages', clientSecret: 'gh-secret-pages' };

const browser = useBrowser('pages');

describe('hosted pages in Chromium', { skip: browser.skip }, () => {
	let smtp;
	let oidc;
	let github;
	before(async () => {
		[smtp, oidc, github] = await Promise.all([startSmtpSink(), startOidcProvider(), startGitHubFake(GH)]);
	});

	// One site: the API and pages, three gates with a policy each, and a
	// plain gate for the rest.
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
				from ${MAIL_FROM}
			}
			oauth2 oidc ${JSON.stringify(oidc.clientId)} ${JSON.stringify(oidc.clientSecret)} {
				issuer ${oidc.issuer}
			}
			oauth2 github ${GH.clientId} ${GH.clientSecret} {
				auth_url ${github.base}/login/oauth/authorize
				token_url ${github.base}/login/oauth/access_token
				user_url ${github.base}/user
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
		await oidc?.stop();
		await github?.close();
	});

	const caddyTail = () => `--- Caddy output ---\n${env.caddy.tail(40)}`;

	// ------------------------------------------------------------ helpers

	/** An API call from the browser context (its cookies), as a script without a page would make it. */
	async function api(context, method, route, data) {
		const res = await context.request.fetch(`${env.origin}/v1/account${route}`, {
			method,
			headers: { 'X-Appwrite-Project': PROJECT, 'Content-Type': 'application/json' },
			data: data === undefined ? undefined : JSON.stringify(data),
		});
		const body = await res.text();
		assert.ok(res.ok(), `${method} /v1/account${route}: ${res.status()} ${body}`);
		return body ? JSON.parse(body) : null;
	}

	/** Waits for the next mail to `address` with `subject` after fn runs; returns its one link. */
	async function linkAfter(address, subject, fn) {
		const seen = new Set(smtp.to(address));
		await fn();
		const mail = await smtp.waitFor((m) => !seen.has(m) && m.envelope.to.includes(address) && m.subject === subject, {
			what: `a mail "${subject}" to ${address}`,
			detail: caddyTail,
		});
		const links = [...new Set(mail.text.match(/https?:\/\/[^\s<>"]+/g) ?? [])];
		assert.equal(links.length, 1, `one link in:\n${mail.text}`);
		return new URL(links[0]);
	}

	/** Signs a new context up and in with email and password; verified when asked (the mailed secret, through the API). */
	async function signedUp({ email = uniqueEmail('page'), verified = false } = {}) {
		const context = await browser.newContext();
		const user = await api(context, 'POST', '', { userId: 'unique()', email, password: PASSWORD, name: 'Ada Lovelace' });
		await api(context, 'POST', '/sessions/email', { email, password: PASSWORD });
		if (verified) {
			const link = await linkAfter(email, 'Account Verification', () => api(context, 'POST', '/verification', { url: `${env.origin}/verified` }));
			await api(context, 'PUT', '/verification', { userId: link.searchParams.get('userId'), secret: link.searchParams.get('secret') });
		}
		return { context, user, email };
	}

	/** Opens a gated path; expects the upstream's echo and returns its identity headers. */
	async function upstreamSees(page, route) {
		const res = await page.goto(env.origin + route);
		assert.equal(res.status(), 200, `${route}: ${res.status()} ${await res.text()}`);
		const seen = await res.json();
		assert.equal(seen.url, route, 'the upstream got the page asked for');
		const one = (name) => headerValues(seen.headers, name)[0];
		return { id: one('X-Account-Id'), email: one('X-Account-Email'), provider: one('X-Account-Session-Provider') };
	}

	// ------------------------------------------------------------ magic URL

	test('magic URL: the mailed link opens /auth/magic-url, which signs the browser in; the app sees the person', async () => {
		const email = uniqueEmail('magic');
		const page = await browser.newPage();
		const link = await linkAfter(email, 'Login', () => api(page.context(), 'POST', '/sessions/magic-url', { userId: 'unique()', email }));
		assert.equal(link.origin + link.pathname, `${env.origin}/auth/magic-url`);

		await page.goto(link.toString());
		await page.getByText('You are signed in').waitFor();
		assert.equal(new URL(page.url()).search, '', 'the page takes the secret out of the address bar');
		await browser.check(page, 'magic-url-signed-in');

		const who = await upstreamSees(page, '/app/after-magic?x=1');
		assert.equal(who.email, email);
		assert.equal(who.provider, 'magic-url');
	});

	test('magic URL: a spent link says why in words', async () => {
		const email = uniqueEmail('magic-twice');
		const first = await browser.newPage();
		const link = await linkAfter(email, 'Login', () => api(first.context(), 'POST', '/sessions/magic-url', { userId: 'unique()', email }));
		await first.goto(link.toString());
		await first.getByText('You are signed in').waitFor();

		const second = await browser.newPage();
		await second.goto(link.toString());
		await second.getByText(/Sign-in failed: .+/).waitFor();
		// The failed PUT is logged by Chromium as a failed resource; that is
		// the page working, not a fault.
		second.problems = second.problems.filter((p) => !/status of 401/.test(p));
		await browser.check(second, 'magic-url-spent');
	});

	// ------------------------------------------------------------ OAuth2

	test('OAuth2: the browser signs in through the OpenID Connect provider and lands on the success page', async () => {
		const page = await browser.newPage();
		await page.goto(`${env.origin}/v1/account/sessions/oauth2/oidc?project=${PROJECT}`);
		assert.equal(new URL(page.url()).pathname, '/auth/oauth2/success');
		await page.getByRole('heading', { name: 'Signed in' }).waitFor();
		await browser.check(page, 'oauth2-success');

		const who = await upstreamSees(page, '/app/after-oauth');
		assert.equal(who.email, oidc.email);
		assert.equal(who.provider, 'oauth2:oidc');
	});

	test('OAuth2: a provider that refuses sends the browser to the failure page, which says so', async () => {
		// The GitHub-shaped provider answers the next authorize request as a
		// person who clicked "deny": back to the callback with access_denied.
		github.queue({ deny: true });
		const page = await browser.newPage();
		await page.goto(`${env.origin}/v1/account/sessions/oauth2/github?project=${PROJECT}`);
		assert.equal(new URL(page.url()).pathname, '/auth/oauth2/failure');
		await page.getByRole('heading', { name: 'Sign-in failed' }).waitFor();
		await browser.check(page, 'oauth2-failure');

		const res = await page.goto(`${env.origin}/app/after-refusal`);
		assert.notEqual(res.status(), 200, 'no session came of a refused sign-in');
	});

	test('OAuth2: an unknown provider gets an error page, not JSON', async () => {
		const page = await browser.newPage();
		const res = await page.goto(`${env.origin}/v1/account/sessions/oauth2/nosuch?project=${PROJECT}`);
		assert.equal(res.status(), 400);
		assert.match(res.headers()['content-type'], /^text\/html/);
		page.problems = page.problems.filter((p) => !/status of 400/.test(p));
		await browser.check(page, 'oauth2-unknown-provider');
	});

	// ------------------------------------------------------------ policies

	/**
	 * A refusal by policy: the browser gets a 403 page with `message`; an API
	 * client with the same session gets 403 general_resource_blocked JSON.
	 * Neither names the accounts or domains the gate lets through.
	 */
	async function refused(context, route, message, name) {
		const page = watch(await context.newPage());
		const res = await page.goto(env.origin + route);
		assert.equal(res.status(), 403, `${route}: ${await res.text()}`);
		assert.match(res.headers()['content-type'], /^text\/html/);
		await page.getByText(message).waitFor();
		page.problems = page.problems.filter((p) => !/status of 403/.test(p));
		await browser.check(page, name);
		const text = await page.content();
		for (const secret of [CHOSEN, STAFF_DOMAIN]) assert.ok(!text.includes(secret), `the page names ${secret}`);

		const json = await context.request.get(env.origin + route, { headers: { Accept: 'application/json' } });
		assert.equal(json.status(), 403);
		const body = await json.json();
		assert.equal(body.type, 'general_resource_blocked');
		assert.equal(body.code, 403);
		assert.equal(body.message, message);
		for (const secret of [CHOSEN, STAFF_DOMAIN]) assert.ok(!body.message.includes(secret));
		return page;
	}

	test('policy deny anonymous: an anonymous browser gets the page; a signed-up one passes', async () => {
		const context = await browser.newContext();
		await api(context, 'POST', '/sessions/anonymous');
		await refused(context, '/members/home', 'This site does not accept anonymous accounts. Sign in with an email address, a phone number or a provider.', 'policy-anonymous');

		const { context: person, email } = await signedUp();
		const who = await upstreamSees(await person.newPage(), '/members/home');
		assert.equal(who.email, email);
	});

	test('policy allow_email_domains: an unverified address is told to verify it, another domain is refused, a verified staff address passes', async () => {
		const unverified = await signedUp({ email: uniqueEmail('unverified').replace('example.com', STAFF_DOMAIN) });
		await refused(unverified.context, '/staff/board', 'This site needs a verified email address. Verify the email address of your account, then try again.', 'policy-verify-email');

		const outsider = await signedUp({ verified: true });
		await refused(outsider.context, '/staff/board', 'This site is not open to accounts with this email address.', 'policy-domain');

		const staff = await signedUp({ email: uniqueEmail('staff').replace('example.com', STAFF_DOMAIN), verified: true });
		const who = await upstreamSees(await staff.context.newPage(), '/staff/board');
		assert.equal(who.email, staff.email);
	});

	test('policy allow_users: another account is refused without learning who may pass; the chosen one passes', async () => {
		const other = await signedUp({ verified: true });
		await refused(other.context, '/chosen/room', 'This account is not allowed on this site.', 'policy-not-allowed');

		const chosen = await signedUp({ email: CHOSEN, verified: true });
		const who = await upstreamSees(await chosen.context.newPage(), '/chosen/room');
		assert.equal(who.email, CHOSEN);
	});
});
