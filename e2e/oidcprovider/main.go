// Command oidcprovider runs a real OpenID Connect provider on loopback for
// the end-to-end tests (e2e/oauth.test.mjs): github.com/oauth2-proxy/mockoidc
// on 127.0.0.1 (a free port unless -addr is given), with discovery, JWKS,
// authorize (auto-approved), token (authorization_code with PKCE and nonce,
// refresh_token) and userinfo endpoints.
//
// Every authorize request signs in the same user (-sub, -email, -username,
// email_verified true): the user is queued again before each request, since
// mockoidc's queue is consumed by every authorize call.
//
// Once listening it prints one JSON line on stdout:
//
//	{"issuer":"http://127.0.0.1:P/oidc","clientId":"…","clientSecret":"…","sub":"…","email":"…","username":"…"}
//
// then serves until it gets SIGINT or SIGTERM, or its stdin reaches EOF
// (so that it never outlives the test process that started it).
package main

import (
	"context"
	"encoding/json"
	"flag"
	"fmt"
	"io"
	"log"
	"net"
	"net/http"
	"os"
	"os/signal"
	"syscall"
	"time"

	"github.com/oauth2-proxy/mockoidc"
)

func main() {
	addr := flag.String("addr", "127.0.0.1:0", "listen address")
	sub := flag.String("sub", "oidc-user-0001", "subject of the signed-in user")
	email := flag.String("email", "oidc-user@example.com", "email of the signed-in user (email_verified true)")
	username := flag.String("username", "oidc.user", "preferred_username of the signed-in user")
	flag.Parse()
	log.SetFlags(0)
	log.SetPrefix("oidcprovider: ")

	m, err := mockoidc.NewServer(nil)
	if err != nil {
		log.Fatal(err)
	}
	user := &mockoidc.MockUser{
		Subject:           *sub,
		Email:             *email,
		EmailVerified:     true,
		PreferredUsername: *username,
		Groups:            []string{"testers"},
	}
	// Queue the user for every authorize request (an empty queue would
	// give mockoidc's DefaultUser, jane.doe@example.com).
	err = m.AddMiddleware(func(next http.Handler) http.Handler {
		return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			if r.URL.Path == mockoidc.AuthorizationEndpoint {
				m.UserQueue.Lock()
				empty := len(m.UserQueue.Queue) == 0
				m.UserQueue.Unlock()
				if empty {
					m.QueueUser(user)
				}
			}
			next.ServeHTTP(w, r)
		})
	})
	if err != nil {
		log.Fatal(err)
	}

	ln, err := net.Listen("tcp", *addr)
	if err != nil {
		log.Fatal(err)
	}
	if err := m.Start(ln, nil); err != nil {
		log.Fatal(err)
	}

	cfg := m.Config()
	line, err := json.Marshal(map[string]string{
		"issuer":       cfg.Issuer,
		"clientId":     cfg.ClientID,
		"clientSecret": cfg.ClientSecret,
		"sub":          user.Subject,
		"email":        user.Email,
		"username":     user.PreferredUsername,
	})
	if err != nil {
		log.Fatal(err)
	}
	fmt.Println(string(line))

	stop := make(chan os.Signal, 1)
	signal.Notify(stop, syscall.SIGINT, syscall.SIGTERM)
	stdinClosed := make(chan struct{})
	go func() {
		_, _ = io.Copy(io.Discard, os.Stdin)
		close(stdinClosed)
	}()
	select {
	case <-stop:
	case <-stdinClosed:
	}
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	_ = m.Server.Shutdown(ctx)
}
