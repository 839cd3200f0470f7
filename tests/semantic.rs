//! The semantic tier against fixture crates under `tests/semantic/`: each is a small Cargo crate
//! whose lines say what lockfix must report in each mode — `//~ syntax: rule, rule` with
//! `--semantic off`, `//~ semantic: rule, rule` with `--semantic on` — and every other line must
//! stay silent. The cases are those the syntax tier gets wrong on its own: the facts that decide
//! them are in another file.
//!
//! The crates' dependencies must be in the local cargo cache, since lockfix loads workspaces
//! offline: the test fetches them first (the test's setup, not lockfix's — lockfix never does).

mod common;

use std::collections::BTreeSet;
use std::path::{Path, PathBuf};
use std::process::Command;

use serde_json::Value;

fn fixture_crate(name: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("tests/semantic")
        .join(name)
}

/// `cargo fetch --locked`: fills the cargo cache on a fresh machine.
fn fetch_dependencies(dir: &Path) {
    let status = Command::new(env!("CARGO"))
        .args(["fetch", "--locked", "--quiet"])
        .current_dir(dir)
        .status()
        .expect("cargo runs");
    assert!(status.success(), "cargo fetch failed in {}", dir.display());
}

/// `(path, line, rule, tier)` of every finding lockfix reports on `dir`.
fn findings(dir: &Path, semantic: &str) -> (BTreeSet<(String, usize, String)>, Value) {
    let output = common::lockfix(dir, &["--format", "json", "--semantic", semantic, "."]);
    let report: Value = serde_json::from_slice(&output.stdout).unwrap_or_else(|e| {
        panic!(
            "lockfix printed no JSON ({e}): {}",
            String::from_utf8_lossy(&output.stderr)
        )
    });
    let found = report["findings"]
        .as_array()
        .expect("findings array")
        .iter()
        .map(|f| {
            (
                f["path"].as_str().expect("path").to_owned(),
                f["line"].as_u64().expect("line") as usize,
                f["rule"].as_str().expect("rule").to_owned(),
            )
        })
        .collect();
    (found, report)
}

/// What the `//~ <mode>:` annotations of the crate's sources expect.
fn expected(dir: &Path, mode: &str) -> BTreeSet<(String, usize, String)> {
    let mut expected = BTreeSet::new();
    let marker = format!("//~ {mode}:");
    for entry in walk(&dir.join("src")) {
        let text = std::fs::read_to_string(&entry).expect("fixture source");
        let display = entry
            .strip_prefix(dir)
            .expect("under the crate")
            .to_string_lossy()
            .replace('\\', "/");
        for (index, line) in text.lines().enumerate() {
            let Some(start) = line.find(&marker) else {
                continue;
            };
            let rules = &line[start + marker.len()..];
            let rules = rules.split("//~").next().unwrap_or_default();
            for rule in rules.split(',').map(str::trim).filter(|r| !r.is_empty()) {
                expected.insert((display.clone(), index + 1, rule.to_owned()));
            }
        }
    }
    expected
}

fn walk(dir: &Path) -> Vec<PathBuf> {
    let mut files = Vec::new();
    for entry in std::fs::read_dir(dir)
        .expect("readable fixture dir")
        .flatten()
    {
        let path = entry.path();
        if path.is_dir() {
            files.extend(walk(&path));
        } else if path.extension().is_some_and(|e| e == "rs") {
            files.push(path);
        }
    }
    files.sort();
    files
}

#[test]
fn facts_from_other_files_decide_with_the_crate_index_or_the_semantic_tier() {
    let dir = fixture_crate("resolves_across_files");
    fetch_dependencies(&dir);

    let (syntax, report) = findings(&dir, "off");
    assert_eq!(syntax, expected(&dir, "syntax"), "--semantic off");
    assert!(
        report["findings"]
            .as_array()
            .expect("findings")
            .iter()
            .all(|f| f["tier"] == "syntax"),
        "with --semantic off every finding is the syntax tier's"
    );

    let (semantic, report) = findings(&dir, "on");
    assert_eq!(semantic, expected(&dir, "semantic"), "--semantic on");
    assert_eq!(
        report["errors"],
        Value::Array(Vec::new()),
        "the workspace loads"
    );
    assert!(
        report["findings"]
            .as_array()
            .expect("findings")
            .iter()
            .all(|f| f["tier"] == "semantic"),
        "every finding here rests on a resolved lock"
    );
}

