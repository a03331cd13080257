// Support for e2e/oauth.test.mjs: a small browser-like cookie jar that
// follows OAuth2 redirect chains one hop at a time, a real OpenID Connect
// provider (e2e/oidcprovider, mockoidc) run as a child process, and a Node
// http fake of the GitHub OAuth app endpoints and REST API shapes.

import { execFile, spawn } from 'node:child_process';
import { createHash, randomBytes } from 'node:crypto';
import { mkdir } from 'node:fs/promises';
import http from 'node:http';
import path from 'node:path';
import { createInterface } from 'node:readline';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';

import { parseSetCookie, rawRequest } from './harness.mjs';

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');

// ---------------------------------------------------------------- cookie jar

function defaultPath(pathname) {
	if (!pathname.startsWith('/')) return '/';
	const i = pathname.lastIndexOf('/');
	return i <= 0 ? '/' : pathname.slice(0, i);
}

function pathMatches(requestPath, cookiePath) {
	if (requestPath === cookiePath) return true;
	if (!requestPath.startsWith(cookiePath)) return false;
	return cookiePath.endsWith('/') || requestPath[cookiePath.length] === '/';
}

/**
 * A cookie jar keyed by host name (RFC 6265 ignores ports), with Path
 * matching, Max-Age/Expires deletion and host-only cookies. The Secure flag
 * is ignored, as browsers do for http://localhost. Every request goes
 * through rawRequest (no redirect following): `get` is one hop.
 */
export class Jar {
	#hosts = new Map(); // hostname -> Map(name -> {value, path, attrs})

	/** Stores the Set-Cookie lines of a response to `url`. */
	store(url, setCookieLines) {
		const u = new URL(url);
		let cookies = this.#hosts.get(u.hostname);
		if (!cookies) this.#hosts.set(u.hostname, (cookies = new Map()));
		for (const line of setCookieLines) {
			const c = parseSetCookie(line);
			const p = typeof c.attrs.path === 'string' && c.attrs.path.startsWith('/') ? c.attrs.path : defaultPath(u.pathname);
			const key = `${c.name}\u0000${p}`;
			const maxAge = c.attrs['max-age'] !== undefined ? Number(c.attrs['max-age']) : undefined;
			const expires = c.attrs.expires !== undefined ? Date.parse(c.attrs.expires) : undefined;
			const expired = maxAge !== undefined ? maxAge <= 0 : expires !== undefined && expires <= Date.now();
			if (expired) cookies.delete(key);
			else cookies.set(key, { name: c.name, value: c.value, path: p, attrs: c.attrs });
		}
	}

	/** The cookies sent to `url`, as [{name, value, path, attrs}]. */
	cookiesFor(url) {
		const u = new URL(url);
		const cookies = this.#hosts.get(u.hostname);
		if (!cookies) return [];
		return [...cookies.values()].filter((c) => pathMatches(u.pathname, c.path)).sort((a, b) => b.path.length - a.path.length);
	}

	/** The value of cookie `name` that would be sent to `url` (undefined when none). */
	get(url, name) {
		return this.cookiesFor(url).find((c) => c.name === name)?.value;
	}

	/** Sets a cookie by hand (e.g. a copy kept from an earlier response). */
	set(url, name, value, cookiePath = '/') {
		this.store(url, [`${name}=${value}; Path=${cookiePath}`]);
	}

	/** Removes cookie `name` for the host of `url`. */
	delete(url, name) {
		const cookies = this.#hosts.get(new URL(url).hostname);
		if (!cookies) return;
		for (const [k, c] of cookies) if (c.name === name) cookies.delete(k);
	}

	/** The Cookie header for `url` ('' when none). */
	header(url) {
		return this.cookiesFor(url)
			.map((c) => `${c.name}=${c.value}`)
			.join('; ');
	}

	/**
	 * One GET with this jar's cookies (plus `headers`, [name, value] pairs);
	 * Set-Cookie lines of the response go into the jar. Resolves with
	 * rawRequest's result plus `url` and `location` (absolute, or null).
	 */
	async fetch(url, { method = 'GET', headers = [], body } = {}) {
		const cookie = this.header(url);
		const h = cookie ? [['Cookie', cookie], ...headers] : headers;
		const res = await rawRequest(url, { method, headers: h, body });
		this.store(url, res.setCookie);
		const location = res.headers.location ? new URL(res.headers.location, url).toString() : null;
		return { ...res, url, location };
	}
}

