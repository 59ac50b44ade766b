package sqlite

import (
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"fmt"
	"maps"
	"slices"
	"time"

	"github.com/rollcall-dev/rollcall/connectors"
	"github.com/rollcall-dev/rollcall/crm"
)

// The statements of Apply (prepared once, see writeStatements).
const (
	updateCountsSQL = `UPDATE activities SET reactions_total = ?, reactions = ?
		WHERE key = ? AND (reactions_total IS NOT ? OR reactions <> ?)`
	// updateTextSQL also matches a text never scored (stored before sentiment).
	updateTextSQL       = `UPDATE activities SET text = ? WHERE key = ? AND (text <> ? OR sentiment IS NULL)`
	setSentimentSQL     = `UPDATE activities SET sentiment = ?1 WHERE key = ?2 AND sentiment IS NOT ?1`
	memberOfIdentitySQL = `SELECT member_id FROM identities WHERE id = ?`
	// markRefDirtySQL marks the identity of an account ref for the resolver.
	markRefDirtySQL = `INSERT INTO identity_dirty (identity_id)
		SELECT id FROM identities WHERE platform = ? AND instance = ? AND external_id = ?
		ON CONFLICT (identity_id) DO UPDATE SET gen = gen + 1`
	putCursorSQL = `INSERT INTO cursors (source, state, updated_at) VALUES (?, ?, ?)
		ON CONFLICT (source) DO UPDATE SET state = excluded.state, updated_at = excluded.updated_at
		WHERE state IS NOT excluded.state`
	clearETagsSQL      = `DELETE FROM etags WHERE source = ?`
	clearMissingSQL    = `DELETE FROM missing WHERE source = ?`
	identityIDByRefSQL = `SELECT id FROM identities WHERE platform = ? AND instance = ? AND external_id = ?`
	insertIdentitySQL  = `INSERT INTO identities
		(platform, instance, external_id, username, name, url, avatar_url, emails, links,
		 followers, bot, profile_fetched_at, first_seen_at, updated_at, verified_links, network_id, reputation)
		VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`
	updateIdentitySQL = `UPDATE identities SET username = ?, name = ?, url = ?, avatar_url = ?,
		emails = ?, links = ?, followers = ?, bot = ?, profile_fetched_at = ?, updated_at = ?,
		verified_links = ?, network_id = ?, reputation = ?
		WHERE id = ?`
)

// Apply commits b, the source's next cursor state and its ETags in one
// transaction, and counts the activities and accounts that were new.
//
// Accounts are upserted by AccountRef. A full profile (non-zero
// ProfileFetchedAt) replaces the stored profile fields, unless the stored
// profile is newer. A reference-only account never clears a field: it fills
// the fields it carries, and once a full profile is stored, only the empty
// ones. E-mails and links are always merged as sets (sorted, unique).
// An activity whose actor is neither in the batch nor stored gets a minimal
// identity from its ref, so no activity is lost. A known activity (same
// key) is not stored again; only its reaction counts and text excerpt
// follow the batch when it carries them (nil Reactions, empty Text leave
// the stored ones). New identities are
// unassigned. Forgotten accounts (see Forget) are skipped silently, with
// their activities and any evidence naming them. The name and primary
// identity of each member whose identities or activities changed are
// recomputed. The stored cursor state becomes b.Next.State, the stored
// ETags and missing objects become exactly b.Next.ETags and b.Next.Missing,
// and b.Objects are written to the source's per-object state (see Objects). A batch with an activity without key
// or actor, or an account or evidence without ref, is rejected whole. Its
// text is stored as crm.StorableBatch cleans it (no NUL bytes, valid
// UTF-8), as in the PostgreSQL store.
func (s *Store) Apply(ctx context.Context, source string, b connectors.Batch) (crm.ApplyResult, error) {
	res, err := s.apply(ctx, source, crm.StorableBatch(b))
	if err != nil {
		return crm.ApplyResult{}, fmt.Errorf("sqlite: apply batch of source %q: %w", source, describe(s.path, err))
	}
	return res, nil
}

