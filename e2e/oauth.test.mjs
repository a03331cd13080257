// OAuth2 sign-in end to end: a real Caddy binary with accountgate (env
// CADDY_BIN), a real OpenID Connect provider (e2e/oidcprovider: mockoidc,
// discovery, PKCE S256, ID tokens with nonce, refresh_token grant) for the
// generic "oidc" provider, and a Node fake of GitHub's OAuth app endpoints
// and REST API shapes for "github". The browser is a small cookie jar that
// follows the redirect chain one hop at a time (start → provider → callback
// → success or failure); the session it ends with is then handed to the
// official Appwrite web SDK 11.0.1, unmodified, through its
// localStorage.cookieFallback, as a browser without third-party cookies
// would do.
//
// Contract: /work/shared/spec/appwrite-1.3-facts.md §6 (the flow), §5.24
// (PATCH /sessions/{id}), part A items 21, 22 and 25 (signed state bound to
// the browser by a nonce cookie, PKCE, platform checks at both ends, linking
// by verified email only, callback URL with its port).
//
// The token flow of today's SDKs (SDK 28 createOAuth2Token, GET
// /v1/account/tokens/oauth2/{provider}) runs the same redirects and ends
// on the success URL with userId and secret, which createSession spends.

import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { setTimeout as sleep } from 'node:timers/promises';

import { bindStorage, headerValues, installBrowserShim, ISO_MS, parseSetCookie, PROJECT, rawRequest, useCaddy } from './harness.mjs';
import { DEFAULT_GITHUB_USER, describeResponse, Jar, startGitHubFake, startOidcProvider } from './oauth-support.mjs';

// The SDK looks for `window` at call time; install the shim first, then
// load the SDK.
const shim = installBrowserShim();
const { Client, Account, ID, AppwriteException } = await import('appwrite');

const MAIN = `a_session_${PROJECT}`;
const LEGACY = `${MAIN}_legacy`;
const NONCE = `a_oauth_${PROJECT}`;
const NONCE_PATH = '/v1/account/sessions/oauth2';
const BAD_STATE = 'the sign-in state is invalid or has expired; please start again';
const GH = { clientId: 'gh-client-e2e', clientSecret: 'gh-secret-e2e' };

