package passhash

import (
	"crypto/md5"
	"crypto/sha1"
	"crypto/sha256"
	"crypto/sha3"
	"crypto/sha512"
	"encoding/hex"
	"strings"
	"testing"
)

// Reference vectors. Those marked "appwrite" come from Appwrite's own
// end-to-end tests (tests/e2e/Services/Users/UsersBase.php in
// github.com/appwrite/appwrite), where each hash is created through its
// route and then signed in with the password "appwrite". The Firebase
// vector is the example of the firebase/scrypt README
// (github.com/firebase/scrypt, "Password hashing"). The phpass vectors
// are the portable hash of "test12345" in phpass's own test.php
// (openwall.com/phpass), hashcat's example hash of mode 400
// (hashcat.net/wiki/doku.php?id=example_hashes) and passlib's phpass
// vectors (passlib/tests/test_handlers.py, phpass_test).
var (
	appwriteMD5    = "144fa7eaa4904e8ee120651997f70dcc"
	appwriteSHA512 = "4243da0a694e8a2f727c8060fe0507c8fa01ca68146c76d2c190805b638c20c6bf6ba04e21f11ae138785d0bff63c416e6f87badbffad37f6dee50094cc38c70"
	appwriteScrypt = "3fdef49701bc4cfaacd551fe017283513284b4731e6945c263246ef948d3cf63b5d269c31fd697246085111a428245e24a4ddc6b64c687bc60a8910dbafc1d5b"
	appwritePHPass = "$P$Br387rwferoKN7uwHZqNMu98q3U8RO."
)

func mustEncode(t *testing.T) func(string, error) string {
	return func(s string, err error) string {
		t.Helper()
		if err != nil {
			t.Fatal(err)
		}
		return s
	}
}

func TestReferenceVectors(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		name, password string
		encoded        func() (string, error)
	}{
		{"appwrite md5", "appwrite", func() (string, error) { return EncodeMD5(appwriteMD5) }},
		{"appwrite sha512", "appwrite", func() (string, error) { return EncodeSHA("sha512", appwriteSHA512) }},
		{"appwrite scrypt", "appwrite", func() (string, error) {
			return EncodeScrypt(appwriteScrypt, "appwrite", 16384, 13, 2, 64)
		}},
		{"appwrite phpass", "appwrite", func() (string, error) { return EncodePHPass(appwritePHPass) }},
		{"appwrite scrypt-modified", "appwrite", func() (string, error) {
			return EncodeScryptModified(
				"UlM7JiXRcQhzAGlaonpSqNSLIz475WMddOgLjej5De9vxTy48K6WtqlEzrRFeK4t0COfMhWCb8wuMHgxOFCHFQ==",
				"UxLMreBr6tYyjQ==", "Bw==",
				"XyEKE9RcTDeLEsL/RjwPDBv/RqDl8fb3gpYEOQaPihbxf1ZAtSOHCjuAAa7Q3oHpCYhXSN9tizHgVOwn6krflQ==")
		}},
		{"firebase readme", "user1password", func() (string, error) {
			return EncodeFirebaseScrypt(
				"lSrfV15cpx95/sZS2W9c9Kp6i/LVgQNDNC/qzrCnh1SAyZvqmZqAjTdn3aoItz+VHjoZilo78198JAdRuid5lQ==",
				"42xEC+ixf3L2lw==", "Bw==",
				"jxspr8Ki0RYycVU8zykbdLGjFQ3McFUH0uiiTvC8pVMXAn210wjLNmdZJzxUECKbm0QsEmYUSDzZvpjeJ9WmXA==", 8, 14)
		}},
		{"hashcat phpass $P$", "hashcat", func() (string, error) { return EncodePHPass("$P$984478476IagS59wHZvyQMArzfx58u.") }},
		{"passlib phpass $P$", "test12345", func() (string, error) { return EncodePHPass("$P$9IQRaTwmfeRo7ud9Fh4E2PdI0S3r.L0") }},
		{"passlib phpass $H$", "test1", func() (string, error) { return EncodePHPass("$H$9aaaaaSXBjgypwqm.JsMssPLiS8YQ00") }},
		{"passlib phpass long", "thisisalongertestPW", func() (string, error) { return EncodePHPass("$P$912345678LIjjb6PhecupozNBmDndU0") }},
		{"passlib phpass 2^8 rounds", "JohnRipper", func() (string, error) { return EncodePHPass("$P$612345678si5M0DDyPpmRCmcltU/YW/") }},
		{"passlib phpass $H$ 2", "123456", func() (string, error) { return EncodePHPass("$H$9PE8jEklgZhgLmZl5.HYJAzfGCQtzi1") }},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			enc := mustEncode(t)(tc.encoded())
			if !Valid(enc) {
				t.Fatalf("not valid: %s", enc)
			}
			if ok, known := Verify(tc.password, enc); !ok || !known {
				t.Fatalf("%s: password refused (known %v)", enc, known)
			}
			for _, wrong := range []string{"", tc.password + "x", strings.ToUpper(tc.password), tc.password[1:]} {
				if wrong == tc.password {
					continue
				}
				if ok, known := Verify(wrong, enc); ok || !known {
					t.Fatalf("%s: wrong password %q: ok %v known %v", enc, wrong, ok, known)
				}
			}
		})
	}
}

