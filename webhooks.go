package main

import (
	"context"
	"errors"
	"fmt"
	"strconv"
	"time"

	"github.com/rollcall-dev/rollcall/crm"
)

// deliveryStore is what rollcall webhooks needs from a store.
type deliveryStore interface {
	crm.DeliveryLister
}

func cmdWebhooks(ctx context.Context, e *cliEnv, args []string) error {
	fs := e.newFlags("webhooks", "[retry ID]", "List the outbound webhook's deliveries (the outbox): by default the pending ones\n(still being retried) and the failed ones (attempts spent), newest first.\n'retry ID' puts a failed delivery back to pending, due now, with its attempts counted afresh.")
	status := fs.String("status", "", "which deliveries to list: pending, failed, delivered or all (default pending and failed)")
	format := fs.String("format", "table", "output `format`: table or json")
	limit := fs.Int("limit", 100, "list at most `N` deliveries")
	pos, err := e.parse(fs, args)
	if err != nil {
		return err
	}
	var f crm.DeliveryFilter
	switch *status {
	case "":
		f.Pending, f.Failed = true, true
	case "pending":
		f.Pending = true
	case "failed":
		f.Failed = true
	case "delivered":
		f.Delivered = true
	case "all":
		f.Pending, f.Failed, f.Delivered = true, true, true
	default:
		return usageErr("--status must be pending, failed, delivered or all, not %q", *status)
	}
	if *format != "table" && *format != "json" {
		return usageErr("--format must be table or json, not %q", *format)
	}
	if *limit < 1 || *limit > 10000 {
		return usageErr("--limit must be between 1 and 10000")
	}
	f.Limit = *limit
	if len(pos) > 0 && (len(pos) != 2 || pos[0] != "retry") {
		return usageErr("use 'webhooks' to list or 'webhooks retry ID'")
	}
	qs, closeFn, err := e.openQueryStore(ctx)
	if err != nil {
		return err
	}
	defer closeFn()
	st, ok := qs.(deliveryStore)
	if !ok {
		return fmt.Errorf("this store has no webhook outbox")
	}
	if len(pos) == 2 {
		id, err := strconv.ParseInt(pos[1], 10, 64)
		if err != nil {
			return usageErr("delivery ID must be a number, not %q", pos[1])
		}
		if err := st.RetryDelivery(ctx, id, time.Now()); err != nil {
			if errors.Is(err, crm.ErrNoDelivery) {
				return fmt.Errorf("no failed delivery %d (see 'rollcall webhooks --status failed')", id)
			}
			return err
		}
		fmt.Fprintf(e.stdout, "delivery %d is pending again; the daemon sends it on its next poll\n", id)
		return nil
	}
	ds, err := st.Deliveries(ctx, f)
	if err != nil {
		return fmt.Errorf("list webhook deliveries: %w", err)
	}
	if *format == "json" {
		if ds == nil {
			ds = []crm.Delivery{}
		}
		return writeJSON(e.stdout, ds)
	}
	rows := [][]string{{"ID", "EVENT", "MEMBER", "CREATED", "ATTEMPTS", "STATUS", "NEXT ATTEMPT", "LAST ERROR"}}
	for _, d := range ds {
		member := ""
		if d.MemberID != 0 {
			member = strconv.FormatInt(d.MemberID, 10)
		}
		state, next := "pending", tableTime(d.NextAttemptAt)
		switch {
		case !d.DeliveredAt.IsZero():
			state, next = "delivered "+tableTime(d.DeliveredAt), ""
		case d.Failed:
			state, next = "failed", ""
		}
		rows = append(rows, []string{strconv.FormatInt(d.ID, 10), d.Event, member, tableTime(d.CreatedAt),
			strconv.Itoa(d.Attempts), state, next, d.LastError})
	}
	writeTable(e.stdout, rows, e.width(), []int{7})
	if len(ds) == 0 {
		fmt.Fprintln(e.stdout, "no webhook deliveries")
	}
	return nil
}

// tableTime is a stored time for a table cell, in UTC; "" for none.
func tableTime(t time.Time) string {
	if t.IsZero() {
		return ""
	}
	return t.UTC().Format("2006-01-02 15:04:05Z")
}
