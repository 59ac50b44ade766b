package identity

import (
	"fmt"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/rollcall-dev/rollcall/connectors"
	"github.com/rollcall-dev/rollcall/connectors/community"
)

// demoCandidates builds the identities the four connectors would report
// for a generated community, the connector evidence between them (commit
// author → login), and the truth: the person owning each identity.
func demoCandidates(c *community.Community) (cs []Candidate, links []Link, owner map[string]string) {
	owner = map[string]string{}
	byExt := map[[2]string]string{} // platform, external id → person
	for _, p := range c.Ground().Persons {
		for _, a := range p.Accounts {
			byExt[[2]string{a.Platform, a.ExternalID}] = p.ID
		}
	}
	seen := map[string]bool{}
	add := func(cd Candidate, person string) {
		k := cd.Ref.String()
		if seen[k] {
			return
		}
		seen[k] = true
		cs = append(cs, cd)
		owner[k] = person
	}
	urls := func(vs ...string) []string {
		var out []string
		for _, v := range vs {
			for _, f := range strings.Fields(v) {
				if strings.HasPrefix(f, "http://") || strings.HasPrefix(f, "https://") {
					out = append(out, f)
				}
			}
		}
		return out
	}
	ghRef := map[string]connectors.AccountRef{} // lower-cased login → ref
	for _, u := range c.Users {
		if u.Type == "Organization" {
			continue
		}
		ref := connectors.AccountRef{Platform: connectors.PlatformGitHub, Instance: "github.com", ExternalID: strconv.FormatInt(u.ID, 10)}
		ghRef[strings.ToLower(u.Login)] = ref
		cd := Candidate{Ref: ref, Username: u.Login, Name: u.Name, URL: community.GitHubURL(u.Login), Bot: u.Type == "Bot"}
		if u.Email != "" {
			cd.Emails = []string{u.Email}
		}
		if u.Blog != "" {
			b := u.Blog
			if !strings.Contains(b, "://") {
				b = "https://" + b
			}
			cd.Links = append(cd.Links, b)
		}
		if u.Twitter != "" {
			cd.Links = append(cd.Links, "https://twitter.com/"+strings.TrimPrefix(u.Twitter, "@"))
		}
		for _, s := range u.Social {
			cd.Links = append(cd.Links, s.URL)
		}
		add(cd, byExt[[2]string{"github", ref.ExternalID}])
	}
	for _, rd := range c.Repos {
		for _, cm := range rd.Commits {
			email := strings.TrimSpace(cm.AuthorEmail)
			if email == "" {
				continue
			}
			ref := connectors.AccountRef{Platform: connectors.PlatformGit, ExternalID: strings.ToLower(email)}
			person := byExt[[2]string{"git", ref.ExternalID}]
			gh, linked := ghRef[strings.ToLower(cm.Author)]
			if linked {
				links = append(links, Link{Kind: KindCommitAuthorLogin, A: ref.String(), B: gh.String()})
				if person == "" {
					person = owner[gh.String()]
				}
			}
			add(Candidate{Ref: ref, Username: email, Name: cm.AuthorName, Emails: []string{email}}, person)
		}
	}
	for _, a := range c.Mastodon.Users {
		ref := connectors.AccountRef{Platform: connectors.PlatformMastodon, Instance: strings.ToLower(a.Domain), ExternalID: a.Acct()}
		cd := Candidate{Ref: ref, Username: a.Username + "@" + a.Domain, Name: a.DisplayName, URL: a.URL(), Bot: a.Bot}
		for _, f := range a.Fields {
			for _, l := range urls(f.Value) {
				cd.Links = append(cd.Links, l)
				if !f.VerifiedAt.IsZero() {
					cd.VerifiedLinks = append(cd.VerifiedLinks, l)
				}
			}
		}
		cd.Links = append(cd.Links, urls(a.Note)...)
		add(cd, byExt[[2]string{"mastodon", ref.ExternalID}])
	}
	for _, u := range c.Discourse.Users {
		ref := connectors.AccountRef{Platform: connectors.PlatformDiscourse, Instance: c.Discourse.Host, ExternalID: strconv.FormatInt(u.ID, 10)}
		cd := Candidate{Ref: ref, Username: u.Username, Name: u.Name, URL: u.URL(c.Discourse.Host)}
		if u.Website != "" {
			cd.Links = append(cd.Links, u.Website)
		}
		if u.Email != "" {
			cd.Emails = []string{u.Email}
		}
		if u.GitHub != "" {
			cd.VerifiedLinks = append(cd.VerifiedLinks, community.GitHubURL(u.GitHub))
		}
		add(cd, byExt[[2]string{"discourse", ref.ExternalID}])
	}
	for _, u := range c.StackOverflow.Users {
		ref := connectors.AccountRef{Platform: connectors.PlatformStackOverflow, Instance: c.StackOverflow.Site, ExternalID: strconv.FormatInt(u.UserID, 10)}
		cd := Candidate{Ref: ref, Username: u.DisplayName, Name: u.DisplayName, URL: u.Link}
		if u.AccountID > 0 {
			cd.NetworkID = strconv.FormatInt(u.AccountID, 10)
		}
		if u.WebsiteURL != "" {
			cd.Links = []string{u.WebsiteURL}
		}
		add(cd, byExt[[2]string{"stackoverflow", ref.ExternalID}])
	}
	return cs, links, owner
}

