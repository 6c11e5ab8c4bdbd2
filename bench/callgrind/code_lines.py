#!/usr/bin/env python3
"""Code footprint of an operation: the distinct 64-byte instruction-cache lines
it executes, in all and per function, from a callgrind profile.

Why: in the vs_sqlx bench the client and the PostgreSQL backend share one CPU,
so between two calls the server's work evicts the client's code from L1/L2.
Every line a call touches is then a miss, and a write (more server work, more
eviction) pays more per line. Instruction counts miss this; the lines do not.

    valgrind --tool=callgrind --separate-threads=yes --dump-instr=yes \
        --dump-line=no --zero-before=strata_bench_measure_start \
        --dump-before=strata_bench_measure_end \
        target/release/examples/instructions run postgres strata find-by-id 200
    bench/callgrind/code_lines.py callgrind.out.<pid>.1-01            # top functions
    bench/callgrind/code_lines.py strata.out.1-01 sqlx.out.1-01       # where they differ

The same lines run on every call, so the lines over N calls are one call's.
"""
import collections
import re
import sys


def lines_of(path):
    """{function: set of 64-byte line numbers} and the set over all."""
    names, per_fn, every = {}, collections.defaultdict(set), set()
    fn, last, after_call = None, 0, False

    def name(kind, rest):
        m = re.match(r"\((\d+)\)(?: (.*))?", rest)
        if not m:
            return rest
        if m.group(2) is not None:
            names[(kind, m.group(1))] = m.group(2)
        return names.get((kind, m.group(1)), rest)

    for raw in open(path, errors="replace"):
        raw = raw.rstrip("\n")
        if not raw:
            continue
        key, _, rest = raw.partition("=")
        if key == "fn":
            fn = name("fn", rest)
            continue
        if key in ("cfn", "cfi", "cob", "cfl", "ob", "fl", "fi", "fe"):
            name(key.lstrip("c").replace("fi", "fl").replace("fe", "fl"), rest)
            continue
        if key == "calls":
            after_call = True  # the next cost line is the call's, not this code's
            continue
        token = raw.split()[0]
        if token.startswith("0x"):
            addr = int(token, 16)
        elif token[0] == "+":
            addr = last + int(token[1:], 0)
        elif token[0] == "-":
            addr = last - int(token[1:], 0)
        elif token == "*":
            addr = last
        elif token[0].isdigit():
            addr = int(token, 0)
        else:
            continue
        last = addr
        if after_call:
            after_call = False
            continue
        per_fn[fn].add(addr >> 6)
        every.add(addr >> 6)
    return per_fn, every


def main(paths):
    if len(paths) == 1:
        per_fn, every = lines_of(paths[0])
        print(f"{len(every)} distinct lines")
        for fn, lines in sorted(per_fn.items(), key=lambda kv: -len(kv[1]))[:50]:
            print(f"{len(lines):6} {fn[:140]}")
        return
    (a, all_a), (b, all_b) = lines_of(paths[0]), lines_of(paths[1])
    print(f"{len(all_a)} vs {len(all_b)} distinct lines")
    rows = sorted(
        ((len(a.get(f, ())) - len(b.get(f, ())), f) for f in set(a) | set(b)),
        key=lambda r: -abs(r[0]),
    )
    for diff, fn in rows[:60]:
        if diff:
            print(f"{diff:+6} {fn[:140]}")


if __name__ == "__main__":
    if not 1 <= len(sys.argv[1:]) <= 2:
        sys.exit(__doc__)
    main(sys.argv[1:])
