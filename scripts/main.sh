#!/usr/bin/env bash
# The main job: preview (and with --up, apply) one stack with the policy pack.
# Embedded defaults: Pulumi state in ./.pulumi-state (no account), an empty secrets passphrase for that
# local state, the policy config in policy-pack-config.example.json. Override any of them by environment.
set -euo pipefail
root="$(cd "$(dirname "$0")/.." && pwd)"
cd "$root"

usage() {
  echo "Usage: npm start -- [proxima|lyra] [--up]   (default: proxima, preview only)" >&2
}

stack="proxima"
up=false
for arg in "$@"; do
  case "$arg" in
    proxima|lyra) stack="$arg" ;;
    --up) up=true ;;
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

if ! command -v pulumi >/dev/null 2>&1; then
  cat >&2 <<'MSG'
The Pulumi CLI is not installed (it is a binary, not an npm package), so the main job cannot run.
Install it, then run this again:
  curl -fsSL https://get.pulumi.com | sh      # or: brew install pulumi/tap/pulumi
  export PATH="$HOME/.pulumi/bin:$PATH"
MSG
  exit 127
fi

export PULUMI_BACKEND_URL="${PULUMI_BACKEND_URL:-file://$root/.pulumi-state}"
if [ "${PULUMI_BACKEND_URL#file://}" != "$PULUMI_BACKEND_URL" ]; then
  mkdir -p "${PULUMI_BACKEND_URL#file://}"
fi
if [ -z "${PULUMI_CONFIG_PASSPHRASE+set}" ] && [ -z "${PULUMI_CONFIG_PASSPHRASE_FILE:-}" ]; then
  echo "PULUMI_CONFIG_PASSPHRASE is not set: using an empty passphrase for the local state's secrets." >&2
  export PULUMI_CONFIG_PASSPHRASE=""
fi
policy_config="${IMAGE_LIFECYCLE_POLICY_CONFIG:-policy-pack-config.example.json}"

echo "--- state: $PULUMI_BACKEND_URL, stack: $stack" >&2
pulumi stack select --create --non-interactive "$stack"
pulumi preview --non-interactive --stack "$stack" --policy-pack policy --policy-pack-config "$policy_config"
if [ "$up" = true ]; then
  pulumi up --yes --non-interactive --stack "$stack" --policy-pack policy --policy-pack-config "$policy_config"
fi
