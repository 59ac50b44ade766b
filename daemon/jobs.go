package daemon

import (
	"context"
	"errors"
	"fmt"
	"os"
	"slices"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"syscall"
	"time"

	"github.com/rollcall-dev/rollcall/crm"
)

// Store-wide jobs. Besides the sources, two things a daemon does concern
// the whole store, and with replicas sharing one store must be done by one
// replica at a time: the level evaluation (it writes webhook events to the
// outbox; two replicas evaluating at once both find the same change and
// write its event twice, and on SQLite both replay a new member's history
// twice) and the webhook sender (two senders read the same due rows and
// both POST them). Each runs under a named lease, like ResolverLease: the
// names start with '@', which no source name has.
const (
	// LevelsLease is held by the replica evaluating levels, for one
	// evaluation (Exclusive); the rankings and the stored health reports
	// are written in the same evaluation.
	LevelsLease = "@levels"
	// WebhookLease is held by the replica delivering the outbox, for as
	// long as it does (RunExclusive).
	WebhookLease = "@webhook"
)

// JobLeaseTTL is how long the lease of a store-wide job lasts without
// renewal unless Options.LeaseTTL says otherwise: the holder renews it
// every third of that, the others try to take it every half (plus up to
// 10% jitter), so a dead holder's job is taken over within 1.55 × the TTL.
const JobLeaseTTL = 30 * time.Second

// jobDrain bounds how long a job that was told to stop (the daemon shuts
// down) may finish what it has under way, still under its lease.
const jobDrain = 15 * time.Second

// ErrLeaseHeld is returned by Exclusive when another replica holds the
// lease: fn did not run.
var ErrLeaseHeld = errors.New("another replica holds the lease")

// JobState is a store-wide job's lease as this replica last saw it.
type JobState struct {
	// Name is the lease's name (LevelsLease, WebhookLease).
	Name string
	// Holder is the replica holding the lease; Expires when it ends
	// unless renewed; Held is set while this replica holds it.
	Holder  string
	Token   int64
	Expires time.Time
	Held    bool
}

// Jobs returns the store-wide jobs this daemon ran or tried to run, by
// name.
func (d *Daemon) Jobs() []JobState {
	d.mu.Lock()
	defer d.mu.Unlock()
	out := make([]JobState, 0, len(d.jobs))
	for _, j := range d.jobs {
		out = append(out, *j)
	}
	slices.SortFunc(out, func(a, b JobState) int { return strings.Compare(a.Name, b.Name) })
	return out
}

// noteJob records what this replica saw of a job's lease.
func (d *Daemon) noteJob(name string, l crm.Lease, held bool) {
	d.mu.Lock()
	if d.jobs == nil {
		d.jobs = map[string]*JobState{}
	}
	j, ok := d.jobs[name]
	if !ok {
		j = &JobState{Name: name}
		d.jobs[name] = j
	}
	j.Holder, j.Token, j.Expires, j.Held = l.Holder, l.Token, l.Expires, held
	d.mu.Unlock()
	if m := d.opts.Metrics; m != nil {
		v := 0.0
		if held {
			v = 1
		}
		m.jobLeaseHeld.WithLabelValues(name).Set(v)
	}
}

// jobTTL is the TTL of a job's lease.
func (d *Daemon) jobTTL() time.Duration {
	if d.opts.LeaseTTL > 0 {
		return d.opts.LeaseTTL
	}
	return JobLeaseTTL
}

// Exclusive runs fn once under the lease name, so that no two replicas run
// it at once: it takes the lease, renews it while fn runs, and releases it
// after. fn's context ends when the lease is lost, or is about to run out
// unrenewed. When another replica holds the lease, or this one runs fn
// for name already, fn does not run and the error wraps ErrLeaseHeld.
// Without Options.Leases, fn runs unless this replica is running it.
func (d *Daemon) Exclusive(ctx context.Context, name string, fn func(ctx context.Context) error) error {
	// The lease tells replicas apart, not the goroutines of one: those
	// take turns here (a second one skips, as it would for another
	// replica).
	d.mu.Lock()
	if d.exclusive[name] {
		d.mu.Unlock()
		return fmt.Errorf("%s: this replica is running it: %w", name, ErrLeaseHeld)
	}
	if d.exclusive == nil {
		d.exclusive = map[string]bool{}
	}
	d.exclusive[name] = true
	d.mu.Unlock()
	defer func() {
		d.mu.Lock()
		delete(d.exclusive, name)
		d.mu.Unlock()
	}()
	if d.opts.Leases == nil {
		return fn(ctx)
	}
	ttl := d.jobTTL()
	taken := d.opts.Now()
	l, ok, err := d.acquireJob(ctx, name, ttl)
	if err != nil {
		return fmt.Errorf("take the %s lease: %w", name, err)
	}
	d.noteJob(name, l, ok)
	if !ok {
		return fmt.Errorf("%s: %s holds it until %s: %w", name, l.Holder, l.Expires.UTC().Format(time.RFC3339), ErrLeaseHeld)
	}
	var ferr error
	lost := d.holdJob(ctx, l, taken, ttl, nil, func(ctx context.Context, _ <-chan struct{}) { ferr = fn(ctx) })
	d.releaseJob(ctx, l)
	if lost != nil {
		return fmt.Errorf("%s: %w", name, lost)
	}
	return ferr
}

