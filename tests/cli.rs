//! End-to-end tests of the command-line contract: the built binary, run in temporary
//! directories. Writing files and bad input are in `cli_writing.rs`.

mod cli_support;
mod common;

use std::fs;
use std::path::Path;
use std::process::Command;

use cli_support::*;
use common::{TICK, TICK_FIXED, lockfix};
use serde_json::Value;

// Exit codes and usage errors.

#[test]
fn clean_directory_exits_0() {
    let dir = tempfile::tempdir().unwrap();
    write(dir.path(), "src/lib.rs", CLEAN);
    let output = lockfix(dir.path(), &[]);
    assert_eq!(code(&output), 0, "{}", stderr(&output));
    assert_eq!(stdout(&output), "no findings\n");
}

/// Issue 16, defect 3: a run that checked nothing does not pass.
#[test]
fn a_directory_without_rust_files_exits_2_and_says_so() {
    let dir = tempfile::tempdir().unwrap();
    write(dir.path(), "notes/readme.txt", "not rust");
    let output = lockfix(dir.path(), &["notes"]);
    assert_eq!(code(&output), 2);
    assert!(
        stderr(&output).contains("error: notes: no Rust files found"),
        "{}",
        stderr(&output)
    );
    assert_eq!(stdout(&output), "no files checked\n");
    let output = lockfix(dir.path(), &["--format", "json"]);
    assert_eq!(code(&output), 2);
    let report = json(&output);
    assert_eq!(report["files_scanned"], 0);
    assert_eq!(report["errors"][0]["fatal"], true, "{report:#}");
}

/// Issue 16, defect 7: a missing path is reported, the other paths are still checked, and the
/// run exits with 2.
#[test]
fn missing_path_exits_2_after_checking_the_others() {
    let dir = tempfile::tempdir().unwrap();
    write(dir.path(), "a.rs", TICK);
    let output = lockfix(dir.path(), &["--format", "json", "a.rs", "does-not-exist"]);
    assert_eq!(code(&output), 2);
    let report = json(&output);
    assert_eq!(report["findings"][0]["path"], "a.rs", "{report:#}");
    assert_eq!(report["errors"][0]["path"], "does-not-exist");
    assert_eq!(report["errors"][0]["message"], "path not found");
    let output = lockfix(dir.path(), &["a.rs", "does-not-exist"]);
    assert!(
        stderr(&output).contains("error: does-not-exist: path not found"),
        "{}",
        stderr(&output)
    );
}

/// Issue 16, defect 7: a symlink loop named on the command line is not "path not found", and a
/// FIFO is never opened (reading it would block forever).
#[cfg(unix)]
#[test]
fn a_symlink_loop_or_a_fifo_named_on_the_command_line_is_an_error_not_a_hang() {
    let dir = tempfile::tempdir().unwrap();
    write(dir.path(), "a.rs", CLEAN);
    std::os::unix::fs::symlink("loop_b", dir.path().join("loop_a")).unwrap();
    std::os::unix::fs::symlink("loop_a", dir.path().join("loop_b")).unwrap();
    let fifo = Command::new("mkfifo")
        .arg(dir.path().join("fifo.rs"))
        .status()
        .unwrap();
    assert!(fifo.success());
    let output = lockfix(dir.path(), &["loop_a", "fifo.rs", "a.rs"]);
    assert_eq!(code(&output), 2);
    let errors = stderr(&output);
    assert!(errors.contains("error: loop_a: cannot be read"), "{errors}");
    assert!(!errors.contains("loop_a: path not found"), "{errors}");
    assert!(
        errors.contains("error: fifo.rs: not a file or directory"),
        "{errors}"
    );
}

/// Issue 16, defect 4 (decided like ruff's E902, but as an error of the run): a file named on
/// the command line that cannot be read fails the run with 2; one found by walking a directory
/// stays a warning.
#[test]
fn a_named_file_that_is_not_utf8_fails_the_run() {
    let dir = tempfile::tempdir().unwrap();
    write(dir.path(), "latin1.rs", b"// caf\xe9\nfn main() {}\n");
    write(dir.path(), "a.rs", CLEAN);
    let output = lockfix(dir.path(), &["latin1.rs", "a.rs"]);
    assert_eq!(code(&output), 2);
    assert!(
        stderr(&output).contains("error: latin1.rs: not valid UTF-8"),
        "{}",
        stderr(&output)
    );
    let walked = lockfix(dir.path(), &["."]);
    assert_eq!(code(&walked), 0, "{}", stderr(&walked));
}

