//! Project tidiness that a reviewer would otherwise have to remember: the README's rule table is
//! generated from the transforms' own docs, and every transform has fixtures and snapshots.

use std::path::Path;

use lockfix_transforms::rule_docs;

const TABLE_START: &str =
    "<!-- rules:start (generated from the transforms' docs; tests/tidy.rs checks it) -->";
const TABLE_END: &str = "<!-- rules:end -->";

fn root() -> &'static Path {
    Path::new(env!("CARGO_MANIFEST_DIR"))
}

fn rule_table() -> String {
    let mut table = String::from("| rule | what it reports |\n|---|---|\n");
    for doc in rule_docs() {
        table.push_str(&format!("| `{}` | {} |\n", doc.id, doc.summary));
    }
    table
}

#[test]
fn readme_rule_table_is_current() {
    let readme = std::fs::read_to_string(root().join("README.md")).expect("README.md");
    let start = readme
        .find(TABLE_START)
        .expect("README has the rules:start marker")
        + TABLE_START.len();
    let end = readme
        .find(TABLE_END)
        .expect("README has the rules:end marker");
    let current = readme[start..end].trim();
    let expected = rule_table();
    assert_eq!(
        current,
        expected.trim(),
        "README rule table is stale; replace it with:\n{expected}"
    );
}

#[test]
fn every_transform_has_fixtures_and_snapshots() {
    for doc in rule_docs() {
        let folder = doc.id.as_str().replace('-', "_");
        let dir = root().join("transforms/fixtures").join(&folder);
        let fixtures: Vec<_> = std::fs::read_dir(&dir)
            .unwrap_or_else(|_| panic!("{} has no fixture folder {}", doc.id, dir.display()))
            .flatten()
            .filter(|e| e.path().extension().is_some_and(|x| x == "rs"))
            .collect();
        assert!(
            !fixtures.is_empty(),
            "{} has no fixtures in {}",
            doc.id,
            dir.display()
        );
        for fixture in fixtures {
            let stem = fixture
                .path()
                .file_stem()
                .map(|s| s.to_string_lossy().to_string())
                .unwrap_or_default();
            let snapshot = root()
                .join("tests/snapshots")
                .join(format!("{folder}__{stem}.snap"));
            assert!(
                snapshot.exists(),
                "fixture {} has no snapshot {}",
                fixture.path().display(),
                snapshot.display()
            );
        }
    }
}

#[test]
fn every_rule_documents_the_expected_sections() {
    for doc in rule_docs() {
        for section in [
            "## What it does",
            "## Why is this bad?",
            "## Example",
            "## Use instead",
            "## Fix safety",
            "## Known problems",
        ] {
            assert!(
                doc.explanation.contains(section),
                "{}'s docs lack `{section}`",
                doc.id
            );
        }
    }
}

/// Issue 16: the documentation URL of every rule (JSON `url`, SARIF `helpUri`) names a file
/// that exists in the repository.
#[test]
fn every_rule_documentation_url_names_a_file_of_the_repository() {
    for doc in rule_docs() {
        let url = lockfix::input::rules::doc_url(doc.id);
        let path = url
            .strip_prefix(&format!("{}/blob/main/", lockfix::input::rules::REPOSITORY))
            .unwrap_or_else(|| panic!("{url}"));
        assert!(root().join(path).is_file(), "{url}");
    }
}

/// The stages of `src/`, in the order their dependencies may point (a module may use modules of
/// its own stage or of an earlier one): `lib.rs` says why this order.
const STAGES: &[&str] = &[
    "report", "input", "fix", "output", "write", "run", "server", "cli",
];

/// Every `.rs` file under `dir`, recursively, as paths relative to `dir`.
fn rust_files(dir: &Path) -> Vec<std::path::PathBuf> {
    let mut files = Vec::new();
    let mut pending = vec![dir.to_path_buf()];
    while let Some(current) = pending.pop() {
        for entry in std::fs::read_dir(&current)
            .expect("readable directory")
            .flatten()
        {
            let path = entry.path();
            if path.is_dir() {
                pending.push(path);
            } else if path.extension().is_some_and(|x| x == "rs") {
                files.push(path.strip_prefix(dir).expect("under dir").to_path_buf());
            }
        }
    }
    files.sort();
    files
}

/// `fix/engine.rs` → `fix::engine`, `fix/mod.rs` → `fix`; `None` for the crate root and binaries.
fn module_of(relative: &Path) -> Option<String> {
    let text = relative.to_string_lossy().replace('\\', "/");
    let text = text.strip_suffix(".rs")?;
    let text = text.strip_suffix("/mod").unwrap_or(text);
    if matches!(text, "lib" | "main") || text.starts_with("bin/") {
        return None;
    }
    Some(text.replace('/', "::"))
}

