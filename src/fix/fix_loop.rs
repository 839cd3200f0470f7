//! The fix loop: apply fixes until nothing changes. Pure: text in, text and records out.
//!
//! Each pass analyses the current text, takes the allowed fixes sorted by where they start, keeps
//! those that do not overlap a fix already taken in this pass (the others wait for the next pass,
//! on the re-analysed text, where their offsets are right again), applies them together and checks
//! that the parser sees no new errors. Fixes that break the syntax are retried one by one and the
//! guilty ones dropped: a broken rewrite must never reach the disk. The loop ends when no fix
//! applies, or after [`MAX_PASSES`] passes, which means two fixes keep undoing each other.

use std::collections::HashSet;

use lockfix_transforms::{Applicability, FileAnalysis, Finding, Fix, Options, RuleId};

use crate::fix::analysis::{AnalysisPanic, Analyzer, TransformsAnalyzer};
use crate::fix::edit::{self, EditError};
use crate::report::AppliedFix;

/// Passes after which the loop gives up and reports that the fixes did not converge.
pub const MAX_PASSES: usize = 10;

/// The answer of the `accept` callback for one fix.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Decision {
    Apply,
    /// Decline this fix; it is not offered again for this file.
    Skip,
    /// Apply nothing more to this file (what was accepted so far is kept).
    Stop,
}

/// A fix the loop refused to apply because it is broken: a lockfix bug, reported to the user.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DroppedFix {
    pub rule: RuleId,
    pub title: String,
    /// A full sentence, e.g. "fix for guard-across-await produced invalid syntax; this is a
    /// lockfix bug".
    pub reason: String,
}

/// Everything the loop did to one file.
#[derive(Debug, Clone)]
pub struct FixOutcome {
    /// The text after every applied fix (equal to the input when nothing applied).
    pub text: String,
    /// The analysis of the input text: what a dry run reports.
    pub initial: FileAnalysis,
    /// In the order they were applied.
    pub applied: Vec<AppliedFix>,
    /// The analysis of [`FixOutcome::text`]: what is left after fixing.
    pub remaining: FileAnalysis,
    pub dropped: Vec<DroppedFix>,
    /// Passes that applied at least one fix.
    pub passes: usize,
    /// False when fixes were still being applied after [`MAX_PASSES`] passes.
    pub converged: bool,
    /// The input has syntax errors, so fixes the policy allows were not applied.
    pub withheld_for_syntax_errors: bool,
}

impl FixOutcome {
    pub fn changed(&self) -> bool {
        !self.applied.is_empty()
    }
}

/// Runs the fix loop on `source` with the real transforms.
///
/// `accept` is asked about each fix the policy allows, with the text the fix applies to; answer
/// [`Decision::Apply`] for everything to fix non-interactively. Fails only when the analysis of
/// `source` itself panics; later panics drop the fixes that caused them.
pub fn fix_source(
    source: &str,
    options: &Options,
    allow_unsafe: bool,
    accept: &mut dyn FnMut(&str, &Finding) -> Decision,
) -> Result<FixOutcome, AnalysisPanic> {
    fix_with(
        source,
        &mut TransformsAnalyzer::new(options),
        allow_unsafe,
        accept,
    )
}

/// [`fix_source`] with an injectable analyzer.
pub fn fix_with(
    source: &str,
    analyzer: &mut dyn Analyzer,
    allow_unsafe: bool,
    accept: &mut dyn FnMut(&str, &Finding) -> Decision,
) -> Result<FixOutcome, AnalysisPanic> {
    let initial = analyzer.analyze(source)?;
    let mut outcome = FixOutcome {
        text: source.to_owned(),
        remaining: initial.clone(),
        initial,
        applied: Vec::new(),
        dropped: Vec::new(),
        passes: 0,
        converged: true,
        withheld_for_syntax_errors: false,
    };
    if !outcome.initial.syntax_errors.is_empty() {
        // Without a clean parse the transforms' edits cannot be checked, so nothing is fixed.
        outcome.withheld_for_syntax_errors = outcome.initial.findings.iter().any(|finding| {
            finding
                .fix
                .as_ref()
                .is_some_and(|fix| allowed(fix, allow_unsafe))
        });
        return Ok(outcome);
    }

    // Fixes the user declined or the loop dropped, keyed by content so that the key survives the
    // offset shifts caused by other fixes.
    let mut refused: HashSet<FixKey> = HashSet::new();
    loop {
        let (candidates, invalid) =
            candidates(&outcome.text, &outcome.remaining, allow_unsafe, &refused);
        for dropped in invalid {
            // Reported once: the same broken fix comes back on every pass.
            if !outcome.dropped.contains(&dropped) {
                outcome.dropped.push(dropped);
            }
        }
        if candidates.is_empty() {
            break;
        }
        if outcome.passes == MAX_PASSES {
            outcome.converged = false;
            break;
        }
        let (chosen, stop) = choose(&outcome.text, candidates, &mut refused, accept);
        if !chosen.is_empty() {
            outcome.passes += 1;
            apply_pass(&mut outcome, &chosen, analyzer, &mut refused);
        }
        if stop {
            break;
        }
    }
    Ok(outcome)
}