#[test]
fn unknown_rule_id_exits_2_with_a_suggestion() {
    let dir = tempfile::tempdir().unwrap();
    for flag in ["--select", "--ignore"] {
        let output = lockfix(dir.path(), &[flag, "guard-across-await,gaurd-across-await"]);
        assert_eq!(code(&output), 2);
        assert!(
            stderr(&output).contains("did you mean `guard-across-await`?"),
            "{}",
            stderr(&output)
        );
    }
}

#[test]
fn explain_unknown_rule_exits_2() {
    let dir = tempfile::tempdir().unwrap();
    let output = lockfix(dir.path(), &["--explain", "read-than-write"]);
    assert_eq!(code(&output), 2);
    assert!(
        stderr(&output).contains("did you mean `read-then-write`?"),
        "{}",
        stderr(&output)
    );
}

#[test]
fn explain_prints_the_rule_documentation() {
    let dir = tempfile::tempdir().unwrap();
    let output = lockfix(dir.path(), &["--explain", "guard-across-await"]);
    assert_eq!(code(&output), 0, "{}", stderr(&output));
    let text = stdout(&output);
    assert!(text.starts_with("# guard-across-await\n"), "{text}");
    assert!(text.contains("## Why is this bad?"), "{text}");
}

#[test]
fn modes_are_mutually_exclusive() {
    let dir = tempfile::tempdir().unwrap();
    for args in [
        ["--dry-run", "--apply"],
        ["--apply", "-i"],
        ["--interactive", "--dry-run"],
    ] {
        assert_eq!(code(&lockfix(dir.path(), &args)), 2, "{args:?}");
    }
}

#[test]
fn unknown_format_exits_2() {
    let dir = tempfile::tempdir().unwrap();
    assert_eq!(code(&lockfix(dir.path(), &["--format", "xml"])), 2);
}

#[test]
fn interactive_without_a_terminal_exits_2() {
    let dir = tempfile::tempdir().unwrap();
    write(dir.path(), "tick.rs", TICK);
    let output = Command::new(env!("CARGO_BIN_EXE_lockfix"))
        .args(["-i", "--allow-dirty"])
        .current_dir(dir.path())
        .stdin(std::process::Stdio::null())
        .output()
        .unwrap();
    assert_eq!(code(&output), 2);
    assert!(stderr(&output).contains("terminal"), "{}", stderr(&output));
    assert_eq!(read(dir.path(), "tick.rs"), TICK);
}

// Output.

