package github

import (
	"context"
	"encoding/json"
	"fmt"
	"strconv"
	"strings"

	"github.com/rollcall-dev/rollcall/connectors"
)

// The per-object memory of a GitHub source (connectors.ObjectState) holds,
// by key:
//
//	issue/<owner/repo>#<n>    {"id": 99, "pr": true, "title": "..."}  every issue and PR listed: a comment's parent
//	review/<owner/repo>#<n>   {"n": 5, "id": 99, "title": "..."}      a PR whose reviews this pass is to read
//	profile/account:<user id>   {"login": "x", "id": 1}               a queued profile read
//	profiled/account:<user id>  7                                     the last pass that read (or skipped) it
//
// Repositories are lower-cased and issue numbers zero-padded, so that keys
// sort by number: the reviews queue is read in number order. The entries
// about an account are keyed by connectors.AccountObjectKey, so that
// forgetting the account deletes them.

func issueObject(repo string, n int) string {
	return fmt.Sprintf("issue/%s#%010d", strings.ToLower(repo), n)
}

func reviewPrefix(repo string) string { return "review/" + strings.ToLower(repo) + "#" }

func reviewObject(repo string, n int) string { return fmt.Sprintf("%s%010d", reviewPrefix(repo), n) }

var profilePrefix = connectors.AccountObjectKey("profile", "")

func profileObject(id int64) string {
	return connectors.AccountObjectKey("profile", strconv.FormatInt(id, 10))
}

func profiledObject(id int64) string {
	return connectors.AccountObjectKey("profiled", strconv.FormatInt(id, 10))
}

// knownIssue returns issue n of repo from the per-object memory; ok is
// false when it was never listed (or n is 0).
func knownIssue(ctx context.Context, b *builder, repo string, n int) (*issueRef, bool, error) {
	if n == 0 {
		return nil, false, nil
	}
	var r issueRef
	ok, err := b.objs.Get(ctx, issueObject(repo, n), &r)
	if err != nil || !ok {
		return nil, false, err
	}
	return &r, true, nil
}

// loadIssues reads the issues that a page of comments answers (url gives
// each comment's issue or pull request URL) in one lookup.
func loadIssues[T any](ctx context.Context, b *builder, repo string, list []T, url func(T) string) error {
	keys := make([]string, 0, len(list))
	for _, cm := range list {
		if n := issueNumber(url(cm)); n != 0 {
			keys = append(keys, issueObject(repo, n))
		}
	}
	if err := b.objs.Load(ctx, keys...); err != nil {
		return fmt.Errorf("github: issues of %s: %w", repo, err)
	}
	return nil
}

// loadProfileMarks reads the profile marks and queue entries of the
// batch's accounts in one lookup.
func (c *Connector) loadProfileMarks(ctx context.Context, b *builder) error {
	keys := make([]string, 0, 2*len(b.accounts))
	for _, a := range b.accounts {
		if id, err := strconv.ParseInt(a.ExternalID, 10, 64); err == nil && a.Platform == connectors.PlatformGitHub {
			keys = append(keys, profiledObject(id), profileObject(id))
		}
	}
	if err := b.objs.Load(ctx, keys...); err != nil {
		return fmt.Errorf("github: profile marks: %w", err)
	}
	return nil
}

// profileSeen reports whether this pass read (or skipped) the profile of
// user id already, or has it queued.
func (c *Connector) profileSeen(ctx context.Context, st *state, b *builder, id int64) (bool, error) {
	var pass int
	ok, err := b.objs.Get(ctx, profiledObject(id), &pass)
	if err != nil {
		return false, fmt.Errorf("github: profile mark of %d: %w", id, err)
	}
	if ok && pass == st.Pass {
		return true, nil
	}
	var p profileReq
	ok, err = b.objs.Get(ctx, profileObject(id), &p)
	if err != nil {
		return false, fmt.Errorf("github: queued profile of %d: %w", id, err)
	}
	return ok, nil
}

// profileDone records that this pass read (or skipped) the profile of
// user id.
func (c *Connector) profileDone(st *state, b *builder, id int64) error {
	if err := b.objs.Put(profiledObject(id), st.Pass); err != nil {
		return fmt.Errorf("github: mark profile of %d: %w", id, err)
	}
	return nil
}

