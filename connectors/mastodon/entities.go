package mastodon

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"net/url"
	"strconv"

	gomastodon "github.com/mattn/go-mastodon"

	"github.com/rollcall-dev/rollcall/connectors"
)

// The API is read with go-mastodon's calls into go-mastodon's entity types
// (mastodon.Account, Status, Notification, Context); the from* functions
// below copy the fields the translator uses into the connector's own small
// entity types (translate.go), which also say what a missing value means
// (a null url, an in_reply_to_id that is not a string).

// fromAccount copies a go-mastodon Account.
func fromAccount(a *gomastodon.Account) account {
	if a == nil {
		return account{}
	}
	out := account{
		ID: string(a.ID), Username: a.Username, Acct: a.Acct, DisplayName: a.DisplayName,
		Note: a.Note, URL: a.URL, URI: a.URI, Avatar: a.Avatar, Bot: a.Bot,
		FollowersCount: int(a.FollowersCount), CreatedAt: mtime{a.CreatedAt.UTC()},
	}
	for _, f := range a.Fields {
		g := field{Name: f.Name, Value: f.Value}
		if !f.VerifiedAt.IsZero() {
			v := f.VerifiedAt
			g.VerifiedAt = &v
		}
		out.Fields = append(out.Fields, g)
	}
	return out
}

func fromAccounts(as []*gomastodon.Account) []account {
	out := make([]account, 0, len(as))
	for _, a := range as {
		if a != nil {
			out = append(out, fromAccount(a))
		}
	}
	return out
}

// fromStatus copies a go-mastodon Status (and the status it boosts).
func fromStatus(s *gomastodon.Status) status {
	if s == nil {
		return status{}
	}
	out := status{
		ID: string(s.ID), CreatedAt: mtime{s.CreatedAt.UTC()}, URI: s.URI, Content: s.Content,
		Visibility: s.Visibility, Account: fromAccount(&s.Account),
		RepliesCount: int(s.RepliesCount), ReblogsCount: int(s.ReblogsCount), FavouritesCount: int(s.FavouritesCount),
	}
	if s.URL != "" {
		u := s.URL
		out.URL = &u
	}
	switch v := s.InReplyToID.(type) {
	case string:
		out.InReplyToID = &v
	case float64: // a server that sends ids as numbers
		id := strconv.FormatFloat(v, 'f', -1, 64)
		out.InReplyToID = &id
	}
	if s.Reblog != nil {
		rb := fromStatus(s.Reblog)
		out.Reblog = &rb
	}
	for _, m := range s.Mentions {
		out.Mentions = append(out.Mentions, mention{ID: string(m.ID), Username: m.Username, Acct: m.Acct, URL: m.URL})
	}
	for _, t := range s.Tags {
		out.Tags = append(out.Tags, tag{Name: t.Name, URL: t.URL})
	}
	return out
}

func fromStatuses(ss []*gomastodon.Status) []status {
	out := make([]status, 0, len(ss))
	for _, s := range ss {
		if s != nil {
			out = append(out, fromStatus(s))
		}
	}
	return out
}

// fromNotification copies a go-mastodon Notification.
func fromNotification(n *gomastodon.Notification) notification {
	out := notification{ID: string(n.ID), Type: n.Type, CreatedAt: mtime{n.CreatedAt.UTC()}, Account: fromAccount(&n.Account)}
	if n.Status != nil {
		s := fromStatus(n.Status)
		out.Status = &s
	}
	return out
}

// call runs one go-mastodon call fn (op says what it does, for errors) on
// the shared Transport and returns what the old hand-written reads
// returned: the status as the server sent it (200 with the result filled;
// 304, when fn's result is empty and the page is to be skipped; 404 or 422,
// which are answers, not errors) and the Link header, which go-mastodon
// reads only in part (rel=next) and does not return.
func (c *Connector) call(ctx context.Context, op string, fn func(ctx context.Context) error) (status int, link string, err error) {
	ctx, last := connectors.WithLastResponse(ctx)
	err = fn(ctx)
	status = last.Status()
	if err == nil {
		return status, last.Header().Get("Link"), nil
	}
	var (
		ae *gomastodon.APIError
		rl *connectors.ErrRateLimited
		un *connectors.ErrUnauthorized
		ue *url.Error
	)
	switch {
	case errors.As(err, &rl):
		return 0, "", fmt.Errorf("mastodon: %s: %w", op, rl)
	case errors.As(err, &un):
		return 0, "", fmt.Errorf("mastodon: %s: %w", op, un)
	case errors.As(err, &ae):
		if ae.StatusCode == http.StatusNotFound || ae.StatusCode == http.StatusUnprocessableEntity {
			return ae.StatusCode, "", nil
		}
		text := ae.Message
		if text == "" {
			text = http.StatusText(ae.StatusCode)
		}
		return 0, "", fmt.Errorf("mastodon: %s: %s answered %d: %s", op, last.URL(), ae.StatusCode, text)
	case errors.As(err, &ue), ctx.Err() != nil, status < 200 || status > 299:
		return 0, "", fmt.Errorf("mastodon: %s: %w", op, err)
	}
	// A 2xx whose body go-mastodon could not decode.
	return 0, "", fmt.Errorf("mastodon: %s: %w", op, &connectors.ErrMalformed{Source: c.source, URL: last.URL(), Status: status, Err: err})
}
