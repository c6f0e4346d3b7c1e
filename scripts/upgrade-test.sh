#!/usr/bin/env bash
# Upgrade test: installs the package of an earlier version, fills its library as a person
# would (a chat with a photo, an image and its edit, a speech clip, a video) through that
# version's own CLI against the simulator, opens the old app on it, then upgrades to this
# tree's package, opens the new app (it migrates the library), and checks that nothing was
# lost: every conversation, message, generation and file, and the copy made before the
# migration. Finally the package is removed and the library must still be there.
#
#     scripts/upgrade-test.sh [OLD_REF]
#
# OLD_REF defaults to the last commit of schema version 3 (the next one added the search
# index, so the upgrade runs a real migration). Both packages are debug builds (the
# release profile takes 15 minutes each; packaging and data handling are the same). Needs
# root or sudo (dpkg), and no other copy of the app running. About 15 minutes (the old
# version builds in a target folder of its own).
set -euo pipefail
cd "$(dirname "$0")/.."
ROOT=$PWD
OLD_REF=${1:-3a5df96^}
export PATH="$HOME/.cargo/bin:$PATH"
export CARGO_TARGET_DIR="${CARGO_TARGET_DIR:-$ROOT/target}"
case "$CARGO_TARGET_DIR" in /*) ;; *) CARGO_TARGET_DIR="$ROOT/$CARGO_TARGET_DIR" ;; esac
SUDO=""
[ "$(id -u)" = 0 ] || SUDO=sudo

WORK=$(mktemp -d /tmp/nexhina-upgrade.XXXXXX)
SIM_PID=""
cleanup() {
    [ -n "$SIM_PID" ] && kill "$SIM_PID" 2>/dev/null || true
    git -C "$ROOT" worktree remove --force "$WORK/old" 2>/dev/null || true
}
# The old build's target folder and the packages are large; the logs and the test home stay.
trap 'cleanup; rm -rf "$WORK/old-target" "$WORK"/*.deb' EXIT
step() { printf '\n\033[1m== %s\033[0m\n' "$*"; }
fail() { printf '\033[31mFAIL: %s\033[0m\n' "$*"; exit 1; }

step "the earlier version ($OLD_REF) as version 0.0.9: its package and its CLI"
git -C "$ROOT" worktree add --detach "$WORK/old" "$OLD_REF" >/dev/null
sed -i 's/"version": "0.1.0"/"version": "0.0.9"/' "$WORK/old/src-tauri/tauri.conf.json"
# `npm install`, not `npm ci`: early lock files listed the Tauri CLI's per-platform packages.
(cd "$WORK/old/ui" && npm install --no-audit --no-fund --loglevel=error)
# A target folder of its own: cargo hashes workspace crates by their path relative to the
# workspace, so the old tree would overwrite this tree's builds in a shared one.
OLD_TARGET="$WORK/old-target"
(cd "$WORK/old" && scripts/build-ui.sh \
    && CARGO_TARGET_DIR="$OLD_TARGET" npx --yes @tauri-apps/cli@2.12.5 build --debug --bundles deb \
    && CARGO_TARGET_DIR="$OLD_TARGET" cargo build -q -p nexhina-cli)
cp "$OLD_TARGET"/debug/bundle/deb/*_0.0.9_amd64.deb "$WORK/old.deb"
cp "$OLD_TARGET/debug/nexhina" "$WORK/old-nexhina"

step "this version: its package, its CLI and the simulator"
scripts/build-deb.sh --debug
NEW_VERSION=$(grep -m1 '"version"' src-tauri/tauri.conf.json | sed 's/.*: "\(.*\)".*/\1/')
cp "$CARGO_TARGET_DIR"/debug/bundle/deb/*_"${NEW_VERSION}"_amd64.deb "$WORK/new.deb"
cargo build -q -p nexhina-cli -p nexhina-simulator
NEW="$CARGO_TARGET_DIR/debug/nexhina"

# A person of their own: a fresh home, so the test never touches a real library.
export HOME="$WORK/home" XDG_DATA_HOME="$WORK/home/.local/share" XDG_CONFIG_HOME="$WORK/home/.config" \
    XDG_STATE_HOME="$WORK/home/.local/state" XDG_CACHE_HOME="$WORK/home/.cache"
mkdir -p "$XDG_DATA_HOME" "$XDG_CONFIG_HOME" "$XDG_STATE_HOME"
unset NEXHINA_DATA_DIR NEXHINA_BASE_URL NEXHINA_API_KEY
DATA="$XDG_DATA_HOME/nexhina-studio"

"$CARGO_TARGET_DIR/debug/nexhina-simulator" --chunk-delay-ms 1 --video-step-ms 20 >"$WORK/sim.out" 2>&1 &
SIM_PID=$!
for _ in $(seq 50); do grep -q listening "$WORK/sim.out" && break; sleep 0.1; done
BASE=$(sed -n 's/.*listening on \(http[^ ]*\).*/\1/p' "$WORK/sim.out")
[ -n "$BASE" ] || fail "the simulator did not start"
OLD=("$WORK/old-nexhina" --base-url "$BASE/v1" --api-key sk-demo)

step "install 0.0.9 and fill its library with its own CLI"
$SUDO dpkg -i "$WORK/old.deb" >/dev/null
[ "$(dpkg-query -W -f='${Version}' nexhina-studio)" = 0.0.9 ] || fail "0.0.9 is not installed"
"${OLD[@]}" config set-base-url "$BASE/v1" >/dev/null
python3 - "$WORK/photo.png" <<'EOF'
import struct, sys, zlib
def chunk(kind, data):
    return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data))
