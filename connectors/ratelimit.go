package connectors

import (
	"net/http"
	"strconv"
	"strings"
	"time"
)

// DefaultReserve is how many requests of the rate-limit budget the shared
// client leaves unused by default. It is lowered to a tenth of the budget for
// small budgets (unauthenticated GitHub allows 60 requests an hour).
const DefaultReserve = 50

// maxShortWait is the longest Retry-After the client waits out itself before
// retrying; longer waits become an *ErrRateLimited for the daemon to schedule.
const maxShortWait = 60 * time.Second

// RateState is the rate-limit budget as last reported by the service, for
// metrics and for the daemon's status line.
type RateState struct {
	Limit     int
	Remaining int
	// Reset is when the budget refills; zero when the service never said.
	Reset time.Time
	// Paused reports that the client refuses requests until Until because
	// the budget fell to the reserve or the service said to wait.
	Paused bool
	Until  time.Time
}

// rateHeaders is what one response said about the budget.
type rateHeaders struct {
	limit, remaining int
	hasLimit, hasRem bool
	reset            time.Time
}

// parseRateHeaders reads X-RateLimit-Limit, -Remaining and -Reset. Reset is
// unix seconds (GitHub, Discourse) or an ISO-8601 time (Mastodon).
func parseRateHeaders(h http.Header) rateHeaders {
	var r rateHeaders
	if v := strings.TrimSpace(h.Get("X-RateLimit-Limit")); v != "" {
		if n, err := strconv.Atoi(v); err == nil {
			r.limit, r.hasLimit = n, true
		}
	}
	if v := strings.TrimSpace(h.Get("X-RateLimit-Remaining")); v != "" {
		if n, err := strconv.Atoi(v); err == nil {
			r.remaining, r.hasRem = n, true
		}
	}
	r.reset = parseReset(h.Get("X-RateLimit-Reset"))
	return r
}

// parseReset parses a reset time given as unix seconds or as an ISO-8601
// (RFC 3339, optionally with fractional seconds) time. It returns the zero
// time when v is empty or unreadable.
func parseReset(v string) time.Time {
	v = strings.TrimSpace(v)
	if v == "" {
		return time.Time{}
	}
	if n, err := strconv.ParseInt(v, 10, 64); err == nil {
		return time.Unix(n, 0).UTC()
	}
	if f, err := strconv.ParseFloat(v, 64); err == nil {
		return time.Unix(int64(f), 0).UTC()
	}
	for _, layout := range []string{time.RFC3339Nano, "2006-01-02T15:04:05.999999999Z0700"} {
		if t, err := time.Parse(layout, v); err == nil {
			return t.UTC()
		}
	}
	return time.Time{}
}

// parseRetryAfter reads a Retry-After header given as delay seconds or as an
// HTTP date, relative to now. ok is false when the header is absent or
// unreadable. A date in the past yields a zero wait.
func parseRetryAfter(h http.Header, now time.Time) (wait time.Duration, ok bool) {
	v := strings.TrimSpace(h.Get("Retry-After"))
	if v == "" {
		return 0, false
	}
	if n, err := strconv.Atoi(v); err == nil {
		if n < 0 {
			n = 0
		}
		return time.Duration(n) * time.Second, true
	}
	if t, err := http.ParseTime(v); err == nil {
		d := t.Sub(now)
		if d < 0 {
			d = 0
		}
		return d, true
	}
	return 0, false
}

// effectiveReserve is the number of requests kept unused for a budget of
// limit requests: the configured reserve, but at most a tenth of the budget.
func effectiveReserve(reserve, limit int) int {
	if limit > 0 && limit/10 < reserve {
		return limit / 10
	}
	return reserve
}
