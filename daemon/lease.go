package daemon

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"os"
	"time"

	"github.com/rollcall-dev/rollcall/crm"
)

// Leaser is the store's lease table (crm.Lease), through which replicas of
// the daemon sharing one store fetch each source one at a time.
type Leaser interface {
	AcquireLease(ctx context.Context, source, holder string, ttl time.Duration) (crm.Lease, bool, error)
	RenewLease(ctx context.Context, l crm.Lease, ttl time.Duration) (crm.Lease, error)
	ReleaseLease(ctx context.Context, l crm.Lease) error
}

// NewHolder names this replica in the leases: host:pid:random, unique
// even for two processes started with the same pid on two machines.
func NewHolder() string {
	host, err := os.Hostname()
	if err != nil || host == "" {
		host = "unknown-host"
	}
	var b [4]byte
	rand.Read(b[:])
	return fmt.Sprintf("%s:%d:%s", host, os.Getpid(), hex.EncodeToString(b[:]))
}

// LeaseTTL is how long a source's lease lasts without renewal: the poll
// interval, at most a minute, at least a second. The holder renews it
// every third of that; the others try to take it every half, plus up to
// 10% of that as jitter. A dead holder's source is thus taken over within
// 1.55 × the TTL: at most 1.55 poll intervals (and 93 s) for intervals of
// a second or more.
func LeaseTTL(interval time.Duration) time.Duration {
	return min(max(interval, time.Second), time.Minute)
}

// resolverLeaseTTL is how long the resolver lease lasts: longer than one
// resolver run may take (30 s), renewed meanwhile.
const resolverLeaseTTL = 2 * time.Minute

// leasedLoop runs the source's loop only while this replica holds the
// source's lease: it tries to take the lease, and while it holds it runs
// loop with every batch fenced by the lease and a goroutine renewing it;
// a lost lease stops the loop at once, and the lease is released when ctx
// ends.
func (d *Daemon) leasedLoop(ctx context.Context, s Source) {
	ttl := d.leaseTTL(s)
	log := d.log.With("source", s.Name)
	for ctx.Err() == nil {
		l, ok, err := d.opts.Leases.AcquireLease(ctx, s.Name, d.opts.Holder, ttl)
		if err != nil {
			log.Error("take source lease", "err", err)
		}
		d.update(s.Name, func(st *SourceState) {
			st.LeaseHolder, st.LeaseExpires, st.LeaseHeld = l.Holder, l.Expires, ok
			if err == nil {
				st.LeaseToken = l.Token
			}
		})
		d.leaseGauge(s.Name, ok)
		if err != nil || !ok {
			if err := d.opts.Sleep(ctx, ttl/2+d.opts.Jitter(ttl/2)); err != nil {
				return
			}
			continue
		}
		log.Info("source lease taken", "holder", l.Holder, "token", l.Token)
		lost := d.whileHeld(ctx, l, ttl, func(ctx context.Context) { d.loop(ctx, s) })
		d.update(s.Name, func(st *SourceState) { st.LeaseHeld = false })
		d.leaseGauge(s.Name, false)
		if ctx.Err() != nil {
			rctx, rcancel := context.WithTimeout(context.WithoutCancel(ctx), 2*time.Second)
			if err := d.opts.Leases.ReleaseLease(rctx, l); err != nil {
				log.Warn("release source lease", "err", err)
			}
			rcancel()
			return
		}
		if errors.Is(lost, errLeaseRanOut) {
			log.Warn("source lease lost: it ran out while the store did not answer; taking it again once the store answers", "token", l.Token)
			continue
		}
		log.Warn("source lease lost: another replica fetches the source now", "token", l.Token)
	}
}

// leaseGauge sets rollcall_source_lease_held of a source.
func (d *Daemon) leaseGauge(source string, held bool) {
	if m := d.opts.Metrics; m != nil {
		v := 0.0
		if held {
			v = 1
		}
		m.leaseHeld.WithLabelValues(source).Set(v)
	}
}

// leasedPass runs one pass of s under its lease (taken, renewed while the
// pass runs, released after); when another replica holds the lease it
// runs nothing and says so in the summary's Err.
func (d *Daemon) leasedPass(ctx context.Context, s Source) Summary {
	ttl := d.leaseTTL(s)
	l, ok, err := d.opts.Leases.AcquireLease(ctx, s.Name, d.opts.Holder, ttl)
	switch {
	case err != nil:
		return Summary{Source: s.Name, Err: fmt.Errorf("%s: take the source's lease: %w", s.Name, err)}
	case !ok:
		return Summary{Source: s.Name, Err: fmt.Errorf("%s: another replica (%s) fetches this source, its lease runs until %s: not synced here",
			s.Name, l.Holder, l.Expires.UTC().Format(time.RFC3339))}
	}
	var sum Summary
	d.whileHeld(ctx, l, ttl, func(ctx context.Context) { sum = d.passCaught(ctx, s) })
	rctx, rcancel := context.WithTimeout(context.WithoutCancel(ctx), 2*time.Second)
	defer rcancel()
	if err := d.opts.Leases.ReleaseLease(rctx, l); err != nil {
		d.log.Warn("release source lease", "source", s.Name, "err", err)
	}
	return sum
}

