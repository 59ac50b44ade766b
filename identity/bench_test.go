package identity

import (
	"fmt"
	"iter"
	"math/rand/v2"
	"runtime"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/rollcall-dev/rollcall/connectors"
)

// synthetic builds n git identities of about n/1.8 people: each person has
// one to three aliases with name variants (case, initials, "Last, First",
// a handle as name), several addresses, some shared placeholder addresses
// and common names, like a large forge's commit history. Deterministic.
func synthetic(n int) []Candidate {
	out := make([]Candidate, 0, n)
	for c := range syntheticSeq(n) {
		out = append(out, c)
	}
	return out
}

// syntheticSeq generates the candidates of synthetic(n) one at a time, so
// that they need not all be held at once.
func syntheticSeq(n int) iter.Seq[Candidate] {
	return func(yield func(Candidate) bool) {
		generate(n, yield)
	}
}

func generate(n int, yield func(Candidate) bool) {
	r := rand.New(rand.NewPCG(42, uint64(n)))
	firsts := make([]string, 400)
	lasts := make([]string, 3000)
	syl := []string{"ka", "lo", "mi", "ra", "ne", "so", "tu", "va", "ri", "an", "el", "or", "is", "ben", "dar", "gus", "hel", "jon", "kir", "mar", "nik", "pet", "sam", "tom", "ul", "yan", "zo"}
	word := func(k int) string {
		var b strings.Builder
		for range k {
			b.WriteString(syl[r.IntN(len(syl))])
		}
		s := b.String()
		return strings.ToUpper(s[:1]) + s[1:]
	}
	for i := range firsts {
		firsts[i] = word(2)
	}
	for i := range lasts {
		lasts[i] = word(2 + r.IntN(2))
	}
	domains := []string{"gmail.com", "example.org", "uni.edu", "corp.example", "mail.example", "posteo.de", "fastmail.com"}
	placeholders := []string{"root@localhost", "?@?", "user@host.(none)", "noreply@github.com", "you@example.com", "ci@build.example"}
	count := 0
	person := 0
	for count < n {
		person++
		// Zipf-like: a few very common names.
		fi := int(float64(len(firsts)) * r.Float64() * r.Float64())
		li := int(float64(len(lasts)) * r.Float64() * r.Float64())
		first, last := firsts[fi], lasts[li]
		handle := strings.ToLower(first[:1] + last)
		if r.IntN(2) == 0 {
			handle = strings.ToLower(first + "." + last)
		}
		handle += fmt.Sprint(person % 997)
		aliases := 1 + r.IntN(3)
		for a := 0; a < aliases && count < n; a++ {
			name := first + " " + last
			switch r.IntN(8) {
			case 0:
				name = strings.ToLower(name)
			case 1:
				name = first[:1] + ". " + last
			case 2:
				name = last + ", " + first
			case 3:
				name = strings.ReplaceAll(handle, ".", "")
			}
			email := handle + "@" + domains[r.IntN(len(domains))]
			switch r.IntN(20) {
			case 0:
				email = placeholders[r.IntN(len(placeholders))]
			case 1:
				email = fmt.Sprintf("%d+%s@users.noreply.github.com", 1000+person, strings.ReplaceAll(handle, ".", "-"))
			}
			c := Candidate{
				Key:    fmt.Sprint(count),
				Ref:    connectors.AccountRef{Platform: connectors.PlatformGit},
				Name:   name,
				Emails: []string{email},
			}
			count++
			if !yield(c) {
				return
			}
		}
	}
}

// peakHeap samples the heap while fn runs, every 20 ms, and returns the
// largest HeapAlloc and Sys seen, in bytes. Nothing forces a collection:
// HeapAlloc counts garbage not yet collected too.
func peakHeap(fn func()) (heap, sys uint64) {
	var mu sync.Mutex
	stop := make(chan struct{})
	done := make(chan struct{})
	sample := func() {
		var m runtime.MemStats
		runtime.ReadMemStats(&m)
		mu.Lock()
		heap, sys = max(heap, m.HeapAlloc), max(sys, m.Sys)
		mu.Unlock()
	}
	go func() {
		defer close(done)
		t := time.NewTicker(20 * time.Millisecond)
		defer t.Stop()
		for {
			select {
			case <-stop:
				return
			case <-t.C:
				sample()
			}
		}
	}()
	fn()
	sample()
	close(stop)
	<-done
	return heap, sys
}

// benchResolve resolves n synthetic identities in one batch, as Resolve
// does, reading them as they are generated (as the daemon reads them from
// the store): time and peak heap include generating them.
func benchResolve(b *testing.B, n int) {
	runtime.GC()
	b.ReportAllocs()
	b.ResetTimer()
	var peak, sys uint64
	var members int
	for b.Loop() {
		h, s := peakHeap(func() {
			res := ResolveSeq(syntheticSeq(n), Options{})
			members = len(res.Members)
		})
		peak, sys = max(peak, h), max(sys, s)
	}
	b.ReportMetric(float64(peak)/(1<<20), "peak-heap-MiB")
	b.ReportMetric(float64(sys)/(1<<20), "peak-sys-MiB")
	b.ReportMetric(float64(members), "members")
}

// BenchmarkResolve1M resolves 1,000,000 synthetic commit authors in one
// batch, suggestions included, the result held at the end. The budget: under 60 s and 1 GiB.
func BenchmarkResolve1M(b *testing.B) { benchResolve(b, 1_000_000) }

// BenchmarkResolve100k is the quick version.
func BenchmarkResolve100k(b *testing.B) { benchResolve(b, 100_000) }

// BenchmarkIndexAdd adds 100,000 identities one at a time.
func BenchmarkIndexAdd(b *testing.B) {
	cs := synthetic(100_000)
	b.ReportAllocs()
	for b.Loop() {
		x := NewIndex(Options{})
		for _, c := range cs {
			x.Add(c)
		}
	}
}
