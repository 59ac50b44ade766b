package crm

import (
	"context"
	"crypto/sha256"
	"encoding/binary"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"math"
	"math/bits"
	"slices"
	"strings"
)

// CopyTable is one table that `rollcall migrate` copies from one store to
// another: both stores keep it with these columns and the same value
// representations (times as fixed-width RFC 3339 text, JSON as text,
// flags as 0/1 integers), so that rows copy one to one and hash alike.
type CopyTable struct {
	Name string
	// Columns are the columns copied and hashed, in this order.
	Columns []string
	// Key is the primary key (a prefix of Columns): the copy reads rows
	// in key order, and resumes after the last key it committed.
	Key int
}

// KeyColumns returns the table's key columns.
func (t CopyTable) KeyColumns() []string { return t.Columns[:t.Key] }

// CopyTables are the tables of a store, in the order a copy writes them
// (members before their identities, identities before their activities).
// Left out: schema_migrations (each store its own), member_search (each
// store's own search index, rebuilt by the target), leases (which replica
// fetches which source), resolver_lock, levels_lock and forget_lock
// (PostgreSQL's lock rows): state of the running daemons, not data.
// Evidence has no key of its own in SQLite; its id there is the rowid.
var CopyTables = []CopyTable{
	{"settings", []string{"key", "value"}, 1},
	{"members", []string{"id", "name", "name_override", "primary_identity_id", "created_at", "primary_override",
		"identity_count", "activity_count", "first_seen", "last_seen", "role_mark"}, 1},
	{"identities", []string{"id", "member_id", "platform", "instance", "external_id", "username", "name", "url", "avatar_url",
		"emails", "links", "followers", "bot", "profile_fetched_at", "first_seen_at", "updated_at", "verified_links", "network_id",
		"activity_count", "first_activity_at", "last_activity_at", "staff", "reputation"}, 1},
	{"identity_keys", []string{"hash", "identity_id"}, 2},
	{"identity_dirty", []string{"identity_id", "gen"}, 1},
	{"activities", []string{"key", "platform", "instance", "type", "occurred_at", "identity_id", "url", "title", "channel",
		"parent_key", "source", "ingested_at", "reactions_total", "reactions", "text", "sentiment"}, 1},
	{"evidence", []string{"id", "kind", "a_ref", "b_ref", "source", "observed_at"}, 1},
	{"cursors", []string{"source", "state", "updated_at"}, 1},
	{"etags", []string{"source", "url", "etag"}, 2},
	{"missing", []string{"source", "key", "until"}, 2},
	{"objects", []string{"source", "key", "value"}, 2},
	{"audit_log", []string{"id", "at", "actor", "action", "member_id", "identity_id", "detail"}, 1},
	{"identity_joins", []string{"id", "identity_id", "member_id", "audit_id"}, 1},
	{"decisions", []string{"id", "kind", "a_ref", "b_ref", "actor", "reason", "at"}, 1},
	{"suggestions", []string{"id", "a_ref", "b_ref", "confidence", "reasons", "status", "created", "decided_at", "decided_by"}, 1},
	{"tombstones", []string{"hash", "at"}, 1},
	{"identity_scores", []string{"identity_id", "tallies", "channels", "weeks", "weeks_at", "months", "months_at"}, 1},
	{"score_meta", []string{"key", "value"}, 1},
	{"interactions", []string{"from_identity", "to_identity", "n", "last_at"}, 2},
	{"member_levels", []string{"member_id", "level", "since", "below_since", "champion", "slipping", "evaluated_at"}, 1},
	{"level_history", []string{"id", "member_id", "at", "level", "previous"}, 1},
	{"outbox", []string{"id", "event", "member_id", "body", "created_at", "attempts", "next_attempt_at", "delivered_at",
		"failed", "last_error"}, 1},
	{"champion_ranks", []string{"kind", "platform", "staff", "rank", "member_id", "helped", "connects", "contacts", "gain"}, 4},
	{"health_reports", []string{"platform", "staff", "period_seconds", "body"}, 3},
}

// Row is one row of a CopyTable, its values in the table's column order:
// nil, int64, float64, string or []byte.
type Row []any

