package webhook

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"math/rand/v2"
	"net/http"
	"net/url"
	"strconv"
	"time"

	"github.com/rollcall-dev/rollcall/crm"
)

// Defaults of the Options fields left zero.
const (
	DefaultTimeout     = 10 * time.Second
	DefaultMaxAttempts = 12
	DefaultPoll        = 5 * time.Second
	DefaultRetryMin    = 30 * time.Second
	DefaultRetryMax    = time.Hour
	// DefaultBatch is how many due rows one poll takes.
	DefaultBatch = 100
)

// maxRetryAfter caps a receiver's Retry-After.
const maxRetryAfter = 24 * time.Hour

// Results counted by Options.Observe.
const (
	ResultDelivered = "delivered"
	ResultRetry     = "retry"
	ResultFailed    = "failed"
)

// Options configure a Sender. URL, Secret and Outbox are required.
type Options struct {
	// URL receives the POSTs.
	URL string
	// Secret keys the signatures.
	Secret []byte
	// Outbox is the store's outbox.
	Outbox crm.Outbox
	// Timeout bounds one attempt (DefaultTimeout when 0); used only when
	// Client is nil.
	Timeout time.Duration
	// MaxAttempts is how many attempts a delivery gets before it is
	// failed (DefaultMaxAttempts when 0).
	MaxAttempts int
	// Poll is the time between two reads of the outbox (DefaultPoll).
	Poll time.Duration
	// RetryMin and RetryMax shape the backoff (see Backoff); defaults
	// DefaultRetryMin and DefaultRetryMax.
	RetryMin, RetryMax time.Duration
	// Batch is how many due rows one poll takes (DefaultBatch).
	Batch int
	// Client sends the requests; nil builds one with Timeout that follows
	// no redirect (a 3xx is a failed attempt).
	Client *http.Client
	// Now returns the current time; nil means time.Now.
	Now func() time.Time
	// After waits between polls; nil means time.After.
	After func(time.Duration) <-chan time.Time
	// Jitter returns a number in [0, 1) for the backoff's ±10%; nil means
	// math/rand/v2.Float64.
	Jitter func() float64
	// Logger gets one line per failed attempt; nil discards.
	Logger *slog.Logger
	// Version goes into the User-Agent, rollcall/VERSION.
	Version string
	// Observe, when set, is told the result of every attempt:
	// ResultDelivered, ResultRetry or ResultFailed (for metrics).
	Observe func(result string)
}

// Sender delivers the outbox to one receiver. Run it once per store.
type Sender struct {
	o Options
}

// New checks the options and applies the defaults.
func New(o Options) (*Sender, error) {
	if o.URL == "" || len(o.Secret) == 0 || o.Outbox == nil {
		return nil, errors.New("webhook: the url, the secret and the outbox are required")
	}
	if _, err := url.Parse(o.URL); err != nil {
		return nil, errors.New("webhook: invalid url") // the url may hold a token: not quoted
	}
	def := func(d *time.Duration, v time.Duration) {
		if *d <= 0 {
			*d = v
		}
	}
	def(&o.Timeout, DefaultTimeout)
	def(&o.Poll, DefaultPoll)
	def(&o.RetryMin, DefaultRetryMin)
	def(&o.RetryMax, DefaultRetryMax)
	o.RetryMax = max(o.RetryMax, o.RetryMin)
	if o.MaxAttempts <= 0 {
		o.MaxAttempts = DefaultMaxAttempts
	}
	if o.Batch <= 0 {
		o.Batch = DefaultBatch
	}
	if o.Client == nil {
		o.Client = &http.Client{
			Timeout: o.Timeout,
			// A redirect could lead the signed body to another host.
			CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse },
		}
	}
	if o.Now == nil {
		o.Now = time.Now
	}
	if o.After == nil {
		o.After = time.After
	}
	if o.Jitter == nil {
		o.Jitter = rand.Float64
	}
	if o.Logger == nil {
		o.Logger = slog.New(slog.DiscardHandler)
	}
	if o.Version == "" {
		o.Version = "dev"
	}
	return &Sender{o: o}, nil
}

// Run delivers due rows every Poll until ctx is done, then returns nil.
// Rows survive a restart in the outbox: what was not delivered is sent by
// the next Run. An attempt cut short by ctx is not recorded (it is sent
// again).
func (s *Sender) Run(ctx context.Context) error { return s.RunUntil(ctx, nil) }

// RunUntil is Run that also stops, gently, when stop is closed: the
// attempt under way finishes and is recorded, and no other starts. A
// replica handing the outbox over to another (daemon.WebhookLease) stops
// so, leaving no row that the receiver has and the outbox does not know
// of, which its successor would send a second time. ctx still cuts
// everything short. A nil stop never closes.
func (s *Sender) RunUntil(ctx context.Context, stop <-chan struct{}) error {
	s.o.Logger.Info("webhook sender started", "poll", s.o.Poll, "max_attempts", s.o.MaxAttempts)
	for {
		if _, err := s.flush(ctx, stop); err != nil && ctx.Err() == nil {
			s.o.Logger.Warn("webhook: read the outbox", "err", err)
		}
		select {
		case <-ctx.Done():
			return nil
		case <-stop:
			return nil
		case <-s.o.After(s.o.Poll):
		}
	}
}

