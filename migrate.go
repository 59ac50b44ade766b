package main

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"strings"
	"text/tabwriter"
	"time"

	"golang.org/x/term"

	"github.com/rollcall-dev/rollcall/crm"
	"github.com/rollcall-dev/rollcall/crm/postgres"
	"github.com/rollcall-dev/rollcall/crm/sqlite"
)

// copyStore is a store `rollcall migrate` reads or writes.
type copyStore interface {
	crm.CopyTarget
	Close() error
}

// openCopyStore opens the store a migrate URL names: sqlite:PATH (or a
// plain path) or postgres://… . What names it in messages never carries a
// password.
func openCopyStore(ctx context.Context, flagName, v string) (copyStore, string, error) {
	switch {
	case v == "":
		return nil, "", usageErr("migrate needs --%s", flagName)
	case strings.HasPrefix(v, "postgres://") || strings.HasPrefix(v, "postgresql://"):
		return openPostgresCopy(ctx, flagName, v)
	}
	path := strings.TrimPrefix(v, "sqlite:")
	if path == "" || strings.Contains(path, "://") {
		return nil, "", usageErr("--%s %q: want sqlite:PATH or a postgres:// URL", flagName, v)
	}
	s, err := sqlite.Open(ctx, path)
	if err != nil {
		return nil, "", fmt.Errorf("open --%s %s: %w", flagName, path, err)
	}
	return s, "sqlite:" + path, nil
}

func cmdMigrate(ctx context.Context, e *cliEnv, args []string) error {
	fs := e.newFlags("migrate", "", "Copy a store into another (SQLite to PostgreSQL, or back), table by table in batches, each\n"+
		"committed with the copy's progress: an interrupted copy resumes when the same command runs\n"+
		"again. It refuses a target that already has members, identities or activities unless\n"+
		"--append. It ends by comparing each table's row count and content hash on both sides.")
	from := fs.String("from", "", "the source store: sqlite:`PATH` or postgres://...")
	to := fs.String("to", "", "the target store: postgres://... or sqlite:`PATH`")
	appendRows := fs.Bool("append", false, "add to a target that has rows: rows it lacks are added, equal rows skipped,\na different row with the same key stops the copy")
	batch := fs.Int("batch", 2000, "rows per transaction")
	format := fs.String("format", "table", "output: table or json")
	fs.BoolVar(&e.quiet, "quiet", false, "no progress line on a terminal")
	pos, err := e.parse(fs, args)
	if err != nil {
		return err
	}
	if len(pos) > 0 {
		return usageErr("migrate takes no arguments, only --from and --to")
	}
	if *format != "table" && *format != "json" {
		return usageErr("--format must be table or json, not %q", *format)
	}
	if *batch < 1 {
		return usageErr("--batch must be 1 or more")
	}
	src, srcName, err := openCopyStore(ctx, "from", *from)
	if err != nil {
		return err
	}
	defer src.Close()
	dst, dstName, err := openCopyStore(ctx, "to", *to)
	if err != nil {
		return err
	}
	defer dst.Close()
	if srcName == dstName {
		return usageErr("--from and --to name the same store")
	}
	opt := crm.CopyOptions{Append: *appendRows, Batch: *batch}
	// On a terminal, a progress line at most every second.
	if f, ok := e.rawStderr.(*os.File); ok && term.IsTerminal(int(f.Fd())) && !e.quiet {
		var last time.Time
		opt.Progress = func(table string, rows int64) {
			if now := time.Now(); now.Sub(last) >= time.Second {
				last = now
				fmt.Fprintf(e.rawStderr, "\r\033[Kcopying %s: %d rows", table, rows)
			}
		}
		defer fmt.Fprint(e.rawStderr, "\r\033[K")
	}
	rep, err := crm.CopyStore(ctx, src, dst, opt)
	switch {
	case errors.Is(err, crm.ErrCopyTargetNotEmpty):
		return fmt.Errorf("migrate %s to %s: %w", srcName, dstName, err)
	case err != nil && ctx.Err() != nil:
		return fmt.Errorf("migrate %s to %s: interrupted; run the same command again to resume: %w", srcName, dstName, err)
	case err != nil:
		return fmt.Errorf("migrate %s to %s: %w (run the same command again to resume after fixing it)", srcName, dstName, err)
	}
	if *format == "json" {
		enc := json.NewEncoder(e.stdout)
		enc.SetIndent("", "  ")
		if err := enc.Encode(rep); err != nil {
			return err
		}
	} else {
		printCopyReport(e.stdout, srcName, dstName, rep)
	}
	switch {
	case *appendRows && !rep.Contained:
		return fmt.Errorf("migrate %s to %s: the target has fewer rows than the source in some table", srcName, dstName)
	case !*appendRows && !rep.Equal:
		return fmt.Errorf("migrate %s to %s: counts or content hashes differ (see the table)", srcName, dstName)
	}
	return nil
}

func printCopyReport(w io.Writer, src, dst string, rep crm.CopyReport) {
	if rep.Resumed {
		fmt.Fprintf(w, "resumed an interrupted copy of %s into %s\n\n", src, dst)
	}
	tw := tabwriter.NewWriter(w, 0, 4, 2, ' ', 0)
	fmt.Fprintln(tw, "TABLE\tSOURCE ROWS\tTARGET ROWS\tCOPIED NOW\tSOURCE HASH\tTARGET HASH\t")
	var rows, copied int64
	for _, t := range rep.Tables {
		mark := ""
		if t.Source != t.Target || t.SourceHash != t.TargetHash {
			mark = "differs"
		}
		fmt.Fprintf(tw, "%s\t%d\t%d\t%d\t%s\t%s\t%s\n", t.Table, t.Source, t.Target, t.Copied, t.SourceHash[:16], t.TargetHash[:16], mark)
		rows += t.Source
		copied += t.Copied
	}
	tw.Flush()
	fmt.Fprintln(w)
	switch {
	case rep.Equal:
		fmt.Fprintf(w, "verified: %d tables, %d rows; counts and content hashes equal (%d rows copied by this run)\n", len(rep.Tables), rows, copied)
	case rep.Contained:
		fmt.Fprintf(w, "appended: every source row is in the target (%d rows copied by this run); the target has others too\n", copied)
	default:
		fmt.Fprintln(w, "NOT verified: some table differs")
	}
}

// openPostgresCopy opens a PostgreSQL store for migrate.
func openPostgresCopy(ctx context.Context, flagName, v string) (copyStore, string, error) {
	s, err := postgres.Open(ctx, v)
	if err != nil {
		return nil, "", fmt.Errorf("open --%s: %w", flagName, err)
	}
	return s, postgres.Redact(v), nil
}
