//! Bounded property tests (proptest) over arbitrary bytes and over mutations of the fixtures: the
//! analysis never panics, every fix that lands re-parses, and a second run offers nothing. The
//! case counts keep this to seconds; `PROPTEST_CASES=100000 cargo test --release --test properties`
//! runs a longer campaign locally.

use std::path::PathBuf;

use lockfix::fix::analysis::catch_panic;
use lockfix::fix::fix_loop::{Decision, FixOutcome, fix_source};
use lockfix_transforms::{Edition, Options, syntax_error_count};
use proptest::prelude::*;

fn fixtures() -> Vec<String> {
    let root = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("transforms/fixtures");
    let mut texts = Vec::new();
    for rule in std::fs::read_dir(root).unwrap() {
        for file in std::fs::read_dir(rule.unwrap().path()).unwrap() {
            let path = file.unwrap().path();
            if path.extension().is_some_and(|ext| ext == "rs") {
                texts.push(std::fs::read_to_string(path).unwrap());
            }
        }
    }
    texts.sort();
    texts
}

/// Runs the fix loop with every fix accepted, checking the properties; panics (fails the case)
/// with a message naming what broke.
fn check(text: &str) {
    let options = Options::all_rules(Edition::Edition2021);
    let run = |text: &str| -> FixOutcome {
        let outcome = catch_panic(|| fix_source(text, &options, true, &mut |_, _| Decision::Apply))
            .and_then(|outcome| outcome);
        outcome
            .unwrap_or_else(|panic| panic!("the analysis panicked: {panic}\n--- input ---\n{text}"))
    };
    let first = run(text);
    assert!(
        first.dropped.is_empty(),
        "fixes were dropped: {:?}\n--- input ---\n{text}",
        first.dropped
    );
    if !first.changed() {
        return;
    }
    assert!(first.converged, "did not converge\n--- input ---\n{text}");
    assert_eq!(
        syntax_error_count(&first.text, Edition::Edition2021),
        0,
        "a fix broke the syntax\n--- input ---\n{text}\n--- fixed ---\n{}",
        first.text
    );
    let second = run(&first.text);
    assert!(
        !second.changed(),
        "the second pass applied {:?}\n--- fixed ---\n{}",
        second.applied,
        first.text
    );
}

#[derive(Debug, Clone)]
enum Mutation {
    Delete { at: usize, len: usize },
    Duplicate { at: usize, len: usize, to: usize },
    Insert { at: usize, snippet: &'static str },
}

const SNIPPETS: &[&str] = &[
    ".await",
    "{",
    "}",
    "(",
    ")",
    ";",
    "drop(g);",
    "let g = m.lock().unwrap();",
    ".write().await",
    ".read().unwrap()",
    "async move ",
    "if let Ok(g) = m.lock() {",
    "\r\n",
    "return;",
    "loop {",
    "match x.lock().unwrap().get(0) {",
    "tokio::spawn(async {});",
    "'a: ",
    "#[allow(clippy::await_holding_lock)]",
    "//",
    "/*",
    "\"",
    "r#\"",
    "'",
    "?",
    "\u{e9}",
];

fn mutation() -> impl Strategy<Value = Mutation> {
    prop_oneof![
        (any::<usize>(), 1usize..40).prop_map(|(at, len)| Mutation::Delete { at, len }),
        (any::<usize>(), 1usize..200, any::<usize>())
            .prop_map(|(at, len, to)| Mutation::Duplicate { at, len, to }),
        (any::<usize>(), proptest::sample::select(SNIPPETS))
            .prop_map(|(at, snippet)| Mutation::Insert { at, snippet }),
    ]
}

/// The nearest char boundary at or before `at % (len + 1)`.
fn boundary(text: &str, at: usize) -> usize {
    let mut at = at % (text.len() + 1);
    while !text.is_char_boundary(at) {
        at -= 1;
    }
    at
}

fn mutate(text: &str, mutations: &[Mutation]) -> String {
    let mut text = text.to_owned();
    for mutation in mutations {
        match *mutation {
            Mutation::Delete { at, len } => {
                let start = boundary(&text, at);
                let end = boundary(&text, start + len.min(text.len() - start));
                text.replace_range(start..end.max(start), "");
            }
            Mutation::Duplicate { at, len, to } => {
                let start = boundary(&text, at);
                let end = boundary(&text, start + len.min(text.len() - start)).max(start);
                let piece = text[start..end].to_owned();
                let to = boundary(&text, to);
                text.insert_str(to, &piece);
            }
            Mutation::Insert { at, snippet } => {
                let at = boundary(&text, at);
                text.insert_str(at, snippet);
            }
        }
    }
    text
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 48, failure_persistence: None, ..ProptestConfig::default() })]

    #[test]
    fn arbitrary_bytes(bytes in proptest::collection::vec(any::<u8>(), 0..400)) {
        check(&String::from_utf8_lossy(&bytes));
    }

    #[test]
    fn mutated_fixtures(
        index in any::<proptest::sample::Index>(),
        mutations in proptest::collection::vec(mutation(), 1..4),
    ) {
        let fixtures = fixtures();
        let text = &fixtures[index.index(fixtures.len())];
        check(&mutate(text, &mutations));
    }
}

/// Every input the fuzzer found a bug with (`tests/fuzz-regressions/`) passes the checks now.
#[test]
fn fuzz_regressions() {
    let root = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("tests/fuzz-regressions");
    let mut checked = 0;
    for entry in std::fs::read_dir(root).unwrap() {
        let path = entry.unwrap().path();
        if path.extension().is_some_and(|ext| ext == "rs") {
            // Kept as found: not necessarily UTF-8, as the fuzz target sees them.
            check(&String::from_utf8_lossy(&std::fs::read(&path).unwrap()));
            checked += 1;
        }
    }
    assert!(checked > 0, "no regression inputs found");
}
