// Helpers for e2e/multinode.test.mjs: several Caddy processes ("nodes")
// sharing one PostgreSQL schema, one Redis key prefix and one secret, a TCP
// proxy in front of Redis that the test can take down and bring back, psql
// for the few things the test does behind the server's back, and timing
// helpers for "refused within one second".
//
// The generic pieces (starting Caddy, the echoing upstream, raw requests)
// come from harness.mjs; the Caddyfile is our own, since harness.caddyfile()
// always configures a SQLite store.

import { execFile } from 'node:child_process';
import { mkdtemp, rm } from 'node:fs/promises';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { performance } from 'node:perf_hooks';
import { after, afterEach, before } from 'node:test';
import { setTimeout as sleep } from 'node:timers/promises';

import { globalOptions, PROJECT, randomSuffix, rawRequest, startCaddy, startUpstream } from './harness.mjs';


function token(s) {
	return /\s|"|\{|\}/.test(s) ? JSON.stringify(s) : s;
}

/**
 * The Caddyfile of one node. Every node of a cluster gets the same `store
 * postgres` (DSN and schema), `secret`, `cache redis` key prefix and
 * public_url (the address of the load balancer in a real deployment); the
 * Redis URL may differ (a node behind the test's TCP proxy). Loopback is a
 * trusted proxy, so a test can pick the client IP with X-Forwarded-For.
 */
export function nodeCaddyfile({ dir, port, upstreamPort, cluster, redisURL, projectLines = [] }) {
	const extra = projectLines.map((l) => `\t\t\t${l}\n`).join('');
	return `{
${globalOptions(dir)}
	servers {
		trusted_proxies static 127.0.0.1/32 ::1/128
	}
	accountgate {
		project ${PROJECT} {
			store postgres ${token(cluster.postgres)} {
				schema ${cluster.schema}
			}
			cache redis ${token(redisURL ?? cluster.redis)} {
				key_prefix ${cluster.keyPrefix}
			}
			secret ${cluster.secret}
			platform localhost
			public_url ${cluster.publicURL}
${extra}		}
	}
}

http://localhost:${port}, http://127.0.0.1:${port} {
	account_api ${PROJECT}
	account_gate ${PROJECT}
	reverse_proxy 127.0.0.1:${upstreamPort}
}
`;
}

/**
 * The shared settings of one test run: a fresh schema and key prefix, so
 * that runs never see each other's data or counters.
 */
export function newCluster({ postgres, redis }) {
	const suffix = randomSuffix();
	return {
		postgres,
		redis,
		schema: `ag_e2e_${suffix}`,
		keyPrefix: `ag_e2e_${suffix}:`,
		secret: `multinode-secret-${randomSuffix()}${randomSuffix()}${randomSuffix()}`,
		// No load balancer runs in the test; the URL only has to be the same
		// on every node, as it would be behind one.
		publicURL: 'http://localhost:8080',
	};
}

/**
 * Starts `$CADDY_BIN run` with nodeCaddyfile(...) through the harness's
 * startCaddy, in a temp dir of its own that remove() deletes.
 */
export async function startNode({ name, upstreamPort, cluster, redisURL, projectLines = [] }) {
	const dir = await mkdtemp(path.join(os.tmpdir(), `accountgate-e2e-${name}-`));
	let handle;
	try {
		handle = await startCaddy({
			dir,
			makeConfig: ({ dir, port }) => nodeCaddyfile({ dir, port, upstreamPort, cluster, redisURL, projectLines }),
		});
	} catch (err) {
		err.message = `${name}: ${err.message}`;
		throw err;
	}
	return {
		...handle,
		name,
		async remove() {
			await rm(dir, { recursive: true, force: true });
		},
	};
}

/**
 * Registers the hooks of a describe block whose nodes share `cluster`. The
 * before hook starts the demo upstream, then, together, the nodes that
 * `start(upstream)` returns (or resolves with) promises of: startNode's, or
 * anything with stop, remove, name and tail. The after hook stops every node
 * in `nodes` (a test may push more), prints their output when a test failed
 * (`counts(t)` says whether a failure counts), deletes their dirs unless one
 * did, and drops the schema and Redis keys; E2E_KEEP_TMP=1 keeps all of it.
 * The returned object holds upstream and nodes once the before hook ran.
 */
