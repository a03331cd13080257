// Helpers for the real-browser tests of the hosted pages: headless
// Chromium (the Debian package, env ACCOUNTGATE_TEST_CHROMIUM, which
// scripts/services installs and exports) driven by playwright-core, axe-core
// run inside each page, and a screenshot of every page checked, kept under
// e2e/artifacts/ as a test artefact.
//
// Typical use in a test file:
//
//   const browser = useBrowser('pages');   // before/after hooks; skip reason in browser.skip
//   describe('…', { skip: browser.skip }, () => {
//     test('…', async () => {
//       const page = await browser.newPage();      // a fresh context (no cookies) per call
//       await page.goto(url);
//       await browser.check(page, 'sign-in');      // screenshot, axe-core, Tab order, no CSP violation
//     });
//   });

import assert from 'node:assert/strict';
import { mkdir, readFile } from 'node:fs/promises';
import path from 'node:path';
import { after, before } from 'node:test';
import { setTimeout as sleep } from 'node:timers/promises';
import { fileURLToPath } from 'node:url';

import { chromium } from 'playwright-core';

import { PROJECT } from './harness.mjs';

const HERE = path.dirname(fileURLToPath(import.meta.url));

/** The directory of the screenshots (gitignored; CI may keep it). */
export const ARTIFACTS = path.join(HERE, 'artifacts');

/** The Chromium binary, or undefined when the browser tests must skip. */
export const CHROMIUM = process.env.ACCOUNTGATE_TEST_CHROMIUM || undefined;

// Flags for a headless browser in a container: no sandbox (often no user
// namespaces there), no GPU, and none of Chromium's own traffic (updates,
// sync, QUIC probes) mixed into the tests.
const ARGS = [
	'--no-sandbox',
	'--disable-gpu',
	'--disable-quic',
	'--no-first-run',
	'--disable-background-networking',
	'--disable-component-update',
	'--disable-sync',
];

/**
 * Registers before/after hooks that launch Chromium once for the file and
 * close it, with every context it opened, at the end. `prefix` names the
 * screenshots (<prefix>-<name>.png). The returned object:
 *
 *   skip            false, or why the browser tests skip (no Chromium)
 *   newContext(o)   a fresh browser context (own cookies), o as Playwright's
 *   newPage(o)      a page in a fresh context (see watch: page.problems)
 *   check(page, n)  checkPage(page, prefix, n): screenshot, axe-core, tab
 *                   order, no errors in the page
 */
export function useBrowser(prefix, { viewport = { width: 1024, height: 768 } } = {}) {
	const state = {
		skip: CHROMIUM ? false : 'ACCOUNTGATE_TEST_CHROMIUM is not set (scripts/test sets it through scripts/services)',
		prefix,
		browser: null,
		async newContext(options = {}) {
			assert.ok(state.browser, 'the browser is not running (useBrowser registers its hooks at the top of a file or describe)');
			return state.browser.newContext({ viewport, ...options });
		},
		async newPage(options = {}) {
			const context = await state.newContext(options);
			const page = watch(await context.newPage());
			page.scriptsOff = options.javaScriptEnabled === false;
			return page;
		},
		check: (page, name) => checkPage(page, prefix, name),
	};
	if (state.skip) {
		process.stderr.write(`# browser tests (${prefix}) skipped: ${state.skip}\n`);
		return state;
	}
	before(async () => {
		state.browser = await chromium.launch({ executablePath: CHROMIUM, args: ARGS });
		await mkdir(ARTIFACTS, { recursive: true });
	});
	after(async () => {
		await state.browser?.close();
	});
	return state;
}

/**
 * Records what goes wrong in a page, in page.problems: console errors (a
 * blocked script or style shows up there as a CSP violation), uncaught
 * exceptions, and sub-resources (style sheet, script, logo) that failed.
 * Documents are left out: a page answered 4xx on purpose (a refusal, a
 * form shown again with its error) is checked by the test itself; so is
 * /favicon.ico, which the site's gate may refuse. Also used for pages a
 * test opens itself (context.newPage()).
 */
