package config

import (
	"errors"
	"math"
	"slices"
	"strconv"
	"strings"
	"time"

	"go.yaml.in/yaml/v3"
)

// Scoring is the scoring section: what changes the defaults of love,
// levels, reach and the champions ranking (crm.DefaultScoring; the README
// lists them). A nil pointer or a zero value means "the default".
type Scoring struct {
	// Weights overrides the weight of the activity types it names
	// (weights: {pr_merged: 5, star: 0}).
	Weights map[string]float64
	// Decay is what an activity is worth after a month (0 < decay <= 1).
	Decay float64
	// PlatformBonus, ChannelBonus and MaxBonusChannels are the breadth
	// bonus (breadth: {platform, channel, max_channels}).
	PlatformBonus, ChannelBonus *float64
	MaxBonusChannels            int
	// Levels are the rules by level name (core, contributor,
	// participant); Grace is levels.grace.
	Levels map[string]LevelRule
	Grace  time.Duration
	// MinStrength is reach.min_strength.
	MinStrength *float64
	// HelpedPoints, ConnectsPoints, LevelFactor (by level name) and Top
	// are the champions subsection.
	HelpedPoints, ConnectsPoints *float64
	LevelFactor                  map[string]float64
	Top                          int
	// EvaluateEvery is how often the daemon brings levels up to date
	// besides after every pass (evaluate_every, default 15m).
	EvaluateEvery time.Duration
}

// LevelRule is one level's rule in the config; nil fields keep the
// default.
type LevelRule struct {
	Commitment               *float64
	Weeks4, Weeks13, Weeks52 *int
}

// DefaultEvaluateEvery is scoring.evaluate_every when the file says nothing.
const DefaultEvaluateEvery = 15 * time.Minute

// levelNames are the level names a config may set rules and factors for.
var levelNames = []string{"core", "contributor", "participant", "observer"}

// scoring decodes the scoring section.
func (p *parser) scoring(n *yaml.Node) Scoring {
	var s Scoring
	n = deref(n)
	if isNull(n) {
		return s
	}
	if n.Kind != yaml.MappingNode {
		p.addf(n.Line, "scoring", "must be a mapping, not %s", kindName(n))
		return s
	}
	for _, kv := range p.pairs(n, "scoring") {
		f := joinField("scoring", kv.key.Value)
		switch kv.key.Value {
		case "weights":
			s.Weights = map[string]float64{}
			if m := p.mapping(kv.val, f); m != nil {
				for _, w := range p.pairs(m, f) {
					if v, ok := p.number(w.val, joinField(f, w.key.Value), 0, math.Inf(1)); ok {
						s.Weights[w.key.Value] = v
					}
				}
			}
		case "decay":
			if v, ok := p.number(kv.val, f, 0, 1); ok {
				if v == 0 {
					p.addf(deref(kv.val).Line, f, "must be above 0 (1 means no decay)")
				}
				s.Decay = v
			}
		case "breadth":
			if m := p.mapping(kv.val, f); m != nil {
				for _, b := range p.pairs(m, f) {
					bf := joinField(f, b.key.Value)
					switch b.key.Value {
					case "platform":
						s.PlatformBonus = p.numberPtr(b.val, bf, 0, 10)
					case "channel":
						s.ChannelBonus = p.numberPtr(b.val, bf, 0, 10)
					case "max_channels":
						if v, ok := p.number(b.val, bf, 1, 32); ok {
							s.MaxBonusChannels = int(v)
						}
					default:
						p.add(b.key.Line, bf, errors.New("unknown field"))
					}
				}
			}
		case "levels":
			s.Levels = map[string]LevelRule{}
			if m := p.mapping(kv.val, f); m != nil {
				for _, l := range p.pairs(m, f) {
					lf := joinField(f, l.key.Value)
					switch l.key.Value {
					case "grace":
						if d, ok := p.duration(l.val, lf, 0); ok {
							s.Grace = d
						}
					case "core", "contributor", "participant":
						s.Levels[l.key.Value] = p.levelRule(l.val, lf)
					default:
						p.add(l.key.Line, lf, errors.New("unknown field (core, contributor, participant or grace)"))
					}
				}
			}
		case "reach":
			if m := p.mapping(kv.val, f); m != nil {
				for _, r := range p.pairs(m, f) {
					rf := joinField(f, r.key.Value)
					switch r.key.Value {
					case "min_strength":
						s.MinStrength = p.numberPtr(r.val, rf, 0, math.Inf(1))
					default:
						p.add(r.key.Line, rf, errors.New("unknown field"))
					}
				}
			}
		case "champions":
			if m := p.mapping(kv.val, f); m != nil {
				for _, c := range p.pairs(m, f) {
					cf := joinField(f, c.key.Value)
					switch c.key.Value {
					case "helped_points":
						s.HelpedPoints = p.numberPtr(c.val, cf, 0, math.Inf(1))
					case "connects_points":
						s.ConnectsPoints = p.numberPtr(c.val, cf, 0, math.Inf(1))
					case "top":
						if v, ok := p.number(c.val, cf, 1, 10000); ok {
							s.Top = int(v)
						}
					case "level_factor":
						s.LevelFactor = map[string]float64{}
						if lm := p.mapping(c.val, cf); lm != nil {
							for _, l := range p.pairs(lm, cf) {
								lf := joinField(cf, l.key.Value)
								if !slices.Contains(levelNames, l.key.Value) {
									p.add(l.key.Line, lf, errors.New("unknown level (core, contributor, participant or observer)"))
									continue
								}
								if v, ok := p.number(l.val, lf, 0, math.Inf(1)); ok {
									s.LevelFactor[l.key.Value] = v
								}
							}
						}
					default:
						p.add(c.key.Line, cf, errors.New("unknown field"))
					}
				}
			}
		case "evaluate_every":
			if d, ok := p.duration(kv.val, f, time.Minute); ok {
				s.EvaluateEvery = d
			}
		default:
			p.add(kv.key.Line, f, errors.New("unknown field"))
		}
	}
	return s
}

