#!/usr/bin/env python3
"""Seeds fuzz/corpus/fix_loop with the fixtures cut into small inputs.

A whole fixture (4-10 KB, dozens of findings) costs the fix loop milliseconds per execution, and
libFuzzer truncates it to -max_len anyway. Each top-level item of a fixture, with the fixture's
`use` lines in front so that lock kinds still resolve, is a seed of its own: real Rust the size
of one function, which the fuzzer mutates a hundred times faster.

    python3 fuzz/seed_corpus.py            # writes fuzz/corpus/fix_loop/<fixture>-<n>.rs
"""

import pathlib
import re

ROOT = pathlib.Path(__file__).resolve().parent.parent
OUT = ROOT / "fuzz" / "corpus" / "fix_loop"
MAX_SEED = 2048
# A top-level item starts at column 0 with an attribute, a doc comment or an item keyword.
ITEM_START = re.compile(r"^(#\[|///|pub |async |fn |impl|struct |enum |static |const |trait |mod |type )")


def items(lines):
    """Top-level items, each with the attributes and doc comments above it."""
    current = []
    for line in lines:
        starts_item = ITEM_START.match(line) and (not current or current[-1].strip() in ("", "}"))
        if starts_item and current:
            yield current
            current = []
        current.append(line)
    if current:
        yield current


def main():
    OUT.mkdir(parents=True, exist_ok=True)
    written = 0
    for fixture in sorted((ROOT / "transforms" / "fixtures").glob("*/*.rs")):
        lines = fixture.read_text(encoding="utf-8").splitlines(keepends=True)
        uses = [line for line in lines if line.startswith("use ")]
        for n, item in enumerate(items(lines)):
            body = "".join(line for line in item if not line.startswith(("use ", "//!")))
            if not body.strip():
                continue
            seed = "".join(uses) + body
            if len(seed.encode()) > MAX_SEED:
                seed = body
            if len(seed.encode()) > MAX_SEED:
                continue
            name = f"{fixture.parent.name}-{fixture.stem}-{n:02}.rs"
            (OUT / name).write_text(seed, encoding="utf-8")
            written += 1
    print(f"{written} seeds in {OUT.relative_to(ROOT)}")


if __name__ == "__main__":
    main()
