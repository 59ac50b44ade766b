package githubtest

import (
	"net/http"
	"time"

	"github.com/rollcall-dev/rollcall/connectors/internal/fakekit"
)

// WithChaos makes the fake misbehave at random, from seed: server errors,
// connection resets, truncated and malformed bodies, answers slower than
// the client's timeout, a spent budget (403 with X-RateLimit-Remaining: 0
// until X-RateLimit-Reset a few seconds away) and secondary limits (403
// with Retry-After), as GitHub sends them. Chaos() reports what the client
// did wrong.
//
// A spent budget holds for its rate-limit resource only: REST (core) and
// GraphQL are the chaos scopes "core" and "graphql", so a GraphQL query
// while core is spent, or the other way round, is no violation; a
// Retry-After holds for both.
func WithChaos(seed int64, opts ...fakekit.ChaosOption) Option {
	opts = append([]fakekit.ChaosOption{fakekit.WithScope(func(r *http.Request) string {
		if isGraphQLPath(r.URL.Path) {
			return "graphql"
		}
		return "core"
	})}, opts...)
	return func(s *Server) {
		s.chaos = fakekit.NewChaos(seed, opts...)
		s.chaos.OnOff(func() {
			s.faults.Clear()
			s.mu.Lock()
			s.secondaryOn = false
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
		// X-RateLimit-Reset is in whole seconds; the budget comes back then.
		s.SetRateLimit(0, s.now().Add(time.Duration(s.chaos.WaitSeconds()+1)*time.Second).Truncate(time.Second))
	case fakekit.FaultWait:
		s.SecondaryLimitNext(s.chaos.WaitSeconds())
	default:
		return false
	}
	return true
}
