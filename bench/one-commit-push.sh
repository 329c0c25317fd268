#!/usr/bin/env bash
# One-commit push latency: the same push with the pushgate pre-receive hook, with no hook, and with
# a trivial `cat >/dev/null` hook; then the hook on its own (no git push around it) and the
# process start-up costs. Prints a markdown fragment on stdout, progress on stderr.
#
#   PUSHGATE=target/release/pushgate bench/one-commit-push.sh
#
# Knobs (environment): PUSHGATE, BENCH_WORK (scratch dir, default bench/work), MAIN (mainline
# commits, default 4700), BRANCHES (300), TAGS (200), RUNS (hyperfine runs per command, 40),
# WARMUP (3).
set -euo pipefail

ROOT=$(cd "$(dirname "$0")/.." && pwd)
PUSHGATE=${PUSHGATE:-$ROOT/target/release/pushgate}
PUSHGATE=$(cd "$(dirname "$PUSHGATE")" && pwd)/$(basename "$PUSHGATE")
BENCH_WORK=${BENCH_WORK:-$ROOT/bench/work}
MAIN=${MAIN:-4700}
BRANCHES=${BRANCHES:-300}
TAGS=${TAGS:-200}
RUNS=${RUNS:-40}
WARMUP=${WARMUP:-3}
export LC_ALL=C

[ -x "$PUSHGATE" ] || { echo "no pushgate binary at $PUSHGATE (build with cargo build --release or set PUSHGATE)" >&2; exit 2; }
command -v hyperfine >/dev/null || { echo "hyperfine is required (apt-get install hyperfine)" >&2; exit 2; }

W=$BENCH_WORK/one-commit-push
rm -rf "$W"
mkdir -p "$W"
cd "$W"
log() { echo "[one-commit-push] $*" >&2; }

# Keep the user's and the system's git configuration (hooksPath, signing, fsmonitor...) out.
export GIT_CONFIG_NOSYSTEM=1 HOME=$W/home
mkdir -p "$HOME"
git config --global user.name Bench
git config --global user.email bench@example.com
git config --global init.defaultBranch development
git config --global advice.detachedHead false

log "generating $MAIN mainline commits, $BRANCHES branches, $TAGS tags"
git init -q --bare server.git
awk -v MAIN="$MAIN" -v BRANCHES="$BRANCHES" -v TAGS="$TAGS" -f "$ROOT/bench/gen-history.awk" \
    | git --git-dir=server.git fast-import --quiet
# What a forge's housekeeping leaves behind: one pack, packed refs, a commit-graph.
git --git-dir=server.git gc --quiet
# The same repository without a commit-graph, for comparison.
cp -a server.git server-nograph.git
rm -rf server-nograph.git/objects/info/commit-graph server-nograph.git/objects/info/commit-graphs
git clone -q server.git client

commits=$(git --git-dir=server.git rev-list --all | wc -l)
refs=$(git --git-dir=server.git for-each-ref | wc -l)
dev=$(git --git-dir=server.git rev-parse refs/heads/development)
staging=$(git --git-dir=server.git rev-parse refs/heads/staging)

cat > policy.toml <<'EOF'
[branches.live]
promote-from = "staging"

[branches.staging]
promote-from = "development"
EOF
"$PUSHGATE" policy check policy.toml >/dev/null

# Three hook directories; the push picks one with `git -c core.hooksPath=... receive-pack`, so all
# three variants push into the very same server repository.
mkdir -p hooks-none hooks-cat hooks-pushgate
printf '#!/bin/sh\ncat >/dev/null\n' > hooks-cat/pre-receive
printf '#!/bin/sh\nexec "%s" --policy "%s" pre-receive\n' "$PUSHGATE" "$W/policy.toml" > hooks-pushgate/pre-receive
chmod +x hooks-cat/pre-receive hooks-pushgate/pre-receive

# prepare.sh: a fresh commit on the client (one ~4 KB file gets one more line) on top of
# development, and the server's topic branch deleted, so every measured push creates
# refs/heads/topic/bench with exactly one new commit, one new tree path and one new blob.
cat > prepare.sh <<EOF
#!/usr/bin/env bash
set -euo pipefail
cd "$W/client"
n=\$(date +%s%N)
file=\$(git ls-tree -r --name-only origin/development | head -1)
blob=\$( { git cat-file -p "origin/development:\$file"; echo "    # bench \$n"; } | git hash-object -w --stdin)
export GIT_INDEX_FILE="$W/bench.index"
git read-tree origin/development
git update-index --cacheinfo "100644,\$blob,\$file"
tree=\$(git write-tree)
c=\$(git commit-tree -p origin/development -m "bench \$n" "\$tree")
git update-ref refs/heads/bench "\$c"
git --git-dir="$W/server.git" update-ref -d refs/heads/topic/bench 2>/dev/null || true
EOF
chmod +x prepare.sh

