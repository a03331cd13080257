// RFC 6238 TOTP codes for the MFA tests, computed with node:crypto so
// that the tests depend on no TOTP library of their own.

import assert from 'node:assert/strict';
import { createHmac } from 'node:crypto';

/** RFC 4648 base32 (no padding) to bytes. */
function base32(s) {
	const alphabet = 'ABCDEFGHIJKLMNOPQRSTUVWXYZ234567';
	let bits = 0;
	let value = 0;
	const out = [];
	for (const ch of s.replace(/=+$/, '').toUpperCase()) {
		const i = alphabet.indexOf(ch);
		assert.ok(i >= 0, `base32 letter ${ch}`);
		value = (value << 5) | i;
		bits += 5;
		if (bits >= 8) {
			out.push((value >>> (bits - 8)) & 0xff);
			bits -= 8;
		}
	}
	return Buffer.from(out);
}

/** The RFC 6238 code (SHA-1, 6 digits, 30 s) of secret for time step. */
export function totp(secret, step = Math.floor(Date.now() / 30_000)) {
	const counter = Buffer.alloc(8);
	counter.writeBigUInt64BE(BigInt(step));
	const mac = createHmac('sha1', base32(secret)).update(counter).digest();
	const off = mac[mac.length - 1] & 0x0f;
	const n = (mac.readUInt32BE(off) & 0x7fffffff) % 1_000_000;
	return String(n).padStart(6, '0');
}

