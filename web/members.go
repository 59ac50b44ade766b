package web

import (
	"errors"
	"fmt"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"time"

	"github.com/rollcall-dev/rollcall/crm"
	"github.com/rollcall-dev/rollcall/identity"
)

// MemberReader is the read model behind the member list and the journey
// page (crm.ReadModel and Store.Member).
type MemberReader interface {
	crm.MemberLister
	crm.JourneyPageReader
}

// memberQuery reads the member list's parameters, shared by the page and
// the API: q, platform, type, since (YYYY-MM-DD or RFC 3339), sort, limit
// and cursor.
func memberQuery(v url.Values) (crm.MemberQuery, error) {
	q := crm.MemberQuery{
		Search:       strings.TrimSpace(v.Get("q")),
		Platform:     strings.TrimSpace(v.Get("platform")),
		ActivityType: strings.TrimSpace(v.Get("type")),
		Sort:         v.Get("sort"),
		Cursor:       v.Get("cursor"),
	}
	switch q.Sort {
	case "", crm.SortMostActive, crm.SortNewest, crm.SortLastSeen:
	default:
		return q, badInput("sort must be %s, %s or %s, not %q", crm.SortMostActive, crm.SortNewest, crm.SortLastSeen, q.Sort)
	}
	if s := strings.TrimSpace(v.Get("since")); s != "" {
		t, err := parseSince(s)
		if err != nil {
			return q, err
		}
		q.ActiveSince = t
	}
	limit, err := parseLimit(v.Get("limit"))
	if err != nil {
		return q, err
	}
	q.Limit = limit
	return q, nil
}

func parseSince(s string) (time.Time, error) {
	if t, err := time.Parse("2006-01-02", s); err == nil {
		return t, nil
	}
	if t, err := time.Parse(time.RFC3339, s); err == nil {
		return t, nil
	}
	return time.Time{}, badInput("since must be a date (2026-01-31) or an RFC 3339 time, not %q", s)
}

func parseLimit(s string) (int, error) {
	if s == "" {
		return 0, nil
	}
	n, err := strconv.Atoi(s)
	if err != nil || n < 1 || n > crm.MaxPageSize {
		return 0, badInput("limit must be a number from 1 to %d, not %q", crm.MaxPageSize, s)
	}
	return n, nil
}

// readError maps the read model's invalid-query errors to bad input.
func readError(err error) error {
	if errors.Is(err, crm.ErrInvalidQuery) {
		return badInput("%s", strings.TrimSpace(strings.TrimPrefix(err.Error(), "crm: ")))
	}
	return err
}

type option struct {
	Value, Label string
	Selected     bool
}

type pager struct {
	Prev, Next string // URLs; empty when there is no such page
}

type membersPage struct {
	pageBase
	Query     crm.MemberQuery
	Since     string
	Platforms []option
	Types     []option
	Sorts     []option
	Members   []crm.Member
	Levels    map[int64]levelView
	Pager     pager
	Filtered  bool
}

// pageLinks builds Previous and Next links that carry the cursor. The
// cursors of the pages before are kept in repeated prev parameters, so
// Previous works without JavaScript or server state.
func pageLinks(path string, v url.Values, next string) pager {
	var p pager
	prev := v["prev"]
	cur := v.Get("cursor")
	if next != "" {
		nv := cloneValues(v)
		nv.Set("cursor", next)
		nv["prev"] = append(append([]string(nil), prev...), cur)
		p.Next = path + "?" + nv.Encode()
	}
	if len(prev) > 0 {
		pv := cloneValues(v)
		pv["prev"] = prev[:len(prev)-1]
		if c := prev[len(prev)-1]; c != "" {
			pv.Set("cursor", c)
		} else {
			pv.Del("cursor")
		}
		if len(pv["prev"]) == 0 {
			pv.Del("prev")
		}
		p.Prev = path + "?" + pv.Encode()
	}
	return p
}

