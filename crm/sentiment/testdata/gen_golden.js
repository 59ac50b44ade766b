// Regenerates js_golden.jsonl: random texts scored by the npm package
// vader-sentiment 1.1.3, the reference for TestPolarityGolden.
//
//   cd /tmp && npm pack vader-sentiment@1.1.3 && tar xzf vader-sentiment-1.1.3.tgz
//   node gen_golden.js /tmp/package > js_golden.jsonl
const pkg = process.argv[2];
const S = require(pkg + '/build/vaderSentiment.bundle.js').SentimentIntensityAnalyzer;
const L = require(pkg + '/src/vader_lexicon.js').lexicon;

let seed = 20140601;
const rand = () => {
  seed = (seed + 0x6d2b79f5) | 0;
  let t = Math.imul(seed ^ (seed >>> 15), 1 | seed);
  t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t;
  return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
};
const pick = a => a[Math.floor(rand() * a.length)];

const lex = Object.keys(L);
const rules = ('absolutely very so really uber friggin more most kinda sorta ' +
  'barely hardly slightly almost kind of sort just enough least at never this ' +
  "but BUT But not no isn't don't wasnt can't nor without never none " +
  'the shit bomb bad ass yeah right cut mustard kiss death hand to mouth').split(' ');
const fillers = 'it is was the a book plot day I you and or today 💘 😁 x i'.split(' ');
const punc = ['.', '!', '?', ',', ';', ':', '-', "'", '"', '!!', '!!!', '??', '?!?', '(', ')', '...', '*'];
const spaces = [' ', ' ', ' ', ' ', '  ', '\t', '\n', '\u00a0', ' \u3000'];

const word = () => {
  const r = rand();
  let w = r < 0.4 ? pick(lex) : r < 0.8 ? pick(rules) : pick(fillers);
  const c = rand();
  if (c < 0.15) w = w.toUpperCase();
  else if (c < 0.2) w = w.charAt(0).toUpperCase() + w.slice(1);
  const p = rand();
  if (p < 0.15) w = w + pick(punc);
  else if (p < 0.22) w = pick(punc) + w;
  else if (p < 0.25) w = pick(punc) + w + pick(punc);
  return w;
};

for (let n = 0; n < 2000; n++) {
  const len = 1 + Math.floor(rand() * 14);
  let text = '';
  for (let i = 0; i < len; i++) text += (i ? pick(spaces) : '') + word();
  if (rand() < 0.3) text += '!'.repeat(Math.floor(rand() * 6));
  if (rand() < 0.3) text += '?'.repeat(Math.floor(rand() * 6));
  console.log(JSON.stringify({text, scores: S.polarity_scores(text)}));
}
