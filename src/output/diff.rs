//! Unified diffs that `git apply` and `patch -p1` accept.
//!
//! `similar` computes the line operations; the hunks are written here so that the two details
//! `git apply` is strict about are under control: a line without a final newline is followed by
//! `\ No newline at end of file`, and line breaks are copied byte for byte (a CRLF line stays CRLF
//! in the diff, which is what `git apply` expects for a CRLF file).

use std::fmt::Write as _;

use lockfix_transforms::{Fix, TextEdit};
use similar::{ChangeTag, TextDiff};

use crate::fix::edit;
use crate::input::line_index::LineIndex;

/// Lines of context around each change, as `diff -u` and git use.
pub const CONTEXT_LINES: usize = 3;

/// The unified diff from `old` to `new` for the file shown as `path` (headers `a/PATH` and
/// `b/PATH`), or an empty string when they are equal.
pub fn unified_diff(path: &str, old: &str, new: &str) -> String {
    unified_diff_from_line(path, old, new, 0)
}

/// [`unified_diff`] of two excerpts that start at 0-based line `first_line` of their files: hunk
/// headers count from there.
fn unified_diff_from_line(path: &str, old: &str, new: &str, first_line: usize) -> String {
    if old == new {
        return String::new();
    }
    let diff = TextDiff::from_lines(old, new);
    // An absolute path is shown as git shows one (`a/tmp/x.rs`, not `a//tmp/x.rs`), so that
    // `git apply` and `patch -p1` read the header the same way.
    let shown = path.trim_start_matches('/');
    let mut out = format!("--- a/{shown}\n+++ b/{shown}\n");
    for group in diff.grouped_ops(CONTEXT_LINES) {
        let (Some(first), Some(last)) = (group.first(), group.last()) else {
            continue;
        };
        let old_range = first.old_range().start..last.old_range().end;
        let new_range = first.new_range().start..last.new_range().end;
        // Writing to a String cannot fail.
        let _ = writeln!(
            out,
            "@@ -{} +{} @@",
            hunk_range(first_line + old_range.start, old_range.len()),
            hunk_range(first_line + new_range.start, new_range.len())
        );
        for op in &group {
            for change in diff.iter_changes(op) {
                out.push(match change.tag() {
                    ChangeTag::Equal => ' ',
                    ChangeTag::Delete => '-',
                    ChangeTag::Insert => '+',
                });
                let line = change.value();
                out.push_str(line);
                if !line.ends_with('\n') {
                    out.push_str("\n\\ No newline at end of file\n");
                }
            }
        }
    }
    out
}

/// The diff of applying `fix` alone to `text` (whose lines `lines` indexes); `None` when its
/// edits are invalid.
///
/// Only the lines the edits touch, with their context, are diffed: a report shows one such diff
/// per finding, and diffing the whole file each time made a file of thousands of findings
/// quadratic.
pub fn fix_diff(path: &str, text: &str, lines: &LineIndex, fix: &Fix) -> Option<String> {
    let start = fix.edits.iter().map(|e| e.range.start).min()?;
    let end = fix.edits.iter().map(|e| e.range.end).max()?;
    if end > text.len() || !text.is_char_boundary(start) || !text.is_char_boundary(end) {
        return None;
    }
    // From CONTEXT_LINES lines before the first edited line to CONTEXT_LINES lines after the
    // last: the hunks need no more.
    let mut from = text[..start].rfind('\n').map_or(0, |i| i + 1);
    for _ in 0..CONTEXT_LINES {
        if from == 0 {
            break;
        }
        from = text[..from - 1].rfind('\n').map_or(0, |i| i + 1);
    }
    let mut to = end;
    for _ in 0..=CONTEXT_LINES {
        match text[to..].find('\n') {
            Some(i) => to += i + 1,
            None => {
                to = text.len();
                break;
            }
        }
    }
    let shifted: Vec<TextEdit> = fix
        .edits
        .iter()
        .map(|e| TextEdit {
            range: e.range.start - from..e.range.end - from,
            replacement: e.replacement.clone(),
        })
        .collect();
    let excerpt = &text[from..to];
    let fixed = edit::apply_edits(excerpt, &shifted).ok()?;
    // `from` starts a line, so this is that line's number.
    let first_line = lines.line_of(from);
    Some(unified_diff_from_line(path, excerpt, &fixed, first_line))
}

/// `start,len` of a hunk header from a 0-based start line. An empty range names the line before
/// it, as GNU diff does; a single line omits the length.
fn hunk_range(start: usize, len: usize) -> String {
    match len {
        0 => format!("{start},0"),
        1 => format!("{}", start + 1),
        _ => format!("{},{len}", start + 1),
    }
}

#[cfg(test)]
mod tests {
    use std::path::Path;
    use std::process::Command;

    use super::*;

    /// Checks with `git apply` that `diff` turns `old` into `new`, when git is installed.
    fn assert_git_applies(old: &[u8], new: &[u8], diff: &str) {
        let dir = tempfile::tempdir().unwrap();
        let file = dir.path().join("f.rs");
        std::fs::write(&file, old).unwrap();
        let patch = dir.path().join("fix.patch");
        std::fs::write(&patch, diff).unwrap();
        let Ok(status) = git(dir.path(), &["apply", "--check", "fix.patch"]) else {
            return;
        };
        assert!(status, "git apply --check rejected:\n{diff}");
        assert!(git(dir.path(), &["apply", "fix.patch"]).unwrap());
        assert_eq!(std::fs::read(&file).unwrap(), new, "{diff}");
    }

