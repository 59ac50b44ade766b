package community

import (
	"fmt"
	"html"
	"strings"
	"time"

	"github.com/rollcall-dev/rollcall/connectors/discourse/discoursetest"
	"github.com/rollcall-dev/rollcall/connectors/github/githubtest"
	"github.com/rollcall-dev/rollcall/connectors/mastodon/mastodontest"
	"github.com/rollcall-dev/rollcall/connectors/stackoverflow/stackoverflowtest"
)

// Hostile is one untrusted value a stranger can write into a profile or a
// post: what the untrusted-input tests serve through every fake.
type Hostile struct {
	// Name says what the value is ("control characters", "1 MB", ...).
	Name  string
	Value string
}

// HostileValues are the values the untrusted-input tests serve: terminal
// escape sequences and other control characters (C0, DEL, C1, NUL),
// right-to-left overrides and other bidirectional controls, invalid
// UTF-8, a 1 MB value, script and HTML payloads, javascript: and data:
// URLs, and SQL-looking text.
func HostileValues() []Hostile {
	return []Hostile{
		{"control characters", "Eve\x1b[31mRED\x1b[0m\x1b]0;owned\x07\x08\r\nnext\x00line\x7f"},
		{"C1 controls", "Eve\u009b31mred\u0085\u009d0;owned\u009c"},
		{"right-to-left override", "Eve \u202egnp.exe\u202c done"},
		{"bidi isolates and marks", "\u2066Eve\u2069\u200f\u200e\u061c\u2067x\u2069"},
		{"invalid UTF-8", "Eve\xff\xfe\xc3("},
		{"1 MB", strings.Repeat("A", 1<<20)},
		{"script", `<script>alert("xss")</script>`},
		{"HTML", `<img src=x onerror=alert(1)><b onclick="alert(2)">bold</b><a href="javascript:alert(3)">x</a>`},
		{"javascript: URL", "javascript:alert(document.cookie)"},
		{"data: URL", "data:text/html;base64,PHNjcmlwdD5hbGVydCgxKTwvc2NyaXB0Pg=="},
		{"SQL", "Robert'); DROP TABLE members;-- ' OR 1=1 --"},
	}
}

// HostileRecord is where one hostile value was put on one platform.
type HostileRecord struct {
	Hostile
	// Platform is "github", "mastodon", "discourse" or "stackoverflow".
	Platform string
	// Username is the account's handle (a plain one: services restrict
	// handles), ExternalID its permanent id as the connector keys it
	// (Stack Exchange user id, GitHub numeric id; the Mastodon and
	// Discourse ids are the fakes').
	Username, ExternalID string
}

// hostileLink is a profile link carrying v: v itself when it is a URL of
// some scheme, else an https URL with v in its path.
func hostileLink(v string) string {
	if strings.HasPrefix(v, "javascript:") || strings.HasPrefix(v, "data:") {
		return v
	}
	return "https://hostile.example/" + v
}

// LoadHostile adds, on each fake given (nil ones are skipped), one account
// per value whose display name, bio and profile link carry it, and one item
// by that account (an issue on the community's first repository, a status
// with its first hashtag, a topic in its first category, a question with
// its first tag) whose title and body carry it, where the community's
// sources read them. Load the community first (LoadAll).
func (c *Community) LoadHostile(values []Hostile, gh *githubtest.Server, ma *mastodontest.Server, di *discoursetest.Server, so *stackoverflowtest.Server) ([]HostileRecord, error) {
	var out []HostileRecord
	at := c.Now.Add(-time.Hour)
	for i, h := range values {
		link := hostileLink(h.Value)
		if gh != nil {
			rd := c.Repos[0]
			login := fmt.Sprintf("hostile-%d", i)
			u := gh.AddUser(githubtest.User{Login: login, Name: h.Value, Blog: link, Bio: h.Value, Location: h.Value,
				Social: []githubtest.Social{{Provider: "generic", URL: link}}, CreatedAt: at})
			if _, err := gh.AddIssue(rd.Repo.Owner, rd.Repo.Name, githubtest.Issue{User: login, Title: h.Value, Body: h.Value, CreatedAt: at}); err != nil {
				return nil, fmt.Errorf("community: hostile %s on github: %w", h.Name, err)
			}
			out = append(out, HostileRecord{Hostile: h, Platform: PlatformGitHub, Username: login, ExternalID: fmt.Sprint(u.ID)})
		}
		if ma != nil {
			name := fmt.Sprintf("hostile_%d", i)
			a, err := ma.AddAccount(mastodontest.Account{Username: name, DisplayName: h.Value, Note: "<p>" + html.EscapeString(h.Value) + "</p>",
				Fields: []mastodontest.Field{{Name: h.Value, Value: fieldHTML(link)}}, CreatedAt: at})
			if err != nil {
				return nil, fmt.Errorf("community: hostile %s on mastodon: %w", h.Name, err)
			}
			tag := c.Mastodon.Hashtags[0]
			if _, err := ma.AddStatus(mastodontest.Status{Account: name, Content: "<p>" + html.EscapeString(h.Value) + " " + hashtagHTML(tag, c.Mastodon.Instance) + "</p>",
				Tags: []string{tag}, CreatedAt: at}); err != nil {
				return nil, fmt.Errorf("community: hostile %s on mastodon: %w", h.Name, err)
			}
			out = append(out, HostileRecord{Hostile: h, Platform: PlatformMastodon, Username: name, ExternalID: a.ID})
		}
		if di != nil {
			name := fmt.Sprintf("hostile_%d", i)
			u := di.AddUser(discoursetest.User{Username: name, Name: h.Value, TrustLevel: 1, Website: link, Location: h.Value, Bio: h.Value, CreatedAt: at})
			if _, err := di.AddTopic(discoursetest.Topic{Title: h.Value, User: name, CategoryID: c.Discourse.Categories[0].ID, Body: h.Value, CreatedAt: at}); err != nil {
				return nil, fmt.Errorf("community: hostile %s on discourse: %w", h.Name, err)
			}
			out = append(out, HostileRecord{Hostile: h, Platform: PlatformDiscourse, Username: name, ExternalID: fmt.Sprint(u.ID)})
		}
		if so != nil {
			// Stack Exchange display names are free text: the value itself.
			u := so.AddUser(stackoverflowtest.User{DisplayName: h.Value, WebsiteURL: link, Location: h.Value, Reputation: 1, CreationDate: at})
			if _, err := so.AddQuestion(stackoverflowtest.Question{Title: h.Value, Body: "<p>" + html.EscapeString(h.Value) + "</p>", Tags: []string{c.StackOverflow.Tags[0]},
				OwnerID: u.UserID, CreationDate: at}); err != nil {
				return nil, fmt.Errorf("community: hostile %s on stackoverflow: %w", h.Name, err)
			}
			out = append(out, HostileRecord{Hostile: h, Platform: PlatformStackOverflow, Username: h.Value, ExternalID: fmt.Sprint(u.UserID)})
		}
	}
	return out, nil
}

// hashtagHTML is a hashtag link as Mastodon renders it.
func hashtagHTML(tag, instance string) string {
	return `<a href="https://` + instance + `/tags/` + html.EscapeString(strings.ToLower(tag)) + `" class="mention hashtag" rel="tag">#<span>` + html.EscapeString(tag) + `</span></a>`
}