/// sqlx-sqlite's shape: a lock of a crate lockfix does not know whose `lock()` gives a future,
/// joined with a send and awaited. rust-analyzer sees the future: the semantic tier invents no
/// blocking guard where the syntax tier reports nothing.
#[test]
fn an_unknown_lock_whose_lock_gives_a_future_is_async() {
    let dir = fixture_crate("unknown_async_lock");
    let (syntax, _) = findings(&dir, "off");
    assert!(syntax.is_empty(), "--semantic off: {syntax:?}");
    let (semantic, report) = findings(&dir, "on");
    assert_eq!(
        report["errors"],
        Value::Array(Vec::new()),
        "the workspace loads"
    );
    assert!(semantic.is_empty(), "--semantic on: {report:#}");
}

#[test]
fn auto_mode_loads_where_the_syntax_tier_has_doubts() {
    let dir = fixture_crate("resolves_across_files");
    fetch_dependencies(&dir);
    let (auto, _) = findings(&dir, "auto");
    assert_eq!(auto, expected(&dir, "semantic"));
}

/// A crate with `lib` as its `src/lib.rs` and a dependency that exists nowhere: `cargo metadata`
/// fails offline, so its workspace cannot load.
fn unloadable_crate(lib: &str) -> tempfile::TempDir {
    let dir = tempfile::tempdir().expect("temp dir");
    std::fs::write(
        dir.path().join("Cargo.toml"),
        "[package]\nname = \"unloadable\"\nversion = \"0.1.0\"\nedition = \"2021\"\n\n\
         [workspace]\n\n[dependencies]\nno-such-crate-lockfix-test = \"99\"\n",
    )
    .expect("manifest");
    std::fs::create_dir(dir.path().join("src")).expect("src");
    std::fs::write(dir.path().join("src/lib.rs"), lib).expect("source");
    dir
}

/// A std guard held across an await, its kind declared by the parameter: the syntax tier reports
/// it on line 2 ([`std_guard_finding`]).
const STD_GUARD_ACROSS_AWAIT: &str = "pub async fn f(m: &std::sync::Mutex<u8>) -> u8 {\n    \
                                      let g = m.lock().unwrap();\n    let v = *g;\n    \
                                      tick().await;\n    v\n}\nasync fn tick() {}\n";

fn std_guard_finding() -> BTreeSet<(String, usize, String)> {
    [("src/lib.rs".to_owned(), 2, "guard-across-await".to_owned())]
        .into_iter()
        .collect()
}

#[test]
fn a_workspace_that_cannot_load_falls_back_with_one_note() {
    let dir = unloadable_crate(STD_GUARD_ACROSS_AWAIT);
    let (found, report) = findings(dir.path(), "on");
    assert_eq!(found, std_guard_finding(), "the syntax tier still reports");
    // Nothing is wrong with the crate: a note, not an error (tests/semantic_unresolvable.rs).
    assert_eq!(report["errors"], Value::Array(Vec::new()));
    let notes = report["notes"].as_array().expect("notes");
    assert_eq!(notes.len(), 1, "{notes:?}");
    assert_eq!(notes[0]["path"], "Cargo.toml");
    assert!(
        notes[0]["message"]
            .as_str()
            .expect("message")
            .starts_with("semantic tier skipped, syntax tier used: "),
        "{notes:?}"
    );
}

#[test]
fn a_clean_crate_loads_nothing_in_auto_mode() {
    // Would fail to load: auto mode must not even try.
    let dir = unloadable_crate(
        "pub async fn f(m: &std::sync::Mutex<u8>) -> u8 {\n    let v = *m.lock().unwrap();\n    \
         tick().await;\n    v\n}\nasync fn tick() {}\n",
    );
    let (found, report) = findings(dir.path(), "auto");
    assert!(found.is_empty());
    assert_eq!(report["errors"], Value::Array(Vec::new()), "nothing loaded");
}

