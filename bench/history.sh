#!/usr/bin/env bash
# A large repository with a realistic history, built from real source text: the crate sources of
# the local cargo registry (~/.cargo/registry/src/*/: Rust, C, markdown, TOML, test data), committed
# file by file, in parts, and version after version (see gen-crates.awk), with three synthetic
# secrets / personal data planted in known commits. Built once into $BENCH_WORK/history and reused
# by full-history.sh, secret-push.sh and initial-push.sh (rebuilt when the inputs change).
# Prints a markdown description on stdout, progress on stderr.
#
#   bench/history.sh
#
# Knobs (environment): BENCH_WORK (default bench/work), CRATES_SRC (registry source directory,
# default the first of ~/.cargo/registry/src/*/ in sort order), CHUNK (100 lines), MAXCHUNKS (8),
# PLANT (commit numbers after which the secrets are planted, "3000 15000 30000").
#
# Deterministic: the same registry contents (same file list hash, printed) give the same object ids (sorted input, fixed
# author/committer names and dates, git's own blob hashing). Layout: refs/heads/development (all
# commits), staging = development~10, live = development~20, one pack after `git gc` (packed refs,
# commit-graph, bitmap).
set -euo pipefail

ROOT=$(cd "$(dirname "$0")/.." && pwd)
BENCH_WORK=${BENCH_WORK:-$ROOT/bench/work}
CARGO_DIR=${CARGO_HOME:-$HOME/.cargo}
CRATES_SRC=${CRATES_SRC:-$(ls -d "$CARGO_DIR"/registry/src/*/ 2>/dev/null | sort | head -1)}
CHUNK=${CHUNK:-100}
MAXCHUNKS=${MAXCHUNKS:-8}
PLANT=${PLANT:-3000 15000 30000}
export LC_ALL=C

[ -d "$CRATES_SRC" ] || { echo "no crate sources (set CRATES_SRC; e.g. run cargo fetch somewhere first)" >&2; exit 2; }
CRATES_SRC=${CRATES_SRC%/}
W=$BENCH_WORK/history
log() { echo "[history] $*" >&2; }
export GIT_CONFIG_NOSYSTEM=1 HOME=$BENCH_WORK/history-home
mkdir -p "$HOME" "$BENCH_WORK"
git config --global user.name Bench
git config --global user.email bench@example.com
git config --global init.defaultBranch development

# The inputs, as one sorted list: name, version, crate dir, path, (blob id, lines: below).
list_files() {
    (cd "$CRATES_SRC" && find . -mindepth 2 -type f ! -name '.cargo-ok' ! -path '*/.git/*' -printf '%P\n') \
        | awk -F/ '{ d = $1; rel = substr($0, length(d) + 2)
                     if (match(d, /-[0-9]+\.[0-9]+\.[0-9]+/)) { n = substr(d, 1, RSTART - 1); v = substr(d, RSTART + 1) }
                     else { n = d; v = "0" }
                     if (rel ~ /\t/) next
                     print n "\t" v "\t" d "\t" rel }' \
        | sort -t "$(printf '\t')" -k1,1 -k2,2V -k4,4
}
# Rebuilt when the knobs, the generator or the source directory change, or with REBUILD=1 (a registry
# that gained crates since is not picked up by itself: the figures stay comparable between runs).
key=$( { echo "CHUNK=$CHUNK MAXCHUNKS=$MAXCHUNKS PLANT=$PLANT SRC=$CRATES_SRC"; cat "$ROOT/bench/gen-crates.awk"; } | sha256sum | cut -c1-16)
[ "${REBUILD:-0}" = 1 ] && rm -f "$W/done"
if [ -f "$W/done" ] && [ "$(cat "$W/done")" = "$key" ]; then
    log "reusing $W/repo.git (inputs unchanged)"
else
    rm -rf "$W" && mkdir -p "$W" && cd "$W"
    log "listing $CRATES_SRC"
    list_files > files.tsv
    git init -q --bare repo.git
    log "hashing $(wc -l < files.tsv) files"
    cut -f3,4 files.tsv | tr '\t' / | sed "s|^|$CRATES_SRC/|" > paths.txt
    git --git-dir=repo.git hash-object -w --no-filters --stdin-paths < paths.txt > blobs.txt
    # Lines per file; 0 for a binary file (grep -I does not read it as text).
    tr '\n' '\0' < paths.txt | xargs -0 grep -I -c '' -- /dev/null 2>/dev/null \
        | awk -v p="$CRATES_SRC/" '{ n = $0; sub(/.*:/, "", n); f = substr($0, 1, length($0) - length(n) - 1); sub("^" p, "", f); print f "\t" n }' > lines.tsv || true
    awk -F'\t' 'FILENAME == "lines.tsv" { lines[$1] = $2; next }
                FILENAME == "blobs.txt" { blob[FNR] = $1; next }
                { f = $3 "/" $4; print $0 "\t" blob[FNR] "\t" (f in lines ? lines[f] : 0) }' lines.tsv blobs.txt files.tsv > input.tsv
    log "writing the history (fast-import)"
    awk -v SRC="$CRATES_SRC" -v CHUNK="$CHUNK" -v MAXCHUNKS="$MAXCHUNKS" -v PLANT="$PLANT" \
        -f "$ROOT/bench/gen-crates.awk" input.tsv input.tsv \
        | git --git-dir=repo.git fast-import --quiet
    git --git-dir=repo.git update-ref refs/heads/staging refs/heads/development~10
    git --git-dir=repo.git update-ref refs/heads/live refs/heads/development~20
    log "git gc (one pack, commit-graph, bitmap)"
    git --git-dir=repo.git -c repack.writeBitmaps=true -c gc.writeCommitGraph=true gc --quiet --prune=now
    git --git-dir=repo.git commit-graph write --reachable
    # The planted commits, by id.
    n=$(git --git-dir=repo.git rev-list --count development)
    : > planted-ids.txt
    while read -r _ k _ _ after; do
        id=$(git --git-dir=repo.git rev-list --reverse development | sed -n "$((after + 1))p")
        echo "$k $((after + 1)) $id $(git --git-dir=repo.git log -1 --format=%s "$id")" >> planted-ids.txt
    done < planted.txt
    git --git-dir=repo.git log --format= --numstat development | awk '$1 != "-" { a += $1; d += $2 } END { print a, d }' > numstat.txt
    echo "$key" > done
fi
cd "$W"
commits=$(git --git-dir=repo.git rev-list --count development)
crates=$(cut -f3 input.tsv | sort -u | wc -l)
names=$(cut -f1 input.tsv | sort -u | wc -l)
files=$(wc -l < input.tsv)
srcbytes=$(cut -f3,4 input.tsv | tr '\t' / | sed "s|^|$CRATES_SRC/|" | tr '\n' '\0' | xargs -0 cat | wc -c)
tipfiles=$(git --git-dir=repo.git ls-tree -r development | wc -l)
blobbytes=$(git --git-dir=repo.git cat-file --batch-all-objects --batch-check='%(objecttype) %(objectsize)' | awk '$1 == "blob" { b += $2; n++ } END { printf "%d blobs, %.0f MB", n, b / 1e6 }')
packmb=$(du -sm repo.git/objects/pack | cut -f1)
read -r added deleted < numstat.txt
cat <<EOF
History: \`$W/repo.git\`, built from \`$CRATES_SRC\` ($crates crate directories, $names crates, $files files, $((srcbytes / 1000000)) MB; sha256 of the sorted file list \`$(cut -f1-4 input.tsv | sha256sum | cut -c1-12)\`).
Every file at \`<crate>/<path>\` (version dropped); new text files committed in parts of max($CHUNK, lines/$MAXCHUNKS) lines, one commit per part;
later versions of a crate as one commit per changed file (plus one deleting dropped files).
$commits commits on \`development\` (linear; \`staging\` = \`development~10\`, \`live\` = \`development~20\`), tip \`$(git --git-dir=repo.git rev-parse --short=12 development)\`, $tipfiles files at the tip;
$added lines added and $deleted deleted over the history ($blobbytes of distinct blob content); one pack of $packmb MB after \`git gc\`, commit-graph.
Planted (commit number, id, subject):
$(awk '{ s = $0; sub(/^[^ ]+ [^ ]+ [^ ]+ /, "", s); printf "- #%s `%s` %s\n", $2, substr($3, 1, 12), s }' planted-ids.txt)
EOF
