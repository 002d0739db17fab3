#!/usr/bin/env bash
# The main job.
#   npm start                    the embedded default: a local estate on this machine (registry, SSH class
#                                hosts with their own Docker engines, sample images) and a real `pulumi up`
#                                of the shipped proxima stack on it with the policy pack, then the overview
#   npm start -- --stop          stop the local estate
#   npm start -- proxima|lyra [--up]   preview (and with --up, apply) the team's real stack
# Team stacks: pulumi from PATH, or else the engine npm run engine builds; Pulumi state in ./.pulumi-state
# (no account) unless PULUMI_BACKEND_URL names the team's backend (docs/team.md); an empty secrets
# passphrase only for a local file state (a shared backend needs the team's passphrase); the policy config
# in policy-pack-config.example.json. Override any of them by environment.
set -euo pipefail
root="$(cd "$(dirname "$0")/.." && pwd)"
cd "$root"

usage() {
  echo "Usage: npm start [-- --stop]              the local estate (real pulumi up on this machine)" >&2
  echo "       npm start -- proxima|lyra [--up]   the team's stack: preview, or apply with --up" >&2
}

stack=""
up=false
stop=false
for arg in "$@"; do
  case "$arg" in
    proxima|lyra) stack="$arg" ;;
    --up) up=true ;;
    --stop) stop=true ;;
    -h|--help) usage; exit 0 ;;
    *) echo "Unknown argument \"$arg\"." >&2; usage; exit 2 ;;
  esac
done

node_major="$(node -p 'process.versions.node.split(".")[0]')"
if [ "$node_major" -lt 20 ]; then
  echo "Node.js $node_major is too old: image-lifecycle needs Node.js 20 or newer." >&2
  exit 2
fi

if [ ! -d node_modules ] || [ package-lock.json -nt node_modules ]; then
  echo "--- npm ci" >&2
  npm ci --no-audit --no-fund >&2
fi

estate() { node -r ts-node/register/transpile-only scripts/local-estate.ts "$@"; }
if [ "$stop" = true ]; then estate stop; exit 0; fi

if [ -z "$stack" ]; then
  if [ "$up" = true ]; then echo "--up goes with a team stack (npm start -- proxima --up); the local estate always deploys." >&2; usage; exit 2; fi
  if [ "$(id -u)" -ne 0 ]; then
    echo "The local estate starts Docker engines and SSH hosts in mount namespaces, which needs root: run it as root (sudo npm start), or use npm start -- proxima for the team's stack." >&2
    exit 2
  fi
  # The same set-up as .ci/run: the Debian packages (installed when missing) and a check of Go.
  bash scripts/setup.sh
  if command -v pulumi >/dev/null 2>&1; then
    engine=""
  else
    echo "--- no pulumi on PATH: building the engine from Go modules (first time: about 9 min on 2 cores; cached afterwards in ~/.cache/image-lifecycle)" >&2
    engine="$(bash scripts/engine.sh | tail -n 1)"
  fi
  # The estate's registry is Distribution v3, built from its Go module like the engine (cached).
  echo "--- the registry (Distribution v3) from its Go module (first time: about 3 min; cached afterwards)" >&2
  bash scripts/go-tools.sh registry >/dev/null
  estate up "$engine"
  exit 0
fi

export PULUMI_BACKEND_URL="${PULUMI_BACKEND_URL:-file://$root/.pulumi-state}"
if [ "${PULUMI_BACKEND_URL#file://}" != "$PULUMI_BACKEND_URL" ]; then
  mkdir -p "${PULUMI_BACKEND_URL#file://}"
fi
# The backend as shown in messages: a password in the URL is never printed.
backend_shown="$(printf '%s' "$PULUMI_BACKEND_URL" | sed -E 's#^([a-z]+://[^:/@]*):[^@/]*@#\1:***@#')"
if [ "${PULUMI_BACKEND_URL#file://}" != "$PULUMI_BACKEND_URL" ]; then
  if [ -z "${PULUMI_CONFIG_PASSPHRASE+set}" ] && [ -z "${PULUMI_CONFIG_PASSPHRASE_FILE:-}" ]; then
    echo "PULUMI_CONFIG_PASSPHRASE is not set: using an empty passphrase for the local state's secrets." >&2
    export PULUMI_CONFIG_PASSPHRASE=""
  fi
elif [ -n "${PULUMI_CONFIG_PASSPHRASE:-}" ]; then
  : # the team's passphrase, from the environment
elif [ -n "${PULUMI_CONFIG_PASSPHRASE_FILE:-}" ] && grep -q '[^[:space:]]' "$PULUMI_CONFIG_PASSPHRASE_FILE" 2>/dev/null; then
  # The key file holds the passphrase. Pulumi prefers PULUMI_CONFIG_PASSPHRASE whenever it is set, even
  # empty, so an empty one must not stand in front of the file.
  unset PULUMI_CONFIG_PASSPHRASE
else
  # A shared backend holds the stack's secrets for the whole team: an empty passphrase would leave them
  # readable by anyone who can read the state.
  echo "The secrets passphrase is empty, and the state is shared ($backend_shown): its secrets would be readable by anyone who can read the state. Set PULUMI_CONFIG_PASSPHRASE to the team's passphrase, or PULUMI_CONFIG_PASSPHRASE_FILE to a file holding it (docs/team.md), then run again." >&2
  exit 2
fi
if command -v pulumi >/dev/null 2>&1; then
  echo "--- pulumi: $(command -v pulumi)" >&2
else
  # The engine the project builds from Go modules (npm run engine), the same one the tests run.
  echo "--- no pulumi on PATH: the engine from npm run engine (first time: about 9 min on 2 cores; cached afterwards in ~/.cache/image-lifecycle)" >&2
  engine="$(bash scripts/engine.sh | tail -n 1)"
  export PATH="$engine:$PATH"
  echo "--- pulumi: $engine/pulumi" >&2
fi

policy_config="${IMAGE_LIFECYCLE_POLICY_CONFIG:-policy-pack-config.example.json}"

# The engine runs the release provider from dist/ (docs/adr/0052-release-provider-module.md): build it
# from this checkout's sources every time, so a pulled change never runs as a stale copy.
echo "--- npm run build:cli" >&2
npm run --silent build:cli >&2

# Pulumi prints the backend URL as given (its errors too), password included: every line it prints
# passes through the same redaction, stdout to stdout and stderr to stderr.
redact() { sed -u -E 's#([a-z]+://[^:/@[:space:]]*):[^@/[:space:]]*@#\1:***@#g'; }
pulumi_() { { pulumi "$@" 2>&1 1>&3 3>&- | redact >&2; } 3>&1 | redact; }

echo "--- state: $backend_shown, stack: $stack" >&2
if ! pulumi_ stack select --create --non-interactive "$stack"; then
  echo "Could not open stack $stack in the state backend $backend_shown (pulumi's error above). Check that the backend is reachable and the URL, user, password and TLS settings are right (docs/team.md), then run again." >&2
  exit 1
fi
pulumi_ preview --non-interactive --stack "$stack" --policy-pack policy --policy-pack-config "$policy_config"
if [ "$up" = true ]; then
  # One pass (docs/adr/0056-deploy-speed.md): the preview above ran the program and the pack and stopped
  # on any violation; the update skips its own preview. The pack still checks every resource it applies.
  pulumi_ up --yes --skip-preview --continue-on-error --non-interactive --stack "$stack" --policy-pack policy --policy-pack-config "$policy_config"
fi
