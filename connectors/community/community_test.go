package community

import (
	"encoding/json"
	"io"
	"net/http"
	"reflect"
	"strings"
	"testing"
	"time"

	"github.com/rollcall-dev/rollcall/connectors/github/githubtest"
)

var now = time.Date(2026, 3, 1, 9, 30, 0, 0, time.UTC)

func TestDeterministic(t *testing.T) {
	for _, size := range []int{10, 50, 300} {
		a, b := Generate(42, size, now), Generate(42, size, now)
		if !reflect.DeepEqual(a, b) {
			t.Errorf("size %d: same seed, different community", size)
		}
		if c := Generate(43, size, now); reflect.DeepEqual(a.People, c.People) {
			t.Errorf("size %d: different seeds, same people", size)
		}
		if len(a.People) != size {
			t.Errorf("size %d: %d people", size, len(a.People))
		}
	}
}

func TestEveryActivityType(t *testing.T) {
	for _, size := range []int{20, 50} {
		c := Generate(7, size, now)
		got := map[string]int{}
		start := now.Add(-Span)
		inWindow := func(what string, ts time.Time) {
			if ts.Before(start.Add(-time.Second)) || ts.After(now) {
				t.Errorf("%s at %v outside window", what, ts)
			}
		}
		for _, r := range c.Repos {
			for _, is := range r.Issues {
				inWindow("issue", is.CreatedAt)
				switch {
				case !is.Pull:
					got["issue"]++
				case !is.MergedAt.IsZero():
					got["pr"]++
					got["merged"]++
				default:
					got["pr"]++
				}
			}
			got["comment"] += len(r.Comments)
			got["review"] += len(r.Reviews)
			got["review comment"] += len(r.ReviewComments)
			got["star"] += len(r.Stars)
			got["fork"] += len(r.Forks)
			got["release"] += len(r.Releases)
			for _, cm := range r.Commits {
				inWindow("commit", cm.CommitterDate)
				if cm.Author == "" {
					got["unlinked commit"]++
				} else {
					got["linked commit"]++
				}
			}
		}
		for _, k := range []string{"issue", "pr", "merged", "comment", "review", "review comment", "star", "fork", "release", "linked commit", "unlinked commit"} {
			if got[k] == 0 {
				t.Errorf("size %d: no %s (%v)", size, k, got)
			}
		}
		kinds := map[Kind]int{}
		for _, p := range c.People {
			kinds[p.Kind]++
		}
		for _, k := range []Kind{KindRegular, KindNewcomer, KindDriveBy, KindStaff, KindBot} {
			if kinds[k] == 0 {
				t.Errorf("size %d: no %s", size, k)
			}
		}
	}
}

func TestTruthConsistent(t *testing.T) {
	c := Generate(3, 200, now)
	truth := c.Truth()
	owner := map[Account]string{}
	ids := map[string]bool{}
	multi := 0
	for _, p := range truth {
		if ids[p.ID] {
			t.Errorf("duplicate person id %s", p.ID)
		}
		ids[p.ID] = true
		if len(p.Accounts) == 0 {
			t.Errorf("%s has no accounts", p.ID)
		}
		if len(p.Accounts) > 1 {
			multi++
		}
		for _, a := range p.Accounts {
			if prev, ok := owner[a]; ok {
				t.Errorf("account %v belongs to %s and %s", a, prev, p.ID)
			}
			owner[a] = p.ID
		}
	}
	if multi == 0 {
		t.Error("nobody has several accounts")
	}
	// Every GitHub user except the org, and every commit author, is
	// someone's account.
	for _, u := range c.Users {
		if u.Type == githubtest.TypeOrganization {
			continue
		}
		if _, ok := owner[Account{PlatformGitHub, u.Login}]; !ok {
			t.Errorf("user %s belongs to nobody", u.Login)
		}
		if u.Type == githubtest.TypeBot && !strings.HasSuffix(u.Login, "[bot]") {
			t.Errorf("bot %s", u.Login)
		}
	}
	for _, r := range c.Repos {
		for _, cm := range r.Commits {
			if cm.Author != "" {
				continue
			}
			if cm.AuthorEmail == "noreply@github.com" {
				continue
			}
			if _, ok := owner[Account{PlatformGit, cm.AuthorEmail}]; !ok {
				t.Errorf("unlinked commit e-mail %s belongs to nobody", cm.AuthorEmail)
			}
		}
	}
	// Truth is a copy.
	truth[0].Accounts[0].Username = "changed"
	if c.People[0].Accounts[0].Username == "changed" {
		t.Error("Truth shares memory with the community")
	}
}

func TestLoadGitHub(t *testing.T) {
	c := Generate(5, 60, now)
	s := githubtest.New(githubtest.WithNow(func() time.Time { return now }))
	if err := c.LoadGitHub(s); err != nil {
		t.Fatal(err)
	}
	if err := c.LoadGitHub(s); err == nil {
		t.Error("loading twice succeeded")
	}
	client := &http.Client{Transport: s.Transport()}
	resp, err := client.Get("http://fake.test/api/v3/orgs/" + c.Org + "/repos")
	if err != nil {
		t.Fatal(err)
	}
	body, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	var repos []struct {
		FullName string `json:"full_name"`
	}
	if err := json.Unmarshal(body, &repos); err != nil || len(repos) != len(c.Repos) {
		t.Fatalf("org repos: %v %s", err, body)
	}
	for _, rd := range c.Repos {
		got := s.Issues(rd.Repo.Owner, rd.Repo.Name)
		if len(got) != len(rd.Issues) {
			t.Fatalf("%s: %d issues, want %d", rd.Repo.FullName(), len(got), len(rd.Issues))
		}
		for i, is := range got {
			want := rd.Issues[i]
			if is.Comments != want.Comments || !is.UpdatedAt.Equal(want.UpdatedAt) || is.ID != want.ID {
				t.Errorf("%s#%d: got %+v want %+v", rd.Repo.FullName(), is.Number, is, want)
				break
			}
		}
	}
}

// BenchmarkGenerateAndLoad measures generating a 5,000-person community and
// loading it into the fake GitHub (the demo and benchmarks do this at start).
func BenchmarkGenerateAndLoad(b *testing.B) {
	for b.Loop() {
		c := Generate(1, 5000, now)
		if err := c.LoadGitHub(githubtest.New()); err != nil {
			b.Fatal(err)
		}
	}
}
