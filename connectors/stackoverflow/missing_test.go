package stackoverflow

import (
	"context"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/rollcall-dev/rollcall/config"
	"github.com/rollcall-dev/rollcall/connectors"
	"github.com/rollcall-dev/rollcall/connectors/stackoverflow/stackoverflowtest"
)

// TestMissingUsersAskedOncePerTTL: two users who posted under both
// followed tags are deleted, so /users/{ids} leaves them out of items (no
// error). Each tag is a batch that queues its new authors' profiles, read
// 100 a request or, in the pass's last batch, all that are left; a deleted
// id is asked in one request per pass, not once per batch, and is left out
// of the requests of a pass within the expiry (the others are still read,
// in one request, not split); after the expiry it is asked once again.
func TestMissingUsersAskedOncePerTTL(t *testing.T) {
	e := newEnv(t, keyed)
	add := func(name string) int64 { return e.srv.AddUser(stackoverflowtest.User{DisplayName: name}).UserID }
	alice, bob, dan, eve := add("alice"), add("bob"), add("dan"), add("eve")
	at := t0.Add(-10 * time.Hour)
	for i, tag := range []string{"go", "rollcall"} {
		for _, owner := range []int64{alice, dan} {
			q, err := e.srv.AddQuestion(stackoverflowtest.Question{Title: "q", Tags: []string{tag}, OwnerID: owner, CreationDate: at.Add(time.Duration(i) * time.Hour)})
			if err != nil {
				t.Fatal(err)
			}
			for _, who := range []int64{bob, eve} {
				if _, err := e.srv.AddAnswer(stackoverflowtest.Answer{QuestionID: q.QuestionID, OwnerID: who, CreationDate: q.CreationDate.Add(time.Minute)}); err != nil {
					t.Fatal(err)
				}
			}
		}
	}
	for _, id := range []int64{dan, eve} {
		if err := e.srv.DeleteUser(id); err != nil {
			t.Fatal(err)
		}
	}
	if err := e.srv.DeleteUser(9999); err == nil {
		t.Error("DeleteUser of an unknown id succeeded")
	}
	missing := map[string]bool{strconv.FormatInt(dan, 10): true, strconv.FormatInt(eve, 10): true}

	tests := []struct {
		name    string
		advance time.Duration
		// wantAsked is how often a missing id is in a /users/{ids} request.
		wantAsked int
		// wantSkipped is Stats.KnownMissing: ids left out of requests.
		wantSkipped int
		// wantRequests is the number of /users/{ids} requests.
		wantRequests int
	}{
		// The four are queued by the first tag's batch and read, in one
		// request, by the second's (the pass's last): nothing is left to
		// skip.
		{"first pass asks each missing user once", 0, 2, 0, 1},
		// Profiles of alice and bob are fresh: no request at all.
		{"a pass within the expiry asks none", time.Hour, 0, 4, 0},
		// After a day alice and bob are read again with dan and eve, in one
		// request at the end of the pass.
		{"after the expiry each is asked once again", config.DefaultMissingTTL, 2, 0, 1},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			e.clk.Advance(tt.advance)
			// Each pass reads every question again from the start (as a new
			// source would), keeping only the remembered missing users.
			e.store.Cursor = connectors.Cursor{Missing: e.store.Cursor.Missing}
			e.srv.ResetLog()
			skipped := 0
			for i := 0; ; i++ {
				b, err := e.conn.Fetch(context.Background(), e.store.Cursor)
				if err != nil {
					t.Fatal(err)
				}
				e.store.Apply(b)
				skipped += b.Stats.KnownMissing
				if b.Done {
					break
				}
				if i > 100 {
					t.Fatal("no Done")
				}
			}
			asked, requests := map[string]int{}, 0
			for _, r := range e.srv.Requests() {
				if r.Route != stackoverflowtest.RouteUsers {
					continue
				}
				requests++
				ids := strings.TrimPrefix(r.Path, "/2.3/users/")
				for _, id := range strings.Split(ids, ";") {
					if missing[id] {
						asked[id]++
					}
				}
			}
			n := 0
			for id, k := range asked {
				n += k
				if k > 1 {
					t.Errorf("user %s asked %d times", id, k)
				}
			}
			if n != tt.wantAsked || requests != tt.wantRequests {
				t.Errorf("missing ids asked %d times %v in %d requests, want %d in %d", n, asked, requests, tt.wantAsked, tt.wantRequests)
			}
			if skipped != tt.wantSkipped {
				t.Errorf("Stats.KnownMissing = %d, want %d", skipped, tt.wantSkipped)
			}
		})
	}
	// The deleted users' posts are kept, credited to the account as seen.
	for _, id := range []int64{dan, eve} {
		a, ok := e.store.Accounts[connectors.AccountRef{Platform: connectors.PlatformStackOverflow, Instance: "stackoverflow", ExternalID: strconv.FormatInt(id, 10)}]
		if !ok || !a.ProfileFetchedAt.IsZero() {
			t.Errorf("account of deleted user %d = %+v, %v; want the reference without a profile", id, a, ok)
		}
	}
}
