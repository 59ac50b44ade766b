package daemon

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net"
	"net/http"
	"slices"
	"strings"
	"time"

	"github.com/prometheus/client_golang/prometheus/promhttp"

	"github.com/rollcall-dev/rollcall/crm"
)

// Handler serves the operator endpoints: /healthz (the process is alive),
// /readyz (the store answers and every source has run once, waits on a
// known rate limit, or is fetched by another replica; plain text, or JSON
// (Readiness) with ?format=json or Accept: application/json) and /metrics
// (Prometheus). extra, when not nil, serves every other path (the web UI).
func (d *Daemon) Handler(extra http.Handler) http.Handler {
	mux := http.NewServeMux()
	mux.HandleFunc("GET /healthz", func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "text/plain; charset=utf-8")
		fmt.Fprintln(w, "ok")
	})
	mux.HandleFunc("GET /readyz", func(w http.ResponseWriter, r *http.Request) {
		ctx, cancel := context.WithTimeout(r.Context(), 2*time.Second)
		defer cancel()
		ready, why, pinged := false, "the store does not answer", false
		if err := d.opts.Store.Ping(ctx); err == nil {
			ready, why = d.Ready()
			pinged = true
		}
		if wantsJSON(r) {
			w.Header().Set("Content-Type", "application/json")
			if !ready {
				w.WriteHeader(http.StatusServiceUnavailable)
			}
			json.NewEncoder(w).Encode(d.Readiness(ctx, ready, why))
			return
		}
		w.Header().Set("Content-Type", "text/plain; charset=utf-8")
		if !ready {
			w.WriteHeader(http.StatusServiceUnavailable)
			fmt.Fprintln(w, "not ready: "+why)
			if !pinged {
				return
			}
		} else {
			fmt.Fprintln(w, "ready")
		}
		// With leases, which replica fetches each source, a line each.
		if d.opts.Leases != nil {
			for _, l := range d.LeaseLines() {
				fmt.Fprintln(w, l)
			}
		}
	})
	if d.opts.Metrics != nil {
		mux.Handle("GET /metrics", promhttp.HandlerFor(d.opts.Metrics.Registry, promhttp.HandlerOpts{}))
	}
	if extra != nil {
		mux.Handle("/", extra)
	}
	return mux
}

// Serve serves h on ln until ctx ends, then shuts down gracefully within
// five seconds.
func Serve(ctx context.Context, ln net.Listener, h http.Handler) error {
	srv := &http.Server{Handler: h, ReadHeaderTimeout: 10 * time.Second}
	errc := make(chan error, 1)
	go func() { errc <- srv.Serve(ln) }()
	select {
	case err := <-errc:
		return fmt.Errorf("http: serve %s: %w", ln.Addr(), err)
	case <-ctx.Done():
		sctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), 5*time.Second)
		defer cancel()
		if err := srv.Shutdown(sctx); err != nil && !errors.Is(err, context.DeadlineExceeded) {
			return fmt.Errorf("http: shut down: %w", err)
		}
		return nil
	}
}

// wantsJSON reports whether a request asks for JSON: ?format=json, or an
// Accept header naming application/json.
func wantsJSON(r *http.Request) bool {
	return r.URL.Query().Get("format") == "json" || strings.Contains(r.Header.Get("Accept"), "application/json")
}

// Readiness is /readyz as JSON.
type Readiness struct {
	Ready bool `json:"ready"`
	// Reason says why not, when not ready.
	Reason string `json:"reason,omitempty"`
	// Replica is this replica's holder id (host:pid:random); "" without
	// leases.
	Replica string        `json:"replica"`
	Sources []SourceLease `json:"sources"`
	// Jobs are the store-wide jobs run under a lease (WebhookLease,
	// LevelsLease) and who holds each; empty without leases.
	Jobs []SourceLease `json:"jobs"`
}

