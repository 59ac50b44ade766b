package main

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"os"
	"path/filepath"
	"strings"
	"time"

	"github.com/sourcegraph/conc/panics"

	"github.com/rollcall-dev/rollcall/config"
	"github.com/rollcall-dev/rollcall/connectors"
	"github.com/rollcall-dev/rollcall/connectors/all"
	"github.com/rollcall-dev/rollcall/crm"
	"github.com/rollcall-dev/rollcall/crm/postgres"
	"github.com/rollcall-dev/rollcall/crm/sqlite"
	"github.com/rollcall-dev/rollcall/daemon"
)

// check is one line of rollcall doctor's table.
type check struct {
	what   string
	status string // "ok", "warn" or "FIX"
	detail string
}

func cmdDoctor(ctx context.Context, e *cliEnv, args []string) error {
	fs := e.newFlags("doctor", "", "Check the configuration, the store, every source's credentials against its service,\nand the systemd unit if installed; print what is fine and what to fix.\nExit status 1 if anything must be fixed.")
	unitPath := fs.String("unit", "/etc/systemd/system/rollcall.service", "installed unit `file` to check (skipped when absent)")
	timeout := fs.Duration("timeout", 10*time.Second, "how long to wait for each service (a service out of reach is a warning, not a failure)")
	if _, err := e.parse(fs, args); err != nil {
		return err
	}
	var checks []check
	add := func(what, status, detail string) { checks = append(checks, check{what, status, detail}) }

	// Configuration.
	path := e.configPath
	if path == "" {
		path = config.DefaultPath()
	}
	cfg, err := config.Load(path)
	if err != nil {
		var ces config.Errors
		var ce *config.Error
		switch {
		case errors.As(err, &ces):
			for _, c := range ces {
				add("config", "FIX", c.Error())
			}
		case errors.As(err, &ce):
			add("config", "FIX", ce.Error())
		default:
			add("config", "FIX", err.Error())
		}
	} else {
		add("config", "ok", fmt.Sprintf("%s: %d sources", cfg.File, len(cfg.Sources)))
	}

	// Store.
	storePath := e.storePath
	if storePath == "" && cfg != nil {
		storePath = cfg.Store
	}
	var profiles connectors.ProfileAges
	if storePath != "" {
		st, status, detail := checkStore(ctx, storePath)
		add("store", status, detail)
		if st != nil {
			defer st.Close()
			if pa, ok := st.(connectors.ProfileAges); ok {
				profiles = pa
			}
			// Which replica fetches each source (crm.Lease).
			if ls, err := st.Leases(ctx); err != nil {
				add("leases", "warn", err.Error())
			} else {
				for _, status := range leaseStatus(ls, e.now()) {
					add("lease "+status[0], "ok", status[1])
				}
			}
		}
	}

	// Sources: credentials against each service.
	if cfg != nil {
		for i, src := range cfg.Sources {
			one := &config.Config{File: cfg.File, Sources: []config.Source{src}}
			srcs, err := daemon.BuildSources(one, all.Kinds(), connectors.Options{Logger: slog.New(slog.DiscardHandler), Profiles: profiles, Version: version}, nil)
			what := fmt.Sprintf("source %s (%s)", src.Name, src.Type)
			if err != nil {
				add(what, "FIX", err.Error())
				continue
			}
			// Which credentials, told without I/O: shown even when the
			// service cannot be reached.
			auth := ""
			if ad, ok := srcs[0].Connector.(connectors.AuthDescriber); ok {
				auth = "auth: " + ad.AuthKind() + "; "
			}
			ck, ok := srcs[0].Connector.(connectors.Checker)
			if !ok {
				add(what, "warn", auth+"this connector cannot check its credentials")
				continue
			}
			cctx, cancel := context.WithTimeout(ctx, *timeout)
			var detail string
			if r := panics.Try(func() { detail, err = ck.Check(cctx) }); r != nil {
				err = fmt.Errorf("the check panicked: %v", r.Value)
			}
			cancel()
			var un *connectors.ErrUnauthorized
			var rl *connectors.ErrRateLimited
			switch {
			case errors.As(err, &un):
				add(what, "FIX", auth+fmt.Sprintf("the service refused the credentials: check token for source %s (sources[%d] in %s)", src.Name, i, cfg.File))
			case errors.As(err, &rl):
				add(what, "warn", auth+fmt.Sprintf("rate limited until %s; credentials not checked", rl.Until.UTC().Format(time.RFC3339)))
			case unreachable(err):
				add(what, "warn", auth+"could not reach the service, credentials not checked: "+err.Error())
			case err != nil:
				add(what, "FIX", auth+"cannot check: "+err.Error())
			default:
				add(what, "ok", auth+detail)
			}
		}
	}

	// The systemd unit, if installed.
	if _, err := os.Stat(*unitPath); err == nil {
		status, detail := checkUnit(*unitPath)
		add("unit "+*unitPath, status, detail)
	} else {
		add("unit", "ok", *unitPath+" not installed (see systemd/README.md)")
	}

	rows := [][]string{{"CHECK", "STATUS", "DETAIL"}}
	fix := 0
	for _, c := range checks {
		rows = append(rows, []string{c.what, c.status, c.detail})
		if c.status == "FIX" {
			fix++
		}
	}
	writeTable(e.stdout, rows, e.width(), nil) // details are never cut: they say what to fix
	if fix > 0 {
		return fmt.Errorf("doctor: %d thing(s) to fix", fix)
	}
	fmt.Fprintln(e.stdout, "\nall fine")
	return nil
}

