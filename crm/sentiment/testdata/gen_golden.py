"""Regenerates py_golden.jsonl: random texts scored by C.J. Hutto's Python
vaderSentiment, the reference for TestPolarityGolden.

    python3 gen_golden.py DIR [COUNT] > py_golden.jsonl

DIR holds vaderSentiment.py (from github.com/cjhutto/vaderSentiment,
vaderSentiment/vaderSentiment.py, with its __main__ demo removed, so that
only the standard library is needed), vader_lexicon.txt from the same
directory of that repository, and an emoji_utf8_lexicon.txt. This package
does not translate emoji, so the golden file is made with an emoji lexicon
that matches nothing (a single line "XX<TAB>none"), and the generated texts
contain no emoji from that lexicon.
"""
import json
import random
import sys

sys.path.insert(0, sys.argv[1])
from vaderSentiment import BOOSTER_DICT, NEGATE, SPECIAL_CASES, SentimentIntensityAnalyzer  # noqa: E402

analyzer = SentimentIntensityAnalyzer()
rand = random.Random(20140601)
pick = rand.choice

lex = sorted(analyzer.lexicon)
rules = sorted(set(
    ('absolutely very so really uber friggin more most kinda sorta barely hardly '
     'slightly almost kind of sort just enough least at never this so but BUT But '
     'bUt not no No NO or nor isn\'t don\'t wasnt can\'t without doubt none the shit '
     'bomb bad ass badass yeah right cut mustard kiss death hand to mouth die for '
     'bus stop beating broken heart incredible total extreme major').split()
    + [w for w in BOOSTER_DICT if ' ' not in w] + NEGATE
    + [w for k in SPECIAL_CASES for w in k.split()]))
fillers = ('it is was the a book plot day I you and or today x i l :) :D :-D '
           'D: XD <3 ok OK lol LOL caf\u00e9 \u00c9T\u00c9 \u0130LIKE L\u0130KE '
           '\u03a3\u039f\u03a3 gr8').split()
punc = ['.', '!', '?', ',', ';', ':', '-', "'", '"', '!!', '!!!', '??', '?!?',
        '(', ')', '...', '*', ':)', '#', '@']
spaces = [' ', ' ', ' ', ' ', '  ', '\t', '\n', '\u00a0', ' \u3000', '\u2009',
          '\x1c', ' \u200b', '\ufeff']


def word():
    r = rand.random()
    w = pick(lex) if r < 0.4 else pick(rules) if r < 0.8 else pick(fillers)
    c = rand.random()
    if c < 0.15:
        w = w.upper()
    elif c < 0.2:
        w = w[:1].upper() + w[1:]
    p = rand.random()
    if p < 0.15:
        w = w + pick(punc)
    elif p < 0.22:
        w = pick(punc) + w
    elif p < 0.25:
        w = pick(punc) + w + pick(punc)
    return w


for n in range(int(sys.argv[2]) if len(sys.argv) > 2 else 2000):
    k = 1 + int(rand.random() * 14)
    text = ''
    for i in range(k):
        text += (pick(spaces) if i else '') + word()
    if rand.random() < 0.3:
        text += '!' * int(rand.random() * 6)
    if rand.random() < 0.3:
        text += '?' * int(rand.random() * 6)
    if rand.random() < 0.1:
        text = pick(spaces) + text + pick(spaces)
    print(json.dumps({'text': text, 'scores': analyzer.polarity_scores(text)}))
