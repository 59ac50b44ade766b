package community

import (
	"encoding/json"
	"strings"
)

// ExternalID returns the platform's permanent id of account a, as the
// connector keys it: GitHub's numeric user id, the Discourse user id, the
// Stack Overflow user_id, "username@domain" for Mastodon and the
// lower-cased e-mail for git. It returns "" for an account not in the
// community.
func (c *Community) ExternalID(a Account) string {
	if id, ok := c.ext[a]; ok {
		return id
	}
	if a.Platform == PlatformGit {
		return strings.ToLower(a.Username)
	}
	return ""
}

// GroundTruth is the ground truth as TruthJSON encodes it.
type GroundTruth struct {
	Persons []TruthPerson `json:"persons"`
}

// TruthPerson is one person of GroundTruth.
type TruthPerson struct {
	ID       string         `json:"id"`
	Name     string         `json:"name,omitempty"`
	Kind     Kind           `json:"kind,omitempty"`
	Accounts []TruthAccount `json:"accounts"`
}

// TruthAccount is one account of a TruthPerson: Username as the connector
// stores it (git e-mails and Mastodon accts lower-cased) and ExternalID,
// the platform's permanent id.
type TruthAccount struct {
	Platform   string `json:"platform"`
	Username   string `json:"username"`
	ExternalID string `json:"external_id,omitempty"`
}

// Ground returns the ground truth, by person ID, as TruthJSON encodes it.
func (c *Community) Ground() GroundTruth {
	out := GroundTruth{Persons: make([]TruthPerson, 0, len(c.People))}
	for _, p := range c.People {
		tp := TruthPerson{ID: p.ID, Name: p.Name, Kind: p.Kind, Accounts: make([]TruthAccount, 0, len(p.Accounts))}
		for _, a := range p.Accounts {
			u := a.Username
			if a.Platform == PlatformGit || a.Platform == PlatformMastodon {
				u = strings.ToLower(u)
			}
			tp.Accounts = append(tp.Accounts, TruthAccount{Platform: a.Platform, Username: u, ExternalID: c.ExternalID(a)})
		}
		out.Persons = append(out.Persons, tp)
	}
	return out
}

// TruthJSON returns the ground truth as JSON, for `rollcall demo --truth`,
// tests and benchmarks:
// {"persons":[{"id","name","kind","accounts":[{"platform","username","external_id"}]}]}.
func (c *Community) TruthJSON() ([]byte, error) {
	return json.MarshalIndent(c.Ground(), "", "  ")
}