// CopySource is a store read for a copy.
type CopySource interface {
	// CopyRows returns at most limit rows of t in key order, after the
	// key after (nil: from the first).
	CopyRows(ctx context.Context, t CopyTable, after Row, limit int) ([]Row, error)
	// CopyFingerprint names the store (a hash of its tombstone salt), so
	// that an interrupted copy resumes only from the same source.
	CopyFingerprint(ctx context.Context) (string, error)
}

// CopyProgress is what a target keeps of an interrupted copy: per table
// the last key committed, and whether the table is done.
type CopyProgress struct {
	// Source is the source's CopyFingerprint.
	Source string `json:"source"`
	// Append is whether the copy adds to a target that had rows: without
	// it, the target's own settings (the salt Open made) give way to the
	// source's.
	Append bool                     `json:"append"`
	Tables map[string]TableProgress `json:"tables"`
}

// TableProgress is one table's part of a CopyProgress.
type TableProgress struct {
	// Last is the key of the last row committed (nil: none yet).
	Last Row   `json:"last"`
	Rows int64 `json:"rows"`
	Done bool  `json:"done"`
}

// CopyTarget is a store written by a copy.
type CopyTarget interface {
	CopySource
	// CopyCounts returns the number of rows of each CopyTable.
	CopyCounts(ctx context.Context) (map[string]int64, error)
	// CopyProgress returns the progress of an interrupted copy into this
	// store; ok is false when no copy is under way.
	CopyProgress(ctx context.Context) (p CopyProgress, ok bool, err error)
	// CopyWrite inserts rows into t and records progress, in one
	// transaction: after a crash the target has both or neither. Rows
	// whose key the target already has are left out when they are equal
	// and an error wrapping ErrCopyConflict when they differ. It returns
	// the number of rows inserted.
	CopyWrite(ctx context.Context, t CopyTable, rows []Row, p CopyProgress) (int64, error)
	// CopyFinish ends a copy: it brings the target's own derived state
	// up to date (id sequences, the search index) and deletes the
	// progress.
	CopyFinish(ctx context.Context) error
}

// Copy errors.
var (
	// ErrCopyTargetNotEmpty: the target has data and the copy was not told
	// to append.
	ErrCopyTargetNotEmpty = errors.New("target store is not empty")
	// ErrCopyConflict: the target has a row with the key of a source row
	// but other content.
	ErrCopyConflict = errors.New("target has a different row with the same key")
)

// CopyOptions tune CopyStore.
type CopyOptions struct {
	// Append allows a target that already has rows: rows it lacks are
	// added, equal rows skipped, a different row with the same key stops
	// the copy (ErrCopyConflict).
	Append bool
	// Batch is the number of rows per transaction (default 2,000).
	Batch int
	// Progress, when set, is told after each committed batch.
	Progress func(table string, rows int64)
}

// TableCopy is one table's outcome.
type TableCopy struct {
	Table string `json:"table"`
	// Source and Target are the row counts after the copy.
	Source int64 `json:"source_rows"`
	Target int64 `json:"target_rows"`
	// Copied is the number of rows this run inserted.
	Copied int64 `json:"copied"`
	// SourceHash and TargetHash are ContentHash of each side's rows.
	SourceHash string `json:"source_hash"`
	TargetHash string `json:"target_hash"`
}

// CopyReport is CopyStore's outcome; Equal is true when every table has
// the same count and hash on both sides (for an Append copy into a
// store with more rows, Contained says every source row is in the target).
type CopyReport struct {
	Resumed   bool        `json:"resumed"`
	Tables    []TableCopy `json:"tables"`
	Equal     bool        `json:"equal"`
	Contained bool        `json:"contained"`
}

