package daemon

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"math/rand/v2"
	"slices"
	"sort"
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
	// Fingerprint identifies the source's configuration: a reload restarts
	// a source whose fingerprint changed and leaves the others alone.
	Fingerprint string
}

// Summary is what one pass of a source did.
type Summary struct {
	Source        string `json:"source"`
	NewActivities int    `json:"new_activities"`
	NewAccounts   int    `json:"new_accounts"`
	Requests      int    `json:"requests"`
	NotModified   int    `json:"not_modified"`
	Pages         int    `json:"pages"`
	// KnownMissing counts lookups not repeated because their object answered
	// 404 or 410 before (within the expiry).
	KnownMissing int `json:"known_missing"`
	// Skipped counts items the connector left out (logged with their ids).
	Skipped  int           `json:"skipped"`
	Batches  int           `json:"batches"`
	Duration time.Duration `json:"duration"`
	Err      error         `json:"-"`
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
	// Metrics receives the daemon's series; nil means none are kept.
	Metrics *Metrics
	// Tick is how often the supervisor proves it is alive (the watchdog
	// reads it); 0 means one second.
	Tick time.Duration
	// OnCycle is called after every pass of every source (for STATUS=).
	OnCycle func()
	// ResolveEvery is how often, at most, the resolver runs during a long
	// pass (it always runs at the end of one); 0 means 30 seconds.
	ResolveEvery time.Duration
	// OnResolve, when set, is told how long each resolver run took
	// (`rollcall bench` adds them up).
	OnResolve func(took time.Duration)
	// ResolveTimeout bounds one resolver run at first; 0 means 30
	// seconds. A run cut off by it keeps what it committed, and every
	// later run of this process gets twice the time (up to
	// maxResolveTimeout): so a run that needs longer (the first full run
	// of a large store, a backfill's large increments on a slow machine)
	// still completes, instead of starting over at the same length
	// forever. The time does not shrink back after a run that finishes:
	// the runs of several sources alternate, and a small one finishing
	// between two large ones would give the next large one the short time
	// again (as `rollcall bench` at 1,000,000 activities showed).
	ResolveTimeout time.Duration
	// CommitTimeout bounds one batch's commit (Store.Apply), which goes on
	// through shutdown; 0 means 30 seconds. A commit waits for the store's
	// other writers (SQLite has one at a time: another source's batch, a
	// resolver run), and a batch into a large store takes seconds of its
	// own, so the bound is for a store that hangs, not for a busy one. At
	// shutdown the unit's TimeoutStopSec (15 s) may cut it shorter: a
	// commit cut off commits nothing, and the batch is fetched again.
	CommitTimeout time.Duration
	// Leases, when set, shares the sources with other replicas of the
	// daemon on the same store: Run fetches a source only while this
	// replica holds its lease, and fences each of its batches with it; the
	// resolver runs under a lease too (see LeaseTTL). nil: every source
	// is this daemon's.
	Leases Leaser
	// Holder names this replica in the leases; "" means NewHolder().
	Holder string
	// LeaseTTL is how long a source's lease lasts without renewal; 0
	// means LeaseTTL(the source's interval).
	LeaseTTL time.Duration
}

// Daemon runs sources.
type Daemon struct {
	opts    Options
	log     *slog.Logger
	resolve sync.Mutex // one resolver run at a time
	// resolveBudget is the next resolver run's time (under resolve).
	resolveBudget time.Duration

	mu        sync.Mutex
	state     map[string]*SourceState
	sources   []Source // current configuration, in order
	running   map[string]*runningSource
	lastTick  time.Time // the supervisor's last proof of life
	reloads   chan reloadRequest
	tickHook  func() // tests block the supervisor with it
	jobs      map[string]*JobState
	exclusive map[string]bool // Exclusive's jobs running here
	started   time.Time       // when New ran
	deadHere  func(holder string) bool
}

type runningSource struct {
	src    Source
	cancel context.CancelFunc
	done   chan struct{}
}

type reloadRequest struct {
	sources []Source
	result  chan ReloadResult
}