export function watch(page) {
	page.problems = [];
	page.on('console', (m) => {
		// Chromium's own line for a failed load names no URL; the response
		// listener below reports those that matter, with theirs.
		if (m.type() === 'error' && !m.text().startsWith('Failed to load resource')) page.problems.push(`console: ${m.text()}`);
	});
	page.on('pageerror', (err) => page.problems.push(`page error: ${err.message}`));
	page.on('response', (res) => {
		const req = res.request();
		if (res.status() >= 400 && req.resourceType() !== 'document' && new URL(res.url()).pathname !== '/favicon.ico') {
			page.problems.push(`${req.resourceType()} ${req.method()} ${res.url()}: ${res.status()}`);
		}
	});
	return page;
}

let axeSource;

/**
 * Runs axe-core in the page and returns its violations. The script goes in
 * through the DevTools protocol (page.evaluate), which the page's CSP does
 * not apply to, so the page is checked under its own strict policy, with
 * no bypassCSP.
 */
export async function axe(page) {
	if (page.scriptsOff) return axeCopy(page);
	axeSource ??= await readFile(path.join(HERE, 'node_modules', 'axe-core', 'axe.min.js'), 'utf8');
	if (!(await page.evaluate(() => typeof window.axe === 'object'))) await page.evaluate(axeSource);
	const run = page.evaluate(() =>
		window.axe.run(document, { resultTypes: ['violations'], runOnly: { type: 'tag', values: ['wcag2a', 'wcag2aa', 'wcag21a', 'wcag21aa', 'best-practice'] } }),
	);
	// page.evaluate has no time limit of its own: a run that never ends
	// must fail the test, not hang it.
	const result = await Promise.race([run, sleep(60_000, undefined, { ref: false }).then(() => assert.fail(`axe-core did not finish within 60 s on ${page.url()}`))]);
	return result.violations;
}

/**
 * axe-core needs timers, which a page without JavaScript does not run: the
 * page's markup is loaded again at its own URL in a context with script
 * on, under a CSP that stops the page's own scripts (the style sheet still
 * comes from the site), and checked there.
 */
async function axeCopy(page) {
	const url = page.url();
	const html = await page.content();
	const context = await page.context().browser().newContext({ viewport: page.viewportSize() });
	try {
		const copy = await context.newPage();
		await copy.route(
			(u) => u.href === url,
			(route) => route.fulfill({ status: 200, contentType: 'text/html; charset=utf-8', headers: { 'Content-Security-Policy': "script-src 'none'" }, body: html }),
		);
		await copy.goto(url);
		return await axe(copy);
	} finally {
		await context.close();
	}
}

/** A readable list of axe violations: one line per rule, then its elements. */
export function formatViolations(violations) {
	return violations
		.map((v) => {
			const nodes = v.nodes.slice(0, 5).map((n) => `    ${n.target.join(' ')}: ${n.failureSummary?.split('\n').slice(1).join(' ').trim() ?? ''}`);
			return `  ${v.id} (${v.impact}): ${v.help}\n${nodes.join('\n')}`;
		})
		.join('\n');
}

/** The screenshot of the page under e2e/artifacts/<prefix>-<name>.png. */
export async function screenshot(page, prefix, name) {
	const file = path.join(ARTIFACTS, `${prefix}-${name}.png`.replace(/[^A-Za-z0-9._-]+/g, '_'));
	await page.screenshot({ path: file, fullPage: true });
	return file;
}

/**
 * What every page gets: a screenshot (artefact), axe-core with no serious
 * or critical violation (the list is the failure message), every control
 * reached by Tab in the order of the page, and no CSP violation or script
 * error so far.
 */
