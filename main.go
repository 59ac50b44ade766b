// Command rollcall gives a community team one truthful picture of its people:
// it syncs GitHub (and later Mastodon, Discourse and Stack Overflow) into a
// CRM store and answers who is who and who did what.
//
// main.go only dispatches; the subcommands live in serve.go (run, sync,
// demo; the daemon serves package web), bench.go (bench), query.go (members, journey),
// health.go (health),
// curate.go (decisions, through package identity as the web's do),
// authcmd.go (auth mastodon|github|discourse through package signin, and
// auth hash-password), webhooks.go (the webhook outbox) and
// cli.go (shared flag handling).
package main

import (
	"context"
	"fmt"
	"io"
	"os"
	"os/signal"
	"syscall"
	"time"
)

// version is set at build time with -ldflags "-X main.version=v1.2.3".
var version = "dev"

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	code := run(ctx, os.Args[1:], os.Stdin, os.Stdout, os.Stderr)
	stop()
	os.Exit(code)
}

// Exit statuses.
const (
	exitOK    = 0
	exitFail  = 1
	exitUsage = 2
)

type command struct {
	name    string
	summary string
	run     func(ctx context.Context, env *cliEnv, args []string) error
}

func commands() []command {
	return []command{
		{"run", "run the daemon: poll every configured source on its interval", cmdRun},
		{"sync", "sync every source once (--once) and print a summary", cmdSync},
		{"demo", "sync a simulated community on loopback into ./rollcall-demo.db", cmdDemo},
		{"bench", "measure a backfill, an idle and an incremental re-sync of a generated community: requests against the minimum, throughput, memory", cmdBench},
		{"members", "list members", cmdMembers},
		{"journey", "show one member's activity across platforms", cmdJourney},
		{"champions", "rank members by love, level and reach (--rising, --slipping)", cmdChampions},
		{"health", "community health over a period beside the one before: growth, activity, response times, retention, engagement, sentiment", cmdHealth},
		{"merge", "merge two members (a stored, reversible decision)", cmdMerge},
		{"unmerge", "move an identity out of a member", cmdUnmerge},
		{"suggestions", "list possible merges, or accept|reject one", cmdSuggestions},
		{"override", "set a member's display name or primary identity by hand", cmdOverride},
		{"mark", "mark a member as staff, bot or none (a stored, audited decision)", cmdMark},
		{"forget", "erase a member everywhere, keeping only a tombstone hash", cmdForget},
		{"identity", "identity resolve --format tsv: resolve git authors from stdin; identity rebuild: resolve the store again", cmdIdentity},
		{"auth", "auth mastodon|github|discourse: get a read-only token by signing in; auth hash-password: hash a password for the web login", cmdAuth},
		{"webhooks", "list pending and failed webhook deliveries, or retry a failed one", cmdWebhooks},
		{"migrate", "copy a store into another (SQLite to PostgreSQL): resumable, verified by counts and hashes", cmdMigrate},
		{"doctor", "check config, store, credentials and the systemd unit", cmdDoctor},
		{"version", "print the version", cmdVersion},
	}
}

func usage(w io.Writer) {
	fmt.Fprintf(w, "rollcall %s: one truthful picture of your community's people\n\nUsage:\n  rollcall [--config FILE] [--store PATH|URL] COMMAND [flags]\n\nCommands:\n", version)
	for _, c := range commands() {
		fmt.Fprintf(w, "  %-12s %s\n", c.name, c.summary)
	}
	fmt.Fprintf(w, "\nRun 'rollcall COMMAND --help' for a command's flags.\n")
}

// run is the whole program, testable without a process.
func run(ctx context.Context, args []string, stdin io.Reader, stdout, stderr io.Writer) int {
	return runEnv(ctx, &cliEnv{stdin: stdin, stdout: stdout, stderr: stderr, getenv: os.Getenv, now: time.Now}, args)
}

// runEnv is run with env prepared by the caller (tests set hooks in it).
func runEnv(ctx context.Context, env *cliEnv, args []string) int {
	// Nothing a command prints may act on the terminal (termsafe.go);
	// the raw streams stay for terminal checks and live progress.
	env.rawStdout, env.rawStderr = env.stdout, env.stderr
	tout, terr := newTermWriter(env.stdout), newTermWriter(env.stderr)
	defer tout.Flush()
	defer terr.Flush()
	env.stdout, env.stderr = tout, terr
	stdout, stderr := env.stdout, env.stderr
	// Global flags may come before the command.
	rest, err := env.parseGlobals(args)
	if err != nil {
		return env.fail(err)
	}
	if len(rest) == 0 {
		usage(stderr)
		return exitUsage
	}
	name := rest[0]
	if name == "help" || name == "-h" || name == "--help" {
		usage(stdout)
		return exitOK
	}
	for _, c := range commands() {
		if c.name == name {
			return env.fail(c.run(ctx, env, rest[1:]))
		}
	}
	fmt.Fprintf(stderr, "rollcall: unknown command %q\n\n", name)
	usage(stderr)
	return exitUsage
}
