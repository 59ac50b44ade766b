package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"os"
	"text/tabwriter"
	"time"

	"github.com/rollcall-dev/rollcall/config"
	"github.com/rollcall-dev/rollcall/connectors"
	"github.com/rollcall-dev/rollcall/connectors/all"
	"github.com/rollcall-dev/rollcall/daemon"
	"github.com/rollcall-dev/rollcall/identity"
)

type daemonStore = daemon.Store

// pipeline is a daemon wired to a store, ready to run.
type pipeline struct {
	d     *daemon.Daemon
	store store
	log   *slog.Logger
	rep   *progress
}

// newPipeline opens the store and builds every configured source.
func (e *cliEnv) newPipeline(ctx context.Context, cfg *config.Config, transport http.RoundTripper) (*pipeline, error) {
	log, err := e.logger()
	if err != nil {
		return nil, err
	}
	st, path, err := e.openStore(ctx, cfg)
	if err != nil {
		return nil, err
	}
	sources, err := daemon.BuildSources(cfg, all.Kinds(), connectors.Options{
		Logger:   log,
		HTTP:     transport,
		Profiles: st,
		Version:  version,
	})
	if err != nil {
		st.Close()
		return nil, err
	}
	log.Info("store open", "path", path, "sources", len(sources))
	rep := newProgress(e.stderr, e.getenv, e.quiet)
	d := daemon.New(daemon.Options{
		Store:    st,
		Resolver: &identity.Resolver{Logger: log},
		Sources:  sources,
		Logger:   log,
		Reporter: rep,
	})
	return &pipeline{d: d, store: st, log: log, rep: rep}, nil
}

func cmdRun(ctx context.Context, e *cliEnv, args []string) error {
	fs := e.newFlags("run", "", "Run the daemon: poll every configured source on its interval until SIGINT or SIGTERM.")
	fs.BoolVar(&e.quiet, "quiet", false, "no live progress on a terminal")
	if _, err := e.parse(fs, args); err != nil {
		return err
	}
	cfg, err := e.loadConfig(false)
	if err != nil {
		return err
	}
	if len(cfg.Sources) == 0 {
		return fmt.Errorf("%s: no sources configured: add one under sources:", cfg.File)
	}
	p, err := e.newPipeline(ctx, cfg, nil)
	if err != nil {
		return err
	}
	return p.runUntilDone(ctx)
}

// runUntilDone runs the daemon until ctx ends, then closes the store within
// the shutdown budget.
func (p *pipeline) runUntilDone(ctx context.Context) error {
	p.log.Info("rollcall running", "version", version)
	err := p.d.Run(ctx)
	p.rep.stop()
	p.log.Info("shutting down")
	if cerr := p.store.Close(); cerr != nil && err == nil {
		err = fmt.Errorf("close store: %w", cerr)
	}
	return err
}

func cmdSync(ctx context.Context, e *cliEnv, args []string) error {
	fs := e.newFlags("sync", "", "Sync every configured source once and print a per-source summary.")
	once := fs.Bool("once", false, "run one pass of every source, then exit (required)")
	fs.BoolVar(&e.quiet, "quiet", false, "no live progress on a terminal")
	if _, err := e.parse(fs, args); err != nil {
		return err
	}
	if !*once {
		return usageErr("sync: only --once is supported; use 'rollcall run' to keep polling")
	}
	cfg, err := e.loadConfig(false)
	if err != nil {
		return err
	}
	p, err := e.newPipeline(ctx, cfg, nil)
	if err != nil {
		return err
	}
	defer p.store.Close()
	sums := p.d.SyncOnce(ctx)
	p.rep.stop()
	return printSummary(ctx, e.stdout, p.store, sums)
}

// printSummary writes the per-source table and returns an error naming the
// sources that failed.
func printSummary(ctx context.Context, w io.Writer, st queryStore, sums []daemon.Summary) error {
	tw := tabwriter.NewWriter(w, 0, 0, 2, ' ', 0)
	fmt.Fprintln(tw, "SOURCE\tNEW ACTIVITIES\tNEW ACCOUNTS\tREQUESTS\t304s\tTIME\tSTATUS")
	var failed []error
	for _, s := range sums {
		status := "ok"
		if s.Err != nil {
			status = "error: " + s.Err.Error()
			failed = append(failed, s.Err)
		}
		fmt.Fprintf(tw, "%s\t%d\t%d\t%d\t%d\t%s\t%s\n", s.Source, s.NewActivities, s.NewAccounts, s.Requests, s.NotModified, s.Duration.Round(10*time.Millisecond), status)
	}
	tw.Flush()
	if st != nil {
		if n, acts, err := totals(ctx, st); err == nil {
			fmt.Fprintf(w, "\nstore: %d members, %d activities\n", n, acts)
		}
	}
	if len(failed) > 0 {
		return fmt.Errorf("%d of %d sources failed: %w", len(failed), len(sums), errors.Join(failed...))
	}
	return nil
}

func cmdVersion(ctx context.Context, e *cliEnv, args []string) error {
	fs := e.newFlags("version", "", "Print rollcall's version.")
	if _, err := e.parse(fs, args); err != nil {
		return err
	}
	fmt.Fprintf(e.stdout, "rollcall %s\n", version)
	return nil
}

// flagWasSet reports whether a flag was given on the command line.
func flagWasSet(fs *flag.FlagSet, name string) bool {
	set := false
	fs.Visit(func(f *flag.Flag) {
		if f.Name == name {
			set = true
		}
	})
	return set
}

var _ = os.Stderr
