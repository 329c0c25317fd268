# Deterministic `git fast-import` stream: a code-like repository with a long mainline, short
# feature branches and tags. Same variables, same stream, same object ids, on any machine
# (the random numbers come from a Park-Miller generator in exact double arithmetic, not from
# awk's rand(), which differs between mawk and gawk).
#
#   awk -v MAIN=4700 -v BRANCHES=300 -v TAGS=200 -f gen-history.awk | git fast-import
#
# Result:
#   refs/heads/development  MAIN commits after a root commit of FILES text files (~3-6 KB each);
#                           each commit rewrites 1-5 lines in 1-3 files, sometimes adds a line
#   refs/heads/staging      development~STAGING_BEHIND
#   refs/heads/live         development~LIVE_BEHIND
#   refs/heads/feature/NNN  BRANCHES branches, each one commit on top of a mainline commit
#   refs/tags/vN            TAGS tags on mainline commits, every other one annotated
# Total commits: 1 + MAIN + BRANCHES.

function rnd(n) {                       # uniform integer in [0, n)
    seed = (seed * 16807) % 2147483647
    return int(seed / 2147483647 * n)
}

function word() { return words[rnd(NWORDS)] }

function code_line(   k, s) {
    k = rnd(8)
    if (k == 0) return "def " word() "_" word() "(" word() ", " word() "=None):"
    if (k == 1) return "    return " word() "." word() "(" word() ", " rnd(1000) ")"
    if (k == 2) return "    # " word() " " word() " " word() " " word() " " word() " " word()
    if (k == 3) return "    if " word() " is not None and " word() " > " rnd(100) ":"
    if (k == 4) return "        " word() "_" word() " = " word() "(" word() "[" rnd(64) "])"
    if (k == 5) return ""
    if (k == 6) return "    for " word() " in self." word() "s:"
    return "        logger.debug(\"" word() " " word() " %s\", " word() ")"
}

function emit_file(f,   i, s) {         # full content of file f as an inline `M` command
    s = ""
    for (i = 1; i <= nlines[f]; i++) s = s lines[f, i] "\n"
    printf "M 100644 inline %s\ndata %d\n%s\n", path[f], length(s), s
}

function mutate(f,   j, n, i) {         # rewrite a few lines of file f, maybe append one
    n = 1 + rnd(5)
    for (j = 0; j < n; j++) lines[f, 1 + rnd(nlines[f])] = code_line()
    if (rnd(4) == 0) { nlines[f]++; lines[f, nlines[f]] = code_line() }
}

function header(ref, m, i,   a, msg) {
    a = rnd(NAUTHORS)
    msg = word() ": " word() " " word() " " word() " (" i ")\n\n" word() " " word() " " word() " " word() ".\n"
    printf "commit %s\nmark :%d\n", ref, m
    printf "author %s <%s@example.com> %d +0000\n", authors[a], tolower(authors[a]), T0 + i * 600
    printf "committer %s <%s@example.com> %d +0000\n", authors[a], tolower(authors[a]), T0 + i * 600 + 30
    printf "data %d\n%s\n", length(msg), msg
}

BEGIN {
    if (MAIN == "") MAIN = 4700
    if (BRANCHES == "") BRANCHES = 300
    if (TAGS == "") TAGS = 200
    if (FILES == "") FILES = 200
    if (STAGING_BEHIND == "") STAGING_BEHIND = 10
    if (LIVE_BEHIND == "") LIVE_BEHIND = 20
    seed = 20240601
    T0 = 1700000000
    NWORDS = split("request response handler client server token cache config parser buffer " \
        "stream record entry index commit branch policy signer verify update value result error " \
        "context session account invoice payment order customer address message queue worker " \
        "timeout retry limit offset cursor page filter schema field column table query", words, " ")
    for (i = 1; i <= NWORDS; i++) words[i - 1] = words[i]
    NAUTHORS = split("Alice Bob Carol Dave Erin Frank Grace Heidi Ivan Judy Mallory Niaj Olivia " \
        "Peggy Rupert Sybil Trent Victor Walter Yasmin", authors, " ")
    for (i = 1; i <= NAUTHORS; i++) authors[i - 1] = authors[i]

    for (f = 0; f < FILES; f++) {
        path[f] = sprintf("src/%s_%d/%s_%03d.py", words[f % 10], f % 10, words[(f * 7) % NWORDS], f)
        nlines[f] = 80 + rnd(80)
        for (i = 1; i <= nlines[f]; i++) lines[f, i] = code_line()
    }

    # Root commit with every file.
    header("refs/heads/development", 1, 0)
    for (f = 0; f < FILES; f++) emit_file(f)
    print ""

    mark = 1
    branch_every = int(MAIN / (BRANCHES + 1)); if (branch_every < 1) branch_every = 1
    tag_every = int(MAIN / (TAGS + 1)); if (tag_every < 1) tag_every = 1
    nb = 0; nt = 0
    for (i = 1; i <= MAIN; i++) {
        mark++
        header("refs/heads/development", mark, i)
        printf "from :%d\n", (i == 1 ? 1 : main_mark[i - 1])
        n = 1 + rnd(3)
        for (k = 0; k < n; k++) { f = rnd(FILES); mutate(f); emit_file(f) }
        print ""
        main_mark[i] = mark
        if (i % tag_every == 0 && nt < TAGS) {
            nt++
            if (nt % 2) {
                printf "tag v%d\nfrom :%d\ntagger Release Bot <release@example.com> %d +0000\n", nt, mark, T0 + i * 600 + 60
                printf "data %d\nRelease %d\n\n", length("Release " nt "\n"), nt
            } else {
                printf "reset refs/tags/v%d\nfrom :%d\n\n", nt, mark
            }
        }
        if (i % branch_every == 0 && nb < BRANCHES) {
            # A feature branch: one commit on top of this mainline commit. Its change is not kept
            # in the mainline's file state (saved and restored around the mutation).
            nb++; base = mark; mark++
            f = rnd(FILES)
            saved_n = nlines[f]; for (j = 1; j <= saved_n; j++) saved[j] = lines[f, j]
            header(sprintf("refs/heads/feature/%03d", nb), mark, i)
            printf "from :%d\n", base
            mutate(f); emit_file(f)
            print ""
            nlines[f] = saved_n; for (j = 1; j <= saved_n; j++) lines[f, j] = saved[j]
        }
    }
    printf "reset refs/heads/staging\nfrom :%d\n\n", main_mark[MAIN - STAGING_BEHIND]
    printf "reset refs/heads/live\nfrom :%d\n\n", main_mark[MAIN - LIVE_BEHIND]
}
