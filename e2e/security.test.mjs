// Security checks against a real Caddy (issue 11, §2, §3, §3a):
// cross-site writes authenticated by the SameSite=None session cookie are
// refused at the API and at the gate; client-sent identity headers are
// removed on routes beside the gate too, and neither identity nor
// credential names pass as request trailers (HTTP/1.1 chunked and h2c);
// names and passwords that would break the gate are refused on input.

import assert from 'node:assert/strict';
import http2 from 'node:http2';
import net from 'node:net';
import path from 'node:path';
import { describe, test } from 'node:test';

import { headerValues, PROJECT, randomSuffix, rawRequest, uniqueEmail, useCaddy } from './harness.mjs';

const PASSWORD = 'password123';

function token(s) {
	return /\s|"/.test(s) ? JSON.stringify(s) : s;
}

// A public route beside the gated one, a gate with a renamed name header,
// a gate with the CSRF check off, and h2c for the trailer test.
const env = useCaddy({
	makeConfig: ({ dir, port }) => `{
	admin off
	persist_config off
	auto_https off
	storage file_system ${token(path.join(dir, 'caddy'))}
	servers {
		protocols h1 h2c
	}
	accountgate {
		project ${PROJECT} {
			store sqlite ${token(path.join(dir, PROJECT + '.db'))}
			platform localhost
			public_url http://localhost:${port}
			rate_limit off
		}
	}
}

http://localhost:${port}, http://127.0.0.1:${port} {
	account_api ${PROJECT}
	handle /public/* {
		reverse_proxy 127.0.0.1:${env.upstream.port}
	}
	handle /nocsrf/* {
		account_gate ${PROJECT} {
			csrf off
		}
		reverse_proxy 127.0.0.1:${env.upstream.port}
	}
	handle {
		account_gate ${PROJECT} {
			header name X-User-Name
		}
		reverse_proxy 127.0.0.1:${env.upstream.port}
	}
}
`,
});

/** Signs up and in; returns the user id, the Cookie header value and a JWT. */
async function signedIn() {
	const email = uniqueEmail('sec');
	const json = [['Content-Type', 'application/json']];
	const made = await rawRequest(`${env.origin}/v1/account`, {
		method: 'POST',
		headers: json,
		body: JSON.stringify({ userId: 'unique()', email, password: PASSWORD, name: 'Sec' }),
	});
	assert.equal(made.status, 201, made.text);
	const session = await rawRequest(`${env.origin}/v1/account/sessions/email`, {
		method: 'POST',
		headers: json,
		body: JSON.stringify({ email, password: PASSWORD }),
	});
	assert.equal(session.status, 201, session.text);
	const main = session.setCookie.map((l) => l.split(';')[0]).find((c) => c.startsWith(`a_session_${PROJECT}=`));
	assert.ok(main, 'session cookie');
	const jwt = await rawRequest(`${env.origin}/v1/account/jwt`, { method: 'POST', headers: [['Cookie', main]] });
	assert.equal(jwt.status, 201, jwt.text);
	return { id: made.json.$id, cookie: main, jwt: jwt.json.jwt };
}

const FORM = ['Content-Type', 'application/x-www-form-urlencoded'];

/** A POST (form body) that reports whether the upstream saw it. */
async function post(url, headers) {
	const u = new URL(url);
	const before = env.upstream.requests.filter((r) => r.url === u.pathname + u.search).length;
	const res = await rawRequest(url, { method: 'POST', headers: [FORM, ...headers], body: 'amount=1000&to=mallory' });
	const seen = env.upstream.requests.filter((r) => r.url === u.pathname + u.search);
	return { ...res, reached: seen.length > before, upstream: seen.at(-1) };
}

