//! lockfix's transforms: the data model, the shared lock-scope analysis, and one module per rule.
//!
//! Everything here is pure: text in, findings and edits out. The `lockfix` crate owns all I/O.

pub mod analysis;
pub mod baseline_key;
pub mod bounded_parse;
pub mod fixes;
pub mod input_limits;
pub mod model;
pub mod prefilter;
pub mod rules;
pub mod suppress;
#[cfg(test)]
mod test_support;

use std::ops::Range;

pub use model::{Applicability, Finding, Fix, Label, RuleDoc, RuleId, Severity, TextEdit};
pub use ra_ap_syntax::Edition;

/// What to analyse a file with.
#[derive(Debug, Clone)]
pub struct Options {
    /// The edition of the crate that owns the file: temporary drop scopes differ between editions.
    pub edition: Edition,
    /// Rules to run. Rules not in the list produce nothing.
    pub rules: Vec<RuleId>,
    /// Entries the user's configuration adds to the blocking and emitter lists.
    pub extra: analysis::effects::Extra,
    /// What the semantic tier resolved about this file, when it ran. Where it has an answer (the
    /// kind of a lock, a helper that returns a guard, a callee in another file that locks), it
    /// replaces the syntax tier's guess, and findings that rest on it say so in [`Finding::tier`].
    pub facts: Option<std::sync::Arc<analysis::SemanticFacts>>,
    /// The file is test code as a whole (under a crate's `tests/` or `benches/`): its findings
    /// are information, as are those inside `#[test]` functions and `#[cfg(test)]` items.
    pub test_file: bool,
    /// What the other files of the file's crate say about the methods it calls
    /// ([`analysis::crate_index`]), when the front end built the index.
    pub crate_index: Option<std::sync::Arc<analysis::crate_index::CrateIndex>>,
}

impl Options {
    /// Every implemented rule, for the given edition.
    pub fn all_rules(edition: Edition) -> Options {
        Options {
            edition,
            rules: implemented_rules(),
            extra: Default::default(),
            facts: None,
            test_file: false,
            crate_index: None,
        }
    }
}

/// The result of analysing one file.
#[derive(Debug, Clone, Default)]
pub struct FileAnalysis {
    /// Sorted by start offset, then rule.
    pub findings: Vec<Finding>,
    /// Parse errors, as reported by the parser. A file with parse errors is analysed but never fixed.
    /// Left empty for files the prefilter does not parse.
    pub syntax_errors: Vec<(Range<usize>, String)>,
    /// `// lockfix: ignore[..]` comments that suppressed nothing.
    pub unused_suppressions: Vec<suppress::UnusedSuppression>,
    /// The syntax tier is unsure about something here that rust-analyzer could settle (see
    /// [`analysis::facts::worth_resolving`]): front ends load the semantic tier only for such files.
    pub wants_semantics: bool,
    /// Part of [`FileAnalysis::wants_semantics`]: the file returns a guard of a kind the syntax
    /// tier cannot name, so rust-analyzer's facts are wanted in the files that call it (front
    /// ends resolve every file of the package then, not only the doubting ones).
    pub semantics_for_callers: bool,
    /// Why the file was parsed but not analysed ([`bounded_parse`]): a per-file message for the
    /// user. Nothing else is filled in then.
    pub not_analysed: Option<String>,
    /// What this file tells the other files of its crate: its structs and its methods' locks
    /// (empty for files without a lock).
    pub summary: analysis::crate_index::FileSummary,
}

/// Analyse one file. May panic inside the parser on pathological input: callers run it under
/// `catch_unwind` (rust-analyzer 0.0.345 panics on at least one real file).
///
/// Files that [`prefilter::may_contain_locks`] rejects are not parsed: they cannot hold a guard, so
/// they have no findings (and no fixes, so their syntax errors do not matter).
pub fn analyze(source: &str, options: &Options) -> FileAnalysis {
    // With facts, a helper returning a guard (`state.guard()`) may be the only acquisition: the
    // prefilter looks for lock-named calls only.
    if options.facts.is_none()
        && options.crate_index.is_none()
        && !prefilter::may_contain_locks(source)
    {
        return FileAnalysis::default();
    }
    analyze_unfiltered(source, options)
}

