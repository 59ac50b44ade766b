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
	"github.com/rollcall-dev/rollcall/connectors/github/githubtest"
)

// demoToken is the fake's own token: the demo needs no real credentials.
const demoToken = "demo-token-not-a-secret"

func cmdDemo(ctx context.Context, e *cliEnv, args []string) error {
	fs := e.newFlags("demo", "", "Run rollcall against a simulated community on loopback: a fake GitHub with a\ngenerated community, synced into ./rollcall-demo.db (or --store). No network, no tokens.")
	once := fs.Bool("once", false, "sync once, print the summary and exit")
	seed := fs.Int64("seed", 1, "generator `seed`: the same seed gives the same community")
	size := fs.Int("size", 80, "about how many `people` the community has")
	interval := fs.Duration("interval", time.Minute, "polling `interval` when not --once")
	listen := fs.String("listen", "", "HTTP `address` for /healthz, /readyz and /metrics when not --once (default 127.0.0.1:7171, or a free port if that is taken)")
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
	if e.storePath == "" {
		e.storePath = "rollcall-demo.db"
	}
	now := time.Now().UTC().Truncate(time.Hour)
	c := community.Generate(*seed, *size, now)
	fake := githubtest.New(githubtest.WithToken(demoToken))
	if err := c.LoadGitHub(fake); err != nil {
		return fmt.Errorf("demo: load the generated community: %w", err)
	}
	base, shutdown, err := fake.Listen("127.0.0.1:0")
	if err != nil {
		return fmt.Errorf("demo: start the fake GitHub: %w", err)
	}
	defer shutdown(context.WithoutCancel(ctx))

	yaml := fmt.Sprintf(`store: %q
sources:
  - name: github
    type: github
    token: %q
    base_url: %q
    instance: github.demo
    orgs: [%q]
    interval: 1m
`, e.storePath, demoToken, base, c.Org)
	cfg, err := config.Parse("demo.yaml", []byte(yaml), config.OSEnv())
	if err != nil {
		return fmt.Errorf("demo: build config: %w", err)
	}
	cfg.Sources[0].Interval = *interval
	p, err := e.newPipeline(ctx, cfg, nil)
	if err != nil {
		return err
	}
	fmt.Fprintf(e.stdout, "demo: fake GitHub at %s serving org %q (%d people, seed %d); store %s\n\n", base, c.Org, *size, *seed, e.storePath)
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
	storeFlag := ""
	if e.storePath != "rollcall-demo.db" {
		storeFlag = " --store " + e.storePath
	} else {
		storeFlag = " --store rollcall-demo.db"
	}
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
	fmt.Fprintf(e.stdout, "\nPolling every %s; press Ctrl-C to stop.\n", *interval)
	reload := func() (*config.Config, error) { return cfg, nil }
	return p.serve(ctx, e, addr, reload)
}

func firstWord(s string) string {
	if i := strings.IndexAny(s, "-_."); i > 0 {
		return s[:i]
	}
	return s
}

var _ = os.Stdout
