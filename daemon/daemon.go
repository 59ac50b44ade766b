package daemon

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"math/rand/v2"
	"sync"
	"time"

	"github.com/sourcegraph/conc"
	"github.com/sourcegraph/conc/panics"

	"github.com/rollcall-dev/rollcall/connectors"
	"github.com/rollcall-dev/rollcall/crm"
	"github.com/rollcall-dev/rollcall/identity"
)

// Store is what the daemon needs from the CRM store: commit batches, read
// cursors, and what the resolver needs.
type Store interface {
	identity.Store
	Apply(ctx context.Context, source string, b connectors.Batch) (crm.ApplyResult, error)
	Cursor(ctx context.Context, source string) (connectors.Cursor, error)
	Ping(ctx context.Context) error
}

// Source is one configured connector instance.
type Source struct {
	Name      string
	Type      string
	Interval  time.Duration
	Connector connectors.Connector
}

// Summary is what one pass of a source did.
type Summary struct {
	Source        string        `json:"source"`
	NewActivities int           `json:"new_activities"`
	NewAccounts   int           `json:"new_accounts"`
	Requests      int           `json:"requests"`
	NotModified   int           `json:"not_modified"`
	Pages         int           `json:"pages"`
	Batches       int           `json:"batches"`
	Duration      time.Duration `json:"duration"`
	Err           error         `json:"-"`
}

// Reporter receives progress events; the command line shows them on a
// terminal. Implementations must be safe for concurrent use.
type Reporter interface {
	// Progress is called after each committed batch with the pass so far.
	Progress(source string, s Summary)
	// Waiting is called when a source waits for a rate limit to reset.
	Waiting(source string, until time.Time)
	// Finished is called when a pass ends.
	Finished(source string, s Summary)
}

// Options configure a Daemon.
type Options struct {
	Store    Store
	Resolver *identity.Resolver
	Sources  []Source
	Logger   *slog.Logger
	// Reporter may be nil.
	Reporter Reporter
	// Now returns the time; nil means time.Now.
	Now func() time.Time
	// Sleep waits for d or until ctx ends; nil means a timer. Tests replace it.
	Sleep func(ctx context.Context, d time.Duration) error
	// Jitter returns the random part added to an interval; nil means up to 10%.
	Jitter func(interval time.Duration) time.Duration
	// MaxBackoff caps the delay after repeated errors; 0 means 30 minutes.
	MaxBackoff time.Duration
}

// Daemon runs sources.
type Daemon struct {
	opts    Options
	log     *slog.Logger
	resolve sync.Mutex // one resolver run at a time

	mu    sync.Mutex
	state map[string]*SourceState
}

// SourceState is what the daemon knows about a source, for status lines,
// health checks and metrics.
type SourceState struct {
	Name        string
	LastTick    time.Time
	LastSuccess time.Time
	LastError   string
	PausedUntil time.Time
	Passes      int
}

// New returns a Daemon; it does no I/O.
func New(opts Options) *Daemon {
	if opts.Logger == nil {
		opts.Logger = slog.New(slog.DiscardHandler)
	}
	if opts.Now == nil {
		opts.Now = time.Now
	}
	if opts.Sleep == nil {
		opts.Sleep = sleep
	}
	if opts.Jitter == nil {
		opts.Jitter = func(d time.Duration) time.Duration {
			if d <= 0 {
				return 0
			}
			return rand.N(d/10 + 1)
		}
	}
	if opts.MaxBackoff == 0 {
		opts.MaxBackoff = 30 * time.Minute
	}
	if opts.Resolver == nil {
		opts.Resolver = &identity.Resolver{Logger: opts.Logger}
	}
	d := &Daemon{opts: opts, log: opts.Logger, state: make(map[string]*SourceState)}
	for _, s := range opts.Sources {
		d.state[s.Name] = &SourceState{Name: s.Name}
	}
	return d
}

func sleep(ctx context.Context, d time.Duration) error {
	if d <= 0 {
		return ctx.Err()
	}
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-ctx.Done():
		return ctx.Err()
	case <-t.C:
		return nil
	}
}

// States returns a snapshot of every source's state, in configuration order.
func (d *Daemon) States() []SourceState {
	d.mu.Lock()
	defer d.mu.Unlock()
	out := make([]SourceState, 0, len(d.opts.Sources))
	for _, s := range d.opts.Sources {
		out = append(out, *d.state[s.Name])
	}
	return out
}

func (d *Daemon) update(name string, f func(*SourceState)) {
	d.mu.Lock()
	defer d.mu.Unlock()
	st, ok := d.state[name]
	if !ok {
		st = &SourceState{Name: name}
		d.state[name] = st
	}
	f(st)
}

// SyncOnce runs one pass of every source concurrently and returns a summary
// per source, in configuration order. A source's failure is in its
// summary's Err; it never stops the others.
func (d *Daemon) SyncOnce(ctx context.Context) []Summary {
	out := make([]Summary, len(d.opts.Sources))
	var wg conc.WaitGroup
	for i, s := range d.opts.Sources {
		wg.Go(func() {
			out[i] = d.passCaught(ctx, s)
		})
	}
	wg.Wait()
	return out
}

// Run polls every source on its interval until ctx ends. It returns nil on
// a clean shutdown.
func (d *Daemon) Run(ctx context.Context) error {
	var wg conc.WaitGroup
	for _, s := range d.opts.Sources {
		wg.Go(func() { d.loop(ctx, s) })
	}
	wg.Wait()
	return nil
}

