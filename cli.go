package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"os"
	"strings"
	"time"

	"github.com/rollcall-dev/rollcall/config"
	"github.com/rollcall-dev/rollcall/connectors"
	"github.com/rollcall-dev/rollcall/crm"
	"github.com/rollcall-dev/rollcall/crm/postgres"
	"github.com/rollcall-dev/rollcall/crm/sqlite"
	"github.com/rollcall-dev/rollcall/web"
)

// cliEnv carries what every subcommand shares: streams, global flags, and
// the environment.
type cliEnv struct {
	stdin          io.Reader
	stdout, stderr io.Writer
	// rawStdout and rawStderr are the streams before termWriter: for
	// terminal checks and the live progress line's own escapes.
	rawStdout, rawStderr io.Writer
	getenv               func(string) string
	// now is the clock (time.Now).
	now func() time.Time

	configPath string
	storePath  string
	logLevel   string
	logFormat  string
	quiet      bool

	// listenAddr is the HTTP address actually bound (tests read it).
	listenAddr string

	// httpClient is what `rollcall auth` talks to the services with; nil
	// means a default client (tests put a fake's transport here).
	httpClient *http.Client

	// demo, when set, replaces the demo's credentials and adds to its
	// configuration (tests only).
	demo *demoHooks
}

// usageError is a command-line mistake: exit status 2.
type usageError struct{ msg string }

func (e *usageError) Error() string { return e.msg }

func usageErr(format string, args ...any) error { return &usageError{fmt.Sprintf(format, args...)} }

// errHelp means --help was shown: exit status 0.
var errHelp = flag.ErrHelp

// fail maps an error to an exit status and prints it.
func (e *cliEnv) fail(err error) int {
	if err == nil || errors.Is(err, errHelp) {
		return exitOK
	}
	var ue *usageError
	if errors.As(err, &ue) {
		fmt.Fprintf(e.stderr, "rollcall: %s\n", ue.msg)
		return exitUsage
	}
	if errors.Is(err, context.Canceled) {
		return exitOK
	}
	fmt.Fprintf(e.stderr, "rollcall: %v\n", err)
	return exitFail
}

// globals adds the global flags to fs.
func (e *cliEnv) globals(fs *flag.FlagSet) {
	fs.StringVar(&e.configPath, "config", e.configPath, "configuration `file` (default /etc/rollcall/rollcall.yaml if it exists, else ./rollcall.yaml)")
	fs.StringVar(&e.storePath, "store", e.storePath, "store `path or URL` (overrides the config's store)")
	fs.StringVar(&e.logLevel, "log-level", orDefault(e.logLevel, "info"), "log `level`: debug, info, warn, error")
	fs.StringVar(&e.logFormat, "log-format", orDefault(e.logFormat, "text"), "log `format`: text or json")
}

func orDefault(v, d string) string {
	if v == "" {
		return d
	}
	return v
}

// parseGlobals parses global flags that come before the command name.
func (e *cliEnv) parseGlobals(args []string) ([]string, error) {
	fs := flag.NewFlagSet("rollcall", flag.ContinueOnError)
	fs.SetOutput(io.Discard)
	e.globals(fs)
	if err := fs.Parse(args); err != nil {
		if errors.Is(err, flag.ErrHelp) {
			return []string{"help"}, nil
		}
		return nil, usageErr("%v", err)
	}
	return fs.Args(), nil
}

// newFlags returns a flag set for a subcommand, with the global flags.
func (e *cliEnv) newFlags(name, argsUsage, summary string) *flag.FlagSet {
	fs := flag.NewFlagSet(name, flag.ContinueOnError)
	fs.SetOutput(e.stderr)
	e.globals(fs)
	fs.Usage = func() {
		fmt.Fprintf(fs.Output(), "Usage: rollcall %s [flags] %s\n\n%s\n\nFlags:\n", name, argsUsage, summary)
		printDefaults(fs)
	}
	return fs
}

// parse parses flags and positional arguments in any order. --help prints
// the usage on stdout; a bad flag prints the error and usage on stderr.
func (e *cliEnv) parse(fs *flag.FlagSet, args []string) ([]string, error) {
	var pos []string
	fs.SetOutput(io.Discard)
	for {
		if err := fs.Parse(args); err != nil {
			if errors.Is(err, flag.ErrHelp) {
				fs.SetOutput(e.stdout)
				fs.Usage()
				return nil, errHelp
			}
			fs.SetOutput(e.stderr)
			fs.Usage()
			fmt.Fprintln(e.stderr)
			return nil, &usageError{err.Error()}
		}
		args = fs.Args()
		if len(args) == 0 {
			return pos, nil
		}
		pos = append(pos, args[0])
		args = args[1:]
	}
}

