package identity

import (
	"testing"
	"unicode/utf8"
)

// TestFoldIdempotentEveryRune folds every rune: folding its fold changes
// nothing (U+2126 OHM SIGN lower-cases to ω, which the table folds to
// "o": Fold must give "o" at once).
func TestFoldIdempotentEveryRune(t *testing.T) {
	for r := rune(0); r <= utf8.MaxRune; r++ {
		if !utf8.ValidRune(r) {
			continue
		}
		once := Fold(string(r))
		if twice := Fold(once); twice != once {
			t.Errorf("%U %q: Fold = %q, Fold again = %q", r, string(r), once, twice)
		}
	}
}
