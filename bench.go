package main

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"log/slog"
	"math"
	"net/http"
	"os"
	"path/filepath"
	"sync"
	"sync/atomic"
	"syscall"
	"text/tabwriter"
	"time"

	"golang.org/x/term"

	"github.com/rollcall-dev/rollcall/config"
	"github.com/rollcall-dev/rollcall/connectors"
	"github.com/rollcall-dev/rollcall/connectors/all"
	"github.com/rollcall-dev/rollcall/connectors/community"
	"github.com/rollcall-dev/rollcall/daemon"
	"github.com/rollcall-dev/rollcall/identity"
)

// benchNumbers are the keys `rollcall bench --format json` prints, for the
// whole run and per source (issue 14). The first thirteen are the issue's
// public interface; the ones after them are additions.
type benchNumbers struct {
	Activities             int     `json:"activities"`
	BackfillSeconds        float64 `json:"backfill_seconds"`
	ActivitiesPerSecond    float64 `json:"activities_per_second"`
	Requests               int     `json:"requests"`
	MinRequests            int     `json:"min_requests"`
	RateLimitUnits         int     `json:"rate_limit_units"`
	MinRateLimitUnits      int     `json:"min_rate_limit_units"`
	IdleRateLimitUnits     int     `json:"idle_rate_limit_units"`
	IncrementalRequests    int     `json:"incremental_requests"`
	MinIncrementalRequests int     `json:"min_incremental_requests"`
	// ResolveSeconds, PeakRSSBytes and StoreBytes belong to the whole run;
	// per source they repeat the run's values.
	ResolveSeconds float64 `json:"resolve_seconds"`
	PeakRSSBytes   int64   `json:"peak_rss_bytes"`
	StoreBytes     int64   `json:"store_bytes"`

	IdleRequests                 int  `json:"idle_requests"`
	IncrementalActivities        int  `json:"incremental_activities"`
	IncrementalRateLimitUnits    int  `json:"incremental_rate_limit_units"`
	MinIncrementalRateLimitUnits int  `json:"min_incremental_rate_limit_units"`
	ConditionalRequests          bool `json:"conditional_requests"`
}

// benchReport is the JSON document of `rollcall bench --format json`.
type benchReport struct {
	benchNumbers
	// FakesCPUShare is the CPU time spent inside the fakes' handlers
	// during the backfill (the thread's CPU clock, read around each
	// request) over the process's CPU time then. Garbage collection of
	// the fakes' data is not in it.
	FakesCPUShare float64 `json:"fakes_cpu_share"`
	// BackfillCPUSeconds is the process's CPU time (user and system)
	// during the backfill, and ActivitiesPerCPUSecond the backfill's
	// activities over it: throughput that does not depend on what else
	// the machine is running.
	BackfillCPUSeconds     float64 `json:"backfill_cpu_seconds"`
	ActivitiesPerCPUSecond float64 `json:"activities_per_cpu_second"`
	// People is the generated community's size.
	People int `json:"people"`
	// RSSAfterLoadBytes is the peak RSS once the community is generated
	// and loaded into the in-process fakes, before any sync: the part of
	// peak_rss_bytes that is the fakes' and not rollcall's.
	RSSAfterLoadBytes int64                   `json:"rss_after_load_bytes"`
	PerSource         map[string]benchNumbers `json:"per_source"`
}

// conditional tells which services answer conditional requests with a 304
// (GitHub, Mastodon): GitHub documents the 304 as free, and the Mastodon fake
// does not count it either. Discourse and Stack Exchange have none, so an
// idle re-sync costs them one unit per stream polled.
var conditional = map[string]bool{community.PlatformGitHub: true, community.PlatformMastodon: true}

