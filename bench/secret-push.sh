#!/usr/bin/env bash
# One-commit push into a real-size repository (the history repository of history.sh: ~34 000
# commits, one pack, commit-graph): the latency of the pushgate pre-receive hook with every check on
# (secrets, PII, a promotion policy) against betterleaks' own pre-receive mode
# (`betterleaks git --pre-receive`, default rules) installed as the hook, and against no hook.
# Prints a markdown fragment on stdout, progress on stderr.
#
#   PUSHGATE=target/release/pushgate bench/secret-push.sh
#
# Knobs (environment): PUSHGATE, BETTERLEAKS (see peers.sh), BENCH_WORK, RUNS (30), WARMUP (3).
set -euo pipefail

# shellcheck source=bench/lib.sh
. "$(dirname "$0")/lib.sh"
RUNS=${RUNS:-30}
WARMUP=${WARMUP:-3}
# shellcheck source=bench/peers.sh
. "$ROOT/bench/peers.sh"
KINGFISHER=""   # kingfisher has no pre-receive mode
need hyperfine

BENCH_WORK=$BENCH_WORK "$ROOT/bench/history.sh" > /dev/null
workdir secret-push

log "copying the history repository"
cp -a "$BENCH_WORK/history/repo.git" server.git
git clone -q --bare server.git client.git     # local clone: hard links, same pack
git --git-dir=client.git fetch -q "$W/server.git" '+refs/heads/*:refs/remotes/origin/*'
commits=$(git --git-dir=server.git rev-list --count development)
refs=$(git --git-dir=server.git for-each-ref | wc -l)

promotion_policy content

# Each tool's hook as it is installed: pushgate's is what `pushgate install` writes (a hook file
# the kernel hands to the binary, no shell); betterleaks has no installer and its pre-receive mode
# takes arguments, so a `#!/bin/sh` script. pushgate as such a script (install's fallback for a
# binary path with spaces) is measured too.
mkdir -p hooks-none hooks-cat hooks-pushgate hooks-pushgate-sh hooks-betterleaks \
    hooks-pushgate-timed hooks-pushgate-sh-timed hooks-betterleaks-timed
printf '#!/bin/sh\ncat >/dev/null\n' > hooks-cat/pre-receive
installed_hook hooks-pushgate/pre-receive
printf '#!/bin/sh\nexec "%s" --policy "%s" pre-receive\n' "$PUSHGATE" "$W/policy.toml" > hooks-pushgate-sh/pre-receive
printf '#!/bin/sh\nexec "%s" git --pre-receive --no-banner --no-color -l error\n' "${BETTERLEAKS:-false}" > hooks-betterleaks/pre-receive
for t in pushgate pushgate-sh betterleaks; do
    cat > hooks-$t-timed/pre-receive <<EOF
#!/usr/bin/env bash
s=\$EPOCHREALTIME
"$W/hooks-$t/pre-receive"
rc=\$?
echo "\$s \$EPOCHREALTIME" >> "$W/times-$t.txt"
exit \$rc
EOF
done
chmod +x hooks-*/pre-receive

# prepare.sh [content]: a fresh commit on the client on top of development (one real source file
# gets one more line: a comment, or the given line), and the server's topic branch deleted (see
# lib.sh).
prepare_script "$W/client.git" aho-corasick/src/ahocorasick.rs "//"

# Sanity: every variant accepts a clean commit; both scanners refuse the planted GitHub token, and
# pushgate refuses a push to live that is not a promotion.
variants="none cat pushgate pushgate-timed pushgate-sh pushgate-sh-timed"
[ -n "$BETTERLEAKS" ] && variants="$variants betterleaks betterleaks-timed"
for h in $variants; do ./prepare.sh; eval "$(push "$h")" || { echo "variant $h refused a clean push" >&2; exit 1; }; done
for h in pushgate pushgate-sh ${BETTERLEAKS:+betterleaks}; do
    ./prepare.sh 'const TOKEN: &str = "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";'
    if eval "$(push "$h")" 2>/dev/null; then echo "$h accepted a pushed GitHub token: the benchmark is not measuring a scan" >&2; exit 1; fi