#[test]
fn json_has_every_key_of_the_contract() {
    let dir = tempfile::tempdir().unwrap();
    write(dir.path(), "src/tick.rs", TICK);
    write(dir.path(), "src/clean.rs", CLEAN);
    let output = lockfix(dir.path(), &["--format", "json"]);
    assert_eq!(code(&output), 1, "{}", stderr(&output));
    let report = json(&output);

    let keys: Vec<&str> = report
        .as_object()
        .unwrap()
        .keys()
        .map(String::as_str)
        .collect();
    // The contract's keys, and `applied_fixes`, `rolled_back_fixes`, `verify` and `notes` added
    // since (keys are added, never renamed).
    assert_eq!(
        sorted(keys),
        [
            "applied_fixes",
            "errors",
            "files_scanned",
            "findings",
            "notes",
            "rolled_back_fixes",
            "verify",
            "version"
        ]
    );
    assert_eq!(report["version"], 1);
    assert_eq!(report["files_scanned"], 2);
    assert_eq!(report["errors"], Value::Array(Vec::new()));

    let findings = report["findings"].as_array().unwrap();
    assert_eq!(findings.len(), 1, "{report:#}");
    let finding = &findings[0];
    let keys: Vec<&str> = finding
        .as_object()
        .unwrap()
        .keys()
        .map(String::as_str)
        .collect();
    assert_eq!(
        sorted(keys),
        [
            "column",
            "end_column",
            "end_line",
            "fix",
            "help",
            "labels",
            "line",
            "message",
            "path",
            "rule",
            "severity",
            "tier",
            "url"
        ]
    );
    assert_eq!(finding["rule"], "guard-across-await");
    assert_eq!(finding["severity"], "error");
    assert_eq!(finding["path"], "src/tick.rs");
    assert_eq!(
        finding["line"], 2,
        "the finding is at the guard's acquisition"
    );
    for key in ["line", "column", "end_line", "end_column"] {
        assert!(
            finding[key].as_u64().is_some_and(|n| n >= 1),
            "{key} is 1-based: {finding:#}"
        );
    }
    assert!(finding["message"].as_str().is_some_and(|m| !m.is_empty()));

    let fix = &finding["fix"];
    let keys: Vec<&str> = fix
        .as_object()
        .unwrap()
        .keys()
        .map(String::as_str)
        .collect();
    assert_eq!(
        sorted(keys),
        ["applicability", "caveats", "diff", "edits", "title"]
    );
    assert_eq!(fix["applicability"], "safe");
    assert!(fix["title"].as_str().is_some_and(|t| !t.is_empty()));
    let diff = fix["diff"].as_str().unwrap();
    assert!(
        diff.starts_with("--- a/src/tick.rs\n+++ b/src/tick.rs\n@@ "),
        "{diff}"
    );

    // The fix's diff applies and gives the fixed text.
    write(dir.path(), "fix.patch", diff);
    git_apply(dir.path(), "fix.patch");
    assert_eq!(read(dir.path(), "src/tick.rs"), TICK_FIXED);
}

fn sorted(mut keys: Vec<&str>) -> Vec<&str> {
    keys.sort_unstable();
    keys
}

/// `git apply --check` accepts the patch, then `git apply` applies it (works outside a repo).
fn git_apply(dir: &Path, patch: &str) {
    let check = Command::new("git")
        .args(["apply", "--check", patch])
        .current_dir(dir)
        .output();
    let check = check.unwrap();
    assert!(
        check.status.success(),
        "git apply --check: {}",
        String::from_utf8_lossy(&check.stderr)
    );
    let apply = Command::new("git")
        .args(["apply", patch])
        .current_dir(dir)
        .output()
        .unwrap();
    assert!(
        apply.status.success(),
        "git apply: {}",
        String::from_utf8_lossy(&apply.stderr)
    );
}

#[test]
fn human_output_is_rustc_style_with_diff_and_summary() {
    let dir = tempfile::tempdir().unwrap();
    write(dir.path(), "src/tick.rs", TICK);
    let output = lockfix(dir.path(), &["src"]);
    assert_eq!(code(&output), 1);
    let text = stdout(&output);
    assert!(text.starts_with("error[guard-across-await]: "), "{text}");
    assert!(text.contains("\n --> src/tick.rs:2:"), "{text}");
    assert!(
        text.contains("\n2 |     let g = m.lock().unwrap();\n"),
        "{text}"
    );
    assert!(text.contains("\n  = note: safe fix: "), "{text}");
    assert!(
        text.contains("\n--- a/src/tick.rs\n+++ b/src/tick.rs\n"),
        "{text}"
    );
    assert!(
        text.ends_with("\n1 finding (1 fixable, 0 with --unsafe-fixes)\n"),
        "{text}"
    );
    assert!(!text.contains('\x1b'), "no colours when not on a terminal");
}

