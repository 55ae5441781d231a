#!/usr/bin/env bash
# Installs the xueliang agent (and optionally the aggregator) on a Debian/Ubuntu
# edge box, amd64 or arm64: system packages, a `xueliang` system user, the
# program under PREFIX, /etc/xueliang/agent.yaml from the commented example,
# the state directory and systemd units (hardened, restart on failure, journald).
#
#   sudo scripts/install.sh                 agent, enabled and started
#   sudo scripts/install.sh --aggregator    the aggregator as well
#   scripts/install.sh --dry-run            print what it would do, change nothing
#   scripts/install.sh --root DIR           install into DIR as if it were / (no apt,
#                                           no user, no systemctl): for tests and images
# Run it from an unpacked release or a checkout after `npm ci && npm run build`.
set -euo pipefail
cd "$(dirname "$0")/.."
src=$(pwd)

prefix=/opt/xueliang
root=""
dry=0
aggregator=0
while [ $# -gt 0 ]; do
  case "$1" in
    --prefix) prefix="$2"; shift 2 ;;
    --root) root="$2"; shift 2 ;;
    --dry-run) dry=1; shift ;;
    --aggregator) aggregator=1; shift ;;
    -h|--help) sed -n '2,14p' "$0"; exit 0 ;;
    *) echo "install.sh: unknown option $1" >&2; exit 2 ;;
  esac
done

run() {
  if [ "$dry" = 1 ]; then printf '+ %s\n' "$*"; else "$@"; fi
}

node_bin=$(command -v node || true)
if [ -z "$node_bin" ]; then
  echo "install.sh: Node.js >= 20.19 is needed (Debian: apt-get install nodejs from a current source)" >&2
  exit 3
fi
if ! node -e 'const [a,b]=process.versions.node.split(".").map(Number); process.exit(a>20||(a===20&&b>=19)?0:1)'; then
  echo "install.sh: Node.js $(node --version) is too old; 20.19 or newer is needed" >&2
  exit 3
fi
if [ ! -f dist/cli/main.js ]; then
  echo "install.sh: dist/ is missing: run 'npm ci && npm run build' first" >&2
  exit 2
fi

# 1. system packages (ffmpeg for the decode rung; iproute2 for interface listing)
if [ -z "$root" ]; then
  missing=()
  command -v ffprobe >/dev/null || missing+=(ffmpeg)
  if [ "${#missing[@]}" -gt 0 ]; then
    run apt-get update -qq
    run env DEBIAN_FRONTEND=noninteractive apt-get install -y --no-install-recommends "${missing[@]}"
  fi
fi

# 2. system user
if [ -z "$root" ] && ! id xueliang >/dev/null 2>&1; then
  run useradd --system --home-dir /var/lib/xueliang --no-create-home --shell /usr/sbin/nologin --user-group xueliang
fi

# 3. the program, with its production dependencies only
dest="$root$prefix"
run mkdir -p "$dest"
run cp -a dist package.json package-lock.json README.md "$dest/"
run mkdir -p "$dest/config"
run cp -a config/agent.example.yaml config/aggregator.example.yaml "$dest/config/"
if [ -d node_modules ]; then
  run cp -a node_modules "$dest/"
  run npm prune --omit=dev --prefix "$dest" --no-audit --no-fund --loglevel=error
fi

# 4. configuration (never overwritten) and state
run mkdir -p "$root/etc/xueliang" "$root/var/lib/xueliang"
if [ ! -f "$root/etc/xueliang/agent.yaml" ]; then
  run install -m 0640 config/agent.example.yaml "$root/etc/xueliang/agent.yaml"
fi
if [ "$aggregator" = 1 ] && [ ! -f "$root/etc/xueliang/aggregator.yaml" ]; then
  run install -m 0640 config/aggregator.example.yaml "$root/etc/xueliang/aggregator.yaml"
fi
if [ -z "$root" ]; then
  run chown root:xueliang /etc/xueliang /etc/xueliang/agent.yaml
  run chown xueliang:xueliang /var/lib/xueliang
  run chmod 0750 /var/lib/xueliang
fi

# 5. systemd units
units=(xueliang-agent)
[ "$aggregator" = 1 ] && units+=(xueliang-aggregator)
run mkdir -p "$root/etc/systemd/system"
for u in "${units[@]}"; do
  if [ "$dry" = 1 ]; then
    printf '+ write %s\n' "$root/etc/systemd/system/$u.service"
  else
    sed -e "s#@NODE@#$node_bin#g" -e "s#@PREFIX@#$prefix#g" "scripts/systemd/$u.service" > "$root/etc/systemd/system/$u.service"
  fi
done
if [ -z "$root" ]; then
  run systemctl daemon-reload
  for u in "${units[@]}"; do run systemctl enable --now "$u.service"; done
fi

cat <<MSG
xueliang installed under $root$prefix.
Next: edit $root/etc/xueliang/agent.yaml (agentId, mqtt.url, credentials), put secrets in
/etc/xueliang/agent.env (XUELIANG_MQTT_PASSWORD=...), check it with
  $node_bin $prefix/dist/cli/main.js config validate /etc/xueliang/agent.yaml
then: systemctl restart xueliang-agent; journalctl -u xueliang-agent -f
Find cameras first with: $node_bin $prefix/dist/cli/main.js discover
MSG
