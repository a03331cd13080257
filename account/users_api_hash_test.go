package account_test

import (
	"context"
	"strings"
	"testing"
)

// The hashes of the password "appwrite" that Appwrite's own end-to-end
// tests create users with (tests/e2e/Services/Users/UsersBase.php in
// github.com/appwrite/appwrite), with the same parameters.
var appwriteHashBodies = []struct{ kind, body string }{
	{"md5", `"password":"144fa7eaa4904e8ee120651997f70dcc"`},
	{"sha", `"password":"4243da0a694e8a2f727c8060fe0507c8fa01ca68146c76d2c190805b638c20c6bf6ba04e21f11ae138785d0bff63c416e6f87badbffad37f6dee50094cc38c70","passwordVersion":"sha512"`},
	{"phpass", `"password":"$P$Br387rwferoKN7uwHZqNMu98q3U8RO."`},
	{"scrypt", `"password":"3fdef49701bc4cfaacd551fe017283513284b4731e6945c263246ef948d3cf63b5d269c31fd697246085111a428245e24a4ddc6b64c687bc60a8910dbafc1d5b","passwordSalt":"appwrite","passwordCpu":16384,"passwordMemory":13,"passwordParallel":2,"passwordLength":64`},
	{"scrypt-modified", `"password":"UlM7JiXRcQhzAGlaonpSqNSLIz475WMddOgLjej5De9vxTy48K6WtqlEzrRFeK4t0COfMhWCb8wuMHgxOFCHFQ==","passwordSalt":"UxLMreBr6tYyjQ==","passwordSaltSeparator":"Bw==","passwordSignerKey":"XyEKE9RcTDeLEsL/RjwPDBv/RqDl8fb3gpYEOQaPihbxf1ZAtSOHCjuAAa7Q3oHpCYhXSN9tizHgVOwn6krflQ=="`},
}

// TestUsersAPICreateWithImportedHash: a user made through each of the
// md5, sha, phpass, scrypt and scrypt-modified routes signs in with the
// old password, which is then re-hashed to argon2id at the configured
// cost; a wrong password is refused and leaves the hash alone.
func TestUsersAPICreateWithImportedHash(t *testing.T) {
	t.Parallel()
	e := newEnv(t, withKeys)
	ctx := context.Background()
	for _, tc := range appwriteHashBodies {
		t.Run(tc.kind, func(t *testing.T) {
			id := "hash-" + tc.kind
			email := id + "@example.com"
			body := `{"userId":"` + id + `","email":"` + email + `",` + tc.body + `}`
			checkError(t, e.do("POST", "/v1/users/"+tc.kind, body, key(keyRead)), 401, "general_unauthorized_scope", "")
			r := e.do("POST", "/v1/users/"+tc.kind, body, key(keyWrite))
			if r.status != 201 || r.json(t)["$id"] != id || r.json(t)["email"] != email || strings.Contains(r.body, `"password":"`) {
				t.Fatalf("create: %d %s", r.status, r.body)
			}
			checkError(t, e.do("POST", "/v1/users/"+tc.kind, body, key(keyWrite)), 409, "user_already_exists", "")
			stored, err := e.store.UserByID(ctx, id)
			if err != nil || !strings.HasPrefix(stored.PasswordHash, "$") || strings.HasPrefix(stored.PasswordHash, "$argon2") {
				t.Fatalf("stored: %v %q", err, stored.PasswordHash)
			}
			checkError(t, e.do("POST", "/v1/account/sessions/email", `{"email":"`+email+`","password":"appwritf"}`, nil), 401, "user_invalid_credentials", "")
			if u, _ := e.store.UserByID(ctx, id); u.PasswordHash != stored.PasswordHash {
				t.Fatalf("hash changed by a failed sign-in: %s", u.PasswordHash)
			}
			e.signIn(email, "appwrite")
			u, err := e.store.UserByID(ctx, id)
			if err != nil || !strings.HasPrefix(u.PasswordHash, "$argon2id$v=19$m=64,t=1,p=1$") {
				t.Fatalf("not re-hashed at the configured cost: %v %s", err, u.PasswordHash)
			}
			e.signIn(email, "appwrite")
			checkError(t, e.do("POST", "/v1/account/sessions/email", `{"email":"`+email+`","password":"appwritf"}`, nil), 401, "user_invalid_credentials", "")
		})
	}
}

