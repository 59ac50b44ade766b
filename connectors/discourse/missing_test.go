package discourse

import (
	"net/http"
	"net/url"
	"strconv"
	"sync"
	"testing"
	"time"

	"github.com/rollcall-dev/rollcall/config"
	"github.com/rollcall-dev/rollcall/connectors"
	"github.com/rollcall-dev/rollcall/connectors/discourse/discoursetest"
)

// afterTransport runs a hook after serving the first response to a path,
// to delete something between a listing and the reads it leads to.
type afterTransport struct {
	base  http.RoundTripper
	mu    sync.Mutex
	hooks map[string]func()
}

func (a *afterTransport) RoundTrip(r *http.Request) (*http.Response, error) {
	resp, err := a.base.RoundTrip(r)
	a.mu.Lock()
	hook := a.hooks[r.URL.Path]
	delete(a.hooks, r.URL.Path)
	a.mu.Unlock()
	if hook != nil {
		hook()
	}
	return resp, err
}

// TestMissingObjectsAskedOncePerTTL: a moderator who accepted three
// solutions without posting and a poster are deleted (their profiles answer
// 404); a solved topic is deleted between its listing and its read, and a
// liked post between /posts.json and its likes. A pass asks for each
// missing object once; a pass within the expiry asks for none and counts
// the skips; after the expiry each object still referenced is asked once
// again.
func TestMissingObjectsAskedOncePerTTL(t *testing.T) {
	clk := &clock{now: t0}
	srv := discoursetest.New(discoursetest.WithNow(clk.Now))
	for _, u := range []string{"alice", "bob", "mod", "leaver"} {
		srv.AddUser(discoursetest.User{Username: u, TrustLevel: 2, Moderator: u == "mod"})
	}
	must := func(err error) {
		t.Helper()
		if err != nil {
			t.Fatal(err)
		}
	}
	topic := func(i int) (discoursetest.Topic, discoursetest.Post) {
		tp, err := srv.AddTopic(discoursetest.Topic{Title: "q" + strconv.Itoa(i), User: "alice", CreatedAt: t0.Add(time.Duration(i-20) * time.Hour)})
		must(err)
		p, err := srv.AddPost(discoursetest.Post{TopicID: tp.ID, User: "bob", Raw: "a", CreatedAt: tp.CreatedAt.Add(time.Minute)})
		must(err)
		return tp, p
	}
	var first discoursetest.Topic
	for i := range 3 {
		tp, p := topic(i)
		must(srv.AcceptSolution(tp.ID, p.ID, "mod", tp.CreatedAt.Add(time.Hour)))
		if i == 0 {
			first = tp
		}
	}
	doomedTopic, answer := topic(3)
	must(srv.AcceptSolution(doomedTopic.ID, answer.ID, "alice", doomedTopic.CreatedAt.Add(time.Hour)))
	for i := range 2 {
		_, err := srv.AddPost(discoursetest.Post{TopicID: first.ID, User: "leaver", Raw: "me too", CreatedAt: t0.Add(time.Duration(i-5) * time.Hour)})
		must(err)
	}
	doomedPost, err := srv.AddPost(discoursetest.Post{TopicID: first.ID, User: "alice", Raw: "thanks", CreatedAt: t0.Add(-time.Hour)})
	must(err)
	must(srv.AddLike(doomedPost.ID, "bob", t0))
	must(srv.DeleteUser("mod"))
	must(srv.DeleteUser("leaver"))

	tr := &afterTransport{base: srv.Transport()}
	cfg, err := config.Parse("test.yaml", []byte("sources:\n  - name: forum\n    type: discourse\n    url: https://forum.example\n"),
		config.Env{Getenv: func(string) (string, bool) { return "", false }})
	must(err)
	c, err := newConnector(connectors.Options{Source: cfg.Sources[0], Now: clk.Now, Sleep: clk.Sleep, HTTP: tr})
	must(err)

	missingPaths := map[string]bool{
		"/u/mod.json": true, "/u/leaver.json": true, "/t/" + strconv.FormatInt(doomedTopic.ID, 10) + ".json": true,
		"/post_action_users.json?id=" + strconv.FormatInt(doomedPost.ID, 10): true,
	}
	var cur connectors.Cursor
	tests := []struct {
		name    string
		advance time.Duration
		first   bool
		// wantAsked are requests for missing objects: one per object
		// still referenced.
		wantAsked int
		// wantSkipped is Stats.KnownMissing: the reads not made.
		wantSkipped int
	}{
		// The moderator's profile, asked by the first of three solutions.
		{"first pass asks each missing object once", 0, true, 4, 2},
		// Three solutions and the poster's queued profile; the deleted
		// topic and post are no longer listed.
		{"a pass within the expiry asks none", time.Hour, false, 0, 4},
		{"after the expiry each is asked once again", config.DefaultMissingTTL, false, 2, 2},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			clk.mu.Lock()
			clk.now = clk.now.Add(tt.advance)
			clk.mu.Unlock()
			if tt.first {
				tr.hooks = map[string]func(){
					"/latest.json": func() { must(srv.DeleteTopic(doomedTopic.ID)) },
					"/posts.json":  func() { must(srv.DeletePost(doomedPost.ID)) },
				}
			}
			// Each pass walks the forum from the start (as a new source
			// would), keeping only the remembered missing objects.
			cur = connectors.Cursor{Missing: cur.Missing}
			srv.ResetLog()
			batches, err := syncAll(t, c, cur)
			if err != nil {
				t.Fatal(err)
			}
			cur = batches[len(batches)-1].Next
			skipped := 0
			for _, b := range batches {
				skipped += b.Stats.KnownMissing
			}
			asked := map[string]int{}
			n := 0
			for _, r := range srv.Requests() {
				p := r.Path
				if r.Path == "/post_action_users.json" {
					q, _ := url.ParseQuery(r.RawQuery)
					p += "?id=" + q.Get("id")
				}
				if missingPaths[p] {
					asked[p]++
					n++
				}
			}
			if n != tt.wantAsked {
				t.Errorf("requests for missing objects = %d %v, want %d", n, asked, tt.wantAsked)
			}
			for p, k := range asked {
				if k > 1 {
					t.Errorf("%s asked %d times", p, k)
				}
			}
			if skipped != tt.wantSkipped {
				t.Errorf("Stats.KnownMissing = %d, want %d", skipped, tt.wantSkipped)
			}
			if tt.first {
				acts, accounts := collect(batches)
				// The solutions accepted by the deleted moderator are kept
				// (credited to the topic's author), and so are the deleted
				// poster's replies, with the account as listed.
				n := 0
				for _, a := range acts {
					if a.Type == TypeSolutionAccepted {
						n++
					}
				}
				if n != 3 {
					t.Errorf("%d solutions stored, want 3", n)
				}
				if a, ok := accounts["leaver"]; !ok || a.Username != "leaver" || !a.ProfileFetchedAt.IsZero() {
					t.Errorf("deleted poster's account = %+v, %v; want the reference without a profile", a, ok)
				}
			}
		})
	}
}
