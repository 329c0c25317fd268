#!/usr/bin/env bash
# A one-commit push into a repository with 10 000 more refs: does hiding existing refs stay cheap?
# Run bench/one-commit-push.sh first: this script copies its server repository and adds refs
# (packed, pointing at commits spread over the whole history), then times the hook alone on the
# same one-commit input, next to git's own `rev-list <new> --not --all`, in the same run; and on
# the quarantine captured from a real push (what a hook sees under receive-pack).
set -euo pipefail
# shellcheck source=bench/lib.sh
. "$(dirname "$0")/lib.sh"
SRC=$BENCH_WORK/one-commit-push
EXTRA=${EXTRA:-10000}
[ -d "$SRC/server.git" ] || { echo "run bench/one-commit-push.sh first (needs $SRC/server.git)" >&2; exit 1; }
need hyperfine
workdir many-refs
cp -a "$SRC/server.git" server.git
cp "$SRC/policy.toml" "$SRC/in-create.txt" "$SRC/in-quarantine.txt" .
# The quarantine one-commit-push.sh captured from a real push (objects on top of `development`).
cp -a "$SRC/quarantine" quarantine
git --git-dir=server.git rev-list --all > commits.txt
n=$(wc -l < commits.txt)
# EXTRA refs, sorted by name, each at a different commit (cycling through the history).
awk -v extra="$EXTRA" -v n="$n" 'NR==FNR { c[NR] = $1; next } END {
    for (i = 0; i < extra; i++) printf "%s refs/heads/team/r%05d\n", c[(i % n) + 1], i }' commits.txt /dev/null > new-refs.txt
{ cat server.git/packed-refs; cat new-refs.txt; } | grep -v '^#' | grep -v '^\^' | sort -k2 > refs.sorted
{ echo "# pack-refs with: peeled fully-peeled sorted "; cat refs.sorted; } > server.git/packed-refs
refs=$(git --git-dir=server.git for-each-ref | wc -l)
new=$(cut -d' ' -f2 in-create.txt)
hook="cd $W/server.git && GIT_DIR=. $PUSHGATE --policy $W/policy.toml pre-receive < $W/in-create.txt 2>/dev/null"
qhook="cd $W/server.git && GIT_OBJECT_DIRECTORY=$W/quarantine GIT_QUARANTINE_PATH=$W/quarantine GIT_ALTERNATE_OBJECT_DIRECTORIES=$W/server.git/objects GIT_DIR=. $PUSHGATE --policy $W/policy.toml pre-receive < $W/in-quarantine.txt 2>/dev/null"
sh -c "$hook" >/dev/null || { echo "pushgate rejected the push" >&2; exit 1; }
sh -c "$qhook" >/dev/null || { echo "pushgate rejected the quarantined push" >&2; exit 1; }
load_before=$(cut -d' ' -f1-3 /proc/loadavg)
hyperfine --style none --warmup 3 --runs 40 \
    -n "pushgate pre-receive: new topic branch, 1 new commit, $refs refs" "$hook" \
    -n "pushgate pre-receive: same, inside a real quarantine (captured from a push)" "$qhook" \
    -n "peer: git rev-list <new> --not --all, $refs refs" "cd $W/server.git && git rev-list $new --not --all" \
    --export-json many-refs.json >&2
load_after=$(cut -d' ' -f1-3 /proc/loadavg)
cat <<EOT
Repository: the one-commit-push server with $EXTRA more packed refs ($refs refs in all, $n commits).
Load average (1/5/15 min) before: $load_before; after: $load_after.

$(awk -f "$ROOT/bench/hf-table.awk" many-refs.json)
EOT