// TestUsersAPIImportedHashValidation: each route refuses a hash that is
// not of its kind, parameters out of bounds, and missing parameters, with
// Appwrite's 400 and nothing stored.
func TestUsersAPIImportedHashValidation(t *testing.T) {
	t.Parallel()
	e := newEnv(t, withKeys)
	const md5 = `"password":"144fa7eaa4904e8ee120651997f70dcc"`
	const scryptKey = `"password":"3fdef49701bc4cfaacd551fe017283513284b4731e6945c263246ef948d3cf63b5d269c31fd697246085111a428245e24a4ddc6b64c687bc60a8910dbafc1d5b"`
	for _, tc := range []struct{ name, kind, body, message string }{
		{"md5 not hex", "md5", `"password":"not-a-digest-of-32-characters-xx"`, "Invalid password: Value must be the hex MD5 digest of the password"},
		{"md5 a sha1", "md5", `"password":"da39a3ee5e6b4b0d3255bfef95601890afd80709"`, ""},
		{"sha version unknown", "sha", md5 + `,"passwordVersion":"md5"`, "Invalid passwordVersion: Value must be one of (sha1, sha224, sha256, sha384, sha512/224, sha512/256, sha512, sha3-224, sha3-256, sha3-384, sha3-512)"},
		{"sha length of another version", "sha", md5 + `,"passwordVersion":"sha256"`, ""},
		{"sha default is sha3-512", "sha", md5, ""},
		{"phpass bcrypt", "phpass", `"password":"$2a$04$abcdefghijklmnopqrstuu5s2v8.iXieOjg/.AySBTTZIIVFJeBui"`, ""},
		{"phpass 2^30 rounds", "phpass", `"password":"$P$Ur387rwferoKN7uwHZqNMu98q3U8RO."`, ""},
		{"scrypt N not a power of 2", "scrypt", scryptKey + `,"passwordSalt":"s","passwordCpu":1000,"passwordMemory":8,"passwordParallel":1,"passwordLength":64`, ""},
		{"scrypt 1 GiB", "scrypt", scryptKey + `,"passwordSalt":"s","passwordCpu":1048576,"passwordMemory":8,"passwordParallel":1,"passwordLength":64`, ""},
		{"scrypt length", "scrypt", scryptKey + `,"passwordSalt":"s","passwordCpu":16384,"passwordMemory":8,"passwordParallel":1,"passwordLength":32`, ""},
		{"scrypt cpu a string", "scrypt", scryptKey + `,"passwordSalt":"s","passwordCpu":"lots","passwordMemory":8,"passwordParallel":1,"passwordLength":64`, "Invalid passwordCpu: Value must be a valid integer"},
		{"scrypt no salt", "scrypt", scryptKey + `,"passwordCpu":16384,"passwordMemory":8,"passwordParallel":1,"passwordLength":64`, `Param "passwordSalt" is not optional.`},
		{"scrypt no length", "scrypt", scryptKey + `,"passwordSalt":"s","passwordCpu":16384,"passwordMemory":8,"passwordParallel":1`, `Param "passwordLength" is not optional.`},
		{"scrypt salt too long", "scrypt", scryptKey + `,"passwordSalt":"` + strings.Repeat("s", 129) + `","passwordCpu":16384,"passwordMemory":8,"passwordParallel":1,"passwordLength":64`, "Invalid passwordSalt: Value must be a valid string and at least 1 chars and no longer than 128 chars"},
		{"scrypt-modified no signer key", "scrypt-modified", `"password":"UlM7JiXRcQhzAGlaonpSqNSLIz475WMddOgLjej5De9vxTy48K6WtqlEzrRFeK4t0COfMhWCb8wuMHgxOFCHFQ==","passwordSalt":"UxLMreBr6tYyjQ==","passwordSaltSeparator":"Bw=="`, `Param "passwordSignerKey" is not optional.`},
		{"scrypt-modified signer of another length", "scrypt-modified", `"password":"UlM7JiXRcQhzAGlaonpSqNSLIz475WMddOgLjej5De9vxTy48K6WtqlEzrRFeK4t0COfMhWCb8wuMHgxOFCHFQ==","passwordSalt":"UxLMreBr6tYyjQ==","passwordSaltSeparator":"Bw==","passwordSignerKey":"Bw=="`, ""},
		{"scrypt-modified not base64", "scrypt-modified", `"password":"%%%","passwordSalt":"UxLMreBr6tYyjQ==","passwordSaltSeparator":"Bw==","passwordSignerKey":"Bw=="`, ""},
		{"no password", "md5", `"name":"x"`, `Param "password" is not optional.`},
	} {
		t.Run(tc.name, func(t *testing.T) {
			body := `{"userId":"bad","email":"bad@example.com",` + tc.body + `}`
			checkError(t, e.do("POST", "/v1/users/"+tc.kind, body, key(keyAll)), 400, "general_argument_invalid", tc.message)
		})
	}
	if _, err := e.store.UserByID(context.Background(), "bad"); err == nil {
		t.Fatal("a refused user was stored")
	}
}