func cmdBench(ctx context.Context, e *cliEnv, args []string) error {
	fs := e.newFlags("bench", "", "Measure rollcall on a generated community served by the four fakes in this\nprocess: a full backfill into a fresh store (--store PATH or postgres:// URL;\ndefault a temporary SQLite file), an idle re-sync, then an incremental\nre-sync after adding 1% new activity. Prints requests and rate-limit units\nagainst the fewest possible, throughput, resolver time, peak RSS and store size.")
	activities := fs.Int("activities", 1_000_000, "about how many `activities` the community holds")
	format := fs.String("format", "table", "output `format`: table or json")
	seed := fs.Int64("seed", 1, "generator `seed`")
	fs.BoolVar(&e.quiet, "quiet", false, "no progress line on a terminal")
	if _, err := e.parse(fs, args); err != nil {
		return err
	}
	if *activities < 1000 || *activities > 20_000_000 {
		return usageErr("--activities must be between 1000 and 20000000")
	}
	if *format != "table" && *format != "json" {
		return usageErr("--format must be table or json, not %q", *format)
	}
	if e.storePath == "" {
		dir, err := os.MkdirTemp("", "rollcall-bench-")
		if err != nil {
			return fmt.Errorf("bench: temporary store: %w", err)
		}
		defer os.RemoveAll(dir)
		e.storePath = filepath.Join(dir, "bench.db")
	} else if !isPostgresURL(e.storePath) {
		if _, err := os.Stat(e.storePath); err == nil {
			return usageErr("--store %s exists: the bench backfills a fresh store", e.storePath)
		}
	}
	prog := newBenchProgress(e.stderr, e.getenv, e.quiet)
	defer prog.stop()
	rep, err := runBench(ctx, e, *activities, *seed, prog)
	prog.stop()
	if err != nil {
		return err
	}
	if *format == "json" {
		enc := json.NewEncoder(e.stdout)
		enc.SetIndent("", "  ")
		return enc.Encode(rep)
	}
	printBench(e.stdout, rep)
	return nil
}

// benchPeople is the community size that holds about want activities,
// from the items per person of a small community of the same seed.
func benchPeople(seed int64, want int, now time.Time) int {
	const probe = 2000
	n := 0
	for _, k := range community.Generate(seed, probe, now).Items() {
		n += k
	}
	return max(10, int(math.Round(float64(want)*probe/float64(max(n, 1)))))
}