done
./prepare.sh
if git --git-dir=client.git push -q --receive-pack="git -c core.hooksPath=$W/hooks-pushgate receive-pack" \
    "$W/server.git" "+refs/heads/bench:refs/heads/live" 2>/dev/null; then
    echo "pushgate accepted a push to live that is not a promotion" >&2; exit 1
fi

load_before=$(cut -d' ' -f1-3 /proc/loadavg)
rm -f times-*.txt
args=(-n "git push, no pre-receive hook" "$(push none)" -n "git push, hook = cat >/dev/null" "$(push cat)"
      -n "git push, hook = pushgate (secrets + PII + promotion policy)" "$(push pushgate)"
      -n "git push, hook = pushgate as a #!/bin/sh script" "$(push pushgate-sh)")
[ -n "$BETTERLEAKS" ] && args+=(-n "git push, hook = betterleaks git --pre-receive" "$(push betterleaks)")
args+=(-n "git push, hook = pushgate in a timing shim" "$(push pushgate-timed)"
      -n "git push, hook = pushgate as a #!/bin/sh script in a timing shim" "$(push pushgate-sh-timed)")
[ -n "$BETTERLEAKS" ] && args+=(-n "git push, hook = betterleaks in a timing shim" "$(push betterleaks-timed)")
log "hyperfine: one-commit push"
hyperfine --style none --warmup "$WARMUP" --runs "$RUNS" --prepare "$W/prepare.sh" "${args[@]}" --export-json push.json >&2
load_after=$(cut -d' ' -f1-3 /proc/loadavg)
inhook() { # the hook's own wall time inside the measured pushes (warm-up runs dropped)
    [ -f "times-$1.txt" ] || { echo "not measured"; return; }
    tail -n "$RUNS" "times-$1.txt" | awk '{ print ($2 - $1) * 1000 }' | sort -n | awk '
        { t[NR] = $1; sum += $1 }
        END { printf "%.1f | %.1f | %.1f | %.1f", sum / NR, t[int((NR + 1) / 2)], t[1], t[NR] }'
}
pg=$(inhook pushgate); pgsh=$(inhook pushgate-sh); bl=$(inhook betterleaks)
ratio=$(awk -v a="$(echo "$pg" | cut -d'|' -f2)" -v b="$(echo "$bl" | cut -d'|' -f2)" 'BEGIN { if (b + 0 > 0) printf "%.0fx", b / a; else print "-" }')

cat <<EOF
Repository: the history repository ($commits commits, $refs refs, one pack, commit-graph); pushgate \`$("$PUSHGATE" --version)\`; $(peer_versions).
Policy (pushgate): secrets on, PII on, \`live\` ← \`staging\` ← \`development\` promotion. betterleaks: default rules, \`git --pre-receive\`.
Each push: one fresh commit adding one line to \`aho-corasick/src/ahocorasick.rs\` ($(git --git-dir=server.git cat-file -s development:aho-corasick/src/ahocorasick.rs) bytes), to a new branch \`topic/bench\`.
hyperfine: $WARMUP warm-up, $RUNS runs per variant, all into the same server repository.
Load average (1/5/15 min) before: $load_before; after: $load_after.

$(awk -f "$ROOT/bench/hf-table.awk" push.json)

The hook's own wall time inside those pushes (timing shims, quarantine active; $RUNS pushes each):

| Hook | Mean [ms] | Median [ms] | Min [ms] | Max [ms] |
|:---|---:|---:|---:|---:|
| pushgate (hook file written by \`pushgate install\`) | $pg |
| pushgate as a \`#!/bin/sh\` script that \`exec\`s it | $pgsh |
| betterleaks git --pre-receive (\`#!/bin/sh\` script) | $bl |

Median ratio betterleaks / pushgate (installed hook): $ratio.
EOF