func (s *Store) apply(ctx context.Context, source string, b connectors.Batch) (crm.ApplyResult, error) {
	var res crm.ApplyResult
	if err := crm.ValidateBatch(source, b); err != nil {
		return res, err
	}
	now := s.now()
	tx, err := s.beginWrite(ctx)
	if err != nil {
		return res, fmt.Errorf("begin: %w", err)
	}
	defer tx.Rollback()

	ts := s.tombs(tx)
	forgotten := func(ref connectors.AccountRef) (bool, error) {
		f, err := ts.has(ctx, ref)
		if err != nil {
			return false, fmt.Errorf("check tombstone of %s: %w", ref, err)
		}
		return f, nil
	}
	ids := make(map[connectors.AccountRef]int64, len(b.Accounts))
	var touched []int64 // members whose identities or activities changed
	touch := func(m int64) {
		if m != 0 && !slices.Contains(touched, m) {
			touched = append(touched, m)
		}
	}
	var accounts []connectors.Account
	for _, a := range b.Accounts {
		if f, err := forgotten(a.AccountRef); err != nil || f {
			if err != nil {
				return res, err
			}
			continue
		}
		accounts = append(accounts, a)
	}
	// The stored identities of the accounts, read at once. An account the
	// batch repeats reads its identity again, as written.
	storedIDs, err := storedIdentities(ctx, tx, accounts)
	if err != nil {
		return res, fmt.Errorf("read %d accounts: %w", len(accounts), err)
	}
	for _, a := range accounts {
		pre, ok := storedIDs[a.AccountRef]
		delete(storedIDs, a.AccountRef)
		var id, member int64
		var created bool
		var err error
		if ok {
			id, created, member, err = upsertAccountOver(ctx, tx, a, now, pre)
		} else {
			id, created, member, err = upsertAccount(ctx, tx, a, now)
		}
		if err != nil {
			return res, fmt.Errorf("store account %s: %w", a.AccountRef, err)
		}
		ids[a.AccountRef] = id
		if created {
			res.NewAccounts++
		}
		if err := keepStaff(ctx, tx, id, a); err != nil {
			return res, fmt.Errorf("store staff flag of %s: %w", a.AccountRef, err)
		}
		touch(member)
	}

	memberOfIdentity := make(map[int64]int64)
	scores := scoreDelta{decay: s.decay()}
	added := make(map[int64]*identityStats)
	var addedOrder []int64
	// The activities: each one's actor and values first, then their rows
	// in multi-row INSERTs, then, in batch order, what follows from each
	// one being new or known.
	rows := make([]activityRow, 0, len(b.Activities))
	for i := range b.Activities {
		a := &b.Activities[i]
		id, ok := ids[a.Actor]
		if !ok {
			if f, err := forgotten(a.Actor); err != nil || f {
				if err != nil {
					return res, err
				}
				continue
			}
			var created bool
			id, created, err = ensureIdentity(ctx, tx, a.Actor, now)
			if err != nil {
				return res, fmt.Errorf("store actor %s of activity %s: %w", a.Actor, a.Key, err)
			}
			ids[a.Actor] = id
			if created {
				res.NewAccounts++
			}
		}
		total, byKind, err := crm.EncodeReactions(a.Reactions)
		if err != nil {
			return res, fmt.Errorf("store activity %s: %w", a.Key, err)
		}
		r := activityRow{a: a, id: id, total: total, byKind: byKind, drop: s.dropText.Load()}
		r.text = a.Text
		if r.drop {
			r.text = ""
		}
		rows = append(rows, r)
	}
	stored, err := storedActivities(ctx, tx, rows)
	if err != nil {
		return res, err
	}
	// newAt is the position in rows of each activity this batch stores
	// (the first of a key the batch repeats); fresh are their rows, with
	// their texts' sentiment.
	newAt := make(map[string]int, len(rows))
	var fresh []activityRow
	for i, r := range rows {
		if _, ok := newAt[r.a.Key]; ok || stored[r.a.Key] {
			continue
		}
		newAt[r.a.Key] = i
		if r.a.Text != "" {
			r.sentiment = s.vader.Polarity(r.a.Text).Compound
		}
		fresh = append(fresh, r)
	}
	if err := insertActivities(ctx, tx, source, now, fresh); err != nil {
		return res, err
	}
	if err := addInteractions(ctx, tx, fresh, newAt); err != nil {
		return res, err
	}
	for i, r := range rows {
		a, id, total, byKind, text, drop := r.a, r.id, r.total, r.byKind, r.text, r.drop
		// The excerpt's sentiment is kept even when the excerpt is not.
		// It is scored only for a new activity or a changed text: a
		// known post read again on a refresh costs no scoring.
		setMood := func() error {
			_, err := tx.ExecContext(ctx, setSentimentSQL, s.vader.Polarity(a.Text).Compound, a.Key)
			return err
		}
		if at, ok := newAt[a.Key]; !ok || at != i {
			// A known activity keeps its row; only the counts and the
			// excerpt follow what the service says now (a batch without
			// counts or text leaves them alone; equal ones write nothing).
			if a.Reactions != nil {
				if _, err := tx.ExecContext(ctx, updateCountsSQL, total, byKind, a.Key, total, byKind); err != nil {
					return res, fmt.Errorf("update counts of activity %s: %w", a.Key, err)
				}
			}
			if a.Text != "" {
				// An edited post: its text (when kept) and its sentiment
				// follow. Without kept text an edit cannot be seen, so
				// the text is scored again.
				changed := drop
				if !drop {
					// Also a text never scored (stored before sentiment).
					r, err := tx.ExecContext(ctx, updateTextSQL, text, a.Key, text)
					if err != nil {
						return res, fmt.Errorf("update text of activity %s: %w", a.Key, err)
					}
					n, err := r.RowsAffected()
					if err != nil {
						return res, fmt.Errorf("update text of activity %s: %w", a.Key, err)
					}
					changed = n > 0
				}
				if changed {
					if err := setMood(); err != nil {
						return res, fmt.Errorf("update sentiment of activity %s: %w", a.Key, err)
					}
				}
			}
			continue
		}
		res.NewActivities++
		scores.Add(id, *a)
		st := added[id]
		if st == nil {
			st = &identityStats{}
			added[id] = st
			addedOrder = append(addedOrder, id)
		}
		st.add(a.OccurredAt)
		m, ok := memberOfIdentity[id]
		if !ok {
			var mid sql.NullInt64
			if err := tx.QueryRowContext(ctx, memberOfIdentitySQL, id).Scan(&mid); err != nil {
				return res, fmt.Errorf("member of actor %s: %w", a.Actor, err)
			}
			m = mid.Int64
			memberOfIdentity[id] = m
		}
		touch(m)
	}
	for _, id := range addedOrder {
		if err := addIdentityStats(ctx, tx, id, *added[id]); err != nil {
			return res, err
		}
	}
	if err := scores.flush(ctx, tx); err != nil {
		return res, err
	}
	for _, m := range touched {
		if err := recomputeMember(ctx, tx, m); err != nil {
			return res, fmt.Errorf("name member %d: %w", m, err)
		}
	}

	var evidence []connectors.Evidence
	for _, e := range b.Evidence {
		fa, err := forgotten(e.A)
		if err != nil {
			return res, err
		}
		fb, err := forgotten(e.B)
		if err != nil {
			return res, err
		}
		if !fa && !fb {
			evidence = append(evidence, e)
		}
	}
	if err := putEvidence(ctx, tx, source, now, evidence); err != nil {
		return res, err
	}

	if err := putCursor(ctx, tx, source, b.Next, now); err != nil {
		return res, err
	}
	if err := putObjects(ctx, tx, source, b.Objects); err != nil {
		return res, err
	}
	// A fenced batch commits only while its lease is held (the check is
	// inside the write transaction: no other writer can take the lease
	// between it and the commit).
	if f, ok := crm.FenceFrom(ctx); ok {
		if err := checkFence(ctx, tx, source, f); err != nil {
			return res, err
		}
	}
	if err := tx.Commit(); err != nil {
		return res, fmt.Errorf("commit: %w", err)
	}
	return res, nil
}

