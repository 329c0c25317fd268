#!/usr/bin/env bash
# Initial pushes into an empty bare repository: the whole history repository of history.sh, and its
# first N commits (N = 1, 100, 10 000), with the pushgate pre-receive hook (every check on) and with
# no hook. What the hook adds to a push of that size, next to what the push itself costs.
# Prints a markdown fragment on stdout, progress on stderr.
#
#   PUSHGATE=target/release/pushgate bench/initial-push.sh
#
# The history contains secrets (planted ones and private keys from crates' test data), so pushgate
# refuses most of these pushes. To time the same git work with and without the hook, the hook runs
# pushgate in full, records its verdict and its wall time, and exits 0: git then stores the objects
# and moves the ref in both variants.
#
# Knobs (environment): PUSHGATE, BENCH_WORK, SIZES ("1 100 10000"), RUNS_SMALL (10), RUNS_BIG (3).
set -euo pipefail

# shellcheck source=bench/lib.sh
. "$(dirname "$0")/lib.sh"
SIZES=${SIZES:-1 100 10000}
RUNS_SMALL=${RUNS_SMALL:-10}
RUNS_BIG=${RUNS_BIG:-3}
need hyperfine

BENCH_WORK=$BENCH_WORK "$ROOT/bench/history.sh" > /dev/null
REPO=$BENCH_WORK/history/repo.git
workdir initial-push
promotion_policy content

mkdir -p hooks-none hooks-pushgate
installed_hook installed-pre-receive
cat > hooks-pushgate/pre-receive <<EOF
#!/usr/bin/env bash
s=\$EPOCHREALTIME
"$W/installed-pre-receive" > /dev/null 2>&1
rc=\$?
echo "\$s \$EPOCHREALTIME \$rc" >> "\$HOOK_TIMES"
exit 0
EOF
chmod +x hooks-pushgate/pre-receive
# prepare: an empty bare server repository.
printf '#!/bin/sh\nrm -rf "%s/server.git" && git init -q --bare "%s/server.git"\n' "$W" "$W" > prepare.sh
chmod +x prepare.sh

total=$(git --git-dir="$REPO" rev-list --count development)
git --git-dir="$REPO" rev-list --reverse development > order.txt
load_before=$(cut -d' ' -f1-3 /proc/loadavg)
: > sizes.tsv
for n in $SIZES "$total"; do
    rev=$(sed -n "${n}p" order.txt)
    runs=$RUNS_SMALL; [ "$n" -ge 5000 ] && runs=$RUNS_BIG
    push() { echo "HOOK_TIMES=$W/times-$n.txt git --git-dir=$REPO push -q --no-verify --receive-pack='git -c core.hooksPath=$W/hooks-$1 receive-pack' $W/server.git $rev:refs/heads/development"; }
    log "hyperfine: initial push of $n commits"
    rm -f "times-$n.txt"
    hyperfine --style none --runs "$runs" --prepare "$W/prepare.sh" \
        -n "initial push, $n commits, no hook" "$(push none)" \
        -n "initial push, $n commits, hook = pushgate (verdict recorded, push let through)" "$(push pushgate)" \
        --export-json "push-$n.json" >&2
    hook=$(awk '{ print ($2 - $1) * 1000 }' "times-$n.txt" | sort -n | awk '{ t[NR] = $1 } END { printf "%.1f", t[int((NR + 1) / 2)] }')
    verdict=$(awk '{ print $3 }' "times-$n.txt" | sort -u | tr '\n' ' ')
    bytes=$(git --git-dir="$REPO" rev-list --objects "$rev" | cut -d' ' -f1 | git --git-dir="$REPO" cat-file --batch-check='%(objectsize)' | awk '{ s += $1 } END { printf "%.1f", s / 1e6 }')
    med() { awk '/"median":/ { s = $0; sub(/^[^:]*: */, "", s); sub(/,$/, "", s); print s * 1000 }' "push-$n.json" | sed -n "${1}p"; }
    printf '%s\t%s\t%s\t%s\t%s\t%s\n' "$n" "$bytes" "$(med 1)" "$(med 2)" "$hook" "$verdict" >> sizes.tsv
done
load_after=$(cut -d' ' -f1-3 /proc/loadavg)

cat <<EOF
Source: the history repository (\`development\`, $total commits); each push sends \`<N-th commit>:refs/heads/development\`
into a freshly \`git init --bare\`'d server (local transport). pushgate \`$("$PUSHGATE" --version)\`, policy: secrets + PII on,
promotion rules for \`live\`/\`staging\` (not touched by these pushes). The hook records pushgate's exit code and its own wall
time, then lets the push through (exit 0), so git does the same work in both variants.
hyperfine: $RUNS_SMALL runs for N < 5000, $RUNS_BIG for larger pushes, no warm-up (each run starts from an empty repository).
Load average (1/5/15 min) before: $load_before; after: $load_after.

$(awk -f "$ROOT/bench/hf-table.awk" push-*.json)

| Commits pushed | Objects [MB, uncompressed] | Push without hook, median [ms] | Push with pushgate, median [ms] | Added by the hook [ms] | pushgate's own wall time, median [ms] | Hook / push without hook | pushgate exit codes |
|:---|---:|---:|---:|---:|---:|---:|:---|
$(awk -F'\t' '{ printf "| %s | %s | %.0f | %.0f | %.0f | %.0f | %.2f | %s |\n", $1, $2, $3, $4, $4 - $3, $5, $5 / $3, $6 }' sizes.tsv)

(pushgate exit code 1 = the push would have been refused: the history carries secrets.)
EOF