export function useNodes(cluster, start, { counts = () => true } = {}) {
	const run = { upstream: null, nodes: [] };
	const keep = process.env.E2E_KEEP_TMP === '1';
	const verbose = process.env.E2E_VERBOSE === '1';
	let failed = false;
	before(async () => {
		run.upstream = await startUpstream();
		// Started together: the schema and its migrations are created by
		// whichever comes first (under an advisory lock).
		const started = await Promise.allSettled(await start(run.upstream));
		for (const s of started) if (s.status === 'fulfilled') run.nodes.push(s.value);
		const err = started.find((s) => s.status === 'rejected');
		if (err) throw err.reason;
	});
	afterEach((t) => {
		if (t.passed === false && counts(t)) failed = true;
	});
	after(async () => {
		await Promise.all(run.nodes.map((n) => n.stop()));
		if (failed || verbose) {
			for (const n of run.nodes) {
				process.stderr.write(`\n--- Caddy ${n.name} output (${n.origin}, dir ${n.dir}) ---\n${n.tail(200)}\n--- end of Caddy ${n.name} output ---\n`);
			}
		}
		if (!failed && !keep) await Promise.all(run.nodes.map((n) => n.remove()));
		if (run.upstream) await run.upstream.close();
		if (keep) {
			process.stderr.write(`# kept schema ${cluster.schema} and Redis keys ${cluster.keyPrefix}* (E2E_KEEP_TMP=1)\n`);
		} else {
			await dropSchema(cluster);
			const note = await dropRedisKeys(cluster);
			if (verbose) process.stderr.write(`# dropped schema ${cluster.schema}; ${note}\n`);
		}
	});
	return run;
}

// ---------------------------------------------------------------- Redis proxy

/**
 * A TCP proxy on 127.0.0.1 in front of the Redis of `redisURL`. `url` is
 * redisURL pointing at the proxy. down() stops listening and cuts every
 * open connection (connections are then refused, as with a stopped Redis);
 * up() listens again on the same port. hang() keeps every connection open
 * and accepts new ones but forwards nothing any more (a Redis that stopped
 * answering, or a network partition); down() then cuts them. `connections`
 * counts the connections accepted so far.
 */
export async function startRedisProxy(redisURL) {
	const target = new URL(redisURL);
	const targetHost = target.hostname || '127.0.0.1';
	const targetPort = Number(target.port || 6379);
	const sockets = new Set();
	let server = null;
	let port = 0;
	let connections = 0;
	let hanging = false;

	const listen = () =>
		new Promise((resolve, reject) => {
			const srv = net.createServer((client) => {
				connections++;
				sockets.add(client);
				if (hanging) {
					client.on('error', () => client.destroy());
					client.on('close', () => sockets.delete(client));
					client.resume(); // read and drop
					return;
				}
				const upstream = net.connect(targetPort, targetHost);
				sockets.add(upstream);
				const drop = () => {
					client.destroy();
					upstream.destroy();
					sockets.delete(client);
					sockets.delete(upstream);
				};
				for (const s of [client, upstream]) {
					s.on('error', drop);
					s.on('close', drop);
				}
				client.on('data', (d) => {
					if (!hanging) upstream.write(d);
				});
				upstream.on('data', (d) => {
					if (!hanging) client.write(d);
				});
			});
			srv.once('error', reject);
			srv.listen(port, '127.0.0.1', () => {
				srv.off('error', reject);
				port = srv.address().port;
				server = srv;
				resolve();
			});
		});

	await listen();
	const url = new URL(redisURL);
	url.hostname = '127.0.0.1';
	url.port = String(port);
	const proxy = {
		port,
		url: url.href,
		get connections() {
			return connections;
		},
		get isUp() {
			return server !== null;
		},
		hang() {
			hanging = true;
		},
		async down() {
			hanging = false;
			if (!server) return;
			const srv = server;
			server = null;
			const closed = new Promise((resolve) => srv.close(() => resolve()));
			for (const s of sockets) s.destroy();
			sockets.clear();
			await closed;
		},
		async up() {
			if (!server) await listen();
		},
		close() {
			return proxy.down();
		},
	};
	return proxy;
}

// ---------------------------------------------------------------- psql

/** Runs one SQL command with psql against `dsn`; resolves with its output (-At). */
export function psql(dsn, sql) {
	return new Promise((resolve, reject) => {
		execFile('psql', [dsn, '-X', '-q', '-At', '-v', 'ON_ERROR_STOP=1', '-c', sql], { timeout: 15_000 }, (err, stdout, stderr) => {
			if (err) {
				reject(new Error(`psql failed (${err.code === 'ENOENT' ? 'psql is not installed' : err.message}): ${sql}\n${stderr}`));
			} else {
				resolve(stdout.trim());
			}
		});
	});
}

