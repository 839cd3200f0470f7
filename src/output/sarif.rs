//! The report for code scanning: one SARIF 2.1.0 log (what GitHub code scanning uploads).
//!
//! Every finding is a `result` with its rule, level, primary location and the labels as related
//! locations; a fix becomes a SARIF `fix` object whose replacements are the fix's text edits, with
//! `properties.applicability` saying whether lockfix applies it without `--unsafe-fixes`.
//! Columns count Unicode characters, as everywhere in lockfix, and the run says so
//! (`columnKind`), since SARIF's default is UTF-16 code units.

use std::io::{self, Write};
use std::path::Path;

use lockfix_transforms::{Finding, Fix, Severity, rule_docs};
use serde_json::{Value, json};

use crate::input::line_index::LineIndex;
use crate::report::Report;

/// The schema GitHub and the SARIF validators know this version by.
const SCHEMA: &str = "https://json.schemastore.org/sarif-2.1.0.json";

pub fn to_sarif(report: &Report) -> Value {
    let docs = rule_docs();
    let rules: Vec<Value> = docs
        .iter()
        .map(|doc| {
            json!({
                "id": doc.id.as_str(),
                "shortDescription": { "text": doc.summary },
                "fullDescription": { "text": doc.summary },
                "help": { "text": doc.explanation, "markdown": doc.explanation },
                "helpUri": crate::input::rules::doc_url(doc.id),
            })
        })
        .collect();
    let mut results = Vec::new();
    for file in &report.files {
        let index = LineIndex::new(&file.text);
        let uri = artifact_uri(&file.path);
        let region = |range: &std::ops::Range<usize>| {
            let start = index.line_col(&file.text, range.start);
            let end = index.line_col(&file.text, range.end.max(range.start));
            json!({
                "startLine": start.line,
                "startColumn": start.column,
                "endLine": end.line,
                "endColumn": end.column,
            })
        };
        let location = |range: &std::ops::Range<usize>| {
            json!({
                "physicalLocation": {
                    "artifactLocation": artifact_location(&uri),
                    "region": region(range),
                }
            })
        };
        for finding in &file.findings {
            let mut result = json!({
                "ruleId": finding.rule.as_str(),
                "level": level(finding.severity),
                "message": { "text": message(finding) },
                "locations": [location(&finding.range)],
            });
            if let Some(index) = docs.iter().position(|doc| doc.id == finding.rule) {
                result["ruleIndex"] = json!(index);
            }
            if !finding.labels.is_empty() {
                let related: Vec<Value> = finding
                    .labels
                    .iter()
                    .enumerate()
                    .map(|(id, label)| {
                        let mut related = location(&label.range);
                        related["id"] = json!(id);
                        related["message"] = json!({ "text": label.message });
                        related
                    })
                    .collect();
                result["relatedLocations"] = Value::Array(related);
            }
            // A crate-wide fix (the std→tokio swap) has no edits in this file alone: SARIF's
            // fix object describes replacements, so it is left out; the message says what to run.
            if let Some(fix) = finding.fix.as_ref().filter(|f| !f.edits.is_empty()) {
                result["fixes"] = json!([sarif_fix(fix, &uri, &region)]);
            }
            // Its title and caveats (blocking sites left, the manifest change) go in the
            // result's property bag instead.
            if let Some(caveats) = report
                .crate_fix_caveats
                .get(&(file.path.clone(), finding.range.start))
                && let Some(fix) = &finding.fix
            {
                result["properties"] = json!({
                    "fix": {
                        "title": fix.title,
                        "applicability": fix.applicability.as_str(),
                        "caveats": caveats,
                    }
                });
            }
            results.push(result);
        }
    }
    let notifications: Vec<Value> = report
        .errors
        .iter()
        .map(|error| {
            json!({
                "level": "warning",
                "message": { "text": error.message },
                "locations": [{
                    "physicalLocation": { "artifactLocation": artifact_location(&artifact_uri(&error.path)) }
                }],
            })
        })
        // A skipped workspace is worth knowing, not a warning: SARIF's "note" level.
        .chain(report.notes.iter().map(|note| {
            json!({
                "level": "note",
                "message": { "text": note.message },
                "locations": [{
                    "physicalLocation": { "artifactLocation": artifact_location(&artifact_uri(&note.path)) }
                }],
            })
        }))
        .collect();
    json!({
        "$schema": SCHEMA,
        "version": "2.1.0",
        "runs": [{
            "tool": {
                "driver": {
                    "name": "lockfix",
                    "version": env!("CARGO_PKG_VERSION"),
                    "semanticVersion": env!("CARGO_PKG_VERSION"),
                    "informationUri": "https://github.com/lockfix/lockfix",
                    "rules": rules,
                }
            },
            "columnKind": "unicodeCodePoints",
            "invocations": [{
                "executionSuccessful": !report.failed,
                "toolExecutionNotifications": notifications,
            }],
            "results": results,
        }]
    })
}

/// The message with the help sentence, which SARIF has no separate place for in a result.
fn message(finding: &Finding) -> String {
    match &finding.help {
        Some(help) => format!("{}\n\nhelp: {help}", finding.message),
        None => finding.message.clone(),
    }
}

fn sarif_fix(fix: &Fix, uri: &str, region: &dyn Fn(&std::ops::Range<usize>) -> Value) -> Value {
    let replacements: Vec<Value> = fix
        .edits
        .iter()
        .map(|edit| {
            json!({
                "deletedRegion": region(&edit.range),
                "insertedContent": { "text": edit.replacement },
            })
        })
        .collect();
    json!({
        "description": { "text": fix.title },
        "artifactChanges": [{
            "artifactLocation": artifact_location(uri),
            "replacements": replacements,
        }],
        "properties": { "applicability": fix.applicability.as_str() },
    })
}

fn level(severity: Severity) -> &'static str {
    match severity {
        Severity::Error => "error",
        Severity::Warning => "warning",
        Severity::Info => "note",
    }
}

/// Relative paths are resolved against the checkout root (`%SRCROOT%`), which GitHub maps to the
/// repository; absolute ones become `file://` URIs.
fn artifact_location(uri: &str) -> Value {
    if uri.starts_with("file://") {
        json!({ "uri": uri })
    } else {
        json!({ "uri": uri, "uriBaseId": "%SRCROOT%" })
    }
}

/// A path as a URI reference: forward slashes, and the characters a URI cannot hold escaped.
fn artifact_uri(path: &str) -> String {
    let slashed = path.replace('\\', "/");
    let mut uri = String::with_capacity(slashed.len());
    for byte in slashed.bytes() {
        match byte {
            b'A'..=b'Z' | b'a'..=b'z' | b'0'..=b'9' | b'-' | b'.' | b'_' | b'~' | b'/' => {
                uri.push(char::from(byte));
            }
            _ => uri.push_str(&format!("%{byte:02X}")),
        }
    }
    if Path::new(path).is_absolute() {
        format!(
            "file://{}{uri}",
            if uri.starts_with('/') { "" } else { "/" }
        )
    } else {
        uri
    }
}

pub fn write_report(out: &mut dyn Write, report: &Report) -> io::Result<()> {
    serde_json::to_writer_pretty(&mut *out, &to_sarif(report))?;
    writeln!(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn uris() {
        assert_eq!(artifact_uri("src/a b.rs"), "src/a%20b.rs");
        assert_eq!(artifact_uri("src\\é.rs"), "src/%C3%A9.rs");
        assert_eq!(artifact_uri("/tmp/x.rs"), "file:///tmp/x.rs");
    }
}
