package identity

import "testing"

// TestQualityNumpyF1 enforces issue 4's pairwise F1 floor on numpy: at
// least 0.94 (gambit, the best published tool, reaches 0.933). Skipped
// with a message when ../shared/identity is missing.
func TestQualityNumpyF1(t *testing.T) {
	s, _ := numpyScores(t)
	if s.PairF1 < 0.94 {
		t.Errorf("pairwise F1 %.4f, want at least 0.94", s.PairF1)
	}
}
