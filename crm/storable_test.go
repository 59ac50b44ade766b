package crm

import (
	"strings"
	"testing"
	"unicode/utf8"

	"github.com/rollcall-dev/rollcall/connectors"
)

// TestStorableLimits: names, titles, excerpts are cut on a rune boundary
// to their documented limits, over-long URLs and e-mail addresses dropped
// (a cut one would point elsewhere), lists bounded, keys never cut.
func TestStorableLimits(t *testing.T) {
	mb := strings.Repeat("é", 1<<19) // 1 MB of two-byte runes
	longURL := "https://example.org/" + strings.Repeat("a", MaxURLBytes)
	okURL := "https://example.org/ok"
	many := make([]string, MaxListItems+5)
	for i := range many {
		many[i] = okURL
	}
	b := StorableBatch(connectors.Batch{
		Accounts: []connectors.Account{{
			AccountRef: connectors.AccountRef{Platform: "github", Instance: "github.com", ExternalID: mb},
			Username:   mb, Name: mb + "\x00", URL: longURL, AvatarURL: okURL,
			Emails: []string{strings.Repeat("a", MaxEmailBytes) + "@x.org", "a@x.org"}, Links: many, VerifiedLinks: []string{longURL, okURL},
		}},
		Activities: []connectors.Activity{{Key: "k" + mb, Title: mb, Text: mb, Channel: mb, URL: longURL}},
	})
	a, act := b.Accounts[0], b.Activities[0]
	tests := []struct {
		what      string
		got       string
		wantRunes int
	}{
		{"username", a.Username, MaxNameRunes},
		{"name", a.Name, MaxNameRunes},
		{"title", act.Title, MaxTitleRunes},
		{"text", act.Text, connectors.MaxTextRunes},
		{"channel", act.Channel, MaxNameRunes},
		{"external id (never cut)", a.ExternalID, 1 << 19},
		{"key (never cut)", act.Key, 1<<19 + 1},
	}
	for _, tc := range tests {
		if n := utf8.RuneCountInString(tc.got); n != tc.wantRunes || !utf8.ValidString(tc.got) {
			t.Errorf("%s: %d runes (valid %v), want %d", tc.what, n, utf8.ValidString(tc.got), tc.wantRunes)
		}
	}
	if a.URL != "" || act.URL != "" || a.AvatarURL != okURL {
		t.Errorf("URLs = %.40q %.40q %q; want the over-long ones dropped, the short kept", a.URL, act.URL, a.AvatarURL)
	}
	if len(a.Emails) != 1 || a.Emails[0] != "a@x.org" {
		t.Errorf("emails = %.40q, want only a@x.org", a.Emails)
	}
	if len(a.Links) != MaxListItems || len(a.VerifiedLinks) != 1 || a.VerifiedLinks[0] != okURL {
		t.Errorf("links %d, verified %q; want %d and the short one", len(a.Links), a.VerifiedLinks, MaxListItems)
	}
	// Deterministic: a replay stores the same.
	if again := StorableBatch(connectors.Batch{Accounts: []connectors.Account{{Username: mb}}}); again.Accounts[0].Username != a.Username {
		t.Errorf("cutting is not deterministic")
	}
}
