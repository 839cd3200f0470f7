//! End-to-end tests of the command-line contract, writing side: what `--apply` writes and
//! refuses to write, and bad input that must not stop the run.

mod cli_support;
mod common;

use std::fs;

use cli_support::*;
use common::{TICK, TICK_FIXED, lockfix};
use serde_json::Value;

// Writing.

#[test]
fn dry_run_writes_nothing() {
    let dir = tempfile::tempdir().unwrap();
    write(dir.path(), "tick.rs", TICK);
    for args in [
        &[][..],
        &["--dry-run"],
        &["--dry-run", "--unsafe-fixes", "--allow-dirty"],
    ] {
        let output = lockfix(dir.path(), args);
        assert_eq!(code(&output), 1, "{args:?}");
        assert_eq!(read(dir.path(), "tick.rs"), TICK);
    }
    // Nothing else appeared either (no temporary files).
    assert_eq!(fs::read_dir(dir.path()).unwrap().count(), 1);
}

#[test]
fn apply_writes_the_fix_and_exits_0() {
    let dir = tempfile::tempdir().unwrap();
    write(dir.path(), "tick.rs", TICK);
    let output = lockfix(dir.path(), &["--apply", "--allow-dirty"]);
    assert_eq!(code(&output), 0, "{}{}", stdout(&output), stderr(&output));
    assert_eq!(read(dir.path(), "tick.rs"), TICK_FIXED);
    assert!(
        stdout(&output).ends_with("\napplied 1 fix to 1 file; what remains:\nno findings\n"),
        "{}",
        stdout(&output)
    );

    // Nothing is left to do.
    let output = lockfix(
        dir.path(),
        &["--apply", "--allow-dirty", "--format", "json"],
    );
    assert_eq!(code(&output), 0);
    assert_eq!(json(&output)["findings"], Value::Array(Vec::new()));
}

#[test]
fn apply_json_lists_the_findings_that_remain() {
    let dir = tempfile::tempdir().unwrap();
    write(dir.path(), "tick.rs", TICK);
    let output = lockfix(
        dir.path(),
        &["--apply", "--allow-dirty", "--format", "json"],
    );
    assert_eq!(code(&output), 0);
    let report = json(&output);
    assert_eq!(report["findings"], Value::Array(Vec::new()), "{report:#}");
    assert_eq!(read(dir.path(), "tick.rs"), TICK_FIXED);
}

#[test]
fn outside_git_writing_needs_allow_dirty() {
    let dir = tempfile::tempdir().unwrap();
    write(dir.path(), "tick.rs", TICK);
    let output = lockfix(dir.path(), &["--apply"]);
    assert_eq!(code(&output), 2);
    let message = stderr(&output);
    assert!(message.contains("not inside a git repository"), "{message}");
    assert!(message.contains("tick.rs"), "{message}");
    assert!(message.contains("--allow-dirty"), "{message}");
    assert_eq!(read(dir.path(), "tick.rs"), TICK);
}

#[test]
fn dirty_files_are_refused_inside_git() {
    let repo = git_repo_with(&[("src/tick.rs", TICK), ("src/clean.rs", CLEAN)]);
    let dir = repo.path();
    let edited = format!("{TICK}// work in progress\n");
    write(dir, "src/tick.rs", &edited);

    let output = lockfix(dir, &["--apply"]);
    assert_eq!(code(&output), 2);
    let message = stderr(&output);
    assert!(
        message.contains("src/tick.rs (uncommitted changes)"),
        "{message}"
    );
    assert!(
        !message.contains("clean.rs"),
        "only files to be written are checked: {message}"
    );
    assert_eq!(read(dir, "src/tick.rs"), edited);

    // Untracked files are refused too: git could not restore them.
    write(dir, "src/new.rs", TICK);
    git(dir, &["checkout", "--", "src/tick.rs"]);
    let output = lockfix(dir, &["--apply"]);
    assert_eq!(code(&output), 2);
    assert!(
        stderr(&output).contains("src/new.rs (untracked)"),
        "{}",
        stderr(&output)
    );

    // Committed, it is written.
    git(dir, &["add", "."]);
    git(dir, &["commit", "-q", "-m", "new"]);
    let output = lockfix(dir, &["--apply"]);
    assert_eq!(code(&output), 0, "{}", stderr(&output));
    assert_eq!(read(dir, "src/tick.rs"), TICK_FIXED);
    assert_eq!(read(dir, "src/new.rs"), TICK_FIXED);
}

