//! Hostile and large input: each case gives a clear per-file message and the run goes on. A file
//! with a finding sits next to every hostile one to prove that.
//!
//! Covered elsewhere: non-UTF-8 files (`tests/cli.rs`,
//! `non_utf8_file_is_an_error_entry_and_the_run_continues`), files with parse errors
//! (`syntax_errors_are_reported_but_never_fixed`), a parser panic
//! (`a_parser_panic_is_contained_to_its_file`), a file deleted between reading and writing
//! (`src/write/atomic.rs`, `a_file_deleted_since_it_was_read_is_not_recreated`: the write layer
//! reports `Deleted` and the run says "the file was deleted while lockfix was running").

use std::fs;
use std::path::Path;
use std::process::{Command, Output};

use serde_json::Value;

const TICK: &str = "pub async fn tick(m: &std::sync::Mutex<Vec<u32>>) {
    let g = m.lock().unwrap();
    let n = g.len();
    std::future::ready(()).await;
    println!(\"{n}\");
}
";

fn lockfix(dir: &Path, args: &[&str]) -> (Output, Value) {
    let output = Command::new(env!("CARGO_BIN_EXE_lockfix"))
        .args(args)
        .current_dir(dir)
        .env("NO_COLOR", "1")
        .output()
        .expect("lockfix runs");
    let json = serde_json::from_slice(&output.stdout)
        .unwrap_or_else(|_| panic!("JSON output: {output:?}"));
    (output, json)
}

fn errors(json: &Value) -> Vec<(String, String)> {
    json["errors"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| {
            (
                e["path"].as_str().unwrap().into(),
                e["message"].as_str().unwrap().into(),
            )
        })
        .collect()
}

fn finding_paths(json: &Value) -> Vec<String> {
    let mut paths: Vec<String> = json["findings"]
        .as_array()
        .unwrap()
        .iter()
        .map(|f| f["path"].as_str().unwrap().to_owned())
        .collect();
    paths.dedup();
    paths
}

#[test]
fn ten_thousand_nested_blocks_or_parentheses_are_skipped_without_overflowing() {
    let dir = tempfile::tempdir().unwrap();
    let n = 10_000;
    let blocks = format!(
        "async fn f(m: &std::sync::Mutex<u32>) {{ {}let g = m.lock().unwrap(); x().await;{} }}\n",
        "{".repeat(n),
        "}".repeat(n)
    );
    // A lock call in each file: files without one are never parsed (the prefilter skips them).
    let parens = format!(
        "fn f(m: &std::sync::Mutex<u32>) -> u32 {{ *m.lock().unwrap() + {}1{} }}\n",
        "(".repeat(n),
        ")".repeat(n)
    );
    fs::write(dir.path().join("blocks.rs"), blocks).unwrap();
    fs::write(dir.path().join("parens.rs"), parens).unwrap();
    fs::write(dir.path().join("tick.rs"), TICK).unwrap();
    let (output, json) = lockfix(dir.path(), &["--format", "json", "."]);
    assert_eq!(output.status.code(), Some(1), "{output:?}");
    assert_eq!(finding_paths(&json), ["tick.rs"]);
    let errors = errors(&json);
    assert_eq!(errors.len(), 2, "{errors:?}");
    for (path, message) in &errors {
        assert!(path == "blocks.rs" || path == "parens.rs");
        assert!(
            message.contains("more than lockfix parses safely"),
            "{message}"
        );
    }
}

