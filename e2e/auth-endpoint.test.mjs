// The auth endpoint (account_auth) behind other proxies, with real
// processes: nginx's auth_request (nginx from Debian, scripts/services
// installs it) and Caddy's forward_auth on another server. Each proxy lets
// a signed-in request through to the upstream with the identity the
// endpoint answered, refuses one without a session (401), and refuses a
// cookie-authenticated POST from another site (403); a client's own
// X-Account-Id never reaches the upstream.

import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { mkdir, rm, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { after, before, describe, test } from 'node:test';
import { setTimeout as sleep } from 'node:timers/promises';

import { freePort, headerValues, PROJECT, rawRequest, startCaddy, startUpstream, uniqueEmail } from './harness.mjs';

const NGINX = process.env.ACCOUNTGATE_TEST_NGINX;

let upstream;
let caddy;
let forwardPort;
let cookie;
let email;

before(async () => {
	upstream = await startUpstream();
	forwardPort = await freePort();
	caddy = await startCaddy({
		makeConfig: ({ dir, port }) => `{
	admin off
	accountgate {
		project ${PROJECT} {
			store sqlite ${path.join(dir, 'auth.db')}
			platform localhost
			public_url http://localhost:${port}
			rate_limit off
		}
	}
}

# The auth server: the Account API and the auth endpoint, for any host.
http://:${port} {
	account_auth /_auth ${PROJECT}
	account_api ${PROJECT}
	respond "not here" 404
}

# Another Caddy server that asks the auth server with forward_auth.
http://:${forwardPort} {
	forward_auth 127.0.0.1:${port} {
		uri /_auth
		copy_headers X-Account-Id X-Account-Email
	}
	reverse_proxy 127.0.0.1:${upstream.port}
}
`,
	});
	email = uniqueEmail('auth');
	const headers = { 'Content-Type': 'application/json', 'X-Appwrite-Project': PROJECT };
	const made = await fetch(`${caddy.origin}/v1/account`, { method: 'POST', headers, body: JSON.stringify({ userId: 'unique()', email, password: 'password123' }) });
	assert.equal(made.status, 201, await made.text());
	const signedIn = await fetch(`${caddy.origin}/v1/account/sessions/email`, { method: 'POST', headers, body: JSON.stringify({ email, password: 'password123' }) });
	assert.equal(signedIn.status, 201, await signedIn.text());
	cookie = signedIn.headers.getSetCookie().map((c) => c.split(';')[0]).find((c) => c.startsWith(`a_session_${PROJECT}=`));
	assert.ok(cookie);
});

after(async () => {
	await caddy?.stop();
	if (caddy) await rm(caddy.dir, { recursive: true, force: true });
	await upstream?.close();
});

/** The three checks every proxy must pass; origin is the proxy's. */
function proxyChecks(originOf) {
	test('a signed-in request reaches the upstream with the identity, not the client copy', async () => {
		const origin = originOf();
		const res = await rawRequest(`${origin}/app/page`, { headers: [['Cookie', cookie], ['X-Account-Id', 'forged']] });
		assert.equal(res.status, 200, res.text);
		const seen = upstream.requests.at(-1);
		assert.equal(seen.url, '/app/page');
		assert.deepEqual(headerValues(seen.headers, 'X-Account-Email'), [email]);
		const ids = headerValues(seen.headers, 'X-Account-Id');
		assert.equal(ids.length, 1, JSON.stringify(seen.headers));
		assert.notEqual(ids[0], 'forged');
	});

	test('without a session: 401, and nothing reaches the upstream', async () => {
		const before = upstream.requests.length;
		const res = await rawRequest(`${originOf()}/app/secret`, { headers: [['X-Account-Id', 'forged']] });
		assert.equal(res.status, 401, res.text);
		assert.equal(upstream.requests.length, before);
	});

	test('a cookie-authenticated POST from another site: 403, and nothing reaches the upstream', async () => {
		const before = upstream.requests.length;
		const res = await rawRequest(`${originOf()}/app/transfer`, {
			method: 'POST',
			headers: [['Cookie', cookie], ['Origin', 'https://evil.example'], ['Content-Type', 'application/x-www-form-urlencoded']],
			body: 'amount=100',
		});
		assert.equal(res.status, 403, res.text);
		assert.equal(upstream.requests.length, before);
	});
}

describe('Caddy forward_auth on another server', () => {
	proxyChecks(() => `http://localhost:${forwardPort}`);
});

describe('nginx auth_request', { skip: !NGINX && 'ACCOUNTGATE_TEST_NGINX is not set (scripts/test sets it through scripts/services)' }, () => {
	let nginx;
	let nginxPort;
	let dir;
	let output = '';
	before(async () => {
		nginxPort = await freePort();
		dir = path.join(caddy.dir, 'nginx');
		await mkdir(path.join(dir, 'tmp'), { recursive: true, mode: 0o777 });
		const conf = `daemon off;
master_process off;
worker_processes 1;
pid ${dir}/nginx.pid;
error_log stderr warn;
events { worker_connections 64; }
http {
	access_log off;
	client_body_temp_path ${dir}/tmp/body;
	proxy_temp_path ${dir}/tmp/proxy;
	fastcgi_temp_path ${dir}/tmp/fastcgi;
	uwsgi_temp_path ${dir}/tmp/uwsgi;
	scgi_temp_path ${dir}/tmp/scgi;
	server {
		listen 127.0.0.1:${nginxPort};
		location = /_auth {
			internal;
			proxy_pass http://127.0.0.1:${caddy.port}/_auth;
			proxy_pass_request_body off;
			proxy_set_header Content-Length "";
			proxy_set_header X-Forwarded-Method $request_method;
			proxy_set_header X-Forwarded-Host $http_host;
		}
		location / {
			auth_request /_auth;
			auth_request_set $account_id $upstream_http_x_account_id;
			auth_request_set $account_email $upstream_http_x_account_email;
			proxy_set_header X-Account-Id $account_id;
			proxy_set_header X-Account-Email $account_email;
			proxy_pass http://127.0.0.1:${upstream.port};
		}
	}
}
`;
		await writeFile(path.join(dir, 'nginx.conf'), conf);
		nginx = spawn(NGINX, ['-p', dir, '-c', path.join(dir, 'nginx.conf')], { stdio: ['ignore', 'pipe', 'pipe'] });
		nginx.stdout.on('data', (c) => (output += c));
		nginx.stderr.on('data', (c) => (output += c));
		for (let i = 0; ; i++) {
			if (nginx.exitCode !== null) throw new Error(`nginx exited: ${output}`);
			try {
				await fetch(`http://127.0.0.1:${nginxPort}/`);
				break;
			} catch {
				if (i > 100) throw new Error(`nginx did not answer: ${output}`);
				await sleep(50);
			}
		}
	});
	after(async () => {
		if (nginx && nginx.exitCode === null) {
			nginx.kill('SIGTERM');
			await new Promise((resolve) => nginx.once('exit', resolve));
		}
	});
	proxyChecks(() => `http://localhost:${nginxPort}`);
});
