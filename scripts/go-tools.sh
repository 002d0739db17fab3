#!/usr/bin/env bash
# Builds (first run) or finds (later runs) the Go tools listed in tools/go/tools.tsv, each with
# `go install <package>@<version>` into its own cache folder outside the repo:
#   ${IMAGE_LIFECYCLE_CACHE:-$HOME/.cache/image-lifecycle}/tools/<name>-<version>/<binary>
# Usage: scripts/go-tools.sh [name...]   (no name: every tool in the table)
# Progress goes to stderr; stdout gets one line per tool, the folder holding its binary, so a caller can
#   export PATH="$(scripts/go-tools.sh | paste -sd: -):$PATH"
# A folder is only ever renamed into place complete, so an interrupted or concurrent build never leaves a
# half-written binary where the tests look.
set -euo pipefail
root="$(cd "$(dirname "$0")/.." && pwd)"
table="$root/tools/go/tools.tsv"
cache="${IMAGE_LIFECYCLE_CACHE:-$HOME/.cache/image-lifecycle}/tools"
mkdir -p "$cache"

declare -A wanted=()
for name in "$@"; do wanted[$name]=1; done
found=0

while IFS=$'\t' read -r name pkg version binary toolchain; do
  case "$name" in ''|'#'*) continue ;; esac
  if [ "$#" -gt 0 ] && [ -z "${wanted[$name]:-}" ]; then continue; fi
  found=$((found + 1))
  dir="$cache/$name-$version"
  if [ -x "$dir/$binary" ]; then
    echo "go-tools: $name $version: cached in $dir" >&2
  else
    echo "go-tools: $name $version: building $pkg@$version (first time; minutes on 2 cores)" >&2
    # A folder left without its binary (removed by hand) is rebuilt rather than trusted.
    if [ -d "$dir" ]; then rm -rf "$dir"; fi
    tmp="$(mktemp -d "$cache/.$name-$version.XXXXXX")"
    chmod 755 "$tmp"
    start=$SECONDS
    # GOFLAGS is reset so a caller's -mod=… cannot change what gets built; CGO off, as upstream releases are.
    goenv=(GOBIN="$tmp" GOFLAGS=-buildvcs=false CGO_ENABLED=0)
    # "-": the machine's Go and no other (GOTOOLCHAIN=local), so a module that needs a newer Go fails
    # here, plainly, instead of the go command fetching a toolchain on its own.
    if [ "$toolchain" = - ]; then goenv+=(GOTOOLCHAIN=local); else goenv+=(GOTOOLCHAIN="$toolchain"); fi
    # stdin is the table this loop reads: the build gets /dev/null instead.
    if ! env "${goenv[@]}" go install -trimpath "$pkg@$version" >&2 </dev/null; then
      rm -rf "$tmp"
      echo "go-tools: $name $version: build failed (see above)" >&2
      exit 1
    fi
    if ! mv -T "$tmp" "$dir" 2>/dev/null; then
      # Another run finished the same tool first; its folder is as good as ours.
      rm -rf "$tmp"
    fi
    echo "go-tools: $name $version: built in $((SECONDS - start)) s, $(du -sh "$dir" | cut -f1)" >&2
  fi
  echo "$dir"
done < "$table"

if [ "$#" -gt 0 ] && [ "$found" -ne "$#" ]; then
  echo "go-tools: unknown tool in '$*'; the table $table lists: $(grep -v '^#' "$table" | cut -f1 | paste -sd' ' -)" >&2
  exit 2
fi