#[test]
fn a_finding_of_a_declared_kind_loads_nothing_in_auto_mode() {
    // Would fail to load, and rust-analyzer would only confirm the kind the parameter declares:
    // auto mode reports the syntax tier's finding without trying.
    let dir = unloadable_crate(STD_GUARD_ACROSS_AWAIT);
    let (found, report) = findings(dir.path(), "auto");
    assert_eq!(found, std_guard_finding());
    assert_eq!(report["errors"], Value::Array(Vec::new()), "nothing loaded");
    assert_eq!(report["notes"], Value::Array(Vec::new()), "nothing loaded");
}

/// Copies a fixture crate to a temporary directory (lockfix writes there).
fn copy_crate(name: &str) -> tempfile::TempDir {
    let dir = tempfile::tempdir().expect("temp dir");
    copy_dir(&fixture_crate(name), dir.path());
    dir
}

fn copy_dir(from: &Path, to: &Path) {
    std::fs::create_dir_all(to).expect("create dir");
    for entry in std::fs::read_dir(from).expect("readable").flatten() {
        let path = entry.path();
        if entry.file_name() == "target" {
            continue;
        }
        if path.is_dir() {
            copy_dir(&path, &to.join(entry.file_name()));
        } else {
            std::fs::copy(&path, to.join(entry.file_name())).expect("copy file");
        }
    }
}

/// `cargo test` in `dir` (offline, one shared target directory for every fixture crate);
/// `(passed, output)`.
fn cargo_test(dir: &Path, args: &[&str]) -> (bool, String) {
    let output = Command::new(env!("CARGO"))
        .args(["test", "--offline", "--quiet"])
        .args(args)
        .current_dir(dir)
        .env(
            "CARGO_TARGET_DIR",
            Path::new(env!("CARGO_TARGET_TMPDIR")).join("semantic-fixtures"),
        )
        .output()
        .expect("cargo runs");
    let text = format!(
        "{}{}",
        String::from_utf8_lossy(&output.stdout),
        String::from_utf8_lossy(&output.stderr)
    );
    (output.status.success(), text)
}

/// Seed 002's context system across `manager/mod.rs`, `tracker.rs` and `adapter.rs`: before,
/// the futures are not `Send`; after `lockfix --apply --unsafe-fixes` (the if-let split, the
/// snapshot and the swap of the adapter's lock to `tokio::sync::RwLock` across three files) the
/// crate compiles, its tests pass, and a second run offers nothing.
#[test]
fn seed_002_context_system_swaps_across_files_and_its_tests_pass() {
    let dir = copy_crate("seed_002_context_system");
    fetch_dependencies(dir.path());
    let (passed, text) = cargo_test(dir.path(), &["--test", "spawn"]);
    assert!(
        !passed && text.contains("cannot be sent between threads safely"),
        "before the fix the futures are not Send:\n{text}"
    );

    // Issue 16, defect 8: the swap touches several files but is one fix, counted once: as many
    // fixes as fixable findings.
    let dry_run = common::lockfix(dir.path(), &["--unsafe-fixes", "."]);
    let summary = String::from_utf8_lossy(&dry_run.stdout);
    assert!(
        summary.contains("would apply 3 fixes to 4 files")
            // With --unsafe-fixes on, the unsafe fixes are fixable: the line says how many of
            // them are unsafe instead of "0 with --unsafe-fixes" (issue 14).
            && summary.contains("3 findings (3 fixable, ")
            && summary.contains(" of them unsafe)"),
        "{summary}"
    );

    let output = common::lockfix(
        dir.path(),
        &["--apply", "--unsafe-fixes", "--allow-dirty", "."],
    );
    assert_eq!(
        output.status.code(),
        Some(0),
        "{}{}",
        String::from_utf8_lossy(&output.stdout),
        String::from_utf8_lossy(&output.stderr)
    );
    let adapter = std::fs::read_to_string(dir.path().join("src/adapter.rs")).expect("adapter");
    assert!(adapter.contains("use tokio::sync::RwLock;"), "{adapter}");
    assert!(
        adapter.contains("self.current_context_id.read().await"),
        "{adapter}"
    );
    let system = std::fs::read_to_string(dir.path().join("src/system.rs")).expect("system");
    assert!(
        system.contains("current_context_id: tokio::sync::RwLock::new(current.to_string())"),
        "the constructor in another file is swapped, qualified (std RwLocks remain there):\n{system}"
    );
    assert!(system.contains("adapter.current_context_id.read().await.clone()"));

    let (passed, text) = cargo_test(dir.path(), &[]);
    assert!(passed, "after the fix the crate's tests fail:\n{text}");

    let (again, report) = findings(dir.path(), "on");
    assert!(again.is_empty(), "a second run still reports: {report:#}");
}

