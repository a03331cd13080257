// The hosted pages in a real browser: headless Chromium (Debian package,
// env ACCOUNTGATE_TEST_CHROMIUM) driven by playwright-core against a real
// Caddy (env CADDY_BIN), with mail through a real SMTP server on loopback
// and OAuth2 through a real OpenID Connect provider (e2e/oidcprovider).
// Every page a test reaches is screenshotted into e2e/artifacts/ and
// checked with axe-core (no serious or critical violation) under its own
// Content-Security-Policy (no violation, no script error).
//
//   * the journey: a person opens the gated app, lands on the sign-in
//     page, signs up, reaches the page first asked for (the upstream shows
//     who), opens the account page; a second browser signs in; the first
//     signs the second out, then signs out everywhere;
//   * errors next to their field, in words; an API client still gets 401;
//   * keyboard: Tab reaches the fields and the button in order, Enter
//     signs in;
//   * without JavaScript: the forms work, the mailed links' pages wait for
//     their button;
//   * magic link, password recovery and email verification through the
//     real SMTP sink; a phone code through the Twilio-shaped sink;
//   * the account page: a new name reaches the app, a password change;
//   * OAuth2 through the OIDC provider, and through the GitHub-shaped fake
//     (e2e/oauth-support.mjs) when the person refuses;
//   * MFA: the second-factor page after the password, a wrong code shown
//     at its field, a recovery code that lets the person in.
//
// UPDATE_README_SCREENSHOT=1 also writes docs/signin.png (800x600).

import assert from 'node:assert/strict';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { after, before, describe, test } from 'node:test';

import { apiCall, mailedLink, tabOrder, upstreamIdentity, useBrowser } from './browser.mjs';
import { globalOptions, PROJECT, sqliteProject, startSmtpSink, startTwilioSink, uniqueEmail, useCaddy } from './harness.mjs';
import { startGitHubFake, startOidcProvider } from './oauth-support.mjs';
import { totp } from './totp.mjs';

const MAIL_FROM = 'no-reply@example.com';
const PRODUCT = 'Acme Notes';
const PASSWORD = 'correct horse 42';
const GH = { clientId: 'gh-client-pages', clientSecret: 'gh-secret-pages' };
const TWILIO = { sid: 'AC' + 'fedcba9876543210'.repeat(2), token: 'e2e-pages-twilio-token-0123456789' };

const REPO = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const browser = useBrowser('pages');

