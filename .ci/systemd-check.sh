#!/usr/bin/env bash
# Checks systemd/rollcall.service with the host's systemd-analyze:
#   - `systemd-analyze security --offline=yes` must rate it at most 1.2;
#   - `systemd-analyze verify` must pass without a warning about the unit.
# Verify insists that every Exec*= program exists, so it runs on the real,
# unchanged unit file inside a scratch --root= tree that holds a freshly built
# rollcall at /usr/local/bin/rollcall, the unit's other programs and the
# host's unit directories. Skips (exit 0) when systemd-analyze is missing.
# systemd/unit_test.go runs the same checks from `go test`.
set -euo pipefail
cd "$(dirname "$0")/.."

max=1.2
unit=systemd/rollcall.service

if ! command -v systemd-analyze >/dev/null 2>&1; then
  echo "systemd-check: systemd-analyze not found; skipping the unit checks"
  exit 0
fi
systemd-analyze --version | head -n 1

echo "== systemd-analyze security --offline=yes $unit"
if ! out=$(systemd-analyze security --offline=yes --no-pager "$unit" 2>&1); then
  echo "$out"
  echo "systemd-check: systemd-analyze security failed"
  exit 1
fi
score=$(sed -n 's/.*Overall exposure level for rollcall\.service: \([0-9][0-9.]*\).*/\1/p' <<<"$out")
if [ -z "$score" ]; then
  echo "$out"
  echo "systemd-check: no overall exposure level in the output"
  exit 1
fi
echo "overall exposure: $score (at most $max)"
if ! awk -v s="$score" -v m="$max" 'BEGIN { exit !(s <= m) }'; then
  echo "$out" | grep -v '^ *✓' || true
  echo "systemd-check: exposure $score is above $max"
  exit 1
fi

echo "== systemd-analyze verify $unit"
root=$(mktemp -d)
trap 'rm -rf "$root"' EXIT
mkdir -p "$root/etc/systemd/system"
cp "$unit" "$root/etc/systemd/system/rollcall.service"
export GOFLAGS="${GOFLAGS:-} -buildvcs=false"
go build -o "$root/usr/local/bin/rollcall" .
# The other programs of Exec*= lines (e.g. /bin/kill of ExecReload=).
sed -n 's/^Exec[A-Za-z]*=[-@:+!]*\([^ ]*\).*/\1/p' "$unit" | sort -u | while read -r bin; do
  case "$bin" in
    /usr/local/bin/rollcall) ;;
    /*) mkdir -p "$root$(dirname "$bin")"; cp -L "$bin" "$root$bin" ;;
    *) echo "systemd-check: $bin: Exec*= programs must be absolute paths"; exit 1 ;;
  esac
done
for dir in /usr/lib/systemd/system /lib/systemd/system; do
  [ -d "$dir" ] || continue
  real=$(readlink -f "$dir")
  [ -e "$root$real" ] && continue
  mkdir -p "$root$(dirname "$real")"
  cp -a "$real" "$root$real"
done
if ! out=$(systemd-analyze verify --man=no --root="$root" rollcall.service 2>&1); then
  echo "$out"
  echo "systemd-check: systemd-analyze verify failed"
  exit 1
fi
# verify only warns about unknown or misspelt settings; fail on those too.
if grep rollcall <<<"$out"; then
  echo "systemd-check: systemd-analyze verify warned about the unit"
  exit 1
fi
echo "systemd-check: ok (verify passed, exposure $score)"
