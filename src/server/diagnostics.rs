//! The engine's findings as LSP diagnostics.
//!
//! One diagnostic per finding, at the guard's acquisition: the rule is the `code`, linked to the
//! rule's documentation (`codeDescription`); the labels (the `.await`, the second lock, the last
//! use) are related information, so editors show them as clickable locations under the message.

use lsp_types::{
    CodeDescription, Diagnostic, DiagnosticRelatedInformation, DiagnosticSeverity, DiagnosticTag,
    Location, NumberOrString, Position, Range, Url,
};

use super::position::{Encoding, Positions};
use crate::fix::engine::FileCheck;
use lockfix_transforms::{Finding, Severity};

/// The `source` of every diagnostic the server publishes.
pub const SOURCE: &str = "lockfix";

/// The code of the hint on a `// lockfix: ignore[..]` comment that suppresses nothing.
pub const UNUSED_SUPPRESSION: &str = "unused-suppression";

/// The diagnostics of one checked text.
pub fn diagnostics(
    uri: &Url,
    text: &str,
    check: &Result<FileCheck, String>,
    encoding: Encoding,
) -> Vec<Diagnostic> {
    let positions = Positions::new(text, encoding);
    let check = match check {
        Ok(check) => check,
        Err(panic) => return vec![file_note(DiagnosticSeverity::ERROR, panic.clone())],
    };
    let analysis = &check.outcome.initial;
    if let Some(reason) = &analysis.not_analysed {
        return vec![file_note(
            DiagnosticSeverity::INFORMATION,
            format!("lockfix did not analyse this file: {reason}"),
        )];
    }
    let withheld = !analysis.syntax_errors.is_empty();
    let mut diagnostics: Vec<Diagnostic> = analysis
        .findings
        .iter()
        .map(|finding| finding_diagnostic(uri, &positions, finding, withheld))
        .collect();
    diagnostics.extend(
        analysis
            .unused_suppressions
            .iter()
            .map(|unused| Diagnostic {
                range: positions.range(&unused.range),
                severity: Some(DiagnosticSeverity::HINT),
                code: Some(NumberOrString::String(UNUSED_SUPPRESSION.to_owned())),
                source: Some(SOURCE.to_owned()),
                message: unused.message.clone(),
                tags: Some(vec![DiagnosticTag::UNNECESSARY]),
                ..Diagnostic::default()
            }),
    );
    if let Some(error) = &check.config_error {
        diagnostics.push(file_note(
            DiagnosticSeverity::WARNING,
            format!("lockfix's configuration could not be read, the defaults apply: {error}"),
        ));
    }
    diagnostics
}

/// The diagnostic of one finding.
pub fn finding_diagnostic(
    uri: &Url,
    positions: &Positions<'_>,
    finding: &Finding,
    fixes_withheld: bool,
) -> Diagnostic {
    let mut message = finding.message.clone();
    if let Some(help) = &finding.help {
        message.push_str("\nhelp: ");
        message.push_str(help);
    }
    if fixes_withheld && finding.fix.is_some() {
        message.push_str("\nThe fix is offered once the file has no syntax errors.");
    }
    let related: Vec<DiagnosticRelatedInformation> = finding
        .labels
        .iter()
        .map(|label| DiagnosticRelatedInformation {
            location: Location::new(uri.clone(), positions.range(&label.range)),
            message: label.message.clone(),
        })
        .collect();
    Diagnostic {
        range: positions.range(&finding.range),
        severity: Some(match finding.severity {
            Severity::Error => DiagnosticSeverity::ERROR,
            Severity::Warning => DiagnosticSeverity::WARNING,
            Severity::Info => DiagnosticSeverity::INFORMATION,
        }),
        code: Some(NumberOrString::String(finding.rule.as_str().to_owned())),
        code_description: Url::parse(&crate::input::rules::doc_url(finding.rule))
            .ok()
            .map(|href| CodeDescription { href }),
        source: Some(SOURCE.to_owned()),
        message,
        related_information: (!related.is_empty()).then_some(related),
        // Which tier decided: the semantic tier's answer replaces the syntax tier's as it comes.
        data: Some(serde_json::json!({ "tier": finding.tier.as_str() })),
        ..Diagnostic::default()
    }
}

/// A note about the whole file, on its first line.
fn file_note(severity: DiagnosticSeverity, message: String) -> Diagnostic {
    Diagnostic {
        range: Range::new(Position::new(0, 0), Position::new(0, 0)),
        severity: Some(severity),
        source: Some(SOURCE.to_owned()),
        message,
        ..Diagnostic::default()
    }
}
