package main

import (
	"bufio"
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"os"
	"path/filepath"
	"strings"
	"time"

	"golang.org/x/term"

	"github.com/rollcall-dev/rollcall/connectors/signin"
	"github.com/rollcall-dev/rollcall/web"
)

const authUsage = `Usage:
  rollcall auth mastodon --server URL [--account NAME] [--name NAME | --out FILE] [--force]
  rollcall auth github --client-id ID [--host HOST | --base-url URL] [--name NAME | --out FILE] [--force]
  rollcall auth discourse --url URL [--name NAME | --out FILE] [--force]
  rollcall auth hash-password < PASSWORD

The first three get a read-only token for a source by signing in with your own account
(no token page, no admin needed), write it to a credential file with mode 0600
(default /etc/rollcall/credentials/NAME, the directory the systemd unit loads), and print
the configuration lines that use it. Nothing secret is printed.

hash-password reads a password and prints the hash for auth.users[].password_hash.

Run 'rollcall auth SUBCOMMAND --help' for its flags.`

// cmdAuth is 'rollcall auth': getting tokens (mastodon, github, discourse)
// and hashing a password for the web login (hash-password).
func cmdAuth(ctx context.Context, e *cliEnv, args []string) error {
	if len(args) == 0 {
		return usageErr("use 'rollcall auth mastodon|github|discourse' to get a token, or 'rollcall auth hash-password' (see 'rollcall auth --help')")
	}
	switch args[0] {
	case "--help", "-h", "help":
		fmt.Fprintln(e.stdout, authUsage)
		return errHelp
	case "hash-password":
		return cmdAuthHashPassword(ctx, e, args[1:])
	case "mastodon":
		return cmdAuthMastodon(ctx, e, args[1:])
	case "github":
		return cmdAuthGitHub(ctx, e, args[1:])
	case "discourse":
		return cmdAuthDiscourse(ctx, e, args[1:])
	}
	return usageErr("unknown 'auth %s': use mastodon, github, discourse or hash-password", args[0])
}

// cmdAuthHashPassword is 'rollcall auth hash-password': it reads a
// password and prints the value for auth.users[].password_hash.
func cmdAuthHashPassword(ctx context.Context, e *cliEnv, args []string) error {
	fs := e.newFlags("auth hash-password", "", "Read a password from standard input (without echo on a terminal) and print its hash\nfor the auth.users[].password_hash setting of the web pages' login.")
	pos, err := e.parse(fs, args)
	if err != nil {
		return err
	}
	if len(pos) > 0 {
		return usageErr("auth hash-password reads the password from standard input; it takes no arguments")
	}
	in := newSecretReader(e)
	prompt := ""
	if in.tty != nil {
		prompt = "Password: "
	}
	password, err := in.read(ctx, prompt)
	if errors.Is(err, io.EOF) {
		return usageErr("no password on standard input")
	}
	if err != nil {
		return fmt.Errorf("read password: %w", err)
	}
	if len(password) < 8 {
		return usageErr("the password must have at least 8 characters")
	}
	h, err := web.HashPassword(password)
	if err != nil {
		return err
	}
	fmt.Fprintln(e.stdout, h)
	return nil
}

// secretReader reads lines from the command's standard input: without echo
// on a terminal (x/term), plainly otherwise. Prompts go to stderr.
type secretReader struct {
	e   *cliEnv
	tty *os.File      // stdin when it is a terminal
	buf *bufio.Reader // stdin otherwise
}

func newSecretReader(e *cliEnv) *secretReader {
	r := &secretReader{e: e}
	if f, ok := e.stdin.(*os.File); ok && term.IsTerminal(int(f.Fd())) {
		r.tty = f
	} else {
		r.buf = bufio.NewReader(e.stdin)
	}
	return r
}