/// [`analyze`] without the byte-level prefilter: the tests check both give the same findings.
pub fn analyze_unfiltered(source: &str, options: &Options) -> FileAnalysis {
    let facts = options.facts.as_deref();
    use ra_ap_syntax::AstNode;
    let parse = match bounded_parse::parse(source, options.edition) {
        Ok(parse) => parse,
        Err(too_deep) => {
            return FileAnalysis {
                not_analysed: Some(too_deep.message()),
                ..FileAnalysis::default()
            };
        }
    };
    let tree = parse.tree();
    let file = tree.syntax();
    let _value_types = fixes::ownership::ValueTypes::scope(options.facts.clone());
    let mut scopes = analysis::LockScopes::compute_full(
        file,
        options.edition,
        options.extra.lock_types,
        facts,
        options.crate_index.as_ref(),
    );
    let mut summary = std::mem::take(&mut scopes.summary);
    summary.offsets_to_lines(source);
    let ctx = rules::Context {
        text: source,
        file,
        edition: options.edition,
        scopes: &scopes,
        facts,
        extra: options.extra,
        shared: Default::default(),
    };
    let mut findings = Vec::new();
    for transform in rules::REGISTRY {
        if options.rules.contains(&transform.doc.id) {
            (transform.check)(&ctx, &mut findings);
        }
    }
    mark_semantic_findings(&scopes, &mut findings);
    mark_test_code(file, options.test_file, &mut findings);
    let doubts = analysis::facts::worth_resolving(file, &scopes, &summary, &findings);
    let unused_suppressions = suppress::apply(source, file, &options.rules, &mut findings);
    findings.sort_by_key(|a| (a.range.start, a.rule));
    // Every parsed file reports the parser's and the lexer's errors: they keep fixes from being
    // applied, and the user hears of them (files the prefilter skips are never parsed, so this
    // costs nothing on the many files without a lock). rust-analyzer's validation of the tree
    // walks it all once more, a tenth of a corpus scan, for errors only code that fails to
    // compile has: it runs where a fix could be withheld for them.
    let syntax_errors = if findings.is_empty() {
        parse.parse_errors()
    } else {
        parse.errors()
    };
    let syntax_errors = syntax_errors
        .iter()
        .filter(|e| !is_crlf_string_continuation(source, e.range()))
        .map(|e| {
            let r = e.range();
            (usize::from(r.start())..usize::from(r.end()), e.to_string())
        })
        .collect();
    analysis::file_index::forget();
    FileAnalysis {
        findings,
        syntax_errors,
        unused_suppressions,
        wants_semantics: doubts.any,
        semantics_for_callers: doubts.for_callers,
        not_analysed: None,
        summary,
    }
}

/// Tests build contention on purpose (a guard held across a sleep, a second read to check that
/// readers share): a finding in test code is information, not a defect of the program, and its
/// fix is not offered.
fn mark_test_code(file: &ra_ap_syntax::SyntaxNode, test_file: bool, findings: &mut [Finding]) {
    for finding in findings.iter_mut() {
        if finding.severity == Severity::Info {
            continue;
        }
        let offset = ra_ap_syntax::TextSize::from(finding.range.start as u32);
        let in_test = test_file
            || analysis::syntax::token_at(file, offset)
                .and_then(|t| t.parent())
                .is_some_and(|n| analysis::held::in_test_code(&n));
        if in_test {
            // A test that holds a lock on purpose must not be rewritten by `--apply`.
            finding.severity = Severity::Info;
            finding.message.push_str(" (in test code)");
            finding.fix = None;
        }
    }
}

/// rust-analyzer's lexer reads `\` before a CRLF line ending in a string as an unknown escape;
/// rustc turns CRLF into LF first, so the string continues on the next line and compiles. Such a
/// file has no syntax error (vcpkg 0.2.15's `lib.rs`).
fn is_crlf_string_continuation(source: &str, range: ra_ap_syntax::TextRange) -> bool {
    let start = usize::from(range.start());
    let end = usize::from(range.end()).min(source.len());
    source
        .get(start..)
        .is_some_and(|rest| rest.starts_with("\\\r\n"))
        || source
            .get(start..end)
            .is_some_and(|text| text.contains("\\\r\n"))
}

