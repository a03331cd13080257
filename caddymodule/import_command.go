package caddymodule

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"os/signal"

	"github.com/caddyserver/caddy/v2"
	caddycmd "github.com/caddyserver/caddy/v2/cmd"

	"github.com/accountgate/accountgate/account/core"
	"github.com/accountgate/accountgate/account/userimport"
)

// cmdImport is `caddy accountgate import [--format f] <file>`. Its exit
// status is 0 only if every row was imported or already there.
func cmdImport(fl caddycmd.Flags) (int, error) {
	args := fl.Args()
	if len(args) != 2 || args[1] == "" {
		return caddy.ExitCodeFailedStartup, errors.New("usage: caddy accountgate import [--format appwrite|csv|json|firebase] [--hash-config <file>] <file> --config <path> --project <id>")
	}
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt)
	defer stop()
	err := runImport(ctx, importRun{
		config: fl.String("config"), adapter: fl.String("adapter"), project: fl.String("project"),
		file: args[1], format: fl.String("format"), hashConfig: fl.String("hash-config"), json: fl.Bool("json"),
		stdin: os.Stdin, stdout: os.Stdout, stderr: os.Stderr,
	})
	if err != nil {
		return caddy.ExitCodeFailedStartup, err
	}
	return caddy.ExitCodeSuccess, nil
}

// importRun is one run of the import command.
type importRun struct {
	config, adapter, project string
	file, format             string
	// hashConfig names the file of a Firebase project's hash parameters.
	hashConfig     string
	json           bool
	stdin          io.Reader
	stdout, stderr io.Writer
}

// errRowsFailed is the error of an import some rows of which failed.
type errRowsFailed struct{ n int }

func (e errRowsFailed) Error() string {
	return fmt.Sprintf("%d rows were not imported (reported above by line)", e.n)
}

// runImport loads the configuration, opens the project's store and
// imports the file into it. Failed rows go to stderr, the summary to
// stdout.
func runImport(ctx context.Context, r importRun) error {
	if r.project == "" {
		return errors.New("--project is required: the id of a project of the accountgate app")
	}
	var data []byte
	var err error
	if r.file == "-" {
		data, err = io.ReadAll(r.stdin)
	} else {
		data, err = os.ReadFile(r.file)
	}
	if err != nil {
		return err
	}
	format := r.format
	if format == "" {
		format = userimport.DetectFormat(r.file, data)
	}
	var fb *userimport.FirebaseHashConfig
	if r.hashConfig != "" {
		text, err := os.ReadFile(r.hashConfig)
		if err != nil {
			return err
		}
		if fb, err = userimport.ParseFirebaseHashConfig(text); err != nil {
			return fmt.Errorf("%s: %w", r.hashConfig, err)
		}
	}
	cfgJSON, _, _, err := caddycmd.LoadConfig(r.config, r.adapter)
	if err != nil {
		return err
	}
	if cfgJSON == nil {
		return errors.New("no configuration: give --config (and --adapter caddyfile for a Caddyfile not named Caddyfile)")
	}
	im, closeStore, err := openImporter(cfgJSON, r.project)
	if err != nil {
		return err
	}
	defer closeStore()
	sum, err := userimport.Import(ctx, im, bytes.NewReader(data), userimport.Options{Format: format, Firebase: fb, Report: r.stderr})
	if err != nil {
		return err
	}
	if r.json {
		b, _ := json.Marshal(map[string]int{"created": sum.Created, "unchanged": sum.Unchanged, "failed": sum.Failed})
		fmt.Fprintln(r.stdout, string(b))
	} else {
		fmt.Fprintf(r.stdout, "%d users imported, %d unchanged (already there), %d failed\n", sum.Created, sum.Unchanged, sum.Failed)
	}
	if sum.Failed > 0 {
		return errRowsFailed{sum.Failed}
	}
	return nil
}

// openImporter opens the store of one project of the configuration, as
// Caddy would, and nothing else: an import writes users only, and new
// users have no session any instance could have cached.
func openImporter(cfgJSON []byte, project string) (core.UserImporter, func(), error) {
	app, err := provisionProject(cfgJSON, project)
	if err != nil {
		return nil, nil, err
	}
	p := app.Projects[project]
	st, err := acquireStore(app.ctx, p.Store)
	if err != nil {
		app.Cleanup()
		return nil, nil, app.redact(fmt.Errorf("project %s: %w", project, err))
	}
	app.acquired = append(app.acquired, p.Store)
	im, ok := st.(core.UserImporter)
	if !ok {
		app.Cleanup()
		return nil, nil, fmt.Errorf("project %s: the %s store cannot import users", project, p.Store.Kind)
	}
	return im, func() { app.Cleanup() }, nil
}
