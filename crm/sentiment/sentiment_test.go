package sentiment

import (
	"bufio"
	"encoding/json"
	"math"
	"os"
	"strings"
	"sync"
	"testing"
)

// polarityCases are the reference sentences of vaderSentiment's README and
// demo (its __main__ examples and "tricky sentences") and more that exercise
// each rule. The expected scores are what C.J. Hutto's Python vaderSentiment
// (vaderSentiment.py, polarity_scores) prints for them on the same lexicon.
// The emoji sentence is scored as with no emoji lexicon: this package does
// not translate emoji to words as vaderSentiment does (see the package doc).
var polarityCases = []struct {
	text string
	want Scores
}{
	{"VADER is smart, handsome, and funny.", Scores{Negative: 0, Neutral: 0.254, Positive: 0.746, Compound: 0.8316}},
	{"VADER is smart, handsome, and funny!", Scores{Negative: 0, Neutral: 0.248, Positive: 0.752, Compound: 0.8439}},
	{"VADER is very smart, handsome, and funny.", Scores{Negative: 0, Neutral: 0.299, Positive: 0.701, Compound: 0.8545}},
	{"VADER is VERY SMART, handsome, and FUNNY.", Scores{Negative: 0, Neutral: 0.246, Positive: 0.754, Compound: 0.9227}},
	{"VADER is VERY SMART, handsome, and FUNNY!!!", Scores{Negative: 0, Neutral: 0.233, Positive: 0.767, Compound: 0.9342}},
	{"VADER is VERY SMART, uber handsome, and FRIGGIN FUNNY!!!", Scores{Negative: 0, Neutral: 0.294, Positive: 0.706, Compound: 0.9469}},
	{"VADER is not smart, handsome, nor funny.", Scores{Negative: 0.646, Neutral: 0.354, Positive: 0, Compound: -0.7424}},
	{"The book was good.", Scores{Negative: 0, Neutral: 0.508, Positive: 0.492, Compound: 0.4404}},
	{"At least it isn't a horrible book.", Scores{Negative: 0, Neutral: 0.678, Positive: 0.322, Compound: 0.431}},
	{"The book was only kind of good.", Scores{Negative: 0, Neutral: 0.697, Positive: 0.303, Compound: 0.3832}},
	{"The plot was good, but the characters are uncompelling and the dialog is not great.", Scores{Negative: 0.327, Neutral: 0.579, Positive: 0.094, Compound: -0.7042}},
	{"Today SUX!", Scores{Negative: 0.779, Neutral: 0.221, Positive: 0, Compound: -0.5461}},
	{"Today only kinda sux! But I'll get by, lol", Scores{Negative: 0.127, Neutral: 0.556, Positive: 0.317, Compound: 0.5249}},
	{"Make sure you :) or :D today!", Scores{Negative: 0, Neutral: 0.294, Positive: 0.706, Compound: 0.8633}},
	{"Not bad at all", Scores{Negative: 0, Neutral: 0.513, Positive: 0.487, Compound: 0.431}},
	{"", Scores{Negative: 0, Neutral: 0, Positive: 0, Compound: 0}},
	{"   ", Scores{Negative: 0, Neutral: 0, Positive: 0, Compound: 0}},
	{"a b c", Scores{Negative: 0, Neutral: 1, Positive: 0, Compound: 0}},
	{"!!!! ???", Scores{Negative: 0, Neutral: 1, Positive: 0, Compound: 0}},
	{"Catch utf-8 emoji such as such as 💘 and 💋 and 😁", Scores{Negative: 0, Neutral: 1, Positive: 0, Compound: 0}},
	{"Not bad at all, but the least good part was kind of awful???", Scores{Negative: 0.404, Neutral: 0.5, Positive: 0.096, Compound: -0.8}},
	{"Least good, at least. Never so good! Never this bad?? yeah right, that is the shit.", Scores{Negative: 0.344, Neutral: 0.372, Positive: 0.285, Compound: -0.1917}},
	{"He is the bomb, a bad ass, and cut the mustard ... kiss of death!!!!! ????", Scores{Negative: 0.435, Neutral: 0.342, Positive: 0.222, Compound: -0.7374}},
	{"I LIKE it. BUT it was kind of NOT great, sort of okay", Scores{Negative: 0.235, Neutral: 0.529, Positive: 0.236, Compound: -0.244}},
	{"It was hardly good, barely even ok, and somewhat sort of nice.", Scores{Negative: 0, Neutral: 0.673, Positive: 0.327, Compound: 0.5927}},
	{"I don't like it, I wasn't happy and it isn't cool.", Scores{Negative: 0.469, Neutral: 0.531, Positive: 0, Compound: -0.7244}},
	{"\"Great\" (really) -- 'good' :-) ;) <3 :( :'(", Scores{Negative: 0.268, Neutral: 0.088, Positive: 0.644, Compound: 0.8197}},
	{"Never so happy, never this sad; the very least good.", Scores{Negative: 0.195, Neutral: 0.377, Positive: 0.427, Compound: 0.6479}},
	{"İLIKE it, LİKE", Scores{Negative: 0, Neutral: 1, Positive: 0, Compound: 0}},
	{"the food was AWFUL!!! the service was GREAT though?", Scores{Negative: 0.227, Neutral: 0.426, Positive: 0.347, Compound: 0.4545}},
	{"What a HORRIBLE, TERRIBLE day?!?!", Scores{Negative: 0.75, Neutral: 0.25, Positive: 0, Compound: -0.8753}},
	{"Sentiment analysis has never been good.", Scores{Negative: 0.325, Neutral: 0.675, Positive: 0, Compound: -0.3412}},
	{"Sentiment analysis has never been this good!", Scores{Negative: 0, Neutral: 0.621, Positive: 0.379, Compound: 0.5672}},
	{"Most automated sentiment analysis tools are shit.", Scores{Negative: 0.375, Neutral: 0.625, Positive: 0, Compound: -0.5574}},
	{"With VADER, sentiment analysis is the shit!", Scores{Negative: 0, Neutral: 0.583, Positive: 0.417, Compound: 0.6476}},
	{"Other sentiment analysis tools can be quite bad.", Scores{Negative: 0.351, Neutral: 0.649, Positive: 0, Compound: -0.5849}},
	{"On the other hand, VADER is quite bad ass", Scores{Negative: 0, Neutral: 0.423, Positive: 0.577, Compound: 0.802}},
	{"VADER is such a badass!", Scores{Negative: 0, Neutral: 0.598, Positive: 0.402, Compound: 0.4003}},
	{"Without a doubt, excellent idea.", Scores{Negative: 0, Neutral: 0.341, Positive: 0.659, Compound: 0.7013}},
	{"Roger Dodger is one of the most compelling variations on this theme.", Scores{Negative: 0, Neutral: 0.834, Positive: 0.166, Compound: 0.2944}},
	{"Roger Dodger is at least compelling as a variation on the theme.", Scores{Negative: 0, Neutral: 0.853, Positive: 0.147, Compound: 0.2263}},
	{"Roger Dodger is one of the least compelling variations on this theme.", Scores{Negative: 0.132, Neutral: 0.868, Positive: 0, Compound: -0.1695}},
	{"Not such a badass after all.", Scores{Negative: 0.289, Neutral: 0.711, Positive: 0, Compound: -0.2584}},
	{"Without a doubt, an excellent idea.", Scores{Negative: 0, Neutral: 0.408, Positive: 0.592, Compound: 0.7013}},
	{"No problem, no good, no fun or joy", Scores{Negative: 0.505, Neutral: 0.123, Positive: 0.372, Compound: -0.4847}},
	{"good good BUT bad bad", Scores{Negative: 0.66, Neutral: 0.069, Positive: 0.271, Compound: -0.8225}},
	{"It was good. but it was good and bad, good", Scores{Negative: 0.233, Neutral: 0.294, Positive: 0.473, Compound: 0.5994}},
	{"l", Scores{Negative: 0, Neutral: 0, Positive: 1, Compound: 0.4588}},
	{"\u00a0\u001cgood\ufeff", Scores{Negative: 0, Neutral: 1, Positive: 0, Compound: 0}},
	{"This cake is to die for, a beating heart, not a broken heart", Scores{Negative: 0.424, Neutral: 0.314, Positive: 0.261, Compound: -0.6305}},
}

