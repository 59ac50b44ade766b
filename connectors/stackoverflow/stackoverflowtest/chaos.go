package stackoverflowtest

import (
	"net/http"
	"strings"

	"github.com/rollcall-dev/rollcall/connectors/internal/fakekit"
)

// WithChaos makes the fake misbehave at random, from seed: server errors,
// connection resets, truncated and malformed bodies, answers slower than
// the client's timeout, and a `backoff` of a few seconds on the method
// called, which holds for that method only, as Stack Exchange sends it.
// (The daily quota is not spent: it refills at midnight UTC.) Chaos()
// reports what the client did wrong.
func WithChaos(seed int64, opts ...fakekit.ChaosOption) Option {
	opts = append([]fakekit.ChaosOption{fakekit.WithScope(func(r *http.Request) string {
		route, _ := parseRoute(strings.TrimSuffix(r.URL.Path, "/"))
		return route
	})}, opts...)
	return func(s *Server) {
		s.chaos = fakekit.NewChaos(seed, opts...)
		s.chaos.OnOff(func() {
			s.faults.Clear()
			s.mu.Lock()
			s.backoffNext = 0
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
	case fakekit.FaultWait:
		s.mu.Lock()
		s.backoffNext = s.chaos.WaitSeconds()
		s.mu.Unlock()
	default:
		return false
	}
	return true
}
