//! `--verify` end to end: a real crate, a real `cargo check`, and one fix forced to break the
//! build through the binary's test-only hook (`LOCKFIX_TEST_BREAK_FIXES_IN`, see
//! `src/write/verify.rs`). That fix is rolled back to the exact original bytes; the others are
//! kept.

use std::fs;
use std::path::Path;
use std::process::{Command, Output};

use serde_json::Value;

/// guard-across-await with a safe fix, in a crate with no dependencies.
const TICK: &str = "pub async fn tick(m: &std::sync::Mutex<Vec<u32>>) {\r
    let g = m.lock().unwrap();\r
    let n = g.len();\r
    std::future::ready(()).await;\r
    println!(\"{n}\");\r
}\r
";

fn crate_with(dir: &Path, lib: &str, modules: &[(&str, &str)]) {
    fs::create_dir_all(dir.join("src")).unwrap();
    fs::write(
        dir.join("Cargo.toml"),
        "[package]\nname = \"fixture\"\nversion = \"0.1.0\"\nedition = \"2021\"\n\n[workspace]\n",
    )
    .unwrap();
    fs::write(dir.join("src/lib.rs"), lib).unwrap();
    for (name, text) in modules {
        fs::write(dir.join("src").join(name), text).unwrap();
    }
}

fn lockfix(dir: &Path, args: &[&str], break_file: Option<&str>) -> Output {
    let mut command = Command::new(env!("CARGO_BIN_EXE_lockfix"));
    command
        .args(args)
        .current_dir(dir)
        .env("NO_COLOR", "1")
        .env("CARGO_TARGET_DIR", dir.join("target"))
        .env_remove("LOCKFIX_TEST_BREAK_FIXES_IN");
    if let Some(file) = break_file {
        command.env("LOCKFIX_TEST_BREAK_FIXES_IN", file);
    }
    command.output().expect("lockfix runs")
}

fn errors(output: &Output) -> Vec<(String, String)> {
    let json: Value = serde_json::from_slice(&output.stdout).expect("JSON output");
    json["errors"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| {
            (
                e["path"].as_str().unwrap().to_owned(),
                e["message"].as_str().unwrap().to_owned(),
            )
        })
        .collect()
}

#[test]
fn a_fix_that_breaks_the_build_is_rolled_back_and_the_others_kept() {
    let dir = tempfile::tempdir().unwrap();
    let root = dir.path();
    crate_with(root, "mod a;\nmod b;\n", &[("a.rs", TICK), ("b.rs", TICK)]);
    // The BOM makes "the exact original bytes" a sharper claim than equal text.
    let b_original = [b"\xEF\xBB\xBF".as_slice(), TICK.as_bytes()].concat();
    fs::write(root.join("src/b.rs"), &b_original).unwrap();

    let args = ["--apply", "--verify", "--allow-dirty", "--format", "json"];
    let output = lockfix(root, &args, Some("b.rs"));
    let errors = errors(&output);
    assert_eq!(fs::read(root.join("src/b.rs")).unwrap(), b_original);
    let a = fs::read_to_string(root.join("src/a.rs")).unwrap();
    assert_ne!(a, TICK, "a.rs keeps its fix");
    assert!(a.contains("let n = {"), "{a}");
    assert_eq!(errors.len(), 1, "{errors:?}");
    assert_eq!(errors[0].0, "src/b.rs");
    assert!(
        errors[0]
            .1
            .starts_with("reverted: does not compile: error: broken on purpose"),
        "{errors:?}"
    );
    // b.rs's finding is still there, so findings remain.
    assert_eq!(output.status.code(), Some(1), "{output:?}");
    // Issue 14: JSON lists what was kept and what was rolled back, and one outcome per workspace
    // for the one package checked.
    let json: Value = serde_json::from_slice(&output.stdout).expect("JSON output");
    let applied: Vec<&str> = json["applied_fixes"]
        .as_array()
        .unwrap()
        .iter()
        .map(|f| f["path"].as_str().unwrap())
        .collect();
    assert_eq!(applied, ["src/a.rs"], "{json}");
    let rolled_back = json["rolled_back_fixes"].as_array().unwrap();
    assert_eq!(rolled_back.len(), 1, "{json}");
    assert_eq!(rolled_back[0]["path"], "src/b.rs");
    assert_eq!(rolled_back[0]["rule"], "guard-across-await");
    let verify = json["verify"].as_array().unwrap();
    assert_eq!(verify.len(), 1, "{json}");
    assert_eq!(
        verify[0]["command"],
        "cargo check -p fixture --all-targets --keep-going"
    );
    assert_eq!(verify[0]["kept"], 1);
    assert_eq!(verify[0]["reverted"], 1);
    assert_eq!(verify[0]["passed"], false);

    // What is left compiles, and a second verified run fixes b.rs (no hook now).
    let output = lockfix(root, &args, None);
    assert!(errors_of_ok(&output).is_empty(), "{output:?}");
    assert_eq!(output.status.code(), Some(0));
    let json: Value = serde_json::from_slice(&output.stdout).expect("JSON output");
    assert_eq!(json["verify"][0]["passed"], true, "{json}");
    // The human output says so in one line.
    let dir2 = tempfile::tempdir().unwrap();
    crate_with(dir2.path(), "mod a;\n", &[("a.rs", TICK)]);
    let output = lockfix(dir2.path(), &["--apply", "--verify", "--allow-dirty"], None);
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(
        stderr.contains(
            "`cargo check -p fixture --all-targets --keep-going` passed, 1 written file kept"
        ),
        "{stderr}"
    );
    assert!(
        fs::read_to_string(root.join("src/b.rs"))
            .unwrap()
            .contains("let n = {")
    );
}

fn errors_of_ok(output: &Output) -> Vec<(String, String)> {
    errors(output)
}

#[test]
fn a_build_red_before_lockfix_is_compared_by_error_count() {
    let dir = tempfile::tempdir().unwrap();
    let root = dir.path();
    let broken = "pub fn broken() -> u32 { \"not a number\" }\n";
    crate_with(
        root,
        "mod a;\nmod c;\n",
        &[("a.rs", TICK), ("c.rs", broken)],
    );
    let args = ["--apply", "--verify", "--allow-dirty", "--format", "json"];
    let output = lockfix(root, &args, None);
    let errors = errors(&output);
    assert!(
        errors
            .iter()
            .any(|(_, message)| message.contains("already red before lockfix (1 error)")),
        "{errors:?}"
    );
    assert!(
        !errors.iter().any(|(_, m)| m.starts_with("reverted")),
        "{errors:?}"
    );
    assert!(
        fs::read_to_string(root.join("src/a.rs"))
            .unwrap()
            .contains("let n = {")
    );
}

#[test]
fn verify_needs_a_writing_mode() {
    let dir = tempfile::tempdir().unwrap();
    let output = lockfix(dir.path(), &["--verify"], None);
    assert_eq!(output.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&output.stderr).contains("--verify checks what was written"));
}
