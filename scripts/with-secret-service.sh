#!/usr/bin/env bash
# Runs CMD... inside a private D-Bus session bus with an unlocked GNOME Keyring Secret Service, so
# tests of @msal-persist/persistence-libsecret reach a real Secret Service on a headless machine.
#
#   scripts/with-secret-service.sh pnpm vitest run
#
# Needs the Debian/Ubuntu packages gnome-keyring, dbus and dbus-x11:
#   apt-get install -y gnome-keyring dbus dbus-x11
# Sets MSAL_PERSIST_REQUIRE_SECRET_SERVICE=1 (unless already set) so the real-keyring tests fail
# instead of skipping when the Secret Service cannot be reached.
set -euo pipefail

if [ "$#" -eq 0 ]; then
  echo "usage: $0 CMD [ARGS...]" >&2
  exit 64
fi

for tool in dbus-run-session gnome-keyring-daemon; do
  if ! command -v "$tool" >/dev/null 2>&1; then
    echo "$0: '$tool' not found; install it with: apt-get install -y gnome-keyring dbus dbus-x11" >&2
    exit 69
  fi
done

# A throwaway home for the keyring files: tests never touch the user's real login keyring.
keyring_home="$(mktemp -d "${TMPDIR:-/tmp}/msal-persist-keyring.XXXXXX")"
trap 'rm -rf "$keyring_home"' EXIT
mkdir -p "$keyring_home/.local/share/keyrings" "$keyring_home/runtime"
chmod 700 "$keyring_home/runtime"

export MSAL_PERSIST_REQUIRE_SECRET_SERVICE="${MSAL_PERSIST_REQUIRE_SECRET_SERVICE:-1}"
export MSAL_PERSIST_KEYRING_HOME="$keyring_home"

# shellcheck disable=SC2016 # expanded by the inner shell
dbus-run-session -- bash -c '
  set -euo pipefail
  export XDG_DATA_HOME="$MSAL_PERSIST_KEYRING_HOME/.local/share"
  # A private runtime dir: gnome-keyring-daemon finds (and would talk to, or with --replace
  # kill) a daemon already running for this user through it.
  export XDG_RUNTIME_DIR="$MSAL_PERSIST_KEYRING_HOME/runtime"
  # --unlock reads the password from stdin and creates the "login" collection unlocked with it;
  # --daemonize prints the variables to export (GNOME_KEYRING_CONTROL).
  if ! daemon_env="$(printf %s msal-persist-test | gnome-keyring-daemon --daemonize --unlock --components=secrets 2>"$MSAL_PERSIST_KEYRING_HOME/daemon.log")"; then
    cat "$MSAL_PERSIST_KEYRING_HOME/daemon.log" >&2
    echo "with-secret-service.sh: gnome-keyring-daemon did not start" >&2
    exit 70
  fi
  eval "$daemon_env"
  export GNOME_KEYRING_CONTROL
  exec "$@"
' with-secret-service "$@"
