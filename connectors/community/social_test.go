package community

import (
	"bytes"
	"encoding/json"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/rollcall-dev/rollcall/connectors/discourse/discoursetest"
	"github.com/rollcall-dev/rollcall/connectors/github/githubtest"
	"github.com/rollcall-dev/rollcall/connectors/mastodon/mastodontest"
	"github.com/rollcall-dev/rollcall/connectors/stackoverflow/stackoverflowtest"
)

func TestTruthJSONDeterministic(t *testing.T) {
	for _, size := range []int{10, 50, 400} {
		a, err := Generate(9, size, now).TruthJSON()
		if err != nil {
			t.Fatal(err)
		}
		b, _ := Generate(9, size, now).TruthJSON()
		if !bytes.Equal(a, b) {
			t.Errorf("size %d: same seed, different truth", size)
		}
		c, _ := Generate(10, size, now).TruthJSON()
		if bytes.Equal(a, c) {
			t.Errorf("size %d: different seeds, same truth", size)
		}
	}
}

func TestTruthJSONShape(t *testing.T) {
	c := Generate(4, 120, now)
	raw, err := c.TruthJSON()
	if err != nil {
		t.Fatal(err)
	}
	var doc struct {
		Persons []struct {
			ID       string `json:"id"`
			Accounts []struct {
				Platform   string `json:"platform"`
				Username   string `json:"username"`
				ExternalID string `json:"external_id"`
			} `json:"accounts"`
		} `json:"persons"`
	}
	dec := json.NewDecoder(bytes.NewReader(raw))
	if err := dec.Decode(&doc); err != nil {
		t.Fatal(err)
	}
	if len(doc.Persons) != len(c.People) {
		t.Fatalf("%d persons, want %d", len(doc.Persons), len(c.People))
	}
	platforms := map[string]int{}
	keys := map[string]string{}
	for _, p := range doc.Persons {
		if p.ID == "" || len(p.Accounts) == 0 {
			t.Errorf("person %+v", p)
		}
		for _, a := range p.Accounts {
			platforms[a.Platform]++
			if a.Username == "" || a.ExternalID == "" {
				t.Errorf("%s: account %+v lacks a username or an external id", p.ID, a)
			}
			switch a.Platform {
			case PlatformGit, PlatformMastodon:
				if a.Username != strings.ToLower(a.Username) {
					t.Errorf("%s: %s username %q not lower-cased", p.ID, a.Platform, a.Username)
				}
			}
			if a.Platform == PlatformMastodon && (strings.Count(a.Username, "@") != 1 || a.ExternalID != a.Username) {
				t.Errorf("%s: mastodon account %+v", p.ID, a)
			}
			k := a.Platform + "/" + a.ExternalID
			if prev, ok := keys[k]; ok {
				t.Errorf("external id %s belongs to %s and %s", k, prev, p.ID)
			}
			keys[k] = p.ID
		}
	}
	for _, pl := range []string{PlatformGitHub, PlatformGit, PlatformMastodon, PlatformDiscourse, PlatformStackOverflow} {
		if platforms[pl] == 0 {
			t.Errorf("no %s account in the truth (%v)", pl, platforms)
		}
	}
	for pl := range platforms {
		if !slices.Contains([]string{PlatformGitHub, PlatformGit, PlatformMastodon, PlatformDiscourse, PlatformStackOverflow}, pl) {
			t.Errorf("unknown platform %q", pl)
		}
	}
}

func TestEveryActivityTypeOtherPlatforms(t *testing.T) {
	for _, size := range []int{40, 50, 300} {
		c := Generate(7, size, now)
		start := now.Add(-Span)
		in := func(what string, ts time.Time) {
			if ts.Before(start.Add(-time.Second)) || ts.After(now) {
				t.Errorf("size %d: %s at %v outside window", size, what, ts)
			}
		}
		got := map[string]int{}
		md := c.Mastodon
		community := md.Accounts[0]
		for _, s := range md.Statuses {
			in("status", s.CreatedAt)
			if s.Account != community && slices.Contains(s.Tags, hashtag) {
				got["mastodon post"]++
			}
			if slices.Contains(s.Mentions, community) {
				got["mastodon mention"]++
			}
			if s.InReplyTo != 0 && s.InReplyTo >= s.N {
				t.Errorf("status %d replies to later status %d", s.N, s.InReplyTo)
			}
		}
		for _, b := range md.Boosts {
			in("boost", b.At)
			if b.At.Before(md.Statuses[b.Status-1].CreatedAt) {
				t.Errorf("boost before its status")
			}
		}
		got["mastodon boost"] = len(md.Boosts)
		got["mastodon favourite"] = len(md.Favourites)
		got["mastodon follow"] = len(md.Follows)
		d := c.Discourse
		for i, p := range d.Posts {
			in("post", p.CreatedAt)
			if p.ID != int64(i+1) {
				t.Fatalf("post ids not contiguous at %d", i)
			}
			if p.PostNumber == 1 {
				got["discourse topic_created"]++
			} else {
				got["discourse post_created"]++
			}
		}
		for _, tp := range d.Topics {
			if tp.AcceptedPostID != 0 {
				got["discourse solution_accepted"]++
				in("solution", tp.AcceptedAt)
			}
		}
		got["discourse like"] = len(d.Likes)
		so := c.StackOverflow
		got["so question"] = len(so.Questions)
		got["so answer"] = len(so.Answers)
		for _, a := range so.Answers {
			in("answer", a.CreationDate)
			if a.IsAccepted {
				got["so answer_accepted"]++
			}
		}
		got["so comment"] = len(so.Comments)
		for _, k := range []string{"mastodon post", "mastodon mention", "mastodon boost", "mastodon favourite", "mastodon follow",
			"discourse topic_created", "discourse post_created", "discourse solution_accepted", "discourse like",
			"so question", "so answer", "so answer_accepted", "so comment"} {
			if got[k] == 0 {
				t.Errorf("size %d: no %s (%v)", size, k, got)
			}
		}
	}
}

