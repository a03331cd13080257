// The operators' command, `caddy accountgate users …`, run as a separate
// process of the real binary against the Caddyfile of one of two running
// instances (A and B) that share PostgreSQL and Redis:
//
//   * a block is refused at B's gate (and API) within a second of the
//     command's exit, though B had the session cached; the blocked user
//     cannot sign in; after an unblock they sign in again;
//   * list --json shows the user; sign-out ends their sessions on B within
//     a second; set-password (read from stdin) replaces the password;
//     delete removes the user;
//   * an unknown user id or project fails with a clear message.
//
// Needs ACCOUNTGATE_TEST_POSTGRES and ACCOUNTGATE_TEST_REDIS (scripts/test
// sets both) and psql for the cache-trust probe and the clean-up.

import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import path from 'node:path';
import { before, describe, test } from 'node:test';

import { PROJECT, uniqueEmail } from './harness.mjs';
import { api, brief, deleteSessionRow, gate, newCluster, performance, pollFor, startNode, useNodes } from './multinode-support.mjs';

const PASSWORD = 'password123';
const REVOCATION_DEADLINE = 1000; // ms
const POLL = 50; // ms

const POSTGRES = process.env.ACCOUNTGATE_TEST_POSTGRES;
const REDIS = process.env.ACCOUNTGATE_TEST_REDIS;

if (!POSTGRES || !REDIS) {
	const why = 'the admin command test needs PostgreSQL and Redis: ACCOUNTGATE_TEST_POSTGRES and ACCOUNTGATE_TEST_REDIS (scripts/test sets both)';
	process.stderr.write(`# e2e/admin.test.mjs skipped: ${why}\n`);
	test('caddy accountgate users', { skip: why }, () => {});
} else {
	adminCommand();
}

/**
 * Runs `$CADDY_BIN accountgate users <args…> --config <node's Caddyfile>
 * --adapter caddyfile --project test`; resolves with { code, stdout,
 * stderr, endedAt } (endedAt: performance.now() at its exit).
 */
function users(node, args, { stdin, project = PROJECT } = {}) {
	const config = path.join(node.dir, 'Caddyfile');
	const argv = ['accountgate', 'users', ...args, '--config', config, '--adapter', 'caddyfile', '--project', project];
	return new Promise((resolve) => {
		const child = execFile(process.env.CADDY_BIN, argv, { cwd: node.dir, timeout: 30_000 }, (err, stdout, stderr) => {
			resolve({ code: err ? (err.code ?? 1) : 0, stdout, stderr, endedAt: performance.now() });
		});
		child.stdin.end(stdin ?? '');
	});
}

function ok(run, what) {
	assert.equal(run.code, 0, `${what}: exit ${run.code}\n--- stdout ---\n${run.stdout}\n--- stderr ---\n${run.stderr}`);
}

