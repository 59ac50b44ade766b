package community

import (
	"context"
	"fmt"
	"strings"
	"time"

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
}

// StartWorld generates a community of size people and serves it from the
// four fakes on 127.0.0.1. Close stops them.
func StartWorld(seed int64, size int, now time.Time) (*World, error) {
	return StartWorldWith(seed, size, now, WorldOptions{Credentials: DefaultCredentials()})
}

// WorldOptions change the world StartWorldWith serves.
type WorldOptions struct {
	// Credentials are what the fakes accept (tests with sentinel secrets).
	Credentials Credentials
	// Hostile values are served by every fake besides the community (see
	// LoadHostile): the untrusted-input tests.
	Hostile []Hostile
}

// StartWorldWith is StartWorld with opts.
func StartWorldWith(seed int64, size int, now time.Time, opts WorldOptions) (*World, error) {
	c := Generate(seed, size, now)
	creds := opts.Credentials
	// A classic token with read-only scopes, as GitHub reports them; a
	// server app with the read scopes rollcall asks for.
	gh := githubtest.New(githubtest.WithToken(creds.GitHubToken), githubtest.WithScopes("public_repo", "read:org"))
	owner, _, _ := strings.Cut(c.Mastodon.Accounts[0], "@")
	ma := mastodontest.New(mastodontest.WithDomain(c.Mastodon.Instance), mastodontest.WithToken(creds.MastodonToken, owner),
		mastodontest.WithApp("rollcall", []string{"read:accounts", "read:statuses", "read:notifications", "read:follows"}))
	dopts := []discoursetest.Option{discoursetest.WithAPIKey(creds.DiscourseKey, WorldDiscourseAdmin, true), discoursetest.WithAdminLimit(6000)}
	if creds.DiscourseUserKey != "" {
		dopts = append(dopts, discoursetest.WithUserAPIKey(creds.DiscourseUserKey, c.discourseMember(), "rollcall"))
	}
	di := discoursetest.New(dopts...)
	so := stackoverflowtest.New(stackoverflowtest.WithKey(creds.StackExchangeKey), stackoverflowtest.WithSite(c.StackOverflow.Site))
	if err := c.LoadAll(gh, ma, di, so); err != nil {
		return nil, fmt.Errorf("community: load the generated community into the fakes: %w", err)
	}
	hostile, err := c.LoadHostile(opts.Hostile, gh, ma, di, so)
	if err != nil {
		return nil, err
	}
	w := &World{Community: c, Credentials: creds, Hostile: hostile, URLs: map[string]string{}}
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