#[test]
fn allow_dirty_writes_dirty_files() {
    let repo = git_repo_with(&[("tick.rs", TICK)]);
    let edited = format!("// work in progress\n{TICK}");
    write(repo.path(), "tick.rs", &edited);
    let output = lockfix(repo.path(), &["--apply", "--allow-dirty"]);
    assert_eq!(code(&output), 0, "{}", stderr(&output));
    assert_eq!(
        read(repo.path(), "tick.rs"),
        format!("// work in progress\n{TICK_FIXED}")
    );
}

#[test]
fn dry_run_in_a_dirty_tree_is_fine() {
    let repo = git_repo_with(&[("tick.rs", TICK)]);
    write(repo.path(), "tick.rs", format!("{TICK}\n"));
    assert_eq!(code(&lockfix(repo.path(), &[])), 1);
}

#[test]
fn crlf_bom_and_missing_final_newline_are_kept() {
    let dir = tempfile::tempdir().unwrap();
    let crlf = |text: &str| text.trim_end_matches('\n').replace('\n', "\r\n");
    let original = format!("\u{feff}{}", crlf(TICK));
    write(dir.path(), "tick.rs", &original);

    // The diff of a dry run carries the CRLFs and applies.
    let output = lockfix(dir.path(), &["--format", "json"]);
    let report = json(&output);
    let diff = report["findings"][0]["fix"]["diff"]
        .as_str()
        .expect("a fix")
        .to_owned();
    assert!(diff.contains("\r\n"), "{diff:?}");
    assert!(
        diff.ends_with("}\n\\ No newline at end of file\n"),
        "{diff:?}"
    );
    assert_eq!(report["findings"][0]["line"], 2);

    let output = lockfix(dir.path(), &["--apply", "--allow-dirty"]);
    assert_eq!(code(&output), 0, "{}", stderr(&output));
    let written = fs::read(dir.path().join("tick.rs")).unwrap();
    assert_eq!(
        String::from_utf8(written).unwrap(),
        format!("\u{feff}{}", crlf(TICK_FIXED))
    );
}

#[cfg(unix)]
#[test]
fn permissions_are_kept() {
    use std::os::unix::fs::PermissionsExt;
    let dir = tempfile::tempdir().unwrap();
    write(dir.path(), "tick.rs", TICK);
    let path = dir.path().join("tick.rs");
    fs::set_permissions(&path, fs::Permissions::from_mode(0o640)).unwrap();
    assert_eq!(code(&lockfix(dir.path(), &["--apply", "--allow-dirty"])), 0);
    assert_eq!(read(dir.path(), "tick.rs"), TICK_FIXED);
    assert_eq!(
        fs::metadata(&path).unwrap().permissions().mode() & 0o777,
        0o640
    );
}

#[cfg(unix)]
#[test]
fn a_symlinked_file_is_written_through() {
    let dir = tempfile::tempdir().unwrap();
    write(dir.path(), "real/tick.rs", TICK);
    std::os::unix::fs::symlink(dir.path().join("real/tick.rs"), dir.path().join("link.rs"))
        .unwrap();
    let output = lockfix(dir.path(), &["--apply", "--allow-dirty", "link.rs"]);
    assert_eq!(code(&output), 0, "{}", stderr(&output));
    assert!(
        fs::symlink_metadata(dir.path().join("link.rs"))
            .unwrap()
            .file_type()
            .is_symlink()
    );
    assert_eq!(read(dir.path(), "real/tick.rs"), TICK_FIXED);
}

