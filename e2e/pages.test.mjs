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

import assert from 'node:assert/strict';
import path from 'node:path';
import { after, before, describe, test } from 'node:test';

import { apiCall, mailedLink, upstreamIdentity, useBrowser } from './browser.mjs';
import { PROJECT, startSmtpSink, uniqueEmail, useCaddy } from './harness.mjs';
import { startGitHubFake, startOidcProvider } from './oauth-support.mjs';

const MAIL_FROM = 'no-reply@example.com';
const GH = { clientId: 'gh-client-pages', clientSecret: 'gh-secret-pages' };

const browser = useBrowser('pages');

describe('hosted pages in Chromium', { skip: browser.skip }, () => {
	let smtp;
	let oidc;
	let github;
	before(async () => {
		[smtp, oidc, github] = await Promise.all([startSmtpSink(), startOidcProvider(), startGitHubFake(GH)]);
	});

	// One site: the API and the pages, a gate for the rest.
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
	account_gate ${PROJECT}
	${up}
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

	const api = (context, method, route, data) => apiCall(context, env.origin, method, route, data);
	const linkAfter = (address, subject, fn) => mailedLink(smtp, address, subject, fn, caddyTail);

	/** Opens a gated path; expects the upstream's echo and returns the identity it got. */
	async function upstreamSees(page, route) {
		const res = await page.goto(env.origin + route);
		assert.equal(res.status(), 200, `${route}: ${res.status()} ${await res.text()}`);
		return upstreamIdentity(page, route);
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
});
