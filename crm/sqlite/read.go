package sqlite

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"strconv"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/rollcall-dev/rollcall/crm"
	"github.com/rollcall-dev/rollcall/crm/internal/storekit"
)

// listCursor is what a member list cursor encodes: the sort, the last
// member's sort key and its id.
type listCursor struct {
	Sort string `json:"s"`
	Key  string `json:"k"`
	ID   int64  `json:"i"`
}

// defaultRareLimit is how many rows a filter may match and still be read
// from its own index (the matching members gathered, then sorted); a
// filter matching more is checked member by member along the sort's
// index, which fills a page quickly because many members match.
const defaultRareLimit = 2000

// rareFilters reports which of q's filters match at most the rare limit
// of rows (see defaultRareLimit).
type rareFilters struct{ platform, activityType, since bool }

func (s *Store) rareFilters(ctx context.Context, q crm.MemberQuery) (rareFilters, error) {
	var r rareFilters
	limit := s.rareLimit
	if limit == 0 {
		limit = defaultRareLimit
	}
	probe := func(query string, arg any) (bool, error) {
		var n int
		if err := s.r.QueryRowContext(ctx, `SELECT COUNT(*) FROM (`+query+` LIMIT `+strconv.Itoa(max(limit, 0)+1)+`)`, arg).Scan(&n); err != nil {
			return false, err
		}
		return n <= limit, nil
	}
	var err error
	if q.Platform != "" {
		if r.platform, err = probe(`SELECT 1 FROM identities WHERE platform = ?`, q.Platform); err != nil {
			return r, fmt.Errorf("count identities on %s: %w", q.Platform, err)
		}
	}
	if q.ActivityType != "" {
		if r.activityType, err = probe(`SELECT DISTINCT identity_id FROM activities WHERE type = ?`, q.ActivityType); err != nil {
			return r, fmt.Errorf("count identities with %s: %w", q.ActivityType, err)
		}
	}
	if !q.ActiveSince.IsZero() {
		if r.since, err = probe(`SELECT 1 FROM members WHERE identity_count > 0 AND last_seen >= ?`, formatTime(q.ActiveSince)); err != nil {
			return r, fmt.Errorf("count members active since %v: %w", q.ActiveSince, err)
		}
	}
	return r, nil
}

