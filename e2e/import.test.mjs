// Users with password hashes from other systems, against a real Caddy
// binary:
//
//   * node-appwrite 9.0.0 and 27.1.0, unmodified, create a user with each
//     of Appwrite's hash kinds (md5, sha, phpass, scrypt, scrypt-modified)
//     through the Users API; the web SDK (appwrite 11.0.1 and 28.0.0)
//     signs in with the old password; `caddy accountgate users show
//     --json` shows the imported kind before and argon2 after that sign-in;
//   * `caddy accountgate import`, run as a process beside the server, on a
//     file with every hash kind (Appwrite's export format and CSV), and on
//     a Firebase export with the console's hash parameters: the
//     users sign in through the web SDK; a second run changes nothing and
//     says so; a bad row is reported with its line, the rest imported,
//     and the exit status is 1.
//
// The hashes are those of Appwrite's own end-to-end tests
// (tests/e2e/Services/Users/UsersBase.php), all of the password
// "appwrite"; the bcrypt one is made with x/crypto.

import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { writeFile } from 'node:fs/promises';
import path from 'node:path';
import { describe, test } from 'node:test';

import { bindStorage, installBrowserShim, PROJECT, randomSuffix, useCaddy } from './harness.mjs';

const shim = installBrowserShim();
const sdk9 = await import('node-appwrite-9');
const sdkNow = await import('node-appwrite');
const web11 = await import('appwrite');
const web28 = await import('appwrite-28');

const KEY = randomBytes(32).toString('hex');
process.env.E2E_IMPORT_KEY = KEY;

const env = useCaddy({
	projectLines: ['rate_limit off', 'api_key importer {env.E2E_IMPORT_KEY} {\nscopes users.read users.write\n}'],
});

const PASSWORD = 'appwrite';

// Each kind's hash and parameters, as the Users API routes take them.
const HASHES = {
	md5: { password: '144fa7eaa4904e8ee120651997f70dcc' },
	sha: {
		password: '4243da0a694e8a2f727c8060fe0507c8fa01ca68146c76d2c190805b638c20c6bf6ba04e21f11ae138785d0bff63c416e6f87badbffad37f6dee50094cc38c70',
		version: 'sha512',
	},
	phpass: { password: '$P$Br387rwferoKN7uwHZqNMu98q3U8RO.' },
	scrypt: {
		password: '3fdef49701bc4cfaacd551fe017283513284b4731e6945c263246ef948d3cf63b5d269c31fd697246085111a428245e24a4ddc6b64c687bc60a8910dbafc1d5b',
		salt: 'appwrite', cpu: 16384, memory: 13, parallel: 2, length: 64,
	},
	scryptMod: {
		password: 'UlM7JiXRcQhzAGlaonpSqNSLIz475WMddOgLjej5De9vxTy48K6WtqlEzrRFeK4t0COfMhWCb8wuMHgxOFCHFQ==',
		salt: 'UxLMreBr6tYyjQ==', separator: 'Bw==',
		signer: 'XyEKE9RcTDeLEsL/RjwPDBv/RqDl8fb3gpYEOQaPihbxf1ZAtSOHCjuAAa7Q3oHpCYhXSN9tizHgVOwn6krflQ==',
	},
	// Of the password "appwrite": bcrypt cost 5 made with x/crypto, and
	// Appwrite's argon2i reference (another cost than the configured one).
	bcrypt: { password: '$2a$05$cHSqqC57n.VPWdLVcvdBmegfOkZH3NTBD5VJ7CKbmA8TTGzoPXVym' },
	argon2: { password: '$argon2i$v=19$m=20,t=3,p=2$YXBwd3JpdGU$A/54i238ed09ZR4NwlACU5XnkjNBZU9QeOEuhjLiexI' },
};

/** Runs `$CADDY_BIN accountgate <args…> --config <Caddyfile> --project test`. */
function accountgate(args) {
	const argv = ['accountgate', ...args, '--config', path.join(env.caddy.dir, 'Caddyfile'), '--adapter', 'caddyfile', '--project', PROJECT];
	return new Promise((resolve) => {
		execFile(process.env.CADDY_BIN, argv, { cwd: env.caddy.dir, timeout: 60_000 }, (err, stdout, stderr) => {
			resolve({ code: err ? (err.code ?? 1) : 0, stdout, stderr });
		});
	});
}

function ok(run, what) {
	assert.equal(run.code, 0, `${what}: exit ${run.code}\n--- stdout ---\n${run.stdout}\n--- stderr ---\n${run.stderr}`);
}

/** The user as `users show --json` prints it. */
async function show(id) {
	const run = await accountgate(['users', 'show', id, '--json']);
	ok(run, `users show ${id}`);
	assert.ok(!run.stdout.includes('$argon2') && !run.stdout.includes('$P$'), 'no hash in the output');
	return JSON.parse(run.stdout);
}

/** The kind of the user's stored hash, through `users show --json`. */
async function hashKind(id) {
	return (await show(id)).hash;
}

