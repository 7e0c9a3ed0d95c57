#!/usr/bin/env bash
# Runs CMD... inside a private D-Bus session bus with an unlocked GNOME Keyring Secret Service, so
# @msal-persist/persistence-libsecret (and msal-plugin's first choice on Linux) reach a real Secret
# Service on a headless machine.
#
#   scripts/with-secret-service.sh pnpm exec vitest run packages/persistence-libsecret
#   scripts/with-secret-service.sh pnpm demo
#
# Every call starts a NEW, EMPTY keyring in a temporary folder and deletes it when CMD exits, so
# what one call stores is gone for the next: `with-secret-service.sh A; with-secret-service.sh B`
# does not let B see A's cache. To run several commands against one keyring, run them in one call:
#
#   scripts/with-secret-service.sh bash -c 'pnpm --filter @msal-persist/example-public-cli start sign-in && pnpm --filter @msal-persist/example-public-cli start token'
#   scripts/with-secret-service.sh            # no command: an interactive shell in one session; exit to end it
#
# Needs the Debian/Ubuntu packages gnome-keyring, dbus and dbus-x11 (node scripts/ensure-test-services.mjs
# installs them with everything else the tests use):
#   apt-get install -y gnome-keyring dbus dbus-x11
set -euo pipefail

if [ "$#" -eq 0 ]; then
  set -- "${SHELL:-bash}"
  echo "with-secret-service.sh: a shell with a private Secret Service; everything stored goes when you exit it." >&2
fi

for tool in dbus-run-session dbus-daemon gnome-keyring-daemon; do
  if ! command -v "$tool" >/dev/null 2>&1; then
    echo "$0: '$tool' not found; install it with: apt-get install -y gnome-keyring dbus dbus-x11" >&2
    exit 69
  fi
done

# A throwaway home for the keyring files: never the user's real login keyring.
keyring_home="$(mktemp -d "${TMPDIR:-/tmp}/msal-persist-keyring.XXXXXX")"
trap 'rm -rf "$keyring_home"' EXIT
mkdir -p "$keyring_home/.local/share/keyrings" "$keyring_home/runtime"
chmod 700 "$keyring_home/runtime"

# The bus daemon's own messages go to a log instead of the caller's terminal: as root without
# CAP_SYS_RESOURCE (containers) it always warns that it cannot raise its file-descriptor limit,
# and it reports every service it activates. The log is shown if the session fails to start.
cat >"$keyring_home/dbus-daemon" <<EOF
#!/bin/sh
exec dbus-daemon "\$@" 2>>"$keyring_home/dbus-daemon.log"
EOF
chmod 700 "$keyring_home/dbus-daemon"

export MSAL_PERSIST_KEYRING_HOME="$keyring_home"

set +e
# shellcheck disable=SC2016 # expanded by the inner shell
dbus-run-session --dbus-daemon="$keyring_home/dbus-daemon" -- bash -c '
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
status=$?
set -e
# 127: dbus-run-session could not start the bus; 70: the keyring did not start. Show why.
if [ "$status" -eq 127 ] || [ "$status" -eq 70 ]; then
  cat "$keyring_home/dbus-daemon.log" >&2 2>/dev/null || true
fi
exit "$status"