/// A finding whose fix may be applied in this pass.
struct Candidate {
    finding: Finding,
    fix: Fix,
}

/// Identifies a fix independently of where it currently is in the text.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
struct FixKey {
    rule: RuleId,
    message: String,
    covered: String,
}

impl FixKey {
    fn new(text: &str, finding: &Finding, fix: &Fix) -> FixKey {
        FixKey {
            rule: finding.rule,
            message: finding.message.clone(),
            covered: text.get(fix.span()).unwrap_or_default().to_owned(),
        }
    }
}

fn allowed(fix: &Fix, allow_unsafe: bool) -> bool {
    match fix.applicability {
        Applicability::Safe => true,
        Applicability::Unsafe => allow_unsafe,
    }
}

/// Findings whose fix may be applied now, sorted by the start of the fix, and the fixes whose edits
/// are invalid (dropped before anybody is asked about them).
fn candidates(
    text: &str,
    analysis: &FileAnalysis,
    allow_unsafe: bool,
    refused: &HashSet<FixKey>,
) -> (Vec<Candidate>, Vec<DroppedFix>) {
    let mut candidates = Vec::new();
    let mut invalid = Vec::new();
    for finding in &analysis.findings {
        let Some(fix) = &finding.fix else { continue };
        if !allowed(fix, allow_unsafe) || fix.edits.is_empty() {
            continue;
        }
        if let Err(error) = edit::apply_edits(text, &fix.edits) {
            invalid.push(dropped(
                finding,
                fix,
                invalid_edit_reason(finding.rule, &error),
            ));
            continue;
        }
        if refused.contains(&FixKey::new(text, finding, fix)) {
            continue;
        }
        candidates.push(Candidate {
            finding: finding.clone(),
            fix: fix.clone(),
        });
    }
    candidates.sort_by_key(|candidate| {
        let span = candidate.fix.span();
        (span.start, span.end)
    });
    (candidates, invalid)
}

/// Takes the candidates that do not overlap one taken before, asking `accept` about each.
/// Returns the chosen ones and whether `accept` asked to stop.
fn choose(
    text: &str,
    candidates: Vec<Candidate>,
    refused: &mut HashSet<FixKey>,
    accept: &mut dyn FnMut(&str, &Finding) -> Decision,
) -> (Vec<Candidate>, bool) {
    let mut chosen = Vec::new();
    let mut taken_up_to: Option<usize> = None;
    for candidate in candidates {
        let span = candidate.fix.span();
        // Touching spans count as overlapping, as in ruff: two insertions at one offset, or an
        // insertion right after a replacement, have no obvious order. The later one waits.
        if taken_up_to.is_some_and(|end| span.start <= end) {
            continue;
        }
        match accept(text, &candidate.finding) {
            Decision::Apply => {
                taken_up_to = Some(taken_up_to.map_or(span.end, |end| end.max(span.end)));
                chosen.push(candidate);
            }
            Decision::Skip => {
                refused.insert(FixKey::new(text, &candidate.finding, &candidate.fix));
            }
            Decision::Stop => return (chosen, true),
        }
    }
    (chosen, false)
}

