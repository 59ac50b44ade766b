package mastodon

import (
	"encoding/json"
	"regexp"
	"testing"
	"time"

	gomastodon "github.com/mattn/go-mastodon"

	"github.com/rollcall-dev/rollcall/connectors"
	"github.com/rollcall-dev/rollcall/connectors/connectortest"
	"github.com/rollcall-dev/rollcall/connectors/mastodon/mastodontest"
)

// fuzzNow is the fixed time of the fuzz targets.
var fuzzNow = time.Date(2026, 3, 1, 0, 0, 0, 0, time.UTC)

const fuzzInstance = "mastodon.example"

// fuzzKinds are the Mastodon responses the connector translates, decoded
// by go-mastodon's types as the connector's requests decode them, and run
// through the translator and the batch builder as its step functions do.
func fuzzKinds() []connectortest.TranslateKind {
	c := &Connector{tr: translator{instance: fuzzInstance}}
	const owner = "rollcall@" + fuzzInstance
	tracked := map[string]bool{owner: true}
	newBuilder := func() *builder { return &builder{index: map[string]int{}, staff: map[string]bool{owner: true}} }
	batch := func(b *builder) connectors.Batch {
		return connectors.Batch{Accounts: b.accounts, Activities: b.activities}
	}
	decodeStatuses := func(body []byte) ([]status, error) {
		var got []*gomastodon.Status
		err := json.Unmarshal(body, &got)
		return fromStatuses(got), err
	}
	decodeAccounts := func(body []byte) ([]account, error) {
		var got []*gomastodon.Account
		err := json.Unmarshal(body, &got)
		return fromAccounts(got), err
	}
	ref := status{ID: "110000000000000001", CreatedAt: mtime{fuzzNow.Add(-time.Hour)}}
	return []connectortest.TranslateKind{
		{Name: "hashtag timeline", Paths: regexp.MustCompile(`/timelines/tag/`), Files: regexp.MustCompile(`timelines_tag|statuses`),
			Translate: func(body []byte) (connectors.Batch, error) {
				list, err := decodeStatuses(body)
				b := newBuilder()
				for _, s := range list {
					if s.Reblog == nil {
						c.addTagStatus(b, s, "rollcall", tracked, fuzzNow)
					}
				}
				return batch(b), err
			}},
		{Name: "notifications", Paths: regexp.MustCompile(`/notifications$`), Files: regexp.MustCompile(`notifications`),
			Translate: func(body []byte) (connectors.Batch, error) {
				var got []*gomastodon.Notification
				err := json.Unmarshal(body, &got)
				b := newBuilder()
				for _, gn := range got {
					if gn == nil {
						continue
					}
					n := fromNotification(gn)
					actor := c.tr.account(n.Account, fuzzNow)
					at := n.CreatedAt.Time
					switch {
					case n.Type == "follow":
						b.add(c.tr.follow(owner, "https://"+fuzzInstance+"/@rollcall", n.Account, at), actor)
					case n.Status == nil:
					case n.Type == "mention":
						b.add(c.tr.mentionOf(*n.Status, owner, at), actor)
					case n.Type == "reblog":
						b.add(c.tr.reaction(TypeBoost, *n.Status, owner, n.Account, at), actor)
					case n.Type == "favourite":
						b.add(c.tr.reaction(TypeFavourite, *n.Status, owner, n.Account, at), actor)
					}
				}
				return batch(b), err
			}},
		{Name: "context", Paths: regexp.MustCompile(`/context$`), Files: regexp.MustCompile(`context`),
			Translate: func(body []byte) (connectors.Batch, error) {
				var got gomastodon.Context
				if err := json.Unmarshal(body, &got); err != nil {
					return connectors.Batch{}, err
				}
				b := newBuilder()
				for _, s := range fromStatuses(got.Descendants) {
					actor := c.tr.account(s.Account, fuzzNow)
					for _, m := range c.tr.mentions(s, tracked) {
						if m == owner && m != actor.ExternalID {
							b.add(c.tr.mentionOf(s, m, s.CreatedAt.Time), actor)
						}
					}
				}
				return batch(b), nil
			}},
		{Name: "favourited_by", Paths: regexp.MustCompile(`/(favourited|reblogged)_by$`), Files: regexp.MustCompile(`_by`),
			Translate: func(body []byte) (connectors.Batch, error) {
				list, err := decodeAccounts(body)
				b := newBuilder()
				for _, a := range list {
					actor := c.tr.account(a, fuzzNow)
					if actor.ExternalID != owner {
						b.add(c.tr.reaction(TypeFavourite, ref, owner, a, ref.CreatedAt.Time), actor)
					}
				}
				return batch(b), err
			}},
		{Name: "followers", Paths: regexp.MustCompile(`/followers$`), Files: regexp.MustCompile(`follow`),
			Translate: func(body []byte) (connectors.Batch, error) {
				list, err := decodeAccounts(body)
				b := newBuilder()
				for _, a := range list {
					b.add(c.tr.follow(owner, "https://"+fuzzInstance+"/@rollcall", a, later(fuzzNow, a.CreatedAt.Time)), c.tr.account(a, fuzzNow))
				}
				return batch(b), err
			}},
		{Name: "account", Paths: regexp.MustCompile(`/accounts/(lookup|verify_credentials|\d+)$`), Files: regexp.MustCompile(`accounts_(lookup|verify|\d+\.json)`),
			Translate: func(body []byte) (connectors.Batch, error) {
				var got gomastodon.Account
				if err := json.Unmarshal(body, &got); err != nil {
					return connectors.Batch{}, err
				}
				b := newBuilder()
				b.addAccount(c.tr.account(fromAccount(&got), fuzzNow))
				return batch(b), nil
			}},
	}
}

// FuzzTranslate: whatever a Mastodon response holds, its translation never
// panics, and yields activities with well-formed keys, an actor and a
// time, valid UTF-8, and accounts with an id (connectortest.CheckBatch).
// Seeds: Mastodon.py's recorded responses and the fake's output.
func FuzzTranslate(f *testing.F) {
	fixtures := connectortest.FixtureBodies("../../../shared/fixtures/mastodon/mastodon-py-extracted", "../../../../shared/fixtures/mastodon/mastodon-py-extracted")
	srv := mastodontest.New(mastodontest.WithNow(func() time.Time { return fuzzNow }), mastodontest.WithToken("owner-token", "rollcall"))
	seed(f, srv, fuzzNow, 20)
	settings := "server: " + srv.BaseURL() + "\naccounts: [rollcall]\nhashtags: [rollcall]\ntoken: owner-token\n"
	served, err := connectortest.FakeResponses(Kind, settings, srv.Transport(), fuzzNow)
	if err != nil {
		f.Fatal(err)
	}
	connectortest.FuzzTranslate(f, connectors.PlatformMastodon, fuzzInstance, fuzzKinds(), fixtures, served)
}
