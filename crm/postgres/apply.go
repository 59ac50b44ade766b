package postgres

import (
	"cmp"
	"context"
	"errors"
	"fmt"
	"slices"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/rollcall-dev/rollcall/connectors"
	"github.com/rollcall-dev/rollcall/crm"
)

// Apply commits b, the source's next cursor state and its ETags in one
// transaction, and counts the activities and accounts that were new. It
// behaves as crm/sqlite's Apply (see there): accounts are upserted by
// AccountRef and merged as crm.MergeAccount says, an unknown actor gets a
// minimal identity, a known activity only has its reaction counts and
// text follow the batch, forgotten accounts are skipped with their
// activities and evidence, touched members are recomputed, and the cursor
// state, ETags and missing objects are replaced whole. The scoring inputs
// (identity_scores, interactions, sentiment) are kept in the same
// transaction. A conflict with a concurrent writer runs it again. Text
// PostgreSQL cannot hold (NUL bytes, invalid UTF-8) is cleaned first, as
// crm.Storable says, rather than failing the batch on every retry.
func (s *Store) Apply(ctx context.Context, source string, b connectors.Batch) (crm.ApplyResult, error) {
	b = crm.StorableBatch(b)
	if err := crm.ValidateBatch(source, b); err != nil {
		return crm.ApplyResult{}, fmt.Errorf("postgres: apply batch of source %q: %w", source, err)
	}
	var res crm.ApplyResult
	err := s.write(ctx, false, func(tx pgx.Tx) error {
		var err error
		res, err = s.apply(ctx, tx, source, b)
		return err
	})
	if err != nil {
		return crm.ApplyResult{}, fmt.Errorf("postgres: apply batch of source %q: %w", source, err)
	}
	return res, nil
}

// newActivity is an activity of the batch and what storing it found.
type newActivity struct {
	a        connectors.Activity
	identity int64
	text     string   // the text stored (none when dropped)
	mood     *float64 // the sentiment of a.Text, nil without text
}