/** Signs in with the web SDK; resolves with the session, or rejects. */
async function webSignIn(web, email, password) {
	const client = new web.Client().setEndpoint(env.endpoint).setProject(PROJECT);
	const account = bindStorage(new web.Account(client), shim.newStorage());
	return web === web11 ? account.createEmailSession(email, password) : account.createEmailPasswordSession(email, password);
}

/** Signs in with a wrong password (refused), then the right one. */
async function signsIn(web, id, email) {
	await assert.rejects(webSignIn(web, email, 'appwritf'), (e) => e.code === 401 && e.type === 'user_invalid_credentials');
	const session = await webSignIn(web, email, PASSWORD);
	assert.equal(session.userId, id);
	assert.equal(session.provider, 'email');
}

for (const [label, sdk, web] of [
	['node-appwrite 9.0.0, web SDK 11.0.1', sdk9, web11],
	['node-appwrite 27.1.0, web SDK 28.0.0', sdkNow, web28],
]) {
	describe(label, () => {
		// Made at the call: the endpoint is known once Caddy runs.
		const usersAPI = () => new sdk.Users(new sdk.Client().setEndpoint(env.endpoint).setProject(PROJECT).setKey(KEY));
		const sha512 = sdk.PasswordHash ? sdk.PasswordHash.Sha512 : 'sha512';
		const create = {
			md5: (id, email) => usersAPI().createMD5User(id, email, HASHES.md5.password, 'MD5 User'),
			sha: (id, email) => usersAPI().createSHAUser(id, email, HASHES.sha.password, sha512, 'SHA User'),
			phpass: (id, email) => usersAPI().createPHPassUser(id, email, HASHES.phpass.password, 'PHPass User'),
			scrypt: (id, email) => {
				const h = HASHES.scrypt;
				return usersAPI().createScryptUser(id, email, h.password, h.salt, h.cpu, h.memory, h.parallel, h.length, 'Scrypt User');
			},
			scryptMod: (id, email) => {
				const h = HASHES.scryptMod;
				return usersAPI().createScryptModifiedUser(id, email, h.password, h.salt, h.separator, h.signer, 'Scrypt Modified User');
			},
		};
		for (const [kind, make] of Object.entries(create)) {
			test(`a user created with a ${kind} hash signs in with the old password and is re-hashed`, async () => {
				const id = `${kind.toLowerCase()}-${randomSuffix()}`;
				const email = `${id}@example.com`;
				const u = await make(id, email);
				assert.equal(u.$id, id);
				assert.equal(u.email, email);
				assert.ok(!JSON.stringify(u).includes(HASHES[kind].password), 'the hash is not sent back');
				assert.equal(await hashKind(id), kind);
				await signsIn(web, id, email);
				assert.equal(await hashKind(id), 'argon2', 're-hashed at the first sign-in');
				await signsIn(web, id, email);
				await usersAPI().delete(id);
			});
		}

		test('the routes refuse a hash of the wrong shape', async () => {
			const users = usersAPI();
			await assert.rejects(users.createMD5User(`bad-${randomSuffix()}`, `bad-${randomSuffix()}@example.com`, 'not-an-md5-digest'),
				(e) => e.code === 400 && e.type === 'general_argument_invalid');
			await assert.rejects(
				users.createScryptUser(`bad-${randomSuffix()}`, `bad-${randomSuffix()}@example.com`, HASHES.scrypt.password, 's', 1 << 20, 8, 1, 64),
				(e) => e.code === 400 && e.type === 'general_argument_invalid' && /password/.test(e.message),
			);
		});
	});
}