// memberListSQL builds the member list query for q: members with an
// identity, filtered, in q.Sort order, after q.Cursor when withCursor,
// limit rows (-1: all). It selects the columns loadMembers reads plus the
// sort key. rare says which filters to read from their own index.
func memberListSQL(q crm.MemberQuery, rare rareFilters, withCursor bool, limit int) (string, []any, string, error) {
	sortName := q.Sort
	if sortName == "" {
		sortName = crm.SortMostActive
	}
	var keyCol, order, after string
	switch sortName {
	case crm.SortMostActive:
		keyCol, order = "m.activity_count", "m.activity_count DESC, m.id"
		after = "(m.activity_count < ?1 OR (m.activity_count = ?1 AND m.id > ?2))"
	case crm.SortNewest:
		keyCol, order = "m.first_seen", "m.first_seen DESC, m.id DESC"
		after = "(m.first_seen, m.id) < (?1, ?2)"
	case crm.SortLastSeen:
		keyCol, order = "m.last_seen", "m.last_seen DESC, m.id DESC"
		after = "(m.last_seen, m.id) < (?1, ?2)"
	default:
		return "", nil, "", fmt.Errorf("unknown sort %q (want %q, %q or %q): %w",
			q.Sort, crm.SortMostActive, crm.SortNewest, crm.SortLastSeen, crm.ErrInvalidQuery)
	}
	// Numbered parameters: ?1 and ?2 are the cursor's key and id (NULL
	// without a cursor), the rest follow.
	args := []any{nil, nil}
	from := "members m"
	where := []string{"m.identity_count > 0"}
	add := func(cond string, v any) {
		args = append(args, v)
		where = append(where, strings.ReplaceAll(cond, "?", "?"+strconv.Itoa(len(args))))
	}
	if withCursor && q.Cursor != "" {
		var c listCursor
		if err := crm.DecodeCursor(q.Cursor, &c); err != nil {
			return "", nil, "", err
		}
		if c.Sort != sortName {
			return "", nil, "", fmt.Errorf("cursor of sort %q used with sort %q: %w", c.Sort, sortName, crm.ErrInvalidQuery)
		}
		if sortName == crm.SortMostActive {
			n, err := strconv.ParseInt(c.Key, 10, 64)
			if err != nil {
				return "", nil, "", fmt.Errorf("malformed cursor %q: %w", q.Cursor, crm.ErrInvalidQuery)
			}
			args[0] = n
		} else {
			args[0] = c.Key
		}
		args[1] = c.ID
		where = append(where, after)
	}
	if q.Search != "" {
		if utf8.RuneCountInString(q.Search) >= crm.MinSearchLen {
			// Driven from the index's matches (CROSS JOIN keeps that
			// order), each member looked up once: a quarter faster than
			// "m.id IN (matches)" for thousands of matches.
			from = "member_search f CROSS JOIN members m ON m.id = f.rowid"
			add("f.member_search MATCH ?", `"`+strings.ReplaceAll(q.Search, `"`, `""`)+`"`)
		} else {
			// Too short for trigrams: the start of a name or username.
			lo, hi := storekit.PrefixRange(q.Search)
			args = append(args, lo, hi)
			l, h := "?"+strconv.Itoa(len(args)-1), "?"+strconv.Itoa(len(args))
			where = append(where, `m.id IN (SELECT id FROM members WHERE identity_count > 0 AND lower(name) >= `+l+` AND lower(name) < `+h+`
				UNION SELECT member_id FROM identities WHERE member_id IS NOT NULL AND lower(username) >= `+l+` AND lower(username) < `+h+`)`)
		}
	}
	switch {
	case q.Platform == "":
	case rare.platform:
		add("m.id IN (SELECT member_id FROM identities WHERE platform = ?)", q.Platform)
	default:
		add("EXISTS (SELECT 1 FROM identities i WHERE i.member_id = m.id AND i.platform = ?)", q.Platform)
	}
	switch {
	case q.ActivityType == "":
	case rare.activityType:
		add(`m.id IN (SELECT member_id FROM identities WHERE id IN (SELECT DISTINCT identity_id FROM activities WHERE type = ?))`, q.ActivityType)
	default:
		add(`EXISTS (SELECT 1 FROM identities i JOIN activities a ON a.identity_id = i.id
			WHERE i.member_id = m.id AND a.type = ?)`, q.ActivityType)
	}
	switch {
	case q.ActiveSince.IsZero():
	case rare.since:
		add("m.activity_count > 0 AND m.id IN (SELECT id FROM members WHERE identity_count > 0 AND last_seen >= ?)", formatTime(q.ActiveSince))
	default:
		// "+" keeps the planner on the sort's index (a page fills quickly)
		// rather than gathering every match of the range to sort them.
		add("m.activity_count > 0 AND +m.last_seen >= ?", formatTime(q.ActiveSince))
	}
	args = append(args, limit)
	query := `SELECT m.id, m.name, m.primary_identity_id, m.activity_count, m.first_seen, m.last_seen, ` + keyCol + `
		FROM ` + from + ` WHERE ` + strings.Join(where, " AND ") + `
		ORDER BY ` + order + ` LIMIT ?` + strconv.Itoa(len(args))
	return query, args, sortName, nil
}

// ListMembers returns one page of members matching q (see crm.MemberQuery),
// in q.Sort order, with a cursor for the next page. Pages are read by
// keyset on the kept stats (sort key, id), so a page costs the same at
// any depth; a member whose sort key changes between two pages may be
// skipped or shown twice, as with any keyset. Searches of
// crm.MinSearchLen characters or more match a substring anywhere, from the
// trigram index; shorter ones match the start of the member's name or of
// one of its usernames, from indexes on those. An unknown sort or a
// malformed cursor wraps crm.ErrInvalidQuery.
func (s *Store) ListMembers(ctx context.Context, q crm.MemberQuery) (crm.MemberPage, error) {
	n := crm.PageSize(q.Limit)
	rare, err := s.rareFilters(ctx, q)
	if err != nil {
		return crm.MemberPage{}, fmt.Errorf("sqlite: list members: %w", err)
	}
	query, args, sortName, err := memberListSQL(q, rare, true, n+1)
	if err != nil {
		return crm.MemberPage{}, fmt.Errorf("sqlite: list members: %w", err)
	}
	ms, keys, err := s.loadMembers(ctx, query, args)
	if err != nil {
		return crm.MemberPage{}, fmt.Errorf("sqlite: list members (search %q, sort %q): %w", q.Search, sortName, err)
	}
	var p crm.MemberPage
	if len(ms) > n {
		ms, keys = ms[:n], keys[:n]
		p.NextCursor = crm.EncodeCursor(listCursor{Sort: sortName, Key: keys[n-1], ID: ms[n-1].ID})
	}
	p.Members = ms
	return p, nil
}