func (s *Store) apply(ctx context.Context, tx pgx.Tx, source string, b connectors.Batch) (crm.ApplyResult, error) {
	var res crm.ApplyResult
	// Before any read: a forget running now ends first, and its
	// tombstones are then seen (forget_lock, migration 0007).
	var lock int64
	if err := tx.QueryRow(ctx, `SELECT id FROM forget_lock WHERE id = 1 FOR KEY SHARE`).Scan(&lock); err != nil {
		return res, fmt.Errorf("lock forget_lock: %w", err)
	}
	now := s.now()
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
	// The stored identities of the accounts, read (and locked) at once.
	// An account the batch repeats reads its identity again, as written.
	stored, err := storedIdentities(ctx, tx, accounts)
	if err != nil {
		return res, fmt.Errorf("read %d accounts: %w", len(accounts), err)
	}
	for _, a := range accounts {
		pre, ok := stored[a.AccountRef]
		delete(stored, a.AccountRef)
		var id, member int64
		var created bool
		var err error
		if ok {
			id, created, member, err = upsertAccountOver(ctx, tx, a, now, &pre)
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
		if a.Staff {
			// Staff evidence accumulates: a batch without it never clears it.
			if _, err := tx.Exec(ctx, `UPDATE identities SET staff = 1 WHERE id = $1 AND staff = 0`, id); err != nil {
				return res, fmt.Errorf("store staff flag of %s: %w", a.AccountRef, err)
			}
		}
		touch(member)
	}

	// The activities' actors, then every activity in one batch of inserts.
	var acts []newActivity
	drop := s.dropText.Load()
	for _, a := range b.Activities {
		id, ok := ids[a.Actor]
		if !ok {
			if f, err := forgotten(a.Actor); err != nil || f {
				if err != nil {
					return res, err
				}
				continue
			}
			var created bool
			var err error
			id, created, err = ensureIdentity(ctx, tx, a.Actor, now)
			if err != nil {
				return res, fmt.Errorf("store actor %s of activity %s: %w", a.Actor, a.Key, err)
			}
			ids[a.Actor] = id
			if created {
				res.NewAccounts++
			}
		}
		na := newActivity{a: a, identity: id, text: a.Text}
		if drop {
			na.text = ""
		}
		if a.Text != "" {
			// The excerpt's sentiment is kept even when the excerpt is not.
			m := s.vader.Polarity(a.Text).Compound
			na.mood = &m
		}
		acts = append(acts, na)
	}
	var batch pgx.Batch
	for _, na := range acts {
		a := na.a
		total, byKind, err := crm.EncodeReactions(a.Reactions)
		if err != nil {
			return res, fmt.Errorf("store activity %s: %w", a.Key, err)
		}
		batch.Queue(`INSERT INTO activities
			(key, platform, instance, type, occurred_at, identity_id, url, title, channel, parent_key, source, ingested_at,
			 reactions_total, reactions, text, sentiment)
			VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15, $16)
			ON CONFLICT (key) DO NOTHING`,
			a.Key, a.Platform, a.Instance, a.Type, formatTime(a.OccurredAt), na.identity,
			a.URL, a.Title, a.Channel, a.ParentKey, source, formatTime(now),
			total, byKind, na.text, na.mood)
	}
	isNew := make([]bool, len(acts))
	if err := sendBatch(ctx, tx, &batch, func(i int, n int64) { isNew[i] = n > 0 }); err != nil {
		return res, fmt.Errorf("store activities: %w", err)
	}

	// Known activities: only their counts and excerpt follow the batch
	// (equal ones write nothing).
	var known pgx.Batch
	for i, na := range acts {
		if isNew[i] {
			continue
		}
		a := na.a
		if a.Reactions != nil {
			total, byKind, _ := crm.EncodeReactions(a.Reactions)
			known.Queue(`UPDATE activities SET reactions_total = $1, reactions = $2
				WHERE key = $3 AND (reactions_total IS DISTINCT FROM $1 OR reactions <> $2)`, total, byKind, a.Key)
		}
		if a.Text != "" {
			if drop {
				// Without kept text an edit cannot be seen: score it again.
				known.Queue(`UPDATE activities SET sentiment = $1 WHERE key = $2 AND sentiment IS DISTINCT FROM $1`, na.mood, a.Key)
			} else {
				// An edited post (or a text never scored): text and sentiment follow.
				known.Queue(`UPDATE activities SET text = $1, sentiment = $2 WHERE key = $3
					AND (text <> $1 OR sentiment IS NULL OR sentiment IS DISTINCT FROM $2)`, na.text, na.mood, a.Key)
			}
		}
	}
	if err := sendBatch(ctx, tx, &known, nil); err != nil {
		return res, fmt.Errorf("update known activities: %w", err)
	}

	// New activities: identity stats, scoring inputs, interactions.
	added := make(map[int64]*identityStats)
	var addedOrder []int64
	var scores crm.ScoreDelta
	var fresh []newActivity
	for i, na := range acts {
		if !isNew[i] {
			continue
		}
		res.NewActivities++
		fresh = append(fresh, na)
		scores.Add(na.identity, na.a)
		st := added[na.identity]
		if st == nil {
			st = &identityStats{}
			added[na.identity] = st
			addedOrder = append(addedOrder, na.identity)
		}
		st.add(na.a.OccurredAt)
	}
	// In id order, so that concurrent batches lock identities alike.
	slices.Sort(addedOrder)
	var stats pgx.Batch
	for _, id := range addedOrder {
		st := added[id]
		stats.Queue(`UPDATE identities SET activity_count = activity_count + $1,
			first_activity_at = CASE WHEN first_activity_at IS NULL OR $2 < first_activity_at THEN $2 ELSE first_activity_at END,
			last_activity_at = CASE WHEN last_activity_at IS NULL OR $3 > last_activity_at THEN $3 ELSE last_activity_at END
			WHERE id = $4 RETURNING member_id`, st.n, st.first, st.last, id)
	}
	if len(addedOrder) > 0 {
		br := tx.SendBatch(ctx, &stats)
		for _, id := range addedOrder {
			var m *int64
			if err := br.QueryRow().Scan(&m); err != nil {
				br.Close()
				return res, fmt.Errorf("activity stats of identity %d: %w", id, err)
			}
			if m != nil {
				touch(*m)
			}
		}
		if err := br.Close(); err != nil {
			return res, fmt.Errorf("activity stats: %w", err)
		}
	}
	if err := flushScores(ctx, tx, &scores, s.decay()); err != nil {
		return res, err
	}
	if err := addInteractions(ctx, tx, fresh); err != nil {
		return res, err
	}
	slices.Sort(touched)
	for _, m := range touched {
		if err := recomputeMember(ctx, tx, m); err != nil {
			return res, fmt.Errorf("name member %d: %w", m, err)
		}
	}

	var ev pgx.Batch
	for _, e := range b.Evidence {
		fa, err := forgotten(e.A)
		if err != nil {
			return res, err
		}
		fb, err := forgotten(e.B)
		if err != nil {
			return res, err
		}
		if fa || fb {
			continue
		}
		// New evidence marks both identities for the resolver.
		ev.Queue(`WITH ins AS (INSERT INTO evidence (kind, a_ref, b_ref, source, observed_at)
			VALUES ($1, $2, $3, $4, $5) ON CONFLICT DO NOTHING RETURNING 1)
			INSERT INTO identity_dirty (identity_id)
			SELECT i.id FROM identities i, ins
			WHERE (i.platform = $6 AND i.instance = $7 AND i.external_id = $8)
			   OR (i.platform = $9 AND i.instance = $10 AND i.external_id = $11)
			ON CONFLICT (identity_id) DO UPDATE SET gen = identity_dirty.gen + 1`,
			e.Kind, e.A.String(), e.B.String(), source, formatTime(now),
			e.A.Platform, e.A.Instance, e.A.ExternalID, e.B.Platform, e.B.Instance, e.B.ExternalID)
	}
	if err := sendBatch(ctx, tx, &ev, nil); err != nil {
		return res, fmt.Errorf("store evidence: %w", err)
	}
	if err := putCursor(ctx, tx, source, b.Next, now); err != nil {
		return res, err
	}
	if err := putObjects(ctx, tx, source, b.Objects); err != nil {
		return res, err
	}
	// A fenced batch commits only while its lease is still this
	// replica's (checkFence locks the lease row until the commit).
	if f, ok := crm.FenceFrom(ctx); ok {
		if err := checkFence(ctx, tx, source, f); err != nil {
			return res, err
		}
	}
	return res, nil
}

// sendBatch sends b's statements in one round trip, calling done (when not
// nil) with each statement's index and rows affected.
func sendBatch(ctx context.Context, tx pgx.Tx, b *pgx.Batch, done func(i int, rows int64)) error {
	if b.Len() == 0 {
		return nil
	}
	br := tx.SendBatch(ctx, b)
	for i := range b.Len() {
		tag, err := br.Exec()
		if err != nil {
			br.Close()
			return err
		}
		if done != nil {
			done(i, tag.RowsAffected())
		}
	}
	return br.Close()
}

// identityStats accumulates the activities a batch added to one identity.
type identityStats struct {
	n           int
	first, last string
}

func (st *identityStats) add(at time.Time) {
	t := formatTime(at)
	if st.n == 0 || t < st.first {
		st.first = t
	}
	if st.n == 0 || t > st.last {
		st.last = t
	}
	st.n++
}

// putCursor replaces the source's cursor state, ETags and missing objects.
func putCursor(ctx context.Context, tx pgx.Tx, source string, c connectors.Cursor, now time.Time) error {
	var state []byte
	if c.State != nil {
		state = []byte(c.State)
	}
	var b pgx.Batch
	b.Queue(`INSERT INTO cursors (source, state, updated_at) VALUES ($1, $2, $3)
		ON CONFLICT (source) DO UPDATE SET state = excluded.state, updated_at = excluded.updated_at
		WHERE cursors.state IS DISTINCT FROM excluded.state`, source, state, formatTime(now))
	b.Queue(`DELETE FROM etags WHERE source = $1`, source)
	for u, tag := range c.ETags {
		b.Queue(`INSERT INTO etags (source, url, etag) VALUES ($1, $2, $3)`, source, u, tag)
	}
	b.Queue(`DELETE FROM missing WHERE source = $1`, source)
	for k, until := range c.Missing {
		b.Queue(`INSERT INTO missing (source, key, until) VALUES ($1, $2, $3)`, source, k, formatTime(until))
	}
	if err := sendBatch(ctx, tx, &b, nil); err != nil {
		return fmt.Errorf("store cursor, etags and missing objects: %w", err)
	}
	return nil
}

// ensureIdentity returns the id of the identity for ref, creating a minimal
// one when none is stored.
func ensureIdentity(ctx context.Context, tx pgx.Tx, ref connectors.AccountRef, now time.Time) (int64, bool, error) {
	var id int64
	err := tx.QueryRow(ctx, `SELECT id FROM identities WHERE platform = $1 AND instance = $2 AND external_id = $3`,
		ref.Platform, ref.Instance, ref.ExternalID).Scan(&id)
	if err == nil {
		return id, false, nil
	}
	if !errors.Is(err, pgx.ErrNoRows) {
		return 0, false, err
	}
	id, created, _, err := upsertAccount(ctx, tx, connectors.Account{AccountRef: ref}, now)
	return id, created, err
}

// upsertAccount stores a, merging it into the stored identity if any (its
// row locked). When the stored identity belongs to a member and changed,
// changed is that member (its name and primary may change).
func upsertAccount(ctx context.Context, tx pgx.Tx, a connectors.Account, now time.Time) (id int64, created bool, changed int64, err error) {
	return upsertAccountOver(ctx, tx, a, now, nil)
}

// lookup is what reading an account's identity found: the identity, or
// ErrNotFound.
type lookup struct {
	id  crm.Identity
	err error
}

// upsertAccountOver is upsertAccount with the identity already read
// (pre, locked) when pre is not nil.
func upsertAccountOver(ctx context.Context, tx pgx.Tx, a connectors.Account, now time.Time, pre *lookup) (id int64, created bool, changed int64, err error) {
	for range 2 {
		var old crm.Identity
		if pre != nil {
			old, err = pre.id, pre.err
			pre = nil
		} else {
			old, err = identityByRef(ctx, tx, a.AccountRef, true)
		}
		if errors.Is(err, crm.ErrNotFound) {
			// Another batch may insert the same account meanwhile: then
			// nothing is inserted here and its row is merged into.
			err := tx.QueryRow(ctx, `INSERT INTO identities
				(platform, instance, external_id, username, name, url, avatar_url, emails, links,
				 followers, bot, profile_fetched_at, first_seen_at, updated_at, verified_links, network_id, reputation)
				VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $13, $14, $15, $16)
				ON CONFLICT (platform, instance, external_id) DO NOTHING RETURNING id`,
				a.Platform, a.Instance, a.ExternalID, a.Username, a.Name, a.URL, a.AvatarURL,
				crm.EncodeSet(crm.MergeSet(a.Emails, nil)), crm.EncodeSet(crm.MergeSet(a.Links, nil)),
				a.Followers, b2i(a.Bot), nullTime(a.ProfileFetchedAt), formatTime(now),
				crm.EncodeSet(crm.MergeSet(a.VerifiedLinks, nil)), a.NetworkID, a.Reputation).Scan(&id)
			if errors.Is(err, pgx.ErrNoRows) {
				continue
			}
			if err != nil {
				return 0, false, 0, err
			}
			return id, true, 0, markDirty(ctx, tx, id)
		}
		if err != nil {
			return 0, false, 0, err
		}
		next := crm.MergeAccount(old.Account, a)
		if crm.AccountEqual(old.Account, next) {
			return old.ID, false, 0, nil
		}
		_, err = tx.Exec(ctx, `UPDATE identities SET username = $1, name = $2, url = $3, avatar_url = $4,
			emails = $5, links = $6, followers = $7, bot = $8, profile_fetched_at = $9, updated_at = $10,
			verified_links = $11, network_id = $12, reputation = $13
			WHERE id = $14`,
			next.Username, next.Name, next.URL, next.AvatarURL, crm.EncodeSet(next.Emails), crm.EncodeSet(next.Links),
			next.Followers, b2i(next.Bot), nullTime(next.ProfileFetchedAt), formatTime(now),
			crm.EncodeSet(next.VerifiedLinks), next.NetworkID, next.Reputation, old.ID)
		if err == nil {
			err = markDirty(ctx, tx, old.ID)
		}
		return old.ID, false, old.MemberID, err
	}
	return 0, false, 0, fmt.Errorf("identity %s: inserted and gone at once", a.AccountRef)
}

// storedIdentities reads, in one query, the identity of each of accounts
// (locked, in id order, as the batch's other writes lock identities),
// or ErrNotFound (see identityByRef) for an account not stored.
func storedIdentities(ctx context.Context, tx pgx.Tx, accounts []connectors.Account) (map[connectors.AccountRef]lookup, error) {
	out := make(map[connectors.AccountRef]lookup, len(accounts))
	if len(accounts) == 0 {
		return out, nil
	}
	var platforms, instances, externals []string
	for _, a := range accounts {
		platforms = append(platforms, a.Platform)
		instances = append(instances, a.Instance)
		externals = append(externals, a.ExternalID)
		out[a.AccountRef] = lookup{err: fmt.Errorf("identity %s: %w", a.AccountRef, crm.ErrNotFound)}
	}
	rows, err := tx.Query(ctx, `SELECT `+identityCols+` FROM identities
		WHERE (platform, instance, external_id) IN (SELECT * FROM unnest($1::text[], $2::text[], $3::text[]))
		ORDER BY id FOR UPDATE`, platforms, instances, externals)
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

// Cursor returns the source's committed cursor state, ETags and missing
// objects; the zero Cursor when the source never committed a batch.
func (s *Store) Cursor(ctx context.Context, source string) (connectors.Cursor, error) {
	var c connectors.Cursor
	err := s.read(ctx, func(tx pgx.Tx) error {
		c = connectors.Cursor{}
		var state []byte
		err := tx.QueryRow(ctx, `SELECT state FROM cursors WHERE source = $1`, source).Scan(&state)
		if errors.Is(err, pgx.ErrNoRows) {
			return nil
		}
		if err != nil {
			return fmt.Errorf("read cursor: %w", err)
		}
		if state != nil {
			c.State = slices.Clone(state)
		}
		rows, err := tx.Query(ctx, `SELECT url, etag FROM etags WHERE source = $1`, source)
		if err != nil {
			return fmt.Errorf("read etags: %w", err)
		}
		for rows.Next() {
			var u, tag string
			if err := rows.Scan(&u, &tag); err != nil {
				rows.Close()
				return fmt.Errorf("read etags: %w", err)
			}
			if c.ETags == nil {
				c.ETags = make(map[string]string)
			}
			c.ETags[u] = tag
		}
		rows.Close()
		if err := rows.Err(); err != nil {
			return fmt.Errorf("read etags: %w", err)
		}
		rows, err = tx.Query(ctx, `SELECT key, until FROM missing WHERE source = $1`, source)
		if err != nil {
			return fmt.Errorf("read missing objects: %w", err)
		}
		defer rows.Close()
		for rows.Next() {
			var k, until string
			if err := rows.Scan(&k, &until); err != nil {
				return fmt.Errorf("read missing objects: %w", err)
			}
			t, err := parseTime(until)
			if err != nil {
				return fmt.Errorf("read missing objects: %w", err)
			}
			if c.Missing == nil {
				c.Missing = make(map[string]time.Time)
			}
			c.Missing[k] = t
		}
		return rows.Err()
	})
	if err != nil {
		return connectors.Cursor{}, fmt.Errorf("postgres: cursor of source %q: %w", source, err)
	}
	return c, nil
}

// ProfileFetchedAt reports when the account's full profile was stored; ok
// is false for an account never stored with a full profile. ref is looked
// up as Apply stored it (crm.StorableRef).
func (s *Store) ProfileFetchedAt(ctx context.Context, ref connectors.AccountRef) (time.Time, bool, error) {
	ref = crm.StorableRef(ref)
	var fetched *string
	err := s.pool.QueryRow(ctx, `SELECT profile_fetched_at FROM identities
		WHERE platform = $1 AND instance = $2 AND external_id = $3`, ref.Platform, ref.Instance, ref.ExternalID).Scan(&fetched)
	if errors.Is(err, pgx.ErrNoRows) {
		return time.Time{}, false, nil
	}
	if err != nil {
		return time.Time{}, false, fmt.Errorf("postgres: read profile time of %s: %w", ref, err)
	}
	t, err := parseNullTime(fetched)
	if err != nil {
		return time.Time{}, false, fmt.Errorf("postgres: read profile time of %s: %w", ref, err)
	}
	return t, !t.IsZero(), nil
}

// SetKeepText false makes Apply keep each text excerpt's sentiment score
// but not the excerpt (config privacy.keep_text: false); true (the
// default) keeps both. Safe to call while the store is in use.
func (s *Store) SetKeepText(keep bool) { s.dropText.Store(!keep) }

// DeleteText deletes every stored text excerpt (config privacy.keep_text:
// false, at start-up) in one UPDATE, and returns how many activities had
// one; it then scrubs the tables (see Scrub).
func (s *Store) DeleteText(ctx context.Context) (int64, error) {
	tag, err := s.pool.Exec(ctx, `UPDATE activities SET text = '' WHERE text <> ''`)
	if err != nil {
		return 0, fmt.Errorf("postgres: delete text excerpts: %w", err)
	}
	n := tag.RowsAffected()
	if n > 0 {
		if err := s.Scrub(ctx); err != nil {
			return n, fmt.Errorf("postgres: text excerpts deleted, but %w", err)
		}
	}
	return n, nil
}

// sortedPairs returns m's keys in order.
func sortedPairs[V any](m map[[2]int64]V) [][2]int64 {
	out := make([][2]int64, 0, len(m))
	for k := range m {
		out = append(out, k)
	}
	slices.SortFunc(out, func(a, b [2]int64) int {
		return cmp.Or(cmp.Compare(a[0], b[0]), cmp.Compare(a[1], b[1]))
	})
	return out
}
