package daemon

import (
	"net/http"
	"strconv"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/collectors"

	"github.com/rollcall-dev/rollcall/connectors"
)

// Metrics are the daemon's Prometheus series. Every per-source series has
// the label "source".
type Metrics struct {
	Registry *prometheus.Registry

	fetchSeconds  *prometheus.HistogramVec
	lastSuccess   *prometheus.GaugeVec
	errors        *prometheus.CounterVec
	activities    *prometheus.CounterVec
	accounts      *prometheus.CounterVec
	requests      *prometheus.CounterVec
	knownMissing  *prometheus.CounterVec
	skipped       *prometheus.CounterVec
	rateRemaining *prometheus.GaugeVec
	rateReset     *prometheus.GaugeVec
	// resRemaining is the budget left per rate-limit resource (GitHub:
	// core, graphql), each paused on its own.
	resRemaining   *prometheus.GaugeVec
	paused         *prometheus.GaugeVec
	applySeconds   prometheus.Histogram
	storeSize      prometheus.GaugeFunc
	merges         prometheus.Counter
	newMembers     prometheus.Counter
	suggestions    prometheus.Gauge
	sourcesRunning prometheus.Gauge
	webhooks       *prometheus.CounterVec
	leaseHeld      *prometheus.GaugeVec
	jobLeaseHeld   *prometheus.GaugeVec
}

// NewMetrics registers the daemon's series on a new registry, with the Go
// runtime and process collectors. storeSize reports the store's size in
// bytes (nil: not exported).
func NewMetrics(storeSize func() float64) *Metrics {
	reg := prometheus.NewRegistry()
	m := &Metrics{
		Registry: reg,
		fetchSeconds: prometheus.NewHistogramVec(prometheus.HistogramOpts{
			Name: "rollcall_source_fetch_seconds", Help: "Duration of one Fetch (one batch) of a source.",
			Buckets: prometheus.ExponentialBuckets(0.01, 4, 8),
		}, []string{"source"}),
		lastSuccess: prometheus.NewGaugeVec(prometheus.GaugeOpts{
			Name: "rollcall_source_last_success_timestamp_seconds", Help: "When the source last completed a pass without error (Unix time).",
		}, []string{"source"}),
		errors: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "rollcall_source_errors_total", Help: "Passes of a source that ended in an error, by kind.",
		}, []string{"source", "kind"}),
		activities: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "rollcall_source_activities_ingested_total", Help: "New activities committed from a source.",
		}, []string{"source"}),
		accounts: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "rollcall_source_accounts_ingested_total", Help: "New accounts committed from a source.",
		}, []string{"source"}),
		requests: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "rollcall_source_requests_total", Help: "HTTP requests a source made, by response status (\"error\" when none came).",
		}, []string{"source", "code"}),
		knownMissing: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "rollcall_source_lookups_known_missing_total", Help: "Per-object lookups a source did not make because the object answered 404 or 410 before (within the expiry).",
		}, []string{"source"}),
		skipped: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "rollcall_source_items_skipped_total", Help: "Items a source left out because nothing trustworthy said what they are or who made them (logged with their ids).",
		}, []string{"source"}),
		rateRemaining: prometheus.NewGaugeVec(prometheus.GaugeOpts{
			Name: "rollcall_ratelimit_remaining", Help: "Requests left in the source's rate-limit window, as the service last said.",
		}, []string{"source"}),
		rateReset: prometheus.NewGaugeVec(prometheus.GaugeOpts{
			Name: "rollcall_ratelimit_reset_timestamp_seconds", Help: "When the source's rate-limit window resets (Unix time).",
		}, []string{"source"}),
		resRemaining: prometheus.NewGaugeVec(prometheus.GaugeOpts{
			Name: "rollcall_ratelimit_resource_remaining", Help: "Units left in each rate-limit resource of the source (GitHub's X-RateLimit-Resource: core requests, graphql points), as the service last said.",
		}, []string{"source", "resource"}),
		paused: prometheus.NewGaugeVec(prometheus.GaugeOpts{
			Name: "rollcall_source_paused", Help: "1 while the source waits for a rate limit to reset.",
		}, []string{"source"}),
		applySeconds: prometheus.NewHistogram(prometheus.HistogramOpts{
			Name: "rollcall_store_apply_seconds", Help: "Time to commit one batch (data, cursor and ETags in one transaction).",
			Buckets: prometheus.ExponentialBuckets(0.001, 4, 8),
		}),
		merges: prometheus.NewCounter(prometheus.CounterOpts{
			Name: "rollcall_resolver_merges_total", Help: "Identities the resolver attached to an existing member.",
		}),
		newMembers: prometheus.NewCounter(prometheus.CounterOpts{
			Name: "rollcall_resolver_new_members_total", Help: "Members the resolver created.",
		}),
		suggestions: prometheus.NewGauge(prometheus.GaugeOpts{
			Name: "rollcall_resolver_suggestions", Help: "Open merge suggestions awaiting a person's decision.",
		}),
		sourcesRunning: prometheus.NewGauge(prometheus.GaugeOpts{
			Name: "rollcall_sources", Help: "Configured sources.",
		}),
		webhooks: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "rollcall_webhook_deliveries_total", Help: "Webhook delivery attempts by result: delivered, retry (failed, will be retried) or failed (attempts spent).",
		}, []string{"result"}),
		leaseHeld: prometheus.NewGaugeVec(prometheus.GaugeOpts{
			Name: "rollcall_source_lease_held", Help: "1 while this replica holds the source's lease (fetches it), 0 otherwise.",
		}, []string{"source"}),
		jobLeaseHeld: prometheus.NewGaugeVec(prometheus.GaugeOpts{
			Name: "rollcall_job_lease_held", Help: "1 while this replica holds the lease of a store-wide job (@webhook: delivers the outbox; @levels: evaluates levels), 0 otherwise.",
		}, []string{"lease"}),
	}
	reg.MustRegister(m.fetchSeconds, m.lastSuccess, m.errors, m.activities, m.accounts, m.requests, m.knownMissing, m.skipped,
		m.rateRemaining, m.rateReset, m.resRemaining, m.paused, m.applySeconds, m.merges, m.newMembers, m.suggestions, m.sourcesRunning, m.webhooks,
		m.leaseHeld, m.jobLeaseHeld,
		collectors.NewGoCollector(), collectors.NewProcessCollector(collectors.ProcessCollectorOpts{}))
	if storeSize != nil {
		m.storeSize = prometheus.NewGaugeFunc(prometheus.GaugeOpts{
			Name: "rollcall_store_size_bytes", Help: "Size of the store on disk.",
		}, storeSize)
		reg.MustRegister(m.storeSize)
	}
	return m
}