// insertActivitiesSQL stores new activities, rowsChunk rows a statement.
var insertActivitiesSQL = multiRow{
	head: `INSERT INTO activities
	(key, platform, instance, type, occurred_at, identity_id, url, title, channel, parent_key, source, ingested_at,
	 reactions_total, reactions, text, sentiment)`,
	cols: 16,
}

// storedActivitiesSQL returns which keys of a JSON array are stored.
const storedActivitiesSQL = `SELECT key FROM activities WHERE key IN (SELECT value FROM json_each(?))`

// activityRow is an activity of a batch with the values Apply stores.
type activityRow struct {
	a      *connectors.Activity
	id     int64  // its actor's identity
	total  *int64 // reactions (crm.EncodeReactions)
	byKind string
	text   string // the text kept: a.Text, or none when drop
	drop   bool   // whether text excerpts are not kept
	// sentiment is the score of a.Text (nil: none) of a new activity:
	// the excerpt's sentiment is kept even when the excerpt is not.
	sentiment any
}

// storedActivities returns the keys of rows already stored.
func storedActivities(ctx context.Context, tx querier, rows []activityRow) (map[string]bool, error) {
	stored := make(map[string]bool)
	if len(rows) == 0 {
		return stored, nil
	}
	keys := make([]string, len(rows))
	for i, r := range rows {
		keys[i] = r.a.Key
	}
	list, err := json.Marshal(keys)
	if err != nil {
		return nil, fmt.Errorf("look up %d activities: %w", len(rows), err)
	}
	q, err := tx.QueryContext(ctx, storedActivitiesSQL, string(list))
	if err != nil {
		return nil, fmt.Errorf("look up %d activities: %w", len(rows), err)
	}
	defer q.Close()
	for q.Next() {
		var k string
		if err := q.Scan(&k); err != nil {
			return nil, fmt.Errorf("look up %d activities: %w", len(rows), err)
		}
		stored[k] = true
	}
	if err := q.Err(); err != nil {
		return nil, fmt.Errorf("look up %d activities: %w", len(rows), err)
	}
	return stored, nil
}

