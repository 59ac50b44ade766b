// Package systemd is rollcall's systemd integration: the hardened unit file
// (Unit) and a commented example configuration (ExampleConfig), both embedded
// so that `rollcall doctor` can print and check them, and Notifier, the
// sd_notify glue over github.com/coreos/go-systemd/v22/daemon.
//
// Notifier sends READY=1 once the store is open and the HTTP port is bound
// (not after the first sync), STATUS= lines built by StatusLine,
// RELOADING=1 and READY=1 around a reload, STOPPING=1 on shutdown, and
// WATCHDOG=1 only while the daemon's own liveness check passes. Outside
// systemd every call is a no-op.
//
// What does not live here: deciding whether the daemon is alive (the daemon
// passes Watchdog a function), signal handling, reading credentials
// (config reads $CREDENTIALS_DIRECTORY) and the default store path (config
// reads $STATE_DIRECTORY). The package imports nothing of rollcall's and
// keeps no state beyond the two embedded files.
//
// Install steps, the credential layout and the sandbox's security score are
// in README.md next to this file.
package systemd
