package daemon

import "github.com/rollcall-dev/rollcall/web"

// SourceStatuses reports every source for the web's sources page and
// GET /api/v1/sources (it implements web.SourceLister), in configuration
// order.
func (d *Daemon) SourceStatuses() []web.SourceStatus {
	states := d.States()
	now := d.opts.Now()
	out := make([]web.SourceStatus, 0, len(states))
	for _, st := range states {
		s := web.SourceStatus{
			Name: st.Name, Type: st.Type, Running: st.Running,
			LastSync: st.LastTick, LastSuccess: st.LastSuccess, NextSync: st.NextRun,
			PausedUntil: st.PausedUntil, LastError: st.LastError,
			Activities: st.Activities, Accounts: st.Accounts, Passes: st.Passes,
		}
		if d.opts.Leases != nil && st.LeaseHolder != "" {
			s.LeaseHolder, s.LeaseHere, s.LeaseExpires = st.LeaseHolder, st.LeaseHeld, st.LeaseExpires
			s.Elsewhere = !st.LeaseHeld && now.Before(st.LeaseExpires)
		}
		if st.RateKnown {
			s.RateKnown, s.RateLimit, s.RateRemaining, s.RateReset = true, st.Rate.Limit, st.Rate.Remaining, st.Rate.Reset
		}
		if s.PausedUntil.IsZero() && st.Rate.Paused && !st.Rate.Until.IsZero() {
			s.PausedUntil = st.Rate.Until
		}
		out = append(out, s)
	}
	return out
}

var _ web.SourceLister = (*Daemon)(nil)
