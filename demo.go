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
	"github.com/rollcall-dev/rollcall/connectors/discourse/discoursetest"
	"github.com/rollcall-dev/rollcall/connectors/github/githubtest"
	"github.com/rollcall-dev/rollcall/connectors/mastodon/mastodontest"
	"github.com/rollcall-dev/rollcall/connectors/stackoverflow/stackoverflowtest"
)

// The fakes' own credentials: the demo needs no real ones. They exercise
// the same authenticated paths as real tokens (Mastodon notifications of
// the community's own account, a Discourse staff key that sees associated
// accounts, a Stack Exchange app key).
const (
	demoGitHubToken    = "demo-github-token"
	demoMastodonToken  = "demo-mastodon-token"
	demoDiscourseKey   = "demo-discourse-key"
	demoStackExchange  = "demo-stackexchange-key"
	demoDiscourseAdmin = "system"
)

// demoWorld is the four fakes, serving a generated community on loopback.
type demoWorld struct {
	c        *community.Community
	urls     map[string]string
	shutdown []func(context.Context) error
}

func (w *demoWorld) close(ctx context.Context) {
	for _, f := range w.shutdown {
		f(ctx)
	}
}

// startDemoWorld generates a community and serves it from the four fakes.
func startDemoWorld(seed int64, size int, now time.Time) (*demoWorld, error) {
	c := community.Generate(seed, size, now)
	gh := githubtest.New(githubtest.WithToken(demoGitHubToken))
	owner, _, _ := strings.Cut(c.Mastodon.Accounts[0], "@")
	ma := mastodontest.New(mastodontest.WithDomain(c.Mastodon.Instance), mastodontest.WithToken(demoMastodonToken, owner))
	di := discoursetest.New(discoursetest.WithAPIKey(demoDiscourseKey, demoDiscourseAdmin, true), discoursetest.WithAdminLimit(6000))
	so := stackoverflowtest.New(stackoverflowtest.WithKey(demoStackExchange), stackoverflowtest.WithSite(c.StackOverflow.Site))
	if err := c.LoadAll(gh, ma, di, so); err != nil {
		return nil, fmt.Errorf("demo: load the generated community: %w", err)
	}
	w := &demoWorld{c: c, urls: map[string]string{}}
	type lis interface {
		Listen(addr string) (string, func(context.Context) error, error)
	}
	for name, s := range map[string]lis{"github": gh, "mastodon": ma, "discourse": di, "stackoverflow": so} {
		u, stop, err := s.Listen("127.0.0.1:0")
		if err != nil {
			w.close(context.Background())
			return nil, fmt.Errorf("demo: start the fake %s: %w", name, err)
		}
		w.urls[name] = u
		w.shutdown = append(w.shutdown, stop)
	}
	return w, nil
}

// config is the configuration of the four sources reading the fakes. The
// instance names keep keys stable although the fakes' ports change.
func (w *demoWorld) config(store string, interval time.Duration) (*config.Config, error) {
	yaml, err := w.configText(store, interval)
	if err != nil {
		return nil, err
	}
	return config.Parse("demo.yaml", []byte(yaml), config.Env{Getenv: func(string) (string, bool) { return "", false }})
}

// configText renders the demo configuration as YAML.
func (w *demoWorld) configText(store string, interval time.Duration) (string, error) {
	c := w.c
	quote := func(xs []string) string {
		q := make([]string, len(xs))
		for i, x := range xs {
			q[i] = fmt.Sprintf("%q", x)
		}
		return strings.Join(q, ", ")
	}
	yaml := fmt.Sprintf(`store: %q
sources:
  - name: github
    type: github
    token: %q
    base_url: %q
    instance: github.demo
    orgs: [%q]
    interval: %s
  - name: mastodon
    type: mastodon
    server: %q
    instance: %q
    token: %q
    accounts: [%s]
    hashtags: [%s]
    interval: %s
  - name: discourse
    type: discourse
    url: %q
    instance: %q
    api_key: %q
    api_username: %q
    interval: %s
  - name: stackoverflow
    type: stackoverflow
    api_url: %q
    site: %q
    key: %q
    tags: [%s]
    interval: %s
`, store,
		demoGitHubToken, w.urls["github"], c.Org, interval,
		w.urls["mastodon"], c.Mastodon.Instance, demoMastodonToken, quote(c.Mastodon.Accounts), quote(c.Mastodon.Hashtags), interval,
		w.urls["discourse"], c.Discourse.Host, demoDiscourseKey, demoDiscourseAdmin, interval,
		w.urls["stackoverflow"], c.StackOverflow.Site, demoStackExchange, quote(c.StackOverflow.Tags), interval)
	return yaml, nil
}

func cmdDemo(ctx context.Context, e *cliEnv, args []string) error {
	fs := e.newFlags("demo", "", "Run rollcall against a simulated community on loopback: fake GitHub, Mastodon,\nDiscourse and Stack Overflow serving a generated community, synced into\n./rollcall-demo.db (or --store). No network, no tokens.")
	once := fs.Bool("once", false, "sync once, print the summary and exit")
	truth := fs.String("truth", "", "also write the generator's ground truth as JSON to `file` ({\"persons\":[{\"id\",\"accounts\":[{\"platform\",\"username\"}]}]})")
	seed := fs.Int64("seed", 1, "generator `seed`: the same seed gives the same community")
	size := fs.Int("size", 80, "how many `people` the community has")
	interval := fs.Duration("interval", time.Minute, "polling `interval` when not --once")
	listen := fs.String("listen", "", "HTTP `address` for the web pages, /api/v1, /healthz, /readyz and /metrics when not --once (default 127.0.0.1:7171, or a free port if that is taken)")
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
	w, err := startDemoWorld(*seed, *size, now)
	if err != nil {
		return err
	}
	defer w.close(context.WithoutCancel(ctx))
	if *truth != "" {
		b, err := w.c.TruthJSON()
		if err != nil {
			return fmt.Errorf("demo: ground truth: %w", err)
		}
		if err := os.WriteFile(*truth, b, 0o644); err != nil {
			return fmt.Errorf("demo: write ground truth: %w", err)
		}
	}
	cfg, err := w.config(e.storePath, *interval)
	if err != nil {
		return fmt.Errorf("demo: build config: %w", err)
	}
	p, err := e.newPipeline(ctx, cfg, nil)
	if err != nil {
		return err
	}
	fmt.Fprintf(e.stdout, "demo: %d people (seed %d) on fake GitHub, Mastodon, Discourse and Stack Overflow on 127.0.0.1; store %s\n\n", *size, *seed, e.storePath)
	sums := p.d.SyncOnce(ctx)
	p.rep.stop()
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
	storeFlag := " --store " + e.storePath
	fmt.Fprintf(e.stdout, "\nTry next:\n  rollcall members%s\n  rollcall members%s --search %s --format json\n  rollcall journey%s github:%s\n",
		storeFlag, storeFlag, firstWord(login), storeFlag, login)
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
	reload := func() (*config.Config, error) { return w.config(e.storePath, *interval) }
	return p.serve(ctx, e, addr, reload)
}

func firstWord(s string) string {
	if i := strings.IndexAny(s, "-_."); i > 0 {
		return s[:i]
	}
	return s
}
