package sentiment

import (
	"bufio"
	_ "embed"
	"math"
	"strconv"
	"strings"
	"sync"
	"unicode"
	"unicode/utf8"
)

// Labels returned by Classify.
const (
	// Positive is the label for a compound score of at least 0.05.
	Positive = "positive"
	// Neutral is the label for a compound score strictly between -0.05 and 0.05.
	Neutral = "neutral"
	// Negative is the label for a compound score of at most -0.05.
	Negative = "negative"
)

// Scores is VADER's result for one text. Negative, Neutral and Positive are
// the proportions of the text's weight that fall in each class (they add up
// to 1, give or take rounding, or are all 0 for a text with no words);
// Compound is the normalised, weighted sum of all valences, in [-1, 1].
// As in vaderSentiment, the proportions are rounded to 3 decimal places and
// Compound to 4.
type Scores struct {
	// Negative is the proportion of negative weight, in [0, 1].
	Negative float64 `json:"neg"`
	// Neutral is the proportion of neutral weight, in [0, 1].
	Neutral float64 `json:"neu"`
	// Positive is the proportion of positive weight, in [0, 1].
	Positive float64 `json:"pos"`
	// Compound is the normalised overall sentiment, in [-1, 1].
	Compound float64 `json:"compound"`
}

// Classify labels a compound score with VADER's customary thresholds:
// Positive for compound >= 0.05, Negative for compound <= -0.05, Neutral
// otherwise.
func Classify(compound float64) string {
	switch {
	case compound >= 0.05:
		return Positive
	case compound <= -0.05:
		return Negative
	default:
		return Neutral
	}
}

// Analyzer scores texts against the VADER lexicon. Build one with New; it is
// read-only after that, so one Analyzer may be used from many goroutines at
// once.
type Analyzer struct {
	lexicon map[string]float64
}

//go:embed vader_lexicon.txt
var lexiconData string

// parsedLexicon parses the embedded lexicon once; the map is never written
// after that.
var parsedLexicon = sync.OnceValue(func() map[string]float64 {
	lex := make(map[string]float64, 7500)
	sc := bufio.NewScanner(strings.NewReader(lexiconData))
	for sc.Scan() {
		word, val, ok := strings.Cut(sc.Text(), "\t")
		if !ok {
			panic("sentiment: malformed lexicon line " + strconv.Quote(sc.Text()))
		}
		f, err := strconv.ParseFloat(val, 64)
		if err != nil {
			panic("sentiment: malformed lexicon valence " + strconv.Quote(sc.Text()))
		}
		lex[word] = f
	}
	return lex
})

// New returns an Analyzer over the embedded VADER lexicon.
func New() *Analyzer {
	return &Analyzer{lexicon: parsedLexicon()}
}

// Constants of the model, as in vaderSentiment.
const (
	bIncr   = 0.293 // booster word
	bDecr   = -0.293
	cIncr   = 0.733 // ALL-CAPS emphasis
	nScalar = -0.74 // negation
)

// negate is NEGATE, matched against lower-cased words.
var negate = map[string]bool{
	"aint": true, "arent": true, "cannot": true, "cant": true, "couldnt": true,
	"darent": true, "didnt": true, "doesnt": true, "ain't": true, "aren't": true,
	"can't": true, "couldn't": true, "daren't": true, "didn't": true,
	"doesn't": true, "dont": true, "hadnt": true, "hasnt": true, "havent": true,
	"isnt": true, "mightnt": true, "mustnt": true, "neither": true,
	"don't": true, "hadn't": true, "hasn't": true, "haven't": true,
	"isn't": true, "mightn't": true, "mustn't": true, "neednt": true,
	"needn't": true, "never": true, "none": true, "nope": true, "nor": true,
	"not": true, "nothing": true, "nowhere": true, "oughtnt": true,
	"shant": true, "shouldnt": true, "uhuh": true, "wasnt": true,
	"werent": true, "oughtn't": true, "shan't": true, "shouldn't": true,
	"uh-uh": true, "wasn't": true, "weren't": true, "without": true,
	"wont": true, "wouldnt": true, "won't": true, "wouldn't": true,
	"rarely": true, "seldom": true, "despite": true,
}

