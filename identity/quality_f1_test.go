//go:build identityfloor

package identity

import "testing"

// TestQualityNumpyF1 enforces issue 4's pairwise F1 floor on numpy (at
// least 0.94; gambit, the best published tool, reaches 0.933). It is NOT
// met yet (0.9128 on 2026-11-27), so it builds only with
// -tags identityfloor:
//
//	go test -tags identityfloor -run TestQualityNumpyF1 -v ./identity/
//
// Remove the build tag once it passes, so that CI enforces it.
func TestQualityNumpyF1(t *testing.T) {
	s, _ := numpyScores(t)
	if s.PairF1 < 0.94 {
		t.Errorf("pairwise F1 %.4f, want at least 0.94", s.PairF1)
	}
}
