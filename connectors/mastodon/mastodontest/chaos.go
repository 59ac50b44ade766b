package mastodontest

import (
	"time"

	"github.com/rollcall-dev/rollcall/connectors/internal/fakekit"
)

// WithChaos makes the fake misbehave at random, from seed: server errors,
// connection resets, truncated and malformed bodies, answers slower than
// the client's timeout, and spent budgets (429 with X-RateLimit-Remaining:
// 0 and an ISO-8601 X-RateLimit-Reset a few seconds away; Mastodon sends no
// Retry-After). Chaos() reports what the client did wrong.
func WithChaos(seed int64, opts ...fakekit.ChaosOption) Option {
	return func(s *Server) {
		s.chaos = fakekit.NewChaos(seed, opts...)
		s.chaos.OnOff(func() {
			s.faults.Clear()
		})
	}
}

// Chaos returns the fake's chaos injector; nil without WithChaos.
func (s *Server) Chaos() *fakekit.Chaos { return s.chaos }

// applyChaos arms the knobs that play fault f on the next request: the
// faults this service sends its own way (fakekit plays the generic ones).
func (s *Server) applyChaos(f fakekit.Fault) bool {
	switch f {
	case fakekit.FaultExhaust:
		s.Exhaust(s.now().Add(time.Duration(s.chaos.WaitSeconds()) * time.Second))
	default:
		return false
	}
	return true
}
