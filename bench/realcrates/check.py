#!/usr/bin/env python3
"""Real-crate check (a benchmark, not CI): does `lockfix --apply --unsafe-fixes` leave real crates
building, their tests passing and their examples running?

For each crate of crates.toml: the commit is exported from its local mirror
(/work/.mirror/<owner>+<name>/repo, brought by the `fetch` tool) into a scratch directory, then

  1. `cargo check -p P --all-targets` (`--lib` with `all_targets = false`), `cargo test -p P`
     (when `tests`), each example (when listed, with a timeout: a hang counts as one) — before;
  2. `lockfix --apply --unsafe-fixes --allow-dirty --format json PATH` on the package directory;
  3. the same three after, against the same target directory (so only the package rebuilds).

It prints one table row per crate: fixes applied, compiles before/after, tests passed/failed
before/after, examples before/after, and writes the applied fix titles and the diff of every crate
to OUT/<crate>.json and OUT/<crate>.diff for the per-fix verdicts.

    bench/realcrates/check.py --lockfix target/debug/lockfix [--only NAME,...] [--out DIR]

Needs the dependencies in the local cargo cache or the network (`cargo fetch` runs first).
"""

import argparse
import json
import os
import re
import shutil
import subprocess
import sys
import tomllib
from pathlib import Path

HERE = Path(__file__).resolve().parent
MIRRORS = Path("/work/.mirror")


def run(cmd, cwd, timeout, env=None):
    try:
        p = subprocess.run(cmd, cwd=cwd, capture_output=True, text=True, timeout=timeout, env=env)
        return p.returncode, p.stdout, p.stderr
    except subprocess.TimeoutExpired as e:
        out = e.stdout.decode() if isinstance(e.stdout, bytes) else (e.stdout or "")
        err = e.stderr.decode() if isinstance(e.stderr, bytes) else (e.stderr or "")
        return "timeout", out, err


def export(case, work):
    repo = MIRRORS / (case["repo"].replace("/", "+")) / "repo"
    if work.exists():
        shutil.rmtree(work)
    work.mkdir(parents=True)
    archive = subprocess.run(["git", "--git-dir", str(repo), "archive", case["commit"]],
                             capture_output=True, check=True).stdout
    # `-m`: the files get the time of extraction, not the commit's. With the commit's times, a
    # second run over the same target directory found the previous run's rewritten (newer) files
    # fresher than the sources and did not rebuild: its "before" ran the last "after" binary.
    subprocess.run(["tar", "-x", "-m", "-C", str(work)], input=archive, check=True)
    for args in (["init", "-q"], ["add", "-A"],
                 ["-c", "user.email=bench@lockfix", "-c", "user.name=bench", "commit", "-qm", "base"]):
        subprocess.run(["git", *args], cwd=work, check=True, capture_output=True)


def check(work, pkg, env, targets):
    code, _, err = run(["cargo", "check", "-p", pkg, targets, "--keep-going",
                        "--message-format=short"], work, 3600, env)
    errors = len(re.findall(r"^(?:\S+: )?error(?:\[E\d+\])?:", err, re.M))
    return code == 0, errors, err


def tests(work, pkg, env):
    code, out, err = run(["cargo", "test", "-p", pkg, "--no-fail-fast"], work, 3600, env)
    passed = sum(int(n) for n in re.findall(r"test result: \w+\. (\d+) passed", out))
    failed = sum(int(n) for n in re.findall(r"; (\d+) failed", out))
    if code == "timeout":
        return f"timeout ({passed} passed)"
    if code != 0 and passed == 0 and failed == 0:
        return "build failed"
    return f"{passed} passed, {failed} failed"


