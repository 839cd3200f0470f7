//! The report for GitHub Actions: one workflow command per finding
//! (`::warning file=…,line=…,col=…,endLine=…,endColumn=…,title=…::message`), which the runner
//! turns into annotations on the pull request's diff.

use std::io::{self, Write};

use lockfix_transforms::Severity;

use crate::input::line_index::LineIndex;
use crate::report::Report;

pub fn write_report(out: &mut dyn Write, report: &Report) -> io::Result<()> {
    for file in &report.files {
        let index = LineIndex::new(&file.text);
        for finding in &file.findings {
            let start = index.line_col(&file.text, finding.range.start);
            let end = index.line_col(&file.text, finding.range.end.max(finding.range.start));
            let command = match finding.severity {
                Severity::Error => "error",
                Severity::Warning => "warning",
                Severity::Info => "notice",
            };
            let mut message = finding.message.clone();
            if let Some(help) = &finding.help {
                message.push_str("\nhelp: ");
                message.push_str(help);
            }
            writeln!(
                out,
                "::{command} file={},line={},col={},endLine={},endColumn={},title={}::{}",
                escape_property(&file.path),
                start.line,
                start.column,
                end.line,
                end.column,
                escape_property(&format!("lockfix {}", finding.rule)),
                escape_data(&message),
            )?;
        }
    }
    for error in &report.errors {
        writeln!(
            out,
            "::warning file={},title=lockfix::{}",
            escape_property(&error.path),
            escape_data(&error.message)
        )?;
    }
    Ok(())
}

/// The escaping the Actions runner undoes in a command's message.
fn escape_data(text: &str) -> String {
    text.replace('%', "%25")
        .replace('\r', "%0D")
        .replace('\n', "%0A")
}

/// The escaping the runner undoes in a property value, where `:` and `,` are separators.
fn escape_property(text: &str) -> String {
    escape_data(text).replace(':', "%3A").replace(',', "%2C")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn escapes() {
        assert_eq!(escape_data("50%\nnext"), "50%25%0Anext");
        assert_eq!(escape_property("a:b,c"), "a%3Ab%2Cc");
    }
}