// memberTx opens a read transaction and reads the member's identities in
// it (memberIdentityIDs), so that every later read of the caller sees the
// same member. The caller rolls tx back; on an error there is no tx.
func (s *Store) memberTx(ctx context.Context, memberID int64) (*sql.Tx, []int64, map[int64]crm.Identity, error) {
	tx, err := s.r.BeginTx(ctx, &sql.TxOptions{ReadOnly: true})
	if err != nil {
		return nil, nil, nil, err
	}
	ids, byID, err := memberIdentityIDs(ctx, tx, memberID)
	if err != nil {
		tx.Rollback()
		return nil, nil, nil, err
	}
	return tx, ids, byID, nil
}

// memberIdentityIDs returns the identities of a member that has one, in id
// order, with their accounts; crm.ErrNotFound otherwise.
func memberIdentityIDs(ctx context.Context, q querier, member int64) ([]int64, map[int64]crm.Identity, error) {
	rows, err := q.QueryContext(ctx, `SELECT id, platform, instance, external_id, username FROM identities WHERE member_id = ? ORDER BY id`, member)
	if err != nil {
		return nil, nil, err
	}
	defer rows.Close()
	var ids []int64
	byID := make(map[int64]crm.Identity)
	for rows.Next() {
		var id crm.Identity
		if err := rows.Scan(&id.ID, &id.Platform, &id.Instance, &id.ExternalID, &id.Username); err != nil {
			return nil, nil, err
		}
		id.MemberID = member
		ids = append(ids, id.ID)
		byID[id.ID] = id
	}
	if err := rows.Err(); err != nil {
		return nil, nil, err
	}
	if len(ids) == 0 {
		return nil, nil, fmt.Errorf("member %d: %w", member, crm.ErrNotFound)
	}
	return ids, byID, nil
}

// byTime is the activities table (alias a) read along each identity's
// (identity_id, occurred_at, key, platform) index. It is named, not left to
// the planner: with ANALYZE statistics SQLite prefers a skip-scan of the
// (type, identity_id, occurred_at) index, 20 times slower here.
const byTime = `activities AS a INDEXED BY activities_identity_time`

// activityCols are the activity columns scanActivity reads, of alias a.
// The text excerpt is never read here: it is for sentiment, not for pages.
const activityCols = `a.key, a.platform, a.instance, a.type, a.occurred_at, a.url, a.title, a.channel, a.parent_key, a.identity_id, a.reactions_total, a.reactions`

func scanActivity(sc scanner, byID map[int64]crm.Identity, extra ...any) (crm.Activity, error) {
	var a crm.Activity
	var at, byKind string
	var total sql.NullInt64
	dest := append([]any{&a.Key, &a.Platform, &a.Instance, &a.Type, &at, &a.URL, &a.Title, &a.Channel, &a.ParentKey, &a.IdentityID, &total, &byKind}, extra...)
	if err := sc.Scan(dest...); err != nil {
		return a, err
	}
	var err error
	if a.OccurredAt, err = parseTime(at); err != nil {
		return a, fmt.Errorf("activity %s: %w", a.Key, err)
	}
	if a.Reactions, err = decodeReactions(total, byKind); err != nil {
		return a, fmt.Errorf("activity %s: %w", a.Key, err)
	}
	id := byID[a.IdentityID]
	a.Actor, a.Username, a.MemberID = id.AccountRef, id.Username, id.MemberID
	return a, nil
}

// maxUnion is the most identities perIdentity reads one by one; a member
// with more (SQLite allows 500 terms in a compound SELECT) is read with one
// IN over all of its identities, sorting their rows.
const maxUnion = 64

