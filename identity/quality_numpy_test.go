package identity

import (
	"strings"
	"testing"
)

// numpyScores resolves numpy_gold.tsv (skipped when ../shared is missing)
// and scores the members against the project's .mailmap clusters.
func numpyScores(t *testing.T) (scores, []string) {
	t.Helper()
	rows := readGold(t)
	pred := resolveRows(t, rows)
	gold := make([]string, len(rows))
	for i, r := range rows {
		gold[i] = r.person
	}
	s := score(pred, gold)
	t.Logf("numpy_gold: %d aliases, %d members vs %d persons", len(rows), s.Predicted, s.Gold)
	t.Logf("numpy_gold pairwise: P %.4f R %.4f F1 %.4f", s.PairP, s.PairR, s.PairF1)
	t.Logf("numpy_gold B-cubed:  P %.4f R %.4f F1 %.4f", s.BP, s.BR, s.BF1)
	return s, pred
}

// TestQualityNumpy enforces the precision floors of issue 4 on numpy:
// pairwise precision at least 0.97 and B-cubed precision at least 0.99, and
// that the result is deterministic. The pairwise F1 floor (0.94) is in
// quality_f1_test.go.
func TestQualityNumpy(t *testing.T) {
	s, pred := numpyScores(t)
	if s.PairP < 0.97 {
		t.Errorf("pairwise precision %.4f, want at least 0.97", s.PairP)
	}
	if s.BP < 0.99 {
		t.Errorf("B-cubed precision %.4f, want at least 0.99", s.BP)
	}
	// Deterministic: a second run gives the same members.
	if again := resolveRows(t, readGold(t)); strings.Join(again, ",") != strings.Join(pred, ",") {
		t.Error("a second run gave different members")
	}
}
