package community

import (
	"context"
	"fmt"
	"strings"
	"time"

	"github.com/rollcall-dev/rollcall/connectors/discourse/discoursetest"
	"github.com/rollcall-dev/rollcall/connectors/github/githubtest"
	"github.com/rollcall-dev/rollcall/connectors/internal/fakekit"
	"github.com/rollcall-dev/rollcall/connectors/mastodon/mastodontest"
	"github.com/rollcall-dev/rollcall/connectors/stackoverflow/stackoverflowtest"
)

// The fakes' own credentials: the demo needs no real ones. They exercise
// the same authenticated paths as real tokens (Mastodon notifications of
// the community's own account, a Discourse staff key that sees associated
// accounts, a Stack Exchange app key).
const (
	WorldGitHubToken    = "demo-github-token"
	WorldMastodonToken  = "demo-mastodon-token"
	WorldDiscourseKey   = "demo-discourse-key"
	WorldStackExchange  = "demo-stackexchange-key"
	WorldDiscourseAdmin = "system"
)

// Credentials are the secrets the fakes of a World accept and its
// configuration (ConfigText) carries.
type Credentials struct {
	GitHubToken, MastodonToken string
	// DiscourseKey is a staff API key of WorldDiscourseAdmin.
	DiscourseKey string
	// DiscourseUserKey, when set, is a user API key of the forum's first
	// member, read by a second Discourse source "discourse-user" (client
	// id "rollcall").
	DiscourseUserKey string
	StackExchangeKey string
}

// DefaultCredentials are the World* constants: what `rollcall demo` uses.
func DefaultCredentials() Credentials {
	return Credentials{GitHubToken: WorldGitHubToken, MastodonToken: WorldMastodonToken, DiscourseKey: WorldDiscourseKey, StackExchangeKey: WorldStackExchange}
}

// World is a generated community served by the four fakes on loopback:
// what `rollcall demo` and the end-to-end tests sync.
type World struct {
	Community *Community
	// Credentials are what the fakes accept.
	Credentials Credentials
	// Hostile lists where WorldOptions.Hostile values were put.
	Hostile []HostileRecord
	// URLs are the fakes' base URLs by platform ("github", "mastodon",
	// "discourse", "stackoverflow").
	URLs     map[string]string
	shutdown []func(context.Context) error
	// chaos are the fakes' injectors by platform (WorldOptions.Chaos).
	chaos map[string]*fakekit.Chaos
}

// WorldOptions change how StartWorldWith serves the community.
type WorldOptions struct {
	// Chaos makes every fake misbehave at random (see each fake's
	// WithChaos), from ChaosSeed: each fake draws from its own stream.
	Chaos     bool
	ChaosSeed int64
	// ChaosRate is the share of requests that meet a fault; 0 means the
	// injector's default.
	ChaosRate float64
	// ClientTimeout is the clients' per-attempt timeout, which slow
	// answers outlast; 0 means the injector's default.
	ClientTimeout time.Duration
	// MaxWait bounds the waits the fakes announce, in seconds; 0 means
	// the injector's default.
	MaxWait int
	// KillGrace is how soon after a wait was told a kill of the client
	// excuses a later request that ignored it (fakekit.WithKillGrace); 0
	// means the injector's default.
	KillGrace time.Duration
	// Credentials are what the fakes accept (tests with sentinel
	// secrets); zero means DefaultCredentials.
	Credentials Credentials
	// Hostile values are served by every fake besides the community (see
	// LoadHostile): the untrusted-input tests.
	Hostile []Hostile
}

// StartWorld generates a community of size people and serves it from the
// four fakes on 127.0.0.1. Close stops them.
func StartWorld(seed int64, size int, now time.Time) (*World, error) {
	return StartWorldWith(seed, size, now, WorldOptions{})
}

