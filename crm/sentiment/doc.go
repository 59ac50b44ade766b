// Package sentiment scores the sentiment of short English texts with VADER
// (Valence Aware Dictionary and sEntiment Reasoner), the rule-based model of
// Hutto & Gilbert (2014), "VADER: A Parsimonious Rule-based Model for
// Sentiment Analysis of Social Media Text", ICWSM-14.
//
// What lives here: the embedded VADER lexicon (vader_lexicon.txt), an
// Analyzer that applies VADER's rules to it (Polarity), the Scores it
// returns, and Classify, which turns a compound score into "positive",
// "neutral" or "negative" with VADER's usual ±0.05 thresholds.
//
// The scoring rules are a port of C.J. Hutto's Python vaderSentiment
// (vaderSentiment/vaderSentiment.py of github.com/cjhutto/vaderSentiment,
// the 3.3.x code, MIT licence), and for the same text they give the same
// numbers as its SentimentIntensityAnalyzer.polarity_scores: case-insensitive
// negations and "but", the "no" and "without doubt" rules, "never so/this",
// the full booster and special-case idiom lists, punctuation stripped from
// both ends of a token unless that leaves two characters or fewer, Python's
// str.isupper, str.lower and whitespace, and Python's round (half to even).
// That includes the reference's quirks: its "but" rule finds each valence
// by value, so of equal valences only the first is scaled. The tests check
// the Python output on the README sentences and on 2,000 random texts
// (testdata/py_golden.jsonl, made by testdata/gen_golden.py).
//
// One difference: vaderSentiment first replaces each emoji listed in its
// emoji_utf8_lexicon.txt by a textual description ("😁" becomes "beaming
// face with smiling eyes") and scores that; this package does not, so it
// scores emoji as the Python code does with an empty emoji lexicon (an
// emoji is then just part of a token, usually a neutral one).
//
// vader_lexicon.txt holds one "token TAB mean valence" per line: every entry
// of the Python repository's vaderSentiment/vader_lexicon.txt that the
// scorer can look up. It looks tokens up lower-cased and never with
// whitespace, so the 18 entries with capitals (such as ":D", whose
// lower-case twin ":d" is in the file) or spaces are left out; of a token
// listed twice, the later valence is kept, as in Python. The data came from
// the npm package vader-sentiment 1.1.3, with the four entries in which it
// differs from the Python file corrected from that file; LICENSE.vader,
// next to it, says exactly what came from where and carries the licence
// notices of both.
package sentiment
