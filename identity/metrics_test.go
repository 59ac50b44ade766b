package identity

import (
	"path/filepath"
	"testing"
)

// The labelled data is personal data: it is read from the shared folder,
// never copied, and only aggregate figures are logged.
var sharedIdentity = filepath.Join("..", "..", "shared", "identity")

// scores are clustering quality figures.
type scores struct {
	PairP, PairR, PairF1 float64
	BP, BR, BF1          float64
	Predicted, Gold      int
}

func f1(p, r float64) float64 {
	if p+r == 0 {
		return 0
	}
	return 2 * p * r / (p + r)
}

// score compares predicted and gold labels of the same items.
func score(pred, gold []string) scores {
	type cell struct{ p, g string }
	cells := map[cell]int{}
	ps, gs := map[string]int{}, map[string]int{}
	for i := range pred {
		cells[cell{pred[i], gold[i]}]++
		ps[pred[i]]++
		gs[gold[i]]++
	}
	pairs := func(n int) float64 { return float64(n) * float64(n-1) / 2 }
	var tp, pp, gp float64
	for _, n := range cells {
		tp += pairs(n)
	}
	for _, n := range ps {
		pp += pairs(n)
	}
	for _, n := range gs {
		gp += pairs(n)
	}
	var s scores
	s.PairP, s.PairR = 1, 1
	if pp > 0 {
		s.PairP = tp / pp
	}
	if gp > 0 {
		s.PairR = tp / gp
	}
	s.PairF1 = f1(s.PairP, s.PairR)
	for i := range pred {
		both := float64(cells[cell{pred[i], gold[i]}])
		s.BP += both / float64(ps[pred[i]])
		s.BR += both / float64(gs[gold[i]])
	}
	s.BP /= float64(len(pred))
	s.BR /= float64(len(pred))
	s.BF1 = f1(s.BP, s.BR)
	s.Predicted, s.Gold = len(ps), len(gs)
	return s
}

// goldRow is one alias of numpy_gold.tsv: only the resolver's input and the
// gold cluster.
func TestScore(t *testing.T) {
	s := score([]string{"a", "a", "b", "c"}, []string{"x", "x", "x", "y"})
	if s.PairP != 1 || s.PairR != 1.0/3 {
		t.Errorf("pairwise %.3f %.3f", s.PairP, s.PairR)
	}
	if s.BP != 1 {
		t.Errorf("B-cubed precision %.3f", s.BP)
	}
}