// One Caddy for the file; the providers start first (their addresses go
// into the Caddyfile), in a describe block so that the hooks run in order.
describe('oauth2', () => {
	// ---------------------------------------------------------------- set-up

	const providers = { oidc: null, github: null };

	// Registered before useCaddy's hook, so the providers run (and their
	// addresses are known) when the Caddyfile is written.
	before(async () => {
		[providers.oidc, providers.github] = await Promise.all([startOidcProvider(), startGitHubFake(GH)]);
	});

	const env = useCaddy({
		projectLines: () => [
			'rate_limit off',
			`oauth2 oidc ${JSON.stringify(providers.oidc.clientId)} ${JSON.stringify(providers.oidc.clientSecret)} {
				issuer ${providers.oidc.issuer}
			}`,
			`oauth2 github ${GH.clientId} ${GH.clientSecret} {
				auth_url ${providers.github.base}/login/oauth/authorize
				token_url ${providers.github.base}/login/oauth/access_token
				user_url ${providers.github.base}/user
			}`,
		],
	});

	after(async () => {
		await providers.oidc?.stop();
		await providers.github?.close();
	});

	// ---------------------------------------------------------------- helpers

	const successURL = (tag = 'done') => `${env.origin}/app/oauth-${tag}?from=e2e`;
	const failureURL = (tag = 'failed') => `${env.origin}/app/oauth-${tag}?from=e2e`;
	const callbackPath = (provider) => `/v1/account/sessions/oauth2/callback/${provider}/${PROJECT}`;

	/** The URL the web SDK sends the browser to (createOAuth2Session returns it without window.location). */
	function startURL(provider, success, failure, scopes) {
		const account = new Account(new Client().setEndpoint(env.endpoint).setProject(PROJECT));
		const u = account.createOAuth2Session(provider, success, failure, scopes);
		assert.ok(u instanceof URL, 'createOAuth2Session returns the URL when there is no window.location');
		return u.toString();
	}

	function authorizeBase(provider) {
		return provider === 'oidc' ? `${providers.oidc.issuer}/authorize` : `${providers.github.base}/login/oauth/authorize`;
	}

	function setCookieNames(res) {
		return res.setCookie.map((l) => l.split('=')[0].trim());
	}

	function nonceCookieOf(res) {
		const line = res.setCookie.find((l) => l.startsWith(`${NONCE}=`));
		assert.ok(line, `no ${NONCE} cookie in ${JSON.stringify(res.setCookie)}`);
		return line;
	}

	/**
	 * Runs the browser part of a sign-in up to the callback URL: start (301 to
	 * the provider, nonce cookie) → provider (302 back to the callback).
	 */
	async function toCallback(provider, { jar = new Jar(), success = successURL(), failure = failureURL(), scopes } = {}) {
		const url = startURL(provider, success, failure, scopes);
		const start = await jar.fetch(url);
		assert.equal(start.status, 301, describeResponse(start));
		assert.ok(start.location.startsWith(authorizeBase(provider) + '?'), `start redirects to the provider: ${start.location}`);
		const nonce = jar.get(`${env.origin}${NONCE_PATH}/callback`, NONCE);
		assert.ok(nonce, `the start response sets ${NONCE}: ${JSON.stringify(start.setCookie)}`);
		const authorize = await jar.fetch(start.location);
		assert.equal(authorize.status, 302, describeResponse(authorize));
		assert.ok(authorize.location.startsWith(`${env.origin}${callbackPath(provider)}?`), `the provider sends the browser back: ${authorize.location}`);
		return { jar, url, start, authorize, nonce, callbackURL: authorize.location };
	}

	/** A full sign-in: toCallback, then the callback itself. */
	async function signIn(provider, opts = {}) {
		const flow = await toCallback(provider, opts);
		flow.callback = await flow.jar.fetch(flow.callbackURL);
		return flow;
	}

	/**
	 * Checks a successful callback (301 to `success` with both session cookies
	 * and X-Fallback-Cookies) and hands the session to a new SDK client.
	 */
	function sessionFromCallback(callback, success = successURL()) {
		assert.equal(callback.status, 301, describeResponse(callback));
		assert.equal(callback.location, success, 'a custom success URL gets nothing appended');
		const names = setCookieNames(callback);
		assert.ok(names.includes(MAIN) && names.includes(LEGACY), `both session cookies are set: ${JSON.stringify(callback.setCookie)}`);
		const fallback = callback.headers['x-fallback-cookies'];
		assert.ok(fallback, 'the callback sends X-Fallback-Cookies');
		const parsed = JSON.parse(fallback);
		assert.deepEqual(Object.keys(parsed), [MAIN]);
		assert.ok(parsed[MAIN].length > 0);
		const client = new Client().setEndpoint(env.endpoint).setProject(PROJECT);
		const storage = shim.newStorage();
		storage.setItem('cookieFallback', fallback);
		return { client, storage, account: bindStorage(new Account(client), storage), fallback };
	}

	/** Checks a failed callback: 301 to `failure` with ?error=<JSON>, no session. Returns the error object. */
	function failureOf(callback, failure = failureURL()) {
		assert.equal(callback.status, 301, describeResponse(callback));
		const loc = new URL(callback.location);
		const want = new URL(failure);
		assert.equal(loc.origin + loc.pathname, want.origin + want.pathname, `redirects to the failure URL: ${callback.location}`);
		assert.equal(loc.searchParams.get('from'), 'e2e', 'the failure URL keeps its query');
		const names = setCookieNames(callback);
		assert.ok(!names.includes(MAIN) && !names.includes(LEGACY), `no session cookie: ${JSON.stringify(callback.setCookie)}`);
		assert.equal(callback.headers['x-fallback-cookies'], undefined, 'no X-Fallback-Cookies');
		const raw = loc.searchParams.get('error');
		assert.ok(raw, `the failure URL carries ?error=: ${callback.location}`);
		const err = JSON.parse(raw);
		assert.deepEqual(Object.keys(err).sort(), ['code', 'message', 'type', 'version']);
		assert.equal(typeof err.message, 'string');
		assert.ok(err.message.length > 0);
		assert.equal(typeof err.version, 'string');
		return err;
	}

	/** Checks an HTML error page (the browser routes never answer JSON). */
	function assertHTMLError(res, status, type) {
		assert.equal(res.status, status, describeResponse(res));
		assert.match(res.headers['content-type'] ?? '', /^text\/html/, describeResponse(res));
		assert.match(res.text, new RegExp(`<h1>Error ${status}</h1>`));
		if (type) assert.ok(res.text.includes(type), `the page names ${type}: ${res.text}`);
		assert.equal(res.headers.location, undefined, 'an error page is no redirect');
		const names = setCookieNames(res);
		assert.ok(!names.includes(MAIN) && !names.includes(LEGACY), `no session cookie: ${JSON.stringify(res.setCookie)}`);
		assert.equal(res.headers['x-fallback-cookies'], undefined, 'no X-Fallback-Cookies');
	}

	// ---------------------------------------------------------------- OpenID Connect

	describe('oidc (mockoidc)', () => {
		const state = {};

		test('start: 301 to the authorize endpoint with PKCE S256, nonce, signed state and the nonce cookie', async () => {
			const jar = new Jar();
			const url = startURL('oidc', successURL(), failureURL(), ['email']);
			assert.match(url, /[?&]project=test(&|$)/);
			assert.match(url, /[?&]scopes%5B0%5D=email(&|$)/, `the SDK flattens scopes as scopes[0]: ${url}`);
			const start = await jar.fetch(url);
			assert.equal(start.status, 301, describeResponse(start));
			assert.match(start.headers['cache-control'] ?? '', /no-store/);

			const loc = new URL(start.location);
			assert.equal(loc.origin + loc.pathname, `${providers.oidc.issuer}/authorize`);
			const q = loc.searchParams;
			assert.equal(q.get('client_id'), providers.oidc.clientId);
			assert.equal(q.get('response_type'), 'code');
			assert.equal(q.get('redirect_uri'), `${env.origin}${callbackPath('oidc')}`, 'the callback URL keeps the port (item 25)');
			assert.deepEqual(new Set(q.get('scope').split(' ')), new Set(['openid', 'profile', 'email']));
			assert.equal(q.get('code_challenge_method'), 'S256');
			assert.match(q.get('code_challenge') ?? '', /^[A-Za-z0-9_-]{43}$/);
			assert.ok((q.get('nonce') ?? '').length >= 16, 'an OIDC nonce is sent');
			assert.match(q.get('state') ?? '', /^[A-Za-z0-9_-]+\.[A-Za-z0-9_-]+$/, 'the state is signed');

			const c = parseSetCookie(nonceCookieOf(start));
			assert.match(c.value, /^[0-9a-f]{64}$/);
			assert.equal(c.attrs.path, NONCE_PATH);
			assert.equal(c.attrs.httponly, true);
			assert.equal(c.attrs.secure, true);
			assert.equal(String(c.attrs.samesite).toLowerCase(), 'none');
			assert.equal(c.attrs['max-age'], '600');
			assert.ok(!q.get('state').includes(c.value), 'the state does not carry the nonce itself');
			assert.ok(!setCookieNames(start).includes(MAIN), 'no session yet');
		});

		test('full sign-in: callback → success with the session; account.get() and the current session through the SDK', async () => {
			const flow = await signIn('oidc', { scopes: ['email'] });
			const { callback, jar } = flow;
			assert.match(callback.headers['cache-control'] ?? '', /no-store/);
			assert.equal(jar.get(`${env.origin}${NONCE_PATH}/callback`, NONCE), undefined, 'the nonce cookie is cleared');
			const c = sessionFromCallback(callback);

			const user = await c.account.get();
			assert.equal(user.email, providers.oidc.email);
			assert.equal(user.emailVerification, true);
			assert.equal(user.name, providers.oidc.username, 'the name comes from preferred_username');
			assert.equal(user.status, true);

			const session = await c.account.getSession('current');
			assert.equal(session.provider, 'oidc');
			assert.equal(session.providerUid, providers.oidc.sub);
			assert.equal(session.userId, user.$id);
			assert.equal(session.current, true);
			assert.equal(typeof session.providerAccessToken, 'string');
			assert.ok(session.providerAccessToken.length > 0, 'providerAccessToken is set');
			assert.ok(session.providerRefreshToken.length > 0, 'mockoidc issues a refresh token');
			assert.match(session.providerAccessTokenExpiry, ISO_MS);
			assert.ok(Date.parse(session.providerAccessTokenExpiry) > Date.now(), 'the access token expires in the future');

			const list = await c.account.listSessions();
			assert.equal(list.total, 1);
			assert.equal(list.sessions[0].$id, session.$id);

			// The provider's access token really is one of its tokens.
			const info = await rawRequest(`${providers.oidc.issuer}/userinfo`, { headers: [['Authorization', `Bearer ${session.providerAccessToken}`]] });
			assert.equal(info.status, 200, info.text);
			assert.equal(info.json.sub, providers.oidc.sub);

			Object.assign(state, { user, session, client: c, jar, success: callback.location });
		});

		test('the browser’s own session cookies open the gate on the success page', async (t) => {
			assert.ok(state.jar, 'the sign-in test above must pass first');
			// Secure cookies, sent here over http://localhost as browsers do.
			const page = await state.jar.fetch(state.success);
			assert.equal(page.status, 200, describeResponse(page));
			const seen = page.json.headers;
			assert.deepEqual(headerValues(seen, 'X-Account-Id'), [state.user.$id]);
			assert.deepEqual(headerValues(seen, 'X-Account-Email'), [providers.oidc.email]);
			assert.deepEqual(headerValues(seen, 'X-Account-Email-Verified'), ['true']);
			assert.deepEqual(headerValues(seen, 'X-Account-Session-Id'), [state.session.$id]);
			assert.deepEqual(headerValues(seen, 'Cookie').filter((v) => v.includes(MAIN)), [], 'the session cookies are not passed upstream');
			// /work/shared/DESIGN.md, identity headers: `oauth2:<provider>` for an OAuth2 session.
			assert.deepEqual(headerValues(seen, 'X-Account-Session-Provider'), ['oauth2:oidc']);
		});

		test('PATCH /v1/account/sessions/current refreshes the provider tokens', async (t) => {
			assert.ok(state.client, 'the sign-in test above must pass first');
			const { client, session: before } = state;
			// mockoidc's access tokens are JWTs whose only varying claim is iat
			// (seconds): let a second pass so that the new token differs.
			await sleep(1100);
			const refreshed = await client.account.updateSession('current');
			assert.equal(refreshed.$id, before.$id);
			assert.equal(refreshed.provider, 'oidc');
			assert.equal(refreshed.providerUid, providers.oidc.sub);
			assert.equal(refreshed.current, true);
			assert.ok(refreshed.providerAccessToken.length > 0);
			assert.notEqual(refreshed.providerAccessToken, before.providerAccessToken, 'a new providerAccessToken');
			assert.equal(refreshed.providerRefreshToken, before.providerRefreshToken, 'mockoidc keeps the refresh token');
			assert.match(refreshed.providerAccessTokenExpiry, ISO_MS);
			assert.ok(Date.parse(refreshed.providerAccessTokenExpiry) >= Date.parse(before.providerAccessTokenExpiry));

			const info = await rawRequest(`${providers.oidc.issuer}/userinfo`, { headers: [['Authorization', `Bearer ${refreshed.providerAccessToken}`]] });
			assert.equal(info.status, 200, info.text);
			assert.equal(info.json.sub, providers.oidc.sub);

			const again = await client.account.getSession('current');
			assert.equal(again.providerAccessToken, refreshed.providerAccessToken, 'the new token is stored');
			assert.equal(again.expire, before.expire, 'the Appwrite session itself is unchanged');
			assert.equal((await client.account.get()).$id, state.user.$id, 'the session still works');
		});

		test('a second sign-in with the same identity (another browser) reaches the same user', async (t) => {
			assert.ok(state.user, 'the sign-in test above must pass first');
			const flow = await signIn('oidc');
			const c = sessionFromCallback(flow.callback);
			const user = await c.account.get();
			assert.equal(user.$id, state.user.$id);
			const session = await c.account.getSession('current');
			assert.notEqual(session.$id, state.session.$id, 'a new session');
			assert.equal(session.provider, 'oidc');
			const list = await c.account.listSessions();
			assert.equal(list.total, 2);
			assert.deepEqual(new Set(list.sessions.map((s) => s.$id)), new Set([state.session.$id, session.$id]));
		});
	});

	// ---------------------------------------------------------------- GitHub

	describe('github (fake API)', () => {
		const state = {};

		test('full sign-in: PKCE, code exchange, /user and /user/emails; the SDK sees the verified primary email', async () => {
			const gh = providers.github;
			const tokensBefore = gh.tokenRequests.length;
			const flow = await signIn('github', { scopes: ['read:user'] });

			const q = new URL(flow.start.location).searchParams;
			assert.equal(q.get('client_id'), GH.clientId);
			assert.equal(q.get('redirect_uri'), `${env.origin}${callbackPath('github')}`);
			assert.deepEqual(new Set(q.get('scope').split(' ')), new Set(['user:email', 'read:user']));
			assert.equal(q.get('code_challenge_method'), 'S256');
			assert.match(q.get('code_challenge') ?? '', /^[A-Za-z0-9_-]{43}$/);

			const c = sessionFromCallback(flow.callback);
			assert.deepEqual(gh.rejected, [], 'the fake refused nothing');
			assert.equal(gh.tokenRequests.length, tokensBefore + 1, 'one code exchange');
			const { form } = gh.tokenRequests.at(-1);
			assert.equal(form.grant_type, 'authorization_code');
			assert.equal(form.client_id, GH.clientId);
			assert.equal(form.client_secret, GH.clientSecret);
			assert.equal(form.redirect_uri, `${env.origin}${callbackPath('github')}`);
			assert.ok(form.code_verifier, 'PKCE verifier sent');

			const user = await c.account.get();
			assert.equal(user.email, 'octocat@example.com', 'the primary verified address');
			assert.equal(user.emailVerification, true);
			assert.equal(user.name, DEFAULT_GITHUB_USER.name);

			const session = await c.account.getSession('current');
			assert.equal(session.provider, 'github');
			assert.equal(session.providerUid, String(DEFAULT_GITHUB_USER.id));
			assert.ok(session.providerAccessToken.length > 0);
			assert.ok(gh.tokens.has(session.providerAccessToken), 'providerAccessToken is the token GitHub issued');
			assert.equal(session.providerRefreshToken, '', 'GitHub OAuth apps give no refresh token');

			const calls = gh.apiRequests.filter((r) => r.authorization === `Bearer ${session.providerAccessToken}`).map((r) => r.path);
			assert.deepEqual(calls, ['/user', '/user/emails']);

			Object.assign(state, { user, session, client: c });
		});

		test('a second sign-in with the same GitHub identity reaches the same user', async (t) => {
			assert.ok(state.user, 'the sign-in test above must pass first');
			const flow = await signIn('github');
			const c = sessionFromCallback(flow.callback);
			const user = await c.account.get();
			assert.equal(user.$id, state.user.$id);
			const session = await c.account.getSession('current');
			assert.equal(session.provider, 'github');
			assert.notEqual(session.$id, state.session.$id);
		});

		test('PATCH /v1/account/sessions/current without a provider refresh token → 400', async (t) => {
			assert.ok(state.client, 'the sign-in test above must pass first');
			await assert.rejects(state.client.account.updateSession('current'), (err) => {
				assert.ok(err instanceof AppwriteException, String(err));
				assert.equal(err.code, 400);
				assert.equal(err.type, 'general_argument_invalid');
				return true;
			});
		});

		test('without a success URL: the default page gets project, key and secret in its query', async () => {
			const jar = new Jar();
			const account = new Account(new Client().setEndpoint(env.endpoint).setProject(PROJECT));
			const start = await jar.fetch(account.createOAuth2Session('github').toString());
			assert.equal(start.status, 301, describeResponse(start));
			const authorize = await jar.fetch(start.location);
			assert.equal(authorize.status, 302, describeResponse(authorize));
			const callback = await jar.fetch(authorize.location);
			assert.equal(callback.status, 301, describeResponse(callback));
			const loc = new URL(callback.location);
			assert.equal(loc.origin + loc.pathname, `${env.origin}/auth/oauth2/success`);
			assert.equal(loc.searchParams.get('project'), PROJECT);
			assert.equal(loc.searchParams.get('key'), MAIN);
			const secret = loc.searchParams.get('secret');
			assert.ok(secret, 'the session secret is in the query');
			// The secret is the cookie value (X-Fallback-Cookies has the same).
			assert.equal(JSON.parse(callback.headers['x-fallback-cookies'])[MAIN], secret);
			const c = new Client().setEndpoint(env.endpoint).setProject(PROJECT);
			const storage = shim.newStorage();
			storage.setItem('cookieFallback', JSON.stringify({ [MAIN]: secret }));
			const user = await bindStorage(new Account(c), storage).get();
			assert.equal(user.email, 'octocat@example.com');
		});
	});

	// ---------------------------------------------------------------- errors

	describe('errors', () => {
		test('an unknown provider → 400 HTML page, no nonce cookie', async () => {
			const res = await rawRequest(startURL('nosuchprovider', successURL(), failureURL()));
			assertHTMLError(res, 400, 'general_argument_invalid');
			assert.match(res.text, /Invalid provider/);
			assert.ok(!setCookieNames(res).includes(NONCE));
		});

		test('a known provider the project has not configured (google) → 412 HTML page', async () => {
			const res = await rawRequest(startURL('google', successURL(), failureURL()));
			assertHTMLError(res, 412, 'project_provider_disabled');
			assert.ok(!setCookieNames(res).includes(NONCE));
		});

		test('a success or failure URL on a host that is not a platform → 400 HTML page', async () => {
			for (const [success, failure, name] of [
				['https://evil.example.com/cb', failureURL(), 'success'],
				[successURL(), 'https://evil.example.com/cb', 'failure'],
			]) {
				const res = await rawRequest(startURL('github', success, failure));
				assertHTMLError(res, 400, 'general_argument_invalid');
				assert.match(res.text, new RegExp(`Invalid ${name}`));
				assert.ok(!setCookieNames(res).includes(NONCE), 'no flow was started');
			}
		});

		test('replaying the callback URL with the same nonce cookie → 400 HTML page, no second exchange', async () => {
			const flow = await signIn('github');
			sessionFromCallback(flow.callback);
			const exchanges = providers.github.tokenRequests.length;

			const replay = new Jar();
			replay.set(env.origin, NONCE, flow.nonce, NONCE_PATH);
			const res = await replay.fetch(flow.callbackURL);
			assertHTMLError(res, 400, 'general_argument_invalid');
			assert.ok(res.text.includes(BAD_STATE), res.text);
			assert.equal(providers.github.tokenRequests.length, exchanges, 'the code is not exchanged again');

			// The same browser (its session cookie included) fares no better.
			flow.jar.set(env.origin, NONCE, flow.nonce, NONCE_PATH);
			const again = await flow.jar.fetch(flow.callbackURL);
			assertHTMLError(again, 400, 'general_argument_invalid');
		});

		test('a callback without the nonce cookie, or with another flow’s → 400; the rightful browser still finishes', async () => {
			const gh = providers.github;
			const flow = await toCallback('github');
			const exchanges = gh.tokenRequests.length;

			const noCookie = await new Jar().fetch(flow.callbackURL);
			assertHTMLError(noCookie, 400, 'general_argument_invalid');
			assert.ok(noCookie.text.includes(BAD_STATE), noCookie.text);

			const other = await toCallback('github');
			const wrongCookie = await other.jar.fetch(flow.callbackURL);
			assertHTMLError(wrongCookie, 400, 'general_argument_invalid');

			const tampered = new URL(flow.callbackURL);
			const st = tampered.searchParams.get('state');
			tampered.searchParams.set('state', st.slice(0, -2) + (st.endsWith('AA') ? 'BB' : 'AA'));
			const jarCopy = new Jar();
			jarCopy.set(env.origin, NONCE, flow.nonce, NONCE_PATH);
			const tamperedRes = await jarCopy.fetch(tampered.toString());
			assertHTMLError(tamperedRes, 400, 'general_argument_invalid');

			// The state of a github flow on the oidc callback.
			const crossed = new URL(flow.callbackURL.replace(callbackPath('github'), callbackPath('oidc')));
			const crossedRes = await jarCopy.fetch(crossed.toString());
			assertHTMLError(crossedRes, 400, 'general_argument_invalid');

			assert.equal(gh.tokenRequests.length, exchanges, 'no code was exchanged for a refused callback');

			const ok = await flow.jar.fetch(flow.callbackURL);
			const c = sessionFromCallback(ok);
			assert.equal((await c.account.get()).email, 'octocat@example.com');
		});

		test('consent denied (error=access_denied) → 301 to failure with user_oauth2_provider_error, no session', async () => {
			providers.github.queue({ deny: true });
			const exchanges = providers.github.tokenRequests.length;
			const flow = await signIn('github');
			assert.equal(new URL(flow.callbackURL).searchParams.get('error'), 'access_denied');
			const err = failureOf(flow.callback);
			assert.equal(err.type, 'user_oauth2_provider_error');
			assert.equal(err.code, 400);
			assert.match(err.message, /access_denied/);
			assert.equal(providers.github.tokenRequests.length, exchanges, 'nothing to exchange');
			assert.equal(flow.jar.get(`${env.origin}${NONCE_PATH}/callback`, NONCE), undefined, 'the nonce cookie is spent');
			assert.equal(flow.jar.get(`${env.origin}/`, MAIN), undefined, 'the browser has no session');
		});

		test('an existing password account with the same (unverified) email is not taken over → failure user_already_exists', async () => {
			const email = `taken-${Date.now()}@example.com`;
			const owner = new Account(new Client().setEndpoint(env.endpoint).setProject(PROJECT));
			const existing = await bindStorage(owner, shim.newStorage()).create(ID.unique(), email, 'password123', 'Owner');
			assert.equal(existing.emailVerification, false);
			providers.github.queue({ id: 5003, login: 'squatter', name: 'Squatter', email: null, emails: [{ email, primary: true, verified: true, visibility: null }] });
			const flow = await signIn('github');
			const err = failureOf(flow.callback);
			assert.equal(err.type, 'user_already_exists');
			assert.equal(err.code, 409);
			assert.equal(flow.jar.get(`${env.origin}/`, MAIN), undefined, 'the browser has no session');
		});

		test('a GitHub user without any email address → 301 to failure, no session', async () => {
			providers.github.queue({ id: 5001, login: 'noemail', name: 'No Email', email: null, emails: [] });
			const flow = await signIn('github');
			const err = failureOf(flow.callback);
			assert.equal(err.type, 'user_oauth2_provider_error');
			assert.equal(err.code, 400);
			assert.equal(flow.jar.get(`${env.origin}/`, MAIN), undefined, 'the browser has no session');
		});

		// The linking rule: a new account takes the provider's email
		// and is verified only if the provider verified it. An unverified
		// address never links to an existing account (the test above).
		test('a GitHub user whose only email is unverified gets a new, unverified account', async () => {
			providers.github.queue({
				id: 5002,
				login: 'unverified',
				name: 'Un Verified',
				email: null,
				emails: [{ email: 'unverified-gh@example.com', primary: true, verified: false, visibility: 'private' }],
			});
			const flow = await signIn('github');
			assert.equal(flow.callback.status, 301);
			assert.equal(flow.callback.location, successURL());
			const u = await sessionFromCallback(flow.callback).account.get();
			assert.equal(u.email, 'unverified-gh@example.com');
			assert.equal(u.emailVerification, false);
			assert.equal(u.name, 'Un Verified');
		});
	});

	// ---------------------------------------------------------------- token flow

	describe('token flow (createOAuth2Token, SDK 28)', () => {
		let sdk28;
		before(async () => {
			sdk28 = await import('appwrite-28');
		});
		const guest28 = () => bindStorage(new sdk28.Account(new sdk28.Client().setEndpoint(env.endpoint).setProject(PROJECT)), shim.newStorage());

		test('callback → success with userId and secret instead of a cookie; createSession spends the secret once', async () => {
			const gh = providers.github;
			gh.queue({ ...DEFAULT_GITHUB_USER, id: 5151, login: 'tokencat', emails: [{ email: 'tokencat@example.com', primary: true, verified: true, visibility: null }] });
			const success = successURL('token');
			// Unbound (no storage): the call returns the URL synchronously.
			const u = new sdk28.Account(new sdk28.Client().setEndpoint(env.endpoint).setProject(PROJECT)).createOAuth2Token('github', success, failureURL());
			assert.ok(typeof u === 'string' || u instanceof URL, 'createOAuth2Token returns the URL when there is no window.location');
			const url = u.toString();
			assert.ok(url.startsWith(`${env.endpoint}/account/tokens/oauth2/github?`), url);
			const jar = new Jar();
			const start = await jar.fetch(url);
			assert.equal(start.status, 301, describeResponse(start));
			assert.ok(start.location.startsWith(authorizeBase('github') + '?'), start.location);
			const authorize = await jar.fetch(start.location);
			assert.equal(authorize.status, 302, describeResponse(authorize));
			const callback = await jar.fetch(authorize.location);
			assert.equal(callback.status, 301, describeResponse(callback));
			const names = setCookieNames(callback);
			assert.ok(!names.includes(MAIN) && !names.includes(LEGACY), `no session cookie: ${JSON.stringify(callback.setCookie)}`);
			assert.equal(callback.headers['x-fallback-cookies'], undefined);
			const loc = new URL(callback.location);
			const want = new URL(success);
			assert.equal(loc.origin + loc.pathname, want.origin + want.pathname);
			assert.equal(loc.searchParams.get('from'), 'e2e', 'the success URL keeps its query');
			const userId = loc.searchParams.get('userId');
			const secret = loc.searchParams.get('secret');
			assert.ok(userId, callback.location);
			assert.match(secret ?? '', /^[0-9a-f]{64}$/);

			const account = guest28();
			const session = await account.createSession(userId, secret);
			assert.equal(session.userId, userId);
			assert.equal(session.provider, 'github');
			assert.equal(session.providerUid, '5151');
			assert.deepEqual(session.factors, ['email', 'oauth2']);
			const me = await account.get();
			assert.equal(me.$id, userId);
			assert.equal(me.email, 'tokencat@example.com');
			await assert.rejects(guest28().createSession(userId, secret), (err) => {
				assert.deepEqual({ code: err.code, type: err.type }, { code: 401, type: 'user_invalid_token' });
				return true;
			});
		});
	});
});
