package github

import "github.com/google/go-github/v60/github"

// staffAssociation reports whether an author_association says the author
// works on the repository: its owner (OWNER), a member of the organization
// that owns it (MEMBER) or a collaborator with write access
// (COLLABORATOR). CONTRIBUTOR, FIRST_TIME_CONTRIBUTOR, FIRST_TIMER,
// MANNEQUIN and NONE do not.
func staffAssociation(assoc string) bool {
	switch assoc {
	case "OWNER", "MEMBER", "COLLABORATOR":
		return true
	}
	return false
}

// addAuthor adds the author of an issue, pull request, comment or review,
// staff of the source's community when its author_association on that
// synced repository says so.
func (b *builder) addAuthor(tr translator, u *github.User, assoc string) {
	if a, ok := tr.account(u); ok {
		b.noteNode(u)
		a.Staff = staffAssociation(assoc)
		b.addAccount(a)
	}
}