// boosters is BOOSTER_DICT: intensifiers and dampeners (degree adverbs).
var boosters = map[string]float64{
	"absolutely": bIncr, "amazingly": bIncr, "awfully": bIncr,
	"completely": bIncr, "considerable": bIncr, "considerably": bIncr,
	"decidedly": bIncr, "deeply": bIncr, "effing": bIncr, "enormous": bIncr,
	"enormously": bIncr, "entirely": bIncr, "especially": bIncr,
	"exceptional": bIncr, "exceptionally": bIncr, "extreme": bIncr,
	"extremely": bIncr, "fabulously": bIncr, "flipping": bIncr,
	"flippin": bIncr, "frackin": bIncr, "fracking": bIncr, "fricking": bIncr,
	"frickin": bIncr, "frigging": bIncr, "friggin": bIncr, "fully": bIncr,
	"fuckin": bIncr, "fucking": bIncr, "fuggin": bIncr, "fugging": bIncr,
	"greatly": bIncr, "hella": bIncr, "highly": bIncr, "hugely": bIncr,
	"incredible": bIncr, "incredibly": bIncr, "intensely": bIncr,
	"major": bIncr, "majorly": bIncr, "more": bIncr, "most": bIncr,
	"particularly": bIncr, "purely": bIncr, "quite": bIncr, "really": bIncr,
	"remarkably": bIncr, "so": bIncr, "substantially": bIncr,
	"thoroughly": bIncr, "total": bIncr, "totally": bIncr,
	"tremendous": bIncr, "tremendously": bIncr, "uber": bIncr,
	"unbelievably": bIncr, "unusually": bIncr, "utter": bIncr,
	"utterly": bIncr, "very": bIncr,
	"almost": bDecr, "barely": bDecr, "hardly": bDecr, "just enough": bDecr,
	"kind of": bDecr, "kinda": bDecr, "kindof": bDecr, "kind-of": bDecr,
	"less": bDecr, "little": bDecr, "marginal": bDecr, "marginally": bDecr,
	"occasional": bDecr, "occasionally": bDecr, "partly": bDecr,
	"scarce": bDecr, "scarcely": bDecr, "slight": bDecr, "slightly": bDecr,
	"somewhat": bDecr, "sort of": bDecr, "sorta": bDecr, "sortof": bDecr,
	"sort-of": bDecr,
}

// specialCases is SPECIAL_CASES: idioms and phrases containing lexicon
// words, matched against lower-cased words.
var specialCases = map[string]float64{
	"the shit": 3, "the bomb": 3, "bad ass": 1.5, "badass": 1.5, "bus stop": 0,
	"yeah right": -2, "kiss of death": -1.5, "to die for": 3,
	"beating heart": 3.1, "broken heart": -2.9,
}

// isPySpace reports whether r is whitespace for Python's str.split and
// str.strip (str.isspace): Unicode White_Space plus the separators
// U+001C..U+001F.
func isPySpace(r rune) bool {
	return unicode.IsSpace(r) || (r >= 0x1c && r <= 0x1f)
}

// isASCIIPunct reports whether r is in Python's string.punctuation.
func isASCIIPunct(r rune) bool {
	return (r >= '!' && r <= '/') || (r >= ':' && r <= '@') ||
		(r >= '[' && r <= '`') || (r >= '{' && r <= '~')
}

// lower is Python's str.lower for everything that can matter here: like
// strings.ToLower, except that U+0130 (İ) becomes "i̇" rather than a bare
// "i" (the lexicon and word lists are ASCII, so the final-sigma rule, the
// only other difference, never changes a match).
func lower(s string) string {
	if strings.ContainsRune(s, 0x130) {
		s = strings.ReplaceAll(s, "\u0130", "i\u0307")
	}
	return strings.ToLower(s)
}

// isUpper is Python's str.isupper: at least one cased character, and no
// lower-case or title-case one.
func isUpper(w string) bool {
	upper := false
	for _, r := range w {
		if r < utf8.RuneSelf {
			if r >= 'a' && r <= 'z' {
				return false
			}
			upper = upper || (r >= 'A' && r <= 'Z')
			continue
		}
		switch {
		case unicode.IsLower(r) || unicode.Is(unicode.Other_Lowercase, r) || unicode.IsTitle(r):
			return false
		case unicode.IsUpper(r) || unicode.Is(unicode.Other_Uppercase, r):
			upper = true
		}
	}
	return upper
}

// wordsAndEmoticons is SentiText._words_and_emoticons: split on whitespace
// and strip leading and trailing punctuation from each token, unless that
// leaves two characters or fewer (emoticons such as ":)" or ":D", and short
// words, are kept as they are).
func wordsAndEmoticons(text string) []string {
	tokens := strings.FieldsFunc(text, isPySpace)
	for i, tok := range tokens {
		stripped := strings.TrimFunc(tok, isASCIIPunct)
		if utf8.RuneCountInString(stripped) > 2 {
			tokens[i] = stripped
		}
	}
	return tokens
}