// WebhookDelivery counts one webhook delivery attempt by its result
// (webhook.Options.Observe).
func (m *Metrics) WebhookDelivery(result string) {
	m.webhooks.WithLabelValues(result).Inc()
}

// initSource creates a source's series at zero so that they exist before
// its first pass.
func (m *Metrics) initSource(name string) {
	m.activities.WithLabelValues(name)
	m.accounts.WithLabelValues(name)
	m.knownMissing.WithLabelValues(name)
	m.skipped.WithLabelValues(name)
	m.paused.WithLabelValues(name).Set(0)
	m.lastSuccess.WithLabelValues(name)
	m.rateRemaining.WithLabelValues(name)
	m.rateReset.WithLabelValues(name)
	m.leaseHeld.WithLabelValues(name)
}

// forgetSource drops a removed source's series.
func (m *Metrics) forgetSource(name string) {
	for _, v := range []*prometheus.GaugeVec{m.lastSuccess, m.rateRemaining, m.rateReset, m.paused, m.leaseHeld} {
		v.DeleteLabelValues(name)
	}
	for _, v := range []*prometheus.CounterVec{m.activities, m.accounts, m.knownMissing, m.skipped} {
		v.DeleteLabelValues(name)
	}
	m.requests.DeletePartialMatch(prometheus.Labels{"source": name})
	m.resRemaining.DeletePartialMatch(prometheus.Labels{"source": name})
	m.errors.DeletePartialMatch(prometheus.Labels{"source": name})
	m.fetchSeconds.DeleteLabelValues(name)
}

// rateReporter is implemented by connectors whose shared client tracks the
// service's rate limit.
type rateReporter interface {
	RateLimit() connectors.RateState
}

// clientReporter is implemented by connectors on the shared client, whose
// budgets are kept per rate-limit resource.
type clientReporter interface {
	Client() *connectors.Client
}

func (m *Metrics) observeRate(name string, c connectors.Connector) {
	if cr, ok := c.(clientReporter); ok && cr.Client() != nil {
		for _, r := range cr.Client().Resources() {
			if r.Limit > 0 || r.Remaining > 0 {
				res := r.Resource
				if res == "" {
					res = "default" // a service that does not name its budget
				}
				m.resRemaining.WithLabelValues(name, res).Set(float64(r.Remaining))
			}
		}
	}
	rr, ok := c.(rateReporter)
	if !ok {
		return
	}
	st := rr.RateLimit()
	if st.Limit > 0 || st.Remaining > 0 {
		m.rateRemaining.WithLabelValues(name).Set(float64(st.Remaining))
	}
	if !st.Reset.IsZero() {
		m.rateReset.WithLabelValues(name).Set(float64(st.Reset.Unix()))
	}
}

// Instrument wraps a source's transport so that every request is counted by
// status.
func (m *Metrics) Instrument(source string, base http.RoundTripper) http.RoundTripper {
	if base == nil {
		base = http.DefaultTransport
	}
	return countingTransport{base: base, vec: m.requests, source: source}
}

type countingTransport struct {
	base   http.RoundTripper
	vec    *prometheus.CounterVec
	source string
}

func (t countingTransport) RoundTrip(r *http.Request) (*http.Response, error) {
	resp, err := t.base.RoundTrip(r)
	code := "error"
	if err == nil {
		code = strconv.Itoa(resp.StatusCode)
	}
	t.vec.WithLabelValues(t.source, code).Inc()
	return resp, err
}

func seconds(d time.Duration) float64 { return d.Seconds() }
