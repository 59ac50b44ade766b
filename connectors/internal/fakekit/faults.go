package fakekit

import (
	"context"
	"sync"
	"time"
)

// Faults holds the pending faults a test injected: failures, malformed
// and truncated bodies, and a delay. Its zero value has none pending; it is
// safe for concurrent use. A fake's knobs (FailNext, MalformedNext,
// TruncateNext, SlowNext) set them; its handler takes them with Delay,
// Fail, Malformed and Truncate, each of which consumes what it reports, and
// answers with the fake's own status codes and bodies.
type Faults struct {
	mu         sync.Mutex
	failStatus int
	failN      int
	malformedN int
	truncateN  int
	slow       time.Duration
}

// FailNext makes the next n calls of Fail report status.
func (f *Faults) FailNext(status, n int) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.failStatus, f.failN = status, n
}

// MalformedNext makes the next n calls of Malformed report true.
func (f *Faults) MalformedNext(n int) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.malformedN = n
}

// TruncateNext makes the next n calls of Truncate report true.
func (f *Faults) TruncateNext(n int) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.truncateN = n
}

// SlowNext makes the next call of Delay wait d.
func (f *Faults) SlowNext(d time.Duration) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.slow = d
}

// Clear drops every pending fault.
func (f *Faults) Clear() {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.failN, f.malformedN, f.truncateN, f.slow = 0, 0, 0, 0
}

// Delay takes a pending SlowNext and waits it out, or until ctx is done.
func (f *Faults) Delay(ctx context.Context) {
	f.mu.Lock()
	d := f.slow
	f.slow = 0
	f.mu.Unlock()
	if d <= 0 {
		return
	}
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-t.C:
	case <-ctx.Done():
	}
}

// Fail takes one pending FailNext: ok reports whether the request must
// fail, with status.
func (f *Faults) Fail() (status int, ok bool) {
	f.mu.Lock()
	defer f.mu.Unlock()
	if f.failN <= 0 {
		return 0, false
	}
	f.failN--
	return f.failStatus, true
}

// Malformed takes one pending MalformedNext and reports whether there was
// one: the response must carry an invalid body.
func (f *Faults) Malformed() bool { return f.take(&f.malformedN) }

// Truncate takes one pending TruncateNext and reports whether there was
// one: the response must carry only part of its body (see Truncated).
func (f *Faults) Truncate() bool { return f.take(&f.truncateN) }

func (f *Faults) take(n *int) bool {
	f.mu.Lock()
	defer f.mu.Unlock()
	if *n <= 0 {
		return false
	}
	*n--
	return true
}

// Spoil applies a pending MalformedNext or else TruncateNext to a
// successful (200) response, taking it; other statuses are left alone and
// take nothing. It returns the body to write and the Content-Length to
// announce: malformed and its length, or the first half of body (see
// Truncated) with the full length, like a dropped connection.
func (f *Faults) Spoil(status int, body, malformed []byte) (out []byte, contentLength int) {
	switch {
	case status != 200:
	case f.Malformed():
		return malformed, len(malformed)
	case f.Truncate():
		return Truncated(body), len(body)
	}
	return body, len(body)
}

// Truncated returns the first half of body, what a truncated response
// carries.
func Truncated(body []byte) []byte { return body[:len(body)/2] }