/// mini-redis's shape: a std mutex with short synchronous sections and a broadcast send under
/// it. Scoping is not even needed: no finding, no swap, nothing written.
#[test]
fn mini_redis_shape_keeps_its_std_mutex() {
    let dir = copy_crate("mini_redis_shape");
    fetch_dependencies(dir.path());
    let before = std::fs::read_to_string(dir.path().join("src/db.rs")).expect("db.rs");
    let output = common::lockfix(
        dir.path(),
        &[
            "--apply",
            "--unsafe-fixes",
            "--allow-dirty",
            "--semantic",
            "on",
            ".",
        ],
    );
    assert_eq!(output.status.code(), Some(0));
    let after = std::fs::read_to_string(dir.path().join("src/db.rs")).expect("db.rs");
    assert_eq!(before, after);
    let (found, report) = findings(dir.path(), "on");
    assert!(found.is_empty(), "{report:#}");
    assert_eq!(
        report["errors"],
        Value::Array(Vec::new()),
        "the crate loads"
    );
}

/// Issue 14: the std→tokio swap would turn `Counter::read` into `blocking_lock()`. No async code
/// of the library calls it, but the crate's example does, through `report`, under
/// `#[tokio::main]`: the swap would panic there at run time. Making the chain async would do, but
/// a synchronous test calls `report`: the swap is refused with the route and that reason.
#[test]
fn a_swap_whose_blocking_reader_async_code_reaches_indirectly_is_refused() {
    let dir = copy_crate("swap_reached_through_sync");
    fetch_dependencies(dir.path());
    let (_, report) = findings(dir.path(), "on");
    let findings = report["findings"].as_array().expect("findings");
    let swap = findings
        .iter()
        .find(|f| f["rule"] == "std-lock-in-async")
        .unwrap_or_else(|| panic!("no std-lock-in-async finding: {report:#}"));
    assert!(swap["fix"].is_null(), "{swap:#}");
    let help = swap["help"].as_str().unwrap_or_default();
    assert!(
        help.contains(
            "`read` is not async but async code reaches it through `main` (examples/demo.rs:6) → \
             `report` (src/lib.rs:29) → `read`, where `blocking_*` would panic; it cannot become \
             async: `report_counts` (tests/report.rs:4) is a synchronous test"
        ),
        "{help}"
    );
}

/// Seed 002's maintainers' remedy, on the same shape where every caller can await: the swap
/// makes `read` and `report` async and awaits their calls (the example's inside `println!`); the
/// crate compiles, its example runs, and a second run has nothing left to swap.
#[test]
fn a_swap_whose_sync_users_async_code_reaches_makes_them_async() {
    let dir = copy_crate("swap_made_async");
    fetch_dependencies(dir.path());
    let output = common::lockfix(
        dir.path(),
        &[
            "--apply",
            "--allow-dirty",
            "--unsafe-fixes",
            "--semantic",
            "on",
            ".",
        ],
    );
    let summary = String::from_utf8_lossy(&output.stdout);
    assert!(summary.contains("applied 1 fix to 2 files"), "{summary}");
    let lib = std::fs::read_to_string(dir.path().join("src/lib.rs")).expect("lib.rs");
    for expected in [
        "use tokio::sync::Mutex;",
        "    pub async fn read(&self) -> u64 {\n        *self.hits.lock().await\n    }",
        "    pub async fn report(&self) -> String {\n        format!(\"{} hits\", self.read().await)\n",
    ] {
        assert!(lib.contains(expected), "{expected:?} not in:\n{lib}");
    }
    let demo = std::fs::read_to_string(dir.path().join("examples/demo.rs")).expect("demo.rs");
    assert!(
        demo.contains("println!(\"{}\", counter.report().await);"),
        "{demo}"
    );
    let run = Command::new(env!("CARGO"))
        .args(["run", "--offline", "--quiet", "--example", "demo"])
        .current_dir(dir.path())
        .env(
            "CARGO_TARGET_DIR",
            Path::new(env!("CARGO_TARGET_TMPDIR")).join("semantic-fixtures"),
        )
        .output()
        .expect("cargo runs");
    assert!(
        run.status.success(),
        "{}",
        String::from_utf8_lossy(&run.stderr)
    );
    assert_eq!(String::from_utf8_lossy(&run.stdout), "0 hits\n");
    let (_, report) = findings(dir.path(), "on");
    assert!(
        report["findings"]
            .as_array()
            .expect("findings")
            .iter()
            .all(|f| f["rule"] != "std-lock-in-async"),
        "{report:#}"
    );
}

