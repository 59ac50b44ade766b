package daemon

import (
	"context"
	"errors"
	"fmt"
	"net"
	"net/http"
	"time"

	"github.com/prometheus/client_golang/prometheus/promhttp"
)

// Handler serves the operator endpoints: /healthz (the process is alive),
// /readyz (the store answers and every source has run once or waits on a
// known rate limit) and /metrics (Prometheus). extra, when not nil, serves
// every other path (the web UI).
func (d *Daemon) Handler(extra http.Handler) http.Handler {
	mux := http.NewServeMux()
	mux.HandleFunc("GET /healthz", func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "text/plain; charset=utf-8")
		fmt.Fprintln(w, "ok")
	})
	mux.HandleFunc("GET /readyz", func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "text/plain; charset=utf-8")
		ctx, cancel := context.WithTimeout(r.Context(), 2*time.Second)
		defer cancel()
		if err := d.opts.Store.Ping(ctx); err != nil {
			w.WriteHeader(http.StatusServiceUnavailable)
			fmt.Fprintln(w, "not ready: the store does not answer")
			return
		}
		if ok, why := d.Ready(); !ok {
			w.WriteHeader(http.StatusServiceUnavailable)
			fmt.Fprintln(w, "not ready: "+why)
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
