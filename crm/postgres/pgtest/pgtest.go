// Package pgtest gives tests a fresh PostgreSQL database each: URL creates
// one on the server named by ROLLCALL_TEST_POSTGRES_URL and drops it when
// the test ends. Without the variable the test is skipped, except in CI
// (CI=true), where it fails: there the PostgreSQL tests must run.
//
// Cluster gives a test a private PostgreSQL server instead (initdb from
// ROLLCALL_TEST_POSTGRES_BIN), which the test may stop, crash and start
// again: for what a database that goes away does to the daemon.
package pgtest

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"net/url"
	"os"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"
)

// EnvVar names the admin URL of the test server.
const EnvVar = "ROLLCALL_TEST_POSTGRES_URL"

// URL creates an empty database with a random name and returns its URL;
// t.Cleanup drops it (forcing out connections left open).
func URL(t testing.TB) string {
	t.Helper()
	admin := os.Getenv(EnvVar)
	if admin == "" {
		if os.Getenv("CI") == "true" {
			t.Fatalf("%s is not set; in CI the PostgreSQL tests must run (.ci/postgres.sh starts a server)", EnvVar)
		}
		t.Skipf("test environment variable %s not set, skipping PostgreSQL test", EnvVar)
	}
	u, err := url.Parse(admin)
	if err != nil {
		t.Fatalf("%s is not a URL", EnvVar)
	}
	var b [8]byte
	if _, err := rand.Read(b[:]); err != nil {
		t.Fatal(err)
	}
	name := "rollcall_test_" + hex.EncodeToString(b[:])
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	conn, err := pgx.Connect(ctx, admin)
	if err != nil {
		t.Fatalf("pgtest: connect to %s: %v", u.Redacted(), err)
	}
	defer conn.Close(ctx)
	if _, err := conn.Exec(ctx, `CREATE DATABASE `+name); err != nil {
		t.Fatalf("pgtest: create database %s: %v", name, err)
	}
	t.Cleanup(func() {
		ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
		defer cancel()
		conn, err := pgx.Connect(ctx, admin)
		if err != nil {
			t.Errorf("pgtest: drop database %s: %v", name, err)
			return
		}
		defer conn.Close(ctx)
		if _, err := conn.Exec(ctx, `DROP DATABASE IF EXISTS `+name+` WITH (FORCE)`); err != nil {
			t.Errorf("pgtest: drop database %s: %v", name, err)
		}
	})
	u.Path = "/" + name
	return u.String()
}

// PasswordRole is the user of the test server that must give its password
// (.ci/postgres.sh makes pg_hba.conf ask it for one; every other user is
// trusted).
const PasswordRole = "rollcall_pw"

// WrongPasswordURL returns the URL of the database of u (from URL) as
// PasswordRole with a wrong password, after making sure the role exists
// with another password and that the server refuses the wrong one. It
// skips (fails in CI) when the server does not ask that role for its
// password.
func WrongPasswordURL(t testing.TB, u, wrong string) string {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	conn, err := pgx.Connect(ctx, u)
	if err != nil {
		t.Fatalf("pgtest: connect: %v", err)
	}
	defer conn.Close(ctx)
	var n int
	if err := conn.QueryRow(ctx, `SELECT count(*) FROM pg_roles WHERE rolname = $1`, PasswordRole).Scan(&n); err != nil {
		t.Fatalf("pgtest: look for role %s: %v", PasswordRole, err)
	}
	if n == 0 {
		var b [12]byte
		if _, err := rand.Read(b[:]); err != nil {
			t.Fatal(err)
		}
		// A concurrent test may create it first: that is as good.
		_, _ = conn.Exec(ctx, `CREATE ROLE `+PasswordRole+` LOGIN PASSWORD '`+hex.EncodeToString(b[:])+`'`)
	}
	p, err := url.Parse(u)
	if err != nil {
		t.Fatal(err)
	}
	p.User = url.UserPassword(PasswordRole, wrong)
	bad := p.String()
	if c, err := pgx.Connect(ctx, bad); err == nil {
		c.Close(ctx)
		msg := "the test server let " + PasswordRole + " in with a wrong password: its pg_hba.conf must ask that user for a password (.ci/postgres.sh does)"
		if os.Getenv("CI") == "true" {
			t.Fatal(msg)
		}
		t.Skip(msg)
	}
	return bad
}
