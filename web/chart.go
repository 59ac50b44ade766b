package web

import (
	"fmt"
	"slices"
	"strings"
	"time"
)

// chartCount is one bar segment's input: activities of one platform in
// the period starting at Start.
type chartCount struct {
	Start    time.Time
	Platform string
	Count    int
}

// chart is an activity chart laid out for the template: stacked bars per
// week or month, each platform a pattern as well as a colour, a legend
// with text labels, and the same numbers as a table.
type chart struct {
	Unit          string // "week" or "month"
	Width, Height int
	Baseline      int
	Bars          []chartBar
	Legend        []legendItem
	Platforms     []legendItem // table columns
	Summary       string
	Max           int
	Empty         bool
}

type chartBar struct {
	X, W      int
	Label     string // the period in full, for the table
	Axis      string // a short label under the bar; empty for most bars
	ShowLabel bool
	LabelX    int
	Title     string // the bar's tooltip and accessible name
	Total     int
	Segs      []chartSeg
	Counts    []int // per Platforms, for the table
}

type chartSeg struct {
	Y, H     int
	Platform string // the CSS/pattern class
	Count    int
}

type legendItem struct {
	Platform string // class
	Label    string
	Total    int
}

const (
	chartWidth  = 720
	chartHeight = 220
	chartTop    = 12
	chartBottom = 28 // axis labels
	maxBars     = 120
)

// buildChart lays out counts in bars of unit (crm.BucketWeek or
// crm.BucketMonth); periods with no activity get an empty slot.
func buildChart(counts []chartCount, unit string) chart {
	c := chart{Width: chartWidth, Height: chartHeight, Baseline: chartHeight - chartBottom}
	if len(counts) == 0 {
		c.Empty = true
		c.Summary = "No activity yet."
		return c
	}
	first, last := counts[0].Start, counts[0].Start
	for _, p := range counts {
		if p.Start.Before(first) {
			first = p.Start
		}
		if p.Start.After(last) {
			last = p.Start
		}
	}
	c.Unit = "week"
	start, step := weekStart, func(t time.Time) time.Time { return t.AddDate(0, 0, 7) }
	label := func(t time.Time) string { return "week of " + t.Format("2 Jan 2006") }
	short := func(t time.Time) string { return t.Format("2 Jan") }
	if unit == "month" {
		c.Unit = "month"
		start, step = monthStart, func(t time.Time) time.Time { return t.AddDate(0, 1, 0) }
		label = func(t time.Time) string { return t.Format("January 2006") }
		short = func(t time.Time) string { return t.Format("Jan 2006") }
	}
	// Periods from the first to the last, at most maxBars (the latest).
	var periods []time.Time
	for t := start(first); !t.After(start(last)); t = step(t) {
		periods = append(periods, t)
	}
	if len(periods) > maxBars {
		periods = periods[len(periods)-maxBars:]
	}
	index := map[time.Time]int{}
	for i, p := range periods {
		index[p] = i
	}
	totals := map[string]int{}
	grid := make([]map[string]int, len(periods))
	for i := range grid {
		grid[i] = map[string]int{}
	}
	for _, p := range counts {
		i, ok := index[start(p.Start)]
		if !ok || p.Count <= 0 {
			continue
		}
		grid[i][p.Platform] += p.Count
		totals[p.Platform] += p.Count
	}
	var plats []string
	for p := range totals {
		plats = append(plats, p)
	}
	slices.SortFunc(plats, func(a, b string) int {
		ia, ib := slices.Index(platformOrder, a), slices.Index(platformOrder, b)
		if ia < 0 {
			ia = len(platformOrder)
		}
		if ib < 0 {
			ib = len(platformOrder)
		}
		if ia != ib {
			return ia - ib
		}
		return strings.Compare(a, b)
	})
	all := 0
	for _, p := range plats {
		c.Legend = append(c.Legend, legendItem{Platform: platformClass(p), Label: platformLabel(p), Total: totals[p]})
		all += totals[p]
	}
	c.Platforms = c.Legend
	for _, g := range grid {
		t := 0
		for _, n := range g {
			t += n
		}
		c.Max = max(c.Max, t)
	}
	if c.Max == 0 {
		c.Empty = true
		c.Summary = "No activity yet."
		return c
	}
	plot := c.Baseline - chartTop
	slot := float64(chartWidth) / float64(len(periods))
	labelEvery := max(1, len(periods)/6)
	busiest, busiestN := "", 0
	for i, p := range periods {
		b := chartBar{X: int(float64(i) * slot), W: max(1, int(slot*0.8)), Label: label(p)}
		b.LabelX = min(max(b.X+b.W/2, 30), chartWidth-30) // keep the text inside
		b.ShowLabel = i%labelEvery == 0
		y := c.Baseline
		var parts []string
		for _, pl := range plats {
			n := grid[i][pl]
			b.Counts = append(b.Counts, n)
			if n == 0 {
				continue
			}
			b.Total += n
			h := max(1, n*plot/c.Max)
			y -= h
			b.Segs = append(b.Segs, chartSeg{Y: y, H: h, Platform: platformClass(pl), Count: n})
			parts = append(parts, fmt.Sprintf("%s %s", platformLabel(pl), thousands(n)))
		}
		if b.Total == 0 {
			b.Title = label(p) + ": no activity"
		} else {
			b.Title = label(p) + ": " + strings.Join(parts, ", ")
		}
		if b.ShowLabel {
			b.Axis = short(p)
		}
		if b.Total > busiestN {
			busiest, busiestN = label(p), b.Total
		}
		c.Bars = append(c.Bars, b)
	}
	var by []string
	for _, l := range c.Legend {
		by = append(by, fmt.Sprintf("%s %s", l.Label, thousands(l.Total)))
	}
	c.Summary = fmt.Sprintf("%s activities from %s to %s, counted by %s (%s). Busiest: %s with %s.",
		thousands(all), label(periods[0]), label(periods[len(periods)-1]), c.Unit, strings.Join(by, ", "), busiest, thousands(busiestN))
	return c
}

// TableRows are the periods with activity, for the text table.
func (c chart) TableRows() []chartBar {
	out := make([]chartBar, 0, len(c.Bars))
	for _, b := range c.Bars {
		if b.Total > 0 {
			out = append(out, b)
		}
	}
	return out
}
