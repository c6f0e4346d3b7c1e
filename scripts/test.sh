#!/usr/bin/env bash
# Sets up what is missing and runs every test: UI unit tests, core unit and integration
# tests (against the simulator, with a real SQLite file and a real keychain), the CLI,
# the simulator, and the real app driven end to end through WebDriver under Xvfb.
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/setup.sh
export PATH="$HOME/.cargo/bin:$PATH"
export CARGO_TERM_COLOR=never

step() { printf '\n\033[1m== %s\033[0m\n' "$*"; }

step "IPC types: Rust -> TypeScript (ts-rs)"
cargo test -q -p nexhina-core --features ts --lib export_bindings >/dev/null

step "UI: type check and unit tests"
(cd ui && npm run --silent check && npm test --silent)
scripts/build-ui.sh

step "build: every crate and the app"
cargo build --workspace --all-targets

# One D-Bus session with an unlocked gnome-keyring for the whole run: the keychain test
# uses the real Secret Service, and each end-to-end test starts its own session inside.
step "Rust: core, CLI, simulator, shell, end-to-end"
# The keyring lives in a throwaway XDG_DATA_HOME, so a keyring left by an earlier run (with
# another password) can never be the one that is locked.
dbus-run-session -- bash -c '
  set -euo pipefail
  export XDG_DATA_HOME="$(mktemp -d)"
  echo -n test-keyring | gnome-keyring-daemon --unlock --components=secrets >/dev/null
  cargo test --workspace -- --test-threads=2
'