// loop runs one source until ctx ends.
func (d *Daemon) loop(ctx context.Context, s Source) {
	failures := 0
	var lastUnauthorized string
	for ctx.Err() == nil {
		sum := d.passCaught(ctx, s)
		if ctx.Err() != nil {
			return
		}
		wait := s.Interval + d.opts.Jitter(s.Interval)
		var unauth *connectors.ErrUnauthorized
		switch {
		case sum.Err == nil:
			failures = 0
			lastUnauthorized = ""
		case errors.As(sum.Err, &unauth):
			// Reported once; retried only on the normal interval.
			if lastUnauthorized != sum.Err.Error() {
				d.log.Error("source credentials refused", "source", s.Name, "err", sum.Err, "fix", "check token for source "+s.Name)
				lastUnauthorized = sum.Err.Error()
			}
		default:
			failures++
			wait = d.backoff(failures, s.Interval)
		}
		d.update(s.Name, func(st *SourceState) { st.LastTick = d.opts.Now() })
		if err := d.opts.Sleep(ctx, wait); err != nil {
			return
		}
	}
}

// backoff returns the delay after n consecutive failures: exponential from
// 30 s, capped at the interval and at MaxBackoff, with jitter.
func (d *Daemon) backoff(n int, interval time.Duration) time.Duration {
	b := 30 * time.Second
	for i := 1; i < n && b < d.opts.MaxBackoff; i++ {
		b *= 2
	}
	if b > interval {
		b = interval
	}
	if b > d.opts.MaxBackoff {
		b = d.opts.MaxBackoff
	}
	return b + d.opts.Jitter(b)
}

// passCaught runs one pass and turns a panic into an error, so that one
// source's bug never stops the others.
func (d *Daemon) passCaught(ctx context.Context, s Source) (sum Summary) {
	sum.Source = s.Name
	var r *panics.Recovered
	r = panics.Try(func() { sum = d.pass(ctx, s) })
	if r != nil {
		d.log.Error("source panicked", "source", s.Name, "panic", r.Value, "stack", string(r.Stack))
		sum.Source = s.Name
		sum.Err = fmt.Errorf("%s: panic: %v", s.Name, r.Value)
	}
	d.update(s.Name, func(st *SourceState) {
		st.LastTick = d.opts.Now()
		st.Passes++
		if sum.Err != nil {
			st.LastError = sum.Err.Error()
		} else {
			st.LastError = ""
			st.LastSuccess = d.opts.Now()
		}
	})
	if d.opts.Reporter != nil {
		d.opts.Reporter.Finished(s.Name, sum)
	}
	return sum
}

// pass fetches and commits batches until the source is caught up.
func (d *Daemon) pass(ctx context.Context, s Source) (sum Summary) {
	start := d.opts.Now()
	sum.Source = s.Name
	log := d.log.With("source", s.Name)
	defer func() { sum.Duration = d.opts.Now().Sub(start) }()

	cur, err := d.opts.Store.Cursor(ctx, s.Name)
	if err != nil {
		sum.Err = fmt.Errorf("%s: read cursor: %w", s.Name, err)
		return sum
	}
	for {
		if ctx.Err() != nil {
			sum.Err = ctx.Err()
			return sum
		}
		b, err := s.Connector.Fetch(ctx, cur)
		sum.Requests += b.Stats.Requests
		sum.NotModified += b.Stats.NotModified
		if err != nil {
			var rl *connectors.ErrRateLimited
			var bad *connectors.ErrMalformed
			switch {
			case ctx.Err() != nil:
				sum.Err = ctx.Err()
				return sum
			case errors.As(err, &rl):
				// Wait for the reset, then go on from the committed cursor.
				log.Info("rate limited: pausing source", "until", rl.Until.UTC().Format(time.RFC3339), "reason", rl.Reason)
				d.update(s.Name, func(st *SourceState) { st.PausedUntil = rl.Until })
				if d.opts.Reporter != nil {
					d.opts.Reporter.Waiting(s.Name, rl.Until)
				}
				wait := rl.Until.Sub(d.opts.Now())
				if wait < time.Second {
					wait = time.Second
				}
				if err := d.opts.Sleep(ctx, wait); err != nil {
					sum.Err = err
					return sum
				}
				d.update(s.Name, func(st *SourceState) { st.PausedUntil = time.Time{} })
				continue
			case errors.As(err, &bad):
				log.Error("malformed response skipped; the cursor stays where it was", "url", bad.URL, "status", bad.Status, "err", bad.Err)
				sum.Err = err
				return sum
			default:
				if !errors.As(err, new(*connectors.ErrUnauthorized)) {
					log.Error("fetch failed", "err", err)
				}
				sum.Err = err
				return sum
			}
		}
		// The batch in flight is committed even during shutdown: it is a
		// short local transaction, and dropping it would only redo work.
		actx, cancel := context.WithTimeout(context.WithoutCancel(ctx), 5*time.Second)
		res, err := d.opts.Store.Apply(actx, s.Name, b)
		cancel()
		if err != nil {
			sum.Err = fmt.Errorf("%s: commit batch: %w", s.Name, err)
			log.Error("commit failed", "err", err)
			return sum
		}
		sum.Batches++
		sum.Pages += b.Stats.Pages
		sum.NewActivities += res.NewActivities
		sum.NewAccounts += res.NewAccounts
		if err := d.resolveNew(ctx); err != nil {
			// Unassigned identities stay for the next run; data is safe.
			log.Error("resolve identities", "err", err)
		}
		if d.opts.Reporter != nil {
			d.opts.Reporter.Progress(s.Name, sum)
		}
		cur = b.Next
		if b.Done {
			return sum
		}
	}
}

// resolveNew runs the resolver over new identities, one run at a time.
func (d *Daemon) resolveNew(ctx context.Context) error {
	d.resolve.Lock()
	defer d.resolve.Unlock()
	rctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), 30*time.Second)
	defer cancel()
	_, err := d.opts.Resolver.Run(rctx, d.opts.Store)
	return err
}