/// Applies one pass's fixes, dropping those that break the syntax, and re-analyses the result.
fn apply_pass(
    outcome: &mut FixOutcome,
    chosen: &[Candidate],
    analyzer: &mut dyn Analyzer,
    refused: &mut HashSet<FixKey>,
) {
    let errors_before = outcome.remaining.syntax_errors.len();
    let all_edits = chosen.iter().flat_map(|candidate| &candidate.fix.edits);
    let together = edit::apply_edits(&outcome.text, all_edits)
        .ok()
        .filter(|text| matches!(analyzer.syntax_error_count(text), Ok(n) if n <= errors_before));
    let (new_text, kept) = match together {
        Some(text) => (text, chosen.iter().collect()),
        None => apply_one_by_one(outcome, chosen, errors_before, analyzer, refused),
    };
    if kept.is_empty() {
        return;
    }

    match analyzer.analyze(&new_text) {
        Ok(analysis) => {
            outcome
                .applied
                .extend(kept.iter().map(|candidate| AppliedFix {
                    rule: candidate.finding.rule,
                    title: candidate.fix.title.clone(),
                    applicability: candidate.fix.applicability,
                }));
            outcome.text = new_text;
            outcome.remaining = analysis;
        }
        Err(panic) => {
            // The text parses but its analysis panics: keep the text as it was, and blame (and
            // never retry) every fix of this pass, since there is no telling which one did it.
            for Candidate { finding, fix } in kept {
                refused.insert(FixKey::new(&outcome.text, finding, fix));
                let reason = format!(
                    "the analysis panicked after the fix for {} was applied ({}), so the fix was \
                     not applied; this is a lockfix bug",
                    finding.rule, panic.message
                );
                outcome.dropped.push(dropped(finding, fix, reason));
            }
        }
    }
}

/// The slow path after a pass made the syntax worse: applies the fixes one at a time and drops
/// each one that adds errors. Goes from the last fix to the first so that each fix's offsets are
/// still right when it is applied.
fn apply_one_by_one<'a>(
    outcome: &mut FixOutcome,
    chosen: &'a [Candidate],
    errors_before: usize,
    analyzer: &mut dyn Analyzer,
    refused: &mut HashSet<FixKey>,
) -> (String, Vec<&'a Candidate>) {
    let mut current = outcome.text.clone();
    let mut current_errors = errors_before;
    let mut kept = Vec::new();
    for candidate in chosen.iter().rev() {
        let Candidate { finding, fix } = candidate;
        let reason = match edit::apply_edits(&current, &fix.edits) {
            Err(error) => invalid_edit_reason(finding.rule, &error),
            Ok(text) => match analyzer.syntax_error_count(&text) {
                Ok(n) if n <= current_errors => {
                    current = text;
                    current_errors = n;
                    kept.push(candidate);
                    continue;
                }
                Ok(_) => format!(
                    "fix for {} produced invalid syntax; this is a lockfix bug",
                    finding.rule
                ),
                Err(panic) => format!(
                    "fix for {} made the parser panic ({}); this is a lockfix bug",
                    finding.rule, panic.message
                ),
            },
        };
        refused.insert(FixKey::new(&outcome.text, finding, fix));
        outcome.dropped.push(dropped(finding, fix, reason));
    }
    kept.reverse();
    (current, kept)
}

fn dropped(finding: &Finding, fix: &Fix, reason: String) -> DroppedFix {
    DroppedFix {
        rule: finding.rule,
        title: fix.title.clone(),
        reason,
    }
}

fn invalid_edit_reason(rule: RuleId, error: &EditError) -> String {
    format!("fix for {rule} has an invalid edit ({error}); this is a lockfix bug")
}

#[cfg(test)]
mod tests {
    use std::ops::Range;

    use lockfix_transforms::{Severity, TextEdit};

    use super::*;

    /// Finds every occurrence of a pattern and offers to replace it: each rule of the fake is
    /// `(needle, replacement, applicability)`.
    struct Replacer {
        rules: Vec<(&'static str, &'static str, Applicability)>,
        /// Text containing this never parses: a stand-in for a syntax error.
        broken_marker: &'static str,
        /// Analysing text containing this panics.
        panic_marker: Option<&'static str>,
        analyses: usize,
    }

    impl Replacer {
        fn new(rules: Vec<(&'static str, &'static str, Applicability)>) -> Replacer {
            Replacer {
                rules,
                broken_marker: "<broken>",
                panic_marker: None,
                analyses: 0,
            }
        }
    }

