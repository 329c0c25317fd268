# Markdown table from one or more hyperfine --export-json files:
#   awk -f hf-table.awk a.json b.json
# Columns: mean ± σ, median, min (wall clock) and user+system CPU time, all in ms. On a shared
# machine the median and the CPU time are steadier than the mean.
# Relies on hyperfine's pretty-printed JSON (one key per line); "times" arrays hold bare numbers.
function flush() {
    if (cmd != "")
        printf "| `%s` | %.1f ± %.1f | %.1f | %.1f | %.1f |\n", cmd, mean * 1000, sd * 1000, med * 1000, mn * 1000, (usr + sys) * 1000
    cmd = ""
}
BEGIN {
    print "| Command | Mean ± σ [ms] | Median [ms] | Min [ms] | CPU user+sys [ms] |"
    print "|:---|---:|---:|---:|---:|"
}
/"command":/ { flush(); s = $0; sub(/^[^:]*: *"/, "", s); sub(/",? *$/, "", s); cmd = s }
function num() { s = $0; sub(/^[^:]*: */, "", s); sub(/,$/, "", s); return s + 0 }
/"mean":/   { mean = num() }
/"stddev":/ { sd = num() }
/"median":/ { med = num() }
/"user":/   { usr = num() }
/"system":/ { sys = num() }
/"min":/    { mn = num() }
END { flush() }