// SourceLease is a source (or a store-wide job) as /readyz shows it: who
// holds its lease, until when.
type SourceLease struct {
	// Source is the source's name, or the job's lease name ("@webhook").
	Source string `json:"source"`
	Type   string `json:"type,omitempty"`
	// Holder is the replica holding the lease, "" when none does or
	// leases are off (a single replica runs everything).
	Holder string `json:"holder"`
	// Token is the lease's fencing token; Expires when it ends unless
	// renewed.
	Token   int64     `json:"token,omitempty"`
	Expires time.Time `json:"expires,omitzero"`
	// HeldHere is true when this replica holds the lease (or, without
	// leases, always for a source).
	HeldHere bool `json:"held_here"`
	// Passes counts this replica's passes of the source; LastSuccess is
	// when one last ended without error (sources only).
	Passes      int       `json:"passes"`
	LastSuccess time.Time `json:"last_success,omitzero"`
}

// LeaseLister lists the stored leases, held or expired, by source.
type LeaseLister interface {
	Leases(ctx context.Context) ([]crm.Lease, error)
}

// Readiness returns /readyz as JSON would show it, with ready and why as
// the caller found them.
func (d *Daemon) Readiness(ctx context.Context, ready bool, why string) Readiness {
	out := Readiness{Ready: ready, Reason: why, Replica: d.opts.Holder, Sources: d.SourceLeases(ctx), Jobs: []SourceLease{}}
	if d.opts.Leases == nil {
		return out
	}
	stored := d.storedLeases(ctx)
	now := d.opts.Now()
	seen := map[string]JobState{}
	var jobs []string
	for _, j := range d.Jobs() {
		seen[j.Name] = j
		jobs = append(jobs, j.Name)
	}
	for name := range stored {
		if _, ok := seen[name]; !ok && strings.HasPrefix(name, "@") && name != crm.ResolverLease {
			jobs = append(jobs, name)
		}
	}
	slices.Sort(jobs)
	for _, name := range jobs {
		j := seen[name]
		l := crm.Lease{Source: name, Holder: j.Holder, Token: j.Token, Expires: j.Expires}
		if sl, ok := stored[name]; ok {
			l = sl
		}
		sl := SourceLease{Source: name}
		if l.Held(now) {
			sl.Holder, sl.Token, sl.Expires = l.Holder, l.Token, l.Expires.UTC()
			sl.HeldHere = l.Holder == d.opts.Holder
		}
		out.Jobs = append(out.Jobs, sl)
	}
	return out
}

// storedLeases reads the lease table when the store lists it; nil if not.
func (d *Daemon) storedLeases(ctx context.Context) map[string]crm.Lease {
	ll, ok := d.opts.Store.(LeaseLister)
	if !ok || d.opts.Leases == nil {
		return nil
	}
	ls, err := ll.Leases(ctx)
	if err != nil {
		return nil
	}
	out := make(map[string]crm.Lease, len(ls))
	for _, l := range ls {
		out[l.Source] = l
	}
	return out
}

// SourceLeases returns every configured source with the replica holding
// its lease: from the store when it lists leases (LeaseLister), else as
// this replica last saw them. A lease that has expired shows no holder.
func (d *Daemon) SourceLeases(ctx context.Context) []SourceLease {
	states := d.States()
	stored := d.storedLeases(ctx)
	now := d.opts.Now()
	out := make([]SourceLease, 0, len(states))
	for _, st := range states {
		sl := SourceLease{Source: st.Name, Type: st.Type, Passes: st.Passes, LastSuccess: st.LastSuccess}
		switch {
		case d.opts.Leases == nil:
			sl.HeldHere = true
		default:
			l := crm.Lease{Source: st.Name, Holder: st.LeaseHolder, Token: st.LeaseToken, Expires: st.LeaseExpires}
			if sl2, ok := stored[st.Name]; ok {
				l = sl2
			}
			if l.Held(now) {
				sl.Holder, sl.Token, sl.Expires = l.Holder, l.Token, l.Expires.UTC()
				sl.HeldHere = l.Holder == d.opts.Holder
			}
		}
		out = append(out, sl)
	}
	return out
}
