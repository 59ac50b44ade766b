package crm_test

import (
	"testing"

	"github.com/rollcall-dev/rollcall/connectors"
	"github.com/rollcall-dev/rollcall/crm"
)

func TestRole(t *testing.T) {
	ident := func(platform, user string, staff, bot bool) crm.Identity {
		return crm.Identity{Account: connectors.Account{AccountRef: connectors.AccountRef{Platform: platform, ExternalID: user},
			Username: user, Staff: staff, Bot: bot}}
	}
	plain := ident("github", "ann", false, false)
	staff := ident("discourse", "mod", true, false)
	bot := ident("github", "dependabot", false, true)
	team := crm.NewTeam([]crm.TeamMember{{Platform: "github", Username: "ANN"}, {MemberID: 9}})
	for _, tt := range []struct {
		name string
		m    crm.Member
		team crm.Team
		want string
	}{
		{"nothing", crm.Member{ID: 1, Identities: []crm.Identity{plain}}, crm.Team{}, ""},
		{"staff flag", crm.Member{ID: 1, Identities: []crm.Identity{plain, staff}}, crm.Team{}, crm.RoleStaff},
		{"bot flag", crm.Member{ID: 1, Identities: []crm.Identity{bot}}, crm.Team{}, crm.RoleBot},
		{"staff flag beats bot flag", crm.Member{ID: 1, Identities: []crm.Identity{bot, staff}}, crm.Team{}, crm.RoleStaff},
		{"team by identity, case-insensitive", crm.Member{ID: 1, Identities: []crm.Identity{plain}}, team, crm.RoleStaff},
		{"team by member id", crm.Member{ID: 9, Identities: []crm.Identity{ident("mastodon", "x", false, false)}}, team, crm.RoleStaff},
		{"team beats bot flag", crm.Member{ID: 9, Identities: []crm.Identity{bot}}, team, crm.RoleStaff},
		{"not on team", crm.Member{ID: 2, Identities: []crm.Identity{ident("mastodon", "ann", false, false)}}, team, ""},
		{"mark bot beats team", crm.Member{ID: 9, Mark: crm.MarkBot, Identities: []crm.Identity{plain}}, team, crm.RoleBot},
		{"mark staff beats bot flag", crm.Member{ID: 1, Mark: crm.MarkStaff, Identities: []crm.Identity{bot}}, crm.Team{}, crm.RoleStaff},
		{"mark none clears team", crm.Member{ID: 9, Mark: crm.MarkNone, Identities: []crm.Identity{plain}}, team, ""},
		{"mark none clears flags", crm.Member{ID: 1, Mark: crm.MarkNone, Identities: []crm.Identity{staff, bot}}, crm.Team{}, ""},
	} {
		t.Run(tt.name, func(t *testing.T) {
			if got := crm.Role(tt.m, tt.team); got != tt.want {
				t.Errorf("Role = %q; want %q", got, tt.want)
			}
		})
	}
	for mark, want := range map[string]bool{"staff": true, "bot": true, "none": true, "": false, "Staff": false, "admin": false} {
		if got := crm.ValidMark(mark); got != want {
			t.Errorf("ValidMark(%q) = %v; want %v", mark, got, want)
		}
	}
}
