package main

import (
	"context"
	"errors"
	"fmt"
	"os"
	"strconv"
	"strings"

	"github.com/rollcall-dev/rollcall/connectors"
	"github.com/rollcall-dev/rollcall/crm"
	"github.com/rollcall-dev/rollcall/identity"
)

// curatorStore is what people's commands need from the store.
type curatorStore interface {
	queryStore
	crm.Curator
	crm.Marker
}

// openCurator opens the store for a command that changes membership.
func (e *cliEnv) openCurator(ctx context.Context) (curatorStore, func(), error) {
	qs, closeFn, err := e.openQueryStore(ctx)
	if err != nil {
		return nil, nil, err
	}
	cs, ok := qs.(curatorStore)
	if !ok {
		closeFn()
		return nil, nil, fmt.Errorf("this store does not support manual decisions")
	}
	return cs, closeFn, nil
}

// actor names who made a manual decision, for the audit log.
func actor() string {
	if u := os.Getenv("SUDO_USER"); u != "" {
		return "cli:" + u
	}
	if u := os.Getenv("USER"); u != "" {
		return "cli:" + u
	}
	return "cli"
}

// cliDecisionErr turns an identity.ErrInvalid decision error into a usage
// error (exit status 2); others pass through.
func cliDecisionErr(err error) error {
	var de *identity.DecisionError
	if errors.As(err, &de) && errors.Is(err, identity.ErrInvalid) {
		return usageErr("%s", de.Msg)
	}
	return err
}

func cmdMerge(ctx context.Context, e *cliEnv, args []string) error {
	fs := e.newFlags("merge", "A B", "Merge two members into one: A and B are member ids or platform:username.\nThe decision is stored and audited; later syncs never undo it (unmerge reverses it).")
	reason := fs.String("reason", "", "why, for the audit log")
	pos, err := e.parse(fs, args)
	if err != nil {
		return err
	}
	if len(pos) != 2 {
		return usageErr("merge needs two members: A B (member ids or platform:username)")
	}
	st, closeFn, err := e.openCurator(ctx)
	if err != nil {
		return err
	}
	defer closeFn()
	res, err := identity.MergeMembers(ctx, st, pos[0], pos[1], actor(), *reason)
	if err != nil {
		return cliDecisionErr(err)
	}
	if res.Already {
		fmt.Fprintf(e.stdout, "%s and %s are already member %d\n", pos[0], pos[1], res.A.ID)
		return nil
	}
	fmt.Fprintf(e.stdout, "merged member %d (%s) and member %d (%s) into member %d\n", res.A.ID, termLine(res.A.Name), res.B.ID, termLine(res.B.Name), res.Into)
	return nil
}

func cmdUnmerge(ctx context.Context, e *cliEnv, args []string) error {
	fs := e.newFlags("unmerge", "MEMBER IDENTITY", "Move one identity out of a member into a member of its own. MEMBER is a member id or\nplatform:username; IDENTITY is platform:username (or platform/instance/external_id).\nThe decision is stored; later syncs never merge them again.")
	reason := fs.String("reason", "", "why, for the audit log")
	pos, err := e.parse(fs, args)
	if err != nil {
		return err
	}
	if len(pos) != 2 {
		return usageErr("unmerge needs MEMBER IDENTITY")
	}
	st, closeFn, err := e.openCurator(ctx)
	if err != nil {
		return err
	}
	defer closeFn()
	res, err := identity.UnmergeIdentity(ctx, st, pos[0], pos[1], actor(), *reason)
	if errors.Is(err, crm.ErrNotFound) && res.Member.ID != 0 {
		return fmt.Errorf("%w (see 'rollcall journey %d')", err, res.Member.ID)
	}
	if err != nil {
		return cliDecisionErr(err)
	}
	fmt.Fprintf(e.stdout, "moved %s out of member %d into new member %d\n", pos[1], res.Member.ID, res.NewMember)
	return nil
}

