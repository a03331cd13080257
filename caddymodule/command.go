package caddymodule

import (
	"context"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"os/signal"
	"sort"
	"strings"
	"sync"
	"time"

	"github.com/caddyserver/caddy/v2"
	caddycmd "github.com/caddyserver/caddy/v2/cmd"

	"github.com/accountgate/accountgate/account"
	"github.com/accountgate/accountgate/account/admin"
	"github.com/accountgate/accountgate/account/assertion"
	"github.com/accountgate/accountgate/account/core"
)

func init() {
	caddycmd.RegisterCommand(caddycmd.Command{
		Name:  "accountgate",
		Usage: "users <" + strings.Join(admin.Actions, "|") + "> [<user id>] [<labels>] | import [--format appwrite|csv|json] <file> | assertion-keys <list|rotate>  --config <path> [--adapter <name>] --project <id> [--json]",
		Short: "Manages the users and assertion keys of an Accountgate project, and imports users",
		Long: `
Manages the users of one project of the accountgate app, in the store the
configuration names (the same Caddyfile or JSON the server runs with),
without starting any server:

  users list [--limit <n>] [--after <user id>]   the users, oldest first
  users show <user id>                           one user and their sessions
  users block <user id>                          refuse the user everywhere
  users unblock <user id>                        let the user in again
  users sign-out <user id>                       delete every session
  users delete <user id>                         delete the user and all of theirs
  users set-password <user id>                   set the password read from stdin
  users label <user id> [<label>,<label>…]       set the user's labels (none clears)
  assertion-keys list                            the key ids in the JWKS, signing key first
  assertion-keys rotate                          a new signing key; the previous one stays
                                                 in the JWKS for an hour, then goes
  import [--format appwrite|csv|json|firebase] [--hash-config <file>] <file>
                                                 import users with their password hashes
                                                 (see docs/operations.md); "-" reads stdin

Changes go through the same code as the API: with a shared cache (Redis)
every running instance refuses a blocked user or a deleted session at once;
with one instance and no cache, within its cache_ttl (10s by default).
A rotated assertion key is used at once by instances that share a cache,
else within a minute (the previous key verifies meanwhile).
--json prints JSON instead of lines.`,
		Flags: func() *flag.FlagSet {
			fs := flag.NewFlagSet("accountgate", flag.ExitOnError)
			fs.String("config", "", "Configuration file (default: ./Caddyfile)")
			fs.String("adapter", "", "Name of config adapter to apply")
			fs.String("project", "", "The accountgate project id")
			fs.Bool("json", false, "Print JSON")
			fs.Int("limit", 0, "users list: print at most this many users (default all)")
			fs.String("after", "", "users list: start after this user id")
			fs.String("format", "", "import: appwrite, csv, json or firebase (default: csv for a .csv file, else by the content)")
			fs.String("hash-config", "", "import: file with the Firebase project's password hash parameters (hash_config { … } as the console shows it)")
			return fs
		}(),
		Func: cmdAccountgate,
	})
}

// cmdAccountgate is `caddy accountgate`.
func cmdAccountgate(fl caddycmd.Flags) (int, error) {
	args := fl.Args()
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt)
	defer stop()
	if len(args) == 2 && args[0] == "assertion-keys" {
		err := runAssertionKeys(ctx, fl.String("config"), fl.String("adapter"), fl.String("project"), args[1],
			fl.Bool("json"), os.Stdout, os.Stderr)
		if err != nil {
			return caddy.ExitCodeFailedStartup, err
		}
		return caddy.ExitCodeSuccess, nil
	}
	if len(args) > 0 && args[0] == "import" {
		return cmdImport(fl)
	}
	if len(args) < 2 || args[0] != "users" {
		return caddy.ExitCodeFailedStartup, fmt.Errorf("usage: caddy accountgate users <%s> [<user id>] --config <path> --project <id>",
			strings.Join(admin.Actions, "|"))
	}
	err := runAdmin(ctx, adminRun{
		config: fl.String("config"), adapter: fl.String("adapter"), project: fl.String("project"),
		action: args[1], args: args[2:],
		opts: admin.Options{JSON: fl.Bool("json"), Limit: fl.Int("limit"), After: fl.String("after"),
			Stdin: os.Stdin, Stdout: os.Stdout},
		stderr: os.Stderr,
	})
	if err != nil {
		return caddy.ExitCodeFailedStartup, err
	}
	return caddy.ExitCodeSuccess, nil
}

