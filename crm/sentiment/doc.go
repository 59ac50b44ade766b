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
// The scoring rules are a line-by-line port of the JavaScript in the npm
// package vader-sentiment 1.1.3 (vaderSentiment-js, Copyright 2018 Comcast
// Cable Communications Management, LLC, Apache License 2.0), which is itself
// a port of C.J. Hutto's Python vaderSentiment (MIT licence). Where that
// JavaScript differs from today's Python vaderSentiment, this package follows
// the JavaScript, so for the same text it gives the same numbers as
// vader-sentiment 1.1.3; the tests check that on reference sentences.
//
// vader_lexicon.txt is derived from src/vader_lexicon.js of that npm package
// (the lexicon Hutto published with vaderSentiment): one "token TAB mean
// valence" per line, keeping only the entries a lookup can reach (the scorer
// looks tokens up lower-cased and never with whitespace or as a single
// character, so the 19 entries with capitals, spaces or one character are
// left out). LICENSE.vader, next to it, carries the licence notices of the
// npm package and of Hutto's vaderSentiment.
package sentiment
