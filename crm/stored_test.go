package crm

import (
	"errors"
	"slices"
	"testing"

	"github.com/rollcall-dev/rollcall/connectors"
)

func TestSets(t *testing.T) {
	tests := []struct {
		a, b, want []string
	}{
		{nil, nil, nil},
		{[]string{"b", "a", ""}, nil, []string{"a", "b"}},
		{[]string{"a"}, []string{"c", "a", "b"}, []string{"a", "b", "c"}},
	}
	for _, tt := range tests {
		got := MergeSet(tt.a, tt.b)
		if !slices.Equal(got, tt.want) {
			t.Errorf("MergeSet(%q, %q) = %q, want %q", tt.a, tt.b, got, tt.want)
		}
		back, err := DecodeSet(EncodeSet(got))
		if err != nil || !slices.Equal(back, tt.want) {
			t.Errorf("DecodeSet(EncodeSet(%q)) = %q, %v", got, back, err)
		}
	}
}

func TestParseAccountKey(t *testing.T) {
	ref := connectors.AccountRef{Platform: "mastodon", Instance: "social.example", ExternalID: "109/2"}
	got, err := ParseAccountKey(ref.String())
	if err != nil || got != ref {
		t.Errorf("ParseAccountKey(%q) = %+v, %v", ref.String(), got, err)
	}
	if _, err := ParseAccountKey("no-slashes"); err == nil {
		t.Error("ParseRef of a key without parts succeeded")
	}
}

func TestCursor(t *testing.T) {
	type c struct {
		Key string
		ID  int64
	}
	in := c{"2025-03-01T10:00:00Z", 42}
	var out c
	if err := DecodeCursor(EncodeCursor(in), &out); err != nil || out != in {
		t.Errorf("cursor round trip: %+v, %v", out, err)
	}
	if err := DecodeCursor("!!", &out); !errors.Is(err, ErrInvalidQuery) {
		t.Errorf("DecodeCursor of garbage: %v", err)
	}
}
