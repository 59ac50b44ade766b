package config

import (
	"strconv"
	"strings"

	"go.yaml.in/yaml/v3"
)

// TeamEntry is one entry of the top-level team: list, the people who work
// for the community (staff): either an identity (platform:username,
// username compared case-insensitively) or a member id.
type TeamEntry struct {
	// Platform and Username name an identity; both empty for a member id.
	Platform string
	Username string
	// MemberID is a member id; 0 for an identity.
	MemberID int64
	// Line locates the entry in its file.
	Line int
}

// String returns the entry as written: "platform:username" or the id.
func (t TeamEntry) String() string {
	if t.MemberID != 0 {
		return strconv.FormatInt(t.MemberID, 10)
	}
	return t.Platform + ":" + t.Username
}

// team reads the team: list; malformed entries are reported as
// team[i] at their line and left out.
func (p *parser) team(n *yaml.Node) []TeamEntry {
	n = deref(n)
	if isNull(n) {
		return nil
	}
	if n.Kind != yaml.SequenceNode {
		p.addf(n.Line, "team", "must be a list of platform:username or member ids, not %s", kindName(n))
		return nil
	}
	var out []TeamEntry
	for i, item := range n.Content {
		field := "team[" + strconv.Itoa(i) + "]"
		v, vn, ok := p.str(item, field)
		if !ok {
			continue
		}
		v = strings.TrimSpace(v)
		if id, err := strconv.ParseInt(v, 10, 64); err == nil {
			if id <= 0 {
				p.addf(vn.Line, field, "member id must be positive, not %s", show(vn))
				continue
			}
			out = append(out, TeamEntry{MemberID: id, Line: vn.Line})
			continue
		}
		platform, username, found := strings.Cut(v, ":")
		if !found || platform == "" || username == "" || strings.ContainsAny(platform, " /") {
			p.addf(vn.Line, field, "must be platform:username or a member id, not %s", show(vn))
			continue
		}
		out = append(out, TeamEntry{Platform: platform, Username: username, Line: vn.Line})
	}
	return out
}
