package fakekit

// Lookup returns a copy of the value m holds for k, if any: what a fake's
// getters (User, Topic, Question...) answer. The caller holds the lock that
// guards m.
func Lookup[K comparable, V any](m map[K]*V, k K) (V, bool) {
	p, ok := m[k]
	if !ok {
		var zero V
		return zero, false
	}
	return *p, true
}