def examples(work, pkg, names, env):
    """Each example built first (the build is not timed), then run with a 60 s timeout: a hang
    is a timeout of the run alone. The last line of standard error says how it ended."""
    results = []
    for name in names:
        code, _, err = run(["cargo", "build", "-q", "-p", pkg, "--example", name], work, 3600, env)
        if code != 0:
            results.append(f"{name}: does not build")
            continue
        code, out, err = run(["cargo", "run", "-q", "-p", pkg, "--example", name], work, 60, env)
        last = next((l for l in reversed(err.splitlines()) if l.strip()
                     and not l.startswith(("note:", "warning", " ", "|"))), "")
        if code == "timeout":
            results.append(f"{name}: hangs")
        elif code == 0:
            results.append(f"{name}: ok")
        elif "panicked" in err:
            panic = next((l for l in err.splitlines() if "panicked" in l), "")
            following = err.splitlines()[err.splitlines().index(panic) + 1] if panic else ""
            results.append(f"{name}: panics ({following.strip()[:80]})")
        else:
            results.append(f"{name}: exit {code} ({last.strip()[:80]})")
    return "; ".join(results) or "-"


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--lockfix", required=True)
    ap.add_argument("--only", default="")
    ap.add_argument("--out", default="/tmp/realcrates")
    ap.add_argument("--no-tests", action="store_true")
    args = ap.parse_args()
    lockfix = str(Path(args.lockfix).resolve())
    out = Path(args.out)
    out.mkdir(parents=True, exist_ok=True)
    cases = tomllib.loads((HERE / "crates.toml").read_text())["crate"]
    only = {n for n in args.only.split(",") if n}
    rows = []
    for case in cases:
        name = case["repo"].split("/")[1]
        if only and name not in only:
            continue
        work = out / "src" / name
        export(case, work)
        env = dict(os.environ, CARGO_TARGET_DIR=str(out / "target" / name))
        if case.get("rustflags"):
            # A lint that became deny-by-default after the commit (nacos: invalid_reference_casting)
            # would make the crate red before lockfix touches it.
            env["RUSTFLAGS"] = case["rustflags"]
        pkg = case["package"]
        # A dependency locked at a version that no longer builds on this toolchain (time 0.3.31,
        # socket2 0.3.11) is moved to the newest compatible release first, as a user would.
        for spec in case.get("update", []):
            run(["cargo", "update", "-p", spec], work, 600, env)
        run(["cargo", "fetch"], work, 600, env)
        # `--lib` where the package's own tests and examples do not build at the commit.
        targets = "--all-targets" if case.get("all_targets", True) else "--lib"
        ok_before, errors_before, _ = check(work, pkg, env, targets)
        want_tests = case.get("tests", False) and not args.no_tests
        tests_before = tests(work, pkg, env) if want_tests else "-"
        ex = case.get("examples", [])
        ex_before = examples(work, pkg, ex, env)
        code, report, err = run([lockfix, "--apply", "--unsafe-fixes", "--allow-dirty", "--format",
                                 "json", case["path"]], work, 1800)
        try:
            doc = json.loads(report)
        except json.JSONDecodeError:
            doc = {"applied_fixes": [], "errors": [{"message": err[-500:]}]}
        applied = doc.get("applied_fixes", [])
        diff = subprocess.run(["git", "diff"], cwd=work, capture_output=True, text=True).stdout
        (out / f"{name}.json").write_text(json.dumps(doc, indent=1))
        (out / f"{name}.diff").write_text(diff)
        ok_after, errors_after, err_after = check(work, pkg, env, targets)
        (out / f"{name}.check-after.txt").write_text(err_after)
        tests_after = tests(work, pkg, env) if want_tests else "-"
        ex_after = examples(work, pkg, ex, env)
        # A crate-wide swap is one fix listed once per file it writes.
        fixes = len({(f["rule"], f["title"]) if f["title"].startswith("Swap ") else i
                     for i, f in enumerate(applied)})
        row = {
            "crate": name, "commit": case["commit"], "fixes": fixes,
            "compiles": f"{'yes' if ok_before else f'no ({errors_before})'} -> "
                        f"{'yes' if ok_after else f'no ({errors_after})'}",
            "tests": f"{tests_before} -> {tests_after}",
            "examples": f"{ex_before} -> {ex_after}",
        }
        rows.append(row)
        print(json.dumps(row), flush=True)
    print()
    print("| crate | commit | fixes applied | compiles before -> after | tests before -> after | examples before -> after |")
    print("|---|---|---|---|---|---|")
    for r in rows:
        print(f"| {r['crate']} | {r['commit']} | {r['fixes']} | {r['compiles']} | {r['tests']} | {r['examples']} |")


if __name__ == "__main__":
    sys.exit(main())
