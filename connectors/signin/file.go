package signin

import (
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
)

// DefaultDir is where credential files go unless the caller says otherwise:
// the directory the systemd unit loads with LoadCredential= and the
// configuration reads as $CREDENTIALS_DIRECTORY.
const DefaultDir = "/etc/rollcall/credentials"

// ErrExists is returned by WriteFile when the file exists and force is not
// set.
var ErrExists = errors.New("the file exists (pass --force to replace it)")

// WriteFile writes secret, followed by a newline (which the configuration
// drops), to path with mode 0600. It creates the directory with mode 0700
// when it is missing, and writes atomically: a temporary file in the same
// directory, synced, then renamed over path, so that a reader sees the old
// file or the new one, never a part. An existing path is ErrExists unless
// force. Errors name the path, never the secret.
func WriteFile(path, secret string, force bool) error {
	dir := filepath.Dir(path)
	if err := os.MkdirAll(dir, 0o700); err != nil {
		return fmt.Errorf("create %s: %w", dir, unwrapPath(err))
	}
	if !force {
		if _, err := os.Lstat(path); err == nil {
			return fmt.Errorf("%s: %w", path, ErrExists)
		}
	}
	tmp, err := os.CreateTemp(dir, "."+filepath.Base(path)+".tmp-*")
	if err != nil {
		return fmt.Errorf("write %s: %w", path, unwrapPath(err))
	}
	done := false
	defer func() {
		if !done {
			tmp.Close()
			os.Remove(tmp.Name())
		}
	}()
	// CreateTemp makes the file 0600 already; Chmod makes sure of it
	// whatever the umask.
	if err := tmp.Chmod(0o600); err != nil {
		return fmt.Errorf("write %s: %w", path, unwrapPath(err))
	}
	if _, err := tmp.WriteString(secret + "\n"); err != nil {
		return fmt.Errorf("write %s: %w", path, unwrapPath(err))
	}
	if err := tmp.Sync(); err != nil {
		return fmt.Errorf("write %s: %w", path, unwrapPath(err))
	}
	if err := tmp.Close(); err != nil {
		return fmt.Errorf("write %s: %w", path, unwrapPath(err))
	}
	if !force {
		// Link fails when path appeared meanwhile; a filesystem without
		// hard links falls back to the check above and a rename.
		err := os.Link(tmp.Name(), path)
		switch {
		case err == nil:
			os.Remove(tmp.Name())
			done = true
			return syncDir(dir)
		case errors.Is(err, fs.ErrExist):
			return fmt.Errorf("%s: %w", path, ErrExists)
		}
	}
	if err := os.Rename(tmp.Name(), path); err != nil {
		return fmt.Errorf("write %s: %w", path, unwrapPath(err))
	}
	done = true
	return syncDir(dir)
}

// CheckWritable makes sure a credential can be written into dir before a
// person signs in for nothing: it creates dir (mode 0700) when missing and
// creates and removes a temporary file there.
func CheckWritable(dir string) error {
	if err := os.MkdirAll(dir, 0o700); err != nil {
		return fmt.Errorf("create %s: %w", dir, unwrapPath(err))
	}
	f, err := os.CreateTemp(dir, ".rollcall-check-*")
	if err != nil {
		return fmt.Errorf("write into %s: %w", dir, unwrapPath(err))
	}
	f.Close()
	return os.Remove(f.Name())
}

// syncDir makes a rename in dir durable; where directories cannot be
// synced it does nothing.
func syncDir(dir string) error {
	d, err := os.Open(dir)
	if err != nil {
		return nil
	}
	defer d.Close()
	_ = d.Sync()
	return nil
}

// unwrapPath drops the path of a *fs.PathError, which the message names
// already.
func unwrapPath(err error) error {
	var pe *fs.PathError
	if errors.As(err, &pe) {
		return pe.Err
	}
	return err
}