// mustLinks lists the pairs of identities that a mutual or a verified link
// (or a forge's commit author link) joins: they must end in one member.
func mustLinks(cs []Candidate, links []Link) [][2]string {
	fs := make([]*features, len(cs))
	byProfile := map[string][]int{}
	for i, c := range cs {
		fs[i] = prepare(c)
		for _, p := range fs[i].profiles {
			byProfile[p] = append(byProfile[p], i)
		}
	}
	var out [][2]string
	for i, f := range fs {
		for _, l := range f.vlinks {
			for _, j := range byProfile[l] {
				out = append(out, [2]string{f.key, fs[j].key})
			}
		}
		for _, l := range f.links {
			for _, j := range byProfile[l] {
				if hits(fs[j].links, f.profiles) != "" && j > i {
					out = append(out, [2]string{f.key, fs[j].key})
				}
			}
		}
	}
	for _, l := range links {
		out = append(out, [2]string{l.A, l.B})
	}
	return out
}

func TestDemoTruth(t *testing.T) {
	now := time.Date(2026, 6, 1, 0, 0, 0, 0, time.UTC)
	for _, size := range []int{80, 400} {
		for _, seed := range []int64{1, 7} {
			t.Run(fmt.Sprintf("size%d_seed%d", size, seed), func(t *testing.T) {
				c := community.Generate(seed, size, now)
				cs, links, owner := demoCandidates(c)
				res := Resolve(cs, Options{Links: links})
				memberOf := map[string]int{}
				pred, gold := make([]string, len(cs)), make([]string, len(cs))
				for i, cd := range cs {
					k := cd.Ref.String()
					memberOf[k] = res.MemberOf[i]
					pred[i] = strconv.Itoa(res.MemberOf[i])
					gold[i] = owner[k]
					if gold[i] == "" {
						t.Fatalf("identity %d has no person in the truth", i)
					}
				}
				falseMerges := 0
				for _, m := range res.Members {
					for _, k := range m[1:] {
						if owner[k] != owner[m[0]] {
							falseMerges++
						}
					}
				}
				if falseMerges > 0 {
					t.Errorf("%d identities merged with another person", falseMerges)
					for _, m := range res.Merges {
						if owner[m.A] != owner[m.B] {
							t.Logf("false merge %s + %s: %v", m.A, m.B, m.Evidence)
						}
					}
				}
				for _, imp := range c.Impostors {
					var key string
					for k, p := range owner {
						if p == imp.Person && strings.HasPrefix(k, imp.Account.Platform+"/") {
							key = k
						}
					}
					for _, k := range res.Members[memberOf[key]] {
						if owner[k] != imp.Person {
							t.Errorf("an impostor was merged with another person")
						}
					}
				}
				missed := 0
				must := mustLinks(cs, links)
				for _, p := range must {
					if memberOf[p[0]] != memberOf[p[1]] {
						missed++
					}
				}
				if missed > 0 {
					t.Errorf("%d of %d mutual, verified or forge links not merged", missed, len(must))
				}
				s := score(pred, gold)
				t.Logf("%d identities, %d impostors, %d required links; members %d vs persons %d; pairwise P %.4f R %.4f F1 %.4f; B-cubed P %.4f R %.4f F1 %.4f; suggestions %d",
					len(cs), len(c.Impostors), len(must), s.Predicted, s.Gold, s.PairP, s.PairR, s.PairF1, s.BP, s.BR, s.BF1, len(res.Suggestions))
			})
		}
	}
}
