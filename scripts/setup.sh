#!/usr/bin/env bash
# One-step set-up on Debian/Ubuntu: installs the system packages xueliang needs
# (ffmpeg; mosquitto, GStreamer's RTSP server, iproute2 and systemd-analyze for
# the tests and the demo; Debian's chromium and a CJK font for the console's
# browser tests and screenshots; PostgreSQL's server, which the tests start in a
# temp directory of their own; openssl, which makes the HTTPS test's throwaway
# CA; OpenLDAP's slapd and ldap-utils, a directory the login tests start in a
# temp directory of their own) when they are missing, then the npm dependencies.
#   scripts/setup.sh            everything
#   scripts/setup.sh --quiet    say nothing when all is already there
#   scripts/setup.sh --check    only report what is missing (exit 3 if anything is)
set -euo pipefail
cd "$(dirname "$0")/.."

quiet=0; check=0
for a in "$@"; do
  case "$a" in
    --quiet) quiet=1 ;;
    --check) check=1 ;;
    *) echo "setup.sh: unknown option $a" >&2; exit 2 ;;
  esac
done

say() { [ "$quiet" = 1 ] || echo "$@"; }

# package -> a file it installs, to tell whether it is there
declare -A probe=(
  [ffmpeg]=/usr/bin/ffprobe
  [mosquitto]=/usr/sbin/mosquitto
  [python3-gi]=/usr/lib/python3/dist-packages/gi/__init__.py
  [gir1.2-gst-rtsp-server-1.0]=/usr/lib/x86_64-linux-gnu/girepository-1.0/GstRtspServer-1.0.typelib
  [gstreamer1.0-plugins-base]=/usr/share/doc/gstreamer1.0-plugins-base/copyright
  [gstreamer1.0-plugins-good]=/usr/share/doc/gstreamer1.0-plugins-good/copyright
  [gstreamer1.0-plugins-bad]=/usr/share/doc/gstreamer1.0-plugins-bad/copyright
  [gstreamer1.0-plugins-ugly]=/usr/share/doc/gstreamer1.0-plugins-ugly/copyright
  [gstreamer1.0-x]=/usr/share/doc/gstreamer1.0-x/copyright
  [iproute2]=/usr/sbin/ip
  [systemd]=/usr/bin/systemd-analyze
  [chromium]=/usr/bin/chromium
  [fonts-wqy-microhei]=/usr/share/fonts/truetype/wqy/wqy-microhei.ttc
  [postgresql]=/usr/lib/postgresql
  [openssl]=/usr/bin/openssl
  [slapd]=/usr/sbin/slapd
  [ldap-utils]=/usr/bin/ldapsearch
)
missing=()
for pkg in "${!probe[@]}"; do
  f="${probe[$pkg]}"
  # the typelib lives under the machine's multiarch triplet (x86_64, aarch64, …)
  if [ "$pkg" = gir1.2-gst-rtsp-server-1.0 ]; then
    compgen -G "/usr/lib/*/girepository-1.0/GstRtspServer-1.0.typelib" >/dev/null || missing+=("$pkg")
  elif [ "$pkg" = postgresql ]; then
    # the server binaries of whichever major version Debian ships (the tests start their own server with initdb)
    compgen -G "/usr/lib/postgresql/*/bin/initdb" >/dev/null || missing+=("$pkg")
  elif [ ! -e "$f" ]; then
    missing+=("$pkg")
  fi
done

if [ "${#missing[@]}" -gt 0 ]; then
  if [ "$check" = 1 ]; then
    echo "missing system packages: ${missing[*]}"
    echo "install them with: sudo apt-get install -y ${missing[*]}"
    exit 3
  fi
  if ! command -v apt-get >/dev/null; then
    echo "setup.sh: this is not a Debian/Ubuntu system; install by hand: ${missing[*]}" >&2
    exit 3
  fi
  sudo=""
  [ "$(id -u)" = 0 ] || sudo="sudo"
  say "Installing system packages: ${missing[*]}"
  $sudo apt-get update -qq
  # with recommends: the same set the tests were made with (python3-gi and GStreamer pull useful ones)
  DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq "${missing[@]}" >/dev/null
fi
[ "$check" = 1 ] && { say "all system packages present"; exit 0; }

# npm dependencies: install when absent or older than the lock file
if [ ! -d node_modules ] || [ package-lock.json -nt node_modules/.package-lock.json ]; then
  say "Installing npm dependencies (npm ci)"
  # a dev dependency of the contract tests (via @asyncapi/parser) would phone home at install: not here
  SCARF_ANALYTICS=false DO_NOT_TRACK=1 npm ci --no-audit --no-fund --loglevel=error
fi
say "Set-up complete."
