//! Suppressions, applied once to every rule's findings: clippy's `#[allow]`/`#[expect]` of the
//! equivalent lints, and lockfix's own comment `// lockfix: ignore[rule-id, …] reason`.
//!
//! A comment after code on a line suppresses the findings whose primary location starts on that
//! line. A comment on a line of its own suppresses the findings starting on the next line of code
//! and those inside the item or statement that follows it (a comment above a `fn` covers the whole
//! function). A comment suppression that suppressed nothing is reported back, so stale ones do not
//! pile up; a clippy `#[expect]` that is never fulfilled is already reported by rustc.

use std::ops::Range;

use ra_ap_syntax::{AstNode, NodeOrToken, SyntaxKind, SyntaxNode, SyntaxToken, TextSize, ast};

use crate::analysis::syntax;
use crate::model::{Finding, RuleId, TextEdit};

/// The clippy lints whose `allow`/`expect` also silence a rule: the one place this mapping lives.
///
/// `significant_drop_tightening` ("a significant drop could happen earlier") is what clippy says
/// about a guard that outlives its last use, which is the root of the blocking, emitting and
/// double-lock findings; a deliberate hold marked for clippy is a deliberate hold for lockfix.
pub fn clippy_equivalents(rule: RuleId) -> &'static [&'static str] {
    match rule {
        // A lock held across an await on purpose needs no swap either.
        RuleId::GuardAcrossAwait | RuleId::StdLockInAsync => &[
            "clippy::await_holding_lock",
            "await_holding_lock",
            "clippy::await_holding_invalid_type",
            "await_holding_invalid_type",
        ],
        RuleId::GuardInScrutinee => &[
            "clippy::significant_drop_in_scrutinee",
            "significant_drop_in_scrutinee",
        ],
        RuleId::GuardAcrossBlocking | RuleId::EmitUnderLock | RuleId::DoubleLock => &[
            "clippy::significant_drop_tightening",
            "significant_drop_tightening",
        ],
        RuleId::ReadThenWrite | RuleId::LockOrderInversion => &[],
    }
}

/// The marker that starts lockfix's own suppression comment, as lockfix writes it.
pub const COMMENT_MARKER: &str = "lockfix: ignore[";

/// What every spelling of a suppression comment contains (`lockfix:ignore[..]`, a malformed
/// `lockfix: ignore`): files without it skip the token walk.
const COMMENT_WORD: &str = "lockfix";

/// A `// lockfix: ignore[..]` comment that suppressed nothing, or named an unknown rule.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct UnusedSuppression {
    /// The comment.
    pub range: Range<usize>,
    pub message: String,
}

struct CommentSuppression {
    comment: Range<usize>,
    rules: Vec<RuleId>,
    /// Findings starting in any of these ranges are suppressed.
    targets: Vec<Range<usize>>,
    used: Vec<bool>,
}