const SAFE_ID = /^[A-Za-z0-9_]+$/;

/**
 * Deletes a session row directly in PostgreSQL: no instance hears of it, so
 * only a node that checks the store (rather than its cache) notices.
 */
export async function deleteSessionRow(cluster, sessionId) {
	if (!SAFE_ID.test(sessionId) || !SAFE_ID.test(cluster.schema)) throw new Error(`unexpected id ${sessionId} or schema ${cluster.schema}`);
	const n = await psql(cluster.postgres, `WITH d AS (DELETE FROM "${cluster.schema}".sessions WHERE id = '${sessionId}' RETURNING 1) SELECT count(*) FROM d`);
	if (n !== '1') throw new Error(`deleting session ${sessionId} in PostgreSQL removed ${n} rows`);
}

/** Drops the run's schema (all its tables). */
export async function dropSchema(cluster) {
	if (!SAFE_ID.test(cluster.schema)) throw new Error(`unexpected schema ${cluster.schema}`);
	await psql(cluster.postgres, `DROP SCHEMA IF EXISTS "${cluster.schema}" CASCADE`);
}

/**
 * Deletes the run's Redis keys with redis-cli when it is installed (they all
 * expire within the hour anyway). Resolves with a note on what happened.
 */
export function dropRedisKeys(cluster) {
	const run = (args) =>
		new Promise((resolve, reject) => {
			execFile('redis-cli', ['-u', cluster.redis, ...args], { timeout: 15_000 }, (err, stdout) => (err ? reject(err) : resolve(stdout)));
		});
	return run(['--scan', '--pattern', `${cluster.keyPrefix}*`]).then(
		async (out) => {
			const keys = out.split('\n').filter(Boolean);
			for (let i = 0; i < keys.length; i += 200) await run(['DEL', ...keys.slice(i, i + 200)]);
			return `deleted ${keys.length} Redis keys under ${cluster.keyPrefix}`;
		},
		(err) => `left the Redis keys under ${cluster.keyPrefix} (they expire): ${err.code === 'ENOENT' ? 'redis-cli is not installed' : err.message}`,
	);
}

// ---------------------------------------------------------------- requests

/** fetch against a node with the project header and a JSON body. */
export async function api(node, p, { method = 'GET', headers = {}, body } = {}) {
	const h = { 'X-Appwrite-Project': PROJECT, ...headers };
	const init = { method, headers: h, redirect: 'manual' };
	if (body !== undefined) {
		h['Content-Type'] ??= 'application/json';
		init.body = typeof body === 'string' ? body : JSON.stringify(body);
	}
	const res = await fetch(node.origin + p, init);
	const text = await res.text();
	let json = null;
	try {
		json = JSON.parse(text);
	} catch {
		json = null;
	}
	return { status: res.status, headers: res.headers, text, json };
}

/** A GET through a node's gate to the upstream, on a path unique to the call. */
export async function gate(node, upstream, headers) {
	const p = `/app/${node.name}?t=${randomSuffix()}`;
	const res = await rawRequest(node.origin + p, { headers });
	return { ...res, path: p, reached: upstream.requests.filter((r) => r.url === p) };
}

/** One line for a response in an assertion message. */
export function brief(res) {
	return `${res.status} ${(res.text ?? '').slice(0, 300)}`;
}

// ---------------------------------------------------------------- timing

/**
 * Calls `check` (async, returns truthy when done) every `interval` ms from
 * now until it is truthy or `timeout` ms have passed. Resolves with
 * { ms, took, polls, value }: ms is the time from the start to the end of
 * the check that was truthy, or null when none was within `timeout` (a
 * check that ends late does not count); took is the time spent in all;
 * value is the last check's value.
 */
export async function pollFor(check, { timeout = 1000, interval = 50 } = {}) {
	const t0 = performance.now();
	let polls = 0;
	for (;;) {
		polls++;
		const value = await check();
		const ms = performance.now() - t0;
		if (value) return { ms: ms <= timeout ? ms : null, took: ms, polls, value };
		if (ms >= timeout) return { ms: null, took: ms, polls, value };
		await sleep(Math.max(0, Math.min(interval, timeout - ms)));
	}
}

export { performance, sleep };