// insertActivities inserts the rows of new activities
// (insertActivitiesSQL).
func insertActivities(ctx context.Context, tx querier, source string, now time.Time, rows []activityRow) error {
	ingested := formatTime(now)
	return execRows(ctx, tx, insertActivitiesSQL, len(rows), func(dst []any, i int) []any {
		r := rows[i]
		a := r.a
		return append(dst, a.Key, a.Platform, a.Instance, a.Type, formatTime(a.OccurredAt), r.id,
			a.URL, a.Title, a.Channel, a.ParentKey, source, ingested,
			r.total, r.byKind, r.text, r.sentiment)
	}, func(lo, hi int) string { return "store activity " + rows[lo].a.Key + andMore(hi-lo-1) })
}

// decodeReactions is the inverse of encodeReactions: nil for a NULL
// reactions_total (the service reported none).
func decodeReactions(total sql.NullInt64, byKind string) (*connectors.Reactions, error) {
	if !total.Valid {
		return nil, nil
	}
	r := &connectors.Reactions{Total: int(total.Int64)}
	if byKind != "" {
		if err := json.Unmarshal([]byte(byKind), &r.ByKind); err != nil {
			return nil, fmt.Errorf("decode reactions %q: %w", byKind, err)
		}
	}
	return r, nil
}

