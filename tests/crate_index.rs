//! The crate index across the files of one package: a guard-returning getter in one file, the
//! loop that holds its guard while calling a method that locks again in another.

use std::fs;
use std::path::Path;
use std::process::Command;

use serde_json::Value;

const STATS: &str = "use std::collections::BTreeMap;
use std::sync::{RwLock, RwLockReadGuard};

pub struct Status {
    inputs: RwLock<BTreeMap<u64, bool>>,
}

impl Status {
    pub fn inputs(&self) -> RwLockReadGuard<'_, BTreeMap<u64, bool>> {
        self.inputs.read().unwrap()
    }

    pub fn paused(&self, id: &u64) -> bool {
        self.inputs.read().unwrap().get(id).copied().unwrap_or(false)
    }
}
";

const CONTROLLER: &str = "use std::sync::Arc;

use crate::stats::Status;

pub struct Controller {
    status: Arc<Status>,
}

pub fn backpressure(controller: Arc<Controller>) {
    for (id, _) in controller.status.inputs().iter() {
        if controller.status.paused(id) {
            println!(\"{id}\");
        }
    }
}
";

fn package(dir: &Path, manifest: bool) {
    fs::create_dir_all(dir.join("src")).unwrap();
    if manifest {
        fs::write(
            dir.join("Cargo.toml"),
            "[package]\nname = \"p\"\nversion = \"0.1.0\"\nedition = \"2021\"\n",
        )
        .unwrap();
    }
    fs::write(
        dir.join("src/lib.rs"),
        "pub mod controller;\npub mod stats;\n",
    )
    .unwrap();
    fs::write(dir.join("src/stats.rs"), STATS).unwrap();
    fs::write(dir.join("src/controller.rs"), CONTROLLER).unwrap();
    // Not Rust, but named like it (a code generator's template): it mentions `inputs(` and has
    // no lock, so the first look skips it and the index must not make it an error.
    fs::write(
        dir.join("src/template.rs"),
        "{{ for x in inputs() }} {{ end }}\n",
    )
    .unwrap();
}

fn scan(dir: &Path) -> Value {
    let output = Command::new(env!("CARGO_BIN_EXE_lockfix"))
        .args(["--dry-run", "--semantic", "off", "--format", "json", "."])
        .current_dir(dir)
        .output()
        .expect("lockfix runs");
    serde_json::from_slice(&output.stdout).unwrap_or_else(|_| panic!("JSON output: {output:?}"))
}

#[test]
fn a_relock_through_another_files_getter_is_found_in_a_package() {
    let dir = tempfile::tempdir().unwrap();
    package(dir.path(), true);
    let json = scan(dir.path());
    let findings = json["findings"].as_array().unwrap();
    assert_eq!(findings.len(), 1, "{json:#}");
    assert_eq!(findings[0]["path"], "src/controller.rs");
    assert_eq!(findings[0]["line"], 10);
    assert_eq!(findings[0]["rule"], "read-then-write");
    let labels = findings[0]["labels"].to_string();
    assert!(labels.contains("src/stats.rs:14"), "{labels}");
    assert_eq!(json["errors"], Value::Array(Vec::new()), "{json:#}");
}

#[test]
fn loose_files_without_a_manifest_get_no_index() {
    let dir = tempfile::tempdir().unwrap();
    package(dir.path(), false);
    let json = scan(dir.path());
    assert_eq!(json["findings"], Value::Array(Vec::new()), "{json:#}");
}