func runBench(ctx context.Context, e *cliEnv, want int, seed int64, prog *benchProgress) (*benchReport, error) {
	log, err := e.benchLogger()
	if err != nil {
		return nil, err
	}
	now := time.Now().UTC().Truncate(time.Hour)
	prog.phase("generating the community")
	people := benchPeople(seed, want, now)
	c := community.Generate(seed, people, now)
	fakes, err := community.NewFakes(c)
	if err != nil {
		return nil, fmt.Errorf("bench: %w", err)
	}
	rssLoaded := peakRSS()
	tr := &benchTransport{hosts: map[string]http.RoundTripper{
		"github.bench":        fakes.GitHub.Transport(),
		"mastodon.bench":      fakes.Mastodon.Transport(),
		"discourse.bench":     fakes.Discourse.Transport(),
		"stackoverflow.bench": fakes.StackOverflow.Transport(),
	}}
	// The fakes accept the World* secrets (NewFakes); the config must carry them.
	w := &community.World{Community: c, URLs: map[string]string{}, Credentials: community.DefaultCredentials()}
	for _, p := range community.Sources {
		w.URLs[p] = "http://" + p + ".bench"
	}
	w.URLs[community.PlatformStackOverflow] += "/2.3" // the API root, as the fake's Listen returns it
	cfg, err := config.Parse("bench.yaml", []byte(w.ConfigText(e.storePath, time.Hour)), config.Env{Getenv: func(string) (string, bool) { return "", false }})
	if err != nil {
		return nil, fmt.Errorf("bench: build config: %w", err)
	}
	st, path, err := e.openStore(ctx, cfg)
	if err != nil {
		return nil, err
	}
	defer st.Close()
	sources, err := daemon.BuildSources(cfg, all.Kinds(), connectors.Options{Logger: log, HTTP: tr, Profiles: st, Version: version}, nil)
	if err != nil {
		return nil, err
	}
	var resolving atomic.Int64
	d := daemon.New(daemon.Options{
		Store: st, Resolver: &identity.Resolver{Logger: log}, Sources: sources, Logger: log, Reporter: prog,
		OnResolve: func(took time.Duration) { resolving.Add(int64(took)) },
	})
	pass := func(name string) (map[string]daemon.Summary, map[string]community.Cost, time.Duration, error) {
		prog.phase(name)
		fakes.ResetLogs()
		start := time.Now()
		sums := d.SyncOnce(ctx)
		took := time.Since(start)
		out := map[string]daemon.Summary{}
		for _, s := range sums {
			if s.Err != nil {
				return nil, nil, 0, fmt.Errorf("bench: %s: source %s: %w", name, s.Source, s.Err)
			}
			out[s.Source] = s
		}
		return out, fakes.Spent(), took, ctx.Err()
	}

	cpu0, fake0 := cpuTime(), tr.busy.Load()
	back, backSpent, backTook, err := pass("backfill")
	if err != nil {
		return nil, err
	}
	cpu := cpuTime() - cpu0
	fakeBusy := time.Duration(tr.busy.Load() - fake0)
	resolve := time.Duration(resolving.Load())
	_, idleSpent, _, err := pass("idle re-sync")
	if err != nil {
		return nil, err
	}
	grow := map[string]int{}
	for _, p := range community.Sources {
		grow[p] = max(1, int(math.Round(float64(back[p].NewActivities)/100)))
	}
	growth, err := c.Grow(fakes, grow, time.Now())
	if err != nil {
		return nil, fmt.Errorf("bench: %w", err)
	}
	incr, incrSpent, _, err := pass("incremental re-sync")
	if err != nil {
		return nil, err
	}
	minimum := c.BackfillMinimum()

	rep := &benchReport{People: people, RSSAfterLoadBytes: rssLoaded, PerSource: map[string]benchNumbers{}}
	if cpu > 0 {
		rep.FakesCPUShare = round3(fakeBusy.Seconds() / cpu.Seconds())
	}
	rss, size := peakRSS(), storeBytes(path)
	tot := &rep.benchNumbers
	for _, p := range community.Sources {
		n := benchNumbers{
			Activities:                   back[p].NewActivities,
			BackfillSeconds:              round3(back[p].Duration.Seconds()),
			Requests:                     backSpent[p].Requests,
			MinRequests:                  minimum[p].Requests,
			RateLimitUnits:               backSpent[p].Units,
			MinRateLimitUnits:            minimum[p].Units,
			IdleRequests:                 idleSpent[p].Requests,
			IdleRateLimitUnits:           idleSpent[p].Units,
			IncrementalActivities:        incr[p].NewActivities,
			IncrementalRequests:          incrSpent[p].Requests,
			MinIncrementalRequests:       growth.Minimum[p].Requests,
			IncrementalRateLimitUnits:    incrSpent[p].Units,
			MinIncrementalRateLimitUnits: growth.Minimum[p].Units,
			ResolveSeconds:               round3(resolve.Seconds()),
			PeakRSSBytes:                 rss,
			StoreBytes:                   size,
			ConditionalRequests:          conditional[p],
		}
		if s := back[p].Duration.Seconds(); s > 0 {
			n.ActivitiesPerSecond = math.Round(float64(n.Activities) / s)
		}
		rep.PerSource[p] = n
		tot.Activities += n.Activities
		tot.Requests += n.Requests
		tot.MinRequests += n.MinRequests
		tot.RateLimitUnits += n.RateLimitUnits
		tot.MinRateLimitUnits += n.MinRateLimitUnits
		tot.IdleRequests += n.IdleRequests
		tot.IdleRateLimitUnits += n.IdleRateLimitUnits
		tot.IncrementalActivities += n.IncrementalActivities
		tot.IncrementalRequests += n.IncrementalRequests
		tot.MinIncrementalRequests += n.MinIncrementalRequests
		tot.IncrementalRateLimitUnits += n.IncrementalRateLimitUnits
		tot.MinIncrementalRateLimitUnits += n.MinIncrementalRateLimitUnits
	}
	tot.BackfillSeconds = round3(backTook.Seconds())
	if s := backTook.Seconds(); s > 0 {
		tot.ActivitiesPerSecond = math.Round(float64(tot.Activities) / s)
	}
	rep.BackfillCPUSeconds = round3(cpu.Seconds())
	if cpu > 0 {
		rep.ActivitiesPerCPUSecond = math.Round(float64(tot.Activities) / cpu.Seconds())
	}
	tot.ResolveSeconds, tot.PeakRSSBytes, tot.StoreBytes = round3(resolve.Seconds()), rss, size
	return rep, nil
}