// Flush makes one attempt at every row due now (up to Batch) and returns
// how many were delivered. An attempt cut short by ctx is not recorded.
func (s *Sender) Flush(ctx context.Context) (int, error) { return s.flush(ctx, nil) }

// flush is Flush that starts no attempt once stop is closed.
func (s *Sender) flush(ctx context.Context, stop <-chan struct{}) (int, error) {
	due, err := s.o.Outbox.DueDeliveries(ctx, s.o.Now(), s.o.Batch)
	if err != nil {
		return 0, fmt.Errorf("webhook: due deliveries: %w", err)
	}
	n := 0
	for _, d := range due {
		if ctx.Err() != nil || closed(stop) {
			break
		}
		ok, err := s.attempt(ctx, d)
		if err != nil {
			if ctx.Err() != nil {
				break
			}
			s.o.Logger.Error("webhook: record attempt", "outbox_id", d.ID, "err", err)
			continue
		}
		if ok {
			n++
		}
	}
	return n, nil
}

// closed reports whether c is closed (never for nil).
func closed(c <-chan struct{}) bool {
	select {
	case <-c:
		return true
	default:
		return false
	}
}

// attempt POSTs one row and records the outcome; ok when delivered.
func (s *Sender) attempt(ctx context.Context, d crm.Delivery) (ok bool, err error) {
	now := s.o.Now()
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, s.o.URL, bytes.NewReader(d.Body))
	if err != nil {
		return false, errors.New("webhook: build request: invalid url")
	}
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("User-Agent", "rollcall/"+s.o.Version)
	req.Header.Set(HeaderEvent, d.Event)
	req.Header.Set(HeaderDelivery, strconv.FormatInt(d.ID, 10))
	req.Header.Set(HeaderTimestamp, strconv.FormatInt(now.Unix(), 10))
	req.Header.Set(HeaderSignature, Sign(s.o.Secret, now, d.Body))

	status := 0
	var reason string
	var retryAfter time.Duration
	resp, err := s.o.Client.Do(req)
	if err != nil {
		if ctx.Err() != nil {
			return false, ctx.Err() // shutting down: not the receiver's fault
		}
		reason = describe(err)
	} else {
		io.Copy(io.Discard, io.LimitReader(resp.Body, 64<<10))
		resp.Body.Close()
		status = resp.StatusCode
		if status >= 200 && status < 300 {
			if err := s.o.Outbox.DeliveryDone(ctx, d.ID, s.o.Now()); err != nil {
				return false, err
			}
			s.observe(ResultDelivered)
			return true, nil
		}
		reason = fmt.Sprintf("status %d", status)
		if status >= 300 && status < 400 {
			reason += " (redirects are not followed)"
		}
		if status == http.StatusTooManyRequests || status == http.StatusServiceUnavailable {
			retryAfter = parseRetryAfter(resp.Header.Get("Retry-After"), now)
		}
	}
	attempt := d.Attempts + 1
	giveUp := attempt >= s.o.MaxAttempts
	var next time.Time
	if !giveUp {
		wait := Backoff(attempt, s.o.RetryMin, s.o.RetryMax, s.o.Jitter())
		if retryAfter > 0 {
			wait = retryAfter
		}
		next = now.Add(wait)
	}
	if err := s.o.Outbox.DeliveryFailed(ctx, d.ID, now, next, giveUp, reason); err != nil {
		return false, err
	}
	attrs := []any{"outbox_id", d.ID, "event", d.Event, "status", status, "attempt", attempt, "err", reason}
	if giveUp {
		s.observe(ResultFailed)
		s.o.Logger.Error("webhook delivery failed, giving up", attrs...)
	} else {
		s.observe(ResultRetry)
		s.o.Logger.Warn("webhook delivery failed, will retry", append(attrs, "next_attempt", next)...)
	}
	return false, nil
}

func (s *Sender) observe(result string) {
	if s.o.Observe != nil {
		s.o.Observe(result)
	}
}

// Backoff is the wait after the attempt-th failed attempt (1-based): lo
// doubled attempt-1 times, at most hi, then scaled by 0.9 + 0.2*r for
// r in [0, 1) (±10% jitter). With the defaults: 30s, 1m, 2m, 4m, 8m, 16m,
// 32m, then 1h.
func Backoff(attempt int, lo, hi time.Duration, r float64) time.Duration {
	d := lo
	for i := 1; i < attempt && d < hi; i++ {
		d *= 2
	}
	d = min(d, hi)
	return time.Duration(float64(d) * (0.9 + 0.2*r))
}

// parseRetryAfter reads seconds or an HTTP date; 0 when absent or invalid.
func parseRetryAfter(v string, now time.Time) time.Duration {
	if v == "" {
		return 0
	}
	var d time.Duration
	if sec, err := strconv.Atoi(v); err == nil {
		d = time.Duration(sec) * time.Second
	} else if t, err := http.ParseTime(v); err == nil {
		d = t.Sub(now)
	}
	if d <= 0 {
		return 0
	}
	return min(d, maxRetryAfter)
}

// describe is a network error without the request's URL (whose path or
// query may hold a token).
func describe(err error) string {
	var ue *url.Error
	if errors.As(err, &ue) {
		err = ue.Err
	}
	return err.Error()
}
