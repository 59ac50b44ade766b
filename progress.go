package main

import (
	"fmt"
	"io"
	"os"
	"sort"
	"strings"
	"sync"
	"time"

	"golang.org/x/term"

	"github.com/rollcall-dev/rollcall/daemon"
)

// progress shows live per-source progress on a terminal: pages, activities,
// and a countdown while a source waits on a rate limit. Piped, under systemd
// or with --quiet it shows nothing (the daemon logs instead).
type progress struct {
	w       io.Writer
	enabled bool

	mu      sync.Mutex
	sources map[string]*progressLine
	done    chan struct{}
	once    sync.Once
}

type progressLine struct {
	sum      daemon.Summary
	waitTill time.Time
	finished bool
}

func newProgress(w io.Writer, getenv func(string) string, quiet bool) *progress {
	p := &progress{w: w, sources: make(map[string]*progressLine), done: make(chan struct{})}
	f, ok := w.(*os.File)
	p.enabled = !quiet && ok && term.IsTerminal(int(f.Fd())) && getenv("JOURNAL_STREAM") == "" && getenv("INVOCATION_ID") == ""
	if p.enabled {
		go p.tick()
	}
	return p
}

func (p *progress) line(source string) *progressLine {
	l, ok := p.sources[source]
	if !ok {
		l = &progressLine{}
		p.sources[source] = l
	}
	return l
}

// Progress implements daemon.Reporter.
func (p *progress) Progress(source string, s daemon.Summary) {
	p.mu.Lock()
	defer p.mu.Unlock()
	l := p.line(source)
	l.sum, l.waitTill, l.finished = s, time.Time{}, false
}

// Waiting implements daemon.Reporter.
func (p *progress) Waiting(source string, until time.Time) {
	p.mu.Lock()
	defer p.mu.Unlock()
	p.line(source).waitTill = until
}

// Finished implements daemon.Reporter.
func (p *progress) Finished(source string, s daemon.Summary) {
	p.mu.Lock()
	defer p.mu.Unlock()
	l := p.line(source)
	l.sum, l.finished, l.waitTill = s, true, time.Time{}
}

func (p *progress) tick() { everyTick(p.done, p.draw) }

// everyTick calls f every 250 ms until done is closed: a live progress
// line's redraw.
func everyTick(done <-chan struct{}, f func()) {
	t := time.NewTicker(250 * time.Millisecond)
	defer t.Stop()
	for {
		select {
		case <-done:
			return
		case <-t.C:
			f()
		}
	}
}

func (p *progress) draw() {
	p.mu.Lock()
	defer p.mu.Unlock()
	if len(p.sources) == 0 {
		return
	}
	names := make([]string, 0, len(p.sources))
	for n := range p.sources {
		names = append(names, n)
	}
	sort.Strings(names)
	parts := make([]string, 0, len(names))
	for _, n := range names {
		l := p.sources[n]
		s := fmt.Sprintf("%s: %d pages, %d activities", n, l.sum.Pages, l.sum.NewActivities)
		switch {
		case !l.waitTill.IsZero():
			s += fmt.Sprintf(", rate limited, resuming in %s", time.Until(l.waitTill).Round(time.Second))
		case l.finished:
			s += ", done"
		}
		parts = append(parts, s)
	}
	fmt.Fprintf(p.w, "\r\033[K%s", strings.Join(parts, " | "))
}

// stop ends the live display.
func (p *progress) stop() {
	p.once.Do(func() {
		close(p.done)
		if p.enabled {
			p.draw()
			fmt.Fprintln(p.w)
		}
	})
}
