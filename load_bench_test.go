package main

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/rollcall-dev/rollcall/connectors/community"
)

// BenchmarkLoadDuringBackfill (issue 15, point 6): while the real daemon
// (a child `rollcall run`) backfills a generated community from the four
// fakes, 50 concurrent clients read the web pages and /api/v1 without
// pause. It reports the latency of their requests (p50, p95, p99), the
// errors (any status but 200, any failed request: the benchmark fails on
// one), and the daemon's peak resident memory, sampled from /proc every
// 50 ms. The fakes and the clients run in the benchmark's process, so the
// daemon's memory is its own. Run it with
//
//	go test -run '^$' -bench LoadDuringBackfill -benchtime 1x -v .
//
// ROLLCALL_LOAD_SIZE sets the community's people (default 5,000: about
// 40,000 activities), ROLLCALL_LOAD_CLIENTS the clients (default 50),
// ROLLCALL_LOAD_MEMORY_LIMIT the daemon's memory_limit (such as 160MiB;
// default none).
func BenchmarkLoadDuringBackfill(b *testing.B) {
	size := envInt(b, "ROLLCALL_LOAD_SIZE", 5000)
	clients := envInt(b, "ROLLCALL_LOAD_CLIENTS", 50)
	dir := b.TempDir()
	bin := filepath.Join(dir, "rollcall")
	if out, err := exec.Command("go", "build", "-o", bin, ".").CombinedOutput(); err != nil {
		b.Fatalf("go build: %v\n%s", err, out)
	}
	for b.Loop() {
		b.StopTimer()
		r := runLoad(b, bin, b.TempDir(), size, clients)
		b.StartTimer()
		b.ReportMetric(r.quantile(0.50), "p50-ms")
		b.ReportMetric(r.quantile(0.95), "p95-ms")
		b.ReportMetric(r.quantile(0.99), "p99-ms")
		b.ReportMetric(float64(len(r.latencies)), "requests")
		b.ReportMetric(float64(r.errors), "errors")
		b.ReportMetric(float64(r.peakRSS)/(1<<20), "peak-rss-MiB")
		b.ReportMetric(float64(r.peakAnon)/(1<<20), "peak-anon-MiB")
		b.ReportMetric(float64(r.peakFile)/(1<<20), "peak-file-MiB")
		b.ReportMetric(float64(r.peakGoSys)/(1<<20), "peak-go-sys-MiB")
		b.ReportMetric(float64(r.peakGoHeap)/(1<<20), "peak-go-heap-MiB")
		b.ReportMetric(r.backfill.Seconds(), "backfill-s")
		b.ReportMetric(float64(r.activities), "activities")
		b.Logf("%d people, %d activities backfilled in %v; %d clients made %d requests (%d errors): p50 %.1f ms, p95 %.1f ms, p99 %.1f ms, max %.1f ms; daemon peak RSS %.0f MiB (anonymous %.0f MiB, file-backed %.0f MiB; Go runtime %.0f MiB, heap in use %.0f MiB)",
			size, r.activities, r.backfill.Round(time.Millisecond), clients, len(r.latencies), r.errors,
			r.quantile(0.50), r.quantile(0.95), r.quantile(0.99), r.quantile(1), float64(r.peakRSS)/(1<<20),
			float64(r.peakAnon)/(1<<20), float64(r.peakFile)/(1<<20), float64(r.peakGoSys)/(1<<20), float64(r.peakGoHeap)/(1<<20))
		for _, p := range r.perPath() {
			b.Logf("  %-34s %6d requests  p95 %6.1f ms", p.path, p.n, p.p95)
		}
		if r.errors > 0 {
			b.Errorf("%d requests failed during the backfill; first: %s", r.errors, r.firstError)
		}
	}
}

func envInt(b *testing.B, name string, def int) int {
	v := os.Getenv(name)
	if v == "" {
		return def
	}
	n, err := strconv.Atoi(v)
	if err != nil || n <= 0 {
		b.Fatalf("%s=%q: want a positive number", name, v)
	}
	return n
}

type loadSample struct {
	path string
	ms   float64
}

type loadResult struct {
	latencies  []loadSample
	errors     int
	firstError string
	peakRSS    int64
	// peakAnon and peakFile are the peaks of the resident set's anonymous
	// part (the heap, stacks: what the process allocated) and its
	// file-backed part (the store's pages mapped by SQLite's mmap, and the
	// binary), sampled with it.
	peakAnon, peakFile int64
	// peakGoSys and peakGoHeap are the peaks of what the daemon's Go
	// runtime holds from the system and of its heap in use, read from its
	// /metrics every half second: the anonymous memory beyond them is
	// SQLite's own (page caches, sorts), which modernc.org/sqlite
	// allocates outside the Go heap.
	peakGoSys, peakGoHeap int64
	backfill              time.Duration
	activities            int
}

func (r *loadResult) quantile(q float64) float64 {
	ms := make([]float64, len(r.latencies))
	for i, s := range r.latencies {
		ms[i] = s.ms
	}
	return quantileOf(ms, q)
}

