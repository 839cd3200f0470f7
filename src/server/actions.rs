//! Code actions: the engine's fixes, one keystroke from the finding.
//!
//! - each finding's fix is a `quickfix` for its diagnostic; safe fixes are `isPreferred` (the
//!   one an editor's "auto fix" picks), unsafe ones are offered only when the settings allow
//!   unsafe fixes and say "unsafe" in their title, as `--unsafe-fixes` gates them on the command
//!   line;
//! - "suppress with `// lockfix: ignore[rule]`" for every finding;
//! - `source.fixAll.lockfix` applies every safe fix of the file through the same fix loop as
//!   `lockfix --apply` (re-analysed between passes, never a fix that breaks the parse);
//! - the crate-wide std→tokio swap is a command: choosing it asks the server to plan the swap
//!   over the crate and send it as one `workspace/applyEdit`. Nothing crate-wide is computed
//!   until the user asks, because planning it loads the workspace with rust-analyzer.
//!
//! A file with syntax errors gets no fix (the fix loop refuses them too): only the suppression.

use std::collections::HashMap;

use lockfix_transforms::suppress::{ADDED_REASON, ignore_comment_edits};
use lockfix_transforms::{Applicability, Finding, RuleId, TextEdit};
use lsp_types::{CodeAction, CodeActionKind, CodeActionOrCommand, Command, Url, WorkspaceEdit};
use serde_json::json;

use super::diagnostics::finding_diagnostic;
use super::position::{Encoding, Positions};
use crate::fix::engine::{Engine, FileCheck};

/// The kind of the fix-all action, as ruff names its own (`source.fixAll.ruff`).
pub const FIX_ALL_KIND: &str = "source.fixAll.lockfix";
/// The command that plans and applies a crate-wide swap.
pub const SWAP_COMMAND: &str = "lockfix.applyCrateFix";

/// What a code action request is about.
pub struct Request<'a> {
    pub uri: &'a Url,
    pub text: &'a str,
    pub check: &'a FileCheck,
    /// The byte range the editor asks about (the cursor or the selection).
    pub range: std::ops::Range<usize>,
    /// The kinds the editor wants; `None` for all.
    pub only: Option<&'a [CodeActionKind]>,
    pub encoding: Encoding,
}

/// Every action for `request`.
pub fn code_actions(engine: &Engine, request: &Request<'_>) -> Vec<CodeActionOrCommand> {
    let positions = Positions::new(request.text, request.encoding);
    let analysis = &request.check.outcome.initial;
    let fixable = analysis.syntax_errors.is_empty() && analysis.not_analysed.is_none();
    let mut actions = Vec::new();
    if wants(request.only, &CodeActionKind::QUICKFIX) {
        for finding in analysis
            .findings
            .iter()
            .filter(|finding| touches(&finding.range, &request.range))
        {
            if fixable && let Some(action) = fix_action(engine, request, &positions, finding) {
                actions.push(action);
            }
            if let Some(action) = suppress_action(request, &positions, finding) {
                actions.push(action);
            }
        }
    }
    if fixable
        && wants(request.only, &CodeActionKind::from(FIX_ALL_KIND))
        && let Some(action) = fix_all_action(engine, request, &positions)
    {
        actions.push(action);
    }
    actions
}

/// The finding's own fix, or the command that plans its crate-wide swap.
fn fix_action(
    engine: &Engine,
    request: &Request<'_>,
    positions: &Positions<'_>,
    finding: &Finding,
) -> Option<CodeActionOrCommand> {
    let allow_unsafe = request.check.unsafe_fixes;
    let diagnostic = finding_diagnostic(request.uri, positions, finding, false);
    if finding.rule == RuleId::StdLockInAsync && finding.fix.is_none() {
        // Always unsafe: offered as such, and only when unsafe fixes are allowed.
        if !allow_unsafe {
            return None;
        }
        return Some(CodeActionOrCommand::CodeAction(CodeAction {
            title: "Swap this lock for tokio::sync across the crate (unsafe: every use \
                    becomes async; plans over the whole crate)"
                .to_owned(),
            kind: Some(CodeActionKind::QUICKFIX),
            diagnostics: Some(vec![diagnostic]),
            command: Some(Command {
                title: "Swap for tokio::sync across the crate".to_owned(),
                command: SWAP_COMMAND.to_owned(),
                arguments: Some(vec![json!({
                    "uri": request.uri,
                    "offset": finding.range.start,
                })]),
            }),
            ..CodeAction::default()
        }));
    }
    let fix = finding.fix.as_ref()?;
    if !crate::fix::engine::allowed(fix, allow_unsafe)
        || !engine.fix_applies_cleanly(request.text, 0, &request.check.options, fix)
    {
        return None;
    }
    let safe = fix.applicability == Applicability::Safe;
    let title = if safe {
        fix.title.clone()
    } else {
        format!("{} (unsafe fix: check the result)", fix.title)
    };
    Some(CodeActionOrCommand::CodeAction(CodeAction {
        title,
        kind: Some(CodeActionKind::QUICKFIX),
        diagnostics: Some(vec![diagnostic]),
        edit: Some(edit(request.uri, positions, &fix.edits)),
        is_preferred: Some(safe),
        ..CodeAction::default()
    }))
}

