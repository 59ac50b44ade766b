package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"os"
	"os/signal"
	"syscall"
	"text/tabwriter"
	"time"

	"github.com/KimMachineGun/automemlimit/memlimit"
	"github.com/sourcegraph/conc"

	"github.com/rollcall-dev/rollcall/config"
	"github.com/rollcall-dev/rollcall/connectors"
	"github.com/rollcall-dev/rollcall/connectors/all"
	"github.com/rollcall-dev/rollcall/crm"
	"github.com/rollcall-dev/rollcall/daemon"
	"github.com/rollcall-dev/rollcall/daemon/webhook"
	"github.com/rollcall-dev/rollcall/identity"
	"github.com/rollcall-dev/rollcall/web"
)

type daemonStore = daemon.Store

// notifier is what the service tells its supervisor (systemd): see package
// systemd. Every method is a no-op when not under systemd.
type notifier interface {
	Ready() error
	Reloading() error
	Stopping() error
	Status(line string) error
	Watchdog(ctx context.Context, alive func() bool) error
}

// pipeline is a daemon wired to a store, ready to run.
type pipeline struct {
	d       *daemon.Daemon
	store   store
	log     *slog.Logger
	rep     *progress
	metrics *daemon.Metrics
	cfg     *config.Config
	base    connectors.Options
	// scores keeps levels and the champions list up to date.
	scores *daemon.ScoreLoop
	status func()
	// hook delivers the outbox; nil without a webhook section.
	hook *webhook.Sender
	// announce, when set, is told the URL of the pages once the listener
	// is bound.
	announce func(url string)
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
	if !cfg.Privacy.KeepText {
		// Text excerpts are scored for sentiment and dropped before
		// storing; the ones stored while keep_text was true go now.
		st.SetKeepText(false)
		n, err := st.DeleteText(ctx)
		if err != nil {
			st.Close()
			return nil, err
		}
		log.Info("privacy.keep_text is false: text excerpts are not kept", "deleted", n)
	}
	size := storeSize(path)
	if isPostgresURL(path) {
		size = func() float64 { return 0 } // the file size of a SQLite store only
	}
	metrics := daemon.NewMetrics(size)
	base := connectors.Options{
		Logger:   log,
		HTTP:     transport,
		Profiles: st,
		Objects:  st,
		Version:  version,
		// Each attempt of a request to a service is bounded, so a service
		// that stops answering never stalls a source.
		HTTPTimeout: cfg.HTTPTimeout,
	}
	// Waits a service announced are kept in the store, so that a daemon
	// killed while it waits still waits after a restart.
	if w, ok := st.(connectors.Waits); ok {
		base.Waits = w
	}
	sources, err := daemon.BuildSources(cfg, all.Kinds(), base, metrics)
	if err != nil {
		st.Close()
		return nil, err
	}
	log.Info("store open", "path", path, "sources", len(sources))
	rep := newProgress(e.rawStderr, e.getenv, e.quiet)
	p := &pipeline{store: st, log: log, rep: rep, metrics: metrics, cfg: cfg, base: base}
	p.scores = daemon.NewScoreLoop(daemon.ScoreLoop{Evaluate: p.evaluate, Every: evaluateEvery(cfg), Logger: log})
	// Replicas sharing the store fetch each source one at a time.
	leases, _ := st.(daemon.Leaser)
	p.d = daemon.New(daemon.Options{
		Leases:   leases,
		LeaseTTL: cfg.LeaseTTL,
		Store:    st,
		Resolver: &identity.Resolver{Logger: log},
		Sources:  sources,
		Logger:   log,
		Reporter: rep,
		Metrics:  metrics,
		OnCycle: func() {
			p.sendStatus()
			p.scores.Kick()
		},
	})
	if w := cfg.Webhook; w != nil {
		p.hook, err = webhook.New(webhook.Options{
			URL:         w.URL,
			Secret:      []byte(w.Secret.Reveal()),
			Outbox:      st,
			Timeout:     w.Timeout,
			MaxAttempts: w.MaxAttempts,
			Poll:        w.PollInterval,
			RetryMin:    w.RetryMin,
			RetryMax:    w.RetryMax,
			Logger:      log.With("component", "webhook"),
			Version:     version,
			Observe:     metrics.WebhookDelivery,
		})
		if err != nil {
			st.Close()
			return nil, err
		}
	}
	return p, nil
}

// evaluate brings levels, the champions list and the slipping list up to
// date, with webhook events when a webhook is configured. It runs under the
// levels lease (daemon.LevelsLease), so that replicas sharing the store
// never evaluate at once and write an event twice; when another replica
// is evaluating, it does nothing and returns an error wrapping
// daemon.ErrLeaseHeld.
func (p *pipeline) evaluate(ctx context.Context, now time.Time) error {
	var res crm.Evaluation
	err := p.d.Exclusive(ctx, daemon.LevelsLease, func(ctx context.Context) error {
		var err error
		res, err = p.store.EvaluateLevels(ctx, scoringOf(p.cfg), now, webhookEnabled(p.cfg))
		return err
	})
	if err != nil {
		return err
	}
	if res.Changes > 0 || res.Events > 0 {
		p.log.Info("levels evaluated", "members", res.Members, "level_changes", res.Changes, "webhook_events", res.Events,
			"champions", res.Champions, "slipping", res.Slipping)
	}
	return nil
}

