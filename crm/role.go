package crm

import (
	"context"
	"strings"
)

// Roles of a member: who is not part of the community they serve. Scores
// and health leave staff and bots out unless asked.
const (
	RoleStaff = "staff"
	RoleBot   = "bot"
)

// Marks a person sets with rollcall mark. MarkNone says the member is
// explicitly neither staff nor a bot, whatever the team list and the
// connectors' flags say.
const (
	MarkStaff = RoleStaff
	MarkBot   = RoleBot
	MarkNone  = "none"
)

// ValidMark reports whether mark is one a person can set.
func ValidMark(mark string) bool {
	return mark == MarkStaff || mark == MarkBot || mark == MarkNone
}

// Team is the configured team list: identities by platform and username
// (case-insensitive) and member ids. The zero Team is empty.
type Team struct {
	identities map[[2]string]bool
	members    map[int64]bool
}

// TeamMember is one entry of a team list: an identity (Platform and
// Username) or a member id.
type TeamMember struct {
	Platform, Username string
	MemberID           int64
}

// NewTeam builds a Team from its entries.
func NewTeam(entries []TeamMember) Team {
	t := Team{identities: map[[2]string]bool{}, members: map[int64]bool{}}
	for _, e := range entries {
		if e.MemberID != 0 {
			t.members[e.MemberID] = true
		} else {
			t.identities[[2]string{e.Platform, strings.ToLower(e.Username)}] = true
		}
	}
	return t
}

// Has reports whether m is on the team: by its id or one of its identities.
func (t Team) Has(m Member) bool {
	if t.members[m.ID] {
		return true
	}
	if len(t.identities) == 0 {
		return false
	}
	for _, id := range m.Identities {
		if t.identities[[2]string{id.Platform, strings.ToLower(id.Username)}] {
			return true
		}
	}
	return false
}

// Role derives a member's role: a person's mark wins (MarkNone means
// neither), else the team list makes it staff, else the connectors' flags
// (any identity staff: staff; else any bot: bot).
func Role(m Member, t Team) string {
	switch m.Mark {
	case MarkStaff, MarkBot:
		return m.Mark
	case MarkNone:
		return ""
	}
	if t.Has(m) {
		return RoleStaff
	}
	bot := false
	for _, id := range m.Identities {
		if id.Staff {
			return RoleStaff
		}
		bot = bot || id.Bot
	}
	if bot {
		return RoleBot
	}
	return ""
}

// Marker records people's staff and bot marks.
type Marker interface {
	// SetMark sets the member's mark (MarkStaff, MarkBot or MarkNone),
	// audited with actor and reason; kept across syncs and merges.
	SetMark(ctx context.Context, memberID int64, mark, actor, reason string) error
}