// StartWorldWith is StartWorld with options: with o.Chaos, the fakes
// misbehave at random while the community is loaded as usual; o.Hostile
// values are served besides the community; zero Credentials mean
// DefaultCredentials.
func StartWorldWith(seed int64, size int, now time.Time, o WorldOptions) (*World, error) {
	c := Generate(seed, size, now)
	creds := o.Credentials
	if creds == (Credentials{}) {
		creds = DefaultCredentials()
	}
	// A classic token with read-only scopes, as GitHub reports them; a
	// server app with the read scopes rollcall asks for.
	ghOpts := []githubtest.Option{githubtest.WithToken(creds.GitHubToken), githubtest.WithScopes("public_repo", "read:org")}
	owner, _, _ := strings.Cut(c.Mastodon.Accounts[0], "@")
	maOpts := []mastodontest.Option{mastodontest.WithDomain(c.Mastodon.Instance), mastodontest.WithToken(creds.MastodonToken, owner),
		mastodontest.WithApp("rollcall", []string{"read:accounts", "read:statuses", "read:notifications", "read:follows"})}
	diOpts := []discoursetest.Option{discoursetest.WithAPIKey(creds.DiscourseKey, WorldDiscourseAdmin, true), discoursetest.WithAdminLimit(6000)}
	if creds.DiscourseUserKey != "" {
		diOpts = append(diOpts, discoursetest.WithUserAPIKey(creds.DiscourseUserKey, c.discourseMember(), "rollcall"))
	}
	soOpts := []stackoverflowtest.Option{stackoverflowtest.WithKey(creds.StackExchangeKey), stackoverflowtest.WithSite(c.StackOverflow.Site)}
	if o.Chaos {
		rate := o.ChaosRate
		if rate <= 0 {
			rate = 0.15
		}
		var co []fakekit.ChaosOption
		if o.ClientTimeout > 0 {
			co = append(co, fakekit.WithClientTimeout(o.ClientTimeout))
		}
		if o.MaxWait > 0 {
			co = append(co, fakekit.WithMaxWait(o.MaxWait))
		}
		if o.KillGrace > 0 {
			co = append(co, fakekit.WithKillGrace(o.KillGrace))
		}
		with := func(p float64) []fakekit.ChaosOption {
			return append([]fakekit.ChaosOption{fakekit.WithRate(p)}, co...)
		}
		ghOpts = append(ghOpts, githubtest.WithChaos(o.ChaosSeed, with(rate)...))
		maOpts = append(maOpts, mastodontest.WithChaos(o.ChaosSeed+1, with(rate)...))
		diOpts = append(diOpts, discoursetest.WithChaos(o.ChaosSeed+2, with(rate)...))
		// Stack Exchange answers a pass in a few requests (100 ids a
		// call): it meets faults more often, so that each kind shows up.
		soOpts = append(soOpts, stackoverflowtest.WithChaos(o.ChaosSeed+3, with(min(1, 2.5*rate))...))
	}
	gh := githubtest.New(ghOpts...)
	ma := mastodontest.New(maOpts...)
	di := discoursetest.New(diOpts...)
	so := stackoverflowtest.New(soOpts...)
	// The community is loaded without faults.
	for _, ch := range []*fakekit.Chaos{gh.Chaos(), ma.Chaos(), di.Chaos(), so.Chaos()} {
		if ch != nil {
			ch.SetOn(false)
		}
	}
	if err := c.LoadAll(gh, ma, di, so); err != nil {
		return nil, fmt.Errorf("community: load the generated community into the fakes: %w", err)
	}
	hostile, err := c.LoadHostile(o.Hostile, gh, ma, di, so)
	if err != nil {
		return nil, err
	}
	w := &World{Community: c, Credentials: creds, Hostile: hostile, URLs: map[string]string{}}
	if o.Chaos {
		w.chaos = map[string]*fakekit.Chaos{"github": gh.Chaos(), "mastodon": ma.Chaos(), "discourse": di.Chaos(), "stackoverflow": so.Chaos()}
		w.SetChaos(true)
	}
	type listener interface {
		Listen(addr string) (string, func(context.Context) error, error)
	}
	for _, f := range []struct {
		name string
		s    listener
	}{{"github", gh}, {"mastodon", ma}, {"discourse", di}, {"stackoverflow", so}} {
		u, stop, err := f.s.Listen("127.0.0.1:0")
		if err != nil {
			w.Close(context.Background())
			return nil, fmt.Errorf("community: start the fake %s: %w", f.name, err)
		}
		w.URLs[f.name] = u
		w.shutdown = append(w.shutdown, stop)
	}
	return w, nil
}

