# git fast-import stream of a large, realistic history built from real source text: the crate
# sources of a cargo registry (bench/history.sh prepares the input and explains the layout).
#
#   awk -v SRC=dir -v CHUNK=100 -v MAXCHUNKS=8 -v PLANT="3000 15000 30000" -f gen-crates.awk list list
#
# Input (read twice; tab-separated, sorted by crate name, version, path):
#   name  version  crate-dir  relpath  blob-id  lines (0 = binary: committed whole)
# Every file lands at `name/relpath` (the version is dropped), so a later version of a crate
# modifies the files of the earlier one (one commit per changed file, one commit deleting the files
# it no longer has). A text file that is new to the history is committed in parts, as if it had
# grown: parts of max(CHUNK, ceil(lines / MAXCHUNKS)) lines, one commit per part, the last part
# being the file itself (blob-id, hashed by git beforehand). Synthetic secrets and personal data are
# planted in their own commits, right after the commits numbered in PLANT; planted.txt gets their
# numbers. Author and committer dates are fixed (1600000000 + 60 s per commit).
BEGIN { FS = "\t"; ncommit = 0; nplant = split(PLANT, plantat, " "); pi = 1 }
NR == FNR {
    present[$1, $2, $4] = 1
    if (!(($1, $2) in seenver)) { seenver[$1, $2] = 1; nver[$1]++; vers[$1, nver[$1]] = $2 }
    next
}
function commit(msg, t) {
    ncommit++
    t = 1600000000 + ncommit * 60
    print "commit refs/heads/development"
    print "author Bench Author <author@example.com> " t " +0000"
    print "committer Bench Committer <committer@example.com> " t " +0000"
    print "data " length(msg) + 1
    print msg
}
function inline(path, content) {
    print "M 100644 inline " path
    print "data " length(content)
    printf "%s\n", content   # the LF after the data is optional; it keeps the stream readable
}
function plant(k) {
    if (k == 1) {
        commit("ops: CI deploy script")
        inline("ops/ci-deploy.sh", "#!/bin/sh\nset -e\nexport GITHUB_TOKEN=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\ngit push \"https://x-access-token:$GITHUB_TOKEN@github.com/acme/site.git\" HEAD:gh-pages\n")
    } else if (k == 2) {
        commit("ops: AWS credentials for the release bucket")
        inline("ops/aws-credentials", "[default]\naws_access_key_id = AKIA7KLFYYLBEG3RHDSV\naws_secret_access_key = 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\nregion = eu-west-1\n")
    } else {
        commit("ops: refund list for support")
        inline("ops/refunds.csv", "customer,iban,card,amount\nJane Example,GB82 WEST 1234 5698 7654 32,4111 1111 1111 1111,12.50\nJohn Example,DE89 3704 0044 0532 0130 00,5555 5555 5555 4444,99.00\n")
    }
    print "planted " k " after commit " ncommit - 1 > "planted.txt"
}
function maybe_plant() {
    while (pi <= nplant && ncommit >= plantat[pi] + 0) { plant(pi); pi++ }
}
{
    name = $1; ver = $2; dir = $3; rel = $4; sha = $5; lines = $6 + 0
    path = name "/" rel
    if (!((name, ver) in started)) {
        started[name, ver] = 1
        # A later version: delete what it no longer has.
        if (name in curver) {
            dels = ""
            for (i = 1; i <= npaths[name]; i++) {
                p = paths[name, i]
                if (!present[name, ver, p]) dels = dels "D " name "/" p "\n"
            }
            if (dels != "") { commit(name " " ver ": remove files dropped since " curver[name]); printf "%s", dels; maybe_plant() }
        }
        curver[name] = ver
        # Remember this version's paths for the next one.
        npaths[name] = 0
    }
    npaths[name]++; paths[name, npaths[name]] = rel
    if (path in blobof) {
        if (blobof[path] == sha) next
        blobof[path] = sha
        commit(name " " ver ": update " rel)
        print "M 100644 " sha " " path
        maybe_plant()
        next
    }
    blobof[path] = sha
    n = 1
    if (lines > CHUNK) {
        size = int((lines + MAXCHUNKS - 1) / MAXCHUNKS)
        if (size < CHUNK) size = CHUNK
        n = int((lines + size - 1) / size)
    }
    if (n > 1) {
        file = SRC "/" dir "/" rel
        content = ""; k = 0; part = 1
        while (part < n && (getline line < file) > 0) {
            content = content line "\n"; k++
            if (k == part * size) {
                commit(name " " ver ": add " rel " (part " part "/" n ")")
                inline(path, content)
                maybe_plant()
                part++
            }
        }
        close(file)
        commit(name " " ver ": add " rel " (part " n "/" n ")")
    } else {
        commit(name " " ver ": add " rel)
    }
    print "M 100644 " sha " " path
    maybe_plant()
}
END { print "commits " ncommit > "/dev/stderr" }