#[test]
fn git_apply_accepts_the_printed_diff() {
    let dir = tempfile::tempdir().unwrap();
    write(dir.path(), "a/tick.rs", TICK);
    write(dir.path(), "b/tick.rs", TICK.replace("tick", "tock"));
    let output = lockfix(dir.path(), &["--dry-run"]);
    assert_eq!(code(&output), 1);
    let text = stdout(&output);
    // The diffs run from the first header to the blank line before the summary.
    let start = text.find("--- a/").expect("a diff is printed");
    let end = start
        + text[start..]
            .find("\n\n")
            .expect("a blank line ends the diffs")
        + 1;
    let patch = &text[start..end];
    assert_eq!(patch.matches("--- a/").count(), 2, "{patch}");
    write(dir.path(), "all.patch", patch);
    git_apply(dir.path(), "all.patch");
    assert_eq!(read(dir.path(), "a/tick.rs"), TICK_FIXED);
    assert_eq!(
        read(dir.path(), "b/tick.rs"),
        TICK_FIXED.replace("tick", "tock")
    );
}
// Discovery.

#[test]
fn gitignore_is_honoured_outside_git_and_explicit_files_are_always_taken() {
    let dir = tempfile::tempdir().unwrap();
    write(dir.path(), ".gitignore", "generated/\n");
    write(dir.path(), "generated/tick.rs", TICK);
    write(dir.path(), "src/lib.rs", CLEAN);
    write(dir.path(), "notes.txt", "not rust");
    let output = lockfix(dir.path(), &["--format", "json"]);
    assert_eq!(code(&output), 0);
    assert_eq!(json(&output)["files_scanned"], 1);

    let output = lockfix(dir.path(), &["--format", "json", ".", "generated/tick.rs"]);
    assert_eq!(code(&output), 1);
    let report = json(&output);
    assert_eq!(report["files_scanned"], 2);
    assert_eq!(report["findings"][0]["path"], "generated/tick.rs");
}

#[test]
fn ignore_and_select_choose_rules() {
    let dir = tempfile::tempdir().unwrap();
    write(dir.path(), "tick.rs", TICK);
    let output = lockfix(dir.path(), &["--ignore", "guard-across-await"]);
    assert_eq!(code(&output), 0, "{}", stdout(&output));
    let output = lockfix(dir.path(), &["--select", "guard-across-await"]);
    assert_eq!(code(&output), 1);
}

#[test]
fn output_is_deterministic() {
    let dir = tempfile::tempdir().unwrap();
    for name in ["b", "a", "c/d", "c/a"] {
        write(dir.path(), &format!("{name}.rs"), TICK);
    }
    let first = stdout(&lockfix(dir.path(), &["--format", "json"]));
    let report: Value = serde_json::from_str(&first).unwrap();
    let paths: Vec<&str> = report["findings"]
        .as_array()
        .unwrap()
        .iter()
        .map(|f| f["path"].as_str().unwrap())
        .collect();
    assert_eq!(paths, ["a.rs", "b.rs", "c/a.rs", "c/d.rs"]);
    assert_eq!(stdout(&lockfix(dir.path(), &["--format", "json"])), first);
}

// Issue 16: what users of ruff, clippy and cargo fix expect.

/// A read guard alive at the write: `read-then-write`, whose fix is always unsafe.
const READ_THEN_WRITE: &str = "pub fn add(m: &std::sync::RwLock<Vec<u32>>) {
    let g = m.read().unwrap();
    if !g.contains(&1) {
        m.write().unwrap().push(1);
    }
}
";

/// Issue 16, defect 8: the dry run names the flags that write exactly the fixes it counts.
#[test]
fn dry_run_with_unsafe_fixes_names_the_flags_that_write_them() {
    let dir = tempfile::tempdir().unwrap();
    write(dir.path(), "rtw.rs", READ_THEN_WRITE);
    let text = stdout(&lockfix(dir.path(), &["--unsafe-fixes"]));
    assert!(
        text.contains("(dry run: nothing written; --apply --unsafe-fixes writes them)"),
        "{text}"
    );
    let text = stdout(&lockfix(dir.path(), &["tick.rs", "rtw.rs"]));
    assert!(
        text.contains("1 finding (0 fixable, 1 with --unsafe-fixes)"),
        "{text}"
    );
}

