//! What the fixture tests share: finding the fixtures, their editions, and fixing them the way
//! `lockfix --apply --unsafe-fixes` does.

#![allow(dead_code)]

use std::path::{Path, PathBuf};

use lockfix::fix::fix_loop::{Decision, FixOutcome, fix_source};
use lockfix_transforms::{Edition, Options};

/// A fixture's first lines may say `// lockfix-fixture: edition=2024` or `no-compile`.
pub struct Fixture {
    pub path: PathBuf,
    /// `guard_across_await/seed_000_fluvio`, used as the snapshot name.
    pub name: String,
    pub text: String,
    pub edition: Edition,
    pub compiles: bool,
}

pub fn fixtures() -> Vec<Fixture> {
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("transforms/fixtures");
    let mut paths = Vec::new();
    for rule_dir in std::fs::read_dir(&root)
        .expect("transforms/fixtures exists")
        .flatten()
    {
        if !rule_dir.path().is_dir() {
            continue;
        }
        for file in std::fs::read_dir(rule_dir.path())
            .expect("readable fixture folder")
            .flatten()
        {
            if file.path().extension().is_some_and(|e| e == "rs") {
                paths.push(file.path());
            }
        }
    }
    // While working on one transform: `LOCKFIX_FIXTURES=read_then_write cargo test --test fixtures`.
    if let Ok(only) = std::env::var("LOCKFIX_FIXTURES") {
        let folders: Vec<&str> = only.split(',').map(str::trim).collect();
        paths.retain(|p| {
            p.parent()
                .and_then(|d| d.file_name())
                .is_some_and(|d| folders.iter().any(|f| d == *f))
        });
    }
    paths.sort();
    paths
        .into_iter()
        .map(|path| {
            let text = std::fs::read_to_string(&path).expect("fixtures are UTF-8");
            let header: Vec<&str> = text
                .lines()
                .take_while(|l| l.starts_with("// lockfix-fixture:"))
                .collect();
            let edition = if header.iter().any(|l| l.contains("edition=2024")) {
                Edition::Edition2024
            } else {
                Edition::Edition2021
            };
            let compiles = !header.iter().any(|l| l.contains("no-compile"));
            let rule = path
                .parent()
                .and_then(|p| p.file_name())
                .map(|n| n.to_string_lossy().to_string());
            let stem = path.file_stem().map(|n| n.to_string_lossy().to_string());
            let name = format!("{}__{}", rule.unwrap_or_default(), stem.unwrap_or_default());
            Fixture {
                path,
                name,
                text,
                edition,
                compiles,
            }
        })
        .collect()
}

/// Apply every fix, safe and unsafe, until nothing changes.
pub fn fix_all(text: &str, edition: Edition) -> FixOutcome {
    let options = Options::all_rules(edition);
    fix_source(text, &options, true, &mut |_, _| Decision::Apply).expect("analysis does not panic")
}

/// A file the guard-across-await transform reports (error severity) with a safe fix: the CLI
/// tests' standard input.
pub const TICK: &str = r#"pub async fn tick(m: &std::sync::Mutex<Vec<u32>>) {
    let g = m.lock().unwrap();
    let n = g.len();
    tokio::task::yield_now().await;
    println!("{n}");
}
"#;

/// [`TICK`] after the fix.
pub const TICK_FIXED: &str = r#"pub async fn tick(m: &std::sync::Mutex<Vec<u32>>) {
    let n = {
        let g = m.lock().unwrap();
        g.len()
    };
    tokio::task::yield_now().await;
    println!("{n}");
}
"#;

/// Runs the built lockfix in `dir`, without colours whatever the environment says.
pub fn lockfix(dir: &Path, args: &[&str]) -> std::process::Output {
    std::process::Command::new(env!("CARGO_BIN_EXE_lockfix"))
        .args(args)
        .current_dir(dir)
        .env("NO_COLOR", "1")
        .env_remove("CLICOLOR_FORCE")
        .output()
        .expect("lockfix runs")
}