describe('CSRF at the API', () => {
	test('cookie-authenticated writes need a platform origin; "null" is foreign', async () => {
		const { cookie } = await signedIn();
		const url = `${env.origin}/v1/account/jwt`;
		const refused = [
			['cross-site form post', [['Origin', 'https://evil.example']]],
			['Origin: null', [['Origin', 'null']]],
			['Origin: null, same-site fetch', [['Origin', 'null'], ['Sec-Fetch-Site', 'same-site']]],
			['no Origin, foreign Referer', [['Referer', 'https://evil.example/page']]],
		];
		for (const [what, headers] of refused) {
			const res = await post(url, [['Cookie', cookie], ...headers]);
			assert.equal(res.status, 403, `${what}: ${res.text}`);
			assert.equal(res.json?.type, 'general_unknown_origin', what);
		}
		const allowed = [
			['same-site post', [['Origin', env.origin]]],
			['Origin: null from our own no-referrer page', [['Origin', 'null'], ['Sec-Fetch-Site', 'same-origin']]],
		];
		for (const [what, headers] of allowed) {
			const res = await post(url, [['Cookie', cookie], ...headers]);
			assert.equal(res.status, 201, `${what}: ${res.text}`);
		}
	});

	test('a JWT write with Origin: null passes (no browser sends a JWT by itself)', async () => {
		const { jwt } = await signedIn();
		const res = await rawRequest(`${env.origin}/v1/account/prefs`, {
			method: 'PATCH',
			headers: [['Content-Type', 'application/json'], ['X-Appwrite-JWT', jwt], ['Origin', 'null']],
			body: JSON.stringify({ prefs: { theme: 'dark' } }),
		});
		assert.equal(res.status, 200, res.text);
	});
});

describe('CSRF at the gate', () => {
	test('another site cannot post to a gated app with the cookie', async () => {
		const { cookie } = await signedIn();
		const app = `${env.origin}/app/transfer?${randomSuffix()}`;
		for (const [what, headers] of [
			['cross-site form post', [['Origin', 'https://evil.example']]],
			['Origin: null', [['Origin', 'null']]],
			['no Origin, foreign Referer', [['Referer', 'https://evil.example/page']]],
			['no Origin nor Referer, cross-site fetch', [['Sec-Fetch-Site', 'cross-site']]],
		]) {
			const res = await post(app, [['Cookie', cookie], ...headers]);
			assert.equal(res.status, 403, `${what}: ${res.text}`);
			assert.equal(res.json?.type, 'general_unknown_origin', what);
			assert.equal(res.reached, false, `${what} reached the upstream`);
		}
		// A browser gets a page.
		const page = await post(app, [['Cookie', cookie], ['Origin', 'https://evil.example'], ['Accept', 'text/html,*/*']]);
		assert.equal(page.status, 403);
		assert.match(page.headers['content-type'], /^text\/html/);
		assert.equal(page.reached, false);
	});

	test('same-site, JWT and non-browser posts pass with the identity', async () => {
		const { id, cookie, jwt } = await signedIn();
		const port = env.port;
		for (const [what, url, headers] of [
			['same-site post (platform)', `${env.origin}/app/a?${randomSuffix()}`, [['Cookie', cookie], ['Origin', env.origin]]],
			// 127.0.0.1 is no platform: the site's own origin is its Host.
			['same-site post (own host)', `http://127.0.0.1:${port}/app/b?${randomSuffix()}`, [['Cookie', cookie], ['Origin', `http://127.0.0.1:${port}`]]],
			['same-site referer', `${env.origin}/app/c?${randomSuffix()}`, [['Cookie', cookie], ['Referer', `${env.origin}/form`]]],
			['JWT post from anywhere', `${env.origin}/app/d?${randomSuffix()}`, [['X-Appwrite-JWT', jwt], ['Origin', 'https://evil.example']]],
			['Bearer JWT post from anywhere', `${env.origin}/app/e?${randomSuffix()}`, [['Authorization', `Bearer ${jwt}`], ['Origin', 'null']]],
			['non-browser client', `${env.origin}/app/f?${randomSuffix()}`, [['Cookie', cookie]]],
			['csrf off', `${env.origin}/nocsrf/g?${randomSuffix()}`, [['Cookie', cookie], ['Origin', 'https://evil.example']]],
		]) {
			const res = await post(url, headers);
			assert.equal(res.status, 200, `${what}: ${res.text}`);
			assert.ok(res.reached, what);
			assert.deepEqual(headerValues(res.upstream.headers, 'X-Account-Id'), [id], what);
		}
	});
});