    impl Analyzer for Replacer {
        fn analyze(&mut self, source: &str) -> Result<FileAnalysis, AnalysisPanic> {
            self.analyses += 1;
            if self
                .panic_marker
                .is_some_and(|marker| source.contains(marker))
            {
                return Err(AnalysisPanic {
                    message: "fake panic".to_owned(),
                });
            }
            let mut findings = Vec::new();
            for &(needle, replacement, applicability) in &self.rules {
                for (start, _) in source.match_indices(needle) {
                    let range = start..start + needle.len();
                    findings.push(finding(range, needle, replacement, applicability));
                }
            }
            findings.sort_by_key(|f| f.range.start);
            let syntax_errors = source
                .match_indices(self.broken_marker)
                .map(|(start, m)| (start..start + m.len(), "broken".to_owned()))
                .collect();
            Ok(FileAnalysis {
                findings,
                syntax_errors,
                ..FileAnalysis::default()
            })
        }

        fn syntax_error_count(&mut self, source: &str) -> Result<usize, AnalysisPanic> {
            Ok(source.matches(self.broken_marker).count())
        }
    }

    fn finding(
        range: Range<usize>,
        needle: &str,
        replacement: &str,
        applicability: Applicability,
    ) -> Finding {
        Finding {
            tier: Default::default(),
            rule: RuleId::GuardAcrossAwait,
            severity: Severity::Error,
            range: range.clone(),
            message: format!("`{needle}` found"),
            labels: Vec::new(),
            help: None,
            fix: Some(Fix {
                title: format!("Replace `{needle}` with `{replacement}`"),
                applicability,
                edits: vec![TextEdit {
                    range,
                    replacement: replacement.to_owned(),
                }],
            }),
        }
    }

    fn apply_all(_: &str, _: &Finding) -> Decision {
        Decision::Apply
    }

    fn run(analyzer: &mut Replacer, source: &str, allow_unsafe: bool) -> FixOutcome {
        fix_with(source, analyzer, allow_unsafe, &mut apply_all).unwrap()
    }

    const SAFE: Applicability = Applicability::Safe;
    const UNSAFE: Applicability = Applicability::Unsafe;

    #[test]
    fn applies_all_non_overlapping_fixes_in_one_pass() {
        let mut analyzer = Replacer::new(vec![("aa", "b", SAFE)]);
        let outcome = run(&mut analyzer, "aa x aa", false);
        assert_eq!(outcome.text, "b x b");
        assert_eq!(outcome.applied.len(), 2);
        assert_eq!(outcome.passes, 1);
        assert!(outcome.remaining.findings.is_empty());
        assert_eq!(outcome.initial.findings.len(), 2);
        assert!(outcome.converged);
    }

    #[test]
    fn overlapping_fixes_wait_for_the_next_pass() {
        // "aaa" holds "aa" at 0 and at 1: the second overlaps the first and must wait. After the
        // first pass "ba" no longer contains "aa", so the second is never applied.
        let mut analyzer = Replacer::new(vec![("aa", "b", SAFE), ("ba", "c", SAFE)]);
        let outcome = run(&mut analyzer, "aaa", false);
        assert_eq!(outcome.text, "c");
        assert_eq!(outcome.passes, 2);
        let titles: Vec<_> = outcome.applied.iter().map(|a| a.title.as_str()).collect();
        assert_eq!(titles, ["Replace `aa` with `b`", "Replace `ba` with `c`"]);
    }

    #[test]
    fn unsafe_fixes_need_permission() {
        let mut analyzer = Replacer::new(vec![("x", "y", UNSAFE)]);
        let outcome = run(&mut analyzer, "x", false);
        assert_eq!(outcome.text, "x");
        assert_eq!(outcome.remaining.findings.len(), 1);
        assert!(!outcome.changed());

        let outcome = run(&mut analyzer, "x", true);
        assert_eq!(outcome.text, "y");
        assert_eq!(outcome.applied[0].applicability, UNSAFE);
    }

    #[test]
    fn a_fix_that_breaks_the_syntax_is_dropped_and_the_others_kept() {
        let mut analyzer = Replacer::new(vec![("good", "fine", SAFE), ("bad", "<broken>", SAFE)]);
        let outcome = run(&mut analyzer, "good bad good", false);
        assert_eq!(outcome.text, "fine bad fine");
        assert_eq!(outcome.applied.len(), 2);
        assert_eq!(outcome.dropped.len(), 1);
        assert_eq!(
            outcome.dropped[0].reason,
            "fix for guard-across-await produced invalid syntax; this is a lockfix bug"
        );
        // The dropped fix's finding is still there.
        assert_eq!(outcome.remaining.findings.len(), 1);
        assert!(outcome.converged);
    }

