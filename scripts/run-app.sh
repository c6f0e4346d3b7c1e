#!/usr/bin/env bash
# Sets up what is missing, builds, and opens Nexhina Studio. With no platform configured
# it starts on the demo platform (a simulated gateway on this computer).
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/setup.sh
export PATH="$HOME/.cargo/bin:$PATH"
scripts/build-ui.sh
cargo build -p nexhina-studio
exec target/debug/nexhina-studio "$@"
