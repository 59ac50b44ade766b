package githubtest

import (
	"crypto/sha1"
	"encoding/hex"
	"fmt"
	"strings"
	"time"
)

// Account types as GitHub spells them in the "type" field.
const (
	TypeUser         = "User"
	TypeBot          = "Bot"
	TypeOrganization = "Organization"
)

// User is a GitHub account: a person, a bot or an organization.
type User struct {
	// ID is the permanent numeric id; 0 lets the fake assign one.
	ID int64
	// Login is the handle, e.g. "octocat" or "dependabot[bot]".
	Login string
	// Type is TypeUser (default), TypeBot or TypeOrganization.
	Type      string
	SiteAdmin bool
	// Profile fields; an empty string is served as null (Blog as "").
	Name, Company, Blog, Location, Email, Bio, Twitter string
	Hireable                                           bool
	Followers, Following                               int
	// Social lists the accounts served by /users/{login}/social_accounts.
	Social []Social
	// CreatedAt and UpdatedAt default to the fake's clock.
	CreatedAt, UpdatedAt time.Time
}

// Social is one entry of a user's social accounts.
type Social struct {
	// Provider is e.g. "twitter", "mastodon", "linkedin", "generic".
	Provider string
	URL      string
}

// Repo is a repository. Owner must be the login of a known user or
// organization (an unknown owner is created as an organization).
type Repo struct {
	// ID is the permanent numeric id; 0 lets the fake assign one.
	ID          int64
	Owner, Name string
	Description string
	// Fork and Parent ("owner/name") are set on repositories made by AddFork.
	Fork   bool
	Parent string
	// CreatedAt defaults to the fake's clock; UpdatedAt to CreatedAt.
	CreatedAt, UpdatedAt time.Time
	// Members are logins of members of the organization that owns the
	// repository, and Collaborators logins with write access: their
	// issues, pull requests, comments and reviews carry author_association
	// MEMBER and COLLABORATOR (the owner's OWNER).
	Members, Collaborators []string
}

// FullName returns "owner/name".
func (r Repo) FullName() string { return r.Owner + "/" + r.Name }

// Issue is an issue or, when Pull is true, a pull request, as listed by
// /repos/{owner}/{repo}/issues.
type Issue struct {
	// ID is the issue id (for pull requests too); 0 lets the fake assign one.
	ID int64
	// Number is assigned by the fake, shared between issues and pull requests.
	Number int
	// User is the author's login.
	User        string
	Title, Body string
	// State is "open" (default) or "closed".
	State string
	// Pull marks a pull request.
	Pull bool
	// CreatedAt defaults to the fake's clock. UpdatedAt is bumped by
	// comments, reviews, closing and merging.
	CreatedAt, UpdatedAt time.Time
	// ClosedAt and MergedAt are zero while open / unmerged.
	ClosedAt, MergedAt time.Time
	// Comments is the number of issue comments (maintained by AddComment).
	Comments int
	// Reactions counts reactions by content ("+1", "heart", ...); React
	// adds to it without bumping UpdatedAt, as on GitHub.
	Reactions map[string]int
	// Deleted is set by DeleteIssue: the issue is no longer listed and
	// reading it answers 410 Gone, while its comments stay listed with an
	// issue_url pointing at it.
	Deleted bool
}

// Comment is a conversation comment on an issue or pull request.
type Comment struct {
	// ID is 0 to let the fake assign one.
	ID int64
	// Issue is the number of the issue or pull request.
	Issue int
	// User is the author's login.
	User                 string
	Body                 string
	CreatedAt, UpdatedAt time.Time
	// LegacyIssueURL makes issue_url name the issue by its id instead of
	// its number (/repos/o/r/issues/4141750), as comments recorded in 2012
	// do; such a URL answers 404.
	LegacyIssueURL bool
	// Reactions counts reactions by content (see Issue.Reactions).
	Reactions map[string]int
}

// ReviewComment is a comment on a pull request's diff.
type ReviewComment struct {
	// ID is 0 to let the fake assign one.
	ID int64
	// Pull is the pull request number.
	Pull int
	// ReviewID is the review the comment belongs to (0 for none).
	ReviewID             int64
	User                 string
	Body                 string
	Path                 string
	CreatedAt, UpdatedAt time.Time
	// Reactions counts reactions by content (see Issue.Reactions).
	Reactions map[string]int
}

// Review states.
const (
	ReviewApproved         = "APPROVED"
	ReviewChangesRequested = "CHANGES_REQUESTED"
	ReviewCommented        = "COMMENTED"
	ReviewDismissed        = "DISMISSED"
)

// Review is a pull request review.
type Review struct {
	// ID is 0 to let the fake assign one.
	ID   int64
	Pull int
	User string
	// State is one of the Review* constants (default ReviewCommented).
	State       string
	Body        string
	SubmittedAt time.Time
}

// Star is a stargazer of a repository.
type Star struct {
	User      string
	StarredAt time.Time
}

// Release is a published release.
type Release struct {
	// ID is 0 to let the fake assign one.
	ID            int64
	TagName, Name string
	// Author is the login of the user who created the release.
	Author                 string
	Body                   string
	CreatedAt, PublishedAt time.Time
}

// Commit is a commit on the default branch.
type Commit struct {
	// SHA is derived from the other fields when empty.
	SHA     string
	Message string
	// Git author and committer identities as recorded in the commit.
	AuthorName, AuthorEmail       string
	AuthorDate                    time.Time
	CommitterName, CommitterEmail string
	// CommitterDate defaults to AuthorDate; `since` filters on it.
	CommitterDate time.Time
	// Author and Committer are the GitHub logins GitHub linked to the
	// e-mails; empty means not linked (served as null).
	Author, Committer string
}

func (c *Commit) fillSHA() {
	if c.SHA != "" {
		return
	}
	h := sha1.New()
	fmt.Fprintf(h, "%s\x00%s\x00%s\x00%d\x00%s", c.Message, c.AuthorName, c.AuthorEmail, c.AuthorDate.UnixNano(), c.CommitterEmail)
	c.SHA = hex.EncodeToString(h.Sum(nil))
}

func key(s string) string { return strings.ToLower(s) }

// sec truncates t to whole seconds in UTC, GitHub's timestamp precision.
func sec(t time.Time) time.Time {
	if t.IsZero() {
		return t
	}
	return t.UTC().Truncate(time.Second)
}

func later(a, b time.Time) time.Time {
	if b.After(a) {
		return b
	}
	return a
}