func quantileOf(ms []float64, q float64) float64 {
	if len(ms) == 0 {
		return 0
	}
	slices.Sort(ms)
	i := int(q*float64(len(ms))+0.5) - 1
	return ms[max(0, min(i, len(ms)-1))]
}

type pathStat struct {
	path string
	n    int
	p95  float64
}

func (r *loadResult) perPath() []pathStat {
	by := map[string][]float64{}
	for _, s := range r.latencies {
		by[s.path] = append(by[s.path], s.ms)
	}
	var out []pathStat
	for p, ms := range by {
		out = append(out, pathStat{path: p, n: len(ms), p95: quantileOf(ms, 0.95)})
	}
	slices.SortFunc(out, func(a, b pathStat) int { return strings.Compare(a.path, b.path) })
	return out
}

// runLoad starts the fakes and the daemon, loads the pages with clients
// until the first pass of every source has ended, and stops the daemon.
func runLoad(b *testing.B, bin, dir string, size, clients int) *loadResult {
	b.Helper()
	now := time.Now().UTC().Truncate(time.Hour)
	w, err := community.StartWorld(1, size, now)
	if err != nil {
		b.Fatal(err)
	}
	b.Cleanup(func() { w.Close(context.Background()) })
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		b.Fatal(err)
	}
	addr := ln.Addr().String()
	ln.Close()
	cfg := filepath.Join(dir, "rollcall.yaml")
	text := w.ConfigText(filepath.Join(dir, "rollcall.db"), time.Hour) + "listen: " + addr + "\n"
	if m := os.Getenv("ROLLCALL_LOAD_MEMORY_LIMIT"); m != "" {
		text += "memory_limit: " + m + "\n"
	}
	if err := os.WriteFile(cfg, []byte(text), 0o600); err != nil {
		b.Fatal(err)
	}
	logs, err := os.Create(filepath.Join(dir, "daemon.log"))
	if err != nil {
		b.Fatal(err)
	}
	defer logs.Close()
	cmd := exec.Command(bin, "--config", cfg, "run", "--quiet")
	cmd.Stdout, cmd.Stderr = logs, logs
	if err := cmd.Start(); err != nil {
		b.Fatal(err)
	}
	exited := make(chan error, 1)
	go func() { exited <- cmd.Wait() }()
	defer func() {
		cmd.Process.Signal(os.Interrupt)
		select {
		case <-exited:
		case <-time.After(30 * time.Second):
			cmd.Process.Kill()
			<-exited
		}
	}()
	base := "http://" + addr
	hc := &http.Client{Timeout: 30 * time.Second, Transport: &http.Transport{MaxIdleConnsPerHost: clients}}
	started := time.Now()
	deadline := started.Add(time.Minute)
	for {
		resp, err := hc.Get(base + "/healthz")
		if err == nil {
			resp.Body.Close()
			break
		}
		select {
		case err := <-exited:
			b.Fatalf("the daemon exited before serving: %v\n%s", err, tail(logs.Name()))
		default:
		}
		if time.Now().After(deadline) {
			b.Fatalf("the daemon does not answer on %s:\n%s", addr, tail(logs.Name()))
		}
		time.Sleep(20 * time.Millisecond)
	}

	res := &loadResult{}
	var mu sync.Mutex
	var stop atomic.Bool
	peak := make(chan int64, 1)
	go func() {
		var p int64
		for !stop.Load() {
			p = max(p, rssOf(cmd.Process.Pid))
			pid := cmd.Process.Pid
			a, f := procStatusKB(pid, "RssAnon:"), procStatusKB(pid, "RssFile:")+procStatusKB(pid, "RssShmem:")
			mu.Lock()
			res.peakAnon, res.peakFile = max(res.peakAnon, a), max(res.peakFile, f)
			mu.Unlock()
			time.Sleep(50 * time.Millisecond)
		}
		peak <- max(p, hwmOf(cmd.Process.Pid))
	}()
	goDone := make(chan struct{})
	go func() {
		defer close(goDone)
		for !stop.Load() {
			if m, err := goMemory(hc, base); err == nil {
				mu.Lock()
				res.peakGoSys, res.peakGoHeap = max(res.peakGoSys, m["go_memstats_sys_bytes"]), max(res.peakGoHeap, m["go_memstats_heap_inuse_bytes"])
				mu.Unlock()
			}
			time.Sleep(500 * time.Millisecond)
		}
	}()
	paths := []string{
		"/members", "/members?q=a", "/members?platform=github&sort=newest", "/champions", "/champions?period=7d",
		"/health", "/health?period=90d", "/sources", "/suggestions",
		"/api/v1/members?limit=50", "/api/v1/champions", "/api/v1/health", "/api/v1/sources",
		"/members/{id}", "/api/v1/members/{id}/journey",
	}
	var ids atomic.Value // []int64, refreshed as members land
	ids.Store([]int64{})
	var wg sync.WaitGroup
	for c := range clients {
		wg.Go(func() {
			for i := c; !stop.Load(); i++ {
				p := paths[i%len(paths)]
				if strings.Contains(p, "{id}") {
					known := ids.Load().([]int64)
					if len(known) == 0 {
						continue
					}
					p = strings.Replace(p, "{id}", strconv.FormatInt(known[i%len(known)], 10), 1)
				}
				t0 := time.Now()
				resp, err := hc.Get(base + p)
				var body []byte
				if err == nil {
					body, err = io.ReadAll(resp.Body)
					resp.Body.Close()
				}
				ms := float64(time.Since(t0).Microseconds()) / 1000
				mu.Lock()
				res.latencies = append(res.latencies, loadSample{path: pathKey(p), ms: ms})
				if err != nil || resp.StatusCode != http.StatusOK {
					res.errors++
					if res.firstError == "" {
						if err != nil {
							res.firstError = fmt.Sprintf("GET %s: %v", p, err)
						} else {
							res.firstError = fmt.Sprintf("GET %s: %s: %.200s", p, resp.Status, body)
						}
					}
				}
				mu.Unlock()
			}
		})
	}
	// The backfill has ended when every source finished its first pass.
	for {
		time.Sleep(250 * time.Millisecond)
		if known, err := memberIDs(hc, base); err == nil && len(known) > 0 {
			ids.Store(known)
		}
		acts, done, err := firstPassDone(hc, base)
		if err == nil && done {
			res.activities = acts
			break
		}
		select {
		case err := <-exited:
			stop.Store(true)
			wg.Wait()
			b.Fatalf("the daemon exited during the backfill: %v\n%s", err, tail(logs.Name()))
		default:
		}
		if time.Since(started) > 20*time.Minute {
			b.Fatalf("the backfill did not end in 20 minutes:\n%s", tail(logs.Name()))
		}
	}
	res.backfill = time.Since(started)
	stop.Store(true)
	wg.Wait()
	res.peakRSS = <-peak
	<-goDone
	return res
}

