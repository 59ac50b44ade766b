package daemon

import (
	"context"
	"log/slog"
	"sync"
	"testing"
	"time"

	"github.com/rollcall-dev/rollcall/connectors"
	"github.com/rollcall-dev/rollcall/crm"
)

// textConn serves one batch with one activity carrying a text excerpt.
type textConn struct{}

func (textConn) Fetch(ctx context.Context, cur connectors.Cursor) (connectors.Batch, error) {
	ref := connectors.AccountRef{Platform: "mastodon", Instance: "m.example", ExternalID: "1"}
	return connectors.Batch{
		Activities: []connectors.Activity{{Key: "mastodon/m.example/post/1", Platform: "mastodon", Instance: "m.example",
			Type: "post", OccurredAt: time.Date(2025, 1, 1, 0, 0, 0, 0, time.UTC), Actor: ref, Text: "private words",
			Reactions: connectors.ReactionsOf(map[string]int{connectors.ReactionFavourite: 3})}},
		Next: connectors.Cursor{State: []byte(`{}`)}, Done: true,
	}, nil
}

// recordingStore records the batches it is given.
type recordingStore struct {
	Store
	mu      sync.Mutex
	batches []connectors.Batch
}

func (r *recordingStore) Apply(ctx context.Context, source string, b connectors.Batch) (crm.ApplyResult, error) {
	r.mu.Lock()
	r.batches = append(r.batches, b)
	r.mu.Unlock()
	return r.Store.Apply(ctx, source, b)
}

// TestDropText: with DropText (privacy.keep_text: false) no text excerpt
// reaches the store; counts still do. Without it the excerpt is stored.
func TestDropText(t *testing.T) {
	for _, tt := range []struct {
		name string
		drop bool
		want string
	}{
		{"keep_text: true", false, "private words"},
		{"keep_text: false", true, ""},
	} {
		t.Run(tt.name, func(t *testing.T) {
			st := &recordingStore{Store: openStore(t)}
			clock := &fakeClock{now: time.Date(2025, 6, 1, 0, 0, 0, 0, time.UTC)}
			d := New(Options{Store: st, Sources: []Source{{Name: "m", Interval: time.Minute, Connector: textConn{}}},
				Logger: slog.New(slog.DiscardHandler), Now: clock.Now, Sleep: clock.Sleep, DropText: tt.drop,
				Jitter: func(time.Duration) time.Duration { return 0 }})
			if sums := d.SyncOnce(context.Background()); len(sums) != 1 || sums[0].Err != nil {
				t.Fatalf("summaries = %+v", sums)
			}
			if len(st.batches) != 1 || len(st.batches[0].Activities) != 1 {
				t.Fatalf("batches = %+v", st.batches)
			}
			a := st.batches[0].Activities[0]
			if a.Text != tt.want {
				t.Errorf("stored text %q, want %q", a.Text, tt.want)
			}
			if a.Reactions == nil || a.Reactions.Total != 3 {
				t.Errorf("reactions %+v, want 3 favourites", a.Reactions)
			}
		})
	}
}
