package discoursetest

import (
	"time"

	"github.com/rollcall-dev/rollcall/connectors/internal/fakekit"
)

// WithChaos makes the fake misbehave at random, from seed: server errors,
// connection resets, truncated and malformed bodies, answers slower than
// the client's timeout, a spent admin key limiter (429 with Retry-After and
// extras.wait_seconds counting down), and single 429s that say how long to
// wait only in extras.wait_seconds or in the per-IP limiter's plain text
// (with Retry-After), as Discourse sends them. Chaos() reports what the
// client did wrong.
func WithChaos(seed int64, opts ...fakekit.ChaosOption) Option {
	return func(s *Server) {
		s.chaos = fakekit.NewChaos(seed, opts...)
		s.chaos.OnOff(func() {
			s.faults.Clear()
			s.mu.Lock()
			s.noRetryN, s.ipLimitN = 0, 0
			s.mu.Unlock()
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
	case fakekit.FaultWait:
		if n := s.chaos.WaitSeconds(); n%2 == 1 {
			s.NoRetryAfterNext(1, n)
		} else {
			s.IPLimitNext(1, n)
		}
	default:
		return false
	}
	return true
}
