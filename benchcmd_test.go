package main

import (
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// benchKeys are the keys issue 14 asks of `rollcall bench --format json`,
// at the top and, but for per_source, in each source.
var benchKeys = strings.Fields(`activities backfill_seconds activities_per_second requests min_requests
	rate_limit_units min_rate_limit_units idle_rate_limit_units incremental_requests
	min_incremental_requests resolve_seconds peak_rss_bytes store_bytes`)

// TestBenchJSON runs the bench at a small size: every key is there, at the
// top and per source, with sane values; nothing beats the minimum (which
// would make it no minimum); the idle re-sync spends no unit where the
// service answers conditional requests.
func TestBenchJSON(t *testing.T) {
	store := filepath.Join(t.TempDir(), "bench.db")
	code, out, errOut := runMain(t, "bench", "--activities", "2000", "--format", "json", "--store", store)
	if code != exitOK {
		t.Fatalf("bench: exit %d\n%s", code, errOut)
	}
	var top map[string]json.RawMessage
	if err := json.Unmarshal([]byte(out), &top); err != nil {
		t.Fatalf("bench output is not JSON: %v\n%s", err, out)
	}
	var per map[string]map[string]json.RawMessage
	if err := json.Unmarshal(top["per_source"], &per); err != nil {
		t.Fatalf("per_source: %v\n%s", err, out)
	}
	check := func(where string, m map[string]json.RawMessage) map[string]float64 {
		t.Helper()
		got := map[string]float64{}
		for _, k := range benchKeys {
			raw, ok := m[k]
			if !ok {
				t.Errorf("%s: no key %q", where, k)
				continue
			}
			var v float64
			if err := json.Unmarshal(raw, &v); err != nil {
				t.Errorf("%s: %s = %s, not a number", where, k, raw)
			}
			if v < 0 {
				t.Errorf("%s: %s = %v < 0", where, k, v)
			}
			got[k] = v
		}
		for _, k := range []string{"activities", "backfill_seconds", "activities_per_second", "requests", "min_requests",
			"rate_limit_units", "min_rate_limit_units", "incremental_requests", "min_incremental_requests", "peak_rss_bytes", "store_bytes"} {
			if got[k] <= 0 {
				t.Errorf("%s: %s = %v, want > 0", where, k, got[k])
			}
		}
		for _, pair := range [][2]string{{"requests", "min_requests"}, {"rate_limit_units", "min_rate_limit_units"}, {"incremental_requests", "min_incremental_requests"}} {
			if got[pair[0]] < got[pair[1]] {
				t.Errorf("%s: %s = %v below %s = %v: the minimum is wrong", where, pair[0], got[pair[0]], pair[1], got[pair[1]])
			}
		}
		if got["min_rate_limit_units"] > got["min_requests"] {
			t.Errorf("%s: min_rate_limit_units %v > min_requests %v", where, got["min_rate_limit_units"], got["min_requests"])
		}
		return got
	}
	total := check("top", top)
	if _, ok := top["per_source"]; !ok {
		t.Fatal("no key per_source")
	}
	if total["activities"] < 1000 || total["activities"] > 4000 {
		t.Errorf("activities = %v, want about 2000", total["activities"])
	}
	var sum float64
	for _, src := range []string{"github", "mastodon", "discourse", "stackoverflow"} {
		m, ok := per[src]
		if !ok {
			t.Errorf("per_source: no %s", src)
			continue
		}
		got := check(src, m)
		sum += got["activities"]
		var cond bool
		if err := json.Unmarshal(m["conditional_requests"], &cond); err != nil {
			t.Errorf("%s: conditional_requests: %v", src, err)
		}
		if want := src == "github" || src == "mastodon"; cond != want {
			t.Errorf("%s: conditional_requests = %v, want %v", src, cond, want)
		}
		if cond && got["idle_rate_limit_units"] != 0 {
			t.Errorf("%s answers conditional requests, yet the idle re-sync spent %v units", src, got["idle_rate_limit_units"])
		}
	}
	if sum != total["activities"] {
		t.Errorf("per-source activities add up to %v, the total says %v", sum, total["activities"])
	}
	var share float64
	if err := json.Unmarshal(top["fakes_cpu_share"], &share); err != nil || share <= 0 || share >= 1 {
		t.Errorf("fakes_cpu_share = %s, want in (0, 1)", top["fakes_cpu_share"])
	}
	if _, err := os.Stat(store); err != nil {
		t.Errorf("the store given with --store is kept: %v", err)
	}
	// A store that exists is not fresh.
	code, _, errOut = runMain(t, "bench", "--activities", "2000", "--store", store)
	if code != exitUsage || !strings.Contains(errOut, "fresh store") {
		t.Errorf("bench into an existing store: exit %d, %q; want a usage error", code, errOut)
	}
}

func TestBenchUsage(t *testing.T) {
	tests := []struct {
		args []string
		code int
		want string
	}{
		{[]string{"bench", "--help"}, exitOK, "--activities"},
		{[]string{"bench", "--format", "xml"}, exitUsage, "--format must be table or json"},
		{[]string{"bench", "--activities", "5"}, exitUsage, "--activities must be between"},
	}
	for _, tt := range tests {
		t.Run(strings.Join(tt.args, "_"), func(t *testing.T) {
			code, out, errOut := runMain(t, tt.args...)
			if code != tt.code || !strings.Contains(out+errOut, tt.want) {
				t.Errorf("exit %d, output %q; want exit %d with %q", code, out+errOut, tt.code, tt.want)
			}
		})
	}
}
