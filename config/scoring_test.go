package config

import (
	"strings"
	"testing"
	"time"
)

func TestParseScoring(t *testing.T) {
	const head = "store: ./x.db\nsources: []\n"
	good := head + `scoring:
  weights: {pr_merged: 5, star: 0}
  decay: 0.85
  breadth: {platform: 0.2, channel: 0.01, max_channels: 5}
  levels:
    core: {commitment: 80, weeks_4: 3}
    grace: 14d
  reach: {min_strength: 0.5}
  champions:
    helped_points: 2
    top: 50
    level_factor: {observer: 0}
  evaluate_every: 5m
`
	cfg, err := Parse("rollcall.yaml", []byte(strings.Replace(good, "14d", "336h", 1)), Env{})
	if err != nil {
		t.Fatal(err)
	}
	s := cfg.Scoring
	if s.Weights["pr_merged"] != 5 || s.Weights["star"] != 0 || len(s.Weights) != 2 || s.Decay != 0.85 ||
		*s.PlatformBonus != 0.2 || *s.ChannelBonus != 0.01 || s.MaxBonusChannels != 5 ||
		*s.Levels["core"].Commitment != 80 || *s.Levels["core"].Weeks4 != 3 || s.Levels["core"].Weeks13 != nil ||
		s.Grace != 336*time.Hour || *s.MinStrength != 0.5 || *s.HelpedPoints != 2 || s.ConnectsPoints != nil ||
		s.Top != 50 || s.LevelFactor["observer"] != 0 || len(s.LevelFactor) != 1 || s.EvaluateEvery != 5*time.Minute {
		t.Errorf("scoring = %+v", s)
	}
	if cfg, err := Parse("rollcall.yaml", []byte(head), Env{}); err != nil || cfg.Scoring.Decay != 0 || cfg.Scoring.Weights != nil {
		t.Errorf("no section: %+v, %v", cfg.Scoring, err)
	}
	for _, tt := range []struct{ body, want string }{
		{"scoring:\n  decay: 1.5\n", "rollcall.yaml:4: scoring.decay: must be between 0 and 1, not \"1.5\""},
		{"scoring:\n  decay: 0\n", "rollcall.yaml:4: scoring.decay: must be above 0 (1 means no decay)"},
		{"scoring:\n  weights: {star: lots}\n", `rollcall.yaml:4: scoring.weights.star: must be a number, not "lots"`},
		{"scoring:\n  weights: {star: -1}\n", `rollcall.yaml:4: scoring.weights.star: must be at least 0, not "-1"`},
		{"scoring:\n  levels:\n    core: {weeks_4: 5}\n", `rollcall.yaml:5: scoring.levels.core.weeks_4: must be between 0 and 4, not "5"`},
		{"scoring:\n  levels:\n    guru: {}\n", "rollcall.yaml:5: scoring.levels.guru: unknown field (core, contributor, participant or grace)"},
		{"scoring:\n  champions:\n    level_factor: {hero: 2}\n", "rollcall.yaml:5: scoring.champions.level_factor.hero: unknown level (core, contributor, participant or observer)"},
		{"scoring:\n  decay_rate: 0.9\n", "rollcall.yaml:4: scoring.decay_rate: unknown field"},
		{"scoring:\n  evaluate_every: 5s\n", "rollcall.yaml:4: scoring.evaluate_every: 5s is below the minimum of 1m"},
		{"scoring: [1]\n", "rollcall.yaml:3: scoring: must be a mapping, not a list"},
	} {
		_, err := Parse("rollcall.yaml", []byte(head+tt.body), Env{})
		if err == nil || err.Error() != tt.want {
			t.Errorf("%q: error %v, want %s", tt.body, err, tt.want)
		}
	}
}