// read prints prompt and reads one line without its line ending. At the
// end of the input it returns io.EOF (with no text). An interrupt (ctx
// done) stops the wait and gives the terminal its echo back.
func (r *secretReader) read(ctx context.Context, prompt string) (string, error) {
	if prompt != "" {
		fmt.Fprint(r.e.stderr, prompt)
	}
	type result struct {
		s   string
		err error
	}
	ch := make(chan result, 1)
	var state *term.State
	fd := -1
	if r.tty != nil {
		fd = int(r.tty.Fd())
		state, _ = term.GetState(fd)
		go func() {
			// After an interrupt this goroutine is left behind, blocked
			// until the process exits: it touches only fd.
			b, err := term.ReadPassword(fd)
			fmt.Fprintln(r.e.stderr)
			if err == nil && len(b) == 0 {
				ch <- result{"", nil}
				return
			}
			ch <- result{string(b), err}
		}()
	} else {
		go func() {
			line, err := r.buf.ReadString('\n')
			if err == io.EOF && line != "" {
				err = nil
			}
			if prompt != "" {
				// The input is not echoed: end the prompt's line.
				fmt.Fprintln(r.e.stderr)
			}
			ch <- result{strings.TrimRight(line, "\r\n"), err}
		}()
	}
	select {
	case res := <-ch:
		return res.s, res.err
	case <-ctx.Done():
		if state != nil {
			_ = term.Restore(fd, state)
		}
		return "", ctx.Err()
	}
}

// credentialFlags are the output flags every token command shares.
type credentialFlags struct {
	name, out string
	force     bool
}

func (c *credentialFlags) add(fs *flag.FlagSet, defaultName string) {
	fs.StringVar(&c.name, "name", defaultName, "credential `name`: the file "+signin.DefaultDir+"/NAME, read by the config as credential:NAME")
	fs.StringVar(&c.out, "out", "", "write the token to this `file` instead (its base name is the credential name)")
	fs.BoolVar(&c.force, "force", false, "replace an existing file")
}

