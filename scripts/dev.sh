#!/usr/bin/env bash
# Set-up and the two everyday jobs on a Debian or Ubuntu machine:
#   bash scripts/dev.sh run    install what is missing, then run the service on the packaged default schedule
#   bash scripts/dev.sh test   install what is missing, then run ruff, mypy and the whole test suite
# Both are idempotent: they install only what is missing and reuse .venv.
set -euo pipefail

cd "$(dirname "${BASH_SOURCE[0]}")/.."
VENV=.venv

# Debian packages, and why each is needed.
RUNTIME_PACKAGES=(
  libespeak-ng1     # the speech engine pyttsx3 loads
  espeak-ng         # its voices, and `espeak-ng` for doctor's hints
  alsa-utils        # aplay, the player of last resort
  libnotify-bin     # notify-send, plyer's fallback when dbus-python is missing
  libdbus-1-dev     # dbus-python is built from source against these three
  libglib2.0-dev
  pkg-config
  gcc
)
TEST_PACKAGES=(
  dbus-daemon       # the tests start their own private session bus
  xvfb xauth dunst  # a real notification daemon on a virtual screen, for end-to-end tests
  systemd           # systemd-analyze verifies the user unit offline
  libfaketime       # moves the real process's clock in time tests
  x11-utils libglib2.0-bin  # xprop: full-screen detection (presence tests); gsettings: do-not-disturb tests
  pipewire pipewire-bin wireplumber pipewire-pulse pulseaudio-utils  # a real sound server; pw-play, paplay, pw-record, pactl
  xfce4-notifyd xdotool x11-apps imagemagick  # a notification daemon that draws buttons; clicks; xwd and convert for screenshots
  at-spi2-core      # at-spi2-registryd: the tests find xfce4-notifyd's buttons by their labels through GTK's accessibility (only recommended by GTK)
  python3-venv      # the Debian python3's venv: an ordinary user's own install in the systemd user-manager tests
)

log() { printf 'dev.sh: %s\n' "$*" >&2; }

missing_packages() {
  local pkg
  for pkg in "$@"; do
    dpkg-query -W -f='${Status}' "$pkg" 2>/dev/null | grep -q 'install ok installed' || printf '%s\n' "$pkg"
  done
}

python_packages() {
  # A system python3 needs its venv and headers packages; a python built elsewhere brings its own.
  if ! python3 -c 'import ensurepip, sysconfig, os, sys; sys.exit(not os.path.exists(sysconfig.get_paths()["include"] + "/Python.h"))' 2>/dev/null; then
    printf '%s\n' python3-venv python3-dev
  fi
}

install_debian_packages() {
  local -a wanted missing
  wanted=("$@")
  mapfile -t missing < <(missing_packages "${wanted[@]}"; python_packages)
  [ "${#missing[@]}" -eq 0 ] && return 0
  local cmd="apt-get update && DEBIAN_FRONTEND=noninteractive apt-get install -y --no-install-recommends ${missing[*]}"
  if [ "$(id -u)" -eq 0 ]; then
    log "installing Debian packages: ${missing[*]}"
    bash -c "$cmd"
  elif command -v sudo >/dev/null 2>&1; then
    log "installing Debian packages through sudo: ${missing[*]}"
    sudo bash -c "$cmd"
  else
    log "these Debian packages are missing: ${missing[*]}"
    log "run this as root, then run this script again:"
    printf '  %s\n' "$cmd" >&2
    exit 1
  fi
}

check_python() {
  if ! python3 -c 'import sys; sys.exit(sys.version_info < (3, 11))' 2>/dev/null; then
    log "calmcoach needs Python 3.11 or newer; python3 is $(python3 --version 2>&1)"
    exit 1
  fi
}

make_venv() {
  check_python
  if [ ! -x "$VENV/bin/python" ] || ! "$VENV/bin/python" -c 'pass' 2>/dev/null; then
    log "creating $VENV"
    rm -rf "$VENV"
    python3 -m venv "$VENV"
  fi
  # Reinstall only when the project's metadata changed since the last install.
  local stamp="$VENV/.calmcoach-installed"
  local digest
  digest=$(sha256sum pyproject.toml | cut -d' ' -f1)
  if [ "$(cat "$stamp" 2>/dev/null)" != "$digest" ]; then
    log "installing calmcoach and its dependencies into $VENV"
    "$VENV/bin/python" -m pip install --quiet --upgrade pip
    "$VENV/bin/python" -m pip install --quiet -e '.[desktop,test]'
    printf '%s' "$digest" > "$stamp"
  fi
}

run_tests() {
  "$VENV/bin/ruff" check calmcoach tests benchmarks
  "$VENV/bin/ruff" format --check --quiet calmcoach tests benchmarks
  "$VENV/bin/mypy"
  local status=0
  "$VENV/bin/pytest" "$@" || status=$?
  if [ "$status" -eq 5 ]; then
    log "pytest collected no tests: that is a failure"
    exit 1
  fi
  exit "$status"
}

case "${1:-}" in
  run)
    shift
    install_debian_packages "${RUNTIME_PACKAGES[@]}"
    make_venv
    # With no arguments, the packaged default schedule, whatever the config folder holds.
    [ "$#" -eq 0 ] && set -- --schedule schedules/default.toml
    exec "$VENV/bin/calmcoach" run "$@"
    ;;
  test)
    shift
    install_debian_packages "${RUNTIME_PACKAGES[@]}" "${TEST_PACKAGES[@]}"
    make_venv
    run_tests "$@"
    ;;
  *)
    echo "usage: bash scripts/dev.sh run|test [ARGS...]" >&2
    exit 2
    ;;
esac