// owners maps every account to its person ID.
func owners(c *Community) map[Account]string {
	out := map[Account]string{}
	for _, p := range c.People {
		for _, a := range p.Accounts {
			out[a] = p.ID
		}
	}
	return out
}

func TestAccountsAndPlatforms(t *testing.T) {
	c := Generate(3, 300, now)
	own := owners(c)
	for _, u := range c.Mastodon.Users {
		if _, ok := own[Account{PlatformMastodon, u.Acct()}]; !ok {
			t.Errorf("mastodon %s belongs to nobody", u.Acct())
		}
	}
	for _, u := range c.Discourse.Users {
		a := Account{PlatformDiscourse, u.Username}
		if _, ok := own[a]; !ok || c.ExternalID(a) == "" {
			t.Errorf("discourse %s belongs to nobody", u.Username)
		}
	}
	for _, u := range c.StackOverflow.Users {
		a := Account{PlatformStackOverflow, u.DisplayName}
		if _, ok := own[a]; !ok || c.ExternalID(a) == "" {
			t.Errorf("stackoverflow %s belongs to nobody", u.DisplayName)
		}
	}
	only := map[string]int{}
	for _, p := range c.People {
		plats := map[string]bool{}
		for _, a := range p.Accounts {
			if a.Platform != PlatformGit {
				plats[a.Platform] = true
			}
		}
		if len(plats) > 4 {
			t.Errorf("%s on %d platforms", p.ID, len(plats))
		}
		if len(plats) == 1 {
			for pl := range plats {
				only[pl]++
			}
		}
	}
	for _, pl := range []string{PlatformGitHub, PlatformMastodon, PlatformDiscourse, PlatformStackOverflow} {
		if only[pl] == 0 {
			t.Errorf("nobody is only on %s (%v)", pl, only)
		}
	}
	// Bots and staff.
	md := c.Mastodon
	if len(md.Accounts) == 0 || md.Accounts[0] != "rollcall@"+md.Instance || len(md.Hashtags) == 0 {
		t.Errorf("mastodon config %v %v", md.Accounts, md.Hashtags)
	}
	if !slices.ContainsFunc(md.Users, func(u MastodonAccount) bool { return u.Bot }) {
		t.Error("no mastodon bot")
	}
	var system, discobot, admin bool
	for _, u := range c.Discourse.Users {
		system = system || (u.Username == "system" && u.ID == -1)
		discobot = discobot || (u.Username == "discobot" && u.ID == -2)
		admin = admin || (u.Admin && u.ID > 0)
	}
	if !system || !discobot || !admin {
		t.Errorf("discourse system %v discobot %v admin %v", system, discobot, admin)
	}
	if c.StackOverflow.Site == "" || len(c.StackOverflow.Tags) == 0 || len(c.Discourse.Categories) == 0 {
		t.Error("missing source configuration")
	}
}

// links returns every profile link of every account, as (account, URL).
type link struct {
	from     Account
	url      string
	verified bool
}

func profileLinks(c *Community) (out []link) {
	for _, u := range c.Users {
		a := Account{PlatformGitHub, u.Login}
		if u.Blog != "" {
			out = append(out, link{a, u.Blog, false})
		}
		for _, s := range u.Social {
			out = append(out, link{a, s.URL, false})
		}
	}
	for _, u := range c.Mastodon.Users {
		for _, f := range u.Fields {
			out = append(out, link{Account{PlatformMastodon, u.Acct()}, f.Value, !f.VerifiedAt.IsZero()})
		}
	}
	for _, u := range c.Discourse.Users {
		if u.Website != "" {
			out = append(out, link{Account{PlatformDiscourse, u.Username}, u.Website, false})
		}
		if u.GitHub != "" {
			out = append(out, link{Account{PlatformDiscourse, u.Username}, GitHubURL(u.GitHub), true})
		}
	}
	for _, u := range c.StackOverflow.Users {
		if u.WebsiteURL != "" {
			out = append(out, link{Account{PlatformStackOverflow, u.DisplayName}, u.WebsiteURL, false})
		}
	}
	return out
}

