package account_test

import (
	"context"
	"strings"
	"testing"

	"golang.org/x/crypto/bcrypt"

	"github.com/accountgate/accountgate/account/core"
	"github.com/accountgate/accountgate/account/userimport"
)

// TestImportedUsersSignIn: users imported from a CSV file with a hash of
// each kind (Appwrite's reference hashes of "appwrite") sign in with that
// password, are refused another, and are re-hashed to argon2id at the
// configured cost by their first sign-in.
func TestImportedUsersSignIn(t *testing.T) {
	t.Parallel()
	e := newEnv(t, nil)
	ctx := context.Background()
	bc, _ := bcrypt.GenerateFromPassword([]byte("appwrite"), 4)
	a2 := core.HashPassword(core.PasswordConfig{Memory: 128, Time: 1, Threads: 1}, "appwrite")
	csv := "userId,email,hash,password,passwordSalt,passwordSaltSeparator,passwordSignerKey,passwordCpu,passwordMemory,passwordParallel,passwordLength,passwordVersion\n" +
		"md5,md5@example.com,md5,144fa7eaa4904e8ee120651997f70dcc,,,,,,,,\n" +
		"sha,sha@example.com,sha,4243da0a694e8a2f727c8060fe0507c8fa01ca68146c76d2c190805b638c20c6bf6ba04e21f11ae138785d0bff63c416e6f87badbffad37f6dee50094cc38c70,,,,,,,,sha512\n" +
		"phpass,phpass@example.com,phpass,$P$Br387rwferoKN7uwHZqNMu98q3U8RO.,,,,,,,,\n" +
		"scrypt,scrypt@example.com,scrypt,3fdef49701bc4cfaacd551fe017283513284b4731e6945c263246ef948d3cf63b5d269c31fd697246085111a428245e24a4ddc6b64c687bc60a8910dbafc1d5b,appwrite,,,16384,13,2,64,\n" +
		"scryptmod,scryptmod@example.com,scrypt-modified,UlM7JiXRcQhzAGlaonpSqNSLIz475WMddOgLjej5De9vxTy48K6WtqlEzrRFeK4t0COfMhWCb8wuMHgxOFCHFQ==,UxLMreBr6tYyjQ==,Bw==,XyEKE9RcTDeLEsL/RjwPDBv/RqDl8fb3gpYEOQaPihbxf1ZAtSOHCjuAAa7Q3oHpCYhXSN9tizHgVOwn6krflQ==,,,,,\n" +
		"bcrypt,bcrypt@example.com,bcrypt," + string(bc) + ",,,,,,,,\n" +
		"argon2,argon2@example.com,argon2,\"" + a2 + "\",,,,,,,,\n"
	var report strings.Builder
	sum, err := userimport.Import(ctx, e.store, strings.NewReader(csv), userimport.Options{Format: "csv", Report: &report})
	if err != nil || sum != (userimport.Summary{Created: 7}) {
		t.Fatalf("import: %+v %v\n%s", sum, err, report.String())
	}
	for _, id := range []string{"md5", "sha", "phpass", "scrypt", "scryptmod", "bcrypt", "argon2"} {
		t.Run(id, func(t *testing.T) {
			email := id + "@example.com"
			before, _ := e.store.UserByID(ctx, id)
			checkError(t, e.do("POST", "/v1/account/sessions/email", `{"email":"`+email+`","password":"appwritf"}`, nil), 401, "user_invalid_credentials", "")
			e.signIn(email, "appwrite")
			u, err := e.store.UserByID(ctx, id)
			if err != nil || u.PasswordHash == before.PasswordHash || !strings.HasPrefix(u.PasswordHash, "$argon2id$v=19$m=64,t=1,p=1$") {
				t.Fatalf("not re-hashed: %v %s", err, u.PasswordHash)
			}
			e.signIn(email, "appwrite")
		})
	}
}
