#!/usr/bin/env bash
# Signature verification throughput: `pushgate verify --stdin` against `git verify-commit` (gpg) on
# the same N commits, each carrying a real ed25519 OpenPGP signature made by gpg through
# `git commit-tree -S`. Prints a markdown fragment on stdout, progress on stderr.
#
#   PUSHGATE=target/release/pushgate bench/verify.sh
#
# Knobs (environment): PUSHGATE, BENCH_WORK (scratch dir, default bench/work), N (commits, 2000, at least 50),
# RUNS (hyperfine runs for pushgate, 10), GPG_RUNS (runs for git verify-commit over N, 3).
set -euo pipefail

# shellcheck source=bench/lib.sh
. "$(dirname "$0")/lib.sh"
N=${N:-2000}
RUNS=${RUNS:-10}
GPG_RUNS=${GPG_RUNS:-3}
need hyperfine gpg gpgconf
workdir verify
# gpg-agent's socket path must be short: keep GNUPGHOME under /tmp, and stop the agent we start.
GNUPGHOME=$(mktemp -d /tmp/pushgate-bench-gpg.XXXXXX)
export GNUPGHOME
trap 'gpgconf --kill gpg-agent 2>/dev/null || true; rm -rf "$GNUPGHOME"' EXIT

log "key: ed25519, no passphrase, GNUPGHOME=$GNUPGHOME"
gpg --batch --quiet --passphrase '' --quick-gen-key 'Bench Signer <bench@example.org>' ed25519 sign never 2>/dev/null
fpr=$(gpg --with-colons --list-keys bench@example.org | awk -F: '/^fpr/ { print $10; exit }')
gpg --armor --export "$fpr" > key.asc

git config --global user.name "Bench Signer"
git config --global user.email bench@example.org
git config --global user.signingkey "$fpr"
git config --global gpg.format openpgp

log "history: $N commits (trees from gen-history.awk), each re-made and signed with git commit-tree -S"
git init -q --bare repo.git
awk -v MAIN="$((N - 1))" -v BRANCHES=0 -v TAGS=0 -v FILES=50 -f "$ROOT/bench/gen-history.awk" \
    | git --git-dir=repo.git fast-import --quiet
start=$(date +%s)
p=
while IFS=$'\t' read -r tree subject; do
    p=$(git --git-dir=repo.git commit-tree -S ${p:+-p "$p"} -m "$subject" "$tree")
done < <(git --git-dir=repo.git log --reverse --format='%T%x09%s' refs/heads/development)
git --git-dir=repo.git update-ref refs/heads/signed "$p"
git --git-dir=repo.git symbolic-ref HEAD refs/heads/signed
git --git-dir=repo.git update-ref -d refs/heads/development
git --git-dir=repo.git gc --quiet --prune=now
log "signed $N commits in $(( $(date +%s) - start )) s"

cat > policy.toml <<'EOF'
[signatures]
require = "all"
openpgp-certs = ["key.asc"]
EOF
git --git-dir=repo.git rev-list HEAD > revs.txt
[ "$(wc -l < revs.txt)" -eq "$N" ]
head -1 revs.txt > rev1.txt

# Sanity: both tools accept every commit, and pushgate really reports N valid signatures.
(cd repo.git && xargs git verify-commit < ../revs.txt 2>/dev/null) || { echo "git verify-commit rejects the commits" >&2; exit 1; }
valid=$(cd repo.git && "$PUSHGATE" --policy "$W/policy.toml" --format json verify --stdin < ../revs.txt | grep -o '"status": *"valid"' | wc -l)
[ "$valid" -eq "$N" ] || { echo "pushgate verify: $valid of $N valid" >&2; exit 1; }

pg() { echo "cd $W/repo.git && $PUSHGATE --policy $W/policy.toml verify --stdin < $W/$1 > /dev/null"; }
gv() { echo "cd $W/repo.git && xargs git verify-commit < $W/$1 2> /dev/null"; }

load_before=$(cut -d' ' -f1-3 /proc/loadavg)
log "hyperfine: $N commits"
hyperfine --style none --warmup 1 --runs "$RUNS" -n "pushgate verify --stdin, $N commits" "$(pg revs.txt)" \
    --export-json pg-n.json >&2
hyperfine --style none --warmup 1 --runs "$GPG_RUNS" -n "git verify-commit (gpg), $N commits" "$(gv revs.txt)" \
    --export-json gv-n.json >&2
log "hyperfine: 1 commit"
hyperfine --style none --warmup 3 --runs "$((RUNS * 3))" \
    -n "pushgate verify --stdin, 1 commit" "$(pg rev1.txt)" \
    -n "git verify-commit (gpg), 1 commit" "$(gv rev1.txt)" \
    --export-json one.json >&2
load_after=$(cut -d' ' -f1-3 /proc/loadavg)

# key of the idx-th result in a hyperfine JSON file
stat() { grep -o "\"$2\": *[0-9.e-]*" "$1" | sed -n "${3:-1}p" | sed 's/.*: *//'; }
row() { # label, key, then "scale" for CPU (user+system)
    awk -v label="$1" -v n="$N" -v pn="$2" -v gn="$3" -v p1="$4" -v g1="$5" 'BEGIN {
        printf "| %s, %d commits | %.1f ms | %.0f ms | %.1fx |\n", label, n, pn * 1000, gn * 1000, gn / pn
        printf "| %s, per commit (total / %d) | %.3f ms | %.2f ms | |\n", label, n, pn * 1000 / n, gn * 1000 / n
        printf "| %s, per commit, marginal ((T_%d − T_1) / %d) | %.3f ms | %.2f ms | %.1fx |\n", label, n, n - 1, (pn - p1) * 1000 / (n - 1), (gn - g1) * 1000 / (n - 1), (gn - g1) / (pn - p1)
        printf "| %s, 1 commit | %.1f ms | %.1f ms | %.1fx |\n", label, p1 * 1000, g1 * 1000, g1 / p1
    }'
}
cpu() { awk -v u="$(stat "$1" user "${2:-1}")" -v s="$(stat "$1" system "${2:-1}")" 'BEGIN { print u + s }'; }
summary=$(
    printf '| | pushgate | git verify-commit (gpg) | ratio |\n|:---|---:|---:|---:|\n'
    row "wall, median" "$(stat pg-n.json median)" "$(stat gv-n.json median)" "$(stat one.json median 1)" "$(stat one.json median 2)"
    row "CPU user+sys" "$(cpu pg-n.json)" "$(cpu gv-n.json)" "$(cpu one.json 1)" "$(cpu one.json 2)"
)

cat <<EOF
$N commits, each with an ed25519 OpenPGP signature made by gpg; policy \`require = "all"\`,
\`openpgp-certs = ["key.asc"]\` (\`committer-must-match\` on, the default). Both tools read the same
list of ids (\`git rev-list HEAD\`) from a file; output discarded. hyperfine runs: pushgate ${RUNS}
over $N commits, git verify-commit ${GPG_RUNS} over $N commits, $((RUNS * 3)) each over 1 commit.
Load average (1/5/15 min) before: $load_before; after: $load_after.

$summary

Raw hyperfine results:

$(awk -f "$ROOT/bench/hf-table.awk" pg-n.json gv-n.json one.json)
EOF
