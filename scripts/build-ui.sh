#!/usr/bin/env bash
# Builds the web UI into ui/dist, which the Rust shell embeds at compile time.
set -euo pipefail
cd "$(dirname "$0")/../ui"
npm run --silent build