/// A copy of the fixture crate `name` with its dependencies fetched, and lockfix's JSON report
/// on it with `--unsafe-fixes` (the copy lives as long as the returned directory).
fn report_with_unsafe_fixes(name: &str) -> (tempfile::TempDir, Value) {
    let dir = copy_crate(name);
    fetch_dependencies(dir.path());
    let output = common::lockfix(dir.path(), &["--format", "json", "--unsafe-fixes", "."]);
    let report = serde_json::from_slice(&output.stdout).expect("JSON");
    (dir, report)
}

/// Issue 14: the swap's caveats (the `blocking_*` sites left, the Cargo.toml change), which the
/// human output shows in its note, are in the JSON fix object and in the SARIF result too.
#[test]
fn swap_caveats_reach_json_and_sarif() {
    let (dir, report) = report_with_unsafe_fixes("seed_002_context_system");
    let swap = report["findings"]
        .as_array()
        .expect("findings")
        .iter()
        .find(|f| f["rule"] == "std-lock-in-async" && !f["fix"].is_null())
        .unwrap_or_else(|| panic!("no swap offered: {report:#}"));
    let caveats = swap["fix"]["caveats"].as_array().expect("caveats");
    assert!(
        caveats.iter().any(|c| c
            .as_str()
            .is_some_and(|c| c.contains("tokio's `sync` feature"))),
        "{caveats:?}"
    );
    let output = common::lockfix(dir.path(), &["--format", "sarif", "--unsafe-fixes", "."]);
    let log: Value = serde_json::from_slice(&output.stdout).expect("SARIF");
    let results = log["runs"][0]["results"].as_array().expect("results");
    let swap = results
        .iter()
        .find(|r| r["ruleId"] == "std-lock-in-async" && !r["properties"]["fix"].is_null())
        .unwrap_or_else(|| panic!("no swap in SARIF: {log:#}"));
    assert_eq!(
        swap["properties"]["fix"]["caveats"]
            .as_array()
            .map(Vec::len),
        Some(caveats.len())
    );
}

/// The swap is planned without the dependencies first; a use of the lock reached through a
/// dependency's type (`COUNTER.get()` of tokio's `OnceCell`) sends it to the full workspace,
/// which rewrites that use or refuses: a swap that left it would not compile.
#[test]
fn a_swap_never_leaves_a_use_it_could_not_resolve() {
    let (_dir, report) = report_with_unsafe_fixes("swap_through_a_dependency");
    let finding = report["findings"]
        .as_array()
        .expect("findings")
        .iter()
        .find(|f| f["rule"] == "std-lock-in-async")
        .unwrap_or_else(|| panic!("no std-lock-in-async finding: {report:#}"));
    match finding["fix"]["diff"].as_str() {
        // With the toolchain's `rust-src`, rust-analyzer may resolve the use: then it is rewritten.
        Some(diff) => assert!(
            diff.contains("+        *counter.hits.lock().await = 0;"),
            "the swap left a use of the lock behind:\n{diff}"
        ),
        None => {
            let help = finding["help"].as_str().unwrap_or_default();
            assert!(
                help.contains(
                    "rust-analyzer cannot tell what `hits` at src/lib.rs:32 is, and a use the \
                     swap missed would not compile"
                ),
                "{help}"
            );
        }
    }
}