// putCursor replaces the source's cursor state, ETags and missing objects.
func putCursor(ctx context.Context, tx querier, source string, c connectors.Cursor, now time.Time) error {
	var state any
	if c.State != nil {
		state = []byte(c.State)
	}
	if _, err := tx.ExecContext(ctx, putCursorSQL, source, state, formatTime(now)); err != nil {
		return fmt.Errorf("store cursor: %w", err)
	}
	if _, err := tx.ExecContext(ctx, clearETagsSQL, source); err != nil {
		return fmt.Errorf("clear etags: %w", err)
	}
	urls := slices.Sorted(maps.Keys(c.ETags))
	if err := execRows(ctx, tx, insertETagsSQL, len(urls), func(dst []any, i int) []any {
		return append(dst, source, urls[i], c.ETags[urls[i]])
	}, func(lo, hi int) string { return "store etag of " + urls[lo] + andMore(hi-lo-1) }); err != nil {
		return err
	}
	if _, err := tx.ExecContext(ctx, clearMissingSQL, source); err != nil {
		return fmt.Errorf("clear missing objects: %w", err)
	}
	keys := slices.Sorted(maps.Keys(c.Missing))
	return execRows(ctx, tx, insertMissingSQL, len(keys), func(dst []any, i int) []any {
		return append(dst, source, keys[i], formatTime(c.Missing[keys[i]]))
	}, func(lo, hi int) string { return "store missing object " + keys[lo] + andMore(hi-lo-1) })
}

// The multi-row statements of putCursor and putEvidence.
var (
	insertETagsSQL   = multiRow{head: `INSERT INTO etags (source, url, etag)`, cols: 3}
	insertMissingSQL = multiRow{head: `INSERT INTO missing (source, key, until)`, cols: 3}
	// insertEvidenceSQL returns the evidence it stored (new evidence).
	insertEvidenceSQL = multiRow{head: `INSERT INTO evidence (kind, a_ref, b_ref, source, observed_at)`, cols: 5,
		tail: `ON CONFLICT DO NOTHING RETURNING kind, a_ref, b_ref`}
)

// putEvidence stores evidence (insertEvidenceSQL) and marks both
// identities of each one new for the resolver.
func putEvidence(ctx context.Context, tx querier, source string, now time.Time, evidence []connectors.Evidence) error {
	observed := formatTime(now)
	type triple struct{ kind, a, b string }
	stored := make(map[triple]bool)
	err := queryRows(ctx, tx, insertEvidenceSQL, len(evidence), func(dst []any, i int) []any {
		e := evidence[i]
		return append(dst, e.Kind, e.A.String(), e.B.String(), source, observed)
	}, func(lo, hi int) string {
		e := evidence[lo]
		return fmt.Sprintf("store evidence %s %s-%s%s", e.Kind, e.A, e.B, andMore(hi-lo-1))
	}, func(r *sql.Rows) error {
		var t triple
		if err := r.Scan(&t.kind, &t.a, &t.b); err != nil {
			return err
		}
		stored[t] = true
		return nil
	})
	if err != nil {
		return err
	}
	for _, e := range evidence {
		t := triple{e.Kind, e.A.String(), e.B.String()}
		if !stored[t] {
			continue // known, or repeated in the batch
		}
		delete(stored, t)
		// New evidence: both identities are resolved again.
		for _, ref := range []connectors.AccountRef{e.A, e.B} {
			if _, err := tx.ExecContext(ctx, markRefDirtySQL, ref.Platform, ref.Instance, ref.ExternalID); err != nil {
				return fmt.Errorf("mark %s for the resolver: %w", ref, err)
			}
		}
	}
	return nil
}

// ensureIdentity returns the id of the identity for ref, creating a minimal
// one when none is stored.
func ensureIdentity(ctx context.Context, tx querier, ref connectors.AccountRef, now time.Time) (int64, bool, error) {
	var id int64
	err := tx.QueryRowContext(ctx, identityIDByRefSQL, ref.Platform, ref.Instance, ref.ExternalID).Scan(&id)
	if err == nil {
		return id, false, nil
	}
	if err != sql.ErrNoRows {
		return 0, false, err
	}
	id, created, _, err := upsertAccount(ctx, tx, connectors.Account{AccountRef: ref}, now)
	return id, created, err
}

// upsertAccount stores a, merging it into the stored identity if any. When
// the stored identity belongs to a member and changed, changed is that
// member (its name and primary may change).
func upsertAccount(ctx context.Context, tx querier, a connectors.Account, now time.Time) (id int64, created bool, changed int64, err error) {
	old, err := identityByRef(ctx, tx, a.AccountRef)
	return upsertAccountOver(ctx, tx, a, now, lookup{old, err})
}