rows = b"".join(b"\0" + bytes(v for x in range(64) for v in (x * 4, y * 4, 128)) for y in range(64))
png = b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", struct.pack(">IIBBBBB", 64, 64, 8, 2, 0, 0, 0)) + chunk(b"IDAT", zlib.compress(rows)) + chunk(b"IEND", b"")
open(sys.argv[1], "wb").write(png)
EOF
"${OLD[@]}" chat --model gpt-4o-mini --image "$WORK/photo.png" "What is in this photo of the harbour?" >/dev/null
"${OLD[@]}" chat --model gpt-4o-mini --conversation 1 "And which boat is the fastest?" >/dev/null
FIRST=$("${OLD[@]}" image --model gpt-image-1 --size 256x256 "a lighthouse at dusk")
"${OLD[@]}" image --model gpt-image-1 --input "$FIRST" "the same lighthouse at night" >/dev/null
"${OLD[@]}" speak --model tts-1 --out "$WORK/clip.mp3" "The lamp is lit." >/dev/null
"${OLD[@]}" video --model veo-2 --seconds 2 --wait "waves on the harbour wall" >/dev/null
"$WORK/old-nexhina" history list --json >"$WORK/before-history.json"
"$WORK/old-nexhina" gallery list --json >"$WORK/before-gallery.json"
python3 - "$WORK" <<'EOF'
import json, sys
w = sys.argv[1]
h = json.load(open(f"{w}/before-history.json")); g = json.load(open(f"{w}/before-gallery.json"))
assert len(h) == 1, h
assert sorted(i["kind"] for i in g) == ["image", "image", "speech", "video"], [i["kind"] for i in g]
print(f"0.0.9 library: {len(h)} conversation, {len(g)} generations")
EOF
find "$DATA/media" -type f | sort >"$WORK/before-files.txt"
(cd "$DATA/media" && find . -type f -exec sha256sum {} + | sort -k2) >"$WORK/before-sums.txt"
echo "files in the media store: $(wc -l <"$WORK/before-files.txt")"

# The installed app (not a build tree's binary) opens the library, under a display of its own.
run_installed_app() {
    local seconds=$1 log=$2
    dbus-run-session -- xvfb-run -a timeout -s TERM "$seconds" /usr/bin/nexhina-studio >"$log" 2>&1 || true
}
step "open the 0.0.9 app on it"
run_installed_app 8 "$WORK/app-old.log"
[ -f "$DATA/library.sqlite3" ] || fail "the library is gone after the old app ran"

step "upgrade to $NEW_VERSION and open the new app (it migrates the library)"
$SUDO dpkg -i "$WORK/new.deb" >/dev/null
[ "$(dpkg-query -W -f='${Version}' nexhina-studio)" = "$NEW_VERSION" ] || fail "$NEW_VERSION is not installed"
run_installed_app 10 "$WORK/app-new.log"
# The app itself (before any CLI of this version touched the library) made the copy.
ls "$DATA"/backups/library-schema3-*.sqlite3 >/dev/null 2>&1 || fail "the new app made no copy before migrating"
grep -q "starting; library at $DATA" "$XDG_STATE_HOME/nexhina-studio/logs/nexhina-studio.log" \
    || fail "the new app did not open the library at $DATA (log: $XDG_STATE_HOME/nexhina-studio/logs)"

step "nothing was lost"
"$NEW" history list --json >"$WORK/after-history.json"
"$NEW" history show 1 --json >"$WORK/after-messages.json"
"$NEW" gallery list --json >"$WORK/after-gallery.json"
"$NEW" backup list --json >"$WORK/after-backups.json"
(cd "$DATA/media" && sha256sum --quiet -c "$WORK/before-sums.txt") || fail "a stored file changed or went missing"
python3 - "$WORK" <<'EOF'
import json, sys
w = sys.argv[1]
load = lambda n: json.load(open(f"{w}/{n}.json"))
before_h, after_h = load("before-history"), load("after-history")
before_g, after_g = load("before-gallery"), load("after-gallery")
assert [(c["id"], c["title"]) for c in after_h] == [(c["id"], c["title"]) for c in before_h], (before_h, after_h)
messages = load("after-messages")
items = messages["messages"] if isinstance(messages, dict) else messages
texts = [m.get("content", "") for m in items]
assert any("harbour" in t for t in texts) and any("fastest" in t for t in texts), texts
assert len(items) == 4, f"two questions and two answers, got {len(items)}"
key = lambda i: (i["id"], i["kind"], i["model"], i["prompt"], i["status"])
assert sorted(map(key, after_g)) == sorted(map(key, before_g)), (before_g, after_g)
backups = load("after-backups")
migration = [b for b in backups if b["reason"] == "migration"]
assert migration, f"no copy made before the migration: {backups}"
print(f"after the upgrade: {len(after_h)} conversation, {len(items)} messages, {len(after_g)} generations; "
      f"pre-migration copy {migration[0]['id']} ({migration[0]['size_bytes']} bytes)")
EOF

step "uninstall: the library stays"
$SUDO dpkg -r nexhina-studio >/dev/null
[ ! -e /usr/bin/nexhina-studio ] || fail "the app is still installed"
"$NEW" history list --json | python3 -c "import json,sys; assert len(json.load(sys.stdin)) == 1" \
    || fail "the library did not survive the uninstall"
printf '\n\033[32mupgrade 0.0.9 -> %s: nothing lost\033[0m\n' "$NEW_VERSION"
