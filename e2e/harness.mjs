// Helpers for the end-to-end tests: free ports, a demo upstream that echoes
// what it received, a real Caddy process (env CADDY_BIN) configured with the
// accountgate directives, raw HTTP requests, and a browser-ish `window` shim
// for the official Appwrite web SDK.
//
// Typical use in a test file:
//
//   const env = useCaddy();            // registers before/after hooks
//   test('…', async () => { fetch(`${env.origin}/v1/account`) … });

import { spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import http from 'node:http';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { after, afterEach, before } from 'node:test';
import { setTimeout as sleep } from 'node:timers/promises';

export const PROJECT = 'test';

// ---------------------------------------------------------------- ports

/** A TCP port that was free a moment ago (listen on 127.0.0.1:0, close). */
export function freePort() {
	return new Promise((resolve, reject) => {
		const srv = net.createServer();
		srv.unref();
		srv.on('error', reject);
		srv.listen(0, '127.0.0.1', () => {
			const { port } = srv.address();
			srv.close(() => resolve(port));
		});
	});
}

// ---------------------------------------------------------------- upstream

/**
 * Starts the demo upstream: answers every request with 200 and JSON
 * {method, url, headers, trailers}, where headers is req.rawHeaders as
 * [name, value] pairs (spelling, order and duplicates preserved) and
 * trailers req.rawTrailers likewise (known once the body has ended). Every
 * request is also recorded in `requests`.
 */
export async function startUpstream() {
	const requests = [];
	const server = http.createServer((req, res) => {
		const headers = [];
		for (let i = 0; i < req.rawHeaders.length; i += 2) {
			headers.push([req.rawHeaders[i], req.rawHeaders[i + 1]]);
		}
		const seen = { method: req.method, url: req.url, headers };
		requests.push(seen);
		req.resume();
		req.on('end', () => {
			seen.trailers = [];
			for (let i = 0; i < req.rawTrailers.length; i += 2) {
				seen.trailers.push([req.rawTrailers[i], req.rawTrailers[i + 1]]);
			}
			const body = JSON.stringify(seen);
			res.writeHead(200, {
				'Content-Type': 'application/json',
				'Content-Length': Buffer.byteLength(body),
			});
			res.end(body);
		});
	});
	await new Promise((resolve, reject) => {
		server.once('error', reject);
		server.listen(0, '127.0.0.1', resolve);
	});
	const { port } = server.address();
	return {
		port,
		requests,
		async close() {
			server.closeAllConnections();
			await new Promise((resolve) => server.close(() => resolve()));
		},
	};
}

// ---------------------------------------------------------------- Caddy

function indent(lines, tabs) {
	const pad = '\t'.repeat(tabs);
	return lines.flatMap((l) => String(l).split('\n')).map((l) => pad + l.trim()).join('\n');
}

function token(s) {
	return /\s|"/.test(s) ? JSON.stringify(s) : s;
}

/**
 * The global options every test Caddy starts with (one tab in): admin off
 * (several Caddy processes never fight over :2019), no saved config, no
 * certificates, Caddy's storage under `dir`.
 */
export function globalOptions(dir) {
	return `\tadmin off\n\tpersist_config off\n\tauto_https off\n\tstorage file_system ${token(path.join(dir, 'caddy'))}`;
}

/**
 * A project's first lines (three tabs in): its SQLite store in `dir`, the
 * platform localhost and its public_url on `port`.
 */
export function sqliteProject(dir, port, project = PROJECT) {
	return `\t\t\tstore sqlite ${token(path.join(dir, project + '.db'))}\n\t\t\tplatform localhost\n\t\t\tpublic_url http://localhost:${port}`;
}

/**
 * The Caddyfile used by the tests: globalOptions, the Account API and the
 * gate on one site, in front of the demo upstream. projectLines go into the `project` block, gateLines into
 * an `account_gate` block.
 */
export function caddyfile({ dir, port, upstreamPort, project = PROJECT, projectLines = [], gateLines = [] }) {
	const gate = gateLines.length
		? `\taccount_gate ${project} {\n${indent(gateLines, 2)}\n\t}`
		: `\taccount_gate ${project}`;
	const extra = projectLines.length ? '\n' + indent(projectLines, 3) : '';
	return `{
${globalOptions(dir)}
	accountgate {
		project ${project} {
${sqliteProject(dir, port, project)}${extra}
		}
	}
}

http://localhost:${port}, http://127.0.0.1:${port} {
	account_api ${project}
${gate}
	reverse_proxy 127.0.0.1:${upstreamPort}
}
`;
}

const MAX_OUTPUT = 256 * 1024;

/** A new temp dir for one Caddy (its Caddyfile, SQLite database, storage). */
export function newCaddyDir() {
	return mkdtemp(path.join(os.tmpdir(), 'accountgate-e2e-'));
}

/**
 * Writes the Caddyfile (caddyfile(...), or makeConfig({ dir, port })) into a
 * new temp dir (or into `dir`, e.g. to restart on the same database with
 * another config) and starts `$CADDY_BIN run`.
 * Resolves once the port answers HTTP. Rejects, with Caddy's output, when
 * Caddy exits or does not answer in time.
 */
export async function startCaddy({ upstreamPort, projectLines = [], gateLines = [], project = PROJECT, dir: givenDir, makeConfig } = {}) {
	const bin = process.env.CADDY_BIN;
	if (!bin) {
		throw new Error('CADDY_BIN is not set: build Caddy with scripts/build-caddy (scripts/test does all of this)');
	}
	const dir = givenDir ?? (await newCaddyDir());
	const port = await freePort();
	// makeConfig({ dir, port }) lets a test bring a whole Caddyfile of its own.
	const config = makeConfig ? makeConfig({ dir, port }) : caddyfile({ dir, port, upstreamPort, project, projectLines, gateLines });
	const file = path.join(dir, 'Caddyfile');
	await writeFile(file, config);

	let output = '';
	const collect = (chunk) => {
		output += chunk.toString();
		if (output.length > MAX_OUTPUT) output = output.slice(-MAX_OUTPUT);
	};
	const child = spawn(bin, ['run', '--config', file, '--adapter', 'caddyfile'], {
		cwd: dir,
		stdio: ['ignore', 'pipe', 'pipe'],
		env: {
			...process.env,
			XDG_CONFIG_HOME: path.join(dir, 'config'),
			XDG_DATA_HOME: path.join(dir, 'data'),
		},
	});
	child.stdout.on('data', collect);
	child.stderr.on('data', collect);
	let spawnError = null;
	child.on('error', (err) => {
		spawnError = err;
	});
	const exited = new Promise((resolve) => child.once('exit', (code, signal) => resolve({ code, signal })));

	const handle = {
		port,
		dir,
		config,
		project,
		origin: `http://localhost:${port}`,
		endpoint: `http://localhost:${port}/v1`,
		output: () => output,
		tail: (n = 60) => output.trimEnd().split('\n').slice(-n).join('\n'),
		async stop() {
			if (child.exitCode === null && child.signalCode === null && !spawnError) {
				child.kill('SIGTERM');
				const done = await Promise.race([exited, sleep(5000, null)]);
				if (done === null) {
					child.kill('SIGKILL');
					await exited;
				}
			}
		},
	};

	// The error carries the Caddyfile and Caddy's output, so the temp dir goes
	// (unless the caller owns it).
	const fail = async (msg) => {
		await handle.stop();
		if (!givenDir && process.env.E2E_KEEP_TMP !== '1') await rm(dir, { recursive: true, force: true });
		throw new Error(`${msg}\n--- Caddyfile ---\n${config}--- Caddy output ---\n${output}`);
	};
	const deadline = Date.now() + 30_000;
	for (;;) {
		if (spawnError) {
			await fail(`cannot start Caddy (${bin}): ${spawnError.message}`);
		}
		if (child.exitCode !== null || child.signalCode !== null) {
			await fail(`Caddy exited (code ${child.exitCode}, signal ${child.signalCode}) before it answered on port ${port}.`);
		}
		if (await answers(port)) break;
		if (Date.now() > deadline) {
			await fail(`Caddy did not answer on port ${port} within 30 s.`);
		}
		await sleep(50);
	}
	return handle;
}

function answers(port) {
	return new Promise((resolve) => {
		const req = http.get({ host: '127.0.0.1', port, path: '/', timeout: 1000, headers: { Host: `localhost:${port}` } }, (res) => {
			res.resume();
			resolve(true);
		});
		req.on('timeout', () => req.destroy());
		req.on('error', () => resolve(false));
	});
}

/**
 * Registers before/after hooks that start the demo upstream and Caddy for the
 * current test file (or describe block) and stop them afterwards (SIGTERM,
 * then SIGKILL). The returned object is filled in by the `before` hook. When
 * a test failed, Caddy's output is printed and its temp dir is kept.
 *
 * `seed`, when given, runs first: `seed({ dir, upstreamPort })` may start its
 * own Caddy on `dir` (startCaddy({ dir, … })), create data and stop it; the
 * Caddy of the tests then runs on the same dir (same database). Whatever
 * seed returns is `env.seed`.
 *
 * `projectLines` may also be a function (sync or async) returning the
 * lines; it is called by the before hook.
 */
export function useCaddy(options = {}) {
	const env = { upstream: null, caddy: null, port: 0, origin: '', endpoint: '', seed: undefined };
	let failed = false;
	before(async () => {
		const { seed, ...caddyOptions } = options;
		// projectLines may be a function, called here (after the before
		// hooks registered earlier, e.g. ones that start mail or SMS sinks
		// whose ports go into the config).
		if (typeof caddyOptions.projectLines === 'function') caddyOptions.projectLines = await caddyOptions.projectLines();
		env.upstream = await startUpstream();
		let dir;
		if (seed) {
			dir = await newCaddyDir();
			env.seed = await seed({ dir, upstreamPort: env.upstream.port });
		}
		env.caddy = await startCaddy({ ...caddyOptions, dir, upstreamPort: env.upstream.port });
		env.port = env.caddy.port;
		env.origin = env.caddy.origin;
		env.endpoint = env.caddy.endpoint;
	});
	afterEach((t) => {
		if (t.passed === false) failed = true;
	});
	after(async () => {
		if (env.caddy) {
			await env.caddy.stop();
			if (failed || process.env.E2E_VERBOSE === '1') {
				process.stderr.write(
					`\n--- Caddy output (${env.caddy.origin}, dir ${env.caddy.dir}) ---\n${env.caddy.tail(200)}\n--- end of Caddy output ---\n`,
				);
			}
			if (!failed && process.env.E2E_KEEP_TMP !== '1') {
				await rm(env.caddy.dir, { recursive: true, force: true });
			}
		}
		if (env.upstream) await env.upstream.close();
	});
	return env;
}

// ---------------------------------------------------------------- requests

/**
 * A raw HTTP/1.1 request with node:http. `headers` is a list of [name, value]
 * pairs sent exactly as given (spelling, order, duplicates, underscores);
 * a Host header is added when missing. Resolves with status, headers
 * (node's lowercased object), rawHeaders pairs, setCookie list, text and
 * json (null when the body is not JSON).
 */
export function rawRequest(url, { method = 'GET', headers = [], body } = {}) {
	const u = new URL(url);
	const flat = [];
	if (!headers.some(([n]) => n.toLowerCase() === 'host')) flat.push('Host', u.host);
	for (const [n, v] of headers) flat.push(n, v);
	if (body !== undefined && !headers.some(([n]) => n.toLowerCase() === 'content-length')) {
		flat.push('Content-Length', String(Buffer.byteLength(body)));
	}
	return new Promise((resolve, reject) => {
		const req = http.request(
			{ host: u.hostname === 'localhost' ? '127.0.0.1' : u.hostname, port: u.port, method, path: u.pathname + u.search, headers: flat },
			(res) => {
				let text = '';
				res.setEncoding('utf8');
				res.on('data', (d) => (text += d));
				res.on('end', () => {
					const rawHeaders = [];
					for (let i = 0; i < res.rawHeaders.length; i += 2) rawHeaders.push([res.rawHeaders[i], res.rawHeaders[i + 1]]);
					let json = null;
					try {
						json = JSON.parse(text);
					} catch {
						json = null;
					}
					resolve({ status: res.statusCode, headers: res.headers, rawHeaders, setCookie: res.headers['set-cookie'] ?? [], text, json });
				});
			},
		);
		req.on('error', reject);
		req.setTimeout(15_000, () => req.destroy(new Error(`timeout: ${method} ${url}`)));
		if (body !== undefined) req.write(body);
		req.end();
	});
}

/** Parses one Set-Cookie line into {name, value, attrs} (attribute names lowercased). */
export function parseSetCookie(line) {
	const [pair, ...rest] = line.split(';');
	const eq = pair.indexOf('=');
	const attrs = {};
	for (const a of rest) {
		const t = a.trim();
		if (!t) continue;
		const i = t.indexOf('=');
		if (i < 0) attrs[t.toLowerCase()] = true;
		else attrs[t.slice(0, i).trim().toLowerCase()] = t.slice(i + 1).trim();
	}
	return { name: pair.slice(0, eq).trim(), value: pair.slice(eq + 1).trim(), attrs };
}

/** Headers of a [name, value] list whose name matches `name` ignoring case and '-' vs '_'. */
export function headerValues(pairs, name) {
	const norm = (s) => s.toLowerCase().replaceAll('_', '-');
	return pairs.filter(([n]) => norm(n) === norm(name)).map(([, v]) => v);
}

// ---------------------------------------------------------------- data

export function randomSuffix() {
	return randomBytes(6).toString('hex');
}

/**
 * An API key with a fresh random secret for a test Caddy: the secret goes into
 * the environment and `line` (a project line) names it as {env.…}, so the
 * Caddyfile never holds it. `scopes` as in the Caddyfile, space-separated.
 */
export function apiKey(name, scopes) {
	const variable = `E2E_API_KEY_${name.toUpperCase()}`;
	const secret = randomBytes(32).toString('hex');
	process.env[variable] = secret;
	return { secret, line: `api_key ${name} {env.${variable}} {\nscopes ${scopes}\n}` };
}

/** A fresh address for one test: `<prefix>-<random>@example.com`. */
export function uniqueEmail(prefix = 'user') {
	return `${prefix}-${randomSuffix()}@example.com`;
}

// ISO 8601 with milliseconds and +00:00, as in the contract (§1.6, decision 9).
export const ISO_MS = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\.\d{3}\+00:00$/;

// ---------------------------------------------------------------- SDK shim

class MemoryStorage {
	#m = new Map();
	getItem(k) {
		return this.#m.has(String(k)) ? this.#m.get(String(k)) : null;
	}
	setItem(k, v) {
		this.#m.set(String(k), String(v));
	}
	removeItem(k) {
		this.#m.delete(String(k));
	}
	clear() {
		this.#m.clear();
	}
	get length() {
		return this.#m.size;
	}
}

let shim = null;

/**
 * Installs `globalThis.window` for the Appwrite web SDK 11.0.1 in Node. The
 * SDK (dist/esm/sdk.js, Client.call) reads `window.localStorage
 * .getItem('cookieFallback')` into the X-Fallback-Cookies request header and
 * stores the X-Fallback-Cookies response header with setItem, warning via
 * `window.console.warn`; fetch comes from cross-fetch (node-fetch), which keeps
 * no cookies. So in Node the session lives only in that localStorage entry.
 *
 * `window.localStorage` is one global, so the shim switches it: runAs(storage,
 * fn) makes `storage` the active one while fn runs, and calls are serialized so
 * that two SDK clients never see each other's storage. Call before importing
 * the SDK.
 */
export function installBrowserShim() {
	if (shim) return shim;
	const fallback = new MemoryStorage();
	let active = fallback;
	let queue = Promise.resolve();
	const quietConsole = Object.create(console);
	quietConsole.warn = (...args) => {
		if (String(args[0]).startsWith('Appwrite is using localStorage')) return;
		console.warn(...args);
	};
	globalThis.window = {
		get localStorage() {
			return active;
		},
		console: quietConsole,
		setTimeout: globalThis.setTimeout.bind(globalThis),
		clearTimeout: globalThis.clearTimeout.bind(globalThis),
	};
	shim = {
		newStorage: () => new MemoryStorage(),
		runAs(storage, fn) {
			const run = queue.then(async () => {
				active = storage;
				try {
					return await fn();
				} finally {
					active = fallback;
				}
			});
			queue = run.then(
				() => undefined,
				() => undefined,
			);
			return run;
		},
	};
	return shim;
}

/**
 * Wraps an SDK service (Account, …) so that every method call runs with the
 * given storage as window.localStorage.
 */
export function bindStorage(service, storage) {
	const s = installBrowserShim();
	return new Proxy(service, {
		get(target, prop, receiver) {
			const v = Reflect.get(target, prop, receiver);
			if (typeof v !== 'function') return v;
			return (...args) => s.runAs(storage, () => v.apply(target, args));
		},
	});
}

// ---------------------------------------------------------------- waiting

/**
 * Polls `fn` (sync or async) every `interval` ms until it returns a truthy
 * value, which is returned. Throws after `timeout` ms, with `what` and, when
 * given, the text of `detail()` (e.g. Caddy's output) in the message.
 */
export async function waitUntil(fn, { timeout = 10_000, interval = 50, what = 'condition', detail } = {}) {
	const deadline = Date.now() + timeout;
	for (;;) {
		const v = await fn();
		if (v) return v;
		if (Date.now() > deadline) {
			const extra = detail ? `\n${await detail()}` : '';
			throw new Error(`timed out after ${timeout} ms waiting for ${what}${extra}`);
		}
		await sleep(interval);
	}
}

// ---------------------------------------------------------------- mail and SMS sinks

/**
 * A real SMTP server on 127.0.0.1 (npm smtp-server; no STARTTLS, no AUTH,
 * for `mailer smtp 127.0.0.1:<port> { tls none … }`) that keeps every mail,
 * parsed with mailparser:
 *
 *   { envelope: { from, to: [...] }, subject, text, html, from, to, raw, headers, at }
 *
 * where from/to are mailparser address lists ([{ address, name }]). `port`
 * 0 picks a free one; pass a reserved port to start the sink on an address
 * that a Caddy already points at. `waitFor(pred)` resolves with the first
 * mail matching pred (which may already be there).
 */
export async function startSmtpSink({ port = 0 } = {}) {
	const { SMTPServer } = await import('smtp-server');
	const { simpleParser } = await import('mailparser');
	const messages = [];
	const server = new SMTPServer({
		disabledCommands: ['STARTTLS', 'AUTH'],
		logger: false,
		size: 1024 * 1024,
		onData(stream, session, callback) {
			const chunks = [];
			stream.on('data', (c) => chunks.push(c));
			stream.on('error', callback);
			stream.on('end', () => {
				const raw = Buffer.concat(chunks);
				simpleParser(raw).then(
					(parsed) => {
						messages.push({
							envelope: {
								from: session.envelope.mailFrom ? session.envelope.mailFrom.address : '',
								to: session.envelope.rcptTo.map((r) => r.address),
							},
							subject: parsed.subject ?? '',
							text: parsed.text ?? '',
							html: typeof parsed.html === 'string' ? parsed.html : '',
							from: parsed.from?.value ?? [],
							to: parsed.to?.value ?? [],
							headers: parsed.headers,
							raw: raw.toString('utf8'),
							at: Date.now(),
						});
						callback();
					},
					(err) => callback(err),
				);
			});
		},
	});
	server.on('error', () => {}); // connection-level errors (e.g. a client hanging up) are not test failures
	await new Promise((resolve, reject) => {
		server.server.once('error', reject);
		server.listen(port, '127.0.0.1', () => {
			server.server.off('error', reject);
			resolve();
		});
	});
	const actual = server.server.address().port;
	return {
		port: actual,
		messages,
		/** Mails whose recipient (envelope) is `address`. */
		to: (address) => messages.filter((m) => m.envelope.to.includes(address)),
		waitFor(pred, { timeout = 15_000, what = 'a mail', detail } = {}) {
			return waitUntil(() => messages.find(pred), { timeout, what, detail });
		},
		async close() {
			await new Promise((resolve) => server.close(() => resolve()));
		},
	};
}

/**
 * A Twilio-shaped SMS endpoint on 127.0.0.1 (node:http), for
 * `sms twilio <sid> <token> <from> { base_url http://127.0.0.1:<port> }`.
 * POST /2010-04-01/Accounts/<sid>/Messages.json with HTTP basic auth
 * sid:token and a form body (To, From, Body) is recorded in `messages`
 * ({ to, from, body, at }) and answered 201 {"sid":"SM…","status":"queued",…}
 * as Twilio does. Anything else is recorded in `rejected` ({ method, url,
 * authorization, contentType, body, why }) and answered with a Twilio-style
 * error (401 for bad credentials, 404 for another path, 400 for a bad form).
 */
export async function startTwilioSink({ sid, token, port = 0 }) {
	const messages = [];
	const rejected = [];
	const expectedAuth = 'Basic ' + Buffer.from(`${sid}:${token}`).toString('base64');
	const path = `/2010-04-01/Accounts/${sid}/Messages.json`;
	const server = http.createServer((req, res) => {
		let body = '';
		req.setEncoding('utf8');
		req.on('data', (d) => (body += d));
		req.on('end', () => {
			const reply = (status, obj) => {
				const text = JSON.stringify(obj);
				res.writeHead(status, { 'Content-Type': 'application/json', 'Content-Length': Buffer.byteLength(text) });
				res.end(text);
			};
			const reject = (status, code, why) => {
				rejected.push({ method: req.method, url: req.url, authorization: req.headers.authorization ?? '', contentType: req.headers['content-type'] ?? '', body, why });
				reply(status, { code, message: why, more_info: `https://www.twilio.com/docs/errors/${code}`, status });
			};
			if (req.method !== 'POST' || req.url !== path) return reject(404, 20404, `unexpected ${req.method} ${req.url}`);
			if (req.headers.authorization !== expectedAuth) return reject(401, 20003, 'Authenticate');
			if (!String(req.headers['content-type'] ?? '').startsWith('application/x-www-form-urlencoded')) {
				return reject(400, 21600, `content-type ${req.headers['content-type']}`);
			}
			const form = new URLSearchParams(body);
			const to = form.get('To');
			const from = form.get('From');
			const text = form.get('Body');
			if (!to || !from || text === null) return reject(400, 21604, 'To, From and Body are required');
			const msgSid = 'SM' + randomBytes(16).toString('hex');
			messages.push({ to, from, body: text, fields: [...form.keys()], at: Date.now() });
			reply(201, {
				sid: msgSid,
				account_sid: sid,
				to,
				from,
				body: text,
				status: 'queued',
				num_segments: '1',
				direction: 'outbound-api',
				api_version: '2010-04-01',
				uri: `/2010-04-01/Accounts/${sid}/Messages/${msgSid}.json`,
			});
		});
	});
	await new Promise((resolve, reject) => {
		server.once('error', reject);
		server.listen(port, '127.0.0.1', resolve);
	});
	return {
		port: server.address().port,
		baseURL: `http://127.0.0.1:${server.address().port}`,
		messages,
		rejected,
		/** SMS sent to `phone`. */
		to: (phone) => messages.filter((m) => m.to === phone),
		waitFor(pred, { timeout = 15_000, what = 'an SMS', detail } = {}) {
			return waitUntil(() => messages.find(pred), { timeout, what, detail });
		},
		async close() {
			server.closeAllConnections();
			await new Promise((resolve) => server.close(() => resolve()));
		},
	};
}
