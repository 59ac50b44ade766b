package mastodon

import (
	"encoding/json"
	"os"
	"path/filepath"
	"testing"

	"github.com/google/go-cmp/cmp"
	"github.com/google/go-cmp/cmp/cmpopts"
	gomastodon "github.com/mattn/go-mastodon"
)

// TestFixturesThroughGoMastodon decodes every recorded account, status,
// notification and context (real servers' answers) with go-mastodon's
// types, as the connector now reads them, and requires the copies the
// translator gets to equal what the connector's own decoding gives (the
// one TestFixtures checks field by field against the recordings). Roles
// are not in go-mastodon's Account; the connector never maps them.
func TestFixturesThroughGoMastodon(t *testing.T) {
	dir := fixtureDir(t)
	files, err := filepath.Glob(filepath.Join(dir, "*.GET.*.json"))
	if err != nil {
		t.Fatal(err)
	}
	opts := cmp.Options{cmpopts.IgnoreFields(account{}, "Roles"), cmpopts.EquateEmpty()}
	seen := map[string]int{}
	for _, f := range files {
		name := filepath.Base(f)
		var rec struct {
			Response struct {
				Status int             `json:"status"`
				Body   json.RawMessage `json:"body"`
			} `json:"response"`
		}
		raw, err := os.ReadFile(f)
		if err != nil {
			t.Fatal(err)
		}
		if err := json.Unmarshal(raw, &rec); err != nil {
			t.Fatalf("%s: %v", name, err)
		}
		if rec.Response.Status != 200 {
			continue
		}
		body := []byte(rec.Response.Body)
		t.Run(name, func(t *testing.T) {
			var want, got any
			switch {
			case reAccount.MatchString(name):
				var old account
				var lib gomastodon.Account
				decode(t, body, &old, &lib)
				want, got = old, fromAccount(&lib)
			case reAccounts.MatchString(name):
				var old []account
				var lib []*gomastodon.Account
				decode(t, body, &old, &lib)
				want, got = old, fromAccounts(lib)
			case reStatus.MatchString(name):
				var old status
				var lib gomastodon.Status
				decode(t, body, &old, &lib)
				want, got = old, fromStatus(&lib)
			case reStatuses.MatchString(name):
				var old []status
				var lib []*gomastodon.Status
				decode(t, body, &old, &lib)
				want, got = old, fromStatuses(lib)
			case reNotifs.MatchString(name):
				var old []notification
				var lib []*gomastodon.Notification
				decode(t, body, &old, &lib)
				var conv []notification
				for _, n := range lib {
					conv = append(conv, fromNotification(n))
				}
				want, got = old, conv
			case reContext.MatchString(name):
				var old statusContext
				var lib gomastodon.Context
				decode(t, body, &old, &lib)
				want, got = old, statusContext{Ancestors: fromStatuses(lib.Ancestors), Descendants: fromStatuses(lib.Descendants)}
			default:
				return
			}
			seen[name]++
			if diff := cmp.Diff(want, got, opts); diff != "" {
				t.Errorf("(-connector's decoding +go-mastodon's):\n%s", diff)
			}
		})
	}
	if len(seen) == 0 {
		t.Fatal("no fixture decoded")
	}
	t.Logf("%d recorded responses compared", len(seen))
}
