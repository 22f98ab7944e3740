#!/usr/bin/env python3
"""Instructions per unit, by function, between two callgrind profiles of the same
program run at two lengths: (long - short) / units. The start-up, the same in
both, cancels out. Inlined code counts in the function it was inlined into.

Usage: python3 bench/callgrind_diff.py SHORT.out LONG.out UNITS [TOP]
       (TOP functions, 25 by default; `--inclusive` first for self plus callees)
"""
import collections
import re
import sys


def parse(path, inclusive):
    """Instructions by function name: its own, or with its callees'."""
    names = {}
    costs = collections.Counter()
    function = callee = None
    call_line_next = False

    def name(text):
        match = re.match(r"\((\d+)\)(?: (.*))?", text)
        if not match:
            return text
        if match.group(2) is not None:
            names[match.group(1)] = match.group(2)
        return names.get(match.group(1), text)

    with open(path, errors="replace") as profile:
        for line in profile:
            line = line.rstrip("\n")
            if line.startswith("fn="):
                function = name(line[3:])
            elif line.startswith("cfn="):
                callee = name(line[4:])
            elif line.startswith("calls="):
                call_line_next = True
            elif line[:1].isdigit() or line[:1] in "+-*":
                fields = line.split()
                if len(fields) < 2 or function is None:
                    continue
                if call_line_next:
                    call_line_next = False
                    if not inclusive or callee == function:
                        continue
                costs[function] += int(fields[1])
    return costs


def main():
    args = sys.argv[1:]
    inclusive = bool(args) and args[0] == "--inclusive"
    if inclusive:
        args = args[1:]
    if len(args) < 3:
        sys.exit(__doc__)
    short, long, units = parse(args[0], inclusive), parse(args[1], inclusive), float(args[2])
    top = int(args[3]) if len(args) > 3 else 25
    if not inclusive:
        print(f"{(sum(long.values()) - sum(short.values())) / units:10.1f}  (all)")
    difference = {f: long[f] - short.get(f, 0) for f in long}
    for function, cost in sorted(difference.items(), key=lambda item: -abs(item[1]))[:top]:
        binary = re.compile(r" ?\[/[^]]*\]")  # the object file callgrind appends
        print(f"{cost / units:10.1f}  {binary.sub('', function)[:140]}")


if __name__ == "__main__":
    main()