// RunExclusive runs fn for as long as this replica holds the lease name,
// until ctx ends: it tries to take the lease every half TTL; while it
// holds it, it renews it and runs fn. stop is closed when ctx ends, or
// when the lease comes near its end unrenewed (the store does not answer
// this replica): fn should then finish what it has under way (at most
// 15 s, or half the TTL, still under the lease) and return. fn's context
// ends when the lease is lost, or a tenth of the TTL before it runs out
// unrenewed, so that a replica cut off from the store has stopped before
// another can take over. The lease is released after. A replica that died
// without releasing is taken over within 1.55 × the TTL. Without
// Options.Leases, fn just runs.
func (d *Daemon) RunExclusive(ctx context.Context, name string, fn func(ctx context.Context, stop <-chan struct{})) {
	if d.opts.Leases == nil {
		stop := make(chan struct{})
		hctx, cancel := context.WithCancel(context.WithoutCancel(ctx))
		defer cancel()
		go func() {
			select {
			case <-ctx.Done():
				close(stop)
				d.opts.Sleep(hctx, jobDrain)
				cancel()
			case <-hctx.Done():
			}
		}()
		fn(hctx, stop)
		return
	}
	ttl := d.jobTTL()
	log := d.log.With("lease", name)
	for ctx.Err() == nil {
		taken := d.opts.Now()
		l, ok, err := d.acquireJob(ctx, name, ttl)
		if err != nil {
			if ctx.Err() != nil {
				return
			}
			log.Error("take the lease", "err", err)
		} else {
			d.noteJob(name, l, ok)
		}
		if err != nil || !ok {
			if err := d.opts.Sleep(ctx, ttl/2+d.opts.Jitter(ttl/2)); err != nil {
				return
			}
			continue
		}
		log.Info("lease taken: this replica runs the job", "holder", l.Holder, "token", l.Token)
		lost := d.holdJob(ctx, l, taken, ttl, ctx.Done(), fn)
		if lost == nil || ctx.Err() != nil {
			d.releaseJob(ctx, l)
			return
		}
		log.Warn("lease lost: this replica stops the job", "token", l.Token, "err", lost)
		d.noteJob(name, l, false)
	}
}

// LeaseBreaker is implemented by stores that can give a lease to a new
// holder before it expires (crm/sqlite): TakeOverLease takes the lease f
// names for holder, with the next token, only while it still has f's
// holder and token (else it returns the lease as it is and false).
type LeaseBreaker interface {
	TakeOverLease(ctx context.Context, f crm.Fence, holder string, ttl time.Duration) (crm.Lease, bool, error)
}

// acquireJob takes a job's lease: AcquireLease, and when another holder
// has it since before this daemon started but is a dead process of this
// host (deadHere) and the store can break leases, TakeOverLease, so that a
// replica restarted after a crash need not wait its predecessor's lease
// out before delivering the outbox. A wrong guess (containers sharing a
// hostname but not their pids) happens at most once per lease and start,
// as a lease taken after this daemon started is always waited out, and
// the wrongly robbed holder stops at its next renewal.
func (d *Daemon) acquireJob(ctx context.Context, name string, ttl time.Duration) (crm.Lease, bool, error) {
	l, ok, err := d.opts.Leases.AcquireLease(ctx, name, d.opts.Holder, ttl)
	if err != nil || ok || !l.Acquired.Before(d.started) || !d.deadHere(l.Holder) {
		return l, ok, err
	}
	lb, can := d.opts.Leases.(LeaseBreaker)
	if !can {
		return l, ok, err
	}
	d.log.Info("taking over the lease of a replica of this host that is gone", "lease", name, "dead_holder", l.Holder, "token", l.Token)
	return lb.TakeOverLease(ctx, crm.Fence{Source: name, Holder: l.Holder, Token: l.Token}, d.opts.Holder, ttl)
}