/** A short description of a response, for assertion messages. */
export function describeResponse(res) {
	const loc = res.location ? ` -> ${res.location}` : '';
	return `${res.status} from ${res.url}${loc}\n${res.text.slice(0, 600)}`;
}

// ---------------------------------------------------------------- OIDC provider

const execFileP = promisify(execFile);

/**
 * Builds e2e/oidcprovider into .build/oidcprovider (go build is cached, so
 * this is quick after the first time) and starts it. Resolves with
 * {issuer, clientId, clientSecret, sub, email, username, stop()}.
 */
export async function startOidcProvider() {
	const bin = path.join(ROOT, '.build', 'oidcprovider');
	await mkdir(path.dirname(bin), { recursive: true });
	try {
		await execFileP('go', ['build', '-o', bin, './e2e/oidcprovider'], { cwd: ROOT, timeout: 300_000, maxBuffer: 4 << 20 });
	} catch (err) {
		throw new Error(`go build ./e2e/oidcprovider failed: ${err.message}\n${err.stdout ?? ''}${err.stderr ?? ''}`);
	}
	// stdin stays open: the provider exits when it closes (our process ends).
	const child = spawn(bin, [], { cwd: ROOT, stdio: ['pipe', 'pipe', 'pipe'] });
	let stderr = '';
	child.stderr.on('data', (d) => {
		stderr += d;
		if (stderr.length > 64 * 1024) stderr = stderr.slice(-64 * 1024);
	});
	const exited = new Promise((resolve) => child.once('exit', (code, signal) => resolve({ code, signal })));
	const lines = createInterface({ input: child.stdout });
	const first = await new Promise((resolve, reject) => {
		const timer = setTimeout(() => reject(new Error(`oidcprovider printed nothing within 30 s\n${stderr}`)), 30_000);
		lines.once('line', (line) => {
			clearTimeout(timer);
			resolve(line);
		});
		child.once('error', (err) => {
			clearTimeout(timer);
			reject(err);
		});
		exited.then(({ code, signal }) => {
			clearTimeout(timer);
			reject(new Error(`oidcprovider exited (code ${code}, signal ${signal})\n${stderr}`));
		});
	});
	lines.on('line', () => {}); // keep draining stdout
	const info = JSON.parse(first);
	return {
		...info,
		stderr: () => stderr,
		async stop() {
			if (child.exitCode === null && child.signalCode === null) {
				child.kill('SIGTERM');
				await exited;
			}
		},
	};
}

// ---------------------------------------------------------------- GitHub fake

function s256(verifier) {
	return createHash('sha256').update(verifier).digest('base64url');
}

export const DEFAULT_GITHUB_USER = Object.freeze({
	id: 4242,
	login: 'octocat',
	name: 'Octo Cat',
	email: null,
	emails: [
		{ email: 'octo-old@example.com', primary: false, verified: true, visibility: null },
		{ email: 'octocat@example.com', primary: true, verified: true, visibility: 'private' },
	],
});

/**
 * A fake of GitHub's OAuth app endpoints and REST API on 127.0.0.1:
 *
 *   GET  /login/oauth/authorize     → 302 to redirect_uri with code and the
 *        same state (or error=access_denied for a queued {deny: true});
 *   POST /login/oauth/access_token  → JSON {access_token, token_type:
 *        "bearer", scope}, after checking client_id, client_secret, the code
 *        (single use), redirect_uri and, when the authorize request had a
 *        code_challenge, the code_verifier (S256);
 *   GET  /user, /user/emails        → the user's shapes, for a valid
 *        Bearer/token access token.
 *
 * Each authorize request takes the next queued user (queue(user)) or
 * DEFAULT_GITHUB_USER. `authorizeRequests`, `tokenRequests`, `apiRequests`
 * record what arrived; `rejected` lists every refusal with its reason.
 */
