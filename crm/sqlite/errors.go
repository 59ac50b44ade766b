package sqlite

import (
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"syscall"

	"modernc.org/sqlite"
)

// Primary SQLite result codes (the low byte of an extended code).
const (
	codeBusy     = 5
	codeLocked   = 6
	codeReadOnly = 8
	codeIOErr    = 10
	codeCorrupt  = 11
	codeFull     = 13
	codeCantOpen = 14
	codeNotADB   = 26
)

// Fault kinds of a FaultError.
const (
	FaultFull     = "full"
	FaultReadOnly = "read-only"
	FaultLocked   = "locked"
	FaultCorrupt  = "corrupt"
	FaultCantOpen = "cannot open"
)

// FaultError is a failure of the store's file that a person resolves: a
// full disk, a read-only file, a lock held by another process, a corrupt
// file. Its message names the file and says what to do; Err is SQLite's
// own error. The daemon retries writes that failed so: once the fault is
// cleared, it goes on by itself.
type FaultError struct {
	// Kind is one of the Fault constants.
	Kind string
	// Path is the store's file.
	Path string
	Err  error
}

func (e *FaultError) Error() string {
	var what string
	switch e.Kind {
	case FaultFull:
		what = fmt.Sprintf("the disk holding %s is full: free space on it (or move the store to a larger disk); every batch committed before is kept, and rollcall retries by itself", e.Path)
	case FaultReadOnly:
		what = fmt.Sprintf("%s is read-only: make the file, its -wal and -shm files and their directory writable by the user rollcall runs as (and the file system mounted read-write); a running daemon retries its writes by itself", e.Path)
	case FaultLocked:
		what = fmt.Sprintf("%s is locked by another process: stop the program that holds it open in a write (a sqlite3 shell, a backup tool, another rollcall on another configuration), or wait until it finishes; rollcall retries by itself", e.Path)
	case FaultCorrupt:
		what = fmt.Sprintf("%s is corrupt or not a rollcall store: stop rollcall and restore the file from a backup, or move it away (with its -wal and -shm files) to start a new store; `sqlite3 %s 'PRAGMA integrity_check'` shows the damage", e.Path, e.Path)
	default:
		what = fmt.Sprintf("cannot open %s: check that its directory exists and that the user rollcall runs as may read and write it", e.Path)
	}
	return what + " (" + e.Err.Error() + ")"
}

func (e *FaultError) Unwrap() error { return e.Err }

// describe returns err as a *FaultError for the store at path when SQLite
// reports a full disk, a read-only or locked file, a corrupt file or one it
// cannot open; other errors come back unchanged.
func describe(path string, err error) error {
	if err == nil {
		return nil
	}
	var fe *FaultError
	if errors.As(err, &fe) {
		return err
	}
	kind := faultKind(err)
	if kind == "" {
		return err
	}
	if kind == FaultCantOpen && readOnly(path) {
		// SQLite says only that it cannot open a file it may not write
		// (or its -wal and -shm files, which WAL mode needs).
		kind = FaultReadOnly
	}
	return &FaultError{Kind: kind, Path: path, Err: err}
}

// readOnly reports whether the file at path, or its directory, refuses
// writes (permissions or a read-only file system).
func readOnly(path string) bool {
	refused := func(err error) bool { return errors.Is(err, fs.ErrPermission) || errors.Is(err, syscall.EROFS) }
	if f, err := os.OpenFile(path, os.O_WRONLY, 0); err == nil {
		f.Close()
	} else if refused(err) {
		return true
	}
	f, err := os.CreateTemp(filepath.Dir(path), ".rollcall-write-probe-*")
	if err == nil {
		name := f.Name()
		f.Close()
		os.Remove(name)
		return false
	}
	return refused(err)
}

// faultKind classifies a SQLite error; "" when it is no file fault.
func faultKind(err error) string {
	var se *sqlite.Error
	if !errors.As(err, &se) {
		return ""
	}
	code := se.Code()
	switch code & 0xff {
	case codeFull:
		return FaultFull
	case codeReadOnly:
		return FaultReadOnly
	case codeBusy, codeLocked:
		return FaultLocked
	case codeCorrupt, codeNotADB:
		return FaultCorrupt
	case codeCantOpen:
		return FaultCantOpen
	case codeIOErr:
		// A write that found no space (SQLITE_IOERR_WRITE and friends on
		// ENOSPC in some VFS paths) reads as a full disk only when the
		// message says so; other I/O errors are left as they are.
		return ""
	}
	return ""
}
