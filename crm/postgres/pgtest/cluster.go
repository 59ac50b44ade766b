package pgtest

import (
	"bytes"
	"fmt"
	"net"
	"os"
	"os/exec"
	"os/user"
	"path/filepath"
	"strconv"
	"sync"
	"testing"
)

// BinEnvVar names the directory of the PostgreSQL programs (initdb,
// pg_ctl) that Cluster runs.
const BinEnvVar = "ROLLCALL_TEST_POSTGRES_BIN"

// Server is a private PostgreSQL cluster of one test: its own data
// directory and port, which a test may stop and start again (a restart
// keeps both, so URL stays valid). Its methods are safe for concurrent use.
type Server struct {
	t    testing.TB
	bin  string
	dir  string // owned by the server's user; data/ and the socket live here
	port int
	// owner, when not nil, is the user the server runs as (root cannot
	// run PostgreSQL); nil means the current user.
	owner *user.User

	mu      sync.Mutex
	running bool
}

// Cluster creates a cluster with initdb (trust authentication, user
// rollcall, fsync off) in a new temporary directory, starts it on a free
// port of 127.0.0.1, and stops and removes it when the test ends. As root
// it runs the server as the postgres user, as .ci/postgres.sh does.
// Without ROLLCALL_TEST_POSTGRES_BIN the test is skipped, except in CI
// (CI=true), where it fails.
func Cluster(t testing.TB) *Server {
	t.Helper()
	bin := os.Getenv(BinEnvVar)
	if bin == "" {
		if os.Getenv("CI") == "true" {
			t.Fatalf("%s is not set; in CI the PostgreSQL tests must run (.ci/postgres.sh start sets it)", BinEnvVar)
		}
		t.Skipf("test environment variable %s not set, skipping test that needs a private PostgreSQL cluster", BinEnvVar)
	}
	// Not t.TempDir: its parent is private to us, and the postgres user
	// must reach the data directory.
	dir, err := os.MkdirTemp("", "rollcall-pgcluster-")
	if err != nil {
		t.Fatal(err)
	}
	s := &Server{t: t, bin: bin, dir: dir}
	t.Cleanup(func() {
		s.stop("immediate")
		if err := os.RemoveAll(dir); err != nil {
			t.Errorf("pgtest: remove %s: %v", dir, err)
		}
	})
	if err := os.Chmod(dir, 0o755); err != nil {
		t.Fatal(err)
	}
	if os.Geteuid() == 0 {
		u, err := user.Lookup("postgres")
		if err != nil {
			t.Fatalf("pgtest: running as root, and there is no postgres user to run the server: %v", err)
		}
		uid, _ := strconv.Atoi(u.Uid)
		gid, _ := strconv.Atoi(u.Gid)
		if err := os.Chown(dir, uid, gid); err != nil {
			t.Fatal(err)
		}
		s.owner = u
	}
	s.port = freePort(t)
	if out, err := s.run("initdb", "-D", s.data(), "-U", "rollcall", "--auth=trust", "-E", "UTF8", "--locale=C.UTF-8", "--no-sync"); err != nil {
		t.Fatalf("pgtest: initdb: %v\n%s", err, out)
	}
	s.Start()
	return s
}

// URL is the connection URL of the cluster's postgres database, as the
// superuser rollcall.
func (s *Server) URL() string {
	return fmt.Sprintf("postgres://rollcall@127.0.0.1:%d/postgres?sslmode=disable", s.port)
}

// Port is the TCP port the cluster listens on, across restarts.
func (s *Server) Port() int { return s.port }

// Start starts the stopped cluster on its port and waits until it accepts
// connections. Starting a running cluster does nothing.
func (s *Server) Start() {
	s.t.Helper()
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.running {
		return
	}
	opts := fmt.Sprintf("-c listen_addresses=127.0.0.1 -p %d -k %s -c max_connections=100 -c fsync=off -c full_page_writes=off", s.port, s.dir)
	if out, err := s.run("pg_ctl", "-D", s.data(), "-l", s.logFile(), "-w", "-t", "60", "-o", opts, "start"); err != nil {
		log, _ := os.ReadFile(s.logFile())
		s.t.Fatalf("pgtest: start cluster on port %d: %v\n%s\nserver log:\n%s", s.port, err, out, log)
	}
	s.running = true
}

// Stop shuts the cluster down as an operator's restart does (pg_ctl -m
// fast): open transactions are rolled back and connections are closed.
func (s *Server) Stop() {
	s.t.Helper()
	if err := s.stop("fast"); err != nil {
		s.t.Fatal(err)
	}
}

// Crash stops the cluster without a clean shutdown (pg_ctl -m immediate),
// as a lost machine or a killed server would; the next Start recovers
// from the write-ahead log.
func (s *Server) Crash() {
	s.t.Helper()
	if err := s.stop("immediate"); err != nil {
		s.t.Fatal(err)
	}
}

func (s *Server) stop(mode string) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	if !s.running {
		return nil
	}
	if out, err := s.run("pg_ctl", "-D", s.data(), "-m", mode, "-w", "-t", "60", "stop"); err != nil {
		return fmt.Errorf("pgtest: stop cluster (%s): %v\n%s", mode, err, out)
	}
	s.running = false
	return nil
}

// Log returns the server's log so far (for a failing test's message).
func (s *Server) Log() string {
	b, _ := os.ReadFile(s.logFile())
	return string(b)
}

func (s *Server) data() string    { return filepath.Join(s.dir, "data") }
func (s *Server) logFile() string { return filepath.Join(s.dir, "server.log") }

// run runs one of the PostgreSQL programs as the cluster's owner.
func (s *Server) run(prog string, args ...string) ([]byte, error) {
	path := filepath.Join(s.bin, prog)
	var cmd *exec.Cmd
	if s.owner != nil {
		cmd = exec.Command("runuser", append([]string{"-u", s.owner.Username, "--", path}, args...)...)
	} else {
		cmd = exec.Command(path, args...)
	}
	cmd.Dir = s.dir
	var out bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &out
	err := cmd.Run()
	return out.Bytes(), err
}

// freePort returns a TCP port on 127.0.0.1 that nothing listens on now.
func freePort(t testing.TB) int {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	return ln.Addr().(*net.TCPAddr).Port
}