export async function startGitHubFake({ clientId, clientSecret }) {
	const queued = [];
	const codes = new Map(); // code -> {user, redirectUri, challenge, method, used}
	const tokens = new Map(); // access token -> user
	const authorizeRequests = [];
	const tokenRequests = [];
	const apiRequests = [];
	const rejected = [];

	const json = (res, status, obj) => {
		const body = JSON.stringify(obj);
		res.writeHead(status, { 'Content-Type': 'application/json; charset=utf-8', 'Content-Length': Buffer.byteLength(body) });
		res.end(body);
	};
	const refuse = (res, status, obj, why, req) => {
		rejected.push({ method: req.method, url: req.url, why });
		json(res, status, obj);
	};

	const server = http.createServer((req, res) => {
		let body = '';
		req.setEncoding('utf8');
		req.on('data', (d) => (body += d));
		req.on('end', () => {
			const u = new URL(req.url, 'http://127.0.0.1');
			if (req.method === 'GET' && u.pathname === '/login/oauth/authorize') {
				const q = Object.fromEntries(u.searchParams);
				authorizeRequests.push(q);
				if (q.client_id !== clientId) return refuse(res, 404, { error: 'Not Found' }, `client_id ${q.client_id}`, req);
				if (!q.redirect_uri || !q.state) return refuse(res, 400, { error: 'redirect_uri and state required' }, 'missing redirect_uri/state', req);
				const user = queued.length ? queued.shift() : DEFAULT_GITHUB_USER;
				const target = new URL(q.redirect_uri);
				if (user.deny) {
					target.searchParams.set('error', 'access_denied');
					target.searchParams.set('error_description', 'The user has denied your application access.');
					target.searchParams.set('error_uri', 'https://docs.github.com/apps/managing-oauth-apps/troubleshooting-authorization-request-errors/#access-denied');
				} else {
					const code = randomBytes(10).toString('hex');
					codes.set(code, { user, redirectUri: q.redirect_uri, challenge: q.code_challenge, method: q.code_challenge_method, used: false });
					target.searchParams.set('code', code);
				}
				target.searchParams.set('state', q.state);
				res.writeHead(302, { Location: target.toString(), 'Content-Length': 0 });
				return res.end();
			}
			if (req.method === 'POST' && u.pathname === '/login/oauth/access_token') {
				const form = Object.fromEntries(new URLSearchParams(body));
				tokenRequests.push({ form, headers: req.headers });
				if (form.client_id !== clientId || form.client_secret !== clientSecret) {
					return refuse(res, 200, { error: 'incorrect_client_credentials' }, 'client credentials', req);
				}
				const entry = codes.get(form.code);
				if (!entry || entry.used) return refuse(res, 200, { error: 'bad_verification_code' }, `code ${form.code}`, req);
				entry.used = true;
				if (form.redirect_uri !== undefined && form.redirect_uri !== entry.redirectUri) {
					return refuse(res, 200, { error: 'redirect_uri_mismatch' }, `redirect_uri ${form.redirect_uri}`, req);
				}
				if (entry.challenge) {
					if (!form.code_verifier) return refuse(res, 200, { error: 'invalid_request', error_description: 'code_verifier missing' }, 'no code_verifier', req);
					const want = entry.method === 'S256' ? s256(form.code_verifier) : form.code_verifier;
					if (want !== entry.challenge) return refuse(res, 200, { error: 'invalid_grant', error_description: 'PKCE mismatch' }, 'PKCE mismatch', req);
				}
				const accessToken = 'gho_' + randomBytes(18).toString('hex');
				tokens.set(accessToken, entry.user);
				return json(res, 200, { access_token: accessToken, token_type: 'bearer', scope: 'read:user,user:email' });
			}
			if (req.method === 'GET' && (u.pathname === '/user' || u.pathname === '/user/emails')) {
				const auth = req.headers.authorization ?? '';
				apiRequests.push({ path: u.pathname, authorization: auth, accept: req.headers.accept ?? '' });
				const m = /^(?:Bearer|token) (.+)$/i.exec(auth);
				const user = m && tokens.get(m[1]);
				if (!user) {
					return refuse(res, 401, { message: 'Bad credentials', documentation_url: 'https://docs.github.com/rest' }, `authorization ${auth}`, req);
				}
				if (u.pathname === '/user') {
					return json(res, 200, { login: user.login, id: user.id, node_id: 'MDQ6VXNlcjE=', type: 'User', site_admin: false, name: user.name, email: user.email });
				}
				return json(res, 200, user.emails);
			}
			refuse(res, 404, { message: 'Not Found' }, `unexpected ${req.method} ${u.pathname}`, req);
		});
	});
	await new Promise((resolve, reject) => {
		server.once('error', reject);
		server.listen(0, '127.0.0.1', resolve);
	});
	const base = `http://127.0.0.1:${server.address().port}`;
	return {
		base,
		clientId,
		clientSecret,
		authorizeRequests,
		tokenRequests,
		apiRequests,
		rejected,
		/** Queues the user (or {deny: true}) for the next authorize request. */
		queue(user) {
			queued.push(user);
		},
		/** The access tokens issued so far, with their users. */
		tokens,
		async close() {
			server.closeAllConnections();
			await new Promise((resolve) => server.close(() => resolve()));
		},
	};
}