// perIdentity builds one query over a member's activities that reads each
// identity's index in order and keeps the first limit rows of each, then
// the first limit overall: sub is the per-identity SELECT (of activityCols
// and maybe more) with "a.identity_id = ?" in its WHERE, order its ORDER BY
// (over a.* columns or aliases), and argsOf gives sub's arguments for one
// identity id (or, past maxUnion, for the JSON list of them all).
func perIdentity(ids []int64, sub, order string, limit int, argsOf func(id any) []any) (string, []any) {
	outer := strings.ReplaceAll(order, "a.", "")
	if len(ids) > maxUnion {
		sub = strings.Replace(sub, "a.identity_id = ?", "a.identity_id IN (SELECT value FROM json_each(?))", 1)
		return `SELECT * FROM (` + sub + `) ORDER BY ` + outer + ` LIMIT ?`, append(argsOf(jsonList(ids)), limit)
	}
	parts := make([]string, 0, len(ids))
	var all []any
	for _, id := range ids {
		parts = append(parts, `SELECT * FROM (`+sub+` ORDER BY `+order+` LIMIT ?)`)
		all = append(all, argsOf(id)...)
		all = append(all, limit)
	}
	all = append(all, limit)
	return strings.Join(parts, " UNION ALL ") + ` ORDER BY ` + outer + ` LIMIT ?`, all
}

// timelineCursor is what a timeline cursor encodes: the last activity's
// time (stored text) and key.
type timelineCursor struct {
	At  string `json:"t"`
	Key string `json:"k"`
}

// Timeline returns a page of the member's activities, newest first (ties
// by key, descending), each with its identity's account and username,
// reading each identity's (identity_id, occurred_at, key) index backwards
// from the cursor. An unknown member wraps crm.ErrNotFound; a malformed
// cursor crm.ErrInvalidQuery.
func (s *Store) Timeline(ctx context.Context, q crm.TimelineQuery) (crm.TimelinePage, error) {
	p, err := s.timeline(ctx, q)
	if err != nil {
		return crm.TimelinePage{}, fmt.Errorf("sqlite: timeline of member %d: %w", q.MemberID, err)
	}
	return p, nil
}

func (s *Store) timeline(ctx context.Context, q crm.TimelineQuery) (crm.TimelinePage, error) {
	n := crm.PageSize(q.Limit)
	var c timelineCursor
	if q.Cursor != "" {
		if err := crm.DecodeCursor(q.Cursor, &c); err != nil {
			return crm.TimelinePage{}, err
		}
		if _, err := parseTime(c.At); err != nil || c.Key == "" {
			return crm.TimelinePage{}, fmt.Errorf("malformed cursor %q: %w", q.Cursor, crm.ErrInvalidQuery)
		}
	}
	tx, ids, byID, err := s.memberTx(ctx, q.MemberID)
	if err != nil {
		return crm.TimelinePage{}, err
	}
	defer tx.Rollback()
	sub := `SELECT ` + activityCols + ` FROM ` + byTime + ` WHERE a.identity_id = ?`
	var args []any
	if q.Cursor != "" {
		sub += ` AND (a.occurred_at, a.key) < (?, ?)`
		args = []any{c.At, c.Key}
	}
	query, all := perIdentity(ids, sub, "a.occurred_at DESC, a.key DESC", n+1, func(id any) []any {
		return append([]any{id}, args...)
	})
	rows, err := tx.QueryContext(ctx, query, all...)
	if err != nil {
		return crm.TimelinePage{}, err
	}
	defer rows.Close()
	var p crm.TimelinePage
	for rows.Next() {
		a, err := scanActivity(rows, byID)
		if err != nil {
			return crm.TimelinePage{}, err
		}
		p.Activities = append(p.Activities, a)
	}
	if err := rows.Err(); err != nil {
		return crm.TimelinePage{}, err
	}
	if len(p.Activities) > n {
		p.Activities = p.Activities[:n]
		last := p.Activities[n-1]
		p.NextCursor = crm.EncodeCursor(timelineCursor{At: formatTime(last.OccurredAt), Key: last.Key})
	}
	return p, nil
}