/// The modules of `src/` each module's code names through `crate::…` (comments left out), not
/// counting its own parents and children.
fn module_uses() -> std::collections::BTreeMap<String, std::collections::BTreeSet<String>> {
    let src = root().join("src");
    let files = rust_files(&src);
    let modules: Vec<String> = files.iter().filter_map(|f| module_of(f)).collect();
    let mut uses = std::collections::BTreeMap::new();
    for file in &files {
        let Some(module) = module_of(file) else {
            continue;
        };
        let text = std::fs::read_to_string(src.join(file)).expect("readable source");
        let mut used = std::collections::BTreeSet::new();
        for line in text.lines() {
            let code = line.split("//").next().unwrap_or("");
            for (at, _) in code.match_indices("crate::") {
                let path: String = code[at + "crate::".len()..]
                    .chars()
                    .take_while(|c| c.is_alphanumeric() || *c == '_' || *c == ':')
                    .collect();
                // The longest module the path names.
                let target = modules
                    .iter()
                    .filter(|m| path == **m || path.starts_with(&format!("{m}::")))
                    .max_by_key(|m| m.len());
                if let Some(target) = target {
                    let related = target.starts_with(&format!("{module}::"))
                        || module.starts_with(&format!("{target}::"))
                        || *target == module;
                    if !related {
                        used.insert(target.clone());
                    }
                }
            }
        }
        uses.insert(module, used);
    }
    uses
}

/// Issue 17: `src/` reads as its pipeline. Its top level holds `lib.rs`, `main.rs`, `run.rs`
/// and stage folders only; no module depends on a later stage, so no two modules depend on each
/// other.
#[test]
fn src_is_grouped_by_stage_and_dependencies_point_backwards() {
    for entry in std::fs::read_dir(root().join("src"))
        .expect("src")
        .flatten()
    {
        let name = entry.file_name().to_string_lossy().to_string();
        let allowed = ["lib.rs", "main.rs", "run.rs", "bin"].contains(&name.as_str())
            || STAGES.contains(&name.as_str());
        assert!(
            allowed,
            "src/{name} is neither a stage folder nor lib/main/run.rs"
        );
    }
    let stage = |module: &str| {
        let first = module.split("::").next().unwrap_or(module);
        STAGES
            .iter()
            .position(|s| *s == first)
            .unwrap_or_else(|| panic!("module {module} is in no stage"))
    };
    let mut backwards = Vec::new();
    for (module, used) in module_uses() {
        for target in used {
            if stage(&target) > stage(&module) {
                backwards.push(format!("{module} uses {target}"));
            }
        }
    }
    assert!(
        backwards.is_empty(),
        "dependencies on a later stage (see STAGES):\n{}",
        backwards.join("\n")
    );
}

/// No two modules of `src/` depend on each other, through any number of steps.
#[test]
fn src_modules_form_no_cycle() {
    let uses = module_uses();
    // Depth-first search with the path on a stack; a module reached again on the path is a cycle.
    fn visit(
        module: &str,
        uses: &std::collections::BTreeMap<String, std::collections::BTreeSet<String>>,
        path: &mut Vec<String>,
        done: &mut std::collections::BTreeSet<String>,
    ) -> Option<Vec<String>> {
        if let Some(at) = path.iter().position(|m| m == module) {
            let mut cycle = path[at..].to_vec();
            cycle.push(module.to_owned());
            return Some(cycle);
        }
        if done.contains(module) {
            return None;
        }
        path.push(module.to_owned());
        for next in uses.get(module).into_iter().flatten() {
            if let Some(cycle) = visit(next, uses, path, done) {
                return Some(cycle);
            }
        }
        path.pop();
        done.insert(module.to_owned());
        None
    }
    let mut done = std::collections::BTreeSet::new();
    for module in uses.keys() {
        if let Some(cycle) = visit(module, &uses, &mut Vec::new(), &mut done) {
            panic!("module cycle: {}", cycle.join(" -> "));
        }
    }
}

/// Issue 17: no source file outside fixtures and stubs grows past what a reader can hold;
/// split a longer one by step, as `fixes/phase_split/` is.
#[test]
fn no_source_file_is_over_800_lines() {
    const LIMIT: usize = 800;
    let mut long = Vec::new();
    for dir in ["src", "transforms/src", "semantic/src", "tests", "benches"] {
        for file in rust_files(&root().join(dir)) {
            let shown = format!("{dir}/{}", file.display());
            // Fixtures are inputs written to reproduce a shape, not code to maintain.
            if shown.contains("fixtures/") || shown.contains("compile-check/") {
                continue;
            }
            let lines = std::fs::read_to_string(root().join(dir).join(&file))
                .expect("readable source")
                .lines()
                .count();
            if lines > LIMIT {
                long.push(format!("{shown}: {lines} lines"));
            }
        }
    }
    assert!(long.is_empty(), "over {LIMIT} lines:\n{}", long.join("\n"));
}