// pathKey groups a path's requests whatever member they asked for.
func pathKey(p string) string {
	parts := strings.Split(p, "/")
	for i, s := range parts {
		if _, err := strconv.ParseInt(s, 10, 64); err == nil {
			parts[i] = "{id}"
		}
	}
	return strings.Join(parts, "/")
}

// goMemory reads the Go runtime's memory gauges from the daemon's /metrics.
func goMemory(hc *http.Client, base string) (map[string]int64, error) {
	resp, err := hc.Get(base + "/metrics")
	if err != nil {
		return nil, err
	}
	defer resp.Body.Close()
	out := map[string]int64{}
	sc := bufio.NewScanner(resp.Body)
	sc.Buffer(make([]byte, 64<<10), 1<<20)
	for sc.Scan() {
		name, value, ok := strings.Cut(sc.Text(), " ")
		if !ok || !strings.HasPrefix(name, "go_memstats_") {
			continue
		}
		if f, err := strconv.ParseFloat(value, 64); err == nil {
			out[name] = int64(f)
		}
	}
	return out, sc.Err()
}

func memberIDs(hc *http.Client, base string) ([]int64, error) {
	resp, err := hc.Get(base + "/api/v1/members?limit=100")
	if err != nil {
		return nil, err
	}
	defer resp.Body.Close()
	var out struct {
		Members []struct {
			ID int64 `json:"id"`
		} `json:"members"`
	}
	if err := json.NewDecoder(resp.Body).Decode(&out); err != nil {
		return nil, err
	}
	ids := make([]int64, len(out.Members))
	for i, m := range out.Members {
		ids[i] = m.ID
	}
	return ids, nil
}

func firstPassDone(hc *http.Client, base string) (int, bool, error) {
	resp, err := hc.Get(base + "/api/v1/sources")
	if err != nil {
		return 0, false, err
	}
	defer resp.Body.Close()
	var out struct {
		Sources []struct {
			Passes     int    `json:"passes"`
			Activities int    `json:"activities"`
			LastError  string `json:"last_error"`
		} `json:"sources"`
	}
	if err := json.NewDecoder(resp.Body).Decode(&out); err != nil {
		return 0, false, err
	}
	acts, done := 0, len(out.Sources) > 0
	for _, s := range out.Sources {
		acts += s.Activities
		done = done && s.Passes > 0
	}
	return acts, done, nil
}

// rssOf reads a process's resident set size from /proc (0 when it cannot).
func rssOf(pid int) int64 { return procStatusKB(pid, "VmRSS:") }

// hwmOf reads a process's peak resident set size from /proc.
func hwmOf(pid int) int64 { return procStatusKB(pid, "VmHWM:") }

func procStatusKB(pid int, field string) int64 {
	b, err := os.ReadFile(fmt.Sprintf("/proc/%d/status", pid))
	if err != nil {
		return 0
	}
	sc := bufio.NewScanner(bytes.NewReader(b))
	for sc.Scan() {
		if f := strings.Fields(sc.Text()); len(f) >= 2 && f[0] == field {
			n, _ := strconv.ParseInt(f[1], 10, 64)
			return n << 10
		}
	}
	return 0
}

func tail(path string) string {
	b, _ := os.ReadFile(path)
	if len(b) > 4000 {
		b = b[len(b)-4000:]
	}
	return string(b)
}
