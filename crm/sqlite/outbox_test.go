package sqlite_test

import (
	"encoding/json"
	"errors"
	"path/filepath"
	"testing"
	"time"

	"github.com/rollcall-dev/rollcall/crm"
	"github.com/rollcall-dev/rollcall/crm/sqlite"
)

func openOutbox(t *testing.T, now *time.Time) (*sqlite.Store, string) {
	t.Helper()
	path := filepath.Join(t.TempDir(), "rollcall.db")
	s := open(t, path)
	s.Now = func() time.Time { return *now }
	t.Cleanup(func() { s.Close() })
	return s, path
}

func TestEnqueueEventBodyCarriesID(t *testing.T) {
	ctx := t.Context()
	now := time.Date(2026, 3, 1, 12, 0, 0, 0, time.UTC)
	s, _ := openOutbox(t, &now)
	for i, ev := range []crm.Event{
		{Type: crm.EventLevelChanged, Member: crm.EventMember{ID: 7, Name: "Ana"}, Level: 2, LevelName: "contributor", PreviousLevel: 3},
		{Type: crm.EventChampionEntered, At: now.Add(-time.Hour), Member: crm.EventMember{ID: 9, Name: "Bo"}, Level: 1, LevelName: "core", Rank: 3},
	} {
		id, err := s.EnqueueEvent(ctx, ev)
		if err != nil {
			t.Fatalf("EnqueueEvent %d: %v", i, err)
		}
		due, err := s.DueDeliveries(ctx, now, 10)
		if err != nil {
			t.Fatal(err)
		}
		d := due[len(due)-1]
		if d.ID != id || d.Event != ev.Type || d.MemberID != ev.Member.ID || !d.CreatedAt.Equal(now) || d.Attempts != 0 {
			t.Errorf("delivery %d = %+v", i, d)
		}
		var got crm.Event
		if err := json.Unmarshal(d.Body, &got); err != nil {
			t.Fatalf("body %s: %v", d.Body, err)
		}
		want := ev
		want.ID = id
		if want.At.IsZero() {
			want.At = now
		}
		if got != want {
			t.Errorf("body = %+v, want %+v", got, want)
		}
	}
	if _, err := s.EnqueueEvent(ctx, crm.Event{}); err == nil {
		t.Error("EnqueueEvent without a type: no error")
	}
}

func TestOutboxLifecycle(t *testing.T) {
	ctx := t.Context()
	t0 := time.Date(2026, 3, 1, 12, 0, 0, 0, time.UTC)
	now := t0
	s, path := openOutbox(t, &now)
	var ids []int64
	for range 3 {
		id, err := s.EnqueueEvent(ctx, crm.Event{Type: crm.EventSlippingStarted, Member: crm.EventMember{ID: 1}})
		if err != nil {
			t.Fatal(err)
		}
		ids = append(ids, id)
	}
	// ids[0] delivered; ids[1] fails once, due in 30s; ids[2] given up.
	if err := s.DeliveryDone(ctx, ids[0], t0); err != nil {
		t.Fatal(err)
	}
	if err := s.DeliveryFailed(ctx, ids[1], t0, t0.Add(30*time.Second), false, "status 500"); err != nil {
		t.Fatal(err)
	}
	if err := s.DeliveryFailed(ctx, ids[2], t0, time.Time{}, true, "status 410"); err != nil {
		t.Fatal(err)
	}
	if err := s.DeliveryDone(ctx, ids[0], t0); !errors.Is(err, sqlite.ErrNoDelivery) {
		t.Errorf("second DeliveryDone: %v, want ErrNoDelivery", err)
	}
	if err := s.DeliveryFailed(ctx, 999, t0, t0, false, "x"); !errors.Is(err, sqlite.ErrNoDelivery) {
		t.Errorf("DeliveryFailed of an unknown id: %v, want ErrNoDelivery", err)
	}

	tests := []struct {
		name string
		at   time.Time
		want []int64
	}{
		{"before the retry", t0.Add(29 * time.Second), nil},
		{"at the retry", t0.Add(30 * time.Second), ids[1:2]},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			due, err := s.DueDeliveries(ctx, tt.at, 10)
			if err != nil {
				t.Fatal(err)
			}
			if got := deliveryIDs(due); !equalIDs(got, tt.want) {
				t.Errorf("due = %v, want %v", got, tt.want)
			}
		})
	}

	// Reopen: the state is in the file.
	s.Close()
	s = open(t, path)
	t.Cleanup(func() { s.Close() })
	lists := []struct {
		name string
		f    crm.DeliveryFilter
		want []int64
	}{
		{"pending", crm.DeliveryFilter{Pending: true}, ids[1:2]},
		{"failed", crm.DeliveryFilter{Failed: true}, ids[2:3]},
		{"delivered", crm.DeliveryFilter{Delivered: true}, ids[0:1]},
		{"pending and failed", crm.DeliveryFilter{Pending: true, Failed: true}, []int64{ids[2], ids[1]}},
		{"all, limit 2", crm.DeliveryFilter{Pending: true, Failed: true, Delivered: true, Limit: 2}, []int64{ids[2], ids[1]}},
		{"nothing", crm.DeliveryFilter{}, nil},
	}
	for _, tt := range lists {
		t.Run(tt.name, func(t *testing.T) {
			got, err := s.Deliveries(ctx, tt.f)
			if err != nil {
				t.Fatal(err)
			}
			if !equalIDs(deliveryIDs(got), tt.want) {
				t.Errorf("Deliveries = %v, want %v", deliveryIDs(got), tt.want)
			}
		})
	}
	all, err := s.Deliveries(ctx, crm.DeliveryFilter{Pending: true, Failed: true, Delivered: true})
	if err != nil {
		t.Fatal(err)
	}
	byID := map[int64]crm.Delivery{}
	for _, d := range all {
		byID[d.ID] = d
	}
	if d := byID[ids[0]]; !d.DeliveredAt.Equal(t0) || d.Attempts != 1 || !d.NextAttemptAt.IsZero() {
		t.Errorf("delivered row = %+v", d)
	}
	if d := byID[ids[1]]; d.Attempts != 1 || !d.NextAttemptAt.Equal(t0.Add(30*time.Second)) || d.LastError != "status 500" || d.Failed {
		t.Errorf("pending row = %+v", d)
	}
	if d := byID[ids[2]]; !d.Failed || d.LastError != "status 410" || d.Attempts != 1 {
		t.Errorf("failed row = %+v", d)
	}

	// Retry puts the failed one back, due at once.
	if err := s.RetryDelivery(ctx, ids[2], t0); err != nil {
		t.Fatal(err)
	}
	if err := s.RetryDelivery(ctx, ids[1], t0); !errors.Is(err, sqlite.ErrNoDelivery) {
		t.Errorf("RetryDelivery of a pending row: %v, want ErrNoDelivery", err)
	}
	due, err := s.DueDeliveries(ctx, t0.Add(time.Minute), 1)
	if err != nil {
		t.Fatal(err)
	}
	if got := deliveryIDs(due); !equalIDs(got, ids[2:3]) || due[0].Attempts != 0 {
		t.Errorf("due after retry (limit 1) = %v %+v, want %v with 0 attempts", got, due, ids[2:3])
	}
}

func deliveryIDs(ds []crm.Delivery) []int64 {
	var out []int64
	for _, d := range ds {
		out = append(out, d.ID)
	}
	return out
}

func equalIDs(a, b []int64) bool {
	if len(a) != len(b) {
		return false
	}
	for i := range a {
		if a[i] != b[i] {
			return false
		}
	}
	return true
}
