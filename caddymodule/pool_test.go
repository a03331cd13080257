package caddymodule

import (
	"context"
	"testing"
)

// TestStorePoolSharesAcrossReloads: a second config naming the same store
// (a reload) gets the open store, and it closes only with the last user.
func TestStorePoolSharesAcrossReloads(t *testing.T) {
	c := StoreConfig{Kind: "sqlite", DSN: t.TempDir() + "/pool.db"}
	a, err := acquireStore(context.Background(), c)
	if err != nil {
		t.Fatal(err)
	}
	b, err := acquireStore(context.Background(), c)
	if err != nil {
		t.Fatal(err)
	}
	if a != b {
		t.Fatal("the second acquire opened another store")
	}
	if err := releaseStore(c); err != nil {
		t.Fatal(err)
	}
	if _, err := b.SettingOrInit(context.Background(), "k", []byte("v")); err != nil {
		t.Fatalf("store closed while still in use: %v", err)
	}
	if err := releaseStore(c); err != nil {
		t.Fatal(err)
	}
	if _, err := b.SettingOrInit(context.Background(), "k", []byte("v")); err == nil {
		t.Fatal("store still open after the last release")
	}
	if _, err := acquireStore(context.Background(), StoreConfig{Kind: "nosuch", DSN: "x"}); err == nil {
		t.Fatal("unknown store kind accepted")
	}
}
