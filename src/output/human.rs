//! The report for people: rustc-style diagnostics (each with its fix's change under it), then
//! the diffs `git apply` accepts, then a summary line; or one line per finding (`--format
//! concise`).
//!
//! Everything is rendered with colours; the caller writes through `anstream`, which strips them
//! unless the stream is a terminal and honours `NO_COLOR` and `CLICOLOR_FORCE`. So a redirected
//! report holds plain text, and its diffs can be fed to `git apply`.

use std::io::{self, Write};
use std::ops::Range;

use annotate_snippets::{Level, Renderer, Snippet};
use anstyle::{AnsiColor, Style};
use lockfix_transforms::{Applicability, Finding, Severity};

use crate::input::line_index::{LineIndex, floor_char_boundary};
use crate::report::{ErrorEntry, Fixability, Note, Report, plural};

/// Writes the report: diagnostics, diffs, summary. `quiet` (`-q`) writes the diagnostics and
/// nothing else, as ruff's `--quiet` does.
pub fn write_report(out: &mut dyn Write, report: &Report, quiet: bool) -> io::Result<()> {
    for file in &report.files {
        let index = LineIndex::new(&file.text);
        for finding in &file.findings {
            let diagnostic =
                render_finding(&file.path, &file.text, &index, finding, file.unsafe_fixes);
            writeln!(out, "{diagnostic}")?;
            if !quiet {
                write_fix_preview(out, report, file, &index, finding)?;
            }
            writeln!(out)?;
        }
    }
    if quiet {
        return Ok(());
    }
    for file in &report.files {
        if !file.diff.is_empty() {
            write_diff(out, &file.diff)?;
        }
    }
    let summary = report.summary();
    if summary.fixes > 0 {
        let fixes = plural(summary.fixes, "fix");
        let files = plural(summary.changed_files, "file");
        if report.mode.writes() {
            writeln!(out, "\napplied {fixes} to {files}; what remains:")?;
        } else {
            // Only the flags that write exactly these fixes: --apply alone leaves the unsafe ones.
            let command = if report.unsafe_fixes {
                "--apply --unsafe-fixes"
            } else {
                "--apply"
            };
            writeln!(
                out,
                "\nwould apply {fixes} to {files} (dry run: nothing written; {command} writes them)"
            )?;
        }
    }
    write_explain_hint(out, report)?;
    writeln!(out, "{}", summary_line(report))
}

/// `--format concise`: one line per finding, `path:line:column: severity[rule]: message`, with
/// `[*]` when the current settings fix it (ruff's marker); then the summary line.
pub fn write_concise(out: &mut dyn Write, report: &Report, quiet: bool) -> io::Result<()> {
    for file in &report.files {
        let index = LineIndex::new(&file.text);
        for finding in &file.findings {
            let at = index.line_col(&file.text, finding.range.start);
            let marker = if file.fixability(finding) == Fixability::Fixable {
                " [*]"
            } else {
                ""
            };
            writeln!(
                out,
                "{}:{}:{}: {}[{}]: {}{marker}",
                file.path,
                at.line,
                at.column,
                finding.severity.as_str(),
                finding.rule,
                finding.message
            )?;
        }
    }
    if quiet {
        return Ok(());
    }
    write_explain_hint(out, report)?;
    writeln!(out, "{}", summary_line(report))
}

/// Where to learn more, naming the first rule found (before the summary line, which stays last
/// for scripts).
fn write_explain_hint(out: &mut dyn Write, report: &Report) -> io::Result<()> {
    if let Some((_, finding)) = report.findings().next() {
        writeln!(
            out,
            "for what a rule means and how its fix works: lockfix --explain {}",
            finding.rule
        )?;
    }
    Ok(())
}