const tolerance = 1e-4

func near(a, b float64) bool { return math.Abs(a-b) <= tolerance }

func sameScores(got, want Scores) bool {
	return near(got.Negative, want.Negative) && near(got.Neutral, want.Neutral) &&
		near(got.Positive, want.Positive) && near(got.Compound, want.Compound)
}

func TestPolarity(t *testing.T) {
	a := New()
	for _, c := range polarityCases {
		if got := a.Polarity(c.text); !sameScores(got, c.want) {
			t.Errorf("Polarity(%q) = %+v, want %+v", c.text, got, c.want)
		}
	}
}

// TestPolarityGolden checks random texts built from lexicon words,
// boosters, negations, idioms, emoticons, capitals, non-ASCII letters,
// Unicode spaces and punctuation against the scores Python vaderSentiment
// gave for them (testdata/py_golden.jsonl, made by testdata/gen_golden.py).
func TestPolarityGolden(t *testing.T) {
	f, err := os.Open("testdata/py_golden.jsonl")
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	a := New()
	sc := bufio.NewScanner(f)
	sc.Buffer(nil, 1<<20)
	n := 0
	for sc.Scan() {
		var row struct {
			Text   string `json:"text"`
			Scores Scores `json:"scores"`
		}
		if err := json.Unmarshal(sc.Bytes(), &row); err != nil {
			t.Fatalf("line %d: %v", n+1, err)
		}
		n++
		if got := a.Polarity(row.Text); !sameScores(got, row.Scores) {
			t.Errorf("Polarity(%q) = %+v, want %+v", row.Text, got, row.Scores)
		}
	}
	if err := sc.Err(); err != nil {
		t.Fatal(err)
	}
	if n < 2000 {
		t.Fatalf("only %d golden rows", n)
	}
}