/// `// lockfix: ignore[rule]` above the finding's line.
fn suppress_action(
    request: &Request<'_>,
    positions: &Positions<'_>,
    finding: &Finding,
) -> Option<CodeActionOrCommand> {
    let (edits, _inside_a_string) = ignore_comment_edits(
        request.text,
        request.check.options.edition,
        std::slice::from_ref(finding),
    );
    if edits.is_empty() {
        return None;
    }
    // The --add-ignore reason marks comments written in bulk; one the user adds in the editor
    // is theirs to explain.
    let edits: Vec<TextEdit> = edits
        .into_iter()
        .map(|edit| TextEdit {
            replacement: edit.replacement.replace(&format!(" {ADDED_REASON}"), ""),
            ..edit
        })
        .collect();
    Some(CodeActionOrCommand::CodeAction(CodeAction {
        title: format!(
            "Suppress `{}` with `// lockfix: ignore[{}]`",
            finding.rule, finding.rule
        ),
        kind: Some(CodeActionKind::QUICKFIX),
        diagnostics: Some(vec![finding_diagnostic(
            request.uri,
            positions,
            finding,
            false,
        )]),
        edit: Some(edit(request.uri, positions, &edits)),
        is_preferred: Some(false),
        ..CodeAction::default()
    }))
}

/// Every safe fix of the file, through the fix loop.
fn fix_all_action(
    engine: &Engine,
    request: &Request<'_>,
    positions: &Positions<'_>,
) -> Option<CodeActionOrCommand> {
    // The safe fixes, with the options (and semantic facts) the document was checked with.
    let fixed = engine.fix_all(request.text, request.check).ok()?;
    if !fixed.changed() {
        return None;
    }
    let edits = [minimal_edit(request.text, &fixed.text)];
    let count = fixed.applied.len();
    Some(CodeActionOrCommand::CodeAction(CodeAction {
        title: format!(
            "Fix all safe lockfix problems ({})",
            crate::report::plural(count, "fix")
        ),
        kind: Some(CodeActionKind::from(FIX_ALL_KIND)),
        edit: Some(edit(request.uri, positions, &edits)),
        ..CodeAction::default()
    }))
}

/// The engine's edits as a workspace edit on one document.
pub fn edit(uri: &Url, positions: &Positions<'_>, edits: &[TextEdit]) -> WorkspaceEdit {
    let edits = edits
        .iter()
        .map(|edit| {
            lsp_types::TextEdit::new(positions.range(&edit.range), edit.replacement.clone())
        })
        .collect();
    WorkspaceEdit {
        changes: Some(HashMap::from([(uri.clone(), edits)])),
        ..WorkspaceEdit::default()
    }
}

/// One edit turning `before` into `after`: the differing middle, so the editor keeps the cursor
/// and folds outside it.
pub fn minimal_edit(before: &str, after: &str) -> TextEdit {
    let mut prefix = before
        .bytes()
        .zip(after.bytes())
        .take_while(|(a, b)| a == b)
        .count();
    while !before.is_char_boundary(prefix) || !after.is_char_boundary(prefix) {
        prefix -= 1;
    }
    let mut suffix = before[prefix..]
        .bytes()
        .rev()
        .zip(after[prefix..].bytes().rev())
        .take_while(|(a, b)| a == b)
        .count();
    while !before.is_char_boundary(before.len() - suffix)
        || !after.is_char_boundary(after.len() - suffix)
    {
        suffix -= 1;
    }
    TextEdit {
        range: prefix..before.len() - suffix,
        replacement: after[prefix..after.len() - suffix].to_owned(),
    }
}

/// Whether the editor asked for actions of `kind`: no filter, or a filter naming it or one of
/// its parents (`source` covers `source.fixAll.lockfix`).
fn wants(only: Option<&[CodeActionKind]>, kind: &CodeActionKind) -> bool {
    only.is_none_or(|only| {
        only.iter().any(|wanted| {
            let wanted = wanted.as_str();
            kind.as_str() == wanted || kind.as_str().starts_with(&format!("{wanted}."))
        })
    })
}

/// Whether a finding's range and the requested one meet (an empty request range, the cursor,
/// meets a finding it touches at either end).
fn touches(finding: &std::ops::Range<usize>, requested: &std::ops::Range<usize>) -> bool {
    finding.start <= requested.end && requested.start <= finding.end
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn minimal_edit_is_the_differing_middle() {
        let edit = minimal_edit("let a = 1;\nlet b = 2;\n", "let a = 1;\nlet c = 2;\n");
        assert_eq!(edit.range, 15..16);
        assert_eq!(edit.replacement, "c");
        let edit = minimal_edit("aé", "aè");
        assert_eq!(edit.range, 1..3);
        assert_eq!(edit.replacement, "è");
        let same = minimal_edit("abc", "abc");
        assert_eq!((same.range, same.replacement.as_str()), (3..3, ""));
        let grown = minimal_edit("aa", "aaa");
        assert_eq!(
            crate::fix::edit::apply_edits("aa", &[grown]).unwrap(),
            "aaa".to_owned()
        );
    }

    #[test]
    fn kinds_filter_by_prefix() {
        let fix_all = CodeActionKind::from(FIX_ALL_KIND);
        assert!(wants(None, &fix_all));
        assert!(wants(Some(&[CodeActionKind::SOURCE]), &fix_all));
        assert!(wants(Some(&[CodeActionKind::SOURCE_FIX_ALL]), &fix_all));
        assert!(!wants(Some(&[CodeActionKind::QUICKFIX]), &fix_all));
        assert!(!wants(
            Some(&[CodeActionKind::from("source.fix")]),
            &fix_all
        ));
        assert!(wants(
            Some(&[CodeActionKind::QUICKFIX]),
            &CodeActionKind::QUICKFIX
        ));
    }
}