// queueProfile queues the profile read p.
func (c *Connector) queueProfile(b *builder, p profileReq) error {
	if err := b.objs.Put(profileObject(p.ID), p); err != nil {
		return fmt.Errorf("github: queue profile of %s: %w", p.Login, err)
	}
	return nil
}

// nextProfiles returns up to n queued profile reads, in key order;
// they stay queued until read (see readProfiles).
func (c *Connector) nextProfiles(ctx context.Context, b *builder, n int) ([]profileReq, error) {
	list, err := b.objs.Scan(ctx, profilePrefix, "", n)
	if err != nil {
		return nil, fmt.Errorf("github: queued profiles: %w", err)
	}
	out := make([]profileReq, 0, len(list))
	for _, o := range list {
		var p profileReq
		if err := json.Unmarshal(o.Value, &p); err != nil {
			return nil, fmt.Errorf("github: decode queued profile %s: %w", o.Key, err)
		}
		out = append(out, p)
	}
	return out, nil
}

// profilesQueued reports whether profile reads are still queued.
func (c *Connector) profilesQueued(ctx context.Context, b *builder) (bool, error) {
	_, _, ok, err := b.objs.Next(ctx, profilePrefix, "")
	if err != nil {
		return false, fmt.Errorf("github: queued profiles: %w", err)
	}
	return ok, nil
}

// migrateState moves the per-object parts of a cursor written before the
// per-object memory into objs: the current repository's issues, the pull
// requests whose reviews are to read, the queued and the read profiles.
// It returns the URLs the old cursor says this pass asked for, for the
// ETags (connectors.ETagSet.EndPass). The writes commit with the batch, so
// a crash before that commit finds the old cursor again.
func migrateState(st *state, objs *connectors.ObjectBuffer) (touched []string, err error) {
	if len(st.Issues) > 0 && st.Listed && st.Repo < len(st.Repos) {
		repo := st.Repos[st.Repo]
		for n, r := range st.Issues {
			if err := objs.Put(issueObject(repo, n), r); err != nil {
				return nil, fmt.Errorf("github: move issue %s#%d of the cursor: %w", repo, n, err)
			}
		}
	}
	st.Issues = nil
	for repo, m := range st.Marks {
		for _, p := range m.PRs {
			if err := objs.Put(reviewObject(repo, p.Number), p); err != nil {
				return nil, fmt.Errorf("github: move queued reviews %s#%d of the cursor: %w", repo, p.Number, err)
			}
		}
		m.PRs = nil
	}
	for _, p := range st.Profiles {
		if err := objs.Put(profileObject(p.ID), p); err != nil {
			return nil, fmt.Errorf("github: move queued profile %s of the cursor: %w", p.Login, err)
		}
	}
	st.Profiles = nil
	for _, id := range st.Profiled {
		if err := objs.Put(profiledObject(id), st.Pass); err != nil {
			return nil, fmt.Errorf("github: move profile mark %d of the cursor: %w", id, err)
		}
	}
	st.Profiled = nil
	touched, st.Touched = st.Touched, nil
	return touched, nil
}

// queuedReviews returns up to n pull requests of repo whose reviews are
// queued, in number order, with their keys; they stay queued until read
// (see stepReviews).
func queuedReviews(ctx context.Context, b *builder, repo string, n int) ([]string, []prRef, error) {
	list, err := b.objs.Scan(ctx, reviewPrefix(repo), "", n)
	if err != nil {
		return nil, nil, fmt.Errorf("github: queued reviews of %s: %w", repo, err)
	}
	keys := make([]string, 0, len(list))
	prs := make([]prRef, 0, len(list))
	for _, o := range list {
		var pr prRef
		if err := json.Unmarshal(o.Value, &pr); err != nil {
			return nil, nil, fmt.Errorf("github: decode queued reviews %s: %w", o.Key, err)
		}
		keys, prs = append(keys, o.Key), append(prs, pr)
	}
	return keys, prs, nil
}

// profileRead takes the profile read p off the queue and records that this
// pass read it.
func (c *Connector) profileRead(st *state, b *builder, p profileReq) error {
	b.objs.Delete(profileObject(p.ID))
	return c.profileDone(st, b, p.ID)
}