func TestEmpty(t *testing.T) {
	for _, text := range []string{"", "   ", "\n\t", "\u00a0\u3000\x1c"} {
		if got := New().Polarity(text); got != (Scores{}) {
			t.Errorf("Polarity(%q) = %+v, want all zero", text, got)
		}
	}
}

func TestSurroundingWhitespace(t *testing.T) {
	a := New()
	for _, c := range polarityCases {
		want := a.Polarity(c.text)
		for _, pad := range []string{" ", "\n", "\t \r\n", "\u00a0\u3000"} {
			for _, text := range []string{pad + c.text, c.text + pad, pad + c.text + pad} {
				if got := a.Polarity(text); got != want {
					t.Errorf("Polarity(%q) = %+v, want %+v as without whitespace", text, got, want)
				}
			}
		}
	}
}

func TestConcurrent(t *testing.T) {
	a := New()
	want := make([]Scores, len(polarityCases))
	for i, c := range polarityCases {
		want[i] = a.Polarity(c.text)
	}
	var wg sync.WaitGroup
	for g := 0; g < 8; g++ {
		wg.Go(func() {
			b := New() // New is safe concurrently too
			for r := 0; r < 20; r++ {
				for i, c := range polarityCases {
					an := a
					if (g+r)%2 == 0 {
						an = b
					}
					if got := an.Polarity(c.text); got != want[i] {
						t.Errorf("concurrent Polarity(%q) = %+v, want %+v", c.text, got, want[i])
					}
				}
			}
		})
	}
	wg.Wait()
}

func TestClassify(t *testing.T) {
	for _, c := range []struct {
		compound float64
		want     string
	}{
		{1, Positive}, {0.05, Positive}, {0.0499, Neutral}, {0, Neutral},
		{-0.0499, Neutral}, {-0.05, Negative}, {-1, Negative},
	} {
		if got := Classify(c.compound); got != c.want {
			t.Errorf("Classify(%v) = %q, want %q", c.compound, got, c.want)
		}
	}
}

func TestJSONTags(t *testing.T) {
	b, err := json.Marshal(Scores{Negative: 0.1, Neutral: 0.2, Positive: 0.7, Compound: -0.5})
	if err != nil {
		t.Fatal(err)
	}
	if want := `{"neg":0.1,"neu":0.2,"pos":0.7,"compound":-0.5}`; string(b) != want {
		t.Errorf("json = %s, want %s", b, want)
	}
}

func TestLexicon(t *testing.T) {
	lex := New().lexicon
	if len(lex) != 7488 {
		t.Errorf("lexicon has %d entries, want 7488", len(lex))
	}
	for word, want := range map[string]float64{
		"good": 1.9, "horrible": -2.5, ":)": 2, "sux": -1.5, "<3": 1.9,
		":d": 2.3, "l": 2, "lol": 1.8, "heart": 3.2, "hearts": 3.3, "badass": 1.4, "flawed": -2.1,
	} {
		if got, ok := lex[word]; !ok || got != want {
			t.Errorf("lexicon[%q] = %v, %v; want %v", word, got, ok, want)
		}
	}
}

func TestRound(t *testing.T) {
	for _, c := range []struct {
		x      float64
		digits int
		want   float64
	}{
		{0.03125, 4, 0.0312}, // exact tie: to even, as Python's round
		{-0.03125, 4, -0.0312},
		{0.0625, 3, 0.062},
		{0.0635, 3, 0.064},   // 0.0635 is just above the tie as a double
		{0.12345, 4, 0.1235}, // 0.12345 is just above the tie as a double
		{0.00004, 4, 0},
		{-0.00004, 4, 0},
		{0.83155, 4, 0.8316},
	} {
		got := round(c.x, c.digits)
		if got != c.want || (c.want == 0 && math.Signbit(got)) {
			t.Errorf("round(%v, %d) = %v, want %v", c.x, c.digits, got, c.want)
		}
	}
}

func BenchmarkPolarity(b *testing.B) {
	base := "VADER is VERY SMART, uber handsome, and FRIGGIN FUNNY!!! The plot was good, but the characters are uncompelling and the dialog is not great. At least it isn't a horrible book :) "
	text := strings.Repeat(base, 1000/len(base)+1)[:1000]
	a := New()
	b.SetBytes(int64(len(text)))
	b.ReportAllocs()
	for b.Loop() {
		a.Polarity(text)
	}
}
