package crm

import (
	"time"

	"github.com/rollcall-dev/rollcall/connectors"
)

// The JSON shapes below are a public interface, printed by the CLI
// (--format json) and served by /api/v1 from one definition: fields are
// added, never renamed or removed. Times are RFC 3339 UTC text, "" for
// none.

// IdentityJSON is an identity in MemberJSON.
type IdentityJSON struct {
	Platform   string `json:"platform"`
	Instance   string `json:"instance"`
	ExternalID string `json:"external_id"`
	Username   string `json:"username"`
	URL        string `json:"url"`
}

// ActivityIdentityJSON names an account briefly: in an activity, and as a
// member's primary identity.
type ActivityIdentityJSON struct {
	Platform string `json:"platform"`
	Username string `json:"username"`
}

// MemberJSON is a member: `members --format json` prints a list of them.
type MemberJSON struct {
	ID            int64          `json:"id"`
	Name          string         `json:"name"`
	Identities    []IdentityJSON `json:"identities"`
	ActivityCount int            `json:"activity_count"`
	FirstSeen     string         `json:"first_seen"`
	LastSeen      string         `json:"last_seen"`
	// Primary is the member's primary identity (added in a later release;
	// absent when the member has none).
	Primary *ActivityIdentityJSON `json:"primary,omitempty"`
	// Role is "staff", "bot" or "" (added in a later release): a person's
	// mark, else the config's team list, else the connectors' flags.
	Role string `json:"role"`
}

// ActivityJSON is an activity in a journey or a timeline page.
type ActivityJSON struct {
	Key        string               `json:"key"`
	Platform   string               `json:"platform"`
	Type       string               `json:"type"`
	OccurredAt string               `json:"occurred_at"`
	URL        string               `json:"url"`
	Title      string               `json:"title"`
	Channel    string               `json:"channel"`
	Identity   ActivityIdentityJSON `json:"identity"`
	// Reactions are the latest reaction and vote counts the service showed
	// for the item, {"total", "by_kind"} (added in a later release; absent
	// when the service reports none for this kind of activity). The text
	// excerpt is never part of the public shape.
	Reactions *connectors.Reactions `json:"reactions,omitempty"`
}

// JourneyJSON is a whole journey, oldest first: `journey --format json`.
type JourneyJSON struct {
	Member     MemberJSON     `json:"member"`
	Activities []ActivityJSON `json:"activities"`
}

// MemberPageJSON is one page of members: GET /api/v1/members.
type MemberPageJSON struct {
	Members    []MemberJSON `json:"members"`
	NextCursor string       `json:"next_cursor"`
}

// JoinJSON says why an identity is in its member.
type JoinJSON struct {
	Reasons []string `json:"reasons"`
	Actor   string   `json:"actor"`
	At      string   `json:"at"`
}

// JourneyIdentityJSON is an identity on the journey page: the fields of
// IdentityJSON plus why it is in the member (null when nothing recorded).
type JourneyIdentityJSON struct {
	IdentityJSON
	Join *JoinJSON `json:"join"`
}

// MilestoneJSON is one milestone of a journey.
type MilestoneJSON struct {
	Kind     string       `json:"kind"`
	At       string       `json:"at"`
	Activity ActivityJSON `json:"activity"`
}

// ChartPointJSON is one bar of the activity chart.
type ChartPointJSON struct {
	Start    string `json:"start"`
	Platform string `json:"platform"`
	Count    int    `json:"count"`
}

// ChartJSON is the activity chart over all of a member's activity.
type ChartJSON struct {
	Bucket string           `json:"bucket"`
	Points []ChartPointJSON `json:"points"`
}

// JourneyPageJSON is a journey page: GET /api/v1/members/{id}/journey.
// Activities are one timeline page, newest first; NextCursor reads the
// next (older) one.
type JourneyPageJSON struct {
	Member     MemberJSON            `json:"member"`
	Identities []JourneyIdentityJSON `json:"identities"`
	Milestones []MilestoneJSON       `json:"milestones"`
	Chart      ChartJSON             `json:"chart"`
	Activities []ActivityJSON        `json:"activities"`
	NextCursor string                `json:"next_cursor"`
	// Level, LevelHistory and Love are the member's level (with its
	// since date), level changes (oldest first) and love on every
	// platform, where the reader keeps scores (GET
	// /api/v1/members/{id}/journey); absent otherwise.
	Level        *ChampionLevel `json:"level,omitempty"`
	LevelHistory []LevelPoint   `json:"level_history,omitempty"`
	Love         *Love          `json:"love,omitempty"`
}

// SuggestionJSON is a merge suggestion: `suggestions --format json` prints
// a list of them, as does GET /api/v1/suggestions.
type SuggestionJSON struct {
	ID         int64    `json:"id"`
	Confidence float64  `json:"confidence"`
	A          string   `json:"a"`
	B          string   `json:"b"`
	MemberA    int64    `json:"member_a"`
	MemberB    int64    `json:"member_b"`
	Reasons    []string `json:"reasons"`
	Status     string   `json:"status"`
}

