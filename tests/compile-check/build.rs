//! Generates one `mod` item per fixture so the harness never edits a committed file.
//!
//! Fixtures come from `src/fixtures/` (git-ignored) or, when set, from the directory named by
//! `LOCKFIX_FIXTURE_DIR`. A fixture whose first line is `// lockfix-fixture: no-compile` is skipped.
//! Module names are the file stems with anything that is not an identifier character replaced by
//! `_` (and a leading `f_` when the stem starts with a digit), so `000-fluvio.rs` becomes `f_000_fluvio`.

use std::env;
use std::fmt::Write as _;
use std::fs;
use std::path::PathBuf;

const NO_COMPILE: &str = "// lockfix-fixture: no-compile";

fn main() {
    println!("cargo:rerun-if-env-changed=LOCKFIX_FIXTURE_DIR");
    let dir = match env::var_os("LOCKFIX_FIXTURE_DIR") {
        Some(dir) => PathBuf::from(dir),
        None => PathBuf::from(env::var_os("CARGO_MANIFEST_DIR").unwrap()).join("src/fixtures"),
    };
    println!("cargo:rerun-if-changed={}", dir.display());

    let mut files: Vec<PathBuf> = match fs::read_dir(&dir) {
        Ok(entries) => entries
            .filter_map(|e| e.ok().map(|e| e.path()))
            .filter(|p| p.extension().is_some_and(|x| x == "rs"))
            .collect(),
        Err(_) => Vec::new(),
    };
    files.sort();

    let mut out = String::new();
    for path in files {
        let text = fs::read_to_string(&path).unwrap_or_default();
        if text.lines().next().is_some_and(|l| l.trim_end() == NO_COMPILE) {
            continue;
        }
        let stem = path.file_stem().unwrap().to_string_lossy();
        let mut name: String =
            stem.chars().map(|c| if c.is_ascii_alphanumeric() || c == '_' { c } else { '_' }).collect();
        if name.starts_with(|c: char| c.is_ascii_digit()) {
            name.insert_str(0, "f_");
        }
        let abs = fs::canonicalize(&path).unwrap_or(path);
        writeln!(out, "#[path = {:?}]\npub mod {name};", abs.display().to_string()).unwrap();
    }
    let dest = PathBuf::from(env::var_os("OUT_DIR").unwrap()).join("fixtures.rs");
    fs::write(dest, out).unwrap();
}