// pageFreshFor is how long the pages and the API may show an answer made
// before the latest syncs' commits (web.Options.CacheFreshFor).
const pageFreshFor = 5 * time.Second

// webHandler builds the pages and the JSON API over the pipeline's store,
// with the daemon's source states and the configuration's auth section.
func (p *pipeline) webHandler() (http.Handler, error) {
	// A store that keeps no scores leaves the champions and the levels off.
	scores, _ := p.store.(web.Scores)
	// A store that reports its data version (SQLite) gets the page cache.
	dv, _ := p.store.(web.DataVersioner)
	s, err := web.New(web.Options{
		DataVersion: dv,
		// During a backfill a page shows the store at most this far
		// behind the syncs; what people change shows at once.
		CacheFreshFor: pageFreshFor,
		Members:       p.store,
		Decisions:     p.store,
		Sources:       p.d,
		Scores:        scores,
		Scoring:       scoringOf(p.cfg),
		Auth:          webAuth(p.cfg.Auth),
		Logger:        p.log,
		Version:       version,
	})
	if err != nil {
		return nil, fmt.Errorf("web: %w", err)
	}
	return s, nil
}

// webAuth turns the auth section into the web's access settings; nil
// (open) when there is none.
func webAuth(a *config.Auth) *web.Auth {
	if a == nil {
		return nil
	}
	out := &web.Auth{Token: a.Token.Reveal(), TLS: a.TLS, TrustedProxyHeader: a.TrustedProxyHeader, SessionTTL: a.SessionTTL}
	for _, u := range a.Users {
		out.Users = append(out.Users, web.User{Name: u.Name, PasswordHash: u.PasswordHash.Reveal()})
	}
	return out
}

// storeSize reports the size of a SQLite store's files, for metrics.
func storeSize(path string) func() float64 {
	return func() float64 {
		var n int64
		for _, suffix := range []string{"", "-wal", "-shm"} {
			if fi, err := os.Stat(path + suffix); err == nil {
				n += fi.Size()
			}
		}
		return float64(n)
	}
}

func (p *pipeline) sendStatus() {
	if p.status != nil {
		p.status()
	}
}

func cmdRun(ctx context.Context, e *cliEnv, args []string) error {
	fs := e.newFlags("run", "", "Run the daemon: poll every configured source on its interval until SIGINT or SIGTERM.\nSIGHUP reloads the configuration.")
	fs.BoolVar(&e.quiet, "quiet", false, "no live progress on a terminal")
	listen := fs.String("listen", "", "HTTP `address` for the web pages, /api/v1, /healthz, /readyz and /metrics (overrides the config's listen)")
	if _, err := e.parse(fs, args); err != nil {
		return err
	}
	cfg, err := e.loadConfig(false)
	if err != nil {
		return err
	}
	if len(cfg.Sources) == 0 {
		return fmt.Errorf("%s: no sources configured (add one under sources)", cfg.File)
	}
	if *listen != "" {
		cfg.Listen = *listen
		if err := cfg.CheckAccess(cfg.Listen); err != nil {
			return err
		}
	}
	p, err := e.newPipeline(ctx, cfg, nil)
	if err != nil {
		return err
	}
	reload := func() (*config.Config, error) {
		c, err := e.loadConfig(false)
		if err == nil && *listen != "" {
			c.Listen = *listen
		}
		if err == nil {
			applyMemoryLimit(c, os.Getenv, memlimit.FromCgroup, p.log)
		}
		return c, err
	}
	return p.serve(ctx, e, cfg.Listen, reload)
}

