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
        let url = lockfix::rules::doc_url(doc.id);
        let path = url
            .strip_prefix(&format!("{}/blob/main/", lockfix::rules::REPOSITORY))
            .unwrap_or_else(|| panic!("{url}"));
        assert!(root().join(path).is_file(), "{url}");
    }
}
