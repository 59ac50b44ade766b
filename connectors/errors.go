package connectors

import (
	"fmt"
	"time"
)

// ErrRateLimited reports that a source must wait until Until before its next
// request. The daemon pauses the source instead of counting it as a failure.
type ErrRateLimited struct {
	Source string
	Until  time.Time
	Reason string
	// Resource names the rate-limit resource whose budget is spent (GitHub's
	// "graphql"), when only that resource's requests wait; "" when the
	// whole source does.
	Resource string
}

func (e *ErrRateLimited) Error() string {
	return fmt.Sprintf("%s: rate limited until %s (%s)", e.Source, e.Until.UTC().Format(time.RFC3339), e.Reason)
}

// ErrMalformed reports a response that could not be decoded. The daemon logs
// it with its source and URL and retries on the next interval; the cursor is
// not advanced past it.
type ErrMalformed struct {
	Source string
	URL    string
	Status int
	Err    error
}

func (e *ErrMalformed) Error() string {
	return fmt.Sprintf("%s: malformed response from %s (status %d): %v", e.Source, e.URL, e.Status, e.Err)
}

func (e *ErrMalformed) Unwrap() error { return e.Err }

// ErrUnauthorized reports that the service refused the source's credentials
// (HTTP 401). The daemon reports it once, with the fix, and does not retry in
// a tight loop.
type ErrUnauthorized struct {
	Source string
	URL    string
}

func (e *ErrUnauthorized) Error() string {
	return fmt.Sprintf("%s: the service refused the credentials (401 from %s): check token for source %s", e.Source, e.URL, e.Source)
}

// ErrToken reports that a source's token source gave no token, so the
// request was not sent. Err never holds the token.
type ErrToken struct {
	Source string
	Err    error
}

func (e *ErrToken) Error() string { return fmt.Sprintf("%s: no token: %v", e.Source, e.Err) }

func (e *ErrToken) Unwrap() error { return e.Err }