describe('identity headers and credentials', () => {
	test('a public route beside the gate gets no forged identity, renamed names included', async () => {
		const url = `/public/page?${randomSuffix()}`;
		const res = await rawRequest(env.origin + url, {
			headers: [
				['X-Account-Id', 'admin'],
				['X_Account_Email', 'admin@example.com'],
				['x-account-email-verified', 'true'],
				['X-User-Name', 'Admin'],
				['X_User_Name', 'Admin'],
				['X-Kept', 'yes'],
			],
		});
		assert.equal(res.status, 200, res.text);
		const seen = env.upstream.requests.find((r) => r.url === url);
		const names = seen.headers.map(([n]) => n.toLowerCase().replaceAll('_', '-'));
		for (const n of names) {
			assert.ok(!n.startsWith('x-account-') && n !== 'x-user-name', `${n} reached the upstream`);
		}
		assert.deepEqual(headerValues(seen.headers, 'X-Kept'), ['yes']);
	});

	test('HTTP/1.1 chunked trailers carry no identity or credential', async () => {
		const { id, cookie } = await signedIn();
		for (const route of ['/app/upload', '/public/upload']) {
			const url = `${route}?${randomSuffix()}`;
			const raw = await rawChunkedPost(url, cookie);
			assert.match(raw, /^HTTP\/1\.1 200 /, `${route}: ${raw}`);
			const seen = env.upstream.requests.find((r) => r.url === url);
			assert.ok(seen, `${route} reached no upstream`);
			const trailerNames = seen.trailers.map(([n]) => n.toLowerCase().replaceAll('_', '-'));
			for (const bad of ['x-account-id', 'x-account-email', 'x-user-name', 'x-appwrite-jwt', 'x-fallback-cookies', 'cookie']) {
				assert.ok(!trailerNames.includes(bad), `${route}: trailer ${bad} reached the upstream: ${JSON.stringify(seen.trailers)}`);
			}
			assert.deepEqual(headerValues(seen.trailers, 'X-Kept'), ['yes'], `${route}: other trailers pass`);
			if (route === '/app/upload') assert.deepEqual(headerValues(seen.headers, 'X-Account-Id'), [id]);
		}
	});

	test('h2c trailers carry no identity or credential', async () => {
		const { cookie } = await signedIn();
		const client = http2.connect(`http://127.0.0.1:${env.port}`);
		try {
			for (const route of ['/app/h2', '/public/h2']) {
				const url = `${route}?${randomSuffix()}`;
				const status = await new Promise((resolve, reject) => {
					const req = client.request(
						{
							':method': 'POST',
							':path': url,
							':authority': `localhost:${env.port}`,
							cookie,
							trailer: 'X-Account-Id, X-User-Name, X-Appwrite-Session, X-Kept',
						},
						{ waitForTrailers: true },
					);
					req.on('wantTrailers', () => {
						req.sendTrailers({ 'x-account-id': 'admin', 'x-user-name': 'Admin', 'x-appwrite-session': 'stolen', 'x-kept': 'yes' });
					});
					let st = 0;
					req.on('response', (h) => (st = h[':status']));
					req.on('error', reject);
					req.on('end', () => resolve(st));
					req.resume();
					req.end('hello');
				});
				assert.equal(status, 200, route);
				const seen = env.upstream.requests.find((r) => r.url === url);
				assert.ok(seen, `${route} reached no upstream`);
				const trailerNames = seen.trailers.map(([n]) => n.toLowerCase());
				for (const bad of ['x-account-id', 'x-user-name', 'x-appwrite-session']) {
					assert.ok(!trailerNames.includes(bad), `${route}: trailer ${bad} reached the upstream: ${JSON.stringify(seen.trailers)}`);
				}
				assert.deepEqual(headerValues(seen.trailers, 'X-Kept'), ['yes'], `${route}: other trailers pass`);
			}
		} finally {
			client.close();
		}
	});

	test('our Bearer JWT is removed when X-Appwrite-JWT was the credential used', async () => {
		const { jwt } = await signedIn();
		const url = `/app/bearer?${randomSuffix()}`;
		const res = await rawRequest(env.origin + url, { headers: [['X-Appwrite-JWT', jwt], ['Authorization', `Bearer ${jwt}`]] });
		assert.equal(res.status, 200, res.text);
		const seen = env.upstream.requests.find((r) => r.url === url);
		assert.deepEqual(headerValues(seen.headers, 'Authorization'), []);
		assert.deepEqual(headerValues(seen.headers, 'X-Appwrite-JWT'), []);
	});
});