func cloneValues(v url.Values) url.Values {
	out := url.Values{}
	for k, vs := range v {
		if len(vs) > 0 && vs[0] != "" || k == "prev" {
			out[k] = append([]string(nil), vs...)
		}
	}
	return out
}

func (s *Server) membersPage(w http.ResponseWriter, r *http.Request) {
	v := r.URL.Query()
	q, err := memberQuery(v)
	p := membersPage{pageBase: s.base(r, "Members"), Query: q, Since: v.Get("since")}
	p.Section = "members"
	p.Platforms = []option{{Value: "", Label: "All platforms"}}
	for _, pl := range platformOrder {
		p.Platforms = append(p.Platforms, option{Value: pl, Label: platformLabel(pl), Selected: pl == q.Platform})
	}
	p.Types = []option{{Value: "", Label: "Any activity"}}
	for _, t := range activityTypes {
		p.Types = append(p.Types, option{Value: t, Label: t + " (" + activityLabel(t) + ")", Selected: t == q.ActivityType})
	}
	for _, o := range []option{{crm.SortMostActive, "Most active", false}, {crm.SortNewest, "Newest", false}, {crm.SortLastSeen, "Last seen", false}} {
		o.Selected = o.Value == q.Sort || q.Sort == "" && o.Value == crm.SortMostActive
		p.Sorts = append(p.Sorts, o)
	}
	p.Filtered = q.Search != "" || q.Platform != "" || q.ActivityType != "" || !q.ActiveSince.IsZero()
	if err != nil {
		s.pageError(w, r, http.StatusBadRequest, err)
		return
	}
	page, err := s.members.ListMembers(r.Context(), q)
	if err != nil {
		err = readError(err)
		s.pageError(w, r, statusOf(err), fmt.Errorf("list members: %w", err))
		return
	}
	p.Members = page.Members
	if p.Levels, err = s.memberLevels(r.Context(), page.Members); err != nil {
		s.pageError(w, r, http.StatusInternalServerError, err)
		return
	}
	p.Pager = pageLinks("/members", v, page.NextCursor)
	s.render(w, r, http.StatusOK, "members", &p)
}

type journeyPage struct {
	pageBase
	Member     crm.Member
	Identities []journeyIdentity
	Milestones []milestoneView
	Chart      chart
	Weeks      []timelineWeek
	Pager      pager
	FirstPage  bool
	// Standing is the level, level history and love; nil without scores.
	Standing *journeyStanding
}

type journeyIdentity struct {
	crm.Identity
	Spec    string // platform:username, for the unmerge form
	Join    *crm.JoinReason
	Primary bool
}

type milestoneView struct {
	Kind, Label string
	At          time.Time
	Activity    crm.Activity
}

type timelineWeek struct {
	Start      time.Time
	Label      string
	Activities []crm.Activity
}

var milestoneLabels = map[string]string{
	crm.MilestoneFirstSeen:             "First seen",
	crm.MilestoneFirstContribution:     "First contribution",
	crm.MilestoneFirstMergedPR:         "First merged pull request",
	crm.MilestoneFirstAcceptedAnswer:   "First accepted answer",
	crm.MilestoneFirstAcceptedSolution: "First accepted solution",
	crm.MilestoneFirstReplyToOther:     "First reply to someone else",
}

// chartBucket picks weekly bars for a member active over at most half a
// year, monthly bars otherwise.
func chartBucket(m crm.Member) string {
	if m.FirstSeen.IsZero() || m.LastSeen.Sub(m.FirstSeen) <= 26*7*24*time.Hour {
		return crm.BucketWeek
	}
	return crm.BucketMonth
}

// memberID parses the {id} path value; a non-number is a missing member.
func memberID(r *http.Request) (int64, error) {
	id, err := strconv.ParseInt(r.PathValue("id"), 10, 64)
	if err != nil || id <= 0 {
		return 0, &identity.DecisionError{Msg: fmt.Sprintf("no member with id %q", r.PathValue("id")), Kind: crm.ErrNotFound}
	}
	return id, nil
}

