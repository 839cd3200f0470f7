#!/usr/bin/env python3
"""Real-world benchmark: lockfix on real functions from public repositories.

Each row of `cases/*.toml` names one function in a public repository at one commit: a lock bug at
the commit before a maintainer fixed it (`label = "bug"`), the same function after the fix
(`"fixed"`), or correct code that looks like a bug (`"lookalike"`). Rows were labelled by reading
the code and the fix, never from lockfix's output. No public code is stored in this repository:
the script reads each file out of a local mirror of the repository (the search tool's `fetch`
puts them under `$LOCKFIX_MIRROR`, default `/work/.mirror/<owner>+<name>/repo`).

    bench/realworld/score.py                 # build lockfix (release), score every row
    bench/realworld/score.py --check         # only check that every row resolves (no lockfix)
    bench/realworld/score.py -v              # also print each row's findings
    bench/realworld/score.py --lockfix PATH  # score another build (e.g. a baseline)
    bench/realworld/score.py --json OUT      # write per-row results as JSON

A bug counts as found when lockfix reports a finding (any rule, any severity) whose line lies in
the function's span; a fixed or look-alike row is clean when it reports none there. "Fix offered"
counts found bugs with at least one finding in the span that carries a fix.

Each row's file is scanned the way a user scans a repository: with the rest of its Cargo package
(the directory of the nearest `Cargo.toml` above it, extracted at the row's commit), so that
lockfix's crate index sees the helpers and methods other files of the crate define; the semantic
tier is off (no dependencies are fetched), so the benchmark measures what the syntax alone shows.
`--context file` scans each file alone instead, as the benchmark did before the crate index.
"""
from __future__ import annotations

import argparse
import json
import os
import re
import subprocess
import sys
import tempfile
import tomllib
from collections import defaultdict
from pathlib import Path

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent.parent
LABELS = {"bug", "fixed", "lookalike"}
DIFFICULTIES = {"plain", "hard"}
REQUIRED = ["id", "repo", "commit", "path", "function", "line", "label", "shape", "reference", "note"]


def mirror_git_dir(repo: str) -> Path | None:
    base = Path(os.environ.get("LOCKFIX_MIRROR", "/work/.mirror")) / repo.replace("/", "+")
    for candidate in (base / "repo" / ".git", base / "repo"):
        if (candidate / "HEAD").exists():
            return candidate
    return None


def load_cases() -> list[dict]:
    cases = []
    for file in sorted((HERE / "cases").glob("*.toml")):
        with open(file, "rb") as handle:
            data = tomllib.load(handle)
        for case in data.get("case", []):
            case["_file"] = file.name
            cases.append(case)
    return cases


def validate(case: dict) -> list[str]:
    problems = [f"missing field `{key}`" for key in REQUIRED if key not in case]
    if case.get("label") not in LABELS:
        problems.append(f"label must be one of {sorted(LABELS)}")
    if case.get("label") == "bug" and case.get("difficulty") not in DIFFICULTIES:
        problems.append(f"a bug needs difficulty in {sorted(DIFFICULTIES)}")
    if not re.fullmatch(r"[0-9a-f]{40}", str(case.get("commit", ""))):
        problems.append("commit must be 40 hex digits")
    return problems


def read_at_commit(git_dir: Path, commit: str, path: str) -> str | None:
    result = subprocess.run(
        ["git", f"--git-dir={git_dir}", "show", f"{commit}:{path}"],
        capture_output=True,
    )
    if result.returncode != 0:
        return None
    return result.stdout.decode("utf-8", errors="replace")


def strip_code(text: str) -> str:
    """The text with comments, string and char literals blanked (newlines kept), so that brace
    matching sees only code."""
    out = []
    i, n = 0, len(text)
    while i < n:
        c = text[i]
        if text.startswith("//", i):
            j = text.find("\n", i)
            j = n if j < 0 else j
            out.append(" " * (j - i))
            i = j
        elif text.startswith("/*", i):
            depth, j = 1, i + 2
            while j < n and depth:
                if text.startswith("/*", j):
                    depth, j = depth + 1, j + 2
                elif text.startswith("*/", j):
                    depth, j = depth - 1, j + 2
                else:
                    j += 1
            out.append(re.sub(r"[^\n]", " ", text[i:j]))
            i = j
        elif (m := re.match(r'b?r(#*)"', text[i:i + 300])) and (i == 0 or not (text[i - 1].isalnum() or text[i - 1] == "_")):
            close = '"' + m.group(1)
            j = text.find(close, i + m.end())
            j = n if j < 0 else j + len(close)
            out.append(re.sub(r"[^\n]", " ", text[i:j]))
            i = j
        elif c == '"':
            j = i + 1
            while j < n and text[j] != '"':
                j += 2 if text[j] == "\\" else 1
            j = min(j + 1, n)
            out.append(re.sub(r"[^\n]", " ", text[i:j]))
            i = j
        elif c == "'":
            # A char literal ('x', '\n', '\u{..}') but not a lifetime ('a).
            m = re.match(r"'(\\(u\{[0-9a-fA-F]*\}|x[0-9a-fA-F]{2}|.)|[^\\'])'", text[i:i + 12])
            if m:
                out.append(" " * m.end())
                i += m.end()
            else:
                out.append(c)
                i += 1
        else:
            out.append(c)
            i += 1
    return "".join(out)


