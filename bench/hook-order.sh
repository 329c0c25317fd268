#!/usr/bin/env bash
# Regenerates bench/hook-order.txt: the functions a one-commit pre-receive hook executes (≈ 900
# of the binary's ≈ 50 000), which `cargo build-static` asks the linker to place together
# (lld's --symbol-ordering-file, see .cargo/config.toml). Scattered over 7.5 MB of code they cost
# ≈ 80 page faults per hook run (the kernel maps 64 KB around each); together ≈ 20. Measured:
# 0.1–0.2 ms less per push (BENCHMARKS.md, ninth session).
#
#   bench/hook-order.sh        # ends with a fresh `cargo build-static`
#
# How: builds with a linker map, makes a small repository (this repository's sources, a packed
# history with deltas and a commit-graph), captures the quarantine of a one-commit push, runs
# the installed hook on it under callgrind, and maps every executed address to its symbol
# (bench/hook-order.py). Names carry rustc's hashes, so after a compiler update or big changes
# the list goes stale: lld skips names it does not find (nothing breaks, the gain shrinks), and
# this script makes a new one. Needs valgrind, python3, git, and rustup's toolchain (rust-lld).
set -euo pipefail

ROOT=$(cd "$(dirname "$0")/.." && pwd)
cd "$ROOT"
for t in valgrind python3 git cargo; do
    command -v "$t" >/dev/null || { echo "$t is required" >&2; exit 2; }
done
BENCH_WORK=${BENCH_WORK:-$ROOT/bench/work}
mkdir -p "$BENCH_WORK"
MAP=$BENCH_WORK/hook-order.map   # outside the work directory, which `workdir` empties
echo "[hook-order] building with a linker map" >&2
cargo build-static -C link-arg=-Wl,-Map="$MAP" -C link-arg=-Wl,--no-demangle >&2
PUSHGATE=$ROOT/target/release/pushgate

# shellcheck source=bench/lib.sh
. "$ROOT/bench/lib.sh"
workdir hook-order
promotion_policy content

log "making a repository"
git init -q client
cp -r "$ROOT/src" "$ROOT/README.md" "$ROOT/policy.toml" client/
git -C client add -A && git -C client commit -q -m "sources"
for i in $(seq 20); do
    echo "// revision $i" >> client/src/lib.rs
    git -C client commit -q -am "revision $i"
done
git init -q --bare server.git
git -C client push -q "$W/server.git" development
git -C server.git gc -q
git -C server.git commit-graph write --reachable

log "capturing a one-commit push"
mkdir -p hooks-capture
cat > hooks-capture/pre-receive <<EOF
#!/bin/sh
cat > "$W/input.txt"
cp -a "\$GIT_QUARANTINE_PATH" "$W/quarantine"
exit 1
EOF
chmod +x hooks-capture/pre-receive
echo "// one more line $(date +%s)" >> client/src/lib.rs
git -C client commit -q -am "one more line"
git -C client push -q --receive-pack="git -c core.hooksPath=$W/hooks-capture receive-pack" \
    "$W/server.git" development:refs/heads/topic/bench 2>/dev/null || true
[ -s input.txt ] && [ -d quarantine ] || { echo "the push was not captured" >&2; exit 1; }
installed_hook hook

log "running the hook under callgrind"
(
    cd server.git
    GIT_DIR=. GIT_OBJECT_DIRECTORY=$W/quarantine GIT_QUARANTINE_PATH=$W/quarantine \
        GIT_ALTERNATE_OBJECT_DIRECTORIES=$W/server.git/objects \
        valgrind -q --tool=callgrind --callgrind-out-file="$W/callgrind.out" --dump-instr=yes \
        --compress-pos=no --compress-strings=no "$PUSHGATE" run-hook "$W/hook" < "$W/input.txt" || true
)
[ -s callgrind.out ] || { echo "the hook did not run under callgrind" >&2; exit 1; }
python3 "$ROOT/bench/hook-order.py" "$MAP" "$W/callgrind.out" > "$W/hook-order.txt"
mv "$W/hook-order.txt" "$ROOT/bench/hook-order.txt"
log "wrote bench/hook-order.txt ($(wc -l < "$ROOT/bench/hook-order.txt") symbols); relinking"
# cargo does not know the list is an input of the link: make it link again.
cd "$ROOT" && cargo clean -q --release -p pushgate && cargo build-static >&2
