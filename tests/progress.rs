//! The progress bar: shown on a terminal for a big tree, absent from the JSON document.

use std::fs;
use std::process::Command;

use rexpect::session::spawn_command;

/// Enough files to pass the bar's threshold; each holds a lock, so each is parsed.
fn big_tree() -> tempfile::TempDir {
    let dir = tempfile::tempdir().unwrap();
    for i in 0..600 {
        fs::write(
            dir.path().join(format!("f{i}.rs")),
            "fn f(m: &std::sync::Mutex<u32>) -> u32 {\n    *m.lock().unwrap()\n}\n",
        )
        .unwrap();
    }
    dir
}

#[test]
fn a_bar_on_a_terminal_and_none_in_json() {
    let dir = big_tree();
    let mut command = Command::new(env!("CARGO_BIN_EXE_lockfix"));
    command.current_dir(dir.path()).arg("--statistics");
    let mut session = spawn_command(command, Some(30_000)).expect("lockfix starts in a pty");
    session.exp_string("/600 files").expect("a progress bar");
    session.exp_string("no findings").expect("the run ends");

    let output = Command::new(env!("CARGO_BIN_EXE_lockfix"))
        .current_dir(dir.path())
        .args(["--format", "json"])
        .output()
        .unwrap();
    assert!(
        output.stderr.is_empty(),
        "{}",
        String::from_utf8_lossy(&output.stderr)
    );
    let report: serde_json::Value = serde_json::from_slice(&output.stdout).unwrap();
    assert_eq!(report["files_scanned"], 600);
}
