package github

import (
	"context"
	"encoding/json"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/google/go-github/v60/github"

	"github.com/rollcall-dev/rollcall/connectors/github/githubtest"
)

func TestStaffAssociation(t *testing.T) {
	for assoc, want := range map[string]bool{
		"OWNER": true, "MEMBER": true, "COLLABORATOR": true,
		"CONTRIBUTOR": false, "FIRST_TIME_CONTRIBUTOR": false, "FIRST_TIMER": false, "MANNEQUIN": false, "NONE": false, "": false,
	} {
		if got := staffAssociation(assoc); got != want {
			t.Errorf("staffAssociation(%q) = %v; want %v", assoc, got, want)
		}
	}
}

// TestStaffFromFixture reads the recorded issues: every author whose
// author_association is MEMBER is staff, a NONE author is not.
func TestStaffFromFixture(t *testing.T) {
	tr := translator{instance: "github.com"}
	seen := map[string]bool{}
	for _, scenario := range []string{"paginate-issues", "search-issues"} {
		for _, r := range loadRecordings(t, scenario) {
			if r.Method != "get" || !strings.Contains(r.Path, "/issues") {
				continue
			}
			var issues []*github.Issue
			if err := json.Unmarshal(r.Response, &issues); err != nil {
				var search struct{ Items []*github.Issue }
				if err := json.Unmarshal(r.Response, &search); err != nil {
					t.Fatalf("decode %s: %v", r.Path, err)
				}
				issues = search.Items
			}
			for _, is := range issues {
				b := &builder{index: map[string]int{}}
				b.addAuthor(tr, is.GetUser(), is.GetAuthorAssociation())
				if len(b.accounts) != 1 {
					t.Fatalf("%s: %d accounts", is.GetHTMLURL(), len(b.accounts))
				}
				want := is.GetAuthorAssociation() == "MEMBER" || is.GetAuthorAssociation() == "OWNER" || is.GetAuthorAssociation() == "COLLABORATOR"
				if b.accounts[0].Staff != want {
					t.Errorf("%s by %s (%s): staff %v", is.GetHTMLURL(), is.GetUser().GetLogin(), is.GetAuthorAssociation(), b.accounts[0].Staff)
				}
				seen[is.GetAuthorAssociation()] = true
			}
		}
	}
	if !seen["MEMBER"] || !seen["NONE"] {
		t.Errorf("fixtures have associations %v; want MEMBER and NONE", seen)
	}
}

// TestStaffFromFake syncs the fake: an org member and two
// collaborators are staff from their issues, comments and
// reviews; an outside contributor is not, also once merged (CONTRIBUTOR).
func TestStaffFromFake(t *testing.T) {
	e := newEnv(t)
	at := testNow.Add(-24 * time.Hour)
	e.srv.AddUser(githubtest.User{Login: "acme", Type: githubtest.TypeOrganization})
	for _, l := range []string{"mia", "cole", "outsider", "rev"} {
		e.srv.AddUser(githubtest.User{Login: l})
	}
	if _, err := e.srv.AddRepo(githubtest.Repo{Owner: "acme", Name: "tool", Members: []string{"Mia"}, Collaborators: []string{"cole", "rev"}}); err != nil {
		t.Fatal(err)
	}
	e.yaml = "token: tok-SENTINEL\nbase_url: " + fakeBase + "\nrepos: [acme/tool]\n"
	is, err := e.srv.AddIssue("acme", "tool", githubtest.Issue{User: "mia", Title: "bug", CreatedAt: at})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := e.srv.AddComment("acme", "tool", githubtest.Comment{Issue: is.Number, User: "cole", Body: "on it", CreatedAt: at.Add(time.Minute)}); err != nil {
		t.Fatal(err)
	}
	pr, err := e.srv.AddPull("acme", "tool", githubtest.Issue{User: "outsider", Title: "fix", CreatedAt: at.Add(2 * time.Minute),
		MergedAt: at.Add(time.Hour), ClosedAt: at.Add(time.Hour), State: "closed"})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := e.srv.AddReview("acme", "tool", githubtest.Review{Pull: pr.Number, User: "rev", State: githubtest.ReviewApproved, SubmittedAt: at.Add(3 * time.Minute)}); err != nil {
		t.Fatal(err)
	}
	staff := map[string]bool{}
	c := e.conn()
	for i := 0; ; i++ {
		b, err := c.Fetch(context.Background(), e.store.cursor)
		if err != nil {
			t.Fatal(err)
		}
		for _, a := range b.Accounts {
			staff[a.Username] = staff[a.Username] || a.Staff
		}
		e.store.apply(b)
		if b.Done {
			break
		}
		if i > 1000 {
			t.Fatal("sync does not finish")
		}
	}
	want := map[string]bool{"mia": true, "cole": true, "rev": true, "outsider": false}
	got := map[string]bool{}
	for l := range want {
		got[l] = staff[l]
	}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("staff by login (-want +got):\n%s\nall: %v", diff, staff)
	}

	// The fake serves author_association as GitHub does.
	srvAssoc := func(path string) []string {
		resp, err := e.srv.Transport().RoundTrip(mustRequest(t, fakeBase+"api/v3/"+path))
		if err != nil {
			t.Fatal(err)
		}
		defer resp.Body.Close()
		var items []struct {
			User              struct{ Login string }
			AuthorAssociation string `json:"author_association"`
		}
		if err := json.NewDecoder(resp.Body).Decode(&items); err != nil {
			t.Fatalf("%s: %v", path, err)
		}
		var out []string
		for _, it := range items {
			out = append(out, it.User.Login+":"+it.AuthorAssociation)
		}
		return out
	}
	if got := srvAssoc("repos/acme/tool/issues?state=all&sort=created&direction=asc"); !cmp.Equal(got, []string{"mia:MEMBER", "outsider:CONTRIBUTOR"}) {
		t.Errorf("issues author_association = %v", got)
	}
	if got := srvAssoc("repos/acme/tool/issues/comments"); !cmp.Equal(got, []string{"cole:COLLABORATOR"}) {
		t.Errorf("comments author_association = %v", got)
	}
}

func mustRequest(t *testing.T, url string) *http.Request {
	t.Helper()
	req, err := http.NewRequest(http.MethodGet, url, nil)
	if err != nil {
		t.Fatal(err)
	}
	req.Header.Set("Authorization", "token tok-SENTINEL")
	return req
}