// adminRun is one run of the users command.
type adminRun struct {
	config, adapter, project string
	action                   string
	args                     []string
	opts                     admin.Options
	stderr                   io.Writer
	// wait bounds the wait for the revocation channel; default
	// broadcastWait.
	wait time.Duration
}

// broadcastWait bounds the wait for the revocation channel before a
// change.
const broadcastWait = 5 * time.Second

// runAdmin loads the configuration, opens the project and runs the action.
func runAdmin(ctx context.Context, r adminRun) error {
	if r.project == "" {
		return errors.New("--project is required: the id of a project of the accountgate app")
	}
	if err := admin.Check(r.action, r.args); err != nil {
		return err
	}
	cfgJSON, _, _, err := caddycmd.LoadConfig(r.config, r.adapter)
	if err != nil {
		return err
	}
	if cfgJSON == nil {
		return errors.New("no configuration: give --config (and --adapter caddyfile for a Caddyfile not named Caddyfile)")
	}
	svc, closeProject, err := openProject(cfgJSON, r.project)
	if err != nil {
		return err
	}
	defer closeProject()
	if admin.Mutates(r.action) {
		// A change made before the channel is up would not be
		// broadcast. Better late than never: the operator is told, and
		// the change still holds everywhere once caches expire.
		wait := r.wait
		if wait <= 0 {
			wait = broadcastWait
		}
		if err := svc.WaitBroadcastReady(ctx, wait); err != nil {
			fmt.Fprintf(r.stderr, "warning: %v; other instances may trust cached sessions of this user for up to their cache_ttl\n", err)
		}
	}
	return admin.Users(ctx, svc.Users(), r.action, r.args, r.opts)
}

// openProject builds the service of one project of the configuration
// cfgJSON as Caddy would (Provision, then the project's start), but
// starts no server and no background work other than receiving
// revocations. The returned function stops and releases everything.
func openProject(cfgJSON []byte, project string) (*account.Service, func(), error) {
	svc, _, closeProject, err := openProjectStore(cfgJSON, project)
	return svc, closeProject, err
}

// openProjectStore is openProject that also returns the project's store.
func openProjectStore(cfgJSON []byte, project string) (*account.Service, core.Store, func(), error) {
	app, err := provisionProject(cfgJSON, project)
	if err != nil {
		return nil, nil, nil, err
	}
	svc, err := app.startProject(project)
	if err != nil {
		app.Cleanup()
		return nil, nil, nil, app.redact(fmt.Errorf("project %s: %w", project, err))
	}
	ctx, cancel := context.WithCancel(context.Background())
	var wg sync.WaitGroup
	wg.Go(func() { svc.ReceiveRevocations(ctx) })
	return svc, app.stores[project], func() {
		cancel()
		wg.Wait()
		app.Cleanup()
	}, nil
}

