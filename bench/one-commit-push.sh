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

# shellcheck source=bench/lib.sh
. "$(dirname "$0")/lib.sh"
MAIN=${MAIN:-4700}
BRANCHES=${BRANCHES:-300}
TAGS=${TAGS:-200}
RUNS=${RUNS:-40}
WARMUP=${WARMUP:-3}
need hyperfine
workdir one-commit-push

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

promotion_policy

# Three hook directories; the push picks one with `git -c core.hooksPath=... receive-pack`, so all
# three variants push into the very same server repository.
mkdir -p hooks-none hooks-cat hooks-pushgate hooks-timed
printf '#!/bin/sh\ncat >/dev/null\n' > hooks-cat/pre-receive
installed_hook hooks-pushgate/pre-receive
# The same hook timed from inside the push (bash's $EPOCHREALTIME, no extra process): what the
# hook costs under receive-pack, with the pushed objects in the quarantine directory.
cat > hooks-timed/pre-receive <<EOF
#!/usr/bin/env bash
s=\$EPOCHREALTIME
"$W/hooks-pushgate/pre-receive"
rc=\$?
echo "\$s \$EPOCHREALTIME" >> "$W/hook-times.txt"
exit \$rc
EOF
chmod +x hooks-cat/pre-receive hooks-pushgate/pre-receive hooks-timed/pre-receive

# prepare.sh: a fresh commit on the client (one ~4 KB file gets one more line) on top of
# development, and the server's topic branch deleted (see lib.sh).
prepare_script "$W/client/.git" "$(git -C client ls-tree -r --name-only origin/development | sed -n 1p)" "    #"

# Sanity: each variant is accepted, and the pushgate hook really runs and rejects a bad push.
for h in none cat pushgate timed; do ./prepare.sh; eval "$(push $h)"; done
./prepare.sh
if git -C client push -q --receive-pack="git -c core.hooksPath=$W/hooks-pushgate receive-pack" \
    "$W/server.git" "+refs/heads/bench:refs/heads/live" 2>/dev/null; then
    echo "pushgate hook accepted a push to live that is not a promotion: the benchmark is not measuring the hook" >&2
    exit 1
fi

load_before=$(cut -d' ' -f1-3 /proc/loadavg)
log "hyperfine: one-commit push (with/without hook)"
rm -f hook-times.txt
hyperfine --style none --warmup "$WARMUP" --runs "$RUNS" --prepare "$W/prepare.sh" \
    -n "git push, no pre-receive hook" "$(push none)" \
    -n "git push, hook = cat >/dev/null" "$(push cat)" \
    -n "git push, hook = pushgate" "$(push pushgate)" \
    -n "git push, hook = pushgate in a timing shim" "$(push timed)" \
    --export-json push.json >&2