func cmdSuggestions(ctx context.Context, e *cliEnv, args []string) error {
	fs := e.newFlags("suggestions", "[accept|reject ID]", "List possible merges that the evidence did not prove, with a confidence and the reasons,\nor decide one: 'accept ID' merges the two members, 'reject ID' records that they differ.")
	format := fs.String("format", "table", "output `format`: table or json")
	status := fs.String("status", crm.SuggestionOpen, "which suggestions to list: open, accepted, rejected or all")
	pos, err := e.parse(fs, args)
	if err != nil {
		return err
	}
	if *format != "table" && *format != "json" {
		return usageErr("--format must be table or json, not %q", *format)
	}
	st, closeFn, err := e.openCurator(ctx)
	if err != nil {
		return err
	}
	defer closeFn()
	if len(pos) > 0 {
		if len(pos) != 2 || (pos[0] != "accept" && pos[0] != "reject") {
			return usageErr("use 'suggestions accept ID' or 'suggestions reject ID'")
		}
		id, err := strconv.ParseInt(pos[1], 10, 64)
		if err != nil {
			return usageErr("suggestion ID must be a number, not %q", pos[1])
		}
		if err := identity.DecideSuggestion(ctx, st, id, pos[0] == "accept", actor()); err != nil {
			return err
		}
		fmt.Fprintf(e.stdout, "suggestion %d %sed\n", id, pos[0])
		return nil
	}
	which := *status
	if which == "all" {
		which = ""
	}
	ss, err := st.Suggestions(ctx, which)
	if err != nil {
		return fmt.Errorf("list suggestions: %w", err)
	}
	if *format == "json" {
		return writeJSON(e.stdout, crm.SuggestionsView(ss))
	}
	rows := [][]string{{"ID", "CONFIDENCE", "MEMBERS", "ACCOUNTS", "WHY"}}
	for _, s := range ss {
		rows = append(rows, []string{strconv.FormatInt(s.ID, 10), fmt.Sprintf("%.0f%%", s.Confidence*100),
			fmt.Sprintf("%d + %d", s.MemberA, s.MemberB), s.A.Platform + ":" + s.A.ExternalID + " ~ " + s.B.Platform + ":" + s.B.ExternalID,
			strings.Join(s.Reasons, "; ")})
	}
	writeTable(e.stdout, rows, e.width(), []int{4, 3})
	if len(ss) == 0 {
		fmt.Fprintln(e.stdout, "no suggestions")
	}
	return nil
}

func cmdForget(ctx context.Context, e *cliEnv, args []string) error {
	fs := e.newFlags("forget", "MEMBER", "Erase a member everywhere: identities, activities, evidence, suggestions and decisions.\nOnly a salted hash of each account stays, so later syncs do not re-create them.\nThis cannot be undone; pass --yes to confirm.")
	yes := fs.Bool("yes", false, "confirm that the member is to be erased")
	pos, err := e.parse(fs, args)
	if err != nil {
		return err
	}
	if len(pos) != 1 {
		return usageErr("forget needs exactly one MEMBER (a member id or platform:username)")
	}
	st, closeFn, err := e.openCurator(ctx)
	if err != nil {
		return err
	}
	defer closeFn()
	m, err := findMember(ctx, st, pos[0])
	if err != nil {
		return err
	}
	if !*yes {
		fmt.Fprintf(e.stderr, "member %d (%s) has %d identities and %d activities.\n", m.ID, termLine(m.Name), len(m.Identities), m.ActivityCount)
		return usageErr("forget erases them for good: run again with --yes to confirm")
	}
	n, err := st.Forget(ctx, m.ID, actor())
	if err != nil {
		return fmt.Errorf("forget member %d: %w", m.ID, err)
	}
	fmt.Fprintf(e.stdout, "forgot member %d: %d identities and their activities erased; later syncs skip them\n", m.ID, n)
	return nil
}

func cmdIdentity(ctx context.Context, e *cliEnv, args []string) error {
	if len(args) > 0 && args[0] == "rebuild" {
		return cmdIdentityRebuild(ctx, e, args[1:])
	}
	if len(args) == 0 || args[0] != "resolve" {
		if len(args) > 0 && (args[0] == "--help" || args[0] == "-h" || args[0] == "help") {
			fmt.Fprintln(e.stdout, "Usage: rollcall identity resolve --format tsv < FILE\n       rollcall identity rebuild")
			return errHelp
		}
		return usageErr("use 'rollcall identity resolve --format tsv < FILE' or 'rollcall identity rebuild'")
	}
	fs := e.newFlags("identity resolve", "< FILE", "Resolve git commit authors with no store and no other evidence: reads rows\nid<TAB>name<TAB>email (header optional) and prints id<TAB>member for every row.")
	format := fs.String("format", "tsv", "input and output `format`: tsv")
	pos, err := e.parse(fs, args[1:])
	if err != nil {
		return err
	}
	if len(pos) > 0 {
		return usageErr("identity resolve reads standard input; it takes no arguments")
	}
	if *format != "tsv" {
		return usageErr("--format must be tsv")
	}
	if err := identity.ResolveTSV(e.stdin, e.stdout); err != nil {
		return fmt.Errorf("identity resolve: %w", err)
	}
	return nil
}

