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

# The real-desktop tests (tests/systemd/) run calmcoach as an ordinary user under a real
# `systemd --user`: root passes every permission check and would hide what users meet.
TEST_USER=calmcoach-test
ensure_test_user() {
  [ "$(id -u)" -eq 0 ] || return 0
  if ! id -u "$TEST_USER" >/dev/null 2>&1; then
    log "creating the ordinary user $TEST_USER for the real-desktop tests"
    useradd --user-group --no-create-home --home-dir /nonexistent --shell /usr/sbin/nologin "$TEST_USER"
  fi
  # As root the tier can always be set up, so it must never be skipped.
  export CALMCOACH_REAL_DESKTOP=required
}

# Tests about the service, its files and its faults, run a second time as the ordinary user:
# as root they pass permission checks that users meet. Tests that can only be true as root carry
# the as_root marker (and say so in their name) and are left out of this run.
AS_USER_TESTS=(
  tests/service/test_end_to_end.py
  tests/faults
  tests/hardening/test_security.py
  tests/schedule/test_check_files.py
  tests/history/test_export_file.py
)

pytest_status() {
  # pytest's exit 5 (no tests collected) is a failure too.
  local status=0
  "$@" || status=$?
  if [ "$status" -eq 5 ]; then
    log "pytest collected no tests: that is a failure"
    return 1
  fi
  return "$status"
}

run_as_test_user() {
  # A copy of this tree (tracked files and new ones, not ignored ones) that the user owns, with a
  # venv of the user's own from Debian's python3: root's files and Python may be out of its reach.
  local copy status=0
  copy=$(mktemp -d /tmp/calmcoach-as-user.XXXXXX)
  git ls-files -z --cached --others --exclude-standard | tar --null -T - -cf - | tar -xf - -C "$copy"
  chown -R "$TEST_USER:$TEST_USER" "$copy"
  log "running ${AS_USER_TESTS[*]} again as the ordinary user $TEST_USER"
  local -a env_words=("HOME=$copy/.home" "PATH=/usr/local/bin:/usr/bin:/bin" "LANG=C.UTF-8")
  mapfile -t -O "${#env_words[@]}" env_words < <(env | grep -E '^PIP_' || true)
  setpriv --reuid="$TEST_USER" --regid="$TEST_USER" --init-groups -- env -i "${env_words[@]}" bash -c '
      set -e
      cd "$1"; shift
      /usr/bin/python3 -m venv .venv
      .venv/bin/python -m pip install --quiet --upgrade pip
      .venv/bin/python -m pip install --quiet -e ".[desktop,test]"
      exec .venv/bin/pytest -p no:cacheprovider -m "not as_root" "$@"' run-as-user "$copy" "${AS_USER_TESTS[@]}" \
    || status=$?
  rm -rf "$copy"
  [ "$status" -eq 5 ] && { log "pytest collected no tests as $TEST_USER: that is a failure"; return 1; }
  return "$status"
}

run_tests() {
  "$VENV/bin/ruff" check calmcoach tests benchmarks
  "$VENV/bin/ruff" format --check --quiet calmcoach tests benchmarks
  "$VENV/bin/mypy"
  local status=0
  pytest_status "$VENV/bin/pytest" "$@" || status=$?
  # Only for a whole run (no arguments), and only where there is a user to become.
  if [ "$#" -eq 0 ] && [ "$(id -u)" -eq 0 ]; then
    run_as_test_user || status=$?
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
    ensure_test_user
    run_tests "$@"
    ;;
  *)
    echo "usage: bash scripts/dev.sh run|test [ARGS...]" >&2
    exit 2
    ;;
esac