func round3(x float64) float64 { return math.Round(x*1000) / 1000 }

// benchLogger is the process logger, at warnings unless --log-level asks
// for more: a bench's passes would otherwise log every source's progress.
func (e *cliEnv) benchLogger() (*slog.Logger, error) {
	if e.logLevel == "info" {
		e.logLevel = "warn"
	}
	return e.logger()
}

// benchTransport serves each fake's host in-process and adds up the CPU
// time spent inside the fakes.
type benchTransport struct {
	hosts map[string]http.RoundTripper
	busy  atomic.Int64 // CPU nanoseconds inside the fakes' handlers
}

func (t *benchTransport) RoundTrip(r *http.Request) (*http.Response, error) {
	rt, ok := t.hosts[r.URL.Host]
	if !ok {
		if r.Body != nil {
			r.Body.Close()
		}
		return nil, fmt.Errorf("bench: no fake serves %s", r.URL.Host)
	}
	var (
		resp *http.Response
		err  error
	)
	// The fakes answer on the caller's goroutine (their Transport calls
	// the handler), so the thread's CPU time is the fake's.
	took, _ := onThreadCPU(func() { resp, err = rt.RoundTrip(r) })
	t.busy.Add(int64(took))
	return resp, err
}

// peakRSS is the process's peak resident set size in bytes (getrusage
// ru_maxrss, which Linux reports in KiB).
func peakRSS() int64 {
	var ru syscall.Rusage
	if err := syscall.Getrusage(syscall.RUSAGE_SELF, &ru); err != nil {
		return 0
	}
	return int64(ru.Maxrss) * 1024
}

// cpuTime is the process's user plus system CPU time so far.
func cpuTime() time.Duration {
	var ru syscall.Rusage
	if err := syscall.Getrusage(syscall.RUSAGE_SELF, &ru); err != nil {
		return 0
	}
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}

// storeBytes is the size of a SQLite store's files; 0 for PostgreSQL.
func storeBytes(path string) int64 {
	if isPostgresURL(path) {
		return 0
	}
	var n int64
	for _, suffix := range []string{"", "-wal", "-shm"} {
		if fi, err := os.Stat(path + suffix); err == nil {
			n += fi.Size()
		}
	}
	return n
}