def function_span(text: str, name: str, line: int) -> tuple[int, int] | str:
    """1-based (first, last) lines of the function `name` whose `fn` is on `line` (or within two
    lines of it), found by matching braces in the code."""
    code = strip_code(text)
    lines = code.split("\n")
    pattern = re.compile(r"\bfn\s+" + re.escape(name) + r"\b")
    for candidate in [line, line - 1, line + 1, line - 2, line + 2]:
        if 1 <= candidate <= len(lines) and pattern.search(lines[candidate - 1]):
            start = sum(len(l) + 1 for l in lines[: candidate - 1]) + pattern.search(lines[candidate - 1]).start()
            brace = code.find("{", start)
            semicolon = code.find(";", start)
            if brace < 0 or (0 <= semicolon < brace and code[start:semicolon].count("(") == code[start:semicolon].count(")")):
                return f"`fn {name}` at line {candidate} has no body"
            depth, j = 0, brace
            while j < len(code):
                if code[j] == "{":
                    depth += 1
                elif code[j] == "}":
                    depth -= 1
                    if depth == 0:
                        return candidate, code.count("\n", 0, j) + 1
                j += 1
            return f"unbalanced braces after `fn {name}`"
    return f"no `fn {name}` at line {line} (±2)"


def run_lockfix(lockfix: str, root: Path, rel: str) -> dict:
    result = subprocess.run(
        [lockfix, "--dry-run", "--format", "json", "--semantic", "off", rel],
        cwd=root,
        capture_output=True,
        text=True,
    )
    try:
        return json.loads(result.stdout)
    except json.JSONDecodeError:
        return {"findings": [], "errors": [f"lockfix exit {result.returncode}: {result.stderr.strip()[:300]}"]}


def package_dir(git_dir: Path, commit: str, path: str) -> str | None:
    """The directory of the nearest `Cargo.toml` above `path` at `commit` ("." for the root)."""
    parts = Path(path).parts[:-1]
    for depth in range(len(parts), -1, -1):
        candidate = "/".join(parts[:depth]) or "."
        manifest = "Cargo.toml" if candidate == "." else f"{candidate}/Cargo.toml"
        found = subprocess.run(
            ["git", f"--git-dir={git_dir}", "cat-file", "-e", f"{commit}:{manifest}"],
            capture_output=True,
        )
        if found.returncode == 0:
            return candidate
    return None


