package sms

import (
	"context"
	"errors"
	"strings"
	"testing"
)

func TestConsole(t *testing.T) {
	var b strings.Builder
	if err := NewConsole(&b).Send(context.Background(), testTo, testBody); err != nil {
		t.Fatal(err)
	}
	want := "----- sms (development console, contains secrets) -----\nTo: " + testTo + "\n\n" +
		testBody + "\n----- end of sms -----\n"
	if b.String() != want {
		t.Errorf("output:\n%s\nwant:\n%s", b.String(), want)
	}
}

func TestConsoleCanceled(t *testing.T) {
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	var b strings.Builder
	if err := NewConsole(&b).Send(ctx, testTo, testBody); !errors.Is(err, context.Canceled) {
		t.Fatalf("err = %v", err)
	}
	if b.Len() != 0 {
		t.Fatal("printed after cancel")
	}
}