/// Depth without brackets: the parser recursed once per prefix operator and aborted at ~200,000;
/// a million `1 + ` parsed but aborted the process when its tree was freed; a 30,000-link field
/// chain took 6 s in the parser's node cache. Each is now a per-file message.
#[test]
fn long_chains_without_brackets_are_skipped_without_overflowing() {
    let dir = tempfile::tempdir().unwrap();
    let lock = "let g = m.lock().unwrap();";
    let files = [
        ("unary.rs", format!("{}1", "-".repeat(200_000))),
        ("sum.rs", format!("{}1", "1 + ".repeat(1_000_000))),
        ("fields.rs", format!("a{}", ".b".repeat(30_000))),
        ("sum_of_groups.rs", format!("{}1", "(1) + ".repeat(100_000))),
        // Within every lexer limit (900 brackets, runs of 5), but a tree 6,000 levels deep: the
        // parse is measured before anything walks or frees it.
        (
            "deep_tree.rs",
            format!("{}1{}", "{ - - - - - ".repeat(900), " }".repeat(900)),
        ),
    ];
    for (name, expr) in &files {
        let text =
            format!("fn f(m: &std::sync::Mutex<u32>) -> i64 {{ {lock} let x = {expr}; x }}\n");
        fs::write(dir.path().join(name), text).unwrap();
    }
    fs::write(dir.path().join("tick.rs"), TICK).unwrap();
    let (output, json) = lockfix(dir.path(), &["--format", "json", "."]);
    assert_eq!(output.status.code(), Some(1), "{output:?}");
    assert_eq!(finding_paths(&json), ["tick.rs"]);
    let errors = errors(&json);
    assert_eq!(errors.len(), files.len(), "{errors:?}");
    for (path, message) in &errors {
        // The lexer's limits say "parses", the tree's depth "analyses".
        assert!(
            message.contains("more than lockfix") && message.ends_with("file skipped"),
            "{message}"
        );
        assert_eq!(
            path == "deep_tree.rs",
            message.contains("syntax tree nested"),
            "{path}: {message}"
        );
    }
}

#[test]
fn a_20_megabyte_generated_file_is_analysed() {
    let dir = tempfile::tempdir().unwrap();
    let mut text = String::with_capacity(21 << 20);
    let mut i = 0;
    while text.len() < 20 << 20 {
        text.push_str(&format!(
            "pub fn add{i}(a: u32, b: u32) -> u32 {{\n    let v = [a, b, {i}];\n    v.iter().sum::<u32>() + a * b\n}}\n"
        ));
        i += 1;
    }
    // Only a clean big file: with a fixable finding in it, the dry run's fix loop and diff over
    // 20 MB take minutes in a debug build (a known slowness, see the closing note).
    fs::write(dir.path().join("big.rs"), &text).unwrap();
    fs::write(dir.path().join("tick.rs"), TICK).unwrap();
    let (output, json) = lockfix(dir.path(), &["--format", "json", "."]);
    assert_eq!(output.status.code(), Some(1), "{output:?}");
    assert_eq!(json["files_scanned"], 2);
    assert_eq!(finding_paths(&json), ["tick.rs"]);
    assert!(errors(&json).is_empty());
}

#[cfg(unix)]
#[test]
fn symlink_loops_are_reported_and_skipped() {
    let dir = tempfile::tempdir().unwrap();
    let root = dir.path();
    std::os::unix::fs::symlink("loop_b.rs", root.join("loop_a.rs")).unwrap();
    std::os::unix::fs::symlink("loop_a.rs", root.join("loop_b.rs")).unwrap();
    fs::create_dir(root.join("sub")).unwrap();
    std::os::unix::fs::symlink("..", root.join("sub/up")).unwrap();
    fs::write(root.join("tick.rs"), TICK).unwrap();
    let (output, json) = lockfix(root, &["--format", "json", "."]);
    assert_eq!(output.status.code(), Some(1), "{output:?}");
    assert_eq!(finding_paths(&json), ["tick.rs"]);
    let errors = errors(&json);
    let paths: Vec<&str> = errors.iter().map(|(p, _)| p.as_str()).collect();
    assert_eq!(paths, ["loop_a.rs", "loop_b.rs", "sub/up"], "{errors:?}");
    assert!(
        errors[0].1.contains("Too many levels of symbolic links"),
        "{errors:?}"
    );
    assert!(errors[2].1.contains("symbolic link loop"), "{errors:?}");
}

