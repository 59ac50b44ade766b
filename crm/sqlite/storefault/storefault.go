package storefault

import (
	"bufio"
	"context"
	"database/sql"
	"errors"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"sort"
	"strings"
	"syscall"
	"testing"
	"time"

	_ "modernc.org/sqlite" // the driver of the lock holder
)

// Fill writes a ballast file into dir until its file system is full, and
// returns the function that removes it (the fault cleared).
func Fill(t testing.TB, dir string) (clear func()) {
	t.Helper()
	p := filepath.Join(dir, "ballast")
	f, err := os.Create(p)
	if err != nil {
		t.Fatal(err)
	}
	chunk := make([]byte, 64<<10)
	for i := 0; ; i++ {
		if _, err := f.Write(chunk); err != nil {
			if !errors.Is(err, syscall.ENOSPC) {
				t.Fatalf("fill %s: %v", dir, err)
			}
			break
		}
		if i > 1<<16 {
			t.Fatalf("fill %s: still not full after 4 GiB", dir)
		}
	}
	// Leave not even a partial chunk.
	for {
		if _, err := f.Write(chunk[:512]); err != nil {
			break
		}
	}
	f.Close()
	return func() {
		if err := os.Remove(p); err != nil {
			t.Errorf("remove the ballast: %v", err)
		}
	}
}

// Corrupt damages the SQLite file at path: header true overwrites the
// file's header (SQLite then reads it as no database at all), false
// scribbles over the schema page after the header (a malformed database).
func Corrupt(t testing.TB, path string, header bool) {
	t.Helper()
	f, err := os.OpenFile(path, os.O_RDWR, 0)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	junk := []byte(strings.Repeat("\xde\xad\xbe\xef", 1024))
	off := int64(0)
	if !header {
		off = 100
		junk = junk[:4096-100]
	}
	if _, err := f.WriteAt(junk, off); err != nil {
		t.Fatal(err)
	}
}

// helperEnv names the store a lock-holder process locks.
const helperEnv = "ROLLCALL_STOREFAULT_LOCK"

// HelperProcess is the body of the lock-holder process: a test function
// of the package that calls HoldLock, named there, calls it first thing.
// Outside a holder process it returns at once. In one, it opens the store
// named by the environment, begins a write transaction, writes to it,
// prints "locked", and holds the lock until its standard input closes.
func HelperProcess() {
	path := os.Getenv(helperEnv)
	if path == "" {
		return
	}
	err := holdLock(path)
	if err != nil {
		fmt.Println("error:", err)
		os.Exit(1)
	}
	os.Exit(0)
}

func holdLock(path string) error {
	db, err := sql.Open("sqlite", path)
	if err != nil {
		return err
	}
	defer db.Close()
	ctx := context.Background()
	conn, err := db.Conn(ctx)
	if err != nil {
		return err
	}
	if _, err := conn.ExecContext(ctx, "BEGIN IMMEDIATE"); err != nil {
		return err
	}
	if _, err := conn.ExecContext(ctx, "CREATE TABLE IF NOT EXISTS storefault_lock (x)"); err != nil {
		return err
	}
	fmt.Println("locked")
	_, _ = io.Copy(io.Discard, os.Stdin)
	_, err = conn.ExecContext(ctx, "ROLLBACK")
	return err
}

// HoldLock starts another process (the test binary, running the test
// function helper, which calls HelperProcess) that holds a write lock on
// the SQLite store at path, and returns once it does. release ends it and
// waits for it; the test's end does too.
func HoldLock(t testing.TB, path, helper string) (release func()) {
	t.Helper()
	cmd := exec.Command(os.Args[0], "-test.run=^"+helper+"$", "-test.count=1")
	cmd.Env = append(os.Environ(), helperEnv+"="+path)
	stdin, err := cmd.StdinPipe()
	if err != nil {
		t.Fatal(err)
	}
	stdout, err := cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	ready := make(chan string, 1)
	go func() {
		line, _ := bufio.NewReader(stdout).ReadString('\n')
		ready <- strings.TrimSpace(line)
		_, _ = io.Copy(io.Discard, stdout)
	}()
	select {
	case line := <-ready:
		if line != "locked" {
			cmd.Process.Kill()
			cmd.Wait()
			t.Fatalf("lock holder: %q", line)
		}
	case <-time.After(30 * time.Second):
		cmd.Process.Kill()
		cmd.Wait()
		t.Fatal("lock holder did not lock within 30s")
	}
	done := false
	release = func() {
		if done {
			return
		}
		done = true
		stdin.Close()
		if err := cmd.Wait(); err != nil {
			t.Errorf("lock holder: %v", err)
		}
	}
	t.Cleanup(release)
	return release
}

// Lines runs each query (one text column) against the SQLite file at path,
// opened read-only so that reading competes with no writer, and returns
// each query's rows sorted: a store's contents as comparable lines.
func Lines(t testing.TB, path string, queries ...string) [][]string {
	t.Helper()
	db, err := sql.Open("sqlite", "file:"+path+"?mode=ro&_pragma=busy_timeout(10000)")
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	out := make([][]string, len(queries))
	for i, q := range queries {
		rows, err := db.Query(q)
		if err != nil {
			t.Fatalf("%s: %v", path, err)
		}
		for rows.Next() {
			var s string
			if err := rows.Scan(&s); err != nil {
				rows.Close()
				t.Fatal(err)
			}
			out[i] = append(out[i], s)
		}
		err = rows.Err()
		rows.Close()
		if err != nil {
			t.Fatal(err)
		}
		sort.Strings(out[i])
	}
	return out
}
