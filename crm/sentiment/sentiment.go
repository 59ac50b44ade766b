package sentiment

import (
	"bufio"
	_ "embed"
	"math"
	"math/big"
	"strconv"
	"strings"
	"sync"
	"unicode/utf16"
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
// As in vader-sentiment, the proportions are rounded to 3 decimal places and
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

// Constants of the model, as in vader-sentiment.
const (
	bIncr   = 0.293 // booster word
	bDecr   = -0.293
	cIncr   = 0.733 // ALL-CAPS emphasis
	nScalar = -0.74 // negation
)

// puncList is PUNC_LIST: the punctuation that may lead or trail a word and
// be stripped from it.
var puncList = map[string]bool{
	".": true, "!": true, "?": true, ",": true, ";": true, ":": true, "-": true,
	"'": true, "\"": true, "!!": true, "!!!": true, "??": true, "???": true,
	"?!?": true, "!?!": true, "?!?!": true, "!?!?": true,
}

// negate is NEGATE, matched case-sensitively as the JavaScript does.
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
	"completely": bIncr, "considerably": bIncr, "decidedly": bIncr,
	"deeply": bIncr, "effing": bIncr, "enormously": bIncr, "entirely": bIncr,
	"especially": bIncr, "exceptionally": bIncr, "extremely": bIncr,
	"fabulously": bIncr, "flipping": bIncr, "flippin": bIncr,
	"fricking": bIncr, "frickin": bIncr, "frigging": bIncr, "friggin": bIncr,
	"fully": bIncr, "fucking": bIncr, "greatly": bIncr, "hella": bIncr,
	"highly": bIncr, "hugely": bIncr, "incredibly": bIncr, "intensely": bIncr,
	"majorly": bIncr, "more": bIncr, "most": bIncr, "particularly": bIncr,
	"purely": bIncr, "quite": bIncr, "really": bIncr, "remarkably": bIncr,
	"so": bIncr, "substantially": bIncr, "thoroughly": bIncr,
	"totally": bIncr, "tremendously": bIncr, "uber": bIncr,
	"unbelievably": bIncr, "unusually": bIncr, "utterly": bIncr,
	"very":   bIncr,
	"almost": bDecr, "barely": bDecr, "hardly": bDecr, "just enough": bDecr,
	"kind of": bDecr, "kinda": bDecr, "kindof": bDecr, "kind-of": bDecr,
	"less": bDecr, "little": bDecr, "marginally": bDecr,
	"occasionally": bDecr, "partly": bDecr, "scarcely": bDecr,
	"slightly": bDecr, "somewhat": bDecr, "sort of": bDecr, "sorta": bDecr,
	"sortof": bDecr, "sort-of": bDecr,
}

// specialIdioms is SPECIAL_CASE_IDIOMS, matched case-sensitively.
var specialIdioms = map[string]float64{
	"the shit": 3, "the bomb": 3, "bad ass": 1.5, "yeah right": -2,
	"cut the mustard": 2, "kiss of death": -1.5, "hand to mouth": -2,
}

// isJSSpace reports whether r matches JavaScript's \s (WhiteSpace and
// LineTerminator of ECMAScript).
func isJSSpace(r rune) bool {
	switch r {
	case '\t', '\n', '\v', '\f', '\r', ' ', 0x00a0, 0x1680, 0x2028, 0x2029,
		0x202f, 0x205f, 0x3000, 0xfeff:
		return true
	}
	return r >= 0x2000 && r <= 0x200a
}

// isASCIIPunct reports whether b is in REGEX_REMOVE_PUNCTUATION (Python's
// string.punctuation).
func isASCIIPunct(b byte) bool {
	return (b >= '!' && b <= '/') || (b >= ':' && b <= '@') ||
		(b >= '[' && b <= '`') || (b >= '{' && b <= '~')
}

// jsLen is a string's JavaScript length, in UTF-16 code units.
func jsLen(s string) int {
	n := 0
	for _, r := range s {
		n += utf16.RuneLen(r)
	}
	return n
}

// lower is JavaScript's String.prototype.toLowerCase for everything that can
// matter here: like strings.ToLower, except that U+0130 (İ) becomes "i̇"
// rather than a bare "i".
func lower(s string) string {
	if strings.ContainsRune(s, 0x130) {
		s = strings.ReplaceAll(s, "\u0130", "i\u0307")
	}
	return strings.ToLower(s)
}

// isUpper is is_upper_python: the JavaScript /^[^a-z]*[A-Z]+[^a-z]*$/, so at
// least one ASCII capital and no ASCII lower-case letter.
func isUpper(w string) bool {
	upper := false
	for i := 0; i < len(w); i++ {
		switch c := w[i]; {
		case c >= 'a' && c <= 'z':
			return false
		case c >= 'A' && c <= 'Z':
			upper = true
		}
	}
	return upper
}