/// The change a finding's fix makes, right under the finding (ruff shows fixes this way): the
/// hunks of its diff, indented, without the file headers so that only the full diff at the end
/// is a patch. A crate-wide fix points at that diff instead.
fn write_fix_preview(
    out: &mut dyn Write,
    report: &Report,
    file: &crate::report::FileReport,
    lines: &LineIndex,
    finding: &Finding,
) -> io::Result<()> {
    let Some(fix) = &finding.fix else {
        return Ok(());
    };
    if report
        .crate_fix_diffs
        .contains_key(&(file.path.clone(), finding.range.start))
        || fix.edits.is_empty()
    {
        return Ok(());
    }
    let Some(diff) = crate::output::diff::fix_diff(&file.path, &file.text, lines, fix) else {
        return Ok(());
    };
    let mut hunks = diff
        .split_inclusive('\n')
        .filter(|line| !line.starts_with("--- ") && !line.starts_with("+++ "))
        .peekable();
    if hunks.peek().is_none() {
        return Ok(());
    }
    writeln!(out, "  = fix:")?;
    for line in hunks {
        write!(out, "    ")?;
        write_diff_line(out, line)?;
    }
    Ok(())
}

/// `N findings (M fixable, K with --unsafe-fixes)`, or `no findings`; with `--unsafe-fixes` on,
/// `N findings (M fixable, K of them unsafe)` (the unsafe ones are fixable then). After writing,
/// it counts what remains in the written files. Scripts read this line: keep its shape.
pub fn summary_line(report: &Report) -> String {
    let summary = report.summary();
    if report.files_scanned == 0 {
        return "no files checked".to_owned();
    }
    if summary.findings == 0 {
        return "no findings".to_owned();
    }
    if report.unsafe_fixes {
        return format!(
            "{} ({} fixable, {} of them unsafe)",
            plural(summary.findings, "finding"),
            summary.fixable,
            summary.fixable_unsafe
        );
    }
    format!(
        "{} ({} fixable, {} with --unsafe-fixes)",
        plural(summary.findings, "finding"),
        summary.fixable,
        summary.unsafe_fixable
    )
}

/// Per-file problems, for standard error.
pub fn write_errors(out: &mut dyn Write, errors: &[ErrorEntry]) -> io::Result<()> {
    let warning = Style::new().fg_color(Some(AnsiColor::Yellow.into())).bold();
    let error_style = Style::new().fg_color(Some(AnsiColor::Red.into())).bold();
    for error in errors {
        let (style, label) = if error.fatal {
            (error_style, "error")
        } else {
            (warning, "warning")
        };
        writeln!(
            out,
            "{style}{label}{style:#}: {}: {}",
            error.path, error.message
        )?;
    }
    Ok(())
}

/// The semantic tier's skipped workspaces in one line: dozens of vendored crates would otherwise
/// bury the report; `--format json` lists them (`notes`). Nothing when there are none.
pub fn write_notes(out: &mut dyn Write, notes: &[Note]) -> io::Result<()> {
    if notes.is_empty() {
        return Ok(());
    }
    let style = Style::new().fg_color(Some(AnsiColor::Cyan.into())).bold();
    let remembered = notes.iter().filter(|note| note.remembered).count();
    let when = match remembered {
        0 => String::new(),
        n if n == notes.len() => ", remembered from an earlier run".to_owned(),
        n => format!(", {n} remembered from an earlier run"),
    };
    let workspaces = if notes.len() == 1 {
        format!("{}, which", notes[0].path)
    } else {
        format!("{} workspaces", notes.len())
    };
    writeln!(
        out,
        "{style}note{style:#}: semantic tier skipped for {workspaces} cargo cannot resolve \
         offline{when}; syntax tier used (see --format json notes)"
    )
}

/// A unified diff with `+`/`-` lines coloured; the text itself is unchanged.
pub fn write_diff(out: &mut dyn Write, diff: &str) -> io::Result<()> {
    for line in diff.split_inclusive('\n') {
        write_diff_line(out, line)?;
    }
    Ok(())
}

fn write_diff_line(out: &mut dyn Write, line: &str) -> io::Result<()> {
    let style = if line.starts_with("--- ") || line.starts_with("+++ ") {
        Style::new().bold()
    } else if line.starts_with("@@") {
        Style::new().fg_color(Some(AnsiColor::Cyan.into()))
    } else if line.starts_with('+') {
        Style::new().fg_color(Some(AnsiColor::Green.into()))
    } else if line.starts_with('-') {
        Style::new().fg_color(Some(AnsiColor::Red.into()))
    } else {
        Style::new()
    };
    // The style ends before the line break so that a CRLF stays CRLF.
    let content_len = line.trim_end_matches(['\r', '\n']).len();
    let (content, line_break) = line.split_at(content_len);
    write!(out, "{style}{content}{style:#}{line_break}")
}

