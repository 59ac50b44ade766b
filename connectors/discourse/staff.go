package discourse

// staffFlags are the role flags Discourse serves on a user: on posts
// (admin, moderator, staff), on the user profile (admin, moderator) and on
// the admin user lists; a topic list's users entries leave them out.
type staffFlags struct {
	Admin     bool `json:"admin"`
	Moderator bool `json:"moderator"`
	Staff     bool `json:"staff"`
}

// staff reports whether the user runs the forum: an admin, a moderator or
// staff (Discourse's word for either). connectors.Account.Staff.
func (f staffFlags) staff() bool { return f.Admin || f.Moderator || f.Staff }
