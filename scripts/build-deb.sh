#!/usr/bin/env bash
# Builds the installable package "target/release/bundle/deb/Nexhina Studio_<version>_amd64.deb"
# (package nexhina-studio): a size-tuned release build, about 15 minutes on 2 cores at first.
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/setup.sh
export PATH="$HOME/.cargo/bin:$PATH"
scripts/build-ui.sh
# The Tauri CLI comes from npm at build time, pinned to the tauri crate's version (it is not
# a UI dependency: its lock entries differ per platform).
npx --yes @tauri-apps/cli@2.12.5 build --bundles deb "$@"
profile=release
for arg in "$@"; do [ "$arg" = --debug ] && profile=debug; done
ls -l "${CARGO_TARGET_DIR:-target}/$profile/bundle/deb/"*.deb