    #[test]
    fn files_with_syntax_errors_are_reported_but_not_fixed() {
        let mut analyzer = Replacer::new(vec![("x", "y", SAFE)]);
        let outcome = run(&mut analyzer, "x <broken>", false);
        assert_eq!(outcome.text, "x <broken>");
        assert_eq!(outcome.remaining.findings.len(), 1);
        assert!(outcome.withheld_for_syntax_errors);
    }

    #[test]
    fn fixes_that_keep_producing_findings_stop_after_max_passes() {
        // Every pass turns "a" into "aa": it never ends.
        let mut analyzer = Replacer::new(vec![("a", "aa", SAFE)]);
        let outcome = run(&mut analyzer, "a", false);
        assert!(!outcome.converged);
        assert_eq!(outcome.passes, MAX_PASSES);
        assert_eq!(outcome.applied.len(), outcome.text.len() - 1);
    }

    #[test]
    fn declined_fixes_are_not_offered_again_even_after_offsets_shift() {
        let mut analyzer = Replacer::new(vec![
            ("keep", "KEEP", SAFE),
            ("aa", "b", SAFE),
            ("ba", "c", SAFE),
        ]);
        let mut asked = Vec::new();
        let mut accept = |text: &str, finding: &Finding| {
            asked.push(format!(
                "{}@{}",
                &text[finding.range.clone()],
                finding.range.start
            ));
            if finding.message.contains("keep") {
                Decision::Skip
            } else {
                Decision::Apply
            }
        };
        // Pass 1 declines "keep" at 4 and applies "aa" at 0; pass 2 sees "keep" at 3, already
        // declined, and applies "ba".
        let outcome = fix_with("aaa keep", &mut analyzer, false, &mut accept).unwrap();
        assert_eq!(outcome.text, "c keep");
        assert_eq!(asked, ["aa@0", "keep@4", "ba@0"]);
    }

    #[test]
    fn stop_keeps_what_was_accepted_and_asks_nothing_more() {
        let mut analyzer = Replacer::new(vec![("x", "y", SAFE)]);
        let mut answers = vec![Decision::Apply, Decision::Stop].into_iter();
        let mut accept = |_: &str, _: &Finding| answers.next().unwrap_or(Decision::Apply);
        let outcome = fix_with("x x x", &mut analyzer, false, &mut accept).unwrap();
        assert_eq!(outcome.text, "y x x");
        assert_eq!(outcome.remaining.findings.len(), 2);
    }

    #[test]
    fn invalid_edits_are_dropped_not_applied() {
        struct OutOfBounds;
        impl Analyzer for OutOfBounds {
            fn analyze(&mut self, source: &str) -> Result<FileAnalysis, AnalysisPanic> {
                let mut finding = finding(0..1, "x", "y", SAFE);
                finding.fix.as_mut().unwrap().edits[0].range = 0..source.len() + 5;
                Ok(FileAnalysis {
                    findings: vec![finding],
                    ..FileAnalysis::default()
                })
            }
            fn syntax_error_count(&mut self, _: &str) -> Result<usize, AnalysisPanic> {
                Ok(0)
            }
        }
        let outcome = fix_with("x", &mut OutOfBounds, false, &mut apply_all).unwrap();
        assert_eq!(outcome.text, "x");
        assert_eq!(outcome.dropped.len(), 1);
        assert!(
            outcome.dropped[0].reason.contains("invalid edit"),
            "{:?}",
            outcome.dropped
        );
    }

    #[test]
    fn a_panic_after_a_fix_rolls_that_fix_back() {
        let mut analyzer = Replacer::new(vec![("x", "boom", SAFE), ("a", "b", SAFE)]);
        analyzer.panic_marker = Some("boom");
        let outcome = run(&mut analyzer, "x a", false);
        // Pass 1 applies both together, the analysis panics, both are blamed: with a single
        // pass there is no telling which one caused it.
        assert_eq!(outcome.text, "x a");
        assert_eq!(outcome.dropped.len(), 2);
        assert!(outcome.dropped[0].reason.contains("panicked"));
    }

    #[test]
    fn a_panic_on_the_input_is_an_error() {
        let mut analyzer = Replacer::new(vec![]);
        analyzer.panic_marker = Some("boom");
        assert!(fix_with("boom", &mut analyzer, false, &mut apply_all).is_err());
        assert_eq!(analyzer.analyses, 1);
    }
}
