//! Helpers for the transforms' inline tests: analyse a snippet, apply the first fix, read a code
//! block out of a rule's documentation.

use crate::model::{Finding, RuleDoc, RuleId, TextEdit};
use crate::{Edition, Options, analyze};

pub fn findings(src: &str, rule: RuleId) -> Vec<Finding> {
    let options = Options {
        edition: Edition::Edition2021,
        rules: vec![rule],
        extra: Default::default(),
        facts: None,
        test_file: false,
        crate_index: None,
    };
    analyze(src, &options).findings
}

/// `src` with the fix of its only finding applied.
pub fn fixed(src: &str, rule: RuleId) -> String {
    let found = findings(src, rule);
    assert_eq!(found.len(), 1, "expected one finding, got {found:#?}");
    let fix = found[0].fix.as_ref().expect("the finding has a fix");
    let mut edits: Vec<&TextEdit> = fix.edits.iter().collect();
    edits.sort_by_key(|e| std::cmp::Reverse(e.range.start));
    let mut out = src.to_string();
    for edit in edits {
        out.replace_range(edit.range.clone(), &edit.replacement);
    }
    out
}

/// The first ```rust block after `heading` in a rule's documentation.
pub fn code_block(doc: &str, heading: &str) -> String {
    let section = &doc[doc.find(heading).expect("heading present")..];
    let start = section.find("```rust\n").expect("code block") + "```rust\n".len();
    let end = section[start..].find("```").expect("closed code block") + start;
    section[start..end].to_string()
}

/// The rule's documented Example and Use instead, each put in context by `wrap` (the scaffolding
/// that declares the types the snippet uses).
pub fn documented_example(doc: &RuleDoc, wrap: impl Fn(&str) -> String) -> (String, String) {
    (
        wrap(&code_block(doc.explanation, "## Example")),
        wrap(&code_block(doc.explanation, "## Use instead")),
    )
}

/// The documented Example, fixed, is exactly the documented Use instead, which is itself clean:
/// the docs cannot drift from what the transform does.
pub fn assert_documented_fix(doc: &RuleDoc, wrap: impl Fn(&str) -> String) {
    let (before, after) = documented_example(doc, wrap);
    assert_eq!(fixed(&before, doc.id), after);
    assert!(
        findings(&after, doc.id).is_empty(),
        "the documented fix is reported again"
    );
}