/// Issue 14: with `--unsafe-fixes` the unsafe fixes are fixable, and the summary says how many
/// of the fixable ones are unsafe instead of "0 with --unsafe-fixes"; `--statistics` counts the
/// unsafe ones a rule could fix.
#[test]
fn unsafe_fixes_are_counted_as_fixable_when_on() {
    let dir = tempfile::tempdir().unwrap();
    write(dir.path(), "rtw.rs", READ_THEN_WRITE);
    let text = stdout(&lockfix(dir.path(), &["--unsafe-fixes", "rtw.rs"]));
    assert!(
        text.contains("1 finding (1 fixable, 1 of them unsafe)"),
        "{text}"
    );
    let text = stdout(&lockfix(dir.path(), &["--statistics", "rtw.rs"]));
    assert!(
        text.contains("read-then-write         0 fixable (1 with --unsafe-fixes)"),
        "{text}"
    );
    let text = stdout(&lockfix(
        dir.path(),
        &["--statistics", "--unsafe-fixes", "rtw.rs"],
    ));
    assert!(
        text.contains("read-then-write         1 fixable\n"),
        "{text}"
    );
}

/// Issue 16, defect 8: a file with syntax errors is not fixed, so its findings are not counted
/// fixable, and a syntax error is reported even where no fix was withheld.
#[test]
fn syntax_errors_are_reported_and_their_files_count_nothing_fixable() {
    let dir = tempfile::tempdir().unwrap();
    let broken = TICK.replace(
        "    println!(\"{n}\");\n",
        "    println!(\"{n}\");\n    let x = ;\n",
    );
    write(dir.path(), "broken.rs", &broken);
    let output = lockfix(dir.path(), &["broken.rs"]);
    assert!(
        stdout(&output).contains("1 finding (0 fixable, 0 with --unsafe-fixes)"),
        "{}",
        stdout(&output)
    );
    assert!(
        stderr(&output).contains("broken.rs: the file has 2 syntax errors (first, line 6:"),
        "{}",
        stderr(&output)
    );
    write(
        dir.path(),
        "no_finding.rs",
        "pub fn f(m: &std::sync::Mutex<u32>) -> u32 {\n    let x = ;\n    *m.lock().unwrap()\n}\n",
    );
    let output = lockfix(dir.path(), &["no_finding.rs"]);
    assert_eq!(code(&output), 0);
    assert!(
        stderr(&output).contains("no_finding.rs: the file has 2 syntax errors (first, line 2:"),
        "{}",
        stderr(&output)
    );
}

/// Issue 16, defect 9: suggestions only for close names; snake_case ids and clippy lint names
/// are accepted.
#[test]
fn rule_names_accept_snake_case_and_clippy_lints_and_suggest_only_close_ones() {
    let dir = tempfile::tempdir().unwrap();
    write(dir.path(), "tick.rs", TICK);
    for far in ["nope", "GAA", ""] {
        let output = lockfix(dir.path(), &["--select", far]);
        assert_eq!(code(&output), 2, "{far}");
        assert!(
            !stderr(&output).contains("did you mean"),
            "{far}: {}",
            stderr(&output)
        );
    }
    for name in [
        "guard_across_await",
        "await_holding_lock",
        "clippy::await_holding_lock",
    ] {
        let output = lockfix(dir.path(), &["--select", name, "--format", "json"]);
        assert_eq!(code(&output), 1, "{name}: {}", stderr(&output));
        assert_eq!(json(&output)["findings"][0]["rule"], "guard-across-await");
    }
    let output = lockfix(dir.path(), &["--explain", "read_then_write"]);
    assert!(stdout(&output).starts_with("# read-then-write\n"));
}

#[test]
fn exit_zero_keeps_findings_from_failing_the_run_but_not_errors() {
    let dir = tempfile::tempdir().unwrap();
    write(dir.path(), "tick.rs", TICK);
    let output = lockfix(dir.path(), &["--exit-zero"]);
    assert_eq!(code(&output), 0);
    assert!(stdout(&output).contains("1 finding"), "{}", stdout(&output));
    let output = lockfix(dir.path(), &["--exit-zero", "missing.rs"]);
    assert_eq!(code(&output), 2);
}

#[test]
fn quiet_prints_the_findings_and_nothing_else() {
    let dir = tempfile::tempdir().unwrap();
    write(dir.path(), "tick.rs", TICK);
    let text = stdout(&lockfix(dir.path(), &["-q"]));
    assert!(text.starts_with("error[guard-across-await]"), "{text}");
    for noise in ["--- a/", "would apply", "1 finding", "--explain", "= fix:"] {
        assert!(!text.contains(noise), "{noise}: {text}");
    }
}