// runAssertionKeys lists or rotates a project's assertion keys. A
// rotation is announced on the revocation channel, so instances sharing
// a cache load the new key at once (the others within a minute).
func runAssertionKeys(ctx context.Context, config, adapter, project, action string, jsonOut bool, stdout, stderr io.Writer) error {
	if action != "list" && action != "rotate" {
		return fmt.Errorf("unknown action %q: assertion-keys list|rotate", action)
	}
	if project == "" {
		return errors.New("--project is required: the id of a project of the accountgate app")
	}
	cfgJSON, _, _, err := caddycmd.LoadConfig(config, adapter)
	if err != nil {
		return err
	}
	if cfgJSON == nil {
		return errors.New("no configuration: give --config (and --adapter caddyfile for a Caddyfile not named Caddyfile)")
	}
	svc, st, closeProject, err := openProjectStore(cfgJSON, project)
	if err != nil {
		return err
	}
	defer closeProject()
	// Loaded as they are: listing makes no key; the first rotation of a
	// project without keys makes its first.
	cfg, err := keysConfig(st, svc)
	if err != nil {
		return err
	}
	keys := assertion.NewKeys()
	if err := keys.Load(ctx, cfg); err != nil {
		return err
	}
	out := struct {
		Rotated string   `json:"rotated,omitempty"`
		Keys    []string `json:"keys"`
	}{}
	if action == "rotate" {
		if err := svc.WaitBroadcastReady(ctx, broadcastWait); err != nil {
			fmt.Fprintf(stderr, "warning: %v; other instances load the new key within %s\n", err, assertion.ReloadEvery)
		}
		if out.Rotated, err = keys.Rotate(ctx); err != nil {
			return err
		}
		svc.Broadcast(ctx, core.Revocation{AssertionKeys: true})
	}
	out.Keys = keys.KeyIDs()
	if out.Keys == nil {
		out.Keys = []string{}
	}
	if jsonOut {
		return json.NewEncoder(stdout).Encode(out)
	}
	if out.Rotated != "" {
		fmt.Fprintf(stdout, "rotated: new signing key %s\n", out.Rotated)
	}
	if len(out.Keys) == 0 {
		fmt.Fprintln(stdout, "no assertion keys yet: the first start with a gate that sends assertions makes one")
	}
	for i, kid := range out.Keys {
		role := "retired, in the JWKS until its overlap ends"
		if i == 0 {
			role = "signing"
		}
		fmt.Fprintf(stdout, "%s\t%s\n", kid, role)
	}
	return nil
}

// provisionProject provisions the accountgate app of the configuration
// cfgJSON with the one project, starting nothing.
func provisionProject(cfgJSON []byte, project string) (*App, error) {
	raw, err := projectOnly(cfgJSON, project)
	if err != nil {
		return nil, err
	}
	var logging caddy.Logging
	// Warnings and errors only: the output is the command's.
	_ = json.Unmarshal([]byte(`{"logs":{"default":{"level":"WARN"}}}`), &logging)
	cfg := &caddy.Config{Admin: &caddy.AdminConfig{Disabled: true}, Logging: &logging,
		AppsRaw: caddy.ModuleMap{"accountgate": raw}}
	cctx, err := caddy.ProvisionContext(cfg)
	if err != nil {
		return nil, err
	}
	v, err := cctx.App("accountgate")
	if err != nil {
		return nil, err
	}
	return v.(*App), nil
}

// projectOnly returns the accountgate app of the configuration with the
// one project, so that no other project's store is opened.
func projectOnly(cfgJSON []byte, project string) (json.RawMessage, error) {
	var cfg struct {
		Apps map[string]json.RawMessage `json:"apps"`
	}
	if err := json.Unmarshal(cfgJSON, &cfg); err != nil {
		return nil, fmt.Errorf("reading the configuration: %w", err)
	}
	raw, ok := cfg.Apps["accountgate"]
	if !ok {
		return nil, errors.New("the configuration has no accountgate app (global option: accountgate { project <id> { … } })")
	}
	var app map[string]json.RawMessage
	if err := json.Unmarshal(raw, &app); err != nil {
		return nil, fmt.Errorf("reading the accountgate app: %w", err)
	}
	var projects map[string]json.RawMessage
	if p, ok := app["projects"]; ok {
		if err := json.Unmarshal(p, &projects); err != nil {
			return nil, fmt.Errorf("reading the accountgate projects: %w", err)
		}
	}
	one, ok := projects[project]
	if !ok {
		known := make([]string, 0, len(projects))
		for id := range projects {
			known = append(known, id)
		}
		sort.Strings(known)
		return nil, fmt.Errorf("unknown project %q (configured: %s)", project, strings.Join(known, ", "))
	}
	app["projects"], _ = json.Marshal(map[string]json.RawMessage{project: one})
	return json.Marshal(app)
}