func printBench(w io.Writer, r *benchReport) {
	tw := tabwriter.NewWriter(w, 0, 0, 2, ' ', tabwriter.AlignRight)
	fmt.Fprintln(tw, "SOURCE\tACTIVITIES\tBACKFILL s\tACT/s\tREQUESTS\tMIN\tUNITS\tMIN UNITS\tIDLE UNITS\tINCR REQUESTS\tMIN INCR\tINCR UNITS\tMIN INCR UNITS\t")
	row := func(name string, n benchNumbers) {
		idle := fmt.Sprint(n.IdleRateLimitUnits)
		if name != "total" && !n.ConditionalRequests {
			idle += " (no conditional requests)"
		}
		fmt.Fprintf(tw, "%s\t%d\t%.1f\t%.0f\t%d\t%d\t%d\t%d\t%s\t%d\t%d\t%d\t%d\t\n", name, n.Activities, n.BackfillSeconds, n.ActivitiesPerSecond,
			n.Requests, n.MinRequests, n.RateLimitUnits, n.MinRateLimitUnits, idle, n.IncrementalRequests, n.MinIncrementalRequests,
			n.IncrementalRateLimitUnits, n.MinIncrementalRateLimitUnits)
	}
	for _, p := range community.Sources {
		row(p, r.PerSource[p])
	}
	row("total", r.benchNumbers)
	tw.Flush()
	ratio := func(a, b int) string {
		if b == 0 {
			return "-"
		}
		return fmt.Sprintf("%.2f×", float64(a)/float64(b))
	}
	fmt.Fprintf(w, "\n%d people; backfill requests %s the minimum, units %s; incremental requests %s\n", r.People,
		ratio(r.Requests, r.MinRequests), ratio(r.RateLimitUnits, r.MinRateLimitUnits), ratio(r.IncrementalRequests, r.MinIncrementalRequests))
	fmt.Fprintf(w, "backfill CPU %.1f s (%.0f activities per CPU second)\n", r.BackfillCPUSeconds, r.ActivitiesPerCPUSecond)
	fmt.Fprintf(w, "resolver %.1f s; peak RSS %.0f MiB (%.0f MiB once the fakes were loaded); store %.0f MiB; fakes' share of CPU %.0f%%\n",
		r.ResolveSeconds, mib(r.PeakRSSBytes), mib(r.RSSAfterLoadBytes), mib(r.StoreBytes), 100*r.FakesCPUShare)
}

func mib(n int64) float64 { return float64(n) / (1 << 20) }

// benchProgress is the bench's progress line on a terminal (stderr):
// the phase, activities and requests so far, elapsed time. Piped, under
// systemd or with --quiet it shows nothing.
type benchProgress struct {
	w       io.Writer
	enabled bool

	mu      sync.Mutex
	name    string
	start   time.Time
	sources map[string]daemon.Summary
	done    chan struct{}
	once    sync.Once
}

func newBenchProgress(w io.Writer, getenv func(string) string, quiet bool) *benchProgress {
	p := &benchProgress{w: w, sources: map[string]daemon.Summary{}, done: make(chan struct{}), start: time.Now()}
	f, ok := w.(*os.File)
	p.enabled = !quiet && ok && term.IsTerminal(int(f.Fd())) && getenv("JOURNAL_STREAM") == "" && getenv("INVOCATION_ID") == ""
	if p.enabled {
		go p.tick()
	}
	return p
}

func (p *benchProgress) phase(name string) {
	p.mu.Lock()
	defer p.mu.Unlock()
	p.name, p.start, p.sources = name, time.Now(), map[string]daemon.Summary{}
}

// Progress implements daemon.Reporter.
func (p *benchProgress) Progress(source string, s daemon.Summary) {
	p.mu.Lock()
	defer p.mu.Unlock()
	p.sources[source] = s
}

// Waiting implements daemon.Reporter.
func (p *benchProgress) Waiting(string, time.Time) {}

// Finished implements daemon.Reporter.
func (p *benchProgress) Finished(source string, s daemon.Summary) { p.Progress(source, s) }

func (p *benchProgress) tick() { everyTick(p.done, p.draw) }

func (p *benchProgress) draw() {
	p.mu.Lock()
	defer p.mu.Unlock()
	var acts, reqs int
	for _, s := range p.sources {
		acts += s.NewActivities
		reqs += s.Requests
	}
	line := fmt.Sprintf("bench: %s, %s", p.name, time.Since(p.start).Round(time.Second))
	if len(p.sources) > 0 {
		line += fmt.Sprintf(": %d activities, %d requests", acts, reqs)
	}
	fmt.Fprintf(p.w, "\r\033[K%s", line)
}

// stop ends the progress line, clearing it.
func (p *benchProgress) stop() {
	p.once.Do(func() {
		close(p.done)
		if p.enabled {
			fmt.Fprint(p.w, "\r\033[K")
		}
	})
}

var _ daemon.Reporter = (*benchProgress)(nil)
