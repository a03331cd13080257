// The operator's options of the hosted pages in a real browser (headless
// Chromium, env ACCOUNTGATE_TEST_CHROMIUM; Caddy from env CADDY_BIN):
//
//   * pages { prefix, name, logo, css }: the gate sends browsers to the
//     sign-in page under the prefix; the page carries the product name, the
//     logo (loaded under the pages' CSP) and the operator's style sheet,
//     and still passes axe-core; signing in there reaches the page first
//     asked for;
//   * pages off (a second project on the same server): no pages, and a
//     browser without a session gets the gate's 401 JSON as before.

import assert from 'node:assert/strict';
import { writeFileSync } from 'node:fs';
import path from 'node:path';
import { describe, test } from 'node:test';

import { apiCall, upstreamIdentity, useBrowser } from './browser.mjs';
import { globalOptions, PROJECT, sqliteProject, uniqueEmail, useCaddy } from './harness.mjs';

const PASSWORD = 'password123';
const LOGO = `<svg xmlns="http://www.w3.org/2000/svg" width="40" height="40" viewBox="0 0 40 40"><circle cx="20" cy="20" r="18" fill="#0a5c36"/></svg>`;
// The operator's style: the embedded sheet's rules matter less here than
// one property the test can read back.
const CSS = `* { box-sizing: border-box; }
body { margin: 0; font: 17px/1.5 Georgia, serif; color: #111; background: rgb(250, 246, 238); }
header, main { max-width: 30rem; margin: 1rem auto; padding: 1rem; }
main { background: #fff; border: 1px solid #888; }
label { display: block; font-weight: bold; margin-top: .75rem; }
input { width: 100%; padding: .4rem; font: inherit; border: 1px solid #555; }
button, .button { margin-top: 1rem; padding: .5rem 1rem; font: inherit; color: #fff; background: #0a5c36; border: 0; }
a { color: #0a5c36; }
.error { color: #a11; }
.logo { height: 40px; }
.visually-hidden { position: absolute; width: 1px; height: 1px; overflow: hidden; clip: rect(0 0 0 0); }
`;

const browser = useBrowser('branding');

describe('operator options of the hosted pages', { skip: browser.skip }, () => {
	const env = useCaddy({
		makeConfig: ({ dir, port }) => {
			// The operator's files, in place before Caddy reads its config.
			writeFileSync(path.join(dir, 'logo.svg'), LOGO);
			writeFileSync(path.join(dir, 'brand.css'), CSS);
			const up = `reverse_proxy 127.0.0.1:${env.upstream.port}`;
			return `{
${globalOptions(dir)}
	accountgate {
		project ${PROJECT} {
${sqliteProject(dir, port)}
			rate_limit off
			pages {
				prefix /login/
				name Northwind
				logo ${JSON.stringify(path.join(dir, 'logo.svg'))}
				css ${JSON.stringify(path.join(dir, 'brand.css'))}
			}
		}
		project plain {
			store sqlite ${JSON.stringify(path.join(dir, 'plain.db'))}
			platform 127.0.0.1
			public_url http://127.0.0.1:${port}
			rate_limit off
			pages off
		}
	}
}

http://localhost:${port} {
	account_api ${PROJECT}
	account_gate ${PROJECT}
	${up}
}

http://127.0.0.1:${port} {
	account_api plain
	account_gate plain
	${up}
}
`;
		},
	});

	test('prefix, name, logo and style sheet: the sign-in page under /login/, branded, accessible; signing in reaches the app', async () => {
		const email = uniqueEmail('brand');
		const setup = await browser.newContext();
		await apiCall(setup, env.origin, 'POST', '', { userId: 'unique()', email, password: PASSWORD, name: 'Nora' });
		await setup.close();

		const page = await browser.newPage();
		await page.goto(`${env.origin}/reports/q3`);
		const at = new URL(page.url());
		assert.equal(at.pathname, '/login/signin');
		assert.equal(at.searchParams.get('return'), '/reports/q3');
		await page.getByRole('heading', { level: 1, name: 'Sign in to Northwind' }).waitFor();
		assert.equal(await page.title(), 'Sign in – Northwind');

		const logo = page.locator('header img.logo');
		assert.equal(await logo.getAttribute('src'), '/login/logo');
		await page.waitForFunction(() => document.querySelector('header img.logo')?.complete);
		assert.equal(await logo.evaluate((img) => img.naturalWidth), 40, 'the logo loaded under the CSP');
		const background = await page.evaluate(() => getComputedStyle(document.body).backgroundColor);
		assert.equal(background, 'rgb(250, 246, 238)', "the operator's style sheet replaced the embedded one");
		await browser.check(page, 'signin');

		await page.getByLabel('Email address').first().fill(email);
		await page.getByLabel('Password', { exact: true }).fill(PASSWORD);
		await page.getByRole('button', { name: 'Sign in', exact: true }).click();
		await page.waitForURL(`${env.origin}/reports/q3`);
		assert.equal((await upstreamIdentity(page, '/reports/q3')).email, email);
	});

	test('the default /auth/ prefix is not served when another is configured', async () => {
		const page = await browser.newPage();
		await page.goto(`${env.origin}/auth/signin`);
		// /auth/signin is then a path of the app like any other: gated.
		const at = new URL(page.url());
		assert.equal(at.pathname, '/login/signin');
		assert.equal(at.searchParams.get('return'), '/auth/signin');
	});

	test('pages off: no sign-in page, and a browser without a session gets the 401 JSON', async () => {
		const origin = env.origin.replace('localhost', '127.0.0.1');
		const page = await browser.newPage();
		const res = await page.goto(`${origin}/reports/q3`);
		assert.equal(res.status(), 401);
		assert.match(res.headers()['content-type'], /^application\/json/);
		assert.equal((await res.json()).code, 401);
		assert.equal(new URL(page.url()).pathname, '/reports/q3', 'no redirect');
		const signin = await page.goto(`${origin}/auth/signin`);
		assert.equal(signin.status(), 401, 'the pages are not served: the gate answers for /auth/signin too');
	});
});