/// A value computed under the guard, whose type only a dependency's declaration gives: with the
/// semantic tier, `codec::encode`'s `Vec<u8>` is owned and leaves a scoped block (which compiles);
/// `codec::newest`'s `Option<&u32>` borrows the guard and gets no fix. Without it, neither is
/// proven owned and neither gets a fix.
#[test]
fn a_value_owned_by_its_type_leaves_the_lock_scope_with_the_semantic_tier() {
    let dir = copy_crate("owned_by_type");
    let fixes = |semantic: &str| -> Vec<(usize, bool)> {
        let (_, report) = findings(dir.path(), semantic);
        let mut fixes: Vec<(usize, bool)> = report["findings"]
            .as_array()
            .expect("findings")
            .iter()
            .map(|f| {
                (
                    f["line"].as_u64().expect("line") as usize,
                    f["fix"].is_object(),
                )
            })
            .collect();
        fixes.sort();
        fixes
    };
    for semantic in ["off", "on"] {
        let (found, _) = findings(dir.path(), semantic);
        assert_eq!(
            found,
            expected(dir.path(), "semantic"),
            "--semantic {semantic}"
        );
    }
    assert_eq!(fixes("off"), [(19, false), (25, false)]);
    assert_eq!(fixes("on"), [(19, true), (25, false)]);

    let applied = common::lockfix(
        dir.path(),
        &["--apply", "--allow-dirty", "--semantic", "on", "."],
    );
    let summary = String::from_utf8_lossy(&applied.stdout);
    assert!(summary.contains("applied 1 fix to 1 file"), "{summary}");
    let lib = std::fs::read_to_string(dir.path().join("src/lib.rs")).expect("lib.rs");
    assert!(
        lib.contains(
            "        let bytes = {\n            let readings = self.readings.lock().unwrap();"
        ),
        "{lib}"
    );
    assert!(
        lib.contains("            codec::encode(&readings)\n        };\n"),
        "{lib}"
    );
    let (compiles, output) = cargo_test(dir.path(), &[]);
    assert!(compiles, "the fixed crate compiles: {output}");
    // `report` moved two lines down; nothing more to fix.
    assert_eq!(fixes("on"), [(27, false)]);
}

/// The chain is refused where an `async fn` would not compile or a doctest would break: a
/// function of the chain that calls itself (a recursive `async fn` needs its future boxed), a
/// doc comment that calls one (a doctest is no code the swap rewrites), and a call made while a
/// guard is held (the new `.await` would hold it).
#[test]
fn a_chain_that_would_recurse_or_break_a_doctest_is_refused() {
    let variants = [
        (
            "    pub fn report(&self) -> String {",
            "    /// `counter.report()` says how many hits there were.\n    pub fn report(&self) -> String {",
            "a doc comment at src/lib.rs:27 calls `report(`, and a doctest would not await it",
        ),
        (
            "        *self.hits.lock().unwrap()\n",
            "        if false { return self.read(); }\n        *self.hits.lock().unwrap()\n",
            "`read` is called recursively (at src/lib.rs:24)",
        ),
        (
            "    pub fn report(&self) -> String {",
            "    pub fn shout(&self, other: &Mutex<u8>) -> String {\n        let held = other.lock().unwrap();\n        let said = self.report();\n        drop(held);\n        said\n    }\n\n    pub fn report(&self) -> String {",
            "a guard of `other` is alive across the call of `report` at src/lib.rs:29",
        ),
    ];
    for (original, changed, reason) in variants {
        let dir = copy_crate("swap_made_async");
        fetch_dependencies(dir.path());
        let lib = dir.path().join("src/lib.rs");
        let text = std::fs::read_to_string(&lib).expect("lib.rs");
        assert!(text.contains(original), "{original:?}");
        std::fs::write(&lib, text.replacen(original, changed, 1)).expect("write lib.rs");
        let (_, report) = findings(dir.path(), "on");
        let swap = report["findings"]
            .as_array()
            .expect("findings")
            .iter()
            .find(|f| f["rule"] == "std-lock-in-async")
            .unwrap_or_else(|| panic!("no std-lock-in-async finding: {report:#}"));
        assert!(swap["fix"].is_null(), "{swap:#}");
        let help = swap["help"].as_str().unwrap_or_default();
        assert!(
            help.contains("it cannot become async: ") && help.contains(reason),
            "{reason:?} not in {help}"
        );
    }
}