// levelRule decodes one level's rule.
func (p *parser) levelRule(n *yaml.Node, field string) LevelRule {
	var r LevelRule
	m := p.mapping(n, field)
	if m == nil {
		return r
	}
	for _, kv := range p.pairs(m, field) {
		f := joinField(field, kv.key.Value)
		weeks := func(limit float64) *int {
			if v, ok := p.number(kv.val, f, 0, limit); ok {
				if v != math.Trunc(v) {
					p.addf(deref(kv.val).Line, f, "must be a whole number of weeks")
					return nil
				}
				i := int(v)
				return &i
			}
			return nil
		}
		switch kv.key.Value {
		case "commitment":
			r.Commitment = p.numberPtr(kv.val, f, 0, math.Inf(1))
		case "weeks_4":
			r.Weeks4 = weeks(4)
		case "weeks_13":
			r.Weeks13 = weeks(13)
		case "weeks_52":
			r.Weeks52 = weeks(52)
		default:
			p.add(kv.key.Line, f, errors.New("unknown field (commitment, weeks_4, weeks_13 or weeks_52)"))
		}
	}
	return r
}

// mapping returns n as a mapping node, or nil with the error recorded.
func (p *parser) mapping(n *yaml.Node, field string) *yaml.Node {
	n = deref(n)
	if n.Kind != yaml.MappingNode {
		p.addf(n.Line, field, "must be a mapping, not %s", kindName(n))
		return nil
	}
	return n
}

// number reads a number in [lo, hi].
func (p *parser) number(n *yaml.Node, field string, lo, hi float64) (float64, bool) {
	n = deref(n)
	if n.Kind != yaml.ScalarNode || isNull(n) {
		p.addf(n.Line, field, "must be a number, not %s", kindName(n))
		return 0, false
	}
	v, err := strconv.ParseFloat(strings.TrimSpace(n.Value), 64)
	if err != nil || math.IsNaN(v) {
		p.addf(n.Line, field, "must be a number, not %s", show(n))
		return 0, false
	}
	if v < lo || v > hi {
		if math.IsInf(hi, 1) {
			p.addf(n.Line, field, "must be at least %s, not %s", strconv.FormatFloat(lo, 'g', -1, 64), show(n))
		} else {
			p.addf(n.Line, field, "must be between %s and %s, not %s", strconv.FormatFloat(lo, 'g', -1, 64), strconv.FormatFloat(hi, 'g', -1, 64), show(n))
		}
		return 0, false
	}
	return v, true
}

func (p *parser) numberPtr(n *yaml.Node, field string, lo, hi float64) *float64 {
	if v, ok := p.number(n, field, lo, hi); ok {
		return &v
	}
	return nil
}