#[test]
fn fix_is_an_alias_of_apply() {
    let dir = tempfile::tempdir().unwrap();
    write(dir.path(), "tick.rs", TICK);
    let output = lockfix(dir.path(), &["--fix", "--allow-dirty"]);
    assert_eq!(code(&output), 0, "{}", stderr(&output));
    assert_eq!(read(dir.path(), "tick.rs"), TICK_FIXED);
}

#[test]
fn concise_format_is_one_line_per_finding() {
    let dir = tempfile::tempdir().unwrap();
    write(dir.path(), "tick.rs", TICK);
    write(dir.path(), "rtw.rs", READ_THEN_WRITE);
    let text = stdout(&lockfix(dir.path(), &["--format", "concise"]));
    let lines: Vec<&str> = text.lines().collect();
    assert!(
        lines[0].starts_with("rtw.rs:2:") && lines[0].contains(": error[read-then-write]: "),
        "{text}"
    );
    assert!(!lines[0].ends_with("[*]"), "unsafe fix, not on: {text}");
    assert!(
        lines[1].starts_with("tick.rs:2:5: error[guard-across-await]: ")
            && lines[1].ends_with(" [*]"),
        "{text}"
    );
    assert_eq!(
        lines.last(),
        Some(&"2 findings (1 fixable, 1 with --unsafe-fixes)")
    );
}

/// `-` reads standard input, reported as --stdin-filename; `--fix -` prints the fixed text.
#[test]
fn standard_input_with_a_file_name() {
    let dir = tempfile::tempdir().unwrap();
    let run = |args: &[&str]| {
        let mut child = Command::new(env!("CARGO_BIN_EXE_lockfix"))
            .args(args)
            .current_dir(dir.path())
            .env("NO_COLOR", "1")
            .stdin(std::process::Stdio::piped())
            .stdout(std::process::Stdio::piped())
            .stderr(std::process::Stdio::piped())
            .spawn()
            .unwrap();
        // A usage error exits before reading standard input: the pipe may be closed by then.
        if let Err(error) =
            std::io::Write::write_all(&mut child.stdin.take().unwrap(), TICK.as_bytes())
        {
            assert_eq!(error.kind(), std::io::ErrorKind::BrokenPipe, "{error}");
        }
        child.wait_with_output().unwrap()
    };
    let output = run(&["-", "--stdin-filename", "src/tick.rs", "--format", "json"]);
    assert_eq!(code(&output), 1, "{}", stderr(&output));
    assert_eq!(json(&output)["findings"][0]["path"], "src/tick.rs");
    let output = run(&["--fix", "-"]);
    assert_eq!(code(&output), 0, "{}", stderr(&output));
    assert_eq!(stdout(&output), TICK_FIXED);
    assert!(
        fs::read_dir(dir.path()).unwrap().next().is_none(),
        "nothing written"
    );
    let output = run(&["-", "other.rs"]);
    assert_eq!(code(&output), 2);
}

/// The human report shows each fix's change under its finding, and how to learn more.
#[test]
fn each_finding_shows_its_fix_and_the_run_ends_with_how_to_learn_more() {
    let dir = tempfile::tempdir().unwrap();
    write(dir.path(), "tick.rs", TICK);
    let text = stdout(&lockfix(dir.path(), &[]));
    let finding_end = text.find("\n--- a/tick.rs").expect("the full diff");
    let finding = &text[..finding_end];
    assert!(
        finding.contains("  = fix:\n    @@ -1,6 +1,8 @@\n"),
        "{text}"
    );
    assert!(
        finding.contains("\n    +        let g = m.lock().unwrap();\n"),
        "{text}"
    );
    assert!(
        text.contains(
            "\nfor what a rule means and how its fix works: lockfix --explain guard-across-await\n"
        ),
        "{text}"
    );
}

