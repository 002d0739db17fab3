#!/usr/bin/env bash
# npm run engine: builds (first time) or finds (later) the real Pulumi engine for this project from Go
# modules: the Pulumi CLI matching @pulumi/pulumi in package-lock.json, the Node.js language host (with
# the front that runs policy packs), the dynamic-provider plugin script, and the docker and github provider plugins.
# The last line of stdout is the absolute folder holding them; put it first on PATH.
# `scripts/engine.sh --key` prints the cache key alone and builds nothing.
# Nothing is downloaded but Go modules through the module proxy (docs/adr/0004-real-engine-from-go-modules.md).
set -euo pipefail
root="$(cd "$(dirname "$0")/.." && pwd)"
cd "$root"

say() { echo "engine: $*" >&2; }

go_min="$(bash scripts/setup.sh --go-min)"
command -v go >/dev/null 2>&1 || { say "the Go toolchain is not installed: the engine is built from Go modules and needs Go $go_min or newer (README.md, Set-up). Install it, put it on PATH, then run this again."; exit 127; }
go_have="$(GOTOOLCHAIN=local go env GOVERSION)"; go_have="${go_have#go}"
if [ "$(printf '%s\n%s\n' "$go_min" "$go_have" | sort -V | head -n 1)" != "$go_min" ]; then
  say "Go $go_have is too old: engine/*/go.mod need Go $go_min or newer. Install a newer Go, then run this again."
  exit 2
fi
[ -f node_modules/@pulumi/pulumi/package.json ] || { say "node_modules is missing; run npm ci first."; exit 2; }

pulumi_version="$(node -p 'require("./package-lock.json").packages["node_modules/@pulumi/pulumi"].version')"
[ -f "engine/pulumi/go.mod" ] && grep -q "github.com/pulumi/pulumi/pkg/v3 v$pulumi_version" engine/pulumi/go.mod || {
  say "package-lock.json has @pulumi/pulumi $pulumi_version but engine/pulumi/go.mod builds another CLI version; update the wrapper module (go get -tool github.com/pulumi/pulumi/pkg/v3/cmd/pulumi@v$pulumi_version)."
  exit 2
}
host_version="$(sed -n 's#^\tgithub.com/pulumi/pulumi/sdk/v3 \(v[^ ]*\).*#\1#p' engine/language-host-upstream/go.mod | head -1)"
docker_version="$(cat engine/docker/VERSION)"
github_version="$(cat engine/github/VERSION)"

# The key covers every input of the build: every file of engine/ at any depth (go.mod, go.sum, .go,
# VERSION — e.g. engine/docker/shim/go.mod too), each with its path, this script, and Go itself. Go
# tests (*_test.go, run by scripts/engine-check.sh) and the README are not built into anything.
key_inputs="$(find engine -type f \( -name go.mod -o -name go.sum -o \( -name '*.go' ! -name '*_test.go' \) -o -name VERSION \) -print0 | LC_ALL=C sort -z | xargs -0 sha256sum; sha256sum scripts/engine.sh; go version)"
key="$(printf '%s' "$key_inputs" | sha256sum | cut -c1-12)"
if [ "${1:-}" = --key ]; then echo "$key"; exit 0; fi # the cache key alone (tests)
cache_root="${IMAGE_LIFECYCLE_CACHE:-$HOME/.cache/image-lifecycle}"
out="$cache_root/engine/pulumi-v$pulumi_version-$key"

export CGO_ENABLED=0 GOFLAGS="-buildvcs=false" GOTOOLCHAIN=local
# One dependency of the GitHub Terraform provider is served by the proxy but unknown to sum.golang.org
# (its lookup answers 404): only that module skips the checksum database; go.sum still pins its hash.
export GONOSUMDB=github.com/bored-engineer/github-conditional-http-transport
build() { # build <label> <estimate> <dir> <output> <go build args...>
  local label="$1" estimate="$2" dir="$3" output="$4"; shift 4
  if [ -x "$out/$output" ]; then return 0; fi
  say "building $label (cold: about $estimate on 2 cores; cached afterwards)"
  local start=$SECONDS
  (cd "$dir" && go build -o "$out/.$output.tmp" "$@")
  mv -f "$out/.$output.tmp" "$out/$output"
  say "built $label in $((SECONDS - start)) s"
}

mkdir -p "$out"
build "Pulumi CLI v$pulumi_version" "4-25 min" engine/pulumi pulumi \
  -tags osusergo,grpcnotrace \
  -ldflags "-X github.com/pulumi/pulumi/sdk/v3/go/common/version.Version=v$pulumi_version" \
  github.com/pulumi/pulumi/pkg/v3/cmd/pulumi
build "Node.js language host $host_version" "1-3 min" engine/language-host-upstream pulumi-language-nodejs-upstream \
  -tags osusergo \
  -ldflags "-X github.com/pulumi/pulumi/sdk/v3/go/common/version.Version=$host_version" \
  github.com/pulumi/pulumi/sdk/v3/nodejs/cmd/pulumi-language-nodejs
build "language host front (policy packs)" "1 min" engine/pulumi pulumi-language-nodejs ./cmd/pulumi-language-nodejs
build "docker provider $docker_version" "5-20 min" engine/docker pulumi-resource-docker \
  -ldflags "-X main.version=$docker_version" .
build "github provider $github_version" "2-5 min" engine/github pulumi-resource-github \
  -ldflags "-X main.version=$github_version" .
# The dynamic-provider plugin is a script shipped with @pulumi/pulumi; it resolves the SDK from the
# program's folder, so one copy serves every checkout.
install -m 0755 node_modules/@pulumi/pulumi/pulumi-resource-pulumi-nodejs "$out/pulumi-resource-pulumi-nodejs"

"$out/pulumi" version >/dev/null
say "ready: $out (pulumi $("$out/pulumi" version), docker provider $docker_version, github provider $github_version)"
echo "$out"
