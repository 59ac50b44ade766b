package identity

import (
	"strings"
	"testing"
	"unicode"
	"unicode/utf8"
)

// TestFoldIdempotentEveryRune folds every rune that Fold changes or could
// (letters, combining marks, runes with a lower case, runes of the fold
// table): folding its fold changes nothing (U+2126 OHM SIGN lower-cases
// to ω, which the table folds to "o": Fold must give "o" at once).
func TestFoldIdempotentEveryRune(t *testing.T) {
	for r := rune(0); r <= utf8.MaxRune; r++ {
		_, folded := foldTable[r]
		if !utf8.ValidRune(r) || !folded && !unicode.IsLetter(r) && !unicode.Is(unicode.Mn, r) && unicode.ToLower(r) == r {
			continue // Fold writes it as it is
		}
		once := Fold(string(r))
		if twice := Fold(once); twice != once {
			t.Errorf("%U %q: Fold = %q, Fold again = %q", r, string(r), once, twice)
		}
	}
}

// TestNormaliseFound lists, readably, what the fuzz targets found: each
// input normalised the wrong way before, and normalising the result again
// disagreed with it.
func TestNormaliseFound(t *testing.T) {
	emails := []struct {
		in, key     string
		placeholder bool
	}{
		{"jane @Example.org", "jane@example.org", false},
		{"<<mailto:jane@example.org>>", "jane@example.org", false},
		{"jo hn@example.org", "", true},
		{"John Doe john@example.org", "", true},
		{"info+news@acme.io", "", true},
		{"no.reply@gmail.com", "", true},
		{"!+0@acme.io", "", true},
		{"+ 123@users.noreply.github.com", "", true},
		{"123+octo@users.noreply.github.com", "123@users.noreply.github.com", false},
		{"ann+lists@acme.io", "ann@acme.io", false},
		{".<0@GMAil.Com", "", true}, // its key was "<0@gmail.com", whose own key is "0@gmail.com"
		{"x.mailto:ann@gmail.com", "", true},
		{"ann<ann@acme.io>", "", true},
		{"ann,bo@acme.io", "", true},
		{"user@host.(none)", "", true},
	}
	// Bots keep being bots: "[bot]" is not one of the specials.
	if e := ParseEmail("49699333+dependabot[bot]@users.noreply.github.com"); !e.Bot || e.GitHubLogin != "dependabot[bot]" {
		t.Errorf("ParseEmail(dependabot's noreply address) = %+v, want a bot with its login", e)
	}
	for _, c := range emails {
		e := ParseEmail(c.in)
		if e.Key != c.key || e.Placeholder != c.placeholder {
			t.Errorf("ParseEmail(%q) = key %q, placeholder %v; want %q, %v", c.in, e.Key, e.Placeholder, c.key, c.placeholder)
		}
	}
	names := []struct {
		in       string
		tokens   string
		bot, via bool
		pair     bool
	}{
		{"JaneDoeViaRelay", "jane doe", false, true, false},
		{"AnnAndBo", "ann and bo", false, false, true},
		{"JaneBot", "jane bot", true, false, false},
		{"Jane Doe", "jane doe", false, false, false},
	}
	for _, c := range names {
		n := ParseName(c.in)
		if got := strings.Join(n.Tokens, " "); got != c.tokens || n.Bot != c.bot || n.Via != c.via || n.Pair != c.pair {
			t.Errorf("ParseName(%q) = %q bot %v via %v pair %v; want %q %v %v %v", c.in, got, n.Bot, n.Via, n.Pair, c.tokens, c.bot, c.via, c.pair)
		}
	}
}