// leaseTTL is the lease TTL of s: Options.LeaseTTL, else LeaseTTL(its
// interval).
func (d *Daemon) leaseTTL(s Source) time.Duration {
	if d.opts.LeaseTTL > 0 {
		return d.opts.LeaseTTL
	}
	return LeaseTTL(s.Interval)
}

// errLeaseRanOut is why a lease was lost when it expired while the store
// did not answer its renewals (no other replica took it, as far as we know).
var errLeaseRanOut = errors.New("the lease ran out while the store did not answer")

// whileHeld runs fn with a context fenced by l (crm.WithFence) while a
// goroutine renews l; the context ends when the lease is lost. It returns
// why the lease was lost (crm.ErrLeaseLost: taken; errLeaseRanOut), or nil
// when fn returned or ctx ended first.
func (d *Daemon) whileHeld(ctx context.Context, l crm.Lease, ttl time.Duration, fn func(ctx context.Context)) error {
	lctx, cancel := context.WithCancel(ctx)
	defer cancel()
	renewed := make(chan struct{})
	var lost error
	go func() {
		defer close(renewed)
		lost = d.renew(lctx, cancel, l, ttl, func(l crm.Lease, _ time.Time) {
			d.update(l.Source, func(st *SourceState) { st.LeaseExpires = l.Expires })
		})
	}()
	fn(crm.WithFence(lctx, crm.Fence{Source: l.Source, Holder: l.Holder, Token: l.Token}))
	cancel()
	<-renewed
	return lost
}

// renew keeps l alive every ttl/3 until ctx ends, telling renewed each
// renewed lease and when, on this replica's clock, its renewal was sent
// (the lease lasts ttl from a moment after that); when the lease is lost (taken by another, or expired while
// the store did not answer) it calls stop and returns why
// (crm.ErrLeaseLost, errLeaseRanOut).
func (d *Daemon) renew(ctx context.Context, stop context.CancelFunc, l crm.Lease, ttl time.Duration, renewed func(l crm.Lease, sent time.Time)) error {
	source := l.Source
	for {
		if err := d.opts.Sleep(ctx, ttl/3); err != nil {
			return nil
		}
		sent := d.opts.Now()
		nl, err := d.opts.Leases.RenewLease(ctx, l, ttl)
		switch {
		case err == nil:
			l = nl
			renewed(l, sent)
		case errors.Is(err, crm.ErrLeaseLost):
			stop()
			return crm.ErrLeaseLost
		case ctx.Err() != nil:
			return nil
		default:
			// The store did not answer: try again until the lease has
			// run out, then stop (the fence refuses writes anyway).
			d.log.Warn("renew lease", "lease", source, "err", err)
			if !d.opts.Now().Before(l.Expires) {
				stop()
				return errLeaseRanOut
			}
		}
	}
}

// holdResolver takes the resolver lease for the duration of fn, so that
// replicas never resolve at once; when another replica holds it, fn is
// skipped (that replica's run resolves every unassigned identity, ours
// included, or its next one does). A lease left by a replica of this host
// that is gone (killed while it resolved) is taken over at once, as the
// jobs' are (acquireJob): nobody else would resolve until it ran out, and
// a `sync --once` after a crash would leave its new accounts out of every
// member.
func (d *Daemon) holdResolver(ctx context.Context, fn func() error) error {
	if d.opts.Leases == nil {
		return fn()
	}
	l, ok, err := d.acquireJob(ctx, crm.ResolverLease, resolverLeaseTTL)
	if err != nil {
		return fmt.Errorf("take the resolver lease: %w", err)
	}
	if !ok {
		d.log.Debug("another replica is resolving identities", "holder", l.Holder)
		return nil
	}
	defer func() {
		rctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), 2*time.Second)
		defer cancel()
		if err := d.opts.Leases.ReleaseLease(rctx, l); err != nil {
			d.log.Warn("release the resolver lease", "err", err)
		}
	}()
	return fn()
}

// LeaseLines says, a line per source, which replica fetches it, as
// /readyz shows after its first line:
//
//	lease github: held by this replica (host:4242:1a2b3c4d) until 2026-12-03T14:30:00Z
//	lease mastodon: held by other-host:77:9f8e7d6c until 2026-12-03T14:30:10Z
//	lease discourse: not held
func (d *Daemon) LeaseLines() []string {
	now := d.opts.Now()
	var out []string
	for _, st := range d.States() {
		until := st.LeaseExpires.UTC().Format(time.RFC3339)
		switch {
		case st.LeaseHeld:
			out = append(out, fmt.Sprintf("lease %s: held by this replica (%s) until %s", st.Name, d.opts.Holder, until))
		case st.LeaseHolder != "" && now.Before(st.LeaseExpires):
			out = append(out, fmt.Sprintf("lease %s: held by %s until %s", st.Name, st.LeaseHolder, until))
		default:
			out = append(out, fmt.Sprintf("lease %s: not held", st.Name))
		}
	}
	return out
}