// readJourney reads a journey page for the page and the API.
func (s *Server) readJourney(r *http.Request) (crm.JourneyPage, error) {
	id, err := memberID(r)
	if err != nil {
		return crm.JourneyPage{}, err
	}
	v := r.URL.Query()
	limit, err := parseLimit(v.Get("limit"))
	if err != nil {
		return crm.JourneyPage{}, err
	}
	m, err := s.members.Member(r.Context(), id)
	if errors.Is(err, crm.ErrNotFound) {
		return crm.JourneyPage{}, &identity.DecisionError{Msg: fmt.Sprintf("no member with id %d", id), Kind: crm.ErrNotFound}
	}
	if err != nil {
		return crm.JourneyPage{}, fmt.Errorf("read member %d: %w", id, err)
	}
	jp, err := crm.ReadJourneyPage(r.Context(), s.members, crm.TimelineQuery{MemberID: id, Limit: limit, Cursor: v.Get("cursor")}, chartBucket(m))
	if errors.Is(err, crm.ErrNotFound) {
		// Merged away between the two reads.
		return crm.JourneyPage{}, &identity.DecisionError{Msg: fmt.Sprintf("no member with id %d", id), Kind: crm.ErrNotFound}
	}
	if err != nil {
		return crm.JourneyPage{}, fmt.Errorf("read journey of member %d: %w", id, readError(err))
	}
	return jp, nil
}

func (s *Server) journeyPage(w http.ResponseWriter, r *http.Request) {
	jp, err := s.readJourney(r)
	if err != nil {
		s.pageError(w, r, statusOf(err), err)
		return
	}
	m := jp.Member
	p := journeyPage{pageBase: s.base(r, m.Name), Member: m, FirstPage: r.URL.Query().Get("cursor") == ""}
	p.Section = "members"
	if p.FirstPage {
		st, ok, err := s.readStanding(r.Context(), m.ID)
		if err != nil {
			s.pageError(w, r, http.StatusInternalServerError, err)
			return
		}
		if ok {
			p.Standing = standingView(st)
		}
	}
	for _, id := range m.Identities {
		ji := journeyIdentity{Identity: id, Spec: id.Platform + ":" + id.Username, Primary: id.AccountRef == m.Primary}
		if id.Username == "" {
			ji.Spec = id.AccountRef.String()
		}
		for i := range jp.Joins {
			if jp.Joins[i].Identity == id.AccountRef {
				ji.Join = &jp.Joins[i]
				break
			}
		}
		p.Identities = append(p.Identities, ji)
	}
	for _, ms := range jp.Milestones {
		label := milestoneLabels[ms.Kind]
		if label == "" {
			label = strings.ReplaceAll(ms.Kind, "_", " ")
		}
		p.Milestones = append(p.Milestones, milestoneView{Kind: ms.Kind, Label: label, At: ms.At, Activity: ms.Activity})
	}
	counts := make([]chartCount, 0, len(jp.Chart))
	for _, c := range jp.Chart {
		counts = append(counts, chartCount{Start: c.Start, Platform: c.Platform, Count: c.Count})
	}
	p.Chart = buildChart(counts, jp.Bucket)
	for _, a := range jp.Timeline.Activities {
		ws := weekStart(a.OccurredAt)
		if n := len(p.Weeks); n == 0 || !p.Weeks[n-1].Start.Equal(ws) {
			p.Weeks = append(p.Weeks, timelineWeek{Start: ws, Label: "Week of " + ws.Format("Monday 2 January 2006")})
		}
		p.Weeks[len(p.Weeks)-1].Activities = append(p.Weeks[len(p.Weeks)-1].Activities, a)
	}
	p.Pager = pageLinks(fmt.Sprintf("/members/%d", m.ID), r.URL.Query(), jp.Timeline.NextCursor)
	if p.Pager.Prev != "" {
		p.Pager.Prev += "#timeline"
	}
	if p.Pager.Next != "" {
		p.Pager.Next += "#timeline"
	}
	s.render(w, r, http.StatusOK, "member", &p)
}
