#!/usr/bin/env python3
"""Symbols a hook run executes, in the order the linker should place them (see hook-order.sh).

    hook-order.py LINKER_MAP CALLGRIND_OUT > bench/hook-order.txt

LINKER_MAP: lld's `-Map` of the very build that ran, written with `--no-demangle`.
CALLGRIND_OUT: `valgrind --tool=callgrind --dump-instr=yes --compress-pos=no` of that build; it
names every executed instruction by its link-time address. Each address is looked up in the map:
the input section holding it (`.text.<symbol>`: rustc puts every function in its own section), or
for sections holding several functions (glibc's), the symbol the map lists at or before it.
Printed once each, in the order the profile first names them.
"""
import bisect
import re
import sys

# lld map lines: "VMA LMA Size Align Out In Symbol", hex numbers, columns by indentation.
LINE = re.compile(r"^\s*([0-9a-f]+)\s+([0-9a-f]+)\s+([0-9a-f]+)\s+(\d+)\s(\s*)(.*)$")


def read_map(path):
    sections = []  # (start, end, section name, [(addr, symbol)])
    with open(path, encoding="utf-8", errors="replace") as f:
        for line in f:
            m = LINE.match(line)
            if not m:
                continue
            vma, size, rest = int(m.group(1), 16), int(m.group(3), 16), m.group(6)
            if ":(" in rest:
                name = rest[rest.rindex(":(") + 2 : -1]
                sections.append((vma, vma + size, name, []))
            elif sections and len(m.group(5)) >= 8 and sections[-1][0] <= vma < max(sections[-1][1], vma + 1):
                sections[-1][3].append((vma, rest.strip()))
    sections.sort()
    return sections


def executed(path):
    seen = set()
    with open(path, encoding="utf-8", errors="replace") as f:
        for line in f:
            if line.startswith("0x"):
                a = int(line.split(None, 1)[0], 16)
                if a not in seen:
                    seen.add(a)
                    yield a


def main():
    sections = read_map(sys.argv[1])
    starts = [s[0] for s in sections]
    out, done = [], set()
    for a in executed(sys.argv[2]):
        i = bisect.bisect_right(starts, a) - 1
        if i < 0 or not (sections[i][0] <= a < sections[i][1]):
            continue
        start, _, name, symbols = sections[i]
        if name.startswith(".text.") and len(name) > 6 and not symbols:
            sym = name[len(".text.") :]
        else:
            before = [s for s in symbols if s[0] <= a]
            if not before:
                continue
            sym = before[-1][1]
        if sym not in done:
            done.add(sym)
            out.append(sym)
    if len(out) < 100:
        sys.exit(f"only {len(out)} symbols found: is the map from the build that ran?")
    sys.stdout.write("".join(s + "\n" for s in out))


if __name__ == "__main__":
    main()
