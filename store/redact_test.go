package store

import (
	"strings"
	"testing"
)

func TestRedactDSN(t *testing.T) {
	for _, tc := range []struct{ dsn, secret string }{
		{"postgres://user:s3cr3t-pw@db.example.com:5432/app?sslmode=disable", "s3cr3t-pw"},
		{"postgresql://user:p%40ss%3Aword@db/app", "p@ss:word"},
		{"postgres://user:s3cr3t-pw@db/app?sslpassword=k3y-pass", "k3y-pass"},
		{"host=db user=u password=s3cr3t-pw dbname=app", "s3cr3t-pw"},
		{`host=db password='it\'s s3cr3t' dbname=app`, "s3cr3t"},
		{"redis://:r3dis-pw@cache:6379/0", "r3dis-pw"},
		{"rediss://user:r3dis-pw@cache:6379/notanumber", "r3dis-pw"},
		{"redis-sentinel://:sent-pw@s1:26379/0?master_name=m&password=mast3r-pw", "mast3r-pw"},
		{"postgres://user:broken:pw@@db/app", "broken:pw@"},
	} {
		if got := RedactDSN(tc.dsn); strings.Contains(got, tc.secret) || !strings.Contains(got, Mask) {
			t.Errorf("RedactDSN(%q) = %q", tc.dsn, got)
		}
	}
	if got := RedactDSN("./data/app.db"); got != "./data/app.db" {
		t.Errorf("a path without secrets changed: %q", got)
	}
}