// ActivityChart counts all of the member's activities per bucket (UTC
// weeks from Monday, or months) and activity platform, in SQL over the
// (identity_id, occurred_at, key, platform) index; oldest bucket first,
// platforms by name. An unknown bucket wraps crm.ErrInvalidQuery, an
// unknown member crm.ErrNotFound.
func (s *Store) ActivityChart(ctx context.Context, memberID int64, bucket string) ([]crm.ChartPoint, error) {
	out, err := s.activityChart(ctx, memberID, bucket)
	if err != nil {
		return nil, fmt.Errorf("sqlite: activity chart of member %d by %s: %w", memberID, bucket, err)
	}
	return out, nil
}

func (s *Store) activityChart(ctx context.Context, memberID int64, bucket string) ([]crm.ChartPoint, error) {
	var width int
	var expr string
	switch bucket {
	case crm.BucketWeek:
		// Per day, then the Monday on or before it.
		width, expr = 10, `date(day, '-6 days', 'weekday 1')`
	case crm.BucketMonth:
		width, expr = 7, `day || '-01'`
	default:
		return nil, fmt.Errorf("unknown bucket %q (want %q or %q): %w", bucket, crm.BucketWeek, crm.BucketMonth, crm.ErrInvalidQuery)
	}
	tx, ids, _, err := s.memberTx(ctx, memberID)
	if err != nil {
		return nil, err
	}
	defer tx.Rollback()
	// Counted per day or month first (a prefix of the stored time), so
	// that date arithmetic runs once per day, not per activity.
	rows, err := tx.QueryContext(ctx, `SELECT `+expr+`, platform, SUM(n) FROM (
			SELECT substr(a.occurred_at, 1, `+strconv.Itoa(width)+`) AS day, a.platform AS platform, COUNT(*) AS n FROM `+byTime+`
			WHERE a.identity_id IN (SELECT value FROM json_each(?))
			GROUP BY 1, 2)
		GROUP BY 1, 2 ORDER BY 1, 2`, jsonList(ids))
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var out []crm.ChartPoint
	for rows.Next() {
		var day string
		var c crm.ChartPoint
		if err := rows.Scan(&day, &c.Platform, &c.Count); err != nil {
			return nil, err
		}
		if c.Start, err = time.Parse(time.DateOnly, day); err != nil {
			return nil, fmt.Errorf("bucket %q: %w", day, err)
		}
		out = append(out, c)
	}
	return out, rows.Err()
}

// Milestones returns the member's milestones that exist, in the order of
// the crm.Milestone* constants. Each is found by reading each identity's
// indexes in time order until the first match: first activity; first
// contribution (crm.ContributionTypes); first pr_merged; first answer of
// theirs with an answer_accepted pointing at it (ordered by acceptance);
// first post_created of theirs with a solution_accepted pointing at it;
// first contribution whose parent activity is stored and belongs to an
// identity outside the member. An unknown member wraps crm.ErrNotFound.
func (s *Store) Milestones(ctx context.Context, memberID int64) ([]crm.Milestone, error) {
	out, err := s.milestones(ctx, memberID)
	if err != nil {
		return nil, fmt.Errorf("sqlite: milestones of member %d: %w", memberID, err)
	}
	return out, nil
}