// TestSHAVersions checks every sha version against the standard
// library's digest of the same password, through Appwrite's names.
func TestSHAVersions(t *testing.T) {
	t.Parallel()
	pw := []byte("correct horse")
	sums := map[string][]byte{}
	add := func(name string, b []byte) { sums[name] = b }
	s1 := sha1.Sum(pw)
	add("sha1", s1[:])
	s224 := sha256.Sum224(pw)
	add("sha224", s224[:])
	s256 := sha256.Sum256(pw)
	add("sha256", s256[:])
	s384 := sha512.Sum384(pw)
	add("sha384", s384[:])
	s512224 := sha512.Sum512_224(pw)
	add("sha512/224", s512224[:])
	s512256 := sha512.Sum512_256(pw)
	add("sha512/256", s512256[:])
	s512 := sha512.Sum512(pw)
	add("sha512", s512[:])
	s3224 := sha3.Sum224(pw)
	add("sha3-224", s3224[:])
	s3256 := sha3.Sum256(pw)
	add("sha3-256", s3256[:])
	s3384 := sha3.Sum384(pw)
	add("sha3-384", s3384[:])
	s3512 := sha3.Sum512(pw)
	add("sha3-512", s3512[:])
	if len(sums) != len(SHAVersions) {
		t.Fatalf("%d sums for %d versions", len(sums), len(SHAVersions))
	}
	for _, v := range SHAVersions {
		enc, err := EncodeSHA(v, strings.ToUpper(hex.EncodeToString(sums[v])))
		if err != nil {
			t.Fatalf("%s: %v", v, err)
		}
		if ok, known := Verify(string(pw), enc); !ok || !known {
			t.Fatalf("%s (%s): refused", v, enc)
		}
		if ok, _ := Verify("correct horsE", enc); ok {
			t.Fatalf("%s: wrong password accepted", v)
		}
	}
	// The default version is sha3-512, and a digest of one version does
	// not pass for another of the same length.
	if enc, err := EncodeSHA("", hex.EncodeToString(s3512[:])); err != nil || !strings.HasPrefix(enc, "$plain-sha3-512$") {
		t.Fatalf("default version: %s %v", enc, err)
	}
	if enc, _ := EncodeSHA("sha512", hex.EncodeToString(s3512[:])); enc != "" {
		if ok, _ := Verify(string(pw), enc); ok {
			t.Fatal("a sha3-512 digest passed as sha512")
		}
	}
	md := md5.Sum(pw)
	if _, err := EncodeSHA("md5", hex.EncodeToString(md[:])); err == nil {
		t.Fatal("md5 accepted as a sha version")
	}
}

