package main

import (
	"context"
	"fmt"
	"net"
	"os"
	"strings"
	"time"

	"github.com/rollcall-dev/rollcall/config"
	"github.com/rollcall-dev/rollcall/connectors/community"
	"github.com/rollcall-dev/rollcall/crm/postgres"
)

// startDemoWorld generates a community and serves it from the four fakes.
func startDemoWorld(seed int64, size int, now time.Time, opts community.WorldOptions) (*community.World, error) {
	w, err := community.StartWorldWith(seed, size, now, opts)
	if err != nil {
		return nil, fmt.Errorf("demo: %w", err)
	}
	return w, nil
}

// demoConfig is the configuration of the four sources reading the fakes,
// followed by extra (YAML top-level sections; tests add a webhook).
func demoConfig(w *community.World, store string, interval time.Duration, extra string) (*config.Config, error) {
	return config.Parse("demo.yaml", []byte(w.ConfigText(store, interval)+extra), config.Env{Getenv: func(string) (string, bool) { return "", false }})
}

// demoHooks are what a test changes in `rollcall demo`: the fakes'
// credentials (sentinel secrets) and hostile records, and configuration
// added to the demo's.
type demoHooks struct {
	world community.WorldOptions
	extra string
	// started, if set, is given the world once its fakes serve.
	started func(*community.World)
}

func cmdDemo(ctx context.Context, e *cliEnv, args []string) error {
	fs := e.newFlags("demo", "", "Run rollcall against a simulated community on loopback: fake GitHub, Mastodon,\nDiscourse and Stack Overflow serving a generated community, synced into\n./rollcall-demo.db (or --store). No network, no tokens.")
	once := fs.Bool("once", false, "sync once, print the summary and exit")
	truth := fs.String("truth", "", "also write the generator's ground truth as JSON to `file` ({\"persons\":[{\"id\",\"accounts\":[{\"platform\",\"username\"}]}]})")
	seed := fs.Int64("seed", 1, "generator `seed`: the same seed gives the same community")
	size := fs.Int("size", 80, "how many `people` the community has")
	interval := fs.Duration("interval", time.Minute, "polling `interval` when not --once")
	listen := fs.String("listen", "", "HTTP `address` for the web pages, /api/v1, /healthz, /readyz and /metrics when not --once (default 127.0.0.1:7171, or a free port if that is taken)")
	hostile := fs.Bool("hostile", false, "also serve, on every fake, accounts and posts carrying hostile values (escape sequences, right-to-left overrides, invalid UTF-8, 1 MB, script and HTML, javascript: and data: URLs, SQL): to see them shown inert")
	fs.BoolVar(&e.quiet, "quiet", false, "no live progress on a terminal")
	if _, err := e.parse(fs, args); err != nil {
		return err
	}
	if *size < 10 || *size > 100000 {
		return usageErr("--size must be between 10 and 100000")
	}
	if *interval < time.Second {
		return usageErr("--interval must be at least 1s")
	}
	if *listen != "" && !config.IsLoopback(*listen) {
		return usageErr("the demo serves its pages without a login, so --listen must be a loopback address (127.0.0.1, ::1 or localhost), not %q", *listen)
	}
	if e.storePath == "" {
		e.storePath = "rollcall-demo.db"
	}
	now := time.Now().UTC().Truncate(time.Hour)
	hooks := demoHooks{world: community.WorldOptions{Credentials: community.DefaultCredentials()}}
	if e.demo != nil {
		hooks = *e.demo
	}
	if *hostile {
		hooks.world.Hostile = community.HostileValues()
	}
	w, err := startDemoWorld(*seed, *size, now, hooks.world)
	if err != nil {
		return err
	}
	defer w.Close(context.WithoutCancel(ctx))
	if hooks.started != nil {
		hooks.started(w)
	}
	if *truth != "" {
		b, err := w.Community.TruthJSON()
		if err != nil {
			return fmt.Errorf("demo: ground truth: %w", err)
		}
		if err := os.WriteFile(*truth, b, 0o644); err != nil {
			return fmt.Errorf("demo: write ground truth: %w", err)
		}
	}
	cfg, err := demoConfig(w, e.storePath, *interval, hooks.extra)
	if err != nil {
		return fmt.Errorf("demo: build config: %w", err)
	}
	p, err := e.newPipeline(ctx, cfg, nil)
	if err != nil {
		return err
	}
	// A PostgreSQL URL is shown without its password.
	shown := e.storePath
	if isPostgresURL(shown) {
		shown = postgres.Redact(shown)
	}
	fmt.Fprintf(e.stdout, "demo: %d people (seed %d) on fake GitHub, Mastodon, Discourse and Stack Overflow on 127.0.0.1; store %s\n\n", *size, *seed, shown)
	sums := p.d.SyncOnce(ctx)
	p.rep.stop()
	if err := p.evaluate(ctx, time.Now()); err != nil {
		p.log.Error("evaluate levels", "err", err)
	}
	serr := printSummary(ctx, e.stdout, p.store, sums)
	login := ""
	// Suggest the most active person (not a bot) with a GitHub login.
	if ms, err := p.store.Members(ctx, crmQuery(20)); err == nil {
	members:
		for _, m := range ms {
			for _, id := range m.Identities {
				if id.Platform == "github" && !id.Bot && !strings.HasSuffix(id.Username, "[bot]") {
					login = id.Username
					break members
				}
			}
		}
	}
	storeFlag := " --store " + shellQuote(shown)
	fmt.Fprintf(e.stdout, "\nTry next:\n  rollcall members%s\n  rollcall members%s --search %s --format json\n  rollcall journey%s github:%s\n",
		storeFlag, storeFlag, firstWord(login), storeFlag, login)
	if shown != e.storePath {
		fmt.Fprintln(e.stdout, "  (the password is hidden here: put yours back in the URL, or leave it out and set PGPASSWORD)")
	}
	if *once || serr != nil {
		p.store.Close()
		return serr
	}
	addr := *listen
	if addr == "" {
		addr = config.DefaultListen
		if ln, err := net.Listen("tcp", addr); err != nil {
			addr = "127.0.0.1:0"
		} else {
			ln.Close()
		}
	}
	p.announce = func(url string) {
		fmt.Fprintf(e.stdout, "\nOpen %s to browse the members, their journeys, the review and the sources.\n", url)
	}
	fmt.Fprintf(e.stdout, "\nPolling every %s; press Ctrl-C to stop.\n", *interval)
	reload := func() (*config.Config, error) { return demoConfig(w, e.storePath, *interval, hooks.extra) }
	return p.serve(ctx, e, addr, reload)
}

// shellQuote quotes s for a POSIX shell when it holds characters the
// shell would read (a URL's ? and &).
func shellQuote(s string) string {
	if s != "" && strings.Trim(s, "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789-_./:@%+=,") == "" {
		return s
	}
	return "'" + strings.ReplaceAll(s, "'", `'\''`) + "'"
}

func firstWord(s string) string {
	if i := strings.IndexAny(s, "-_."); i > 0 {
		return s[:i]
	}
	return s
}