// CopyStore copies every CopyTable from src into dst, in batches each
// committed with the copy's progress, so that a copy interrupted at any
// point resumes (the same call again) where it stopped. It refuses a
// target that has rows unless opt.Append, and a target holding another
// source's interrupted copy. It ends by counting and hashing both sides.
func CopyStore(ctx context.Context, src CopySource, dst CopyTarget, opt CopyOptions) (CopyReport, error) {
	var rep CopyReport
	if opt.Batch <= 0 {
		opt.Batch = 2000
	}
	fp, err := src.CopyFingerprint(ctx)
	if err != nil {
		return rep, fmt.Errorf("copy: read the source: %w", err)
	}
	prog, ok, err := dst.CopyProgress(ctx)
	if err != nil {
		return rep, fmt.Errorf("copy: read the target's progress: %w", err)
	}
	switch {
	case ok && prog.Source != fp:
		return rep, fmt.Errorf("copy: the target holds an interrupted copy of another store: %w", ErrCopyTargetNotEmpty)
	case ok:
		rep.Resumed = true
	default:
		if !opt.Append {
			counts, err := dst.CopyCounts(ctx)
			if err != nil {
				return rep, fmt.Errorf("copy: count the target's rows: %w", err)
			}
			if n := dataRows(counts); n > 0 {
				return rep, fmt.Errorf("copy: the target has %d members, %d identities and %d activities (pass --append to add to them): %w",
					counts["members"], counts["identities"], counts["activities"], ErrCopyTargetNotEmpty)
			}
		}
		prog = CopyProgress{Source: fp, Append: opt.Append, Tables: map[string]TableProgress{}}
	}
	copied := map[string]int64{}
	for _, t := range CopyTables {
		tp := prog.Tables[t.Name]
		for !tp.Done {
			rows, err := src.CopyRows(ctx, t, tp.Last, opt.Batch)
			if err != nil {
				return rep, fmt.Errorf("copy: read %s from the source: %w", t.Name, err)
			}
			if len(rows) > 0 {
				tp.Last = slices.Clone(rows[len(rows)-1][:t.Key])
				tp.Rows += int64(len(rows))
			}
			tp.Done = len(rows) < opt.Batch
			prog.Tables[t.Name] = tp
			n, err := dst.CopyWrite(ctx, t, rows, prog)
			if err != nil {
				return rep, fmt.Errorf("copy: write %s: %w", t.Name, err)
			}
			copied[t.Name] += n
			if opt.Progress != nil {
				opt.Progress(t.Name, tp.Rows)
			}
		}
	}
	if err := dst.CopyFinish(ctx); err != nil {
		return rep, fmt.Errorf("copy: finish: %w", err)
	}
	rep.Equal, rep.Contained = true, true
	for _, t := range CopyTables {
		sh, sn, err := ContentHash(ctx, src, t, opt.Batch)
		if err != nil {
			return rep, fmt.Errorf("copy: hash %s of the source: %w", t.Name, err)
		}
		th, tn, err := ContentHash(ctx, dst, t, opt.Batch)
		if err != nil {
			return rep, fmt.Errorf("copy: hash %s of the target: %w", t.Name, err)
		}
		rep.Tables = append(rep.Tables, TableCopy{Table: t.Name, Source: sn, Target: tn, Copied: copied[t.Name], SourceHash: sh, TargetHash: th})
		if sn != tn || sh != th {
			rep.Equal = false
		}
		if tn < sn {
			rep.Contained = false
		}
	}
	return rep, nil
}

// dataRows is the number of rows a store holds beyond what Open writes
// (settings and score_meta rows).
func dataRows(counts map[string]int64) int64 {
	var n int64
	for t, c := range counts {
		if t != "settings" && t != "score_meta" {
			n += c
		}
	}
	return n
}

// ContentHash hashes t's rows in s, independent of their order (each
// store orders text by its own collation): the hex SHA-256 of the row
// count and the sum, modulo 2^256, of each row's SHA-256 over its
// canonical encoding (RowHash). It returns the count too.
func ContentHash(ctx context.Context, s CopySource, t CopyTable, batch int) (string, int64, error) {
	var sum [4]uint64
	var n int64
	var after Row
	for {
		rows, err := s.CopyRows(ctx, t, after, batch)
		if err != nil {
			return "", 0, err
		}
		for _, r := range rows {
			h, err := RowHash(r)
			if err != nil {
				return "", 0, fmt.Errorf("row %d of %s: %w", n+1, t.Name, err)
			}
			var c uint64
			for i := 3; i >= 0; i-- {
				sum[i], c = bits.Add64(sum[i], binary.BigEndian.Uint64(h[i*8:]), c)
			}
			n++
		}
		if len(rows) < batch {
			break
		}
		after = rows[len(rows)-1][:t.Key]
	}
	var buf [40]byte
	for i := range 4 {
		binary.BigEndian.PutUint64(buf[i*8:], sum[i])
	}
	binary.BigEndian.PutUint64(buf[32:], uint64(n))
	h := sha256.Sum256(buf[:])
	return hex.EncodeToString(h[:]), n, nil
}

