package mastodon

import (
	"encoding/json"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/rollcall-dev/rollcall/connectors"
)

// fixtureDir locates the recorded Mastodon responses relative to this
// package, skipping when they are absent.
func fixtureDir(t *testing.T) string {
	t.Helper()
	dir := filepath.Join("..", "..", "..", "shared", "fixtures", "mastodon", "mastodon-py-extracted")
	if _, err := os.Stat(dir); err != nil {
		t.Skipf("recorded fixtures not found at %s: %v", dir, err)
	}
	return dir
}

var (
	reAccount  = regexp.MustCompile(`GET\.api_v1_accounts_(\d+|verify_credentials|lookup_acct=[^.]+)\.json$`)
	reAccounts = regexp.MustCompile(`GET\.api_v1_(accounts_\d+_follow(ers|ing)|statuses_\d+_(favourited|reblogged)_by)\.json$`)
	reStatus   = regexp.MustCompile(`GET\.api_v1_statuses_\d+\.json$`)
	reStatuses = regexp.MustCompile(`GET\.api_v1_(timelines_tag_\w+|accounts_\d+_statuses.*)\.json$`)
	reNotifs   = regexp.MustCompile(`GET\.api_v1_notifications(_types.*|_exclude.*)?\.json$`)
	reContext  = regexp.MustCompile(`GET\.api_v1_statuses_\d+_context\.json$`)
)

// TestFixtures decodes every recorded account, status, notification and
// context through the connector's types and translation, and checks that no
// stored field is lost.
func TestFixtures(t *testing.T) {
	dir := fixtureDir(t)
	files, err := filepath.Glob(filepath.Join(dir, "*.GET.*.json"))
	if err != nil {
		t.Fatal(err)
	}
	tr := translator{instance: "mastodon.example"}
	seen := map[string]int{}
	verified := 0
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
			switch {
			case reAccount.MatchString(name):
				seen["account"]++
				var a account
				var m map[string]any
				decode(t, body, &a, &m)
				verified += checkAccount(t, tr, a, m)
			case reAccounts.MatchString(name):
				seen["accounts"]++
				var as []account
				var ms []map[string]any
				decode(t, body, &as, &ms)
				for i := range as {
					verified += checkAccount(t, tr, as[i], ms[i])
				}
			case reStatus.MatchString(name):
				seen["status"]++
				var s status
				var m map[string]any
				decode(t, body, &s, &m)
				checkStatus(t, tr, s, m)
			case reStatuses.MatchString(name):
				seen["statuses"]++
				var ss []status
				var ms []map[string]any
				decode(t, body, &ss, &ms)
				for i := range ss {
					checkStatus(t, tr, ss[i], ms[i])
				}
			case reNotifs.MatchString(name):
				seen["notifications"]++
				var ns []notification
				var ms []map[string]any
				decode(t, body, &ns, &ms)
				for i, n := range ns {
					m := ms[i]
					if n.ID != m["id"] || n.Type != m["type"] || !n.CreatedAt.Equal(parseTime(t, m["created_at"])) {
						t.Errorf("notification %v: got id %q type %q at %v", m["id"], n.ID, n.Type, n.CreatedAt)
					}
					checkAccount(t, tr, n.Account, m["account"].(map[string]any))
					if sm, ok := m["status"].(map[string]any); ok {
						checkStatus(t, tr, *n.Status, sm)
					}
				}
			case reContext.MatchString(name):
				seen["context"]++
				var c statusContext
				var m map[string][]map[string]any
				decode(t, body, &c, &m)
				for i, s := range c.Descendants {
					checkStatus(t, tr, s, m["descendants"][i])
				}
				for i, s := range c.Ancestors {
					checkStatus(t, tr, s, m["ancestors"][i])
				}
			}
		})
	}
	for _, k := range []string{"account", "accounts", "status", "statuses", "notifications", "context"} {
		if seen[k] == 0 {
			t.Errorf("no %s fixture decoded", k)
		}
	}
	if verified == 0 {
		t.Errorf("no fixture account had a verified link")
	}
}

func decode(t *testing.T, body []byte, typed, generic any) {
	t.Helper()
	if err := json.Unmarshal(body, typed); err != nil {
		t.Fatalf("decode: %v", err)
	}
	if err := json.Unmarshal(body, generic); err != nil {
		t.Fatalf("decode generically: %v", err)
	}
}

func parseTime(t *testing.T, v any) time.Time {
	t.Helper()
	s, _ := v.(string)
	if s == "" {
		return time.Time{}
	}
	tm, err := time.Parse(time.RFC3339Nano, s)
	if err != nil {
		t.Fatalf("fixture time %q: %v", s, err)
	}
	return tm
}

func str(v any) string { s, _ := v.(string); return s }