// serve runs the daemon as a service: it binds the HTTP listener, tells
// systemd it is ready, keeps the watchdog fed while the daemon is alive,
// reloads on SIGHUP, and on cancellation stops the sources, the HTTP server
// and the store, in that order.
func (p *pipeline) serve(ctx context.Context, e *cliEnv, listen string, reload func() (*config.Config, error)) error {
	defer p.store.Close()
	applyMemoryLimit(p.cfg, os.Getenv, memlimit.FromCgroup, p.log)
	n := newNotifier(p.log)
	ln, err := net.Listen("tcp", listen)
	if err != nil {
		return fmt.Errorf("listen on %s: %w", listen, err)
	}
	e.listenAddr = ln.Addr().String()
	ui, err := p.webHandler()
	if err != nil {
		ln.Close()
		return err
	}
	pages := pagesURL(ln.Addr())
	p.log.Info("serving the web pages and /api/v1, /healthz, /readyz and /metrics", "addr", ln.Addr().String(), "url", pages, "auth", p.cfg.Auth != nil)
	if p.announce != nil {
		p.announce(pages)
	}
	p.status = func() { n.Status(statusLine(p.d.States(), time.Now())) }

	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	var wg conc.WaitGroup
	var runErr, httpErr error
	wg.Go(func() { httpErr = daemon.Serve(ctx, ln, p.d.Handler(ui)) })
	wg.Go(func() { runErr = p.d.Run(ctx) })
	wg.Go(func() { p.scores.Run(ctx) })
	if p.hook != nil {
		// One replica at a time delivers the outbox, under the webhook
		// lease; at shutdown the attempt in flight is finished and
		// recorded before the lease is released, so that the next holder
		// does not send it again.
		wg.Go(func() {
			p.d.RunExclusive(ctx, daemon.WebhookLease, func(ctx context.Context, stop <-chan struct{}) { p.hook.RunUntil(ctx, stop) })
		})
	}
	if err := n.Ready(); err != nil {
		p.log.Warn("tell systemd we are ready", "err", err)
	}
	p.sendStatus()
	wg.Go(func() {
		if err := n.Watchdog(ctx, func() bool { return p.d.Alive(ctx) }); err != nil && ctx.Err() == nil {
			p.log.Warn("watchdog", "err", err)
		}
	})
	hup := make(chan os.Signal, 1)
	signal.Notify(hup, syscall.SIGHUP)
	defer signal.Stop(hup)
	p.log.Info("rollcall running", "version", version)
loop:
	for {
		select {
		case <-ctx.Done():
			break loop
		case <-hup:
			p.reload(ctx, n, reload)
		}
	}
	n.Stopping()
	p.log.Info("shutting down")
	cancel()
	wg.Wait()
	p.rep.stop()
	if runErr != nil {
		return runErr
	}
	return httpErr
}

// reload re-reads the configuration and applies it; an invalid one is
// rejected with its messages and the running configuration stays.
func (p *pipeline) reload(ctx context.Context, n notifier, load func() (*config.Config, error)) {
	n.Reloading()
	defer func() {
		n.Ready()
		p.sendStatus()
	}()
	p.log.Info("reloading configuration")
	cfg, err := load()
	if err != nil {
		p.log.Error("reload rejected: the running configuration stays", "err", err)
		return
	}
	sources, err := daemon.BuildSources(cfg, all.Kinds(), p.base, p.metrics)
	if err != nil {
		p.log.Error("reload rejected: the running configuration stays", "err", err)
		return
	}
	if cfg.Store != p.cfg.Store || cfg.Listen != p.cfg.Listen {
		p.log.Warn("store and listen changes take effect after a restart", "store", cfg.Store, "listen", cfg.Listen)
	}
	if !sameWebhook(cfg.Webhook, p.cfg.Webhook) {
		p.log.Warn("webhook changes take effect after a restart")
	}
	if _, err := p.d.Reload(ctx, sources); err != nil {
		p.log.Error("reload", "err", err)
	}
	if ts, ok := p.store.(teamSetter); ok {
		ts.SetTeam(teamOf(cfg))
	}
}

// sameWebhook reports whether two webhook sections say the same.
func sameWebhook(a, b *config.Webhook) bool {
	if a == nil || b == nil {
		return a == b
	}
	x, y := *a, *b
	if !x.Secret.Equal(y.Secret) {
		return false
	}
	x.Secret, y.Secret, x.Line, y.Line = config.Secret{}, config.Secret{}, 0, 0
	return x == y
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
	switch err := p.evaluate(ctx, time.Now()); {
	case errors.Is(err, daemon.ErrLeaseHeld):
		p.log.Info("levels not evaluated: a running replica is evaluating them", "err", err)
	case err != nil:
		p.log.Error("evaluate levels", "err", err)
	}
	return printSummary(ctx, e.stdout, p.store, sums)
}

// printSummary writes the per-source table and returns an error naming the
// sources that failed.
func printSummary(ctx context.Context, w io.Writer, st queryStore, sums []daemon.Summary) error {
	tw := tabwriter.NewWriter(w, 0, 0, 2, ' ', 0)
	fmt.Fprintln(tw, "SOURCE\tNEW ACTIVITIES\tNEW ACCOUNTS\tREQUESTS\t304s\tKNOWN MISSING\tSKIPPED\tTIME\tSTATUS")
	var failed []error
	for _, s := range sums {
		status := "ok"
		if s.Err != nil {
			status = "error: " + termLine(s.Err.Error())
			failed = append(failed, s.Err)
		}
		fmt.Fprintf(tw, "%s\t%d\t%d\t%d\t%d\t%d\t%d\t%s\t%s\n", s.Source, s.NewActivities, s.NewAccounts, s.Requests, s.NotModified, s.KnownMissing, s.Skipped, s.Duration.Round(10*time.Millisecond), status)
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

// pagesURL is the address of the members page on addr. A listener on every
// interface (0.0.0.0, ::) is reached by the machine's name, which people on
// other machines can use; the scheme is http, as the daemon itself serves
// no TLS (a proxy in front may).
func pagesURL(addr net.Addr) string {
	host, port, err := net.SplitHostPort(addr.String())
	if err != nil {
		return "http://" + addr.String() + "/members"
	}
	if ip := net.ParseIP(host); ip != nil && ip.IsUnspecified() {
		host = "localhost"
		if name, err := os.Hostname(); err == nil && name != "" {
			host = name
		}
	}
	return "http://" + net.JoinHostPort(host, port) + "/members"
}