export async function checkPage(page, prefix, name) {
	await page.waitForLoadState('load');
	await screenshot(page, prefix, name);
	const violations = (await axe(page)).filter((v) => v.impact === 'serious' || v.impact === 'critical');
	assert.equal(violations.length, 0, `axe-core on ${name} (${page.url()}): serious or critical violations:\n${formatViolations(violations)}`);
	const controls = await page.evaluate(() =>
		[...document.querySelectorAll('a[href], button, input, select, textarea')]
			.filter((el) => el.type !== 'hidden' && !el.disabled && el.getClientRects().length > 0)
			.map((el) => {
				const tag = el.tagName.toLowerCase();
				if (tag === 'input' || tag === 'select' || tag === 'textarea') return `${tag}[name=${el.getAttribute('name') ?? ''}]`;
				return `${tag} ${JSON.stringify((el.innerText || el.getAttribute('aria-label') || '').trim())}`;
			}),
	);
	const order = await tabOrder(page, controls.length);
	assert.deepEqual(order, controls, `${name} (${page.url()}): Tab reaches every control, in the page's order`);
	assert.deepEqual(page.problems ?? [], [], `${name} (${page.url()}): errors in the page`);
}

/**
 * Presses Tab `count` times from the top of the page and returns what got
 * the focus each time, as short descriptions: `input[name=email]`,
 * `button "Sign in"`, `a "Forgot password?"`.
 */
export async function tabOrder(page, count) {
	// A click where nothing can take the focus makes the page's top the
	// starting point of sequential focus navigation again.
	await page.mouse.click(1, 1);
	const seen = [];
	for (let i = 0; i < count; i++) {
		await page.keyboard.press('Tab');
		seen.push(
			await page.evaluate(() => {
				const el = document.activeElement;
				if (!el || el === document.body) return 'body';
				const tag = el.tagName.toLowerCase();
				if (tag === 'input' || tag === 'select' || tag === 'textarea') return `${tag}[name=${el.getAttribute('name') ?? ''}]`;
				return `${tag} ${JSON.stringify((el.innerText || el.getAttribute('aria-label') || '').trim())}`;
			}),
		);
	}
	return seen;
}

// ---------------------------------------------------------------- the site under test

/**
 * A call of the Account API with the cookies of a browser context (its
 * request API shares the context's cookie jar), as a script with no page
 * would make it: no Origin header. Fails on an error status; returns the
 * JSON body.
 */
export async function apiCall(context, origin, method, route, data) {
	const res = await context.request.fetch(`${origin}/v1/account${route}`, {
		method,
		headers: { 'X-Appwrite-Project': PROJECT, 'Content-Type': 'application/json' },
		data: data === undefined ? undefined : JSON.stringify(data),
	});
	const body = await res.text();
	assert.ok(res.ok(), `${method} /v1/account${route}: ${res.status()} ${body}`);
	return body ? JSON.parse(body) : null;
}

/**
 * Runs fn, then waits for the next mail to `address` with `subject` in the
 * SMTP sink and returns the one link of its text part, as a URL.
 */
export async function mailedLink(smtp, address, subject, fn, detail) {
	const seen = new Set(smtp.to(address));
	await fn();
	const mail = await smtp.waitFor((m) => !seen.has(m) && m.envelope.to.includes(address) && m.subject === subject, {
		what: `a mail "${subject}" to ${address}`,
		detail,
	});
	const links = [...new Set(mail.text.match(/https?:\/\/[^\s<>"]+/g) ?? [])];
	assert.equal(links.length, 1, `one link in:\n${mail.text}`);
	return new URL(links[0]);
}

/**
 * Checks that the page shows the demo upstream's echo of `route` (the
 * gate let the browser through to the page it asked for) and returns the
 * identity the upstream got: { id, email, name, provider }.
 */
export async function upstreamIdentity(page, route) {
	const text = await page.locator('body').innerText();
	let seen;
	try {
		seen = JSON.parse(text);
	} catch {
		assert.fail(`${page.url()}: not the upstream's echo:\n${text.slice(0, 600)}`);
	}
	assert.equal(seen.url, route, 'the upstream got the page first asked for');
	const one = (name) => seen.headers.find(([n]) => n.toLowerCase() === name.toLowerCase())?.[1];
	return { id: one('X-Account-Id'), email: one('X-Account-Email'), name: one('X-Account-Name'), provider: one('X-Account-Session-Provider') };
}