/// Drops the suppressed findings; returns the comment suppressions that suppressed nothing (only
/// for rules that ran: a rule left out by `--select` has nothing to suppress).
pub fn apply(
    text: &str,
    file: &SyntaxNode,
    rules_run: &[RuleId],
    findings: &mut Vec<Finding>,
) -> Vec<UnusedSuppression> {
    let mut unused = Vec::new();
    // Most files have no finding and no suppression comment: then there is nothing to silence
    // and nothing to report unused, and the walk over every token can be skipped.
    if findings.is_empty()
        && memchr::memmem::find(text.as_bytes(), COMMENT_WORD.as_bytes()).is_none()
    {
        return unused;
    }
    let mut comments = Vec::new();
    for token in file
        .descendants_with_tokens()
        .filter_map(NodeOrToken::into_token)
        .filter(|token| token.kind() == SyntaxKind::COMMENT)
    {
        let range = usize::from(token.text_range().start())..usize::from(token.text_range().end());
        let (rules, unknown) = match parse_comment(token.text()) {
            Comment::Other => continue,
            Comment::Malformed(problem) => {
                unused.push(UnusedSuppression {
                    range,
                    message: format!(
                        "malformed suppression: {problem}; write `// {COMMENT_MARKER}rule-id] reason`"
                    ),
                });
                continue;
            }
            Comment::Suppression(rules, unknown) => (rules, unknown),
        };
        for id in unknown {
            unused.push(UnusedSuppression {
                range: range.clone(),
                message: format!("`lockfix: ignore[{id}]` names no lockfix rule"),
            });
        }
        let used = vec![false; rules.len()];
        comments.push(CommentSuppression {
            targets: targets(text, &token),
            comment: range,
            rules,
            used,
        });
    }
    findings.retain(|finding| {
        let at = finding.range.start;
        let mut suppressed = false;
        for comment in &mut comments {
            if !comment.targets.iter().any(|target| target.contains(&at)) {
                continue;
            }
            for (rule, used) in comment.rules.iter().zip(comment.used.iter_mut()) {
                if *rule == finding.rule {
                    *used = true;
                    suppressed = true;
                }
            }
        }
        !suppressed && !clippy_allows(file, finding)
    });
    for comment in comments {
        for (rule, used) in comment.rules.iter().zip(&comment.used) {
            if !used && rules_run.contains(rule) {
                unused.push(UnusedSuppression {
                    range: comment.comment.clone(),
                    message: format!(
                        "unused suppression `lockfix: ignore[{rule}]`: no such finding here"
                    ),
                });
            }
        }
    }
    unused.sort_by_key(|u| u.range.start);
    unused
}

/// Whether a clippy `allow`/`expect` around the finding's primary location silences its rule.
fn clippy_allows(file: &SyntaxNode, finding: &Finding) -> bool {
    let lints = clippy_equivalents(finding.rule);
    if lints.is_empty() {
        return false;
    }
    let offset = TextSize::try_from(finding.range.start).unwrap_or_default();
    let Some(token) = syntax::token_at(file, offset) else {
        return false;
    };
    token
        .parent()
        .is_some_and(|node| syntax::is_allowed(&node, lints))
}