/// One finding as rustc would show it:
///
/// ```text
/// error[guard-across-await]: message
///  --> src/lib.rs:2:9
///   |
/// 2 |     let g = m.lock().unwrap();
///   |         ^
/// ...
///   = help: …
///   = note: safe fix: …
/// ```
pub fn render_finding(
    path: &str,
    text: &str,
    index: &LineIndex,
    finding: &Finding,
    unsafe_fixes: bool,
) -> String {
    let level = match finding.severity {
        Severity::Error => Level::Error,
        Severity::Warning => Level::Warning,
        Severity::Info => Level::Info,
    };
    let ranges: Vec<Range<usize>> = std::iter::once(finding.range.clone())
        .chain(finding.labels.iter().map(|label| label.range.clone()))
        .map(|range| clamp(text, range))
        .collect();
    let frame = Frame::new(text, index, &ranges);

    // The primary location always gets `^` (annotate-snippets draws `^` only for its Error
    // level); secondary labels get `-`, as in rustc.
    let mut snippet = Snippet::source(&frame.source)
        .line_start(frame.first_line)
        .origin(path)
        .fold(true)
        .annotation(Level::Error.span(frame.map(&ranges[0])));
    for (label, range) in finding.labels.iter().zip(&ranges[1..]) {
        snippet = snippet.annotation(Level::Warning.span(frame.map(range)).label(&label.message));
    }

    let fix_note = finding.fix.as_ref().map(|fix| match fix.applicability {
        Applicability::Safe => format!("safe fix: {}", fix.title),
        Applicability::Unsafe if unsafe_fixes => format!("unsafe fix: {}", fix.title),
        Applicability::Unsafe => format!("unsafe fix (with --unsafe-fixes): {}", fix.title),
    });
    let mut message = level
        .title(&finding.message)
        .id(finding.rule.as_str())
        .snippet(snippet);
    if let Some(help) = &finding.help {
        message = message.footer(Level::Help.title(help));
    }
    if let Some(note) = &fix_note {
        message = message.footer(Level::Note.title(note));
    }
    let rendered = Renderer::styled().render(message).to_string();

    // annotate-snippets counts the column in the tab-expanded frame; users (and the JSON output)
    // count characters in the file, where a tab is one.
    let primary = ranges[0].start;
    let position = index.line_col(text, primary);
    let line = position.line;
    let line_start = index.line_start(line - 1);
    let expanded = frame.map(&(line_start..primary));
    let expanded_column = frame.source[expanded].chars().count() + 1;
    let true_column = position.column;
    rendered.replacen(
        &format!("{path}:{line}:{expanded_column}"),
        &format!("{path}:{line}:{true_column}"),
        1,
    )
}

fn clamp(text: &str, range: Range<usize>) -> Range<usize> {
    let start = floor_char_boundary(text, range.start);
    let end = floor_char_boundary(text, range.end.max(range.start));
    start..end
}

/// The lines a diagnostic shows, prepared for annotate-snippets: tabs expanded (it would expand
/// them itself but misplace the carets after them) and CRs of CRLF line breaks dropped (it shows
/// them as `^M` on some lines).
struct Frame {
    source: String,
    first_line: usize,
    /// Offset in the file minus the frame's start → offset in `source`.
    offsets: Vec<usize>,
    start: usize,
}

