package main

import (
	"bufio"
	"context"
	"fmt"
	"os"
	"strings"

	"golang.org/x/term"

	"github.com/rollcall-dev/rollcall/web"
)

// cmdAuth is 'rollcall auth hash-password': it reads a password and prints
// the value for auth.users[].password_hash.
func cmdAuth(ctx context.Context, e *cliEnv, args []string) error {
	if len(args) == 0 || args[0] != "hash-password" {
		if len(args) > 0 && (args[0] == "--help" || args[0] == "-h" || args[0] == "help") {
			fmt.Fprintln(e.stdout, "Usage: rollcall auth hash-password < PASSWORD")
			return errHelp
		}
		return usageErr("use 'rollcall auth hash-password' (reads the password from standard input)")
	}
	fs := e.newFlags("auth hash-password", "", "Read a password from standard input (without echo on a terminal) and print its hash\nfor the auth.users[].password_hash setting of the web pages' login.")
	pos, err := e.parse(fs, args[1:])
	if err != nil {
		return err
	}
	if len(pos) > 0 {
		return usageErr("auth hash-password reads the password from standard input; it takes no arguments")
	}
	var password string
	if f, ok := e.stdin.(*os.File); ok && term.IsTerminal(int(f.Fd())) {
		fmt.Fprint(e.stderr, "Password: ")
		b, err := term.ReadPassword(int(f.Fd()))
		fmt.Fprintln(e.stderr)
		if err != nil {
			return fmt.Errorf("read password: %w", err)
		}
		password = string(b)
	} else {
		line, err := bufio.NewReader(e.stdin).ReadString('\n')
		if err != nil && line == "" {
			return usageErr("no password on standard input")
		}
		password = strings.TrimRight(line, "\r\n")
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
