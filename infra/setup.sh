#!/usr/bin/env bash
# Installs what a fresh machine needs to build and test Taisho. Idempotent and quiet when all is there.
# Only the package registries are reachable, so everything comes from Debian, crates.io or PyPI.
set -euo pipefail

need_apt=()
[ -d /usr/share/mecab/dic/ipadic ] || need_apt+=(mecab-ipadic)
# The browser tests drive headless Chromium through chromedriver; Japanese glyphs for screenshots.
command -v chromium >/dev/null 2>&1 || need_apt+=(chromium)
command -v chromedriver >/dev/null 2>&1 || need_apt+=(chromium-driver)
dpkg -s fonts-noto-cjk >/dev/null 2>&1 || need_apt+=(fonts-noto-cjk)

if [ ${#need_apt[@]} -gt 0 ]; then
  echo "setup: installing ${need_apt[*]} from Debian" >&2
  SUDO=""
  [ "$(id -u)" -eq 0 ] || SUDO="sudo"
  $SUDO apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq "${need_apt[@]}" >/dev/null
fi

export PATH="$HOME/.cargo/bin:$HOME/.local/bin:$PATH"
if ! command -v just >/dev/null 2>&1; then
  echo "setup: installing just" >&2
  # The PyPI package ships a prebuilt binary (into ~/.local/bin): seconds instead of a cargo build.
  python3 -m pip install --user --quiet --disable-pip-version-check rust-just 2>/dev/null \
    || cargo install just --locked --quiet
fi

# Storage tests run on PostgreSQL as well as SQLite: make sure the local server is up.
if command -v pg_isready >/dev/null 2>&1 && ! pg_isready -q -h 127.0.0.1 -p 5432; then
  echo "setup: starting PostgreSQL" >&2
  pg_ctlcluster --skip-systemctl-redirect "$(ls /etc/postgresql | head -n1)" main start || true
fi