# Drop the warm-up runs; mean, median and min of the hook's own wall time inside the pushes.
inhook=$(tail -n "$RUNS" hook-times.txt | awk '{ print ($2 - $1) * 1000 }' | sort -n | awk '
    { t[NR] = $1; sum += $1 }
    END { printf "mean %.1f ms, median %.1f ms, min %.1f ms, max %.1f ms (%d pushes)", sum / NR, t[int((NR + 1) / 2)], t[1], t[NR], NR }')

# The hook on its own: a commit that exists in the repository but no ref reaches (what the
# quarantine looks like to the hook, without the quarantine), pushed to a new topic branch.
make_commit() { # git-dir base -> new commit id (one file gets one more line)
    local gd=$1 base=$2 file blob tree
    file=$(git --git-dir="$gd" ls-tree -r --name-only "$base" | sed -n 1p)
    blob=$( { git --git-dir="$gd" cat-file -p "$base:$file"; echo "    # direct"; } | git --git-dir="$gd" hash-object -w --stdin)
    GIT_INDEX_FILE=$W/direct.index git --git-dir="$gd" read-tree "$base"
    GIT_INDEX_FILE=$W/direct.index git --git-dir="$gd" update-index --cacheinfo "100644,$blob,$file"
    tree=$(GIT_INDEX_FILE=$W/direct.index git --git-dir="$gd" write-tree)
    GIT_AUTHOR_DATE="1800000000 +0000" GIT_COMMITTER_DATE="1800000000 +0000" \
        git --git-dir="$gd" commit-tree -p "$base" -m direct "$tree"
}
new=$(make_commit server.git "$dev")
new2=$(make_commit server-nograph.git "$dev")
[ "$new" = "$new2" ]
zero=0000000000000000000000000000000000000000
printf '%s %s refs/heads/topic/direct\n' "$zero" "$new" > in-create.txt
printf '%s %s refs/heads/staging\n' "$staging" "$dev" > in-promote.txt
# A real quarantine, captured from a push that a capturing hook then refuses (so nothing moves):
# the hook alone again, but seeing the objects the way it does under receive-pack.
mkdir -p hooks-capture
cat > hooks-capture/pre-receive <<EOF
#!/bin/sh
rm -rf "$W/quarantine" && cp -a "\$GIT_QUARANTINE_PATH" "$W/quarantine" && cat > "$W/in-quarantine.txt"
exit 1
EOF
chmod +x hooks-capture/pre-receive
./prepare.sh
if eval "$(push capture)" 2>/dev/null; then echo "the capturing hook did not run" >&2; exit 1; fi
[ -s in-quarantine.txt ]
QENV="GIT_OBJECT_DIRECTORY=$W/quarantine GIT_QUARANTINE_PATH=$W/quarantine GIT_ALTERNATE_OBJECT_DIRECTORIES=$W/server.git/objects"
hook() { local in=$2; [ "${in#/}" = "$in" ] && in=$W/$in; echo "cd $W/$1 && ${3:-} GIT_DIR=. $PUSHGATE --policy $W/policy.toml pre-receive < $in 2> /dev/null"; }
for c in "$(hook server.git in-create.txt)" "$(hook server.git in-quarantine.txt "$QENV")" "$(hook server.git in-promote.txt)" "$(hook server-nograph.git in-create.txt)"; do
    sh -c "$c" >/dev/null 2>&1 || { echo "pushgate rejected a push it should accept: $c" >&2; exit 1; }
done

log "hyperfine: the hook alone"
hyperfine --style none --warmup "$WARMUP" --runs "$((RUNS * 2))" -N \
    -n "pushgate --version (process start)" "$PUSHGATE --version" \
    -n "pushgate policy check (parse + validate policy)" "$PUSHGATE policy check $W/policy.toml" \
    --export-json startup.json >&2
hyperfine --style none --warmup "$WARMUP" --runs "$((RUNS * 2))" \
    -n "pushgate pre-receive: empty input (open repository, load policy)" "$(hook server.git /dev/null)" \
    -n "pushgate pre-receive: new topic branch, 1 new commit" "$(hook server.git in-create.txt)" \
    -n "pushgate pre-receive: same, repository without commit-graph" "$(hook server-nograph.git in-create.txt)" \
    -n "pushgate pre-receive: same, inside a real quarantine (captured from a push)" "$(hook server.git in-quarantine.txt "$QENV")" \
    -n "pushgate pre-receive: promote staging to development (10 commits, none new)" "$(hook server.git in-promote.txt)" \
    -n "peer: git rev-list <new> --not --all (git's own new-commit walk)" "cd $W/server.git && git rev-list $new --not --all" \
    --export-json hook.json >&2
load_after=$(cut -d' ' -f1-3 /proc/loadavg)

T="awk -f $ROOT/bench/hf-table.awk"
cat <<EOF
Repository: $commits commits, $refs refs (gc'd: one pack, packed refs, commit-graph), \`development\` = \`${dev:0:12}\`.
Policy: \`[branches.live] promote-from = "staging"\`, \`[branches.staging] promote-from = "development"\`.
hyperfine: ${RUNS} runs per push variant, $((RUNS * 2)) per hook-alone command, ${WARMUP} warm-up runs.
Load average (1/5/15 min) before: $load_before; after: $load_after.

**One-commit push to a new topic branch** (local transport, \`git push\` → \`git receive-pack\`, a fresh
commit each run changing one ~4 KB file):

$($T push.json)

The hook's own wall time inside those pushes (timing shim, quarantine active): $inhook.

**The hook on its own** (stdin from a file, \`GIT_DIR=.\`; no quarantine unless the row says so):

$($T hook.json)

**Start-up** (no shell):

$($T startup.json)
EOF