/// JSON: byte-range edits beside the diff, labels, the rule's documentation URL, and after
/// --apply the fixes applied; SARIF names the tool's version.
#[test]
fn json_has_edits_labels_urls_and_applied_fixes() {
    let dir = tempfile::tempdir().unwrap();
    write(dir.path(), "tick.rs", TICK);
    let report = json(&lockfix(dir.path(), &["--format", "json"]));
    let finding = &report["findings"][0];
    assert!(
        finding["url"]
            .as_str()
            .is_some_and(|url| url.starts_with("https://") && url.contains("guard_across_await")),
        "{finding:#}"
    );
    assert!(
        finding["labels"]
            .as_array()
            .is_some_and(|labels| labels.iter().any(|l| l["line"] == 4)),
        "{finding:#}"
    );
    // Applying the edits (last first) gives the fixed text.
    let mut text = TICK.to_owned();
    let mut edits: Vec<&Value> = finding["fix"]["edits"].as_array().unwrap().iter().collect();
    assert!(!edits.is_empty());
    edits.sort_by_key(|edit| std::cmp::Reverse(edit["start"].as_u64()));
    for edit in edits {
        let start = edit["start"].as_u64().unwrap() as usize;
        let end = edit["end"].as_u64().unwrap() as usize;
        text.replace_range(start..end, edit["replacement"].as_str().unwrap());
    }
    assert_eq!(text, TICK_FIXED);
    assert_eq!(report["applied_fixes"], Value::Array(Vec::new()));

    let report = json(&lockfix(
        dir.path(),
        &["--format", "json", "--apply", "--allow-dirty"],
    ));
    let applied = report["applied_fixes"].as_array().unwrap();
    assert_eq!(applied.len(), 1, "{report:#}");
    assert_eq!(applied[0]["path"], "tick.rs");
    assert_eq!(applied[0]["rule"], "guard-across-await");
    assert_eq!(applied[0]["applicability"], "safe");

    write(dir.path(), "tick.rs", TICK);
    let sarif: Value =
        serde_json::from_slice(&lockfix(dir.path(), &["--format", "sarif"]).stdout).unwrap();
    assert_eq!(
        sarif["runs"][0]["tool"]["driver"]["version"],
        env!("CARGO_PKG_VERSION")
    );
}

/// Build output is not source: `target/` beside a `Cargo.toml` (or with cargo's CACHEDIR.TAG)
/// is skipped even when nothing ignores it; `--exclude` and `extend-exclude` leave out more.
#[test]
fn target_and_excluded_paths_are_not_walked() {
    let dir = tempfile::tempdir().unwrap();
    write(
        dir.path(),
        "Cargo.toml",
        "[package]\nname = \"p\"\nversion = \"0.1.0\"\nedition = \"2021\"\n",
    );
    write(dir.path(), "src/lib.rs", CLEAN);
    write(dir.path(), "target/debug/build/out/gen.rs", TICK);
    write(
        dir.path(),
        "custom-target/CACHEDIR.TAG",
        "Signature: 8a477f597d28d172789f06886806bc55\n",
    );
    write(dir.path(), "custom-target/gen.rs", TICK);
    write(dir.path(), "generated/a.rs", TICK);
    write(dir.path(), "vendor/b.rs", TICK);
    let files = |args: &[&str]| {
        let mut all = vec!["--format", "json"];
        all.extend_from_slice(args);
        let report = json(&lockfix(dir.path(), &all));
        let mut paths: Vec<String> = report["findings"]
            .as_array()
            .unwrap()
            .iter()
            .map(|f| f["path"].as_str().unwrap().to_owned())
            .collect();
        paths.sort();
        paths
    };
    assert_eq!(files(&[]), ["generated/a.rs", "vendor/b.rs"]);
    assert_eq!(
        files(&["--exclude", "generated,vendor/*.rs"]),
        Vec::<String>::new()
    );
    write(
        dir.path(),
        "lockfix.toml",
        "extend-exclude = [\"vendor\"]\n",
    );
    assert_eq!(files(&[]), ["generated/a.rs"]);
    // Named on the command line, an excluded file is checked anyway.
    assert_eq!(files(&["vendor/b.rs"]), ["vendor/b.rs"]);
}
