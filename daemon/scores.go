package daemon

import (
	"context"
	"errors"
	"log/slog"
	"time"
)

// ScoreLoop keeps members' levels, the champions list and the slipping
// list up to date (and with them the webhook events): it evaluates after
// sync passes (Kick), at most once per MinGap, and every Every even when
// nothing is synced, because levels fall and regulars slip with time
// alone. Evaluations never overlap.
type ScoreLoop struct {
	// Evaluate brings the levels up to date at now.
	Evaluate func(ctx context.Context, now time.Time) error
	// Every is the longest time between two evaluations; 0 means 15
	// minutes.
	Every time.Duration
	// MinGap is the shortest time between two evaluations caused by
	// passes; 0 means one minute.
	MinGap time.Duration
	// Now is the clock; nil means time.Now.
	Now func() time.Time
	// Logger receives failures; nil discards them.
	Logger *slog.Logger

	kick chan struct{}
}

// NewScoreLoop returns a loop; Run starts it.
func NewScoreLoop(l ScoreLoop) *ScoreLoop {
	if l.Every <= 0 {
		l.Every = 15 * time.Minute
	}
	if l.MinGap <= 0 {
		l.MinGap = time.Minute
	}
	if l.Now == nil {
		l.Now = time.Now
	}
	if l.Logger == nil {
		l.Logger = slog.New(slog.DiscardHandler)
	}
	l.kick = make(chan struct{}, 1)
	return &l
}

// Kick asks for an evaluation after new data; it never blocks.
func (l *ScoreLoop) Kick() {
	select {
	case l.kick <- struct{}{}:
	default:
	}
}

// Run evaluates once at start, then as described on ScoreLoop, until ctx
// ends. A failed evaluation is logged and retried at the next occasion;
// one skipped because another replica is evaluating (an error wrapping
// ErrLeaseHeld) is tried again after MinGap, so that what this replica
// synced meanwhile is evaluated soon.
func (l *ScoreLoop) Run(ctx context.Context) {
	var last time.Time
	var gap *time.Timer
	var gapC <-chan time.Time
	run := func() {
		now := l.Now()
		start := time.Now()
		if err := l.Evaluate(ctx, now); err != nil {
			switch {
			case ctx.Err() != nil:
			case errors.Is(err, ErrLeaseHeld):
				l.Logger.Debug("another replica is evaluating levels: trying again later", "err", err, "in", l.MinGap)
				if gapC == nil {
					gap = time.NewTimer(l.MinGap)
					gapC = gap.C
				}
			default:
				l.Logger.Error("evaluate levels", "err", err)
			}
			return
		}
		last = now
		l.Logger.Debug("levels evaluated", "took", time.Since(start).Round(time.Millisecond))
	}
	run()
	every := time.NewTimer(l.Every)
	defer every.Stop()
	for {
		select {
		case <-ctx.Done():
			if gap != nil {
				gap.Stop()
			}
			return
		case <-every.C:
			run()
			every.Reset(l.Every)
		case <-l.kick:
			if gapC != nil {
				continue // one is already waiting for the gap
			}
			wait := l.MinGap - l.Now().Sub(last)
			if wait <= 0 {
				run()
				every.Reset(l.Every)
				continue
			}
			gap = time.NewTimer(wait)
			gapC = gap.C
		case <-gapC:
			gap, gapC = nil, nil
			run()
			every.Reset(l.Every)
		}
	}
}