func (s *Store) milestones(ctx context.Context, memberID int64) ([]crm.Milestone, error) {
	tx, ids, byID, err := s.memberTx(ctx, memberID)
	if err != nil {
		return nil, err
	}
	defer tx.Rollback()
	contrib := jsonList(crm.ContributionTypes())
	const first = "a.occurred_at, a.key"
	type find struct {
		kind, sub, order string
		args             []any
		accepted         bool // sub selects the acceptance's time and key too
	}
	// The time index (byTime, and "+a.type") stops at the first match
	// rather than gathering every row of the types.
	finds := []find{
		{kind: crm.MilestoneFirstSeen, sub: `SELECT ` + activityCols + ` FROM ` + byTime + ` WHERE a.identity_id = ?`, order: first},
		{kind: crm.MilestoneFirstContribution, sub: `SELECT ` + activityCols + ` FROM ` + byTime + ` WHERE a.identity_id = ?
			AND +a.type IN (SELECT value FROM json_each(?))`, order: first, args: []any{contrib}},
		{kind: crm.MilestoneFirstMergedPR, sub: `SELECT ` + activityCols + ` FROM activities a WHERE a.identity_id = ? AND a.type = ?`,
			order: first, args: []any{crm.TypePRMerged}},
		{kind: crm.MilestoneFirstAcceptedAnswer, accepted: true, args: []any{"answer", crm.TypeAnswerAccepted}},
		{kind: crm.MilestoneFirstAcceptedSolution, accepted: true, args: []any{"post_created", crm.TypeSolutionAccepted}},
		{kind: crm.MilestoneFirstReplyToOther, sub: `SELECT ` + activityCols + ` FROM ` + byTime + `
			JOIN activities p ON p.key = a.parent_key
			JOIN identities pi ON pi.id = p.identity_id
			WHERE a.identity_id = ? AND a.parent_key <> '' AND +a.type IN (SELECT value FROM json_each(?))
				AND pi.member_id IS NOT ?`, order: first, args: []any{contrib, memberID}},
	}
	var out []crm.Milestone
	for _, f := range finds {
		sub, order := f.sub, f.order
		if f.accepted {
			sub = `SELECT ` + activityCols + `, x.occurred_at AS x_at, x.key AS x_key FROM activities a
				JOIN activities x ON x.parent_key = a.key AND x.parent_key <> '' AND x.type = ?
				WHERE a.identity_id = ? AND a.type = ?`
			order = "x_at, x_key"
		}
		argsOf := func(id any) []any { return append([]any{id}, f.args...) }
		if f.accepted {
			// The acceptance type comes before the identity id.
			argsOf = func(id any) []any { return []any{f.args[1], id, f.args[0]} }
		}
		query, all := perIdentity(ids, sub, order, 1, argsOf)
		m := crm.Milestone{Kind: f.kind}
		var xAt, xKey string
		var extra []any
		if f.accepted {
			extra = []any{&xAt, &xKey}
		}
		a, err := scanActivity(tx.QueryRowContext(ctx, query, all...), byID, extra...)
		if errors.Is(err, sql.ErrNoRows) {
			continue
		}
		if err != nil {
			return nil, fmt.Errorf("%s: %w", f.kind, err)
		}
		m.Activity, m.At = a, a.OccurredAt
		if f.accepted {
			if m.At, err = parseTime(xAt); err != nil {
				return nil, fmt.Errorf("%s: %w", f.kind, err)
			}
		}
		out = append(out, m)
	}
	return out, nil
}

// JoinReasons says for each identity of the member, in id order, why it is
// in the member: the steps recorded in identity_joins with their audit_log
// rows, from the latest one that brought it in from outside any member
// (an assignment, a split, a manual merge of an unassigned account) to the
// latest, in words. An identity whose steps were erased (a forget removed
// the audit rows naming a forgotten account) has no Reasons. An unknown
// member wraps crm.ErrNotFound.
func (s *Store) JoinReasons(ctx context.Context, memberID int64) ([]crm.JoinReason, error) {
	out, err := s.joinReasons(ctx, memberID)
	if err != nil {
		return nil, fmt.Errorf("sqlite: join reasons of member %d: %w", memberID, err)
	}
	return out, nil
}

func (s *Store) joinReasons(ctx context.Context, memberID int64) ([]crm.JoinReason, error) {
	tx, ids, byID, err := s.memberTx(ctx, memberID)
	if err != nil {
		return nil, err
	}
	defer tx.Rollback()
	rows, err := tx.QueryContext(ctx, `SELECT j.identity_id, l.actor, l.action, l.at, l.detail
		FROM identity_joins j JOIN audit_log l ON l.id = j.audit_id
		WHERE j.identity_id IN (SELECT value FROM json_each(?))
		ORDER BY j.identity_id, j.id`, jsonList(ids))
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	steps := make(map[int64][]crm.JoinStep)
	for rows.Next() {
		var id int64
		var st crm.JoinStep
		var at string
		if err := rows.Scan(&id, &st.Actor, &st.Action, &at, &st.Detail); err != nil {
			return nil, err
		}
		if st.At, err = parseTime(at); err != nil {
			return nil, err
		}
		steps[id] = append(steps[id], st)
	}
	if err := rows.Err(); err != nil {
		return nil, err
	}
	out := make([]crm.JoinReason, 0, len(ids))
	for _, id := range ids {
		out = append(out, crm.JoinReasonOf(byID[id].AccountRef, steps[id]))
	}
	return out, nil
}

var _ crm.ReadModel = (*Store)(nil)
