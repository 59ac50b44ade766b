package fakekit

import (
	"slices"
	"sync"
)

// Log is a fake's request log: entries of the fake's own Request type T,
// with counters by status and of requests that consumed the service's
// budget. Its zero value is empty and ready; it is safe for concurrent use.
//
// A fake should Add a request's entry before it writes the response, so
// that a client holding the response finds it logged.
type Log[T any] struct {
	mu       sync.Mutex
	entries  []T
	counted  int
	statuses map[int]int
}

// Add appends e, answered with status; counted says whether it consumed
// budget (rate limit, quota).
func (l *Log[T]) Add(e T, status int, counted bool) {
	l.mu.Lock()
	defer l.mu.Unlock()
	l.entries = append(l.entries, e)
	if l.statuses == nil {
		l.statuses = map[int]int{}
	}
	l.statuses[status]++
	if counted {
		l.counted++
	}
}

// Requests returns a copy of the log, oldest first (nil when empty).
func (l *Log[T]) Requests() []T {
	l.mu.Lock()
	defer l.mu.Unlock()
	return slices.Clone(l.entries)
}

// Count returns the number of entries since the last Reset.
func (l *Log[T]) Count() int {
	l.mu.Lock()
	defer l.mu.Unlock()
	return len(l.entries)
}

// CountStatus returns how many entries were answered with code.
func (l *Log[T]) CountStatus(code int) int {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.statuses[code]
}

// Counted returns how many entries consumed budget.
func (l *Log[T]) Counted() int {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.counted
}

// Reset empties the log and its counters.
func (l *Log[T]) Reset() {
	l.mu.Lock()
	defer l.mu.Unlock()
	l.entries = nil
	l.counted = 0
	l.statuses = nil
}