// ReloadResult says what a reload changed.
type ReloadResult struct {
	Started, Stopped, Restarted, Unchanged []string
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

	// Type is the connector kind ("github").
	Type string
	// Running is set while a pass is under way.
	Running bool
	// NextRun is when the next pass starts (zero while one runs, or when
	// the source is not polled on an interval).
	NextRun time.Time
	// Rate is the rate-limit budget as the service last reported it;
	// RateKnown is false when the connector reports none.
	Rate      connectors.RateState
	RateKnown bool
	// Activities and Accounts count what the source committed since the
	// daemon started.
	Activities, Accounts int
	// LeaseHolder and LeaseExpires are the source's lease as this replica
	// last saw it (with Options.Leases); LeaseHeld is set while this
	// replica holds it.
	LeaseHolder  string
	LeaseExpires time.Time
	LeaseHeld    bool
	// LeaseToken is the lease's fencing token as last seen.
	LeaseToken int64
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
	if opts.Tick <= 0 {
		opts.Tick = time.Second
	}
	if opts.CommitTimeout <= 0 {
		opts.CommitTimeout = 30 * time.Second
	}
	if opts.ResolveEvery <= 0 {
		opts.ResolveEvery = 30 * time.Second
	}
	if opts.ResolveTimeout <= 0 {
		opts.ResolveTimeout = 30 * time.Second
	}
	if opts.Leases != nil && opts.Holder == "" {
		opts.Holder = NewHolder()
	}
	d := &Daemon{opts: opts, log: opts.Logger, state: make(map[string]*SourceState),
		sources: opts.Sources, running: make(map[string]*runningSource), reloads: make(chan reloadRequest),
		started: opts.Now(), deadHere: deadHere}
	for _, s := range opts.Sources {
		d.state[s.Name] = &SourceState{Name: s.Name, Type: s.Type}
		if opts.Metrics != nil {
			opts.Metrics.initSource(s.Name)
		}
	}
	if opts.Metrics != nil {
		opts.Metrics.sourcesRunning.Set(float64(len(opts.Sources)))
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
	out := make([]SourceState, 0, len(d.sources))
	for _, s := range d.sources {
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
// summary's Err; it never stops the others. With Options.Leases, a pass
// runs under the source's lease, and a source another replica holds is
// not fetched (its summary's Err says who holds it).
func (d *Daemon) SyncOnce(ctx context.Context) []Summary {
	d.mu.Lock()
	sources := slices.Clone(d.sources)
	d.mu.Unlock()
	out := make([]Summary, len(sources))
	var wg conc.WaitGroup
	for i, s := range sources {
		wg.Go(func() {
			if d.opts.Leases == nil {
				out[i] = d.passCaught(ctx, s)
				return
			}
			out[i] = d.leasedPass(ctx, s)
		})
	}
	wg.Wait()
	return out
}

// Run polls every source on its interval until ctx ends, and applies
// reloads. It returns nil on a clean shutdown, after every source loop has
// stopped (a batch in flight is committed first).
func (d *Daemon) Run(ctx context.Context) error {
	var wg conc.WaitGroup
	d.mu.Lock()
	for _, s := range d.sources {
		d.startLocked(ctx, &wg, s)
	}
	d.lastTick = d.opts.Now()
	d.mu.Unlock()
	t := time.NewTicker(d.opts.Tick)
	defer t.Stop()
	for {
		select {
		case <-ctx.Done():
			d.mu.Lock()
			for _, r := range d.running {
				r.cancel()
			}
			d.mu.Unlock()
			wg.Wait()
			return nil
		case req := <-d.reloads:
			req.result <- d.apply(ctx, &wg, req.sources)
		case <-t.C:
			if d.tickHook != nil {
				d.tickHook()
			}
			d.mu.Lock()
			d.lastTick = d.opts.Now()
			d.mu.Unlock()
		}
	}
}

// startLocked starts a source loop; d.mu is held.
func (d *Daemon) startLocked(ctx context.Context, wg *conc.WaitGroup, s Source) {
	sctx, cancel := context.WithCancel(ctx)
	r := &runningSource{src: s, cancel: cancel, done: make(chan struct{})}
	d.running[s.Name] = r
	if _, ok := d.state[s.Name]; !ok {
		d.state[s.Name] = &SourceState{Name: s.Name, Type: s.Type}
	}
	if d.opts.Metrics != nil {
		d.opts.Metrics.initSource(s.Name)
	}
	wg.Go(func() {
		defer close(r.done)
		if d.opts.Leases != nil {
			d.leasedLoop(sctx, s)
			return
		}
		d.loop(sctx, s)
	})
}

// Reload replaces the configured sources: new ones start, removed ones stop,
// changed ones (by Fingerprint) restart, and the others keep running
// untouched. It waits until stopped sources have stopped. It must be called
// while Run is running.
func (d *Daemon) Reload(ctx context.Context, sources []Source) (ReloadResult, error) {
	req := reloadRequest{sources: sources, result: make(chan ReloadResult, 1)}
	select {
	case d.reloads <- req:
	case <-ctx.Done():
		return ReloadResult{}, ctx.Err()
	}
	select {
	case r := <-req.result:
		return r, nil
	case <-ctx.Done():
		return ReloadResult{}, ctx.Err()
	}
}

// apply performs a reload inside the supervisor.
func (d *Daemon) apply(ctx context.Context, wg *conc.WaitGroup, sources []Source) ReloadResult {
	var res ReloadResult
	next := make(map[string]Source, len(sources))
	for _, s := range sources {
		next[s.Name] = s
	}
	d.mu.Lock()
	var stopping []*runningSource
	for name, r := range d.running {
		s, keep := next[name]
		switch {
		case !keep:
			res.Stopped = append(res.Stopped, name)
			stopping = append(stopping, r)
			delete(d.running, name)
			delete(d.state, name)
			if d.opts.Metrics != nil {
				d.opts.Metrics.forgetSource(name)
			}
		case s.Fingerprint != r.src.Fingerprint || s.Type != r.src.Type:
			res.Restarted = append(res.Restarted, name)
			stopping = append(stopping, r)
			delete(d.running, name)
		default:
			res.Unchanged = append(res.Unchanged, name)
			next[name] = r.src // keep the running connector
		}
	}
	d.mu.Unlock()
	// Stop outside the lock: a stopping source commits its batch in flight.
	for _, r := range stopping {
		r.cancel()
		<-r.done
	}
	d.mu.Lock()
	kept := make([]Source, 0, len(sources))
	for _, s := range sources {
		s = next[s.Name]
		kept = append(kept, s)
		if _, ok := d.running[s.Name]; !ok {
			if !slices.Contains(res.Restarted, s.Name) {
				res.Started = append(res.Started, s.Name)
			}
			d.startLocked(ctx, wg, s)
		}
	}
	d.sources = kept
	d.mu.Unlock()
	if d.opts.Metrics != nil {
		d.opts.Metrics.sourcesRunning.Set(float64(len(kept)))
	}
	for _, l := range [][]string{res.Started, res.Stopped, res.Restarted, res.Unchanged} {
		sort.Strings(l)
	}
	d.log.Info("configuration reloaded", "started", res.Started, "stopped", res.Stopped, "restarted", res.Restarted, "unchanged", len(res.Unchanged))
	return res
}

// remoteStore is implemented by stores kept on a database server of their
// own (PostgreSQL), as opposed to one embedded in this process (SQLite).
type remoteStore interface {
	Remote() bool
}

// Alive reports whether the daemon itself works: the supervisor ticked
// recently and, for an embedded store (SQLite, whose file and lock live in
// our process), the store answers a ping within two seconds. It never
// looks at external services, so an outage elsewhere cannot make systemd
// restart us; a store on a database server of its own (one whose Remote
// method reports true, as PostgreSQL's does) counts as elsewhere: while it
// is away the sources retry with backoff and /readyz reports not ready,
// and restarting the daemon would not bring the server back.
func (d *Daemon) Alive(ctx context.Context) bool {
	d.mu.Lock()
	last := d.lastTick
	d.mu.Unlock()
	if last.IsZero() || d.opts.Now().Sub(last) > 3*d.opts.Tick+time.Second {
		return false
	}
	if r, ok := d.opts.Store.(remoteStore); ok && r.Remote() {
		return true
	}
	pctx, cancel := context.WithTimeout(ctx, 2*time.Second)
	defer cancel()
	return d.opts.Store.Ping(pctx) == nil
}

// Ready reports whether every source has completed at least one pass, is
// waiting on a known rate limit, or is fetched by another replica that
// holds its lease.
func (d *Daemon) Ready() (bool, string) {
	now := d.opts.Now()
	for _, st := range d.States() {
		byOther := d.opts.Leases != nil && !st.LeaseHeld && st.LeaseHolder != "" && now.Before(st.LeaseExpires)
		if st.Passes == 0 && st.PausedUntil.IsZero() && !byOther {
			return false, fmt.Sprintf("source %s has not run yet", st.Name)
		}
	}
	return true, ""
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
		d.update(s.Name, func(st *SourceState) { st.LastTick, st.NextRun = d.opts.Now(), d.opts.Now().Add(wait) })
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
	d.update(s.Name, func(st *SourceState) { st.Running, st.NextRun, st.Type = true, time.Time{}, s.Type })
	r := panics.Try(func() { sum = d.pass(ctx, s) })
	if r != nil {
		d.log.Error("source panicked", "source", s.Name, "panic", r.Value, "stack", string(r.Stack))
		sum.Source = s.Name
		sum.Err = fmt.Errorf("%s: panic: %v", s.Name, r.Value)
	}
	d.update(s.Name, func(st *SourceState) {
		st.LastTick = d.opts.Now()
		st.Running = false
		st.Passes++
		if sum.Err != nil {
			st.LastError = sum.Err.Error()
		} else {
			st.LastError = ""
			st.LastSuccess = d.opts.Now()
		}
	})
	if m := d.opts.Metrics; m != nil {
		if sum.Err != nil {
			m.errors.WithLabelValues(s.Name, errorKind(sum.Err)).Inc()
		} else {
			m.lastSuccess.WithLabelValues(s.Name).Set(float64(d.opts.Now().Unix()))
		}
	}
	if d.opts.Reporter != nil {
		d.opts.Reporter.Finished(s.Name, sum)
	}
	if d.opts.OnCycle != nil {
		d.opts.OnCycle()
	}
	return sum
}

// errorKind labels an error for metrics.
func errorKind(err error) string {
	switch {
	case errors.As(err, new(*connectors.ErrUnauthorized)):
		return "unauthorized"
	case errors.As(err, new(*connectors.ErrMalformed)):
		return "malformed"
	case errors.As(err, new(*connectors.ErrRateLimited)):
		return "rate_limited"
	case errors.Is(err, context.Canceled):
		return "canceled"
	default:
		return "other"
	}
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
	lastResolve := d.opts.Now()
	defer func() {
		// A pass cut short by an error still resolves what it committed
		// (after a shutdown, the next start does).
		if sum.Err != nil && sum.Batches > 0 && ctx.Err() == nil {
			if err := d.resolveNew(ctx); err != nil {
				log.Error("resolve identities", "err", err)
			}
		}
	}()
	for {
		if ctx.Err() != nil {
			sum.Err = ctx.Err()
			return sum
		}
		fetchStart := d.opts.Now()
		b, err := s.Connector.Fetch(ctx, cur)
		if m := d.opts.Metrics; m != nil {
			m.fetchSeconds.WithLabelValues(s.Name).Observe(seconds(d.opts.Now().Sub(fetchStart)))
			m.observeRate(s.Name, s.Connector)
		}
		if rr, ok := s.Connector.(rateReporter); ok {
			rate := rr.RateLimit()
			d.update(s.Name, func(st *SourceState) { st.Rate, st.RateKnown = rate, rate.Limit > 0 || rate.Remaining > 0 })
		}
		sum.Requests += b.Stats.Requests
		sum.NotModified += b.Stats.NotModified
		sum.KnownMissing += b.Stats.KnownMissing
		sum.Skipped += b.Stats.Skipped
		if m := d.opts.Metrics; m != nil {
			m.knownMissing.WithLabelValues(s.Name).Add(float64(b.Stats.KnownMissing))
			m.skipped.WithLabelValues(s.Name).Add(float64(b.Stats.Skipped))
		}
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
				if m := d.opts.Metrics; m != nil {
					m.paused.WithLabelValues(s.Name).Set(1)
					m.rateReset.WithLabelValues(s.Name).Set(float64(rl.Until.Unix()))
				}
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
				if m := d.opts.Metrics; m != nil {
					m.paused.WithLabelValues(s.Name).Set(0)
				}
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
		// The batch in flight is committed even during shutdown: it is one
		// transaction, and dropping it would only redo work.
		actx, cancel := context.WithTimeout(context.WithoutCancel(ctx), d.opts.CommitTimeout)
		applyStart := d.opts.Now()
		res, err := d.opts.Store.Apply(actx, s.Name, b)
		cancel()
		if m := d.opts.Metrics; m != nil {
			m.applySeconds.Observe(seconds(d.opts.Now().Sub(applyStart)))
			if err == nil {
				m.activities.WithLabelValues(s.Name).Add(float64(res.NewActivities))
				m.accounts.WithLabelValues(s.Name).Add(float64(res.NewAccounts))
			}
		}
		if err != nil {
			sum.Err = fmt.Errorf("%s: commit batch: %w", s.Name, err)
			log.Error("commit failed", "err", err)
			return sum
		}
		d.update(s.Name, func(st *SourceState) {
			st.Activities += res.NewActivities
			st.Accounts += res.NewAccounts
		})
		sum.Batches++
		sum.Pages += b.Stats.Pages
		sum.NewActivities += res.NewActivities
		sum.NewAccounts += res.NewAccounts
		// Resolve at the end of a pass, and during a long one at most
		// every ResolveEvery: new identities are safe in the store
		// meanwhile, only not yet in a member.
		if b.Done || d.opts.Now().Sub(lastResolve) >= d.opts.ResolveEvery {
			if err := d.resolveNew(ctx); err != nil {
				// Unassigned identities stay for the next run; data is safe.
				log.Error("resolve identities", "err", err)
			}
			lastResolve = d.opts.Now()
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

// suggestionLister is implemented by stores that keep merge suggestions.
type suggestionLister interface {
	SuggestionPage(ctx context.Context, status string, offset, limit int) ([]crm.Suggestion, int, error)
}

// resolveNew runs the resolver over new identities, one run at a time, and
// with leases one replica at a time.
func (d *Daemon) resolveNew(ctx context.Context) error {
	d.resolve.Lock()
	defer d.resolve.Unlock()
	budget := max(d.resolveBudget, d.opts.ResolveTimeout)
	rctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), budget)
	defer cancel()
	// A run goes on through shutdown for at most ResolveTimeout more,
	// however long its own budget (what it committed stays).
	stop := context.AfterFunc(ctx, func() { time.AfterFunc(d.opts.ResolveTimeout, cancel) })
	defer stop()
	err := d.holdResolver(rctx, func() error { return d.runResolver(rctx) })
	if err != nil && errors.Is(rctx.Err(), context.DeadlineExceeded) {
		d.resolveBudget = min(2*budget, max(maxResolveTimeout, d.opts.ResolveTimeout))
		d.log.Warn("resolver run cut off by its time limit; the next runs get more", "took", budget, "next", d.resolveBudget)
	}
	return err
}

// maxResolveTimeout is the most a resolver run's time grows to after runs
// cut off by it (see Options.ResolveTimeout).
const maxResolveTimeout = 15 * time.Minute

func (d *Daemon) runResolver(rctx context.Context) error {
	start := time.Now()
	res, err := d.opts.Resolver.Run(rctx, d.opts.Store)
	if d.opts.OnResolve != nil {
		d.opts.OnResolve(time.Since(start))
	}
	if m := d.opts.Metrics; m != nil {
		m.merges.Add(float64(res.Joined))
		m.newMembers.Add(float64(res.NewMembers))
		if sl, ok := d.opts.Store.(suggestionLister); ok {
			// Their number only: no suggestion read (a community has
			// tens of thousands open).
			if _, n, err := sl.SuggestionPage(rctx, crm.SuggestionOpen, 0, 0); err == nil {
				m.suggestions.Set(float64(n))
			}
		}
	}
	return err
}