// TestInvalid: malformed hashes and parameters beyond the work bounds
// are refused when encoding, and unknown strings by Verify and Valid.
func TestInvalid(t *testing.T) {
	t.Parallel()
	bad := map[string]func() (string, error){
		"md5 short":           func() (string, error) { return EncodeMD5("144fa7eaa4904e8ee120651997f70d") },
		"md5 not hex":         func() (string, error) { return EncodeMD5("144fa7eaa4904e8ee120651997f70dzz") },
		"sha unknown version": func() (string, error) { return EncodeSHA("sha2", appwriteSHA512) },
		"sha wrong length":    func() (string, error) { return EncodeSHA("sha256", appwriteSHA512) },
		"phpass short":        func() (string, error) { return EncodePHPass(appwritePHPass[:33]) },
		"phpass bad char":     func() (string, error) { return EncodePHPass("$P$Br387rwferoKN7uwHZqNMu98q3U8R!.") },
		"phpass too many rounds": func() (string, error) {
			return EncodePHPass("$P$U" + appwritePHPass[4:]) // 2^30
		},
		"phpass too few rounds": func() (string, error) { return EncodePHPass("$P$4" + appwritePHPass[4:]) },
		"scrypt N not power of 2": func() (string, error) {
			return EncodeScrypt(appwriteScrypt, "appwrite", 16383, 13, 2, 64)
		},
		"scrypt memory": func() (string, error) { return EncodeScrypt(appwriteScrypt, "s", 1<<20, 8, 1, 64) },
		"scrypt work":   func() (string, error) { return EncodeScrypt(appwriteScrypt, "s", 1<<16, 4, 8, 64) },
		"scrypt p zero": func() (string, error) { return EncodeScrypt(appwriteScrypt, "s", 1<<14, 8, 0, 64) },
		"scrypt r zero": func() (string, error) { return EncodeScrypt(appwriteScrypt, "s", 1<<14, 0, 1, 64) },
		"scrypt length": func() (string, error) { return EncodeScrypt(appwriteScrypt, "s", 1<<14, 8, 1, 32) },
		"scrypt huge N": func() (string, error) { return EncodeScrypt(appwriteScrypt, "s", 1<<62, 8, 1, 64) },
		"firebase signer length": func() (string, error) {
			return EncodeScryptModified("UlM7JiXRcQhzAGlaonpSqNSLIz475WMddOgLjej5De9vxTy48K6WtqlEzrRFeK4t0COfMhWCb8wuMHgxOFCHFQ==", "UxLMreBr6tYyjQ==", "Bw==", "Bw==")
		},
		"firebase not base64": func() (string, error) {
			return EncodeScryptModified("UlM7JiXRcQhzAGlaonpSq!!", "UxLMreBr6tYyjQ==", "Bw==", "Bw==")
		},
		"firebase mem_cost": func() (string, error) {
			return EncodeFirebaseScrypt("lSrfV15cpx95/sZS2W9c9Kp6i/LVgQNDNC/qzrCnh1SAyZvqmZqAjTdn3aoItz+VHjoZilo78198JAdRuid5lQ==",
				"42xEC+ixf3L2lw==", "Bw==", "jxspr8Ki0RYycVU8zykbdLGjFQ3McFUH0uiiTvC8pVMXAn210wjLNmdZJzxUECKbm0QsEmYUSDzZvpjeJ9WmXA==", 8, 40)
		},
	}
	for name, enc := range bad {
		if s, err := enc(); err == nil {
			t.Errorf("%s: accepted as %s", name, s)
		}
	}
	for _, s := range []string{"", "$plain-md5$", "$plain-md4$144fa7eaa4904e8ee120651997f70dcc", "$scrypt$ln=14,r=8$c2FsdA$" + strings.Repeat("A", 43),
		"$scrypt$ln=14,r=8,p=1,p=1$c2FsdA$" + strings.Repeat("A", 43), "$scrypt$ln=31,r=1,p=1$c2FsdA$" + strings.Repeat("A", 43),
		"$scrypt$ln=14,r=08,p=1$c2FsdA$" + strings.Repeat("A", 43), "$firebase-scrypt$ln=14,r=8,p=2,sep=Bw,key=AAAA$$AAAA",
		"$2a$04$abcdefghijklmnopqrstuu5s2v8.iXieOjg/.AySBTTZIIVFJeBui"} {
		if Valid(s) {
			t.Errorf("%q valid", s)
		}
		if ok, known := Verify("appwrite", s); ok || known {
			t.Errorf("%q: ok %v known %v", s, ok, known)
		}
	}
}

// FuzzVerify: no stored string makes Verify panic or accept a password
// that Valid would refuse.
func FuzzVerify(f *testing.F) {
	f.Add("appwrite", appwritePHPass)
	f.Add("appwrite", "$plain-md5$"+appwriteMD5)
	f.Add("x", "$scrypt$ln=4,r=1,p=1$c2FsdA$"+strings.Repeat("A", 22))
	f.Add("x", "$firebase-scrypt$ln=4,r=1,p=1,sep=Bw,key="+strings.Repeat("A", 22)+"$c2FsdA$"+strings.Repeat("A", 22))
	f.Fuzz(func(t *testing.T, password, encoded string) {
		ok, known := Verify(password, encoded)
		if known != Valid(encoded) {
			t.Fatalf("known %v but Valid %v", known, Valid(encoded))
		}
		if ok && !known {
			t.Fatal("ok but not known")
		}
	})
}
