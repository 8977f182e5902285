#!/usr/bin/env python3
"""Lists circles of files inside each crate of the workspace: file A uses something from file B
(`use crate::b::…`, `crate::b::…`, `super::…`, `self::…`) and B, directly or through others, uses A.

Usage: scripts/module-cycles.py [CRATE_DIR...]   (default: every workspace member with a src/)
Exit status 0 when there is no circle, 1 when there is (each printed as `a.rs -> b.rs -> a.rs`).

Why a script and not cargo-modules: it needs no build and no download, reads the same `use` paths a
reviewer reads, and runs in a second. It ignores `#[cfg(test)]` modules, whose uses of `super::*`
are how Rust tests are written, and a parent's `mod child;` / `pub use child::X;` re-exports (a
table of contents is not a dependency).
"""
import os
import re
import sys

USE_PATH = re.compile(r"\b(crate|super|self)((?:::[A-Za-z_][A-Za-z0-9_]*)+|::\{)")
BRACED_USE = re.compile(r"\buse\s+(crate|super|self)::\{([^;]*)\};", re.S)


def strip(text):
    """Drops comments, string literals and #[cfg(test)] modules."""
    text = re.sub(r"//[^\n]*", "", text)
    text = re.sub(r"/\*.*?\*/", "", text, flags=re.S)
    text = re.sub(r'"(?:\\.|[^"\\])*"', '""', text)
    out, i = [], 0
    for m in re.finditer(r"#\[cfg\(test\)\]\s*mod\s+\w+\s*\{", text):
        if m.start() < i:
            continue
        out.append(text[i:m.start()])
        depth, j = 1, m.end()
        while j < len(text) and depth:
            depth += {"{": 1, "}": -1}.get(text[j], 0)
            j += 1
        i = j
    out.append(text[i:])
    return "".join(out)


def modules(src):
    """Maps module paths (tuples) to files, from lib.rs/main.rs down."""
    files = {}
    for root, _, names in os.walk(src):
        for n in names:
            if not n.endswith(".rs"):
                continue
            rel = os.path.relpath(os.path.join(root, n), src)[:-3].split(os.sep)
            if rel[-1] == "mod":
                rel = rel[:-1]
            if rel in (["lib"], ["main"]):
                rel = []
            files[tuple(rel)] = os.path.join(root, n)
    return files


def is_test_file(files, mod):
    return mod and mod[-1] in ("tests", "test")


def resolve(files, path):
    """The longest module prefix of `path` that is a file."""
    for k in range(len(path), -1, -1):
        if tuple(path[:k]) in files:
            return tuple(path[:k])
    return ()


def edges_of(files, mod, text):
    # super:: in a mod.rs-style file and in a leaf file both mean the parent module.
    out = set()
    paths = []
    for m in BRACED_USE.finditer(text):
        head = m.group(1)
        for item in re.split(r",\s*", m.group(2)):
            item = item.strip()
            if item:
                paths.append([head] + [p for p in re.split(r"::", item.split(" as ")[0]) if p and p != "{" and p != "}" and p != "*"])
    for m in USE_PATH.finditer(text):
        paths.append([m.group(1)] + [p for p in m.group(2).split("::") if p and p != "{"])
    aliases = {}
    for p in list(paths):
        head, rest = p[0], [x.strip("{} ") for x in p[1:] if x.strip("{} ")]
        if head == "crate" and rest and tuple(rest) in files:
            aliases[rest[-1]] = rest
    for name, full in aliases.items():
        for m in re.finditer(r"(?<![:\w])" + name + r"((?:::[A-Za-z_][A-Za-z0-9_]*)+)", text):
            paths.append(["crate"] + full + [x for x in m.group(1).split("::") if x])
    for p in paths:
        head, rest = p[0], [x.strip("{} ") for x in p[1:] if x.strip("{} ")]
        if head == "crate":
            base = []
        elif head == "self":
            base = list(mod)
        else:
            base = list(mod[:-1])
            while rest and rest[0] == "super":
                base, rest = base[:-1], rest[1:]
        target = resolve(files, base + rest)
        if target != mod and not is_test_file(files, mod):
            # A module using its own parent's re-export table is reading the table of contents.
            if target == tuple(mod[: len(target)]) and files[target].endswith(("lib.rs", "main.rs", "mod.rs")):
                continue
            out.add(target)
    return out


def cycles(graph):
    index, low, stack, on, comps, n = {}, {}, [], set(), [], [0]

    def visit(v):
        index[v] = low[v] = n[0]
        n[0] += 1
        stack.append(v)
        on.add(v)
        for w in sorted(graph.get(v, ())):
            if w not in index:
                visit(w)
                low[v] = min(low[v], low[w])
            elif w in on:
                low[v] = min(low[v], index[w])
        if low[v] == index[v]:
            comp = []
            while True:
                w = stack.pop()
                on.discard(w)
                comp.append(w)
                if w == v:
                    break
            if len(comp) > 1:
                comps.append(comp)

    sys.setrecursionlimit(10000)
    for v in sorted(graph):
        if v not in index:
            visit(v)
    return comps


def path_in(graph, comp):
    """One circle through the component, for the message."""
    start = sorted(comp)[0]
    members = set(comp)
    prev, queue = {start: None}, [start]
    while queue:
        v = queue.pop(0)
        for w in sorted(graph.get(v, ())):
            if w == start:
                out = [v]
                while prev[out[-1]] is not None:
                    out.append(prev[out[-1]])
                return list(reversed(out)) + [start]
            if w in members and w not in prev:
                prev[w] = v
                queue.append(w)
    return comp


def main(argv):
    top = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
    crates = argv or sorted(d for d in os.listdir(top) if os.path.isdir(os.path.join(top, d, "src")))
    found = 0
    for crate in crates:
        src = os.path.join(top, crate, "src") if not os.path.isabs(crate) else os.path.join(crate, "src")
        files = modules(src)
        graph = {m: edges_of(files, m, strip(open(f, encoding="utf-8").read())) for m, f in files.items()}
        for comp in cycles(graph):
            found += 1
            circle = path_in(graph, comp)
            rel = lambda m: os.path.relpath(files[m], os.path.join(top, crate))
            print(f"{crate}: " + " -> ".join(rel(m) for m in circle))
            if len(comp) > len(circle) - 1:
                print(f"  ({len(comp)} files tied together: {', '.join(sorted(rel(m) for m in comp))})")
    if found:
        print(f"{found} circle(s) of files")
        return 1
    print(f"no circles of files in {len(crates)} crates")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