// accountURLs maps every profile URL to its account.
func accountURLs(c *Community) map[string]Account {
	m := map[string]Account{}
	for _, u := range c.Users {
		m[GitHubURL(u.Login)] = Account{PlatformGitHub, u.Login}
	}
	for _, u := range c.Mastodon.Users {
		m[u.URL()] = Account{PlatformMastodon, u.Acct()}
	}
	for _, u := range c.Discourse.Users {
		m[u.URL(c.Discourse.Host)] = Account{PlatformDiscourse, u.Username}
	}
	for _, u := range c.StackOverflow.Users {
		m[u.Link] = Account{PlatformStackOverflow, u.DisplayName}
	}
	return m
}

func TestCrossLinks(t *testing.T) {
	for _, size := range []int{50, 400} {
		c := Generate(11, size, now)
		own := owners(c)
		urls := accountURLs(c)
		impostor := map[Account]bool{}
		for _, im := range c.Impostors {
			impostor[im.Account] = true
		}
		linksFrom := map[Account][]string{}
		kinds := map[string]int{}
		for _, l := range profileLinks(c) {
			linksFrom[l.from] = append(linksFrom[l.from], l.url)
			to, ok := urls[l.url]
			if !ok {
				continue
			}
			kinds[l.from.Platform+"->"+to.Platform]++
			if impostor[l.from] {
				if own[to] == own[l.from] {
					t.Errorf("impostor %v links to its own account %v", l.from, to)
				}
				continue
			}
			if own[to] != own[l.from] && own[l.from] != "" {
				t.Errorf("size %d: %v (%s) links to %v (%s), another person", size, l.from, own[l.from], to, own[to])
			}
		}
		for _, k := range []string{"github->mastodon", "mastodon->github", "discourse->github", "stackoverflow->github"} {
			if kinds[k] == 0 {
				t.Errorf("size %d: no %s link (%v)", size, k, kinds)
			}
		}
		// Every verified Mastodon link to GitHub is mutual.
		verified := 0
		for _, u := range c.Mastodon.Users {
			for _, f := range u.Fields {
				if f.VerifiedAt.IsZero() {
					continue
				}
				if f.VerifiedAt.Before(u.CreatedAt) || f.VerifiedAt.After(now) {
					t.Errorf("%s: verified at %v", u.Acct(), f.VerifiedAt)
				}
				to, ok := urls[f.Value]
				if !ok {
					if u.Acct() != c.Mastodon.Accounts[0] {
						t.Errorf("%s: verified link %s to an unknown site", u.Acct(), f.Value)
					}
					continue
				}
				verified++
				if !slices.Contains(linksFrom[to], u.URL()) {
					t.Errorf("%s: verified link to %v, which does not link back", u.Acct(), to)
				}
			}
		}
		if verified == 0 {
			t.Errorf("size %d: no verified mastodon link", size)
		}
	}
}

func TestLookAlikesAndImpostors(t *testing.T) {
	for _, size := range []int{50, 300} {
		c := Generate(5, size, now)
		own := owners(c)
		byID := map[string]Person{}
		for _, p := range c.People {
			byID[p.ID] = p
		}
		cross := 0
		for _, pair := range c.LookAlikes {
			a, b := byID[pair[0]], byID[pair[1]]
			if a.ID == "" || b.ID == "" || a.ID == b.ID {
				t.Fatalf("look-alike pair %v", pair)
			}
			af, al := splitName(a.Name)
			bf, bl := splitName(b.Name)
			alike := len(af) >= 2 && len(bf) >= 2 && af[:2] == bf[:2] && al != "" && bl != "" && al[0] == bl[0]
			if !alike && a.Name != "" && b.Name != "" {
				t.Errorf("look-alikes %q and %q are not alike", a.Name, b.Name)
			}
			if a.Accounts[0].Platform != b.Accounts[0].Platform {
				cross++
			}
		}
		if len(c.LookAlikes) < 3 || cross == 0 {
			t.Errorf("size %d: %d look-alike pairs, %d across platforms", size, len(c.LookAlikes), cross)
		}
		plats := map[string]bool{}
		urls := accountURLs(c)
		links := profileLinks(c)
		for _, im := range c.Impostors {
			plats[im.Account.Platform] = true
			if own[im.Account] != im.Person || im.Person == im.Victim {
				t.Errorf("impostor %+v: account owned by %s", im, own[im.Account])
			}
			if own[Account{PlatformGitHub, im.Claims}] != im.Victim {
				t.Errorf("impostor %+v: victim does not own %s", im, im.Claims)
			}
			claims := false
			for _, l := range links {
				if l.from == im.Account && l.url == GitHubURL(im.Claims) {
					claims = true
					if l.verified {
						t.Errorf("impostor %+v has a verified claim", im)
					}
				}
				if l.from == (Account{PlatformGitHub, im.Claims}) && urls[l.url] == im.Account {
					t.Errorf("victim of %+v links back", im)
				}
			}
			if !claims {
				t.Errorf("impostor %+v does not claim", im)
			}
		}
		if len(plats) < 3 {
			t.Errorf("size %d: impostors only on %v", size, plats)
		}
	}
}

