// The README's Node script, run as written against a real Caddy binary: the
// only change is the endpoint (the test's port) and the project id.

import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { readFile, rm, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { test } from 'node:test';
import { fileURLToPath } from 'node:url';

import { PROJECT, useCaddy } from './harness.mjs';

const here = path.dirname(fileURLToPath(import.meta.url));
const env = useCaddy();

/** The fenced js block of the README that starts with `first`. */
async function readmeBlock(first) {
	const readme = await readFile(path.join(here, '..', 'README.md'), 'utf8');
	const blocks = [...readme.matchAll(/```js\n([\s\S]*?)```/g)].map((m) => m[1]);
	const block = blocks.find((b) => b.startsWith(first));
	assert.ok(block, `the README has no js block starting with ${JSON.stringify(first)}`);
	return block;
}

test('the README Node script signs up, signs in and prints the account', async () => {
	let script = await readmeBlock('// demo.mjs');
	for (const [from, to] of [
		["setEndpoint('http://localhost:8080/v1')", `setEndpoint('${env.endpoint}')`],
		["setProject('demo')", `setProject('${PROJECT}')`],
	]) {
		assert.ok(script.includes(from), `the script no longer contains ${from}`);
		script = script.replace(from, to);
	}
	// Beside node_modules, as the README says.
	const file = path.join(here, `.readme-demo-${process.pid}.mjs`);
	await writeFile(file, script);
	try {
		const { stdout, stderr } = await new Promise((resolve, reject) => {
			execFile(process.execPath, [file], { timeout: 30_000 }, (err, stdout, stderr) =>
				err ? reject(new Error(`${err.message}\n${stdout}\n${stderr}`)) : resolve({ stdout, stderr }),
			);
		});
		assert.match(stdout, /email: 'ann@example\.com'/, stdout + stderr);
		assert.match(stdout, /name: 'Ann'/);
		assert.match(stdout, /'\$id': '[0-9a-f]{20}'/);
	} finally {
		await rm(file, { force: true });
	}
});