// allcapDifferential reports whether some, but not all, words are ALL CAPS.
func allcapDifferential(words []string) bool {
	caps := 0
	for _, w := range words {
		if isUpper(w) {
			caps++
		}
	}
	diff := len(words) - caps
	return diff > 0 && diff < len(words)
}

// negated is negated([w]) for a lower-cased word: a NEGATE word, or
// anything containing "n't".
func negated(w string) bool {
	return negate[w] || strings.Contains(w, "n't")
}

// scalarIncDec is scalar_inc_dec: the boost (or damping) that word gives to
// a following word of the given valence.
func scalarIncDec(word, wordLower string, valence float64, capDiff bool) float64 {
	scalar, ok := boosters[wordLower]
	if !ok {
		return 0
	}
	if valence < 0 {
		scalar *= -1
	}
	if isUpper(word) && capDiff {
		if valence > 0 {
			scalar += cIncr
		} else {
			scalar -= cIncr
		}
	}
	return scalar
}

// Polarity returns VADER's scores for text. Text with no words (empty or
// only whitespace) scores all zeros.
func (a *Analyzer) Polarity(text string) Scores {
	text = strings.TrimFunc(text, isPySpace)
	words := wordsAndEmoticons(text)
	capDiff := allcapDifferential(words)
	lowers := make([]string, len(words))
	for i, w := range words {
		lowers[i] = lower(w)
	}
	sentiments := make([]float64, 0, len(words))
	for i := range words {
		if _, ok := boosters[lowers[i]]; ok {
			sentiments = append(sentiments, 0)
			continue
		}
		if i < len(words)-1 && lowers[i] == "kind" && lowers[i+1] == "of" {
			sentiments = append(sentiments, 0)
			continue
		}
		sentiments = append(sentiments, a.sentimentValence(words, lowers, capDiff, i))
	}
	butCheck(lowers, sentiments)
	return scoreValence(sentiments, text)
}

// sentimentValence is sentiment_valence: the valence of words[i] after the
// "no", caps, booster, negation, idiom and "least" rules.
func (a *Analyzer) sentimentValence(words, lowers []string, capDiff bool, i int) float64 {
	base, ok := a.lexicon[lowers[i]]
	if !ok {
		return 0
	}
	valence := base
	// "no" before another lexicon word negates that word rather than
	// counting as a negative word itself.
	if lowers[i] == "no" && i != len(words)-1 {
		if _, ok := a.lexicon[lowers[i+1]]; ok {
			valence = 0
		}
	}
	if (i > 0 && lowers[i-1] == "no") || (i > 1 && lowers[i-2] == "no") ||
		(i > 2 && lowers[i-3] == "no" && (lowers[i-1] == "or" || lowers[i-1] == "nor")) {
		valence = base * nScalar
	}
	if isUpper(words[i]) && capDiff {
		if valence > 0 {
			valence += cIncr
		} else {
			valence -= cIncr
		}
	}
	for start := 0; start < 3; start++ {
		prev := i - (start + 1)
		if prev < 0 {
			break
		}
		if _, ok := a.lexicon[lowers[prev]]; ok {
			continue
		}
		s := scalarIncDec(words[prev], lowers[prev], valence, capDiff)
		if start == 1 && s != 0 {
			s *= 0.95
		} else if start == 2 && s != 0 {
			s *= 0.9
		}
		valence += s
		valence = negationCheck(valence, lowers, start, i)
		if start == 2 {
			valence = specialIdiomsCheck(valence, lowers, i)
		}
	}
	return a.leastCheck(valence, lowers, i)
}

// negationCheck is _negation_check: negation of the word start+1 places
// back, "never so"/"never this" emphasis and "without doubt".
func negationCheck(valence float64, w []string, start, i int) float64 {
	soThis := func(s string) bool { return s == "so" || s == "this" }
	switch start {
	case 0:
		if negated(w[i-1]) {
			valence *= nScalar
		}
	case 1:
		switch {
		case w[i-2] == "never" && soThis(w[i-1]):
			valence *= 1.25
		case w[i-2] == "without" && w[i-1] == "doubt":
		case negated(w[i-2]):
			valence *= nScalar
		}
	case 2:
		switch {
		case (w[i-3] == "never" && soThis(w[i-2])) || soThis(w[i-1]):
			valence *= 1.25
		case w[i-3] == "without" && (w[i-2] == "doubt" || w[i-1] == "doubt"):
		case negated(w[i-3]):
			valence *= nScalar
		}
	}
	return valence
}

