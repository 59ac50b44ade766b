package crm

import (
	"context"
	"errors"
	"time"
)

// Lease says which replica of the daemon fetches a source: the holder
// renews it before Expires; another replica may take it once it has
// expired. Token grows by one each time the lease changes hands (or is
// taken again after it lapsed), and every batch a holder commits carries
// it (WithFence), so that a replica that stalled past its lease can
// never commit over its successor.
type Lease struct {
	Source   string    `json:"source"`
	Holder   string    `json:"holder"`
	Token    int64     `json:"token"`
	Expires  time.Time `json:"expires"`
	Acquired time.Time `json:"acquired"`
}

// Held reports whether the lease is held (not expired) at now.
func (l Lease) Held(now time.Time) bool { return l.Holder != "" && now.Before(l.Expires) }

// ErrLeaseLost is returned by a fenced write, or a renewal, whose lease
// another replica has taken.
var ErrLeaseLost = errors.New("lease lost: the source's lease is no longer held by this replica")

// Fence is what a fenced write checks in its transaction: that Source's
// lease is still Holder's with Token, that is that no replica has taken it
// since (one that lapsed but was not taken still fences: nobody else has
// the source).
type Fence struct {
	Source string
	Holder string
	Token  int64
}

type fenceKey struct{}

// WithFence returns ctx carrying f: a store's Apply for f.Source commits
// only if the lease is still held as f says, else it commits nothing and
// returns an error wrapping ErrLeaseLost.
func WithFence(ctx context.Context, f Fence) context.Context {
	return context.WithValue(ctx, fenceKey{}, f)
}

// FenceFrom returns the fence ctx carries, if any.
func FenceFrom(ctx context.Context) (Fence, bool) {
	f, ok := ctx.Value(fenceKey{}).(Fence)
	return f, ok
}

// ResolverLease is the name of the lease that the replica resolving
// identities holds meanwhile, so that two replicas never resolve at once.
// It never names a source (source names have no '@').
const ResolverLease = "@resolver"