// target returns the credential's file and name, or a usage error.
func (c *credentialFlags) target() (path, name string, err error) {
	if c.out != "" {
		path = filepath.Clean(c.out)
		name = filepath.Base(path)
	} else {
		name = c.name
		path = filepath.Join(signin.DefaultDir, name)
	}
	if name == "" || name == "." || name == "/" || strings.ContainsAny(name, `/\`) || strings.Contains(name, "..") || strings.ContainsAny(name, " :") {
		return "", "", usageErr("--name %q: a credential name is a plain file name without spaces or colons", name)
	}
	return path, name, nil
}

// check refuses early an existing file (before the person signs in for
// nothing); WriteFile checks again.
func (c *credentialFlags) check() (path, name string, err error) {
	path, name, err = c.target()
	if err != nil {
		return "", "", err
	}
	if _, err := os.Lstat(path); err == nil && !c.force {
		return "", "", fmt.Errorf("%s: %w", path, signin.ErrExists)
	}
	if err := signin.CheckWritable(filepath.Dir(path)); err != nil {
		hint := ""
		if c.out == "" {
			hint = " (run it as root, or pass --out FILE)"
		}
		return "", "", fmt.Errorf("%w%s", err, hint)
	}
	return path, name, nil
}

// saveCredential writes the secret and prints where, then the configuration lines
// (lines, indented as inside a source) and how systemd loads it.
func (e *cliEnv) saveCredential(c *credentialFlags, path, name, secret string, lines []string) error {
	if err := signin.WriteFile(path, secret, c.force); err != nil {
		return err
	}
	w := e.stdout
	fmt.Fprintf(w, "Wrote the token to %s (mode 0600).\n\nUse it in the source's settings in the configuration:\n\n", path)
	for _, l := range lines {
		fmt.Fprintf(w, "    %s\n", l)
	}
	fmt.Fprintf(w, "\nThe systemd unit loads it with\n\n    LoadCredential=%s:%s\n\n", name, path)
	switch name {
	case "github-token", "mastodon-token", "discourse-api-key":
		if path == filepath.Join(signin.DefaultDir, name) {
			fmt.Fprintf(w, "(rollcall.service has this line already); ")
			break
		}
		fallthrough
	default:
		fmt.Fprintf(w, "(add it in a drop-in: systemctl edit rollcall); ")
	}
	fmt.Fprintf(w, "outside systemd, set CREDENTIALS_DIRECTORY=%s.\n", filepath.Dir(path))
	return nil
}

// client is the HTTP client of the sign-in flows.
func (e *cliEnv) client() *http.Client {
	if e.httpClient != nil {
		return e.httpClient
	}
	return &http.Client{Timeout: time.Minute}
}

func cmdAuthMastodon(ctx context.Context, e *cliEnv, args []string) error {
	fs := e.newFlags("auth mastodon", "", "Register the application \"rollcall\" on a Mastodon server (read-only scopes "+strings.Join(signin.MastodonScopes, ", ")+"),\n"+
		"print the page where you sign in and authorize it, read the code that page shows (without\n"+
		"echo on a terminal), exchange it for a token, and write the token to a credential file.")
	server := fs.String("server", "", "the Mastodon server, e.g. https://fosstodon.org (the source's server:)")
	account := fs.String("account", "", "the account you sign in as (`NAME` or NAME@DOMAIN, one of the source's accounts:);\nthe token is refused if it belongs to another account")
	var cf credentialFlags
	cf.add(fs, "mastodon-token")
	pos, err := e.parse(fs, args)
	if err != nil {
		return err
	}
	if len(pos) > 0 {
		return usageErr("auth mastodon takes no arguments, only --server")
	}
	if *server == "" {
		return usageErr("auth mastodon needs --server URL (the Mastodon server)")
	}
	base, err := signin.ServerURL(*server)
	if err != nil {
		return usageErr("--server: %v", err)
	}
	path, name, err := cf.check()
	if err != nil {
		return err
	}
	hc := e.client()
	app, err := signin.RegisterMastodonApp(ctx, hc, base, "rollcall", "https://github.com/rollcall-dev/rollcall")
	if err != nil {
		return err
	}
	who := "the account rollcall should read"
	if *account != "" {
		who = "@" + strings.TrimPrefix(*account, "@")
	}
	fmt.Fprintf(e.stderr, "Registered the application \"rollcall\" on %s (read-only).\n\nOpen this page, sign in as %s and click Authorize:\n\n    %s\n\nThe page then shows a code.\n", base, who, app.AuthURL())
	in := newSecretReader(e)
	var code string
	for code == "" {
		code, err = in.read(ctx, "Paste the code: ")
		if errors.Is(err, io.EOF) {
			return errors.New("mastodon: no code on standard input")
		}
		if err != nil {
			return fmt.Errorf("mastodon: read the code: %w", err)
		}
		code = strings.TrimSpace(code)
	}
	tok, err := app.Exchange(ctx, hc, code)
	if err != nil {
		return err
	}
	acct, err := signin.MastodonAccount(ctx, hc, base, tok.AccessToken)
	if err != nil {
		return err
	}
	if *account != "" && !sameAcct(*account, acct, base) {
		return fmt.Errorf("mastodon: the token belongs to @%s, not %s: nothing written; sign out of the page and run the command again as %s", acct, who, who)
	}
	fmt.Fprintf(e.stderr, "Signed in as @%s.\n", acct)
	return e.saveCredential(&cf, path, name, tok.AccessToken, []string{
		"type: mastodon",
		"server: " + base,
		"token: credential:" + name,
	})
}

// sameAcct reports whether the --account a names the account acct
// (verify_credentials' acct: the bare user name for a local account).
func sameAcct(a, acct, server string) bool {
	norm := func(s string) string {
		s = strings.ToLower(strings.TrimPrefix(strings.TrimSpace(s), "@"))
		if u, err := url.Parse(server); err == nil {
			s = strings.TrimSuffix(s, "@"+strings.ToLower(u.Hostname()))
		}
		return s
	}
	return norm(a) == norm(acct)
}

func cmdAuthGitHub(ctx context.Context, e *cliEnv, args []string) error {
	fs := e.newFlags("auth github", "", "Sign in to GitHub with the OAuth device flow: print a one-time code and the page to enter it,\n"+
		"wait while you authorize the OAuth app there, and write the token (scope "+strings.Join(signin.GitHubScopes, ", ")+": read-only;\n"+
		"public repositories need no scope) to a credential file.\n\n"+
		"The OAuth app is yours or your organization's: Settings > Developer settings > OAuth Apps > New,\n"+
		"tick \"Enable Device Flow\", and pass its Client ID (not a secret; no client secret is needed).")
	clientID := fs.String("client-id", "", "the OAuth app's Client `ID`")
	host := fs.String("host", "", "a GitHub Enterprise Server `host`, e.g. github.example.com (default github.com)")
	baseURL := fs.String("base-url", "", "a GitHub Enterprise Server `URL`, as the source's base_url: (instead of --host)")
	var cf credentialFlags
	cf.add(fs, "github-token")
	pos, err := e.parse(fs, args)
	if err != nil {
		return err
	}
	if len(pos) > 0 {
		return usageErr("auth github takes no arguments")
	}
	if *clientID == "" {
		return usageErr("auth github needs --client-id ID: the Client ID of an OAuth app with the device flow enabled (see 'rollcall auth github --help')")
	}
	var base string
	switch {
	case *host != "" && *baseURL != "":
		return usageErr("pass --host or --base-url, not both")
	case *host != "":
		if strings.ContainsAny(*host, "/ ") {
			return usageErr("--host %q: a host name, e.g. github.example.com (or use --base-url)", *host)
		}
		base = "https://" + *host + "/"
	case *baseURL != "":
		b, err := signin.ServerURL(*baseURL)
		if err != nil {
			return usageErr("--base-url: %v", err)
		}
		base = strings.TrimSuffix(b, "/api/v3") + "/"
	}
	path, name, err := cf.check()
	if err != nil {
		return err
	}
	hc := e.client()
	flow := signin.NewGitHubDevice(base, *clientID, signin.GitHubScopes)
	da, err := flow.Start(ctx, hc)
	if err != nil {
		return err
	}
	expires := ""
	if !da.Expiry.IsZero() {
		expires = fmt.Sprintf(" (it expires in %d minutes)", int(time.Until(da.Expiry).Round(time.Minute)/time.Minute))
	}
	fmt.Fprintf(e.stderr, "Open %s and enter the code%s:\n\n    %s\n\nWaiting for the authorization... (Ctrl-C to stop)\n", da.VerificationURI, expires, da.UserCode)
	tok, err := flow.Wait(ctx, hc, da)
	if err != nil {
		return err
	}
	login, scopes, err := signin.GitHubUser(ctx, hc, flow.API, tok.AccessToken)
	if err != nil {
		return err
	}
	if scopes == "" {
		scopes = "none"
	}
	fmt.Fprintf(e.stderr, "Signed in as %s (scopes: %s).\n", login, scopes)
	if !tok.Expiry.IsZero() {
		// A GitHub App with expiring user tokens: rollcall keeps no
		// refresh token (it would be a second secret, single-use, to
		// rewrite on every refresh), so say plainly what happens.
		fmt.Fprintf(e.stderr, "Note: this token expires at %s (a GitHub App's user tokens last %s).\n"+
			"rollcall does not refresh it: before then, run this command again with --force (the running\n"+
			"daemon picks up the new file by itself), or use an OAuth app, whose tokens do not expire.\n"+
			"'rollcall doctor' shows the expiry.\n",
			tok.Expiry.UTC().Format(time.RFC3339), time.Until(tok.Expiry).Round(time.Hour))
	}
	lines := []string{"type: github", "token: credential:" + name}
	if base != "" {
		lines = append(lines, "base_url: "+base)
	}
	return e.saveCredential(&cf, path, name, tok.AccessToken, lines)
}

func cmdAuthDiscourse(ctx context.Context, e *cliEnv, args []string) error {
	fs := e.newFlags("auth discourse", "", "Get a Discourse user API key (scope read) as a user, without an admin: generate an RSA key pair,\n"+
		"print the forum's approval page, read the payload the forum shows after you approve, decrypt\n"+
		"it, and write the key to a credential file. The key reads what your account may read.")
	forum := fs.String("url", "", "the forum, e.g. https://forum.example.org (the source's url:)")
	clientID := fs.String("client-id", "", "the client `id` the key is made for (default rollcall-HOSTNAME); approving again\nwith the same id replaces the earlier key")
	redirect := fs.String("auth-redirect", "", "a `URL` the forum redirects to with the payload (the site must allow it in\nallowed_user_api_auth_redirects); default: the forum shows the payload to copy")
	var cf credentialFlags
	cf.add(fs, "discourse-api-key")
	pos, err := e.parse(fs, args)
	if err != nil {
		return err
	}
	if len(pos) > 0 {
		return usageErr("auth discourse takes no arguments, only --url")
	}
	if *forum == "" {
		return usageErr("auth discourse needs --url URL (the forum)")
	}
	base, err := signin.ServerURL(*forum)
	if err != nil {
		return usageErr("--url: %v", err)
	}
	if *clientID == "" {
		h, _ := os.Hostname()
		*clientID = "rollcall-" + strings.ToLower(strings.Map(func(r rune) rune {
			if r == '.' || r == '-' || r == '_' || ('a' <= r && r <= 'z') || ('A' <= r && r <= 'Z') || ('0' <= r && r <= '9') {
				return r
			}
			return -1
		}, h))
	}
	path, name, err := cf.check()
	if err != nil {
		return err
	}
	req, err := signin.NewDiscourseRequest(base, "rollcall", *clientID, *redirect, signin.DiscourseScopes)
	if err != nil {
		return err
	}
	then := "The forum then shows a payload, several lines of text: paste all of it here."
	if *redirect != "" {
		then = "The forum then sends you to " + *redirect + "?payload=...: paste that address (or the payload) here."
	}
	fmt.Fprintf(e.stderr, "Open this page, sign in to %s and click Authorize (read-only access):\n\n    %s\n\n%s\n", base, req.ApprovalURL(), then)
	payload, err := readPayload(ctx, newSecretReader(e), req.PayloadLen())
	if err != nil {
		return err
	}
	key, err := req.Decrypt(payload)
	if err != nil {
		return err
	}
	hc := e.client()
	user, err := signin.DiscourseUser(ctx, hc, base, key, *clientID)
	if err != nil {
		return err
	}
	fmt.Fprintf(e.stderr, "The key belongs to %s.\n", user)
	return e.saveCredential(&cf, path, name, key, []string{
		"type: discourse",
		"url: " + base,
		"user_api_key: credential:" + name,
		"user_api_client_id: " + *clientID,
	})
}

// readPayload reads a pasted payload: lines until the base64 text is
// complete (want characters), an empty line after some text, a line with
// a redirect URL, or the end of the input.
func readPayload(ctx context.Context, in *secretReader, want int) (string, error) {
	var b strings.Builder
	prompt := "Payload: "
	for {
		line, err := in.read(ctx, prompt)
		prompt = ""
		if errors.Is(err, io.EOF) {
			break
		}
		if err != nil {
			return "", fmt.Errorf("discourse: read the payload: %w", err)
		}
		line = strings.TrimSpace(line)
		if strings.Contains(line, "payload=") {
			return line, nil
		}
		if line == "" {
			if b.Len() > 0 {
				break
			}
			continue
		}
		b.WriteString(strings.Join(strings.Fields(line), ""))
		if b.Len() >= want {
			break
		}
	}
	if b.Len() == 0 {
		return "", errors.New("discourse: no payload on standard input")
	}
	return b.String(), nil
}
