//! `lockfix -i` driven through a real pseudo-terminal: single key presses, raw mode and all.
#![cfg(unix)]

mod cli_support;
mod common;

use std::fs;
use std::path::Path;
use std::process::Command;

use cli_support::read;
use common::{TICK, TICK_FIXED};
use rexpect::process::wait::WaitStatus;
use rexpect::session::{PtySession, spawn_command};

const PROMPT: &str = "Apply this fix? [y,n,a,A,d,q,?]";

fn spawn(dir: &Path, args: &[&str]) -> PtySession {
    let mut command = Command::new(env!("CARGO_BIN_EXE_lockfix"));
    command
        .args(["-i", "--allow-dirty"])
        .args(args)
        .current_dir(dir)
        .env("NO_COLOR", "1");
    spawn_command(command, Some(20_000)).expect("lockfix starts in a pty")
}

/// Waits for the end of the session and returns the exit code.
fn finish(mut session: PtySession) -> i32 {
    session.exp_eof().expect("lockfix exits");
    match session.process.wait().expect("exit status") {
        WaitStatus::Exited(_, code) => code,
        other => panic!("lockfix did not exit normally: {other:?}"),
    }
}

fn write_files(dir: &Path, names: &[&str]) {
    for name in names {
        fs::write(
            dir.join(name),
            TICK.replace("tick", name.trim_end_matches(".rs")),
        )
        .unwrap();
    }
}

#[test]
fn yes_applies_and_writes() {
    let dir = tempfile::tempdir().unwrap();
    fs::write(dir.path().join("tick.rs"), TICK).unwrap();
    let mut session = spawn(dir.path(), &[]);
    session
        .exp_string("guard-across-await (safe fix) tick.rs:2:")
        .unwrap();
    session
        .exp_string("+        let g = m.lock().unwrap();")
        .unwrap();
    session.exp_string(PROMPT).unwrap();
    session.send("y").unwrap();
    session.flush().unwrap();
    assert_eq!(finish(session), 0);
    assert_eq!(read(dir.path(), "tick.rs"), TICK_FIXED);
}

#[test]
fn help_then_no_writes_nothing() {
    let dir = tempfile::tempdir().unwrap();
    fs::write(dir.path().join("tick.rs"), TICK).unwrap();
    let mut session = spawn(dir.path(), &[]);
    session.exp_string(PROMPT).unwrap();
    session.send("?").unwrap();
    session.flush().unwrap();
    session
        .exp_string("d - skip the remaining fixes in this file")
        .unwrap();
    session.exp_string(PROMPT).unwrap();
    session.send("n").unwrap();
    session.flush().unwrap();
    assert_eq!(finish(session), 1, "the declined finding remains");
    assert_eq!(read(dir.path(), "tick.rs"), TICK);
}

#[test]
fn quit_keeps_what_was_accepted() {
    let dir = tempfile::tempdir().unwrap();
    write_files(dir.path(), &["a.rs", "b.rs", "c.rs"]);
    let mut session = spawn(dir.path(), &[]);
    session.exp_string("a.rs:2:").unwrap();
    session.exp_string(PROMPT).unwrap();
    session.send("y").unwrap();
    session.flush().unwrap();
    session.exp_string("b.rs:2:").unwrap();
    session.exp_string(PROMPT).unwrap();
    session.send("q").unwrap();
    session.flush().unwrap();
    assert_eq!(finish(session), 1, "b.rs and c.rs still have findings");
    assert_eq!(read(dir.path(), "a.rs"), TICK_FIXED.replace("tick", "a"));
    assert_eq!(read(dir.path(), "b.rs"), TICK.replace("tick", "b"));
    assert_eq!(read(dir.path(), "c.rs"), TICK.replace("tick", "c"));
}

#[test]
fn all_applies_everything_that_remains() {
    let dir = tempfile::tempdir().unwrap();
    write_files(dir.path(), &["a.rs", "b.rs"]);
    let mut session = spawn(dir.path(), &[]);
    session.exp_string(PROMPT).unwrap();
    session.send("A").unwrap();
    session.flush().unwrap();
    assert_eq!(finish(session), 0);
    assert_eq!(read(dir.path(), "a.rs"), TICK_FIXED.replace("tick", "a"));
    assert_eq!(read(dir.path(), "b.rs"), TICK_FIXED.replace("tick", "b"));
}

/// Issue 16: a line before the first question, a `(k/N)` counter, help after an unknown key,
/// and `a` scoped to the rest of the file (as in `git add -p`).
#[test]
fn counter_unknown_key_help_and_a_for_this_file_only() {
    let dir = tempfile::tempdir().unwrap();
    write_files(dir.path(), &["a.rs", "b.rs"]);
    let mut session = spawn(dir.path(), &[]);
    session
        .exp_string("loading and analysing the files")
        .unwrap();
    session.exp_string("a.rs:2:").unwrap();
    session.exp_string("(1/2) ").unwrap();
    session.exp_string(PROMPT).unwrap();
    session.send("x").unwrap();
    session.flush().unwrap();
    session.exp_string("that key means nothing here").unwrap();
    session
        .exp_string("A - apply this fix and all remaining fixes in every file")
        .unwrap();
    session.exp_string(PROMPT).unwrap();
    session.send("a").unwrap();
    session.flush().unwrap();
    // `a` covered a.rs only: b.rs is asked about.
    session.exp_string("b.rs:2:").unwrap();
    session.exp_string("(2/2) ").unwrap();
    session.exp_string(PROMPT).unwrap();
    session.send("n").unwrap();
    session.flush().unwrap();
    assert_eq!(finish(session), 1);
    assert_eq!(read(dir.path(), "a.rs"), TICK_FIXED.replace("tick", "a"));
    assert_eq!(read(dir.path(), "b.rs"), TICK.replace("tick", "b"));
}

#[test]
fn ctrl_c_aborts_without_writing() {
    let dir = tempfile::tempdir().unwrap();
    write_files(dir.path(), &["a.rs", "b.rs"]);
    let mut session = spawn(dir.path(), &[]);
    session.exp_string(PROMPT).unwrap();
    session.send("y").unwrap();
    session.flush().unwrap();
    session.exp_string("b.rs:2:").unwrap();
    session.exp_string(PROMPT).unwrap();
    session.send_control('c').unwrap();
    assert_eq!(finish(session), 2);
    assert_eq!(read(dir.path(), "a.rs"), TICK.replace("tick", "a"));
}

#[test]
fn dirty_files_are_refused_before_asking() {
    let dir = tempfile::tempdir().unwrap();
    fs::write(dir.path().join("tick.rs"), TICK).unwrap();
    let mut command = Command::new(env!("CARGO_BIN_EXE_lockfix"));
    command
        .arg("-i")
        .current_dir(dir.path())
        .env("NO_COLOR", "1");
    let mut session = spawn_command(command, Some(20_000)).unwrap();
    session.exp_string("not inside a git repository").unwrap();
    assert_eq!(finish(session), 2);
    assert_eq!(read(dir.path(), "tick.rs"), TICK);
}