push() { echo "git -C $W/client push -q --receive-pack='git -c core.hooksPath=$W/hooks-$1 receive-pack' $W/server.git refs/heads/bench:refs/heads/topic/bench"; }

# Sanity: each variant is accepted, and the pushgate hook really runs and rejects a bad push.
for h in none cat pushgate; do ./prepare.sh; eval "$(push $h)"; done
./prepare.sh
if git -C client push -q --receive-pack="git -c core.hooksPath=$W/hooks-pushgate receive-pack" \
    "$W/server.git" "+refs/heads/bench:refs/heads/live" 2>/dev/null; then
    echo "pushgate hook accepted a push to live that is not a promotion: the benchmark is not measuring the hook" >&2
    exit 1
fi

log "hyperfine: one-commit push (with/without hook)"
hyperfine --style none --warmup "$WARMUP" --runs "$RUNS" --prepare "$W/prepare.sh" \
    -n "git push, no pre-receive hook" "$(push none)" \
    -n "git push, hook = cat >/dev/null" "$(push cat)" \
    -n "git push, hook = pushgate" "$(push pushgate)" \
    --export-markdown push.md --export-json push.json >&2

# The hook on its own: a commit that exists in the repository but no ref reaches (what the
# quarantine looks like to the hook, without the quarantine), pushed to a new topic branch.
make_commit() { # git-dir base -> new commit id (one file gets one more line)
    local gd=$1 base=$2 file blob tree
    file=$(git --git-dir="$gd" ls-tree -r --name-only "$base" | head -1)
    blob=$( { git --git-dir="$gd" cat-file -p "$base:$file"; echo "    # direct"; } | git --git-dir="$gd" hash-object -w --stdin)
    GIT_INDEX_FILE=$W/direct.index git --git-dir="$gd" read-tree "$base"
    GIT_INDEX_FILE=$W/direct.index git --git-dir="$gd" update-index --cacheinfo "100644,$blob,$file"
    tree=$(GIT_INDEX_FILE=$W/direct.index git --git-dir="$gd" write-tree)
    git --git-dir="$gd" commit-tree -p "$base" -m direct "$tree"
}
new=$(make_commit server.git "$dev")
new2=$(make_commit server-nograph.git "$dev")
[ "$new" = "$new2" ]
zero=0000000000000000000000000000000000000000
printf '%s %s refs/heads/topic/direct\n' "$zero" "$new" > in-create.txt
printf '%s %s refs/heads/staging\n' "$staging" "$dev" > in-promote.txt
hook() { echo "cd $W/$1 && GIT_DIR=. $PUSHGATE --policy $W/policy.toml pre-receive < $W/$2"; }
for c in "$(hook server.git in-create.txt)" "$(hook server.git in-promote.txt)" "$(hook server-nograph.git in-create.txt)"; do
    sh -c "$c" >/dev/null 2>&1 || { echo "pushgate rejected a push it should accept: $c" >&2; exit 1; }
done

log "hyperfine: the hook alone"
hyperfine --style none --warmup "$WARMUP" --runs "$((RUNS * 2))" -N \
    -n "pushgate --version (process start)" "$PUSHGATE --version" \
    -n "pushgate policy check (parse + validate policy)" "$PUSHGATE policy check $W/policy.toml" \
    --export-markdown startup.md --export-json startup.json >&2
hyperfine --style none --warmup "$WARMUP" --runs "$((RUNS * 2))" \
    -n "pushgate pre-receive: new topic branch, 1 new commit" "$(hook server.git in-create.txt)" \
    -n "pushgate pre-receive: same, repository without commit-graph" "$(hook server-nograph.git in-create.txt)" \
    -n "pushgate pre-receive: promote staging to development (10 commits, none new)" "$(hook server.git in-promote.txt)" \
    -n "peer: git rev-list <new> --not --all (git's own new-commit walk)" "cd $W/server.git && git rev-list $new --not --all" \
    --export-markdown hook.md --export-json hook.json >&2

cat <<EOF
Repository: $commits commits, $refs refs (gc'd: one pack, packed refs, commit-graph), \`development\` = \`${dev:0:12}\`.
Policy: \`[branches.live] promote-from = "staging"\`, \`[branches.staging] promote-from = "development"\`.
hyperfine ${RUNS} runs (push) / $((RUNS * 2)) runs (hook alone), ${WARMUP} warm-up runs.

**One-commit push to a new topic branch** (local transport, \`git push\` → \`git receive-pack\`):

$(cat push.md)

**The hook on its own** (stdin from a file, \`GIT_DIR=.\`, no quarantine):

$(cat hook.md)

**Start-up:**

$(cat startup.md)
EOF