impl Frame {
    fn new(text: &str, index: &LineIndex, ranges: &[Range<usize>]) -> Frame {
        let first = ranges.iter().map(|range| range.start).min().unwrap_or(0);
        let last = ranges.iter().map(|range| range.end).max().unwrap_or(0);
        let first_line = index.line_of(first);
        let start = index.line_start(first_line);
        let end = index.line_end(text, index.line_of(last));
        let slice = &text[start..end];

        let mut source = String::with_capacity(slice.len());
        let mut offsets = Vec::with_capacity(slice.len() + 1);
        let mut chars = slice.char_indices().peekable();
        while let Some((_, c)) = chars.next() {
            for _ in 0..c.len_utf8() {
                offsets.push(source.len());
            }
            match c {
                '\t' => source.push_str("    "),
                '\r' if chars.peek().is_some_and(|&(_, next)| next == '\n') => {}
                c => source.push(c),
            }
        }
        offsets.push(source.len());
        Frame {
            source,
            first_line: first_line + 1,
            offsets,
            start,
        }
    }

    fn map(&self, range: &Range<usize>) -> Range<usize> {
        let at = |offset: usize| {
            let relative = offset
                .saturating_sub(self.start)
                .min(self.offsets.len() - 1);
            self.offsets[relative]
        };
        at(range.start)..at(range.end)
    }
}

#[cfg(test)]
mod tests {
    use lockfix_transforms::{Fix, Label, RuleId, TextEdit};

    use super::*;

    fn strip(styled: &str) -> String {
        let mut out = Vec::new();
        let mut stream = anstream::StripStream::new(&mut out);
        stream.write_all(styled.as_bytes()).unwrap();
        String::from_utf8(out).unwrap()
    }

    const SOURCE: &str = "pub async fn tick(m: &std::sync::Mutex<Vec<u32>>) {\r\n\tlet g = m.lock().unwrap();\r\n\tlet n = g.len();\r\n\ttokio::task::yield_now().await;\r\n}\r\n";

    fn finding() -> Finding {
        let guard = SOURCE.find("g =").unwrap();
        let await_ = SOURCE.find(".await").unwrap();
        Finding {
            tier: Default::default(),
            rule: RuleId::GuardAcrossAwait,
            severity: Severity::Error,
            range: guard..guard + 1,
            message: "guard `g` is held across an `.await`".to_owned(),
            labels: vec![Label {
                range: await_..await_ + 6,
                message: "`.await` here".to_owned(),
            }],
            help: Some("end the guard's scope before the await".to_owned()),
            fix: Some(Fix {
                title: "Scope the guard in a block".to_owned(),
                applicability: Applicability::Safe,
                edits: vec![TextEdit {
                    range: 0..0,
                    replacement: String::new(),
                }],
            }),
        }
    }

    #[test]
    fn renders_like_rustc_with_tabs_and_crlf() {
        let index = LineIndex::new(SOURCE);
        let rendered = strip(&render_finding(
            "src/lib.rs",
            SOURCE,
            &index,
            &finding(),
            false,
        ));
        let expected = "\
error[guard-across-await]: guard `g` is held across an `.await`
 --> src/lib.rs:2:6
  |
2 |     let g = m.lock().unwrap();
  |         ^
3 |     let n = g.len();
4 |     tokio::task::yield_now().await;
  |                             ------ `.await` here
  |
  = help: end the guard's scope before the await
  = note: safe fix: Scope the guard in a block";
        assert_eq!(rendered, expected);
    }

    #[test]
    fn out_of_range_labels_do_not_panic() {
        let mut finding = finding();
        finding.labels[0].range = 9_000..9_999;
        // A reversed range, as a buggy transform might produce.
        #[allow(clippy::reversed_empty_ranges)]
        {
            finding.range = 3..1;
        }
        let index = LineIndex::new(SOURCE);
        let rendered = strip(&render_finding("a.rs", SOURCE, &index, &finding, true));
        assert!(
            rendered.starts_with("error[guard-across-await]"),
            "{rendered}"
        );
    }

    #[test]
    fn diff_colours_do_not_touch_line_breaks() {
        let mut out = Vec::new();
        write_diff(&mut out, "--- a/x\n+++ b/x\n@@ -1 +1 @@\n-a\r\n+b\r\n").unwrap();
        assert_eq!(
            strip(&String::from_utf8(out).unwrap()),
            "--- a/x\n+++ b/x\n@@ -1 +1 @@\n-a\r\n+b\r\n"
        );
    }
}
