#!/usr/bin/env bash
# The machine set-up that `npm start` and `bash .ci/run` share, so what they install cannot drift:
# the Debian packages the local estate and the tests use, and a check of the Go toolchain the engine and
# the Go-built tools need (Go is not a Debian package here: Debian's is too old).
#   scripts/setup.sh            install the missing packages (as root, or through sudo), check Go
#   scripts/setup.sh --list     print the package list, one line (README.md shows the same list)
#   scripts/setup.sh --go-min   print the minimum Go version (the highest `go` line of engine/**/go.mod)
# Installs nothing when every package is there already, so `npm start` pays for it once.
set -euo pipefail
root="$(cd "$(dirname "$0")/.." && pwd)"

# The one package list. dockerd, the SSH class hosts, busybox test images, registry (2.8) and skopeo,
# htpasswd, mount namespaces (util-linux) and bridges (iproute2), workflow linting (shellcheck), the
# PostgreSQL state backend the team tests run against (postgresql), and the TLS certificates those tests
# make (openssl).
packages="docker.io docker-registry skopeo busybox-static apache2-utils curl jq shellcheck zsh openssh-server openssh-client util-linux iproute2 postgresql openssl"

# The minimum Go: the highest `go` directive of the engine's wrapper modules (e.g. 1.26.6).
go_min() {
  find "$root/engine" -name go.mod -exec sed -n 's/^go \([0-9.]*\)$/\1/p' {} + | sort -V | tail -n 1
}

case "${1:-}" in
  --list) echo "$packages"; exit 0 ;;
  --go-min) go_min; exit 0 ;;
  "") ;;
  *) echo "setup: unknown argument \"$1\" (use --list or --go-min, or no argument)." >&2; exit 2 ;;
esac

say() { echo "setup: $*" >&2; }

# One dpkg-query for the whole list: a package it does not know is missing too.
# shellcheck disable=SC2086 # the list is split on purpose
installed=" $(dpkg-query -W -f='${db:Status-Status}=${Package} ' $packages 2>/dev/null | tr ' ' '\n' | sed -n 's/^installed=//p' | tr '\n' ' ' || true)"
missing=""
for p in $packages; do
  case "$installed" in *" $p "*) ;; *) missing="$missing $p" ;; esac
done
missing="${missing# }"

if [ -n "$missing" ]; then
  if ! command -v apt-get >/dev/null 2>&1; then
    say "these Debian packages are missing and this machine has no apt-get: $missing. Install them (or their equivalents), then run this again."
    exit 2
  fi
  if [ "$(id -u)" -eq 0 ]; then
    as_root=()
  elif command -v sudo >/dev/null 2>&1 && sudo -n true 2>/dev/null; then
    as_root=(sudo)
  elif command -v sudo >/dev/null 2>&1 && [ -t 0 ]; then
    say "installing needs root: sudo will ask for your password."
    as_root=(sudo)
  else
    say "these Debian packages are missing: $missing. Installing them needs root, and this user is not root and cannot use sudo. Run as root: apt-get update && apt-get install -y --no-install-recommends $missing — then run this again."
    exit 2
  fi
  say "installing Debian packages: $missing"
  start=$SECONDS
  "${as_root[@]}" apt-get update -qq
  # shellcheck disable=SC2086
  "${as_root[@]}" env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends $missing >/dev/null
  say "installed in $((SECONDS - start)) s"
fi

# The Debian postgresql package puts initdb and pg_ctl outside PATH (/usr/lib/postgresql/<major>/bin);
# the tests find them there themselves.

want="$(go_min)"
if ! command -v go >/dev/null 2>&1; then
  say "the Go toolchain is missing: install Go $want or newer (https://go.dev/doc/install; Debian's golang package is too old), put it on PATH, then run this again."
  exit 2
fi
have="$(GOTOOLCHAIN=local go env GOVERSION)"; have="${have#go}"
if [ "$(printf '%s\n%s\n' "$want" "$have" | sort -V | head -n 1)" != "$want" ]; then
  say "Go $have is too old: the engine's modules need Go $want or newer (engine/*/go.mod). Install a newer Go, then run this again."
  exit 2
fi