// lookup is what reading an account's identity found: the identity, or
// an error wrapping crm.ErrNotFound (identityByRef).
type lookup struct {
	id  crm.Identity
	err error
}

// storedIdentitiesSQL returns the identities of the accounts whose refs
// are in a JSON array of [platform, instance, external id] arrays.
const storedIdentitiesSQL = `SELECT ` + identityCols + ` FROM identities
	WHERE (platform, instance, external_id) IN (SELECT value ->> 0, value ->> 1, value ->> 2 FROM json_each(?))`

// storedIdentities reads, in one query, the identity of each of accounts,
// or crm.ErrNotFound (as identityByRef) for an account not stored.
func storedIdentities(ctx context.Context, tx querier, accounts []connectors.Account) (map[connectors.AccountRef]lookup, error) {
	out := make(map[connectors.AccountRef]lookup, len(accounts))
	if len(accounts) == 0 {
		return out, nil
	}
	refs := make([][3]string, len(accounts))
	for i, a := range accounts {
		refs[i] = [3]string{a.Platform, a.Instance, a.ExternalID}
		out[a.AccountRef] = lookup{err: fmt.Errorf("identity %s: %w", a.AccountRef, crm.ErrNotFound)}
	}
	list, err := json.Marshal(refs)
	if err != nil {
		return nil, err
	}
	rows, err := tx.QueryContext(ctx, storedIdentitiesSQL, string(list))
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	for rows.Next() {
		id, err := scanIdentity(rows)
		if err != nil {
			return nil, err
		}
		out[id.AccountRef] = lookup{id: id}
	}
	return out, rows.Err()
}

// upsertAccountOver is upsertAccount with the account's identity already
// read (old).
func upsertAccountOver(ctx context.Context, tx querier, a connectors.Account, now time.Time, pre lookup) (id int64, created bool, changed int64, err error) {
	old, err := pre.id, pre.err
	if errors.Is(err, crm.ErrNotFound) {
		r, err := tx.ExecContext(ctx, insertIdentitySQL,
			a.Platform, a.Instance, a.ExternalID, a.Username, a.Name, a.URL, a.AvatarURL,
			crm.EncodeSet(crm.MergeSet(a.Emails, nil)), crm.EncodeSet(crm.MergeSet(a.Links, nil)),
			a.Followers, a.Bot, nullTime(a.ProfileFetchedAt), formatTime(now), formatTime(now),
			crm.EncodeSet(crm.MergeSet(a.VerifiedLinks, nil)), a.NetworkID, a.Reputation)
		if err != nil {
			return 0, false, 0, err
		}
		id, err := r.LastInsertId()
		if err == nil {
			err = markDirty(ctx, tx, id)
		}
		return id, true, 0, err
	}
	if err != nil {
		return 0, false, 0, err
	}
	next := crm.MergeAccount(old.Account, a)
	if crm.AccountEqual(old.Account, next) {
		return old.ID, false, 0, nil
	}
	changed = old.MemberID
	_, err = tx.ExecContext(ctx, updateIdentitySQL,
		next.Username, next.Name, next.URL, next.AvatarURL, crm.EncodeSet(next.Emails), crm.EncodeSet(next.Links),
		next.Followers, next.Bot, nullTime(next.ProfileFetchedAt), formatTime(now),
		crm.EncodeSet(next.VerifiedLinks), next.NetworkID, next.Reputation, old.ID)
	if err == nil {
		err = markDirty(ctx, tx, old.ID)
	}
	return old.ID, false, changed, err
}