/// A finding about a guard whose lock rust-analyzer resolved was decided by the semantic tier.
/// Rules that consulted the facts directly (a callee's locks) mark their findings themselves.
fn mark_semantic_findings(scopes: &analysis::LockScopes, findings: &mut [Finding]) {
    // Only the semantically decided guards: comparing every finding with every guard made a file
    // of thousands of guards quadratic.
    let decided_ranges: Vec<_> = scopes
        .guards
        .iter()
        .filter(|g| g.tier == analysis::Tier::Semantic)
        .map(|g| g.primary_range())
        .collect();
    if decided_ranges.is_empty() {
        return;
    }
    for finding in findings.iter_mut() {
        let decided = decided_ranges.iter().any(|range| {
            usize::from(range.start()) < finding.range.end
                && finding.range.start < usize::from(range.end())
        });
        if decided {
            finding.tier = analysis::Tier::Semantic;
        }
    }
}

/// Number of parse errors in `source`: a fix must never increase it. A tree too deep to analyse
/// counts as `usize::MAX` errors: no fix may produce one.
pub fn syntax_error_count(source: &str, edition: Edition) -> usize {
    bounded_parse::parse(source, edition).map_or(usize::MAX, |parse| parse.errors().len())
}

/// The rules this build implements.
pub fn implemented_rules() -> Vec<RuleId> {
    rules::REGISTRY.iter().map(|t| t.doc.id).collect()
}

/// Documentation of every implemented rule.
pub fn rule_docs() -> Vec<RuleDoc> {
    rules::REGISTRY.iter().map(|t| t.doc).collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_string_continued_before_a_crlf_line_ending_is_no_syntax_error() {
        let source = "use std::sync::Mutex;\r\nfn f(m: &Mutex<u8>) -> String {\r\n    let _g = m.lock();\r\n    \"a \\\r\n        b\".to_string()\r\n}\r\n";
        let options = Options::all_rules(Edition::Edition2021);
        assert_eq!(analyze(source, &options).syntax_errors, Vec::new());
        // A real error in the same file is still reported.
        let broken = source.replace("let _g", "let = ");
        assert!(!analyze(&broken, &options).syntax_errors.is_empty());
    }

    #[test]
    fn a_lock_implementations_methods_are_no_helpers_to_ask_rust_analyzer_about() {
        let options = Options::all_rules(Edition::Edition2021);
        // A helper whose guard's kind no import names: the callers' answer is worth resolving.
        let helper = "struct Store { m: Mutex<u8> }\nimpl Store {\n    fn state(&self) -> MutexGuard<'_, u8> { self.m.lock() }\n}\n";
        assert!(analyze(helper, &options).semantics_for_callers);
        // A lock implementation's methods (async-lock's) are not: its guard converting itself,
        // and its lock's own acquisitions by names the lock-method table does not list.
        let conversion = "impl<'a, T> RwLockWriteGuard<'a, T> {\n    pub fn downgrade(guard: Self) -> RwLockReadGuard<'a, T> { guard.lock.read() }\n}\n";
        assert!(!analyze(conversion, &options).semantics_for_callers);
        let acquisition = "impl<T> RwLock<T> {\n    pub fn try_upgradable_read(&self) -> Option<RwLockUpgradableReadGuard<'_, T>> { self.raw.read() }\n}\n";
        assert!(!analyze(acquisition, &options).semantics_for_callers);
    }

    #[test]
    fn the_validators_errors_are_looked_for_where_a_fix_could_be_withheld() {
        // `p.0x1` parses; only rust-analyzer's validation of the tree rejects it.
        let source = "use std::sync::Mutex;\nasync fn f(m: &Mutex<u8>, p: (u8,)) {\n    let g = m.lock().unwrap();\n    tick().await;\n    let _ = p.0x1;\n}\n";
        let options = Options::all_rules(Edition::Edition2021);
        let with_finding = analyze(source, &options);
        assert!(!with_finding.findings.is_empty());
        assert!(
            with_finding.syntax_errors[0]
                .1
                .starts_with("Tuple (struct) field access"),
            "{:?}",
            with_finding.syntax_errors
        );
        let without = analyze(&source.replace("tick().await;", ""), &options);
        assert!(without.findings.is_empty());
        assert_eq!(without.syntax_errors, Vec::new());
    }
}
