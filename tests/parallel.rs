//! Files are analysed in parallel; the report must not depend on it. rayon reads
//! `RAYON_NUM_THREADS`, so the same run on one thread is the serial reference.

use std::process::Command;

fn run(threads: &str) -> String {
    let fixtures = concat!(env!("CARGO_MANIFEST_DIR"), "/transforms/fixtures");
    let output = Command::new(env!("CARGO_BIN_EXE_lockfix"))
        .args(["--dry-run", "--unsafe-fixes", "--format", "json", fixtures])
        .env("RAYON_NUM_THREADS", threads)
        .output()
        .expect("lockfix runs");
    assert_eq!(output.status.code(), Some(1), "the fixtures have findings");
    String::from_utf8(output.stdout).expect("JSON is UTF-8")
}

#[test]
fn parallel_output_equals_serial_output() {
    let serial = run("1");
    assert!(serial.contains("guard-across-await"));
    assert_eq!(run("4"), serial);
}
