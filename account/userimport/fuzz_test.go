package userimport

import (
	"bytes"
	"testing"
	"time"
)

// fuzzRows reads data in format and checks what every parser of
// untrusted files must hold: no panic, every row has a line within the
// file, lines never go back, and a row is either a record or an error.
func fuzzRows(t *testing.T, format string, data []byte) {
	total := bytes.Count(data, []byte{'\n'}) + 1
	last := 0
	fb := &FirebaseHashConfig{SignerKey: "jxspr8Ki0RYycVU8zykbdLGjFQ3McFUH0uiiTvC8pVMXAn210wjLNmdZJzxUECKbm0QsEmYUSDzZvpjeJ9WmXA==",
		SaltSeparator: "Bw==", Rounds: 8, MemCost: 14}
	err := read(format, data, fb, func(line int, rec *record, err error) error {
		if line < 1 || line > total {
			t.Fatalf("line %d of a %d-line file", line, total)
		}
		if line < last && format != "csv" {
			t.Fatalf("line %d after %d", line, last)
		}
		last = line
		if (rec == nil) == (err == nil) {
			t.Fatalf("line %d: record %v and error %v", line, rec, err)
		}
		if rec != nil {
			// Converting must not panic either, whatever the fields.
			rec.user(time.Unix(0, 0))
		}
		return nil
	})
	_ = err
}

func FuzzReadCSV(f *testing.F) {
	f.Add([]byte("userId,email,hash,password\nu1,a@example.com,md5,144fa7eaa4904e8ee120651997f70dcc\n"))
	f.Add([]byte("userId,prefs\nu1,\"{\n}\"\nu2,\"x\" y\n"))
	f.Add([]byte("userId,passwordCpu,hash,password,passwordSalt,passwordMemory,passwordParallel,passwordLength\nu,16384,scrypt,00,s,8,1,16\n"))
	f.Fuzz(func(t *testing.T, data []byte) { fuzzRows(t, "csv", data) })
}

func FuzzReadJSON(f *testing.F) {
	f.Add([]byte(`[{"userId":"u1","email":"a@example.com","hash":"sha","password":"00","passwordVersion":"sha1"}]`))
	f.Add([]byte("{\"userId\":\"u1\"}\n{\"userId\":2}\n{"))
	f.Add([]byte(`{"users":[{"localId":"u1","email":"a@example.com","passwordHash":"AA==","salt":"AA==","createdAt":"1486324451000","disabled":true}]}`))
	f.Add([]byte(`{"total":1,"users":[{"$id":"u","hash":"scryptMod","password":"AA","hashOptions":{"salt":"AA"}}]}{"users":[]}`))
	f.Fuzz(func(t *testing.T, data []byte) {
		fuzzRows(t, "json", data)
		fuzzRows(t, "appwrite", data)
		fuzzRows(t, "firebase", data)
	})
}