function adminCommand() {
	describe('caddy accountgate users, with two instances', () => {
		const cluster = newCluster({ postgres: POSTGRES, redis: REDIS });
		const instances = useNodes(cluster, (upstream) => ['A', 'B'].map((name) => startNode({ name, upstreamPort: upstream.port, cluster })));
		let upstream, A, B;
		before(() => ({ upstream, nodes: [A, B] } = instances));
		const email = uniqueEmail('admin');
		let userId = '';
		let fallback = '';

		/** Signs in on `node` with password; resolves with the response. */
		function signIn(node, password = PASSWORD) {
			return api(node, '/v1/account/sessions/email', { method: 'POST', body: { email, password } });
		}

		/** A new session on B, checked and cached there; sets `fallback`. */
		async function freshSessionOnB(what) {
			const s = await signIn(B);
			assert.equal(s.status, 201, `${what}: sign-in on B: ${brief(s)}`);
			fallback = s.headers.get('x-fallback-cookies');
			assert.ok(fallback, `${what}: X-Fallback-Cookies from B`);
			for (let i = 0; i < 2; i++) {
				const g = await gate(B, upstream, [['X-Fallback-Cookies', fallback]]);
				assert.equal(g.status, 200, `${what}: the gate of B lets the session through: ${brief(g)}`);
				assert.equal(g.reached.length, 1, `${what}: the upstream got the request`);
			}
		}

		/** Polls B's gate until it refuses `fb` with `type`, within 1 s of `since`. */
		async function refusedOnB(fb, type, since, what) {
			let last = null;
			const r = await pollFor(
				async () => {
					last = await gate(B, upstream, [['X-Fallback-Cookies', fb]]);
					return last.status !== 200;
				},
				{ timeout: Math.max(0, REVOCATION_DEADLINE - (performance.now() - since)), interval: POLL },
			);
			const took = performance.now() - since;
			assert.ok(r.ms !== null, `${what}: still let through by B's gate ${took.toFixed(0)} ms after the command exited: ${brief(last)}`);
			assert.equal(last.status, 401, `${what}: B's gate: ${brief(last)}`);
			assert.equal(last.json?.type, type, `${what}: B's gate: ${brief(last)}`);
			assert.equal(last.reached.length, 0, `${what}: the refused request did not reach the upstream`);
		}

		test('B trusts its verification cache (so a refusal below comes from the revocation)', async () => {
			const made = await api(A, '/v1/account/sessions/anonymous', { method: 'POST' });
			assert.equal(made.status, 201, brief(made));
			const fb = made.headers.get('x-fallback-cookies');
			for (let i = 0; i < 2; i++) assert.equal((await api(B, '/v1/account', { headers: { 'X-Fallback-Cookies': fb } })).status, 200);
			await deleteSessionRow(cluster, made.json.$id);
			const res = await api(B, '/v1/account', { headers: { 'X-Fallback-Cookies': fb } });
			assert.equal(res.status, 200, `B checked PostgreSQL instead of its cache: ${brief(res)}`);
		});

		test('a block by the command is refused at the gate of B within 1 s; unblocked, the user signs in again', async () => {
			const created = await api(B, '/v1/account', {
				method: 'POST',
				body: { userId: 'unique()', email, password: PASSWORD, name: 'Admin Target' },
			});
			assert.equal(created.status, 201, brief(created));
			userId = created.json.$id;
			await freshSessionOnB('before the block');

			const run = await users(A, ['block', userId]);
			ok(run, 'users block');
			assert.equal(run.stdout, `user ${userId} is now blocked\n`);
			await refusedOnB(fallback, 'user_blocked', run.endedAt, 'after users block');
			const me = await api(B, '/v1/account', { headers: { 'X-Fallback-Cookies': fallback } });
			assert.equal(me.json?.type, 'user_blocked', `the API of B: ${brief(me)}`);
			const denied = await signIn(B);
			assert.equal(denied.json?.type, 'user_blocked', `sign-in while blocked: ${brief(denied)}`);

			ok(await users(A, ['unblock', userId]), 'users unblock');
			await freshSessionOnB('after the unblock');
		});

		test('users list --json and show --json show the user', async () => {
			const run = await users(A, ['list', '--json']);
			ok(run, 'users list --json');
			const listed = JSON.parse(run.stdout).users.find((u) => u.$id === userId);
			assert.ok(listed, `the user is listed: ${run.stdout}`);
			assert.equal(listed.email, email);
			assert.equal(listed.name, 'Admin Target');
			assert.equal(listed.status, true);
			assert.ok(!run.stdout.includes('$argon2'), 'no password hash in the output');
			assert.equal(listed.hash, 'argon2', 'the kind of the hash is shown');

			const shown = await users(A, ['show', userId, '--json']);
			ok(shown, 'users show --json');
			const u = JSON.parse(shown.stdout);
			assert.equal(u.$id, userId);
			assert.ok(u.sessions.length >= 1, `the sessions are shown: ${shown.stdout}`);
		});

		test('users sign-out ends the sessions at the gate of B within 1 s', async () => {
			const run = await users(A, ['sign-out', userId]);
			ok(run, 'users sign-out');
			assert.match(run.stdout, new RegExp(`^user ${userId} signed out: \\d+ sessions deleted\\n$`));
			await refusedOnB(fallback, 'general_unauthorized_scope', run.endedAt, 'after users sign-out');
		});

		test('users set-password reads the password from stdin; the old one is refused', async () => {
			ok(await users(A, ['set-password', userId], { stdin: 'a brand new password\n' }), 'users set-password');
			const old = await signIn(B);
			assert.equal(old.json?.type, 'user_invalid_credentials', `the old password: ${brief(old)}`);
			const fresh = await signIn(B, 'a brand new password');
			assert.equal(fresh.status, 201, `the new password: ${brief(fresh)}`);
		});

		test('users delete removes the user; errors name the problem', async () => {
			ok(await users(A, ['delete', userId]), 'users delete');
			const again = await users(A, ['show', userId]);
			assert.notEqual(again.code, 0);
			assert.match(again.stderr, new RegExp(`unknown user id \\\\?"${userId}\\\\?"`), again.stderr);
			const gone = await signIn(B, 'a brand new password');
			assert.equal(gone.status, 401, `sign-in of a deleted user: ${brief(gone)}`);

			const project = await users(A, ['list'], { project: 'nope' });
			assert.notEqual(project.code, 0);
			assert.match(project.stderr, /unknown project \\?"nope\\?" \(configured: test\)/, project.stderr);
		});
	});
}