// specialIdiomsCheck is _special_idioms_check, called only when i >= 3:
// special-case idioms around words[i] replace its valence, and a two-word
// booster or dampener ("kind of", "sort of", "just enough") two or three
// words back adjusts it.
func specialIdiomsCheck(valence float64, w []string, i int) float64 {
	oneZero := w[i-1] + " " + w[i]
	twoOneZero := w[i-2] + " " + w[i-1] + " " + w[i]
	twoOne := w[i-2] + " " + w[i-1]
	threeTwoOne := w[i-3] + " " + w[i-2] + " " + w[i-1]
	threeTwo := w[i-3] + " " + w[i-2]
	for _, seq := range [...]string{oneZero, twoOneZero, twoOne, threeTwoOne, threeTwo} {
		if v, ok := specialCases[seq]; ok {
			valence = v
			break
		}
	}
	if len(w)-1 > i {
		if v, ok := specialCases[w[i]+" "+w[i+1]]; ok {
			valence = v
		}
	}
	if len(w)-1 > i+1 {
		if v, ok := specialCases[w[i]+" "+w[i+1]+" "+w[i+2]]; ok {
			valence = v
		}
	}
	for _, ngram := range [...]string{threeTwoOne, threeTwo, twoOne} {
		if v, ok := boosters[ngram]; ok {
			valence += v
		}
	}
	return valence
}

// leastCheck is _least_check: "least" before a word negates it, unless it is
// "at least" or "very least".
func (a *Analyzer) leastCheck(valence float64, w []string, i int) float64 {
	if i == 0 || w[i-1] != "least" {
		return valence
	}
	if _, ok := a.lexicon["least"]; ok {
		return valence
	}
	if i > 1 {
		if w[i-2] != "at" && w[i-2] != "very" {
			valence *= nScalar
		}
		return valence
	}
	return valence * nScalar
}

// butCheck is _but_check: with a "but" (in any case), valences before the
// first one are halved and those after it grow by half.
//
// It reproduces the reference implementation exactly, including its way of
// finding each valence's position: by value (list.index), so when a valence
// occurs more than once it is the first occurrence that is scaled, and a
// value may be scaled more than once.
func butCheck(lowers []string, sentiments []float64) {
	bi := -1
	for i, w := range lowers {
		if w == "but" {
			bi = i
			break
		}
	}
	if bi == -1 {
		return
	}
	for pos := range sentiments {
		v := sentiments[pos]
		si := 0
		for sentiments[si] != v {
			si++
		}
		if si < bi {
			sentiments[si] = v * 0.5
		} else if si > bi {
			sentiments[si] = v * 1.5
		}
	}
}

// punctuationEmphasis is the emphasis from exclamation points (0.292 each,
// up to 4) and question marks (0.18 each for 2 or 3, 0.96 for more) anywhere
// in the text.
func punctuationEmphasis(text string) float64 {
	ep := min(strings.Count(text, "!"), 4)
	amp := float64(ep) * 0.292
	qm := strings.Count(text, "?")
	if qm > 1 {
		if qm <= 3 {
			amp += float64(qm) * 0.18
		} else {
			amp += 0.96
		}
	}
	return amp
}

// normalize maps a summed valence into [-1, 1] with score/sqrt(score²+15).
func normalize(score float64) float64 {
	const alpha = 15
	n := score / math.Sqrt(score*score+alpha)
	return max(-1, min(1, n))
}

// scoreValence is score_valence: compound and pos/neu/neg proportions.
func scoreValence(sentiments []float64, text string) Scores {
	if len(sentiments) == 0 {
		return Scores{}
	}
	var sum float64
	for _, s := range sentiments {
		sum += s
	}
	amp := punctuationEmphasis(text)
	if sum > 0 {
		sum += amp
	} else if sum < 0 {
		sum -= amp
	}
	compound := normalize(sum)

	var posSum, negSum float64
	neuCount := 0
	for _, s := range sentiments {
		switch {
		case s > 0:
			posSum += s + 1 // compensates for neutral words counted as 1
		case s < 0:
			negSum += s - 1
		default:
			neuCount++
		}
	}
	if posSum > math.Abs(negSum) {
		posSum += amp
	} else if posSum < math.Abs(negSum) {
		negSum -= amp
	}
	total := posSum + math.Abs(negSum) + float64(neuCount)
	return Scores{
		Negative: round(math.Abs(negSum/total), 3),
		Neutral:  round(math.Abs(float64(neuCount)/total), 3),
		Positive: round(math.Abs(posSum/total), 3),
		Compound: round(compound, 4),
	}
}

// round is Python's round(x, digits): the exact binary value rounded to
// digits decimals, an exact half going to the even neighbour (as strconv
// does), read back as the nearest float64. -0 comes back as 0.
func round(x float64, digits int) float64 {
	r, _ := strconv.ParseFloat(strconv.FormatFloat(x, 'f', digits, 64), 64)
	return r + 0
}
