#!/usr/bin/env bash
# Builds the installable package: "target/release/bundle/deb/Nexhina Studio_<version>_amd64.deb"
# (package name nexhina-studio)
# (a size-tuned release build; about 15 minutes on 2 cores the first time).
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/setup.sh
export PATH="$HOME/.cargo/bin:$PATH"
scripts/build-ui.sh
# The Tauri CLI comes from npm (ui/node_modules), pinned to the tauri crate's minor version.
ui/node_modules/.bin/tauri build --bundles deb --config '{"build":{"beforeBuildCommand":""}}' "$@"
ls -l target/release/bundle/deb/*.deb