// deadHere reports whether holder (as NewHolder names them) is a process
// of this host that no longer runs. It errs on the side of alive.
func deadHere(holder string) bool {
	parts := strings.Split(holder, ":")
	if len(parts) != 3 {
		return false
	}
	host, err := os.Hostname()
	if err != nil || parts[0] != host {
		return false
	}
	pid, err := strconv.Atoi(parts[1])
	if err != nil || pid <= 0 || pid == os.Getpid() {
		return false
	}
	p, err := os.FindProcess(pid)
	if err != nil {
		return false
	}
	return errors.Is(p.Signal(syscall.Signal(0)), os.ErrProcessDone)
}

// releaseJob releases a job's lease, also after ctx ended.
func (d *Daemon) releaseJob(ctx context.Context, l crm.Lease) {
	rctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), 2*time.Second)
	defer cancel()
	if err := d.opts.Leases.ReleaseLease(rctx, l); err != nil {
		d.log.Warn("release the lease", "lease", l.Source, "err", err)
	}
	d.noteJob(l.Source, crm.Lease{Source: l.Source}, false)
}

// holdJob runs fn while a goroutine renews l, and returns why the lease
// was lost (nil if it was not). Unlike a source's lease, whose batches the
// store fences, a job has effects outside the store (a POST) that no fence
// can stop, so the job stops before its lease can run out: when the
// lease's expiry is less than the drain window (jobDrain, at most half the
// TTL) away and no renewal came, stop is closed (fn finishes what it has
// under way, and holdJob returns the lease as lost, to be taken again);
// when it is a tenth of the TTL away, fn's context is cancelled. stop is
// also closed when the given one is (the daemon shuts down). Without a
// given stop (Exclusive), fn's context ends with ctx; with one, it lives
// on for jobDrain after stop closes.
//
// The expiry the guard watches is on this replica's clock: ttl from when
// the lease was asked for (taken) or its renewal sent, which is never
// later than the store's expiry, whatever the skew between this machine's
// clock and the store's (PostgreSQL keeps leases on the database's).
func (d *Daemon) holdJob(ctx context.Context, l crm.Lease, taken time.Time, ttl time.Duration, stop <-chan struct{}, fn func(ctx context.Context, stop <-chan struct{})) error {
	base := ctx
	if stop != nil {
		base = context.WithoutCancel(ctx) // ends after the drain
	}
	hctx, cancel := context.WithCancelCause(base)
	defer cancel(nil)
	var expires atomic.Int64
	expires.Store(taken.Add(ttl).UnixNano())
	renewed := make(chan struct{})
	go func() {
		defer close(renewed)
		d.renew(hctx, func() { cancel(crm.ErrLeaseLost) }, l, ttl, func(nl crm.Lease, sent time.Time) {
			expires.Store(sent.Add(ttl).UnixNano())
			d.noteJob(nl.Source, nl, true)
		})
	}()
	stopc := make(chan struct{})
	var once sync.Once
	var runningOut atomic.Bool
	halt := func() { once.Do(func() { close(stopc) }) }
	drain := min(jobDrain, ttl/2)
	margin := ttl / 10
	guarded := make(chan struct{})
	go func() {
		defer close(guarded)
		// until returns how long until the lease's expiry, less m.
		until := func(m time.Duration) time.Duration {
			return time.Unix(0, expires.Load()).Add(-m).Sub(d.opts.Now())
		}
		for phase := drain; ; {
			wait := until(phase)
			if wait > 0 {
				if d.opts.Sleep(hctx, wait) != nil {
					return
				}
				continue
			}
			if phase == drain {
				runningOut.Store(true)
				halt()
				phase = margin
				continue
			}
			cancel(fmt.Errorf("%s: not renewed in time (it runs out at %s): %w", l.Source,
				time.Unix(0, expires.Load()).UTC().Format(time.RFC3339Nano), crm.ErrLeaseLost))
			return
		}
	}()
	if stop != nil {
		go func() {
			select {
			case <-stop:
				halt()
				if d.opts.Sleep(hctx, jobDrain) == nil {
					cancel(context.Canceled)
				}
			case <-hctx.Done():
			}
		}()
	}
	fn(hctx, stopc)
	var lost error
	switch err := context.Cause(hctx); {
	case errors.Is(err, crm.ErrLeaseLost):
		lost = err
	case stop != nil && runningOut.Load():
		lost = fmt.Errorf("%s: stopped before the lease could run out unrenewed: %w", l.Source, crm.ErrLeaseLost)
	}
	cancel(nil)
	<-renewed
	<-guarded
	return lost
}