// logger builds the process logger from the global flags.
func (e *cliEnv) logger() (*slog.Logger, error) {
	var level slog.Level
	if err := level.UnmarshalText([]byte(e.logLevel)); err != nil {
		return nil, usageErr("--log-level: %v", err)
	}
	opts := &slog.HandlerOptions{Level: level}
	switch e.logFormat {
	case "json":
		return slog.New(slog.NewJSONHandler(e.stderr, opts)), nil
	case "text", "":
		if e.getenv("JOURNAL_STREAM") != "" {
			// journald stamps each line itself.
			opts.ReplaceAttr = func(groups []string, a slog.Attr) slog.Attr {
				if len(groups) == 0 && a.Key == slog.TimeKey {
					return slog.Attr{}
				}
				return a
			}
		}
		return slog.New(slog.NewTextHandler(e.stderr, opts)), nil
	default:
		return nil, usageErr("--log-format must be text or json, not %q", e.logFormat)
	}
}

// loadConfig reads the configuration. When no --config was given and the
// default file does not exist, it returns an empty configuration if
// allowMissing is set.
func (e *cliEnv) loadConfig(allowMissing bool) (*config.Config, error) {
	path := e.configPath
	explicit := path != ""
	if !explicit {
		path = config.DefaultPath()
	}
	if _, err := os.Stat(path); err != nil && !explicit && allowMissing {
		return config.Parse(path, nil, config.Env{Getenv: os.LookupEnv, CredentialsDir: os.Getenv("CREDENTIALS_DIRECTORY")})
	}
	cfg, err := config.Load(path)
	if err != nil {
		return nil, err
	}
	return cfg, nil
}

// store is what the commands need from a store.
type store interface {
	daemonStore
	queryStore
	connectors.ProfileAges
	crm.ReadModel
	crm.ScoreReader
	web.Decider
	crm.Outbox
	crm.DeliveryLister
	// DeleteText deletes every stored text excerpt (privacy.keep_text: false).
	DeleteText(ctx context.Context) (int64, error)
	// SetKeepText false makes the store score each text for sentiment and
	// keep only the score (privacy.keep_text: false).
	SetKeepText(keep bool)
	scoreStore
	Close() error
}

// openStore opens the store named by --store, else by the configuration.
func (e *cliEnv) openStore(ctx context.Context, cfg *config.Config) (store, string, error) {
	path := e.storePath
	if path == "" && cfg != nil {
		path = cfg.Store
	}
	if path == "" {
		return nil, "", usageErr("no store: pass --store PATH or set store: in the config")
	}
	if isPostgresURL(path) {
		name := postgres.Redact(path)
		s, err := postgres.Open(ctx, path)
		if err != nil {
			// The error names the database without its password.
			return nil, "", e.storeError(cfg, name, err)
		}
		if cfg != nil {
			s.SetTeam(teamOf(cfg))
			if err := s.SetDecay(ctx, scoringOf(cfg).Decay); err != nil {
				s.Close()
				return nil, "", fmt.Errorf("open store %s: %w", name, err)
			}
		}
		return s, name, nil
	}
	s, err := sqlite.Open(ctx, path)
	if err != nil {
		return nil, "", e.storeError(cfg, path, err)
	}
	if cfg != nil {
		s.SetTeam(teamOf(cfg))
		// A configured decay other than the one the tallies were built
		// with rebuilds them once.
		if err := s.SetDecay(ctx, scoringOf(cfg).Decay); err != nil {
			s.Close()
			return nil, "", fmt.Errorf("open store %s: %w", path, err)
		}
	}
	return s, path, nil
}

// isPostgresURL reports whether a store setting names a PostgreSQL
// database rather than a SQLite file.
func isPostgresURL(s string) bool {
	return strings.HasPrefix(s, "postgres://") || strings.HasPrefix(s, "postgresql://")
}

// storeError is the error of a store that would not open: a configuration
// error naming the file, line and field when the store came from the
// configuration, else one naming --store. name never holds a password.
func (e *cliEnv) storeError(cfg *config.Config, name string, err error) error {
	if e.storePath == "" && cfg != nil && cfg.File != "" && cfg.StoreLine > 0 {
		return &config.Error{File: cfg.File, Line: cfg.StoreLine, Field: "store", Err: fmt.Errorf("open store: %w", err)}
	}
	if e.storePath != "" {
		return fmt.Errorf("--store %s: open store: %w", name, err)
	}
	return fmt.Errorf("open store %s: %w", name, err)
}

// printDefaults is flag.PrintDefaults with GNU-style "--name" spelling
// (both spellings are accepted).
func printDefaults(fs *flag.FlagSet) {
	fs.VisitAll(func(f *flag.Flag) {
		name, usage := flag.UnquoteUsage(f)
		line := "  --" + f.Name
		if name != "" {
			line += " " + name
		}
		line += "\n      " + strings.ReplaceAll(usage, "\n", "\n      ")
		if f.DefValue != "" && f.DefValue != "false" && f.DefValue != "0" {
			line += fmt.Sprintf(" (default %q)", f.DefValue)
		}
		fmt.Fprintln(fs.Output(), line)
	})
}

// teamSetter is implemented by stores that read the configured team list
// (see crm.Role).
type teamSetter interface{ SetTeam(crm.Team) }

// teamOf is the configuration's team list as the store reads it.
func teamOf(cfg *config.Config) crm.Team {
	entries := make([]crm.TeamMember, 0, len(cfg.Team))
	for _, t := range cfg.Team {
		entries = append(entries, crm.TeamMember{Platform: t.Platform, Username: t.Username, MemberID: t.MemberID})
	}
	return crm.NewTeam(entries)
}
