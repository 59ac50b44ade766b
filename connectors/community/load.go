package community

import (
	"fmt"
	"slices"

	"github.com/rollcall-dev/rollcall/connectors/github/githubtest"
)

// LoadGitHub adds the community's users, repositories and activity to s. It
// returns an error if s already holds conflicting data (e.g. the same
// repositories).
func (c *Community) LoadGitHub(s *githubtest.Server) error {
	for _, u := range c.Users {
		s.AddUser(u)
	}
	// The maintainers employed by the org are its members: their items
	// carry author_association MEMBER.
	var staff []string
	for _, p := range c.People {
		if p.Kind == KindStaff && len(p.Accounts) > 0 && p.Accounts[0].Platform == PlatformGitHub {
			staff = append(staff, p.Accounts[0].Username)
		}
	}
	for _, rd := range c.Repos {
		rd.Repo.Members = append(slices.Clip(rd.Repo.Members), staff...)
		if _, err := s.AddRepo(rd.Repo); err != nil {
			return fmt.Errorf("community: load %s: %w", rd.Repo.FullName(), err)
		}
	}
	for _, rd := range c.Repos {
		if err := loadRepo(s, rd); err != nil {
			return fmt.Errorf("community: load %s: %w", rd.Repo.FullName(), err)
		}
	}
	return nil
}

func loadRepo(s *githubtest.Server, rd RepoData) error {
	o, n := rd.Repo.Owner, rd.Repo.Name
	for _, is := range rd.Issues {
		got, err := s.AddIssue(o, n, is)
		if err != nil {
			return err
		}
		if got.Number != is.Number {
			return fmt.Errorf("issue numbered %d, want %d: repository not empty", got.Number, is.Number)
		}
	}
	for _, x := range rd.Comments {
		if _, err := s.AddComment(o, n, x); err != nil {
			return err
		}
	}
	for _, x := range rd.Reviews {
		if _, err := s.AddReview(o, n, x); err != nil {
			return err
		}
	}
	for _, x := range rd.ReviewComments {
		if _, err := s.AddReviewComment(o, n, x); err != nil {
			return err
		}
	}
	for _, x := range rd.Stars {
		if err := s.AddStar(o, n, x.User, x.StarredAt); err != nil {
			return err
		}
	}
	for _, x := range rd.Forks {
		if _, err := s.AddFork(o, n, x.Owner, x.At); err != nil {
			return err
		}
	}
	for _, x := range rd.Releases {
		if _, err := s.AddRelease(o, n, x); err != nil {
			return err
		}
	}
	for _, x := range rd.Commits {
		if _, err := s.AddCommit(o, n, x); err != nil {
			return err
		}
	}
	return nil
}

// Truth returns every person with their accounts, by person ID: the ground
// truth for identity resolution. The result is a copy.
func (c *Community) Truth() []Person {
	out := make([]Person, len(c.People))
	for i, p := range c.People {
		p.Accounts = slices.Clone(p.Accounts)
		out[i] = p
	}
	return out
}