// Cursor returns the source's committed cursor state, ETags and missing
// objects; the zero
// Cursor when the source never committed a batch.
func (s *Store) Cursor(ctx context.Context, source string) (connectors.Cursor, error) {
	var c connectors.Cursor
	var state []byte
	err := s.r.QueryRowContext(ctx, `SELECT state FROM cursors WHERE source = ?`, source).Scan(&state)
	if err == sql.ErrNoRows {
		return c, nil
	}
	if err != nil {
		return c, fmt.Errorf("sqlite: read cursor of source %q: %w", source, describe(s.path, err))
	}
	if state != nil {
		c.State = slices.Clone(state)
	}
	rows, err := s.r.QueryContext(ctx, `SELECT url, etag FROM etags WHERE source = ?`, source)
	if err != nil {
		return c, fmt.Errorf("sqlite: read etags of source %q: %w", source, err)
	}
	defer rows.Close()
	for rows.Next() {
		var u, tag string
		if err := rows.Scan(&u, &tag); err != nil {
			return c, fmt.Errorf("sqlite: read etags of source %q: %w", source, err)
		}
		if c.ETags == nil {
			c.ETags = make(map[string]string)
		}
		c.ETags[u] = tag
	}
	if err := rows.Err(); err != nil {
		return c, fmt.Errorf("sqlite: read etags of source %q: %w", source, err)
	}
	if c.Missing, err = s.missing(ctx, source); err != nil {
		return c, fmt.Errorf("sqlite: read missing objects of source %q: %w", source, err)
	}
	return c, nil
}

// missing returns the source's missing objects (key → until), nil if none.
func (s *Store) missing(ctx context.Context, source string) (map[string]time.Time, error) {
	rows, err := s.r.QueryContext(ctx, `SELECT key, until FROM missing WHERE source = ?`, source)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var out map[string]time.Time
	for rows.Next() {
		var k, until string
		if err := rows.Scan(&k, &until); err != nil {
			return nil, err
		}
		t, err := parseTime(until)
		if err != nil {
			return nil, err
		}
		if out == nil {
			out = make(map[string]time.Time)
		}
		out[k] = t
	}
	return out, rows.Err()
}

// ProfileFetchedAt reports when the account's full profile was stored; ok
// is false for an account never stored with a full profile. ref is looked
// up as Apply stored it (crm.StorableRef).
func (s *Store) ProfileFetchedAt(ctx context.Context, ref connectors.AccountRef) (time.Time, bool, error) {
	ref = crm.StorableRef(ref)
	var fetched sql.NullString
	err := s.r.QueryRowContext(ctx, `SELECT profile_fetched_at FROM identities
		WHERE platform = ? AND instance = ? AND external_id = ?`, ref.Platform, ref.Instance, ref.ExternalID).Scan(&fetched)
	if err == sql.ErrNoRows {
		return time.Time{}, false, nil
	}
	if err != nil {
		return time.Time{}, false, fmt.Errorf("sqlite: read profile time of %s: %w", ref, err)
	}
	t, err := parseNullTime(fetched)
	if err != nil {
		return time.Time{}, false, fmt.Errorf("sqlite: read profile time of %s: %w", ref, err)
	}
	return t, !t.IsZero(), nil
}

// SetKeepText false makes Apply keep each text excerpt's sentiment score
// but not the excerpt (config privacy.keep_text: false); true (the
// default) keeps both. Safe to call while the store is in use.
func (s *Store) SetKeepText(keep bool) { s.dropText.Store(!keep) }

// DeleteText deletes every stored text excerpt (config privacy.keep_text:
// false, at start-up) in one UPDATE, and returns how many activities had
// one. When there were any it then scrubs the file (see Scrub), so that no
// excerpt lingers in the database or its write-ahead log.
func (s *Store) DeleteText(ctx context.Context) (int64, error) {
	r, err := s.w.ExecContext(ctx, `UPDATE activities SET text = '' WHERE text <> ''`)
	if err != nil {
		return 0, fmt.Errorf("sqlite: delete text excerpts: %w", err)
	}
	n, err := r.RowsAffected()
	if err != nil {
		return 0, fmt.Errorf("sqlite: delete text excerpts: %w", err)
	}
	if n > 0 {
		if err := s.Scrub(ctx); err != nil {
			return n, fmt.Errorf("sqlite: text excerpts deleted, but %w", err)
		}
	}
	return n, nil
}
