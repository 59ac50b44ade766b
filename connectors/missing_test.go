package connectors

import (
	"bytes"
	"context"
	"encoding/json"
	"log/slog"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
)

func TestMissingSet(t *testing.T) {
	clock := newFakeClock()
	t0 := clock.Now()
	s := NewMissingSet(map[string]time.Time{
		"Issue:O/R#1": t0.Add(time.Hour), // stored keys are matched lower-cased
		"user:7":      t0.Add(-time.Second),
	}, 2*time.Hour, clock.Now)

	tests := []struct {
		key  string
		want bool
	}{
		{"issue:o/r#1", true},
		{"ISSUE:o/r#1", true},
		{"user:7", false}, // expired
		{"user:8", false}, // never seen
	}
	for _, tt := range tests {
		if got := s.Known(tt.key); got != tt.want {
			t.Errorf("Known(%q) = %v, want %v", tt.key, got, tt.want)
		}
	}
	s.Add("User:8")
	if !s.Known("user:8") {
		t.Error("Known(user:8) after Add = false")
	}
	want := map[string]time.Time{"issue:o/r#1": t0.Add(time.Hour), "user:8": t0.Add(2 * time.Hour)}
	if diff := cmp.Diff(want, s.Map()); diff != "" {
		t.Errorf("Map drops expired entries (-want +got):\n%s", diff)
	}

	clock.Advance(time.Hour)
	if s.Known("issue:o/r#1") {
		t.Error("Known at its expiry = true")
	}
	if diff := cmp.Diff(map[string]time.Time{"user:8": t0.Add(2 * time.Hour)}, s.Map()); diff != "" {
		t.Errorf("Map an hour later (-want +got):\n%s", diff)
	}
	clock.Advance(time.Hour)
	if m := s.Map(); m != nil {
		t.Errorf("Map when everything expired = %v, want nil", m)
	}

	// The default TTL, and a nil set.
	d := NewMissingSet(nil, 0, clock.Now)
	d.Add("x")
	if got := d.Map()["x"]; !got.Equal(clock.Now().Add(DefaultMissingTTL)) {
		t.Errorf("default expiry = %v, want now + %v", got, DefaultMissingTTL)
	}
	var none *MissingSet
	none.Add("x")
	if none.Known("x") || none.Map() != nil {
		t.Error("a nil MissingSet remembers")
	}
}

func TestCursorMissingJSON(t *testing.T) {
	until := time.Date(2025, 3, 2, 12, 0, 0, 0, time.UTC)
	c := Cursor{State: json.RawMessage(`{"v":1}`), Missing: map[string]time.Time{"user:1": until}}
	b, err := json.Marshal(c)
	if err != nil {
		t.Fatal(err)
	}
	if got, want := string(b), `{"state":{"v":1},"missing":{"user:1":"2025-03-02T12:00:00Z"}}`; got != want {
		t.Errorf("JSON = %s, want %s", got, want)
	}
	var back Cursor
	if err := json.Unmarshal(b, &back); err != nil {
		t.Fatal(err)
	}
	if diff := cmp.Diff(c, back); diff != "" {
		t.Errorf("round trip (-want +got):\n%s", diff)
	}
	if b, _ := json.Marshal(Cursor{}); string(b) != `{}` {
		t.Errorf("empty cursor JSON = %s", b)
	}
}

func TestClientSkipKnownMissing(t *testing.T) {
	clock := newFakeClock()
	var logs bytes.Buffer
	c := NewClient(ClientOptions{Source: "s", Now: clock.Now, Logger: slog.New(slog.NewTextHandler(&logs, &slog.HandlerOptions{Level: slog.LevelDebug}))})
	set := NewMissingSet(nil, time.Hour, clock.Now)
	ctx := WithMissing(context.Background(), set)

	if c.SkipKnownMissing(ctx, "user:1") {
		t.Fatal("SkipKnownMissing before any 404 = true")
	}
	c.RememberMissing(ctx, "user:1", 404)
	for range 3 {
		if !c.SkipKnownMissing(ctx, "user:1") {
			t.Fatal("SkipKnownMissing after RememberMissing = false")
		}
	}
	if got := c.TakeStats().KnownMissing; got != 3 {
		t.Errorf("KnownMissing = %d, want 3", got)
	}
	if !strings.Contains(logs.String(), "key=user:1") || !strings.Contains(logs.String(), "status=404") {
		t.Errorf("logs do not name the key and status:\n%s", logs.String())
	}
	// Without a set in the context nothing is skipped or remembered.
	c.RememberMissing(context.Background(), "user:2", 410)
	if c.SkipKnownMissing(context.Background(), "user:2") || c.Stats().KnownMissing != 0 {
		t.Error("a context without a MissingSet skipped a lookup")
	}
	clock.Advance(time.Hour)
	if c.SkipKnownMissing(ctx, "user:1") {
		t.Error("SkipKnownMissing after the expiry = true")
	}
}