// TimeJSON renders t as RFC 3339 UTC (seconds), "" for the zero time.
func TimeJSON(t time.Time) string {
	if t.IsZero() {
		return ""
	}
	return t.UTC().Format(time.RFC3339)
}

// IdentityView is the public shape of an identity.
func IdentityView(id Identity) IdentityJSON {
	return IdentityJSON{Platform: id.Platform, Instance: id.Instance, ExternalID: id.ExternalID, Username: id.Username, URL: id.URL}
}

// MemberView is the public shape of a member.
func MemberView(m Member) MemberJSON {
	out := MemberJSON{ID: m.ID, Name: m.Name, ActivityCount: m.ActivityCount, FirstSeen: TimeJSON(m.FirstSeen), LastSeen: TimeJSON(m.LastSeen), Identities: []IdentityJSON{}, Role: m.Role}
	for _, id := range m.Identities {
		out.Identities = append(out.Identities, IdentityView(id))
		if !m.Primary.IsZero() && id.AccountRef == m.Primary {
			out.Primary = &ActivityIdentityJSON{Platform: id.Platform, Username: id.Username}
		}
	}
	return out
}

// MembersView is the public shape of a member list (never null).
func MembersView(ms []Member) []MemberJSON {
	out := make([]MemberJSON, 0, len(ms))
	for _, m := range ms {
		out = append(out, MemberView(m))
	}
	return out
}

// ActivityView is the public shape of an activity.
func ActivityView(a Activity) ActivityJSON {
	return ActivityJSON{Key: a.Key, Platform: a.Platform, Type: a.Type, OccurredAt: TimeJSON(a.OccurredAt), URL: a.URL, Title: a.Title, Channel: a.Channel,
		Identity: ActivityIdentityJSON{Platform: a.Platform, Username: a.Username}, Reactions: a.Reactions}
}

// ActivitiesView is the public shape of a list of activities (never null).
func ActivitiesView(as []Activity) []ActivityJSON {
	out := make([]ActivityJSON, 0, len(as))
	for _, a := range as {
		out = append(out, ActivityView(a))
	}
	return out
}

// JourneyView is the public shape of a whole journey.
func JourneyView(j Journey) JourneyJSON {
	return JourneyJSON{Member: MemberView(j.Member), Activities: ActivitiesView(j.Activities)}
}

// MemberPageView is the public shape of a page of members.
func MemberPageView(p MemberPage) MemberPageJSON {
	return MemberPageJSON{Members: MembersView(p.Members), NextCursor: p.NextCursor}
}

// JourneyPageView is the public shape of a journey page. Each identity of
// the member carries its join reason, matched by account.
func JourneyPageView(p JourneyPage) JourneyPageJSON {
	out := JourneyPageJSON{
		Member:     MemberView(p.Member),
		Identities: []JourneyIdentityJSON{},
		Milestones: []MilestoneJSON{},
		Chart:      ChartJSON{Bucket: p.Bucket, Points: []ChartPointJSON{}},
		Activities: ActivitiesView(p.Timeline.Activities),
		NextCursor: p.Timeline.NextCursor,
	}
	for _, id := range p.Member.Identities {
		ij := JourneyIdentityJSON{IdentityJSON: IdentityView(id)}
		for _, j := range p.Joins {
			if j.Identity == id.AccountRef {
				reasons := j.Reasons
				if reasons == nil {
					reasons = []string{}
				}
				ij.Join = &JoinJSON{Reasons: reasons, Actor: j.Actor, At: TimeJSON(j.At)}
				break
			}
		}
		out.Identities = append(out.Identities, ij)
	}
	for _, m := range p.Milestones {
		out.Milestones = append(out.Milestones, MilestoneJSON{Kind: m.Kind, At: TimeJSON(m.At), Activity: ActivityView(m.Activity)})
	}
	for _, c := range p.Chart {
		out.Chart.Points = append(out.Chart.Points, ChartPointJSON{Start: TimeJSON(c.Start), Platform: c.Platform, Count: c.Count})
	}
	return out
}

// SuggestionView is the public shape of a suggestion.
func SuggestionView(s Suggestion) SuggestionJSON {
	return SuggestionJSON{ID: s.ID, Confidence: s.Confidence, A: s.A.String(), B: s.B.String(), MemberA: s.MemberA, MemberB: s.MemberB, Reasons: s.Reasons, Status: s.Status}
}

// SuggestionsView is the public shape of a list of suggestions (never null).
func SuggestionsView(ss []Suggestion) []SuggestionJSON {
	out := make([]SuggestionJSON, 0, len(ss))
	for _, s := range ss {
		out = append(out, SuggestionView(s))
	}
	return out
}