    fn git(dir: &Path, args: &[&str]) -> std::io::Result<bool> {
        let output = Command::new("git").args(args).current_dir(dir).output()?;
        if !output.status.success() {
            eprintln!("{}", String::from_utf8_lossy(&output.stderr));
        }
        Ok(output.status.success())
    }

    /// A fix's diff is computed on an excerpt; it must be the whole file's diff, line numbers and
    /// all, wherever the edits are (first line, last line without a newline, CRLF, far apart).
    #[test]
    fn a_fix_diff_is_the_whole_files_diff() {
        let lines: Vec<String> = (0..40).map(|i| format!("line {i}")).collect();
        let texts = [
            lines.join("\n") + "\n",
            lines.join("\n"),
            lines.join("\r\n") + "\r\n",
        ];
        for text in &texts {
            let at = |needle: &str| text.find(needle).expect("line present");
            let cases: Vec<Vec<TextEdit>> = vec![
                vec![edit(0, 4, "first")],
                vec![edit(at("line 20"), at("line 20") + 7, "twenty\nand more")],
                vec![
                    edit(at("line 5"), at("line 5"), "before five "),
                    edit(at("line 30"), at("line 31"), ""),
                ],
                vec![edit(at("line 39"), text.len(), "last")],
            ];
            for edits in cases {
                let fix = Fix {
                    title: "t".to_string(),
                    applicability: lockfix_transforms::Applicability::Safe,
                    edits,
                };
                let fixed = edit::apply_edits(text, &fix.edits).expect("valid edits");
                assert_eq!(
                    fix_diff("f.rs", text, &LineIndex::new(text), &fix).as_deref(),
                    Some(unified_diff("f.rs", text, &fixed).as_str()),
                    "{:?}",
                    fix.edits
                );
            }
        }
    }

    fn edit(start: usize, end: usize, replacement: &str) -> TextEdit {
        TextEdit {
            range: start..end,
            replacement: replacement.to_string(),
        }
    }

    #[test]
    fn equal_texts_have_no_diff() {
        assert_eq!(unified_diff("f.rs", "a\n", "a\n"), "");
    }

    #[test]
    fn simple_change_with_context() {
        let old = "1\n2\n3\n4\n5\n6\n7\n8\n9\n";
        let new = "1\n2\n3\n4\nfive\n6\n7\n8\n9\n";
        let diff = unified_diff("f.rs", old, new);
        assert_eq!(
            diff,
            "--- a/f.rs\n+++ b/f.rs\n@@ -2,7 +2,7 @@\n 2\n 3\n 4\n-5\n+five\n 6\n 7\n 8\n"
        );
        assert_git_applies(old.as_bytes(), new.as_bytes(), &diff);
    }

    #[test]
    fn missing_final_newline_is_marked() {
        let old = "a\nb";
        let new = "a\nc";
        let diff = unified_diff("f.rs", old, new);
        assert_eq!(
            diff,
            "--- a/f.rs\n+++ b/f.rs\n@@ -1,2 +1,2 @@\n a\n-b\n\\ No newline at end of file\n+c\n\\ No newline at end of file\n"
        );
        assert_git_applies(old.as_bytes(), new.as_bytes(), &diff);
        assert_git_applies(b"a\nb", b"a\nb\n", &unified_diff("f.rs", "a\nb", "a\nb\n"));
    }

    #[test]
    fn crlf_is_kept_byte_for_byte() {
        let old = "fn a() {\r\n    x();\r\n}\r\n";
        let new = "fn a() {\r\n    y();\r\n}\r\n";
        let diff = unified_diff("f.rs", old, new);
        assert!(diff.contains("-    x();\r\n+    y();\r\n"), "{diff:?}");
        assert_git_applies(old.as_bytes(), new.as_bytes(), &diff);
    }

    #[test]
    fn insertion_into_an_empty_file() {
        let diff = unified_diff("f.rs", "", "a\n");
        assert_eq!(diff, "--- a/f.rs\n+++ b/f.rs\n@@ -0,0 +1 @@\n+a\n");
        assert_git_applies(b"", b"a\n", &diff);
    }

    #[test]
    fn an_absolute_path_has_one_slash_after_the_prefix() {
        let diff = unified_diff("/tmp/f.rs", "", "a\n");
        assert!(
            diff.starts_with("--- a/tmp/f.rs\n+++ b/tmp/f.rs\n"),
            "{diff}"
        );
    }

    #[test]
    fn far_apart_changes_make_separate_hunks() {
        let old: String = (1..=20).map(|n| format!("<{n}>\n")).collect();
        let new = old
            .replace("<2>\n", "two\n")
            .replace("<19>\n", "nineteen\n");
        let diff = unified_diff("f.rs", &old, &new);
        assert_eq!(diff.matches("@@ -").count(), 2, "{diff}");
        assert_git_applies(old.as_bytes(), new.as_bytes(), &diff);
    }
}
