package sqlite

import (
	"context"
	"database/sql"
	"fmt"

	"github.com/rollcall-dev/rollcall/connectors"
	"github.com/rollcall-dev/rollcall/crm"
)

// identityCols are the columns scanIdentity reads, in order.
const identityCols = `id, member_id, platform, instance, external_id, username, name, url,
	avatar_url, emails, links, followers, bot, profile_fetched_at, verified_links, network_id, staff, reputation`

// scanner is a *sql.Row or *sql.Rows.
type scanner interface{ Scan(dest ...any) error }

func scanIdentity(sc scanner) (crm.Identity, error) {
	var (
		id            crm.Identity
		member        sql.NullInt64
		emails, links string
		verified      string
		fetched       sql.NullString
		bot           bool
		followers     int64
	)
	err := sc.Scan(&id.ID, &member, &id.Platform, &id.Instance, &id.ExternalID, &id.Username,
		&id.Name, &id.URL, &id.AvatarURL, &emails, &links, &followers, &bot, &fetched, &verified, &id.NetworkID, &id.Staff, &id.Reputation)
	if err != nil {
		return crm.Identity{}, err
	}
	id.MemberID = member.Int64
	id.Followers = int(followers)
	id.Bot = bot
	if id.Emails, err = crm.DecodeSet(emails); err != nil {
		return crm.Identity{}, fmt.Errorf("identity %d emails: %w", id.ID, err)
	}
	if id.Links, err = crm.DecodeSet(links); err != nil {
		return crm.Identity{}, fmt.Errorf("identity %d links: %w", id.ID, err)
	}
	if id.VerifiedLinks, err = crm.DecodeSet(verified); err != nil {
		return crm.Identity{}, fmt.Errorf("identity %d verified links: %w", id.ID, err)
	}
	if id.ProfileFetchedAt, err = parseNullTime(fetched); err != nil {
		return crm.Identity{}, fmt.Errorf("identity %d: %w", id.ID, err)
	}
	return id, nil
}

// querier is a *sql.DB, *sql.Tx or *wtx.
type querier interface {
	QueryRowContext(ctx context.Context, query string, args ...any) *sql.Row
	QueryContext(ctx context.Context, query string, args ...any) (*sql.Rows, error)
	ExecContext(ctx context.Context, query string, args ...any) (sql.Result, error)
}

const identityByRefSQL = `SELECT ` + identityCols + ` FROM identities
	WHERE platform = ? AND instance = ? AND external_id = ?`

// identityByRef loads one identity; it wraps crm.ErrNotFound when missing.
func identityByRef(ctx context.Context, q querier, ref connectors.AccountRef) (crm.Identity, error) {
	id, err := scanIdentity(q.QueryRowContext(ctx, identityByRefSQL, ref.Platform, ref.Instance, ref.ExternalID))
	if err == sql.ErrNoRows {
		return crm.Identity{}, fmt.Errorf("identity %s: %w", ref, crm.ErrNotFound)
	}
	return id, err
}

const identityByIDSQL = `SELECT ` + identityCols + ` FROM identities WHERE id = ?`

// identityByID loads one identity; it wraps crm.ErrNotFound when missing.
func identityByID(ctx context.Context, q querier, id int64) (crm.Identity, error) {
	ident, err := scanIdentity(q.QueryRowContext(ctx, identityByIDSQL, id))
	if err == sql.ErrNoRows {
		return crm.Identity{}, fmt.Errorf("identity %d: %w", id, crm.ErrNotFound)
	}
	return ident, err
}