// unreachable reports whether err means that the service could not be
// reached (no network, no DNS, a refused connection, no answer within the
// timeout) rather than that it answered no: doctor then warns instead of
// failing, since nothing in the configuration is known to be wrong.
func unreachable(err error) bool {
	if err == nil {
		return false
	}
	var (
		op  *net.OpError
		dns *net.DNSError
	)
	return errors.As(err, &op) || errors.As(err, &dns) ||
		errors.Is(err, context.DeadlineExceeded) || errors.Is(err, os.ErrDeadlineExceeded)
}

// leaseStatus says, per lease, who holds it: [name, detail] pairs.
func leaseStatus(ls []crm.Lease, now time.Time) [][2]string {
	var out [][2]string
	for _, l := range ls {
		name := l.Source
		if name == crm.ResolverLease {
			name = "resolver"
		}
		if l.Held(now) {
			out = append(out, [2]string{name, fmt.Sprintf("held by %s until %s (token %d)", l.Holder, l.Expires.UTC().Format(time.RFC3339), l.Token)})
		} else {
			out = append(out, [2]string{name, fmt.Sprintf("not held (last %s, token %d, until %s)", l.Holder, l.Token, l.Expires.UTC().Format(time.RFC3339))})
		}
	}
	return out
}

// doctorStore is what doctor checks of a store.
type doctorStore interface {
	Migrations(ctx context.Context) (current, latest int, err error)
	CheckWritable(ctx context.Context) error
	Leases(ctx context.Context) ([]crm.Lease, error)
	Close() error
}

// checkStore opens the store (applying its migrations, as every command
// does) and checks its schema version and that it can write. It does not
// create a missing SQLite file; messages never show a PostgreSQL password.
func checkStore(ctx context.Context, path string) (doctorStore, string, string) {
	var st doctorStore
	name, status := path, "ok"
	if isPostgresURL(path) {
		ps, err := postgres.Open(ctx, path)
		if err != nil {
			return nil, "FIX", err.Error()
		}
		st, name = ps, postgres.Redact(path)
	} else {
		if _, err := os.Stat(path); errors.Is(err, os.ErrNotExist) {
			dir := filepath.Dir(path)
			if fi, err := os.Stat(dir); err != nil || !fi.IsDir() {
				return nil, "FIX", fmt.Sprintf("%s does not exist and its directory %s is missing", path, dir)
			}
			return nil, "ok", fmt.Sprintf("%s not created yet; the first run creates it", path)
		}
		ss, err := sqlite.Open(ctx, path)
		if err != nil {
			return nil, "FIX", err.Error()
		}
		st = ss
	}
	cur, latest, err := st.Migrations(ctx)
	if err != nil {
		st.Close()
		return nil, "FIX", err.Error()
	}
	if err := st.CheckWritable(ctx); err != nil {
		return st, "FIX", fmt.Sprintf("%s is not writable: %v", name, err)
	}
	return st, status, fmt.Sprintf("%s: migrations %d/%d, writable", name, cur, latest)
}

// checkUnit checks an installed unit file: the settings rollcall relies on,
// and that its ExecStart binary exists.
func checkUnit(path string) (string, string) {
	b, err := os.ReadFile(path)
	if err != nil {
		return "FIX", err.Error()
	}
	text := string(b)
	var missing []string
	for _, want := range []string{"Type=notify", "WatchdogSec=", "StateDirectory=rollcall", "ExecReload="} {
		if !strings.Contains(text, want) {
			missing = append(missing, want)
		}
	}
	for _, line := range strings.Split(text, "\n") {
		if exe, ok := strings.CutPrefix(strings.TrimSpace(line), "ExecStart="); ok {
			bin := strings.Fields(strings.TrimLeft(exe, "-@+!:"))
			if len(bin) > 0 {
				if _, err := os.Stat(bin[0]); err != nil {
					return "FIX", fmt.Sprintf("ExecStart binary %s is missing: install it (go build -o %s .)", bin[0], bin[0])
				}
			}
		}
	}
	if len(missing) > 0 {
		return "warn", "differs from systemd/rollcall.service: lacks " + strings.Join(missing, ", ")
	}
	return "ok", "Type=notify with watchdog, state directory and reload"
}