describe('input that would break the gate', () => {
	test('names with control characters are refused', async () => {
		const { cookie } = await signedIn();
		for (const name of ['a\u0000b', 'Eve\r\nX-Account-Id: admin', 'a\u000bb', 'a\u007fb']) {
			const res = await rawRequest(`${env.origin}/v1/account/name`, {
				method: 'PATCH',
				headers: [['Content-Type', 'application/json'], ['Cookie', cookie], ['Origin', env.origin]],
				body: JSON.stringify({ name }),
			});
			assert.equal(res.status, 400, `${JSON.stringify(name)}: ${res.text}`);
			assert.equal(res.json.message, 'Invalid name: Value must be a valid string and at least 1 chars and no longer than 128 chars');
		}
		const gated = await rawRequest(`${env.origin}/app/after-names?${randomSuffix()}`, { headers: [['Cookie', cookie]] });
		assert.equal(gated.status, 200, gated.text);
	});

	test('passwords over 256 bytes are refused with 400', async () => {
		const res = await rawRequest(`${env.origin}/v1/account/sessions/email`, {
			method: 'POST',
			headers: [['Content-Type', 'application/json']],
			body: JSON.stringify({ email: uniqueEmail('long'), password: 'p'.repeat(257) }),
		});
		assert.equal(res.status, 400, res.text);
		assert.equal(res.json.message, 'Invalid password: Password must be between 8 and 256 characters long.');
	});
});

/** Sends a chunked POST whose trailers claim an identity and credentials. */
function rawChunkedPost(url, cookie) {
	return new Promise((resolve, reject) => {
		const sock = net.connect(env.port, '127.0.0.1');
		let out = '';
		sock.setEncoding('utf8');
		sock.on('data', (d) => {
			out += d;
			if (/\r\n\r\n/.test(out)) {
				sock.end();
				resolve(out);
			}
		});
		sock.on('error', reject);
		sock.setTimeout(15_000, () => sock.destroy(new Error('timeout')));
		sock.write(
			`POST ${url} HTTP/1.1\r\nHost: localhost:${env.port}\r\nCookie: ${cookie}\r\nTransfer-Encoding: chunked\r\n` +
				'Trailer: X-Account-Id, X-Account-Email, X-User-Name, X-Appwrite-JWT, X-Kept\r\nConnection: close\r\n\r\n' +
				'5\r\nhello\r\n0\r\n' +
				'X-Account-Id: admin\r\nX_Account_Email: admin@example.com\r\nX-User-Name: Admin\r\nX-Appwrite-JWT: stolen\r\n' +
				'X-Fallback-Cookies: {}\r\nCookie: a=b\r\nX-Kept: yes\r\n\r\n',
		);
	});
}