// checkAccount compares the translation of a with the generic decoding m,
// and returns how many verified links it had.
func checkAccount(t *testing.T, tr translator, a account, m map[string]any) int {
	t.Helper()
	got := tr.account(a, time.Unix(1, 0))
	acct, username, u := str(m["acct"]), str(m["username"]), str(m["url"])
	domain := ""
	if _, d, ok := strings.Cut(acct, "@"); ok {
		domain = d
	} else {
		domain = hostOf(t, u)
	}
	wantID := strings.ToLower(username + "@" + domain)
	if got.ExternalID != wantID || got.Instance != strings.ToLower(domain) || got.Username != username+"@"+domain {
		t.Errorf("account %s: key %+v username %q, want %s on %s", acct, got.AccountRef, got.Username, wantID, domain)
	}
	if got.Name != str(m["display_name"]) || got.URL != u || got.AvatarURL != str(m["avatar"]) {
		t.Errorf("account %s: name %q url %q avatar %q lost", acct, got.Name, got.URL, got.AvatarURL)
	}
	if got.Bot != (m["bot"] == true) || float64(got.Followers) != m["followers_count"].(float64) {
		t.Errorf("account %s: bot %v followers %d, want %v %v", acct, got.Bot, got.Followers, m["bot"], m["followers_count"])
	}
	if !a.CreatedAt.Equal(parseTime(t, m["created_at"])) {
		t.Errorf("account %s: created_at %v, want %v", acct, a.CreatedAt, m["created_at"])
	}
	n := 0
	fields, _ := m["fields"].([]any)
	if len(a.Fields) != len(fields) {
		t.Fatalf("account %s: %d fields, want %d", acct, len(a.Fields), len(fields))
	}
	for i, fv := range fields {
		f := fv.(map[string]any)
		if a.Fields[i].Name != str(f["name"]) || a.Fields[i].Value != str(f["value"]) {
			t.Errorf("account %s: field %d = %+v, want %v", acct, i, a.Fields[i], f)
		}
		wantVer := parseTime(t, f["verified_at"])
		if (a.Fields[i].VerifiedAt == nil) != wantVer.IsZero() || (a.Fields[i].VerifiedAt != nil && !a.Fields[i].VerifiedAt.Equal(wantVer)) {
			t.Errorf("account %s: field %s verified_at %v, want %v", acct, f["name"], a.Fields[i].VerifiedAt, f["verified_at"])
		}
		for _, l := range links(str(f["value"])) {
			if !slices.Contains(got.Links, l) {
				t.Errorf("account %s: link %s of field %s lost", acct, l, f["name"])
			}
			if !wantVer.IsZero() {
				n++
				if !slices.Contains(got.VerifiedLinks, l) {
					t.Errorf("account %s: verified link %s lost", acct, l)
				}
			}
		}
	}
	if len(got.VerifiedLinks) != n {
		t.Errorf("account %s: verified links %v, want %d", acct, got.VerifiedLinks, n)
	}
	return n
}

func hostOf(t *testing.T, u string) string {
	t.Helper()
	_, rest, _ := strings.Cut(u, "://")
	h, _, _ := strings.Cut(rest, "/")
	h, _, _ = strings.Cut(h, ":")
	return h
}

func checkStatus(t *testing.T, tr translator, s status, m map[string]any) {
	t.Helper()
	if s.ID != m["id"] || !s.CreatedAt.Equal(parseTime(t, m["created_at"])) || s.Content != str(m["content"]) || s.URI != str(m["uri"]) {
		t.Errorf("status %v: id %q at %v content/uri lost", m["id"], s.ID, s.CreatedAt)
	}
	if statusURL(s) != str(m["url"]) && m["url"] != nil {
		t.Errorf("status %v: url %q, want %v", m["id"], statusURL(s), m["url"])
	}
	if float64(s.ReblogsCount) != m["reblogs_count"].(float64) || float64(s.FavouritesCount) != m["favourites_count"].(float64) || float64(s.RepliesCount) != m["replies_count"].(float64) {
		t.Errorf("status %v: counts lost", m["id"])
	}
	if str(m["in_reply_to_id"]) != "" && (s.InReplyToID == nil || *s.InReplyToID != m["in_reply_to_id"]) {
		t.Errorf("status %v: in_reply_to_id lost", m["id"])
	}
	ments, _ := m["mentions"].([]any)
	if len(ments) != len(s.Mentions) {
		t.Errorf("status %v: %d mentions, want %d", m["id"], len(s.Mentions), len(ments))
	}
	for i, mv := range ments {
		mm := mv.(map[string]any)
		if s.Mentions[i].Acct != mm["acct"] || s.Mentions[i].ID != mm["id"] || s.Mentions[i].URL != mm["url"] {
			t.Errorf("status %v: mention %d = %+v, want %v", m["id"], i, s.Mentions[i], mm)
		}
	}
	tags, _ := m["tags"].([]any)
	if len(tags) != len(s.Tags) {
		t.Errorf("status %v: %d tags, want %d", m["id"], len(s.Tags), len(tags))
	}
	checkAccount(t, tr, s.Account, m["account"].(map[string]any))
	if rb, ok := m["reblog"].(map[string]any); ok {
		checkStatus(t, tr, *s.Reblog, rb)
	}
	a := tr.post(s, "x")
	if a.Key != "mastodon/mastodon.example/post/"+s.ID || !a.OccurredAt.Equal(s.CreatedAt.Time) || a.Actor.IsZero() {
		t.Errorf("status %v: post activity %+v", m["id"], a)
	}
	if r := str(m["in_reply_to_id"]); (r == "" && a.ParentKey != "") || (r != "" && a.ParentKey != "mastodon/mastodon.example/post/"+r) {
		t.Errorf("status %v: parent %q, recorded in_reply_to_id %q", m["id"], a.ParentKey, r)
	}
	if want := connectors.Excerpt(m["content"].(string)); a.Text != want {
		t.Errorf("status %v: text %q, want %q", m["id"], a.Text, want)
	}
	fav, reb := int(m["favourites_count"].(float64)), int(m["reblogs_count"].(float64))
	if a.Reactions == nil || a.Reactions.Total != fav+reb || a.Reactions.ByKind[connectors.ReactionFavourite] != fav || a.Reactions.ByKind[connectors.ReactionReblog] != reb {
		t.Errorf("status %v: reactions %+v, recorded favourites_count %d, reblogs_count %d", m["id"], a.Reactions, fav, reb)
	}
}