/// Root reads files whatever their permission bits say (the CI container runs as root), so the
/// test asks the OS what the bits do before deciding what to expect.
#[cfg(unix)]
#[test]
fn unreadable_files_and_directories_are_reported_and_skipped() {
    use std::os::unix::fs::PermissionsExt;
    let dir = tempfile::tempdir().unwrap();
    let root = dir.path();
    fs::write(root.join("secret.rs"), TICK).unwrap();
    fs::create_dir(root.join("closed")).unwrap();
    fs::write(root.join("closed/inner.rs"), TICK).unwrap();
    fs::write(root.join("tick.rs"), TICK).unwrap();
    fs::set_permissions(root.join("secret.rs"), fs::Permissions::from_mode(0o000)).unwrap();
    fs::set_permissions(root.join("closed"), fs::Permissions::from_mode(0o000)).unwrap();
    let bits_block_reads = fs::read(root.join("secret.rs")).is_err();
    let (output, json) = lockfix(root, &["--format", "json", "."]);
    // Restore so that the temporary directory can be removed.
    fs::set_permissions(root.join("closed"), fs::Permissions::from_mode(0o755)).unwrap();
    assert_eq!(output.status.code(), Some(1), "{output:?}");
    let errors = errors(&json);
    if bits_block_reads {
        assert_eq!(finding_paths(&json), ["tick.rs"]);
        let paths: Vec<&str> = errors.iter().map(|(p, _)| p.as_str()).collect();
        assert_eq!(paths, ["closed", "secret.rs"], "{errors:?}");
        assert!(
            errors.iter().all(|(_, m)| m.contains("ermission denied")),
            "{errors:?}"
        );
    } else {
        // Running as root: everything is readable, and read.
        assert_eq!(
            finding_paths(&json),
            ["closed/inner.rs", "secret.rs", "tick.rs"]
        );
        assert!(errors.is_empty(), "{errors:?}");
    }
}

#[test]
fn paths_with_spaces_and_non_ascii_names_are_read_reported_and_written() {
    let dir = tempfile::tempdir().unwrap();
    let sub = dir.path().join("dir with spaces/ünïcödé");
    fs::create_dir_all(&sub).unwrap();
    fs::write(sub.join("fïle ā.rs"), TICK).unwrap();
    let (_, json) = lockfix(dir.path(), &["--format", "json", "."]);
    assert_eq!(finding_paths(&json), ["dir with spaces/ünïcödé/fïle ā.rs"]);
    let (output, json) = lockfix(
        dir.path(),
        &["--apply", "--allow-dirty", "--format", "json", "."],
    );
    assert_eq!(output.status.code(), Some(0), "{output:?}");
    assert!(errors(&json).is_empty());
    assert!(
        fs::read_to_string(sub.join("fïle ā.rs"))
            .unwrap()
            .contains("let n = {")
    );
}

/// 50,000 files: about 6 s for lockfix in a debug build on two cores, plus about 15 s to create
/// them.
#[test]
fn fifty_thousand_files() {
    let dir = tempfile::tempdir().unwrap();
    for i in 0..50_000 {
        let sub = dir.path().join(format!("d{}", i / 1000));
        if i % 1000 == 0 {
            fs::create_dir(&sub).unwrap();
        }
        let text = if i == 49_999 {
            TICK.to_owned()
        } else {
            format!("pub fn f{i}() -> u32 {{ {i} }}\n")
        };
        fs::write(sub.join(format!("f{i}.rs")), text).unwrap();
    }
    let started = std::time::Instant::now();
    let (output, json) = lockfix(dir.path(), &["--format", "json", "."]);
    eprintln!("50,000 files in {:?}", started.elapsed());
    assert_eq!(output.status.code(), Some(1), "{output:?}");
    assert_eq!(json["files_scanned"], 50_000);
    assert_eq!(finding_paths(&json), ["d49/f49999.rs"]);
}
