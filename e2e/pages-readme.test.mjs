// The README's "Protect an existing app in five minutes", done by a person
// in headless Chromium (env ACCOUNTGATE_TEST_CHROMIUM) against the root
// Caddyfile run as written by a real Caddy (env CADDY_BIN). The only
// changes: free ports instead of 8080 and 8081 (tests run side by side).

import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { before, describe, test } from 'node:test';
import { fileURLToPath } from 'node:url';

import { useBrowser } from './browser.mjs';
import { freePort, uniqueEmail, useCaddy } from './harness.mjs';

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const browser = useBrowser('readme');

describe('README: protect an existing app in five minutes', { skip: browser.skip }, () => {
	let demoPort;
	before(async () => {
		demoPort = await freePort();
	});

	// The root Caddyfile, with its two ports moved; ./data lies in the
	// test's directory (Caddy runs there).
	const env = useCaddy({
		makeConfig: ({ port }) => {
			const original = readFileSync(path.join(ROOT, 'Caddyfile'), 'utf8');
			const config = original.replaceAll('localhost:8080', `localhost:${port}`).replaceAll(':8081', `:${demoPort}`);
			assert.ok(original.includes('localhost:8080') && original.includes('127.0.0.1:8081'), 'the root Caddyfile still serves localhost:8080 in front of 127.0.0.1:8081');
			return config;
		},
	});

	test('open the app → sign-in page → "Create an account" → back on the page first asked for, with the identity; then the account page', async () => {
		const email = uniqueEmail('readme');
		const page = await browser.newPage();
		await page.goto(`${env.origin}/reports?year=2026`);
		const at = new URL(page.url());
		assert.equal(at.pathname, '/auth/signin', 'step 3: without a session the browser lands on /auth/signin');
		assert.equal(at.searchParams.get('return'), '/reports?year=2026');
		await browser.check(page, 'signin');

		await page.getByRole('link', { name: 'Create an account' }).click();
		await page.getByLabel('Name').fill('Ann');
		await page.getByLabel('Email address').fill(email);
		await page.getByLabel('Password').fill('password123');
		await page.getByRole('button', { name: 'Create account' }).click();
		await page.waitForURL(`${env.origin}/reports?year=2026`);
		const text = await page.locator('body').innerText();
		assert.match(text, /Hello from the protected app\./);
		assert.match(text, new RegExp(`X-Account-Email: ${email.replace(/[.+]/g, '\\$&')}`));
		assert.match(text, /X-Account-Name: Ann/);
		assert.match(text, /X-Account-Session-Provider: email/);
		assert.doesNotMatch(text, /a_session_/, 'the session cookie never reaches the app');

		// Step 4: the account page.
		await page.goto(`${env.origin}/auth/account`);
		await page.getByRole('heading', { level: 1, name: 'Your account' }).waitFor();
		await page.getByText(`${email} (not verified)`).waitFor();
		await page.getByRole('button', { name: 'Sign out everywhere' }).waitFor();
		await browser.check(page, 'account');

		// API clients (no Accept: text/html) still get 401 JSON.
		const api = await fetch(`${env.origin}/reports`, { headers: { Accept: 'application/json' }, redirect: 'manual' });
		assert.equal(api.status, 401);
		assert.equal((await api.json()).code, 401);
	});
});
