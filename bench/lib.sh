# Sourced by the bench scripts (after `set -euo pipefail`): the pushgate binary, the scratch
# directory and git isolation they all share, and the pieces two of them build alike.
#
#   . "$(dirname "$0")/lib.sh"
#   need hyperfine
#   workdir one-commit-push      # fresh $BENCH_WORK/one-commit-push as $W and the current directory
# shellcheck shell=bash

ROOT=$(cd "$(dirname "$0")/.." && pwd)
PUSHGATE=${PUSHGATE:-$ROOT/target/release/pushgate}
PUSHGATE=$(cd "$(dirname "$PUSHGATE")" && pwd)/$(basename "$PUSHGATE")
BENCH_WORK=${BENCH_WORK:-$ROOT/bench/work}
export LC_ALL=C
[ -x "$PUSHGATE" ] || { echo "no pushgate binary at $PUSHGATE (build with cargo build-static or cargo build --release, or set PUSHGATE)" >&2; exit 2; }

# need TOOL...: exit 2 naming the first one missing.
need() {
    local t
    for t in "$@"; do command -v "$t" >/dev/null || { echo "$t is required (apt-get install $t)" >&2; exit 2; }; done
}

BENCH_NAME=bench
log() { echo "[$BENCH_NAME] $*" >&2; }

# workdir NAME: a fresh $BENCH_WORK/NAME, as $W and the current directory; git there runs with
# HOME inside it and no system configuration, so the user's (hooksPath, signing, fsmonitor…)
# stays out.
workdir() {
    BENCH_NAME=$1
    W=$BENCH_WORK/$1
    rm -rf "$W" && mkdir -p "$W" && cd "$W"
    export GIT_CONFIG_NOSYSTEM=1 HOME=$W/home
    mkdir -p "$HOME"
    git config --global user.name Bench
    git config --global user.email bench@example.com
    git config --global init.defaultBranch development
    git config --global advice.detachedHead false
}

# promotion_policy [content]: policy.toml with `live` ← `staging` ← `development`; with `content`,
# secrets and PII switched on explicitly too (they are on by default). Checked with pushgate.
promotion_policy() {
    {
        if [ "${1:-}" = content ]; then
            printf '# Every check on: secrets and PII (their default), and a promotion policy.\n'
            printf '[secrets]\nenabled = true\n\n[pii]\nenabled = true\n\n'
        fi
        printf '[branches.live]\npromote-from = "staging"\n\n[branches.staging]\npromote-from = "development"\n'
    } > policy.toml
    "$PUSHGATE" policy check policy.toml >/dev/null
}

# installed_hook FILE: the pre-receive hook `pushgate install bare --policy $W/policy.toml` writes
# (a hook file whose `#!` line is the binary: no shell starts), copied to FILE. The hook as users
# get it is what the benchmarks measure.
installed_hook() {
    rm -rf "$W/install-target.git"
    git init -q --bare "$W/install-target.git"
    "$PUSHGATE" install bare "$W/install-target.git" --policy "$W/policy.toml" > /dev/null
    cp "$W/install-target.git/hooks/pre-receive" "$1"
    chmod +x "$1"
    rm -rf "$W/install-target.git"
}

# prepare_script GIT_DIR FILE COMMENT: prepare.sh [line], which makes a fresh commit in GIT_DIR on
# top of origin/development where FILE gets one more line (the given one, or COMMENT plus a
# timestamp) and deletes the server's topic branch, so that every measured push creates
# refs/heads/topic/bench with exactly one new commit, one changed path and one new blob.
# push VARIANT prints the push of that commit with hook directory hooks-VARIANT.
prepare_script() {
    PREPARE_GIT_DIR=$1
    cat > prepare.sh <<PREP
#!/usr/bin/env bash
set -euo pipefail
export GIT_DIR="$1"
n=\$(date +%s%N)
line=\${1:-"$3 bench \$n"}
file='$2'
blob=\$( { git cat-file -p "origin/development:\$file"; echo "\$line"; } | git hash-object -w --stdin)
export GIT_INDEX_FILE="$W/bench.index"
git read-tree origin/development
git update-index --cacheinfo "100644,\$blob,\$file"
tree=\$(git write-tree)
c=\$(git commit-tree -p origin/development -m "bench \$n" "\$tree")
git update-ref refs/heads/bench "\$c"
git --git-dir="$W/server.git" update-ref -d refs/heads/topic/bench 2>/dev/null || true
PREP
    chmod +x prepare.sh
}
push() {
    echo "git --git-dir=$PREPARE_GIT_DIR push -q --receive-pack='git -c core.hooksPath=$W/hooks-$1 receive-pack' $W/server.git refs/heads/bench:refs/heads/topic/bench"
}