// RowHash is the SHA-256 of a row's canonical encoding: per value a type
// byte (0 null, 1 integer, 2 float, 3 text, 4 bytes), then the integer as
// 8 bytes, the float's IEEE bits as 8 bytes, or the text or bytes with
// their 8-byte length. Integers of any Go size and booleans encode as
// integers, so that the drivers' types do not matter.
func RowHash(r Row) ([32]byte, error) {
	h := sha256.New()
	var b [9]byte
	for _, v := range r {
		v = CanonicalValue(v)
		switch x := v.(type) {
		case nil:
			h.Write([]byte{0})
		case int64:
			b[0] = 1
			binary.BigEndian.PutUint64(b[1:], uint64(x))
			h.Write(b[:])
		case float64:
			b[0] = 2
			binary.BigEndian.PutUint64(b[1:], math.Float64bits(x))
			h.Write(b[:])
		case string:
			b[0] = 3
			binary.BigEndian.PutUint64(b[1:], uint64(len(x)))
			h.Write(b[:])
			h.Write([]byte(x))
		case []byte:
			b[0] = 4
			binary.BigEndian.PutUint64(b[1:], uint64(len(x)))
			h.Write(b[:])
			h.Write(x)
		default:
			return [32]byte{}, fmt.Errorf("value of type %T", v)
		}
	}
	var out [32]byte
	h.Sum(out[:0])
	return out, nil
}

// CanonicalValue maps a driver's value to one of nil, int64, float64,
// string and []byte (other values are returned unchanged).
func CanonicalValue(v any) any {
	switch x := v.(type) {
	case int:
		return int64(x)
	case int8:
		return int64(x)
	case int16:
		return int64(x)
	case int32:
		return int64(x)
	case uint8:
		return int64(x)
	case uint16:
		return int64(x)
	case uint32:
		return int64(x)
	case float32:
		return float64(x)
	case bool:
		if x {
			return int64(1)
		}
		return int64(0)
	}
	return v
}

// EncodeCopyProgress and DecodeCopyProgress are how a target stores a
// CopyProgress (JSON; keys keep their types: JSON numbers are integers
// in every key column).
func EncodeCopyProgress(p CopyProgress) (string, error) {
	b, err := json.Marshal(p)
	return string(b), err
}

// DecodeCopyProgress reads what EncodeCopyProgress wrote.
func DecodeCopyProgress(s string) (CopyProgress, error) {
	var p CopyProgress
	d := json.NewDecoder(strings.NewReader(s))
	d.UseNumber()
	if err := d.Decode(&p); err != nil {
		return p, fmt.Errorf("decode copy progress: %w", err)
	}
	for name, tp := range p.Tables {
		for i, v := range tp.Last {
			if n, ok := v.(json.Number); ok {
				k, err := n.Int64()
				if err != nil {
					return p, fmt.Errorf("decode copy progress of %s: key %q is not an integer", name, n)
				}
				tp.Last[i] = k
			}
		}
		p.Tables[name] = tp
	}
	return p, nil
}

// EqualRows reports whether two rows hold the same values, as RowHash
// encodes them (so whatever the drivers' integer types).
func EqualRows(a, b Row) (bool, error) {
	ha, err := RowHash(a)
	if err != nil {
		return false, err
	}
	hb, err := RowHash(b)
	if err != nil {
		return false, err
	}
	return ha == hb, nil
}

// StoreFingerprint names a store for CopySource.CopyFingerprint: a hash of
// its tombstone salt, which is made once per store and copied with it,
// without revealing the salt.
func StoreFingerprint(salt []byte) string {
	h := sha256.Sum256(append([]byte("rollcall store "), salt...))
	return hex.EncodeToString(h[:16])
}