def extract_package(git_dir: Path, commit: str, package: str, root: Path) -> bool:
    """Writes the package's Rust sources and manifests at `commit` under `root`, keeping their
    repository paths (mirrors may lack big binary blobs, so not `git archive`)."""
    listing = subprocess.run(
        ["git", f"--git-dir={git_dir}", "ls-tree", "-r", "-z", commit, "--", package],
        capture_output=True,
    )
    if listing.returncode != 0:
        return False
    wanted = []
    for entry in listing.stdout.split(b"\0"):
        if not entry:
            continue
        meta, _, name = entry.partition(b"\t")
        path = name.decode("utf-8", errors="replace")
        if meta.split()[1] == b"blob" and (path.endswith(".rs") or path.endswith("Cargo.toml")):
            wanted.append((meta.split()[2].decode(), path))
    batch = subprocess.run(
        ["git", f"--git-dir={git_dir}", "cat-file", "--batch"],
        input="".join(f"{sha}\n" for sha, _ in wanted).encode(),
        capture_output=True,
    )
    out, pos = batch.stdout, 0
    for sha, path in wanted:
        header_end = out.index(b"\n", pos)
        header = out[pos:header_end].split()
        if len(header) < 3 or header[1] == b"missing":
            pos = header_end + 1
            continue
        size = int(header[2])
        body = out[header_end + 1: header_end + 1 + size]
        pos = header_end + 1 + size + 1
        target = root / path
        target.parent.mkdir(parents=True, exist_ok=True)
        target.write_bytes(body)
    return True


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--check", action="store_true", help="only check that every row resolves")
    parser.add_argument("--lockfix", help="the lockfix binary (default: build target/release/lockfix)")
    parser.add_argument("--json", help="write per-row results to this file")
    parser.add_argument("--context", choices=["package", "file"], default="package",
                        help="scan each file with its Cargo package (default) or alone")
    parser.add_argument("-v", "--verbose", action="store_true")
    parser.add_argument("ids", nargs="*", help="score only these row ids")
    args = parser.parse_args()

    cases = load_cases()
    if args.ids:
        cases = [c for c in cases if c.get("id") in args.ids]
    seen_ids: set[str] = set()
    broken = 0
    resolved = []
    for case in cases:
        problems = validate(case)
        if case.get("id") in seen_ids:
            problems.append("duplicate id")
        seen_ids.add(case.get("id"))
        text = span = None
        if not problems:
            git_dir = mirror_git_dir(case["repo"])
            if git_dir is None:
                problems.append(f"no mirror of {case['repo']} (fetch github:{case['repo']})")
            else:
                text = read_at_commit(git_dir, case["commit"], case["path"])
                if text is None:
                    problems.append(f"{case['path']} not found at {case['commit'][:12]}")
                else:
                    span = function_span(text, case["function"], int(case["line"]))
                    if isinstance(span, str):
                        problems.append(span)
        if problems:
            broken += 1
            print(f"BROKEN {case.get('_file')}:{case.get('id')}: {'; '.join(problems)}")
            continue
        resolved.append((case, text, span))

    repos = {c["repo"] for c, _, _ in resolved}
    counts = defaultdict(int)
    for case, _, _ in resolved:
        counts[case["label"] if case["label"] != "bug" else f"bug-{case['difficulty']}"] += 1
    print(
        f"{len(resolved)} rows resolve ({broken} broken) from {len(repos)} repositories: "
        + ", ".join(f"{k} {v}" for k, v in sorted(counts.items()))
    )
    if args.check:
        return 1 if broken else 0

    lockfix = args.lockfix
    if lockfix is None:
        subprocess.run(["cargo", "build", "--release", "--quiet", "--bin", "lockfix"], cwd=ROOT, check=True)
        lockfix = str(ROOT / "target" / "release" / "lockfix")
    lockfix = str(Path(lockfix).resolve())

    rows = []
    # One scan per package and commit: several rows often share one.
    package_reports: dict[tuple[str, str, str], dict] = {}
    with tempfile.TemporaryDirectory(prefix="lockfix-realworld-") as tmp:
        for index, (case, text, (first, last)) in enumerate(resolved):
            git_dir = mirror_git_dir(case["repo"])
            package = package_dir(git_dir, case["commit"], case["path"]) if args.context == "package" else None
            if package is not None:
                key = (case["repo"], case["commit"], package)
                if key not in package_reports:
                    root = Path(tmp) / f"p{len(package_reports)}"
                    if extract_package(git_dir, case["commit"], package, root):
                        package_reports[key] = run_lockfix(lockfix, root, package)
                    else:
                        package_reports[key] = {"findings": [], "errors": [f"could not extract {package}"]}
                full = package_reports[key]
                report = {
                    "findings": [f for f in full.get("findings", []) if f.get("path") == case["path"]],
                    "errors": [e for e in full.get("errors", [])
                               if not isinstance(e, dict) or e.get("path") == case["path"]],
                }
            else:
                root = Path(tmp) / str(index)
                target = root / case["path"]
                target.parent.mkdir(parents=True, exist_ok=True)
                target.write_text(text)
                report = run_lockfix(lockfix, root, case["path"])
            inside = [f for f in report.get("findings", []) if first <= f["line"] <= last]
            rows.append({
                "id": case["id"],
                "repo": case["repo"],
                "label": case["label"],
                "difficulty": case.get("difficulty"),
                "expected_rule": case.get("expected_rule"),
                "findings": [
                    {"rule": f["rule"], "severity": f["severity"], "line": f["line"],
                     "message": f["message"], "fix": (f.get("fix") or {}).get("applicability")}
                    for f in inside
                ],
                "errors": report.get("errors", []),
            })

    def line_of(row: dict) -> str:
        found = ", ".join(f"{f['rule']}@{f['line']}{'+fix' if f['fix'] else ''}" for f in row["findings"])
        return f"  {row['id']:<48} {found or '-'}"

    print()
    print("| set | rows | found / reported | fix offered |")
    print("|---|---|---|---|")
    summary = {}
    for label, difficulty in [("bug", "plain"), ("bug", "hard"), ("fixed", None), ("lookalike", None)]:
        subset = [r for r in rows if r["label"] == label and (difficulty is None or r["difficulty"] == difficulty)]
        hit = [r for r in subset if r["findings"]]
        fixed = [r for r in hit if any(f["fix"] for f in r["findings"])]
        name = f"bugs ({difficulty})" if label == "bug" else f"{label} (must be clean)"
        share = f" ({100 * len(hit) / len(subset):.0f} %)" if subset else ""
        fix_share = f"{len(fixed)} of {len(hit)}" if label == "bug" else "–"
        print(f"| {name} | {len(subset)} | {len(hit)}{share} | {fix_share} |")
        summary[name] = (subset, hit)
    print()
    for name, (subset, hit) in summary.items():
        if name.startswith("bugs"):
            missed = [r for r in subset if not r["findings"]]
            if missed:
                print(f"missed {name}:")
                for row in missed:
                    print(line_of(row))
        else:
            if hit:
                print(f"reported on {name}:")
                for row in hit:
                    print(line_of(row))
    if args.verbose:
        print("\nall rows:")
        for row in rows:
            print(f"{row['label']:<9}" + line_of(row))
            for f in row["findings"]:
                print(f"      {f['severity']} {f['rule']}:{f['line']} {f['message']}")
            for e in row["errors"]:
                print(f"      error: {e}")
    if args.json:
        Path(args.json).write_text(json.dumps(rows, indent=2))
    return 0


if __name__ == "__main__":
    sys.exit(main())