// SetChaos switches the fakes' faults on or off (with WorldOptions.Chaos);
// their watch for violations goes on either way.
func (w *World) SetChaos(on bool) {
	for _, c := range w.chaos {
		c.SetOn(on)
	}
}

// Killed tells the fakes that the client process was killed at t: a wait
// announced just before cannot have reached its store.
func (w *World) Killed(t time.Time) {
	for _, c := range w.chaos {
		c.Killed(t)
	}
}

// Violations lists, per fake, the requests sent while the fake had said to
// wait and the slow answers waited out past the client's timeout.
func (w *World) Violations() []string { return w.chaosLines((*fakekit.Chaos).Violations) }

// Excused lists the requests that ignored a wait announced just before the
// client was killed (see Killed).
func (w *World) Excused() []string { return w.chaosLines((*fakekit.Chaos).Excused) }

// ChaosSummary says, per fake, its seed and the faults it played.
func (w *World) ChaosSummary() []string {
	return w.chaosLines(func(c *fakekit.Chaos) []string { return []string{c.Summary()} })
}

func (w *World) chaosLines(f func(*fakekit.Chaos) []string) []string {
	var out []string
	for _, name := range []string{"github", "mastodon", "discourse", "stackoverflow"} {
		if c := w.chaos[name]; c != nil {
			for _, l := range f(c) {
				out = append(out, name+": "+l)
			}
		}
	}
	return out
}

// Close stops the fakes.
func (w *World) Close(ctx context.Context) {
	for _, f := range w.shutdown {
		f(ctx)
	}
}

// ConfigText is the YAML configuration of the four sources reading the
// fakes into store, polling every interval. The instance names keep keys
// stable although the fakes' ports change.
func (w *World) ConfigText(store string, interval time.Duration) string {
	c := w.Community
	quote := func(xs []string) string {
		q := make([]string, len(xs))
		for i, x := range xs {
			q[i] = fmt.Sprintf("%q", x)
		}
		return strings.Join(q, ", ")
	}
	cr := w.Credentials
	text := fmt.Sprintf(`store: %q
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
		cr.GitHubToken, w.URLs["github"], c.Org, interval,
		w.URLs["mastodon"], c.Mastodon.Instance, cr.MastodonToken, quote(c.Mastodon.Accounts), quote(c.Mastodon.Hashtags), interval,
		w.URLs["discourse"], c.Discourse.Host, cr.DiscourseKey, WorldDiscourseAdmin, interval,
		w.URLs["stackoverflow"], c.StackOverflow.Site, cr.StackExchangeKey, quote(c.StackOverflow.Tags), interval)
	if cr.DiscourseUserKey != "" {
		text += fmt.Sprintf(`  - name: discourse-user
    type: discourse
    url: %q
    instance: %q
    user_api_key: %q
    user_api_client_id: rollcall
    interval: %s
`, w.URLs["discourse"], c.Discourse.Host, cr.DiscourseUserKey, interval)
	}
	return text
}

// discourseMember is the username of the forum's first user that is
// neither system nor discobot.
func (c *Community) discourseMember() string {
	for _, u := range c.Discourse.Users {
		if u.ID > 0 {
			return u.Username
		}
	}
	return WorldDiscourseAdmin
}
