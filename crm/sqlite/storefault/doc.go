// Package storefault makes a SQLite store's file fail the way disks and
// neighbours do, for tests: a small file system that fills up (a tmpfs
// mounted by the test, which needs root), a read-only file system, a write
// lock held by another process, a corrupt file. It lives beside the SQLite
// store and is used by its tests and the daemon's; production code never
// imports it.
package storefault
