#!/usr/bin/env bash
# A local registry for trying the CLI without the team's registry: Debian's docker-registry on loopback,
# data in ./.local/registry. The CLI's default registry (127.0.0.1:5000) is this one.
#   npm run registry:local            start (idempotent), print its address
#   npm run registry:local -- stop    stop it (the data stays)
set -euo pipefail
root="$(cd "$(dirname "$0")/.." && pwd)"
port="${IMAGE_LIFECYCLE_LOCAL_REGISTRY_PORT:-5000}"
dir="${IMAGE_LIFECYCLE_LOCAL_REGISTRY_DIR:-$root/.local/registry}"
pidfile="$dir/registry.pid"

running() { [ -f "$pidfile" ] && kill -0 "$(cat "$pidfile")" 2>/dev/null; }

case "${1:-start}" in
  stop)
    if running; then
      pid="$(cat "$pidfile")"; kill "$pid"
      for _ in $(seq 1 50); do kill -0 "$pid" 2>/dev/null || break; sleep 0.1; done
      rm -f "$pidfile"; echo "stopped the local registry" >&2
    else
      echo "the local registry is not running" >&2
    fi
    exit 0 ;;
  start) ;;
  *) echo "Usage: npm run registry:local [-- start|stop]" >&2; exit 2 ;;
esac

if running; then echo "127.0.0.1:$port"; exit 0; fi
if ! command -v docker-registry >/dev/null 2>&1; then
  echo "docker-registry is not installed: run \"sudo apt-get install -y docker-registry\" (Debian/Ubuntu)." >&2
  exit 127
fi
mkdir -p "$dir/data"
cat > "$dir/config.yml" <<CONF
version: 0.1
log:
  level: warn
storage:
  filesystem:
    rootdirectory: $dir/data
  delete:
    enabled: true
http:
  addr: 127.0.0.1:$port
CONF
nohup docker-registry serve "$dir/config.yml" >"$dir/registry.log" 2>&1 &
echo $! > "$pidfile"
for _ in $(seq 1 50); do
  if curl -fsS "http://127.0.0.1:$port/v2/" >/dev/null 2>&1; then echo "127.0.0.1:$port"; exit 0; fi
  running || break
  sleep 0.1
done
echo "The local registry did not start; see $dir/registry.log:" >&2
tail -5 "$dir/registry.log" >&2 || true
rm -f "$pidfile"
exit 1
