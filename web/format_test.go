package web

import (
	"testing"

	"github.com/rollcall-dev/rollcall/connectors"
)

// TestReactionsOf: counts are worded in a fixed order with glyphs for the
// eye and words for screen readers; none or all-zero counts show nothing.
func TestReactionsOf(t *testing.T) {
	for _, tt := range []struct {
		name        string
		r           *connectors.Reactions
		short, long string
	}{
		{"none reported", nil, "", ""},
		{"zero", &connectors.Reactions{}, "", ""},
		{"github", connectors.ReactionsOf(map[string]int{"heart": 3, "+1": 2, "rocket": 1, "-1": 1}),
			"+1 2 · −1 1 · ♥ 3 · 🚀 1", "2 thumbs up, 1 thumbs down, 3 hearts, 1 rocket"},
		{"one like", connectors.ReactionsOf(map[string]int{connectors.ReactionLike: 1}), "♥ 1", "1 like"},
		{"negative score", connectors.ReactionsOf(map[string]int{connectors.ReactionScore: -2}), "score −2", "score −2"},
		{"big score", connectors.ReactionsOf(map[string]int{connectors.ReactionScore: 1200}), "score 1,200", "score 1,200"},
		{"unknown kind", connectors.ReactionsOf(map[string]int{"zap": 2, connectors.ReactionFavourite: 1}), "★ 1 · zap 2", "1 favourite, 2 zap"},
	} {
		got := reactionsOf(tt.r)
		if tt.short == "" {
			if got != nil {
				t.Errorf("%s: %+v, want nothing", tt.name, got)
			}
			continue
		}
		if got == nil || got.Short != tt.short || got.Long != tt.long {
			t.Errorf("%s: %+v, want %q / %q", tt.name, got, tt.short, tt.long)
		}
	}
}