/// What a comment is to lockfix.
enum Comment {
    /// Not a lockfix suppression.
    Other,
    /// `lockfix: ignore[a, b] reason` (any spacing around the `:`): the rule ids, and the names
    /// that are not rule ids.
    Suppression(Vec<RuleId>, Vec<String>),
    /// A suppression that silences nothing whatever the findings (`lockfix: ignore`,
    /// `lockfix: ignore[]`, no closing `]`): why.
    Malformed(&'static str),
}

fn parse_comment(comment: &str) -> Comment {
    let Some(body) = comment
        .strip_prefix("//")
        .or_else(|| comment.strip_prefix("/*"))
    else {
        return Comment::Other;
    };
    let body = body.trim_start_matches(['/', '!', '*']).trim_start();
    let Some(rest) = body
        .strip_prefix(COMMENT_WORD)
        .map(str::trim_start)
        .and_then(|rest| rest.strip_prefix(':'))
        .map(str::trim_start)
        .and_then(|rest| rest.strip_prefix("ignore"))
    else {
        return Comment::Other;
    };
    // `lockfix: ignored …` is prose, not a suppression.
    if rest.starts_with(|c: char| c.is_alphanumeric() || c == '_' || c == '-') {
        return Comment::Other;
    }
    let Some(list) = rest.strip_prefix('[') else {
        return Comment::Malformed("it names no rule");
    };
    let Some(end) = list.find(']') else {
        return Comment::Malformed("its rule list has no closing `]`");
    };
    let mut rules = Vec::new();
    let mut unknown = Vec::new();
    for id in list[..end]
        .split(',')
        .map(str::trim)
        .filter(|id| !id.is_empty())
    {
        match RuleId::from_id(id) {
            Some(rule) => rules.push(rule),
            None => unknown.push(id.to_owned()),
        }
    }
    if rules.is_empty() && unknown.is_empty() {
        return Comment::Malformed("its rule list is empty");
    }
    Comment::Suppression(rules, unknown)
}

/// The ranges a suppression comment covers (see the module docs).
fn targets(text: &str, comment: &SyntaxToken) -> Vec<Range<usize>> {
    let start = usize::from(comment.text_range().start());
    let end = usize::from(comment.text_range().end());
    let line_start = syntax::line_start(text, start);
    if !text[line_start..start].trim().is_empty() {
        let same_line = line_start..end;
        return vec![same_line];
    }
    let mut targets = Vec::new();
    // The next line holding code: skip blank lines and further comment lines.
    let mut next = text[end..].find('\n').map_or(text.len(), |i| end + i + 1);
    while next < text.len() {
        let line_end = text[next..].find('\n').map_or(text.len(), |i| next + i + 1);
        let line = text[next..line_end].trim();
        if !line.is_empty() && !line.starts_with("//") {
            targets.push(next..line_end);
            break;
        }
        next = line_end;
    }
    // A comment leading an item is a child of the item (rust-analyzer attaches it); one leading a
    // statement is followed by it.
    if let Some(parent) = comment.parent()
        && ast::Item::can_cast(parent.kind())
        && comment
            .siblings_with_tokens(ra_ap_syntax::Direction::Prev)
            .skip(1)
            .all(|element| element.kind().is_trivia())
    {
        targets.push(node_range(&parent));
    } else if let Some(node) = comment
        .siblings_with_tokens(ra_ap_syntax::Direction::Next)
        .skip(1)
        .find(|element| !element.kind().is_trivia())
        .and_then(NodeOrToken::into_node)
    {
        targets.push(node_range(&node));
    }
    targets
}

/// The comments `--add-ignore` inserts: one own-line comment above each line where a finding
/// starts, naming every rule found there, indented like that line. Lines that start inside a
/// multi-line string or comment cannot take a comment above them; their 0-based numbers come back
/// in the second list.
pub fn ignore_comment_edits(
    text: &str,
    edition: ra_ap_syntax::Edition,
    findings: &[Finding],
) -> (Vec<TextEdit>, Vec<usize>) {
    let parse = ra_ap_syntax::SourceFile::parse(text, edition);
    let file = parse.tree().syntax().clone();
    let eol = syntax::eol(text);
    let mut by_line: std::collections::BTreeMap<usize, Vec<RuleId>> = Default::default();
    for finding in findings {
        let line_start = syntax::line_start(text, finding.range.start.min(text.len()));
        by_line.entry(line_start).or_default().push(finding.rule);
    }
    let mut edits = Vec::new();
    let mut skipped = Vec::new();
    for (line_start, mut rules) in by_line {
        if starts_inside_token(&file, line_start) {
            skipped.push(text[..line_start].matches('\n').count());
            continue;
        }
        rules.sort();
        rules.dedup();
        let ids: Vec<&str> = rules.iter().map(|rule| rule.as_str()).collect();
        let indent = syntax::line_indent(text, line_start);
        edits.push(TextEdit {
            range: line_start..line_start,
            replacement: format!(
                "{indent}// {COMMENT_MARKER}{}] {ADDED_REASON}{eol}",
                ids.join(", ")
            ),
        });
    }
    (edits, skipped)
}

/// The reason `--add-ignore` writes: a marker to search for when paying the debt down.
pub const ADDED_REASON: &str = "TODO(lockfix): added by --add-ignore; fix or explain";

/// Whether `offset` lies strictly inside a token other than whitespace (a multi-line string or
/// block comment).
fn starts_inside_token(file: &SyntaxNode, offset: usize) -> bool {
    let Ok(at) = TextSize::try_from(offset) else {
        return true;
    };
    file.token_at_offset(at).any(|token| {
        token.kind() != SyntaxKind::WHITESPACE
            && token.text_range().start() < at
            && at < token.text_range().end()
    })
}

fn node_range(node: &SyntaxNode) -> Range<usize> {
    usize::from(node.text_range().start())..usize::from(node.text_range().end())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::{Options, analyze};
    use ra_ap_syntax::Edition;

    const HOLD: &str = "async fn f(m: &std::sync::Mutex<u32>) {\n    let g = m.lock().unwrap();\n    let n = *g;\n    tokio::task::yield_now().await;\n    println!(\"{n}\");\n}\n";

    fn run(src: &str) -> crate::FileAnalysis {
        analyze(src, &Options::all_rules(Edition::Edition2021))
    }

    #[test]
    fn unsuppressed_baseline() {
        assert_eq!(run(HOLD).findings.len(), 1);
    }

    #[test]
    fn trailing_comment_on_the_line() {
        let src = HOLD.replace(
            "unwrap();\n",
            "unwrap(); // lockfix: ignore[guard-across-await] held on purpose\n",
        );
        let analysis = run(&src);
        assert!(analysis.findings.is_empty(), "{:?}", analysis.findings);
        assert!(analysis.unused_suppressions.is_empty());
    }

    #[test]
    fn comment_above_the_line_and_above_the_item() {
        let src = HOLD.replace(
            "    let g",
            "    // lockfix: ignore[guard-across-await] held on purpose\n    let g",
        );
        assert!(run(&src).findings.is_empty());
        let src = format!("/// Docs.\n// lockfix: ignore[guard-across-await] test mutex\n{HOLD}");
        let analysis = run(&src);
        assert!(analysis.findings.is_empty(), "{:?}", analysis.findings);
    }

    #[test]
    fn other_rules_and_unused_comments() {
        let src = HOLD.replace(
            "    let g",
            "    // lockfix: ignore[double-lock, no-such-rule]\n    let g",
        );
        let analysis = run(&src);
        assert_eq!(
            analysis.findings.len(),
            1,
            "a different rule is not suppressed"
        );
        let messages: Vec<&str> = analysis
            .unused_suppressions
            .iter()
            .map(|u| u.message.as_str())
            .collect();
        assert_eq!(messages.len(), 2, "{messages:?}");
        assert!(messages.iter().any(|m| m.contains("no-such-rule")));
        assert!(
            messages
                .iter()
                .any(|m| m.contains("unused suppression `lockfix: ignore[double-lock]`"))
        );
    }

    #[test]
    fn added_comments_silence_every_finding() {
        let src = format!(
            "{HOLD}\nasync fn g(m: &std::sync::Mutex<u32>) {{\n\tlet s = \"a\n  b\"; let g = m.lock().unwrap();\n\tlet n = *g;\n\tfoo().await;\n\tdrop(n);\n}}\n"
        );
        let before = run(&src);
        assert_eq!(before.findings.len(), 2, "{:?}", before.findings);
        let (edits, skipped) =
            ignore_comment_edits(&src, ra_ap_syntax::Edition::Edition2021, &before.findings);
        assert_eq!(edits.len(), 1);
        assert_eq!(skipped, [9], "the line starting inside a string is skipped");
        let mut fixed = src.clone();
        for edit in edits.iter().rev() {
            fixed.replace_range(edit.range.clone(), &edit.replacement);
        }
        assert!(
            fixed.contains("    // lockfix: ignore[guard-across-await] TODO"),
            "{fixed}"
        );
        let after = run(&fixed);
        assert_eq!(after.findings.len(), 1, "{fixed}\n{:?}", after.findings);
        assert!(after.unused_suppressions.is_empty());
    }

    #[test]
    fn clippy_allow_on_the_statement() {
        let src = HOLD.replace(
            "    let g",
            "    #[allow(clippy::await_holding_lock)]\n    let g",
        );
        assert!(run(&src).findings.is_empty());
    }

    #[test]
    fn every_rule_with_an_equivalent_lint_names_it_with_and_without_prefix() {
        for rule in RuleId::ALL {
            let lints = clippy_equivalents(rule);
            for lint in lints.iter().filter(|lint| lint.starts_with("clippy::")) {
                assert!(lints.contains(&&lint["clippy::".len()..]), "{rule}: {lint}");
            }
        }
    }
}
