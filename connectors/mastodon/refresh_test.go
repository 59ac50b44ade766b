package mastodon

import (
	"strings"
	"testing"
	"time"

	"github.com/rollcall-dev/rollcall/connectors"
)

// TestTagRefreshUpdatesCounts: favourites and boosts do not bring a status
// back into the min_id walk of its hashtag, yet the next pass carries the
// new counts of the newest page (read without min_id).
func TestTagRefreshUpdatesCounts(t *testing.T) {
	e := newEnv(t, "")
	e.MustSync()
	f := e.Fake.(conformanceFake)
	var newest connectors.Activity
	for _, a := range e.Store.Acts {
		if a.Type == TypePost && a.OccurredAt.After(newest.OccurredAt) {
			newest = a
		}
	}
	if newest.Key == "" {
		t.Fatal("no post synced")
	}
	id := newest.Key[strings.LastIndex(newest.Key, "/")+1:]
	before := newest.Reactions
	if before == nil {
		t.Fatalf("%s carries no reactions", newest.Key)
	}
	e.Clock.Advance(time.Hour)
	for _, u := range []string{"user001@social.example", "user002@other.example"} {
		if err := f.Favourite(u, id, e.Clock.Now()); err != nil {
			t.Fatal(err)
		}
	}
	if _, err := f.Boost("user003", id, e.Clock.Now()); err != nil {
		t.Fatal(err)
	}
	e.MustSync()
	got := e.Store.Acts[newest.Key].Reactions
	if got == nil || got.ByKind[connectors.ReactionFavourite] != before.ByKind[connectors.ReactionFavourite]+2 ||
		got.ByKind[connectors.ReactionReblog] != before.ByKind[connectors.ReactionReblog]+1 || got.Total != before.Total+3 {
		t.Errorf("%s reactions %+v after 2 favourites and 1 boost, was %+v", newest.Key, got, before)
	}
}