// wordsAndEmoticons is SentiText.get_words_and_emoticons: split on
// whitespace, drop one-character tokens, and strip a leading or trailing
// PUNC_LIST mark from tokens whose remainder is a word of the
// punctuation-free text. Other tokens (emoticons, contractions, words with
// more punctuation) are kept as they are.
func wordsAndEmoticons(text string) []string {
	tokens := strings.FieldsFunc(text, isJSSpace)
	var b strings.Builder
	b.Grow(len(text))
	for i := 0; i < len(text); i++ {
		if !isASCIIPunct(text[i]) {
			b.WriteByte(text[i])
		}
	}
	words := make(map[string]bool)
	for _, w := range strings.FieldsFunc(b.String(), isJSSpace) {
		if jsLen(w) > 1 {
			words[w] = true
		}
	}
	out := tokens[:0]
	for _, tok := range tokens {
		if jsLen(tok) <= 1 {
			continue
		}
		out = append(out, stripPunc(tok, words))
	}
	return out
}

// stripPunc looks tok up in the JavaScript's words_punc_dict, which maps
// p+w and w+p to w for every p in PUNC_LIST and every word w of the
// punctuation-free text. A word has no punctuation in it, so p can only be
// tok's whole leading (or trailing) run of punctuation.
func stripPunc(tok string, words map[string]bool) string {
	i := 0
	for i < len(tok) && isASCIIPunct(tok[i]) {
		i++
	}
	if i > 0 && puncList[tok[:i]] && words[tok[i:]] {
		return tok[i:]
	}
	j := len(tok)
	for j > 0 && isASCIIPunct(tok[j-1]) {
		j--
	}
	if j < len(tok) && puncList[tok[j:]] && words[tok[:j]] {
		return tok[:j]
	}
	return tok
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

// negated is negated(input_words) for the single-word lists the scorer
// passes it: a NEGATE word or anything containing "n't". (Its "least" rule
// needs a preceding word, so it never fires on one word.)
func negated(w string) bool {
	return negate[w] || strings.Contains(w, "n't")
}

// scalarIncDec is scalar_inc_dec: the boost (or damping) that word gives to
// a following word of the given valence.
func scalarIncDec(word string, valence float64, capDiff bool) float64 {
	scalar, ok := boosters[lower(word)]
	if !ok {
		return 0
	}
	if valence < 0 {
		scalar *= -1
	}
	if capDiff && isUpper(word) {
		if valence > 0 {
			scalar += cIncr
		} else {
			scalar -= cIncr
		}
	}
	return scalar
}

// Polarity returns VADER's scores for text. Text with no scorable words
// (empty, blank, or only one-character tokens) scores all zeros.
func (a *Analyzer) Polarity(text string) Scores {
	words := wordsAndEmoticons(text)
	capDiff := allcapDifferential(words)
	lowers := make([]string, len(words))
	for i, w := range words {
		lowers[i] = lower(w)
	}
	sentiments := make([]float64, 0, len(words))
	for i, item := range words {
		if (i < len(words)-1 && lowers[i] == "kind" && lowers[i+1] == "of") || hasBooster(lowers[i]) {
			sentiments = append(sentiments, 0)
			continue
		}
		sentiments = append(sentiments, a.sentimentValence(words, lowers, capDiff, item, i))
	}
	butCheck(words, sentiments)
	return scoreValence(sentiments, text)
}

func hasBooster(w string) bool {
	_, ok := boosters[w]
	return ok
}

// sentimentValence is sentiment_valence: the valence of words[i] after the
// caps, booster, negation, idiom and "least" rules.
func (a *Analyzer) sentimentValence(words, lowers []string, capDiff bool, item string, i int) float64 {
	valence, ok := a.lexicon[lowers[i]]
	if !ok {
		return 0
	}
	if isUpper(item) && capDiff {
		if valence > 0 {
			valence += cIncr
		} else {
			valence -= cIncr
		}
	}
	for start := 0; start < 3; start++ {
		if i <= start {
			continue
		}
		prev := i - (start + 1)
		if _, ok := a.lexicon[lowers[prev]]; ok {
			continue
		}
		s := scalarIncDec(words[prev], valence, capDiff)
		if start == 1 && s != 0 {
			s *= 0.95
		} else if start == 2 && s != 0 {
			s *= 0.9
		}
		valence += s
		valence = neverCheck(valence, words, start, i)
		if start == 2 {
			valence = idiomsCheck(valence, words, i)
		}
	}
	return a.leastCheck(valence, lowers, i)
}

// neverCheck is never_check: negation of the word start+1 places back, and
// "never so"/"never this" emphasis.
func neverCheck(valence float64, w []string, start, i int) float64 {
	soThis := func(s string) bool { return s == "so" || s == "this" }
	switch start {
	case 0:
		if negated(w[i-1]) {
			valence *= nScalar
		}
	case 1:
		if w[i-2] == "never" && soThis(w[i-1]) {
			valence *= 1.5
		} else if negated(w[i-2]) {
			valence *= nScalar
		}
	case 2:
		if (w[i-3] == "never" && soThis(w[i-2])) || soThis(w[i-1]) {
			valence *= 1.25
		} else if negated(w[i-3]) {
			valence *= nScalar
		}
	}
	return valence
}

// idiomsCheck is idioms_check, called only when i >= 3: special-case idioms
// around words[i] replace its valence, and a two-word dampener ("kind of",
// "sort of", "just enough") two or three words back lowers it.
func idiomsCheck(valence float64, w []string, i int) float64 {
	oneZero := w[i-1] + " " + w[i]
	twoOneZero := w[i-2] + " " + w[i-1] + " " + w[i]
	twoOne := w[i-2] + " " + w[i-1]
	threeTwoOne := w[i-3] + " " + w[i-2] + " " + w[i-1]
	threeTwo := w[i-3] + " " + w[i-2]
	for _, seq := range [...]string{oneZero, twoOneZero, twoOne, threeTwoOne, threeTwo} {
		if v, ok := specialIdioms[seq]; ok {
			valence = v
			break
		}
	}
	if len(w)-1 > i {
		if v, ok := specialIdioms[w[i]+" "+w[i+1]]; ok {
			valence = v
		}
	}
	if len(w)-1 > i+1 {
		if v, ok := specialIdioms[w[i]+" "+w[i+1]+" "+w[i+2]]; ok {
			valence = v
		}
	}
	if hasBooster(threeTwo) || hasBooster(twoOne) {
		valence += bDecr
	}
	return valence
}

// leastCheck is least_check: "least" before a word negates it, unless it is
// "at least" or "very least".
func (a *Analyzer) leastCheck(valence float64, lowers []string, i int) float64 {
	if i == 0 || lowers[i-1] != "least" {
		return valence
	}
	if _, ok := a.lexicon["least"]; ok {
		return valence
	}
	if i > 1 {
		if lowers[i-2] != "at" && lowers[i-2] != "very" {
			valence *= nScalar
		}
		return valence
	}
	return valence * nScalar
}

// butCheck is but_check: with a "but" (or else a "BUT"; the match is
// case-sensitive), the valences before the first one are halved and those
// after it grow by half.
func butCheck(words []string, sentiments []float64) {
	but := -1
	for _, target := range [...]string{"but", "BUT"} {
		for i, w := range words {
			if w == target {
				but = i
				break
			}
		}
		if but != -1 {
			break
		}
	}
	if but == -1 {
		return
	}
	for i := range sentiments {
		if i < but {
			sentiments[i] *= 0.5
		} else if i > but {
			sentiments[i] *= 1.5
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
		Negative: toFixed(math.Abs(negSum/total), 3),
		Neutral:  toFixed(math.Abs(float64(neuCount)/total), 3),
		Positive: toFixed(math.Abs(posSum/total), 3),
		Compound: toFixed(compound, 4),
	}
}

// toFixed is JavaScript's parseFloat(x.toFixed(digits)): round the exact
// binary value to digits decimals, an exact half going away from zero
// (strconv would pick the even neighbour). -0 comes back as 0.
func toFixed(x float64, digits int) float64 {
	neg := x < 0
	ax := math.Abs(x)
	s := strconv.FormatFloat(ax, 'f', digits, 64)
	if isExactHalf(ax, digits) {
		s = strconv.FormatFloat(math.Nextafter(ax, math.Inf(1)), 'f', digits, 64)
	}
	r, _ := strconv.ParseFloat(s, 64)
	if neg {
		r = -r
	}
	return r + 0 // turns -0 into 0, as JSON.stringify prints it
}

// isExactHalf reports whether x is exactly halfway between two multiples of
// 10^-digits. Such an x has a short exact decimal form ending in 5 at place
// digits+1, which is then also its shortest round-trip form.
func isExactHalf(x float64, digits int) bool {
	s := strconv.FormatFloat(x, 'f', -1, 64)
	dot := strings.IndexByte(s, '.')
	if dot < 0 || len(s)-dot-1 != digits+1 || s[len(s)-1] != '5' {
		return false
	}
	// The shortest form only rounds to x; the tie is real only if it is x.
	r, ok := new(big.Rat).SetString(s)
	return ok && r.Cmp(new(big.Rat).SetFloat64(x)) == 0
}