// cmdIdentityRebuild resolves every identity of the store again and files
// every blocking key again; the daemon's runs after a batch resolve only
// what changed.
func cmdIdentityRebuild(ctx context.Context, e *cliEnv, args []string) error {
	fs := e.newFlags("identity rebuild", "", "Resolve every identity of the store again, with people's decisions, and file\nevery identity's blocking keys again. Syncs resolve only new and changed\nidentities; this is for after a rules change or to check the store.")
	pos, err := e.parse(fs, args)
	if err != nil {
		return err
	}
	if len(pos) > 0 {
		return usageErr("identity rebuild takes no arguments")
	}
	qs, closeFn, err := e.openQueryStore(ctx)
	if err != nil {
		return err
	}
	defer closeFn()
	st, ok := qs.(identity.Store)
	if !ok {
		return fmt.Errorf("identity rebuild: this store keeps no identities for the resolver")
	}
	res, err := (&identity.Resolver{}).Rebuild(ctx, st)
	if err != nil {
		return fmt.Errorf("identity rebuild: %w", err)
	}
	fmt.Fprintf(e.stdout, "resolved every identity: %d new members, %d identities joined, %d members merged, %d open suggestions\n",
		res.NewMembers, res.Joined, res.Merged, res.Suggestions)
	return nil
}

func cmdOverride(ctx context.Context, e *cliEnv, args []string) error {
	fs := e.newFlags("override", "MEMBER", "Set a member's display name and/or primary identity by hand; later syncs keep it.\nMEMBER is a member id or platform:username.")
	name := fs.String("name", "", "display `name` to show for the member")
	primary := fs.String("primary", "", "primary identity, as `platform:username` of one of the member's identities")
	pos, err := e.parse(fs, args)
	if err != nil {
		return err
	}
	if len(pos) != 1 {
		return usageErr("override needs exactly one MEMBER")
	}
	if *name == "" && *primary == "" {
		return usageErr("override needs --name and/or --primary")
	}
	st, closeFn, err := e.openCurator(ctx)
	if err != nil {
		return err
	}
	defer closeFn()
	m, err := findMember(ctx, st, pos[0])
	if err != nil {
		return err
	}
	var ref connectors.AccountRef
	if *primary != "" {
		var ok bool
		if ref, ok = identity.IdentityIn(m, *primary); !ok {
			return fmt.Errorf("member %d has no identity %q", m.ID, *primary)
		}
	}
	if err := st.SetOverride(ctx, m.ID, *name, ref, actor()); err != nil {
		return fmt.Errorf("override member %d: %w", m.ID, err)
	}
	fmt.Fprintf(e.stdout, "member %d updated\n", m.ID)
	return nil
}

func cmdMark(ctx context.Context, e *cliEnv, args []string) error {
	fs := e.newFlags("mark", "MEMBER staff|bot|none", "Mark a member as staff or a bot, or as neither ('none', whatever the team: list and\nthe platforms' flags say). MEMBER is a member id or platform:username. The mark is stored\nand audited; later syncs keep it. The role shows in the members JSON and on the pages.")
	reason := fs.String("reason", "", "why, for the audit log")
	pos, err := e.parse(fs, args)
	if err != nil {
		return err
	}
	if len(pos) != 2 {
		return usageErr("mark needs MEMBER and staff, bot or none")
	}
	if !crm.ValidMark(pos[1]) {
		return usageErr("mark must be staff, bot or none, not %q", pos[1])
	}
	st, closeFn, err := e.openCurator(ctx)
	if err != nil {
		return err
	}
	defer closeFn()
	m, err := identity.MarkMember(ctx, st, pos[0], pos[1], actor(), *reason)
	if err != nil {
		return cliDecisionErr(err)
	}
	role := m.Role
	if role == "" {
		role = "neither staff nor bot"
	}
	fmt.Fprintf(e.stdout, "member %d (%s) marked %s: %s\n", m.ID, termLine(m.Name), pos[1], role)
	return nil
}
