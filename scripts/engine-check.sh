#!/usr/bin/env bash
# go vet and go test of the Go code the project owns in engine/: the language host front
# (engine/pulumi/cmd/pulumi-language-nodejs), the one part with logic of its own. The provider wrappers'
# main.go files are glue the engine build compiles and type-checks; vetting them would type-check both
# Terraform providers again (many minutes cold), so they are left to the build.
# Cheap after `npm run engine`: the same settings as its build, so the module and build caches serve
# every dependency (seconds; about a minute on a cold build cache). Nothing is downloaded but Go modules.
set -euo pipefail
root="$(cd "$(dirname "$0")/.." && pwd)"
cd "$root/engine/pulumi"
command -v go >/dev/null 2>&1 || { echo "engine-check: the Go toolchain is not installed (README.md, Set-up)." >&2; exit 127; }
export CGO_ENABLED=0 GOFLAGS="-buildvcs=false" GOTOOLCHAIN=local
go vet ./cmd/...
go test ./cmd/...
