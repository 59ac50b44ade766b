package storekit

import (
	"testing"
)

func TestPrefixRange(t *testing.T) {
	lo, hi := PrefixRange("An")
	if lo != "an" || hi != "ao" {
		t.Errorf("PrefixRange(An) = %q, %q", lo, hi)
	}
}