describe('caddy accountgate import', () => {
	const run = randomSuffix();
	const kinds = Object.keys(HASHES);
	const id = (kind) => `imp-${kind.toLowerCase()}-${run}`;

	test('an Appwrite export with every hash kind: users sign in through the web SDK, a second run changes nothing', async () => {
		const appwriteUsers = kinds.map((kind) => {
			const h = HASHES[kind];
			return {
				$id: id(kind), $createdAt: '2024-05-01T10:00:00.000+00:00', $updatedAt: '2024-05-01T10:00:00.000+00:00',
				name: `Imported ${kind}`, password: h.password, hash: kind,
				hashOptions: { salt: h.salt ?? '', saltSeparator: h.separator ?? '', signerKey: h.signer ?? '', costCpu: h.cpu ?? 0,
					costMemory: h.memory ?? 0, costParallel: h.parallel ?? 0, length: h.length ?? 0, version: h.version ?? '' },
				registration: '2024-05-01T10:00:00.000+00:00', status: true, labels: ['imported', kind], passwordUpdate: '2024-05-01T10:00:00.000+00:00',
				email: `${id(kind)}@example.com`, phone: '', emailVerification: true, phoneVerification: false, prefs: { kind },
			};
		});
		const file = path.join(env.caddy.dir, 'export.json');
		await writeFile(file, JSON.stringify({ total: appwriteUsers.length, users: appwriteUsers }, null, 1));

		const first = await accountgate(['import', file]);
		ok(first, 'import');
		assert.equal(first.stdout, `${kinds.length} users imported, 0 unchanged (already there), 0 failed\n`);
		for (const kind of kinds) {
			const u = await show(id(kind));
			assert.equal(u.hash, kind);
			assert.equal(u.name, `Imported ${kind}`);
			assert.equal(u.emailVerification, true);
			assert.deepEqual(u.labels, ['imported', kind]);
			assert.deepEqual(u.prefs, { kind });
			assert.equal(u.$createdAt, '2024-05-01T10:00:00.000+00:00');
		}
		for (const [i, kind] of kinds.entries()) {
			// Half through each web SDK.
			await signsIn(i % 2 ? web28 : web11, id(kind), `${id(kind)}@example.com`);
			assert.equal(await hashKind(id(kind)), 'argon2', `${kind}: re-hashed at the first sign-in`);
		}

		const second = await accountgate(['import', file, '--json']);
		ok(second, 'second import');
		assert.deepEqual(JSON.parse(second.stdout), { created: 0, unchanged: kinds.length, failed: 0 });
		// The re-hash of the first sign-in stands.
		assert.equal(await hashKind(id('md5')), 'argon2');
	});

	test('a Firebase export with the console\'s hash parameters: the user signs in with the password of the firebase/scrypt README', async () => {
		// The example of github.com/firebase/scrypt's README.
		const fbID = `fb${run}`;
		const exportFile = path.join(env.caddy.dir, 'firebase-users.json');
		await writeFile(exportFile, JSON.stringify({ users: [{
			localId: fbID, email: `${fbID}@example.com`, emailVerified: true, displayName: 'Firebase User',
			passwordHash: 'lSrfV15cpx95/sZS2W9c9Kp6i/LVgQNDNC/qzrCnh1SAyZvqmZqAjTdn3aoItz+VHjoZilo78198JAdRuid5lQ==',
			salt: '42xEC+ixf3L2lw==', createdAt: '1486324451000', lastSignedInAt: '1486324451000', providerUserInfo: [],
		}] }, null, 2));
		const configFile = path.join(env.caddy.dir, 'hash_config.txt');
		await writeFile(configFile, 'hash_config {\n  algorithm: SCRYPT,\n  base64_signer_key: jxspr8Ki0RYycVU8zykbdLGjFQ3McFUH0uiiTvC8pVMXAn210wjLNmdZJzxUECKbm0QsEmYUSDzZvpjeJ9WmXA==,\n  base64_salt_separator: Bw==,\n  rounds: 8,\n  mem_cost: 14,\n}\n');
		const r = await accountgate(['import', exportFile, '--hash-config', configFile]);
		ok(r, 'firebase import');
		assert.equal(r.stdout, '1 users imported, 0 unchanged (already there), 0 failed\n');
		const u = await show(fbID);
		assert.equal(u.hash, 'scryptMod');
		assert.equal(u.name, 'Firebase User');
		assert.equal(u.$createdAt, '2017-02-05T19:54:11.000+00:00');
		await assert.rejects(webSignIn(web28, `${fbID}@example.com`, 'user2password'), (e) => e.code === 401);
		const session = await webSignIn(web28, `${fbID}@example.com`, 'user1password');
		assert.equal(session.userId, fbID);
		assert.equal(await hashKind(fbID), 'argon2');
	});

	test('a CSV file with a bad row: the row is reported by line, the rest imported, exit status 1', async () => {
		const csvID = (kind) => `csv-${kind.toLowerCase()}-${run}`;
		const h = HASHES;
		const rows = [
			'userId,email,name,hash,password,passwordSalt,passwordSaltSeparator,passwordSignerKey,passwordCpu,passwordMemory,passwordParallel,passwordLength,passwordVersion',
			`${csvID('md5')},${csvID('md5')}@example.com,CSV md5,md5,${h.md5.password},,,,,,,,`,
			`${csvID('bad')},not-an-email,Bad,md5,${h.md5.password},,,,,,,,`,
			`${csvID('scrypt')},${csvID('scrypt')}@example.com,CSV scrypt,scrypt,${h.scrypt.password},appwrite,,,16384,13,2,64,`,
			`${csvID('scryptMod')},${csvID('scryptMod')}@example.com,CSV scrypt-modified,scrypt-modified,${h.scryptMod.password},${h.scryptMod.salt},${h.scryptMod.separator},${h.scryptMod.signer},,,,,`,
			`${csvID('sha')},${csvID('sha')}@example.com,CSV sha,sha,${h.sha.password},,,,,,,,sha512`,
		];
		const file = path.join(env.caddy.dir, 'users.csv');
		await writeFile(file, rows.join('\n') + '\n');
		const r = await accountgate(['import', file]);
		assert.equal(r.code, 1, `exit status: ${r.stdout}${r.stderr}`);
		assert.equal(r.stdout, '4 users imported, 0 unchanged (already there), 1 failed\n');
		assert.match(r.stderr, new RegExp(`^line 3: user ${csvID('bad')}: invalid email "not-an-email"`, 'm'));
		for (const kind of ['md5', 'scrypt', 'scryptMod', 'sha']) {
			await signsIn(web28, csvID(kind), `${csvID(kind)}@example.com`);
		}
	});
});