describe('hosted pages in Chromium', { skip: browser.skip }, () => {
	let smtp;
	let oidc;
	let github;
	let sms;
	before(async () => {
		[smtp, oidc, github, sms] = await Promise.all([startSmtpSink(), startOidcProvider(), startGitHubFake(GH), startTwilioSink(TWILIO)]);
	});

	// One site: the API and the pages, a gate for the rest.
	const env = useCaddy({
		makeConfig: ({ dir, port }) => {
			const up = `reverse_proxy 127.0.0.1:${env.upstream.port}`;
			return `{
${globalOptions(dir)}
	accountgate {
		project ${PROJECT} {
${sqliteProject(dir, port)}
			rate_limit off
			project_name ${JSON.stringify(PRODUCT)}
			mailer smtp 127.0.0.1:${smtp.port} {
				tls none
				from ${MAIL_FROM}
			}
			sms twilio ${TWILIO.sid} ${TWILIO.token} +15005550006 {
				base_url ${sms.baseURL}
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
		await sms?.close();
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

	/** Opens a gated path without a session: the gate sends the browser to the sign-in page, with the path to come back to. */
	async function toSignIn(page, route) {
		await page.goto(env.origin + route);
		const at = new URL(page.url());
		assert.equal(at.pathname, '/auth/signin', `the gate sends a browser without a session to sign in, not ${page.url()}`);
		assert.equal(at.searchParams.get('return'), route, 'with the page first asked for as the return path');
		await page.getByRole('heading', { level: 1, name: `Sign in to ${PRODUCT}` }).waitFor();
	}

	/** Signs in on the sign-in page with email and password, by the form. */
	async function signInWithPassword(page, email, password = PASSWORD) {
		await page.getByLabel('Email address').first().fill(email);
		await page.getByLabel('Password', { exact: true }).fill(password);
		await page.getByRole('button', { name: 'Sign in', exact: true }).click();
	}

	/** A person with an account made through the API (no session kept). */
	async function existingPerson(prefix = 'person') {
		const email = uniqueEmail(prefix);
		const context = await browser.newContext();
		await api(context, 'POST', '', { userId: 'unique()', email, password: PASSWORD, name: 'Grace Hopper' });
		await context.close();
		return email;
	}

	// ------------------------------------------------------------ the journey

	test('journey: gated app → sign in → sign up → the page first asked for → account page → sign out one session, then everywhere', async () => {
		const email = uniqueEmail('journey');
		const first = await browser.newPage();
		const route = '/app/notes?id=7&view=full';
		await toSignIn(first, route);
		await browser.check(first, 'signin');

		// Sign up from the sign-in page; the return path goes along.
		await first.getByRole('link', { name: 'Create an account' }).click();
		await first.getByRole('heading', { level: 1, name: `Create an account on ${PRODUCT}` }).waitFor();
		assert.equal(new URL(first.url()).searchParams.get('return'), route);
		await browser.check(first, 'signup');

		// A password that is too short: the API's message next to the field.
		await first.getByLabel('Name').fill('Ada Lovelace');
		await first.getByLabel('Email address').fill(email);
		await first.getByLabel('Password').fill('short');
		await first.getByRole('button', { name: 'Create account' }).click();
		const shortError = first.locator('#signup-password-error');
		await shortError.waitFor();
		assert.match(await shortError.innerText(), /at least 8 characters/i);
		assert.match(await first.getByLabel('Password').getAttribute('aria-describedby'), /\bsignup-password-error\b/, 'the error is tied to its field');
		assert.equal(await first.getByLabel('Password').getAttribute('aria-invalid'), 'true');
		assert.equal(await first.getByLabel('Email address').inputValue(), email, 'the form keeps what was typed, except the password');
		assert.equal(await first.getByLabel('Password').inputValue(), '');
		await browser.check(first, 'signup-error');

		await first.getByLabel('Password').fill(PASSWORD);
		await first.getByRole('button', { name: 'Create account' }).click();
		await first.waitForURL(env.origin + route);
		const who = await upstreamIdentity(first, route);
		assert.equal(who.email, email);
		assert.equal(who.name, 'Ada Lovelace');
		assert.equal(who.provider, 'email');

		// The account page: name, email, sessions, security log.
		await first.goto(`${env.origin}/auth/account`);
		await first.getByRole('heading', { level: 1, name: 'Your account' }).waitFor();
		assert.equal(await first.getByLabel('Your name').inputValue(), 'Ada Lovelace');
		await first.getByText(`${email} (not verified)`).waitFor();
		await browser.check(first, 'account');

		// A second browser signs in, with one wrong try first.
		const second = await browser.newPage();
		await toSignIn(second, '/app/inbox');
		await signInWithPassword(second, email, 'not the password');
		const pwError = second.locator('#signin-password-error');
		await pwError.waitFor();
		assert.match(await pwError.innerText(), /Invalid credentials/i);
		assert.match(await second.getByLabel('Password', { exact: true }).getAttribute('aria-describedby'), /\bsignin-password-error\b/);
		assert.equal(await second.getByLabel('Email address').first().inputValue(), email, 'the email stays, the password does not');
		await browser.check(second, 'signin-error');
		await signInWithPassword(second, email);
		await second.waitForURL(`${env.origin}/app/inbox`);
		assert.equal((await upstreamIdentity(second, '/app/inbox')).email, email);

		// The first browser sees two sessions and signs the other one out.
		await first.reload();
		const rows = first.locator('section[aria-labelledby="sessions-heading"] tbody tr');
		assert.equal(await rows.count(), 2, 'two sessions listed');
		await rows.filter({ hasText: '(this device)' }).waitFor();
		const names = await first.locator('#log-heading ~ table tbody tr').count();
		assert.ok(names > 0, 'the security log lists the sign-ins');
		await rows.filter({ hasNotText: '(this device)' }).getByRole('button', { name: /^Sign out/ }).click();
		await first.getByText('That session has been signed out.').waitFor();
		assert.equal(await rows.count(), 1);
		await browser.check(first, 'account-session-signed-out');
		await toSignIn(second, '/app/inbox');

		// The second signs in again; "Sign out everywhere" ends both.
		await signInWithPassword(second, email);
		await second.waitForURL(`${env.origin}/app/inbox`);
		await first.getByRole('button', { name: 'Sign out everywhere' }).click();
		await first.waitForURL((u) => u.pathname === '/auth/signin');
		await browser.check(first, 'signed-out');
		await toSignIn(first, '/app/notes');
		await toSignIn(second, '/app/inbox');
	});

	test('API clients still get 401 JSON where a browser is sent to sign in', async () => {
		const context = await browser.newContext();
		const res = await context.request.get(`${env.origin}/app/data.json`, { headers: { Accept: 'application/json' }, maxRedirects: 0 });
		assert.equal(res.status(), 401);
		assert.match(res.headers()['content-type'], /^application\/json/);
		assert.equal((await res.json()).code, 401);
	});

	test('keyboard: Tab goes from the email field to the password field to the button; Enter signs in', async () => {
		const email = await existingPerson('keys');
		const page = await browser.newPage();
		await toSignIn(page, '/app/by-keyboard');
		const order = await tabOrder(page, 5);
		assert.deepEqual(order, ['input[name=email]', 'input[name=password]', 'button "Sign in"', 'a "Forgot your password?"', 'a "Create an account"'], `tab order: ${order.join(' → ')}`);
		// From the top again, by keyboard only.
		assert.deepEqual(await tabOrder(page, 1), ['input[name=email]']);
		await page.keyboard.type(email);
		await page.keyboard.press('Tab');
		await page.keyboard.type(PASSWORD);
		await page.keyboard.press('Tab');
		await page.keyboard.press('Enter');
		await page.waitForURL(`${env.origin}/app/by-keyboard`);
		assert.equal((await upstreamIdentity(page, '/app/by-keyboard')).email, email);
	});

	test('magic link: asked for on the sign-in page, mailed through SMTP, opened: the page first asked for', async () => {
		const email = await existingPerson('magic-page');
		const page = await browser.newPage();
		await toSignIn(page, '/app/from-link');
		const link = await linkAfter(email, 'Login', async () => {
			await page.locator('#magic-email').fill(email);
			await page.getByRole('button', { name: 'Email me a sign-in link' }).click();
			await page.getByRole('heading', { name: 'Check your email' }).waitFor();
		});
		await browser.check(page, 'magic-link-sent');
		assert.equal(link.origin + link.pathname, `${env.origin}/auth/magic-url`);

		// The link opens on the same device; its page signs in by itself.
		await page.goto(link.toString());
		await page.waitForURL(`${env.origin}/app/from-link`);
		const who = await upstreamIdentity(page, '/app/from-link');
		assert.equal(who.email, email);
		assert.equal(who.provider, 'magic-url');
	});

	test('password recovery: forgot → mail → reset page → sign in with the new password', async () => {
		const email = await existingPerson('recover');
		const page = await browser.newPage();
		await toSignIn(page, '/app/after-reset');
		await page.getByRole('link', { name: 'Forgot your password?' }).click();
		await page.getByRole('heading', { name: 'Forgot your password?' }).waitFor();
		await browser.check(page, 'forgot');
		const link = await linkAfter(email, 'Password Reset', async () => {
			await page.getByLabel('Email address').fill(email);
			await page.getByRole('button', { name: 'Send the link' }).click();
			await page.getByRole('heading', { name: 'Check your email' }).waitFor();
		});
		await browser.check(page, 'forgot-sent');
		assert.equal(link.origin + link.pathname, `${env.origin}/auth/reset`, 'the recovery mail links to the reset page');

		await page.goto(link.toString());
		await page.getByRole('heading', { name: 'Choose a new password' }).waitFor();
		await browser.check(page, 'reset');
		const fresh = 'a brand new password 7';
		await page.getByLabel('New password', { exact: true }).fill(fresh);
		await page.getByLabel('New password, again').fill('something else entirely');
		await page.getByRole('button', { name: 'Save the new password' }).click();
		await page.getByRole('alert').or(page.locator('.error')).first().waitFor();
		await browser.check(page, 'reset-mismatch');

		await page.getByLabel('New password', { exact: true }).fill(fresh);
		await page.getByLabel('New password, again').fill(fresh);
		await page.getByRole('button', { name: 'Save the new password' }).click();
		await page.getByRole('heading', { name: 'Your password has been changed' }).waitFor();
		await browser.check(page, 'reset-done');

		await toSignIn(page, '/app/after-reset');
		await signInWithPassword(page, email, fresh);
		await page.waitForURL(`${env.origin}/app/after-reset`);
		assert.equal((await upstreamIdentity(page, '/app/after-reset')).email, email);
	});

	test('email verification: asked for on the account page, the mailed link verifies the address', async () => {
		const email = await existingPerson('verify');
		const page = await browser.newPage();
		await toSignIn(page, '/app/x');
		await signInWithPassword(page, email);
		await page.waitForURL(`${env.origin}/app/x`);
		await page.goto(`${env.origin}/auth/account`);
		const link = await linkAfter(email, 'Account Verification', async () => {
			await page.getByRole('button', { name: 'Send me a verification email' }).click();
			await page.getByText('We sent you an email.').waitFor();
		});
		assert.equal(link.origin + link.pathname, `${env.origin}/auth/verify`);
		await page.goto(link.toString());
		await page.getByRole('heading', { name: 'Your email address is verified' }).waitFor();
		await browser.check(page, 'verified');
		await page.getByRole('link', { name: 'Go to your account' }).click();
		await page.getByText(`${email} (verified)`).waitFor();
	});

	test('OAuth2 from the sign-in page: through the OpenID Connect provider to the page first asked for', async () => {
		const page = await browser.newPage();
		await toSignIn(page, '/app/sso?tab=2');
		await page.getByRole('link', { name: 'Continue with single sign-on' }).click();
		await page.waitForURL(`${env.origin}/app/sso?tab=2`);
		const who = await upstreamIdentity(page, '/app/sso?tab=2');
		assert.equal(who.email, oidc.email);
		assert.equal(who.provider, 'oauth2:oidc');
	});

	test('OAuth2 refused by the person at the provider: back on the sign-in page, which says so', async () => {
		github.queue({ deny: true });
		const page = await browser.newPage();
		await toSignIn(page, '/app/gh');
		await page.getByRole('link', { name: 'Continue with GitHub' }).click();
		await page.waitForURL((u) => u.pathname === '/auth/signin' && u.searchParams.has('error'));
		await page.getByRole('alert').waitFor();
		await browser.check(page, 'signin-oauth2-refused');
		await toSignIn(page, '/app/gh');
	});

	test('MFA: after the password, the second-factor page; a wrong code is explained, a recovery code lets the person in', async () => {
		const email = await existingPerson('mfa');
		// The authenticator and the switch, through the API (as an app would).
		const setup = await browser.newContext();
		await api(setup, 'POST', '/sessions/email', { email, password: PASSWORD });
		const { secret } = await api(setup, 'POST', '/mfa/authenticators/totp');
		await api(setup, 'PUT', '/mfa/authenticators/totp', { otp: totp(secret) });
		await api(setup, 'PATCH', '/mfa', { mfa: true });
		const { recoveryCodes } = await api(setup, 'POST', '/mfa/recovery-codes');
		await setup.close();

		const page = await browser.newPage();
		await toSignIn(page, '/app/vault');
		await signInWithPassword(page, email);
		await page.getByRole('heading', { level: 1, name: 'One more step' }).waitFor();
		assert.equal(new URL(page.url()).searchParams.get('return'), '/app/vault', 'the return path goes along');
		await browser.check(page, 'mfa');

		// A code that is not the authenticator's (one step off the current).
		await page.getByLabel('Six-digit code').fill(totp(secret, Math.floor(Date.now() / 30_000) + 20));
		await page.getByRole('button', { name: 'Continue', exact: true }).click();
		const err = page.locator('#totp-otp-error');
		await err.waitFor();
		assert.equal(await page.getByLabel('Six-digit code').getAttribute('aria-invalid'), 'true');
		await browser.check(page, 'mfa-error');

		await page.getByRole('textbox', { name: 'Recovery code' }).fill(recoveryCodes[0]);
		await page.getByRole('button', { name: 'Continue with a recovery code' }).click();
		await page.waitForURL(`${env.origin}/app/vault`);
		assert.equal((await upstreamIdentity(page, '/app/vault')).email, email);
	});

	test('phone: "Text me a code" on the sign-in page, the code from the Twilio-shaped sink, the page first asked for', async () => {
		const phone = '+1555' + String(Date.now() % 10_000_000).padStart(7, '0');
		const page = await browser.newPage();
		await toSignIn(page, '/app/by-phone');
		const seen = sms.to(phone).length;
		await page.getByLabel('Phone number').fill(phone);
		await page.getByRole('button', { name: 'Text me a code' }).click();
		await page.getByRole('heading', { level: 1, name: 'Enter the code we texted you' }).waitFor();
		await browser.check(page, 'phone-code');
		const msg = await sms.waitFor(() => sms.to(phone)[seen], { what: `an SMS to ${phone}`, detail: caddyTail });

		await page.getByLabel('Code').fill(msg.body === '000000' ? '111111' : '000000');
		await page.getByRole('button', { name: 'Sign in' }).click();
		await page.locator('#code-secret-error').waitFor();
		await browser.check(page, 'phone-code-error');

		await page.getByLabel('Code').fill(msg.body);
		await page.getByRole('button', { name: 'Sign in' }).click();
		await page.waitForURL(`${env.origin}/app/by-phone`);
		const who = await upstreamIdentity(page, '/app/by-phone');
		assert.equal(who.provider, 'phone');
	});

	test('account page: a new name reaches the app; a wrong current password is refused at its field; the new password works', async () => {
		const email = await existingPerson('edit');
		const page = await browser.newPage();
		await toSignIn(page, '/app/me');
		await signInWithPassword(page, email);
		await page.waitForURL(`${env.origin}/app/me`);

		await page.goto(`${env.origin}/auth/account`);
		await page.getByLabel('Your name').fill('Grace B. Hopper');
		await page.getByRole('button', { name: 'Save name' }).click();
		await page.getByText('Your name has been saved.').waitFor();
		assert.equal((await upstreamSees(page, '/app/me')).name, 'Grace B. Hopper');

		await page.goto(`${env.origin}/auth/account`);
		const fresh = 'yet another password 9';
		await page.getByLabel('Current password').fill('not my password');
		await page.getByLabel('New password').fill(fresh);
		await page.getByRole('button', { name: 'Change password' }).click();
		const oldError = page.locator('#password-old-error');
		await oldError.waitFor();
		assert.match(await oldError.innerText(), /Invalid credentials/i);
		await browser.check(page, 'account-password-error');

		await page.getByLabel('Current password').fill(PASSWORD);
		await page.getByLabel('New password').fill(fresh);
		await page.getByRole('button', { name: 'Change password' }).click();
		await page.getByText('Your password has been changed.').waitFor();

		const other = await browser.newPage();
		await toSignIn(other, '/app/me');
		await signInWithPassword(other, email, fresh);
		await other.waitForURL(`${env.origin}/app/me`);
	});

	test('without JavaScript: sign-up and sign-in forms work, and the mailed links wait for their button', async () => {
		const email = uniqueEmail('nojs');
		const page = await browser.newPage({ javaScriptEnabled: false });
		await toSignIn(page, '/app/plain');
		await page.getByRole('link', { name: 'Create an account' }).click();
		await page.getByLabel('Email address').fill(email);
		await page.getByLabel('Password').fill(PASSWORD);
		await page.getByRole('button', { name: 'Create account' }).click();
		await page.waitForURL(`${env.origin}/app/plain`);
		assert.equal((await upstreamIdentity(page, '/app/plain')).email, email);

		// The verification link: the page shows its button, and the button verifies.
		await page.goto(`${env.origin}/auth/account`);
		const link = await linkAfter(email, 'Account Verification', () => page.getByRole('button', { name: 'Send me a verification email' }).click());
		await page.goto(link.toString());
		await page.getByRole('heading', { level: 1, name: 'Verify your email address' }).waitFor();
		await browser.check(page, 'verify-no-script');
		await page.getByRole('button', { name: 'Verify my email address' }).click();
		await page.getByRole('heading', { name: 'Your email address is verified' }).waitFor();

		// The magic link, in another browser without script.
		const other = await browser.newPage({ javaScriptEnabled: false });
		const magic = await linkAfter(email, 'Login', async () => {
			await toSignIn(other, '/app/linked');
			await other.locator('#magic-email').fill(email);
			await other.getByRole('button', { name: 'Email me a sign-in link' }).click();
			await other.getByRole('heading', { name: 'Check your email' }).waitFor();
		});
		await other.goto(magic.toString());
		await other.getByRole('heading', { level: 1, name: `Sign in to ${PRODUCT}` }).waitFor();
		await browser.check(other, 'magic-url-no-script');
		await other.getByRole('button', { name: 'Sign in' }).click();
		await other.waitForURL(`${env.origin}/app/linked`);
		assert.equal((await upstreamIdentity(other, '/app/linked')).email, email);
	});

	test('README screenshot of the sign-in page (an artefact; docs/signin.png when UPDATE_README_SCREENSHOT=1)', async () => {
		const page = await browser.newPage({ viewport: { width: 800, height: 600 } });
		await toSignIn(page, '/');
		const file = process.env.UPDATE_README_SCREENSHOT === '1'
			? path.join(REPO, 'docs', 'signin.png')
			: path.join(REPO, 'e2e', 'artifacts', 'readme-signin.png');
		await page.screenshot({ path: file });
	});

	// ------------------------------------------------------------ magic URL

	test('magic URL made through the API (the SDK default link): the landing page signs the browser in by itself', async () => {
		const email = uniqueEmail('magic');
		const page = await browser.newPage();
		const link = await linkAfter(email, 'Login', () => api(page.context(), 'POST', '/sessions/magic-url', { userId: 'unique()', email }));
		assert.equal(link.origin + link.pathname, `${env.origin}/auth/magic-url`);

		// No return path in the link: the site's root.
		await page.goto(link.toString());
		await page.waitForURL(`${env.origin}/`);
		const who = await upstreamIdentity(page, '/');
		assert.equal(who.email, email);
		assert.equal(who.provider, 'magic-url');
	});

	test('magic URL: a spent link says why in words, with the way to a new one', async () => {
		const email = uniqueEmail('magic-twice');
		const first = await browser.newPage();
		const link = await linkAfter(email, 'Login', () => api(first.context(), 'POST', '/sessions/magic-url', { userId: 'unique()', email }));
		await first.goto(link.toString());
		await first.waitForURL(`${env.origin}/`);

		const second = await browser.newPage();
		await second.goto(link.toString());
		await second.getByText('This code or link is not valid, or it has expired.').waitFor();
		await second.getByRole('link', { name: 'Ask for a new link' }).waitFor();
		await browser.check(second, 'magic-url-spent');
		await second.goto(`${env.origin}/app/spent`);
		assert.equal(new URL(second.url()).pathname, '/auth/signin', 'a spent link signs no one in');
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

		await toSignIn(page, '/app/after-refusal');
	});

	test('OAuth2: an unknown provider gets an error page, not JSON', async () => {
		const page = await browser.newPage();
		const res = await page.goto(`${env.origin}/v1/account/sessions/oauth2/nosuch?project=${PROJECT}`);
		assert.equal(res.status(), 400);
		assert.match(res.headers()['content-type'], /^text\/html/);
		await browser.check(page, 'oauth2-unknown-provider');
	});
});

// The check every page gets must be able to fail: a page with a field
// without a label, one whose tab order is not the page's, and one whose
// inline script its CSP blocks.
describe('the page check itself', { skip: browser.skip }, () => {
	test('fails on a serious axe-core violation, with a readable list', async () => {
		const page = await browser.newPage();
		await page.setContent('<!doctype html><html lang="en"><head><title>t</title></head><body><main><h1>Form</h1><input type="text" name="who"></main></body></html>');
		await assert.rejects(browser.check(page, 'selfcheck-axe'), (err) => {
			assert.match(err.message, /serious or critical violations:\n {2}label \(critical\): Form elements must have labels\n {4}input/);
			return true;
		});
	});

	test('fails when Tab skips a control or takes them out of order', async () => {
		const page = await browser.newPage();
		await page.setContent(
			'<!doctype html><html lang="en"><head><title>t</title></head><body><main><h1>Form</h1>' +
				'<label for="a">A</label><input id="a" name="a"><label for="b">B</label><input id="b" name="b" tabindex="-1"><button>Go</button></main></body></html>',
		);
		await assert.rejects(browser.check(page, 'selfcheck-tab'), /Tab reaches every control/);
	});

	test('fails on a CSP violation in the page', async () => {
		const page = await browser.newPage();
		await page.route('http://csp.test/', (route) =>
			route.fulfill({
				status: 200,
				headers: { 'Content-Type': 'text/html', 'Content-Security-Policy': "default-src 'none'" },
				body: '<!doctype html><html lang="en"><head><title>t</title></head><body><main><h1>Hi</h1><script>1</script></main></body></html>',
			}),
		);
		await page.goto('http://csp.test/');
		await assert.rejects(browser.check(page, 'selfcheck-csp'), /errors in the page[\s\S]*Content Security Policy/);
	});
});