func TestLoadAll(t *testing.T) {
	c := Generate(5, 60, now)
	clock := func() time.Time { return now }
	gh := githubtest.New(githubtest.WithNow(clock))
	ma := mastodontest.New(mastodontest.WithDomain(c.Mastodon.Instance), mastodontest.WithNow(clock))
	di := discoursetest.New(discoursetest.WithNow(clock))
	so := stackoverflowtest.New(stackoverflowtest.WithNow(clock))
	if err := c.LoadAll(gh, ma, di, so); err != nil {
		t.Fatal(err)
	}
	// Mastodon: the community account was notified of every mention,
	// boost, favourite and follow.
	md := c.Mastodon
	want := len(md.Boosts) + len(md.Favourites) + len(md.Follows)
	for _, s := range md.Statuses {
		if slices.Contains(s.Mentions, md.Accounts[0]) {
			want++
		}
	}
	if got := len(ma.Notifications(md.Accounts[0])); got != want {
		t.Errorf("community notifications: %d, want %d", got, want)
	}
	for _, u := range md.Users {
		a, ok := ma.Account(u.Acct())
		if !ok || len(a.Fields) != len(u.Fields) {
			t.Errorf("mastodon account %s: %+v", u.Acct(), a)
		}
	}
	// Discourse: every topic with its solution, every post, every like.
	for _, tp := range c.Discourse.Topics {
		got, ok := di.Topic(tp.ID)
		if !ok || got.FirstPostID != tp.FirstPostID || got.AcceptedPostID != tp.AcceptedPostID {
			t.Errorf("topic %d: %+v", tp.ID, got)
		}
	}
	likes := 0
	for _, p := range c.Discourse.Posts {
		got, ok := di.Post(p.ID)
		if !ok || got.PostNumber != p.PostNumber || got.TopicID != p.TopicID {
			t.Errorf("post %d: %+v", p.ID, got)
		}
		likes += len(di.Likes(p.ID))
	}
	if likes != len(c.Discourse.Likes) {
		t.Errorf("%d likes, want %d", likes, len(c.Discourse.Likes))
	}
	// Stack Overflow: questions with their accepted answers.
	for _, q := range c.StackOverflow.Questions {
		got, ok := so.Question(q.QuestionID)
		if !ok || got.AcceptedAnswerID != q.AcceptedAnswerID {
			t.Errorf("question %d: %+v", q.QuestionID, got)
		}
	}
	for _, u := range c.StackOverflow.Users {
		if got, ok := so.User(u.UserID); !ok || got.Link != u.Link {
			t.Errorf("so user %d: %+v", u.UserID, got)
		}
	}
	// Loading twice fails everywhere.
	if c.LoadMastodon(ma) == nil || c.LoadDiscourse(di) == nil || c.LoadStackOverflow(so) == nil {
		t.Error("loading twice succeeded")
	}
	// A Mastodon fake on another domain is refused.
	if c.LoadMastodon(mastodontest.New()) == nil {
		t.Error("loaded into a fake on another domain")
	}
}

func TestParagraph(t *testing.T) {
	got := paragraph("@rollcall@fosstodon.org thanks, #rollcall! <3", "fosstodon.org")
	for _, want := range []string{`href="https://fosstodon.org/@rollcall" class="u-url mention"`, `href="https://fosstodon.org/tags/rollcall"`, `</a>!`, `&lt;3`} {
		if !strings.Contains(got, want) {
			t.Errorf("paragraph: %s lacks %s", got, want)
		}
	}
}

// BenchmarkGenerateAndLoadAll measures generating a 5,000-person community
// and loading it into all four fakes.
func BenchmarkGenerateAndLoadAll(b *testing.B) {
	for b.Loop() {
		c := Generate(1, 5000, now)
		if err := c.LoadAll(githubtest.New(), mastodontest.New(mastodontest.WithDomain(c.Mastodon.Instance)), discoursetest.New(), stackoverflowtest.New()); err != nil {
			b.Fatal(err)
		}
	}
}