#[test]
fn a_failed_write_exits_2_and_is_reported() {
    let dir = tempfile::tempdir().unwrap();
    write(dir.path(), "a.rs", TICK);
    write(dir.path(), "b.rs", TICK);
    let path = dir.path().join("a.rs");
    let mut permissions = fs::metadata(&path).unwrap().permissions();
    permissions.set_readonly(true);
    fs::set_permissions(&path, permissions).unwrap();

    let output = lockfix(
        dir.path(),
        &["--apply", "--allow-dirty", "--format", "json"],
    );
    assert_eq!(code(&output), 2);
    let report = json(&output);
    assert_eq!(report["errors"][0]["path"], "a.rs", "{report:#}");
    assert!(
        report["errors"][0]["message"]
            .as_str()
            .unwrap()
            .contains("read-only")
    );
    // The unwritten file's findings are still listed; the other file was written.
    assert_eq!(report["findings"][0]["path"], "a.rs");
    assert_eq!(read(dir.path(), "a.rs"), TICK);
    assert_eq!(read(dir.path(), "b.rs"), TICK_FIXED);
}

// Bad input.

#[test]
fn non_utf8_file_is_an_error_entry_and_the_run_continues() {
    let dir = tempfile::tempdir().unwrap();
    write(dir.path(), "latin1.rs", b"// caf\xe9\nfn main() {}\n");
    write(dir.path(), "tick.rs", TICK);
    let output = lockfix(dir.path(), &["--format", "json"]);
    assert_eq!(
        code(&output),
        1,
        "per-file errors do not make the exit code 2"
    );
    let report = json(&output);
    assert_eq!(report["files_scanned"], 2);
    let errors = report["errors"].as_array().unwrap();
    assert_eq!(errors.len(), 1, "{report:#}");
    assert_eq!(errors[0]["path"], "latin1.rs");
    assert!(
        errors[0]["message"].as_str().unwrap().contains("UTF-8"),
        "{report:#}"
    );
    assert_eq!(report["findings"][0]["path"], "tick.rs");

    // Human output warns on standard error; a clean file next to it still exits 0.
    fs::remove_file(dir.path().join("tick.rs")).unwrap();
    let output = lockfix(dir.path(), &[]);
    assert_eq!(code(&output), 0);
    assert!(
        stderr(&output).contains("warning: latin1.rs: not valid UTF-8"),
        "{}",
        stderr(&output)
    );
}

#[test]
fn a_parser_panic_is_contained_to_its_file() {
    let dir = tempfile::tempdir().unwrap();
    // An unterminated frontmatter: rust-analyzer 0.0.345's lexer panics on it.
    write(dir.path(), "a_panics.rs", "---\n-");
    write(dir.path(), "tick.rs", TICK);
    let output = lockfix(dir.path(), &["--format", "json"]);
    assert_eq!(code(&output), 1, "{}", stderr(&output));
    assert!(
        !stderr(&output).contains("panicked at"),
        "the panic message is silenced"
    );
    let report = json(&output);
    assert_eq!(report["findings"][0]["path"], "tick.rs");
    for error in report["errors"].as_array().unwrap() {
        assert_eq!(error["path"], "a_panics.rs");
        assert!(
            error["message"].as_str().unwrap().contains("panicked"),
            "{report:#}"
        );
    }
}

#[test]
fn syntax_errors_are_reported_but_never_fixed() {
    let dir = tempfile::tempdir().unwrap();
    let broken = format!("{TICK}\nfn broken( {{\n");
    write(dir.path(), "tick.rs", &broken);
    let output = lockfix(dir.path(), &["--apply", "--allow-dirty"]);
    assert_eq!(read(dir.path(), "tick.rs"), broken);
    assert_eq!(code(&output), 1, "{}", stderr(&output));
}
