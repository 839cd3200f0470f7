//! Step 8, the text: the edits made inside a piece (`Edit`), the text of a range with them
//! applied, re-indentation, and the ranges a statement covers (its comments, its whole lines).
//!
//! Assumes: ranges come from the syntax tree of `text` (they fall on character boundaries).
//! Guarantees: `replace` keeps a list of edits sorted, absorbs the edits a new one covers and
//! refuses one that cuts another in half; `apply` uses only the edits inside its range; a line
//! inside a multi-line string literal is never re-indented; in a CRLF file, `comment_end` stops
//! before the `\r`.

use ra_ap_syntax::{NodeOrToken, SyntaxKind, SyntaxNode, TextRange, TextSize};

use super::Edit;
use crate::analysis::syntax;

pub(super) fn edited(edits: &[Edit], range: TextRange) -> bool {
    edits
        .iter()
        .any(|e| e.range.contains_range(range) && !e.range.is_empty())
}

/// Add an edit, absorbing the edits it covers; an edit that cuts one in half is a bug.
pub(super) fn replace(edits: &mut Vec<Edit>, range: TextRange, text: String) -> Result<(), String> {
    if edits.iter().any(|e| {
        e.range.intersect(range).is_some_and(|i| !i.is_empty())
            && !range.contains_range(e.range)
            && !e.range.contains_range(range)
    }) {
        return Err("overlapping rewrites; split the function by hand".to_string());
    }
    edits.retain(|e| !range.contains_range(e.range));
    edits.push(Edit { range, text });
    edits.sort_by_key(|e| (e.range.start(), e.range.end()));
    Ok(())
}

/// The text of `range` with `edits` applied.
pub(super) fn apply(text: &str, range: TextRange, edits: &[Edit]) -> String {
    apply_lines(text, range, edits, &[]).0
}

/// [`apply`], and for each line after the first whether it begins inside one of the multi-line
/// string literals `strings` (by its offset in the original text).
pub(super) fn apply_lines(
    text: &str,
    range: TextRange,
    edits: &[Edit],
    strings: &[TextRange],
) -> (String, Vec<bool>) {
    let mut out = String::new();
    let mut protected = Vec::new();
    let original = |out: &mut String, protected: &mut Vec<bool>, from: TextSize, to: TextSize| {
        let slice = &text[syntax::to_range(TextRange::new(from, to))];
        for (i, c) in slice.char_indices() {
            out.push(c);
            if c == '\n' {
                let next = from + TextSize::from((i + 1) as u32);
                protected.push(strings.iter().any(|r| r.start() < next && next < r.end()));
            }
        }
    };
    let mut at = range.start();
    let mut sorted: Vec<&Edit> = edits
        .iter()
        .filter(|e| range.contains_range(e.range))
        .collect();
    sorted.sort_by_key(|e| (e.range.start(), e.range.end()));
    for edit in sorted {
        if edit.range.start() < at {
            continue;
        }
        original(&mut out, &mut protected, at, edit.range.start());
        out.push_str(&edit.text);
        protected.extend(edit.text.matches('\n').map(|_| false));
        at = edit.range.end();
    }
    original(&mut out, &mut protected, at, range.end());
    (out, protected)
}

/// Lines of `text` after the first: their indentation `from` becomes `to`; a line indented less
/// gets `to` in front of its content; blank lines stay empty. `protected[i]` keeps line `i + 1`
/// exactly as it is (it is inside a string literal).
pub(super) fn reindent(text: &str, protected: &[bool], from: &str, to: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for (i, line) in text.split('\n').enumerate() {
        if i == 0 {
            out.push_str(line);
            continue;
        }
        out.push('\n');
        let content = line.trim_start_matches([' ', '\t']);
        if protected.get(i - 1).copied().unwrap_or(false) {
            out.push_str(line);
        } else if content.is_empty() || content == "\r" {
            out.push_str(content);
        } else if let Some(rest) = line.strip_prefix(from) {
            out.push_str(to);
            out.push_str(rest);
        } else {
            out.push_str(to);
            out.push_str(content);
        }
    }
    out
}

/// [`syntax::end_with_trailing_comment`] without the `\r` a line comment ends with in a CRLF
/// file: the line break is written separately.
pub(super) fn comment_end(text: &str, node: &SyntaxNode) -> usize {
    let end = syntax::end_with_trailing_comment(node);
    if text[..end].ends_with('\r') {
        end - 1
    } else {
        end
    }
}

/// From the first comment line directly above `node` (the comments that belong to it), and
/// whether a blank line precedes them.
pub(super) fn leading_comments(node: &SyntaxNode) -> (TextSize, bool) {
    let mut start = node.text_range().start();
    let mut blank = false;
    let mut element = node.prev_sibling_or_token();
    while let Some(current) = element {
        match &current {
            NodeOrToken::Token(t) if t.kind() == SyntaxKind::WHITESPACE => {
                let newlines = t.text().matches('\n').count();
                if newlines >= 2 {
                    blank = true;
                    break;
                }
                if newlines == 0
                    && t.prev_sibling_or_token()
                        .is_some_and(|p| p.kind() != SyntaxKind::COMMENT)
                {
                    break;
                }
            }
            NodeOrToken::Token(t) if t.kind() == SyntaxKind::COMMENT => {
                // A comment on the same line as the previous statement belongs to that one.
                let same_line_as_previous = t.prev_sibling_or_token().is_some_and(|p| {
                    p.kind() == SyntaxKind::WHITESPACE
                        && !p.as_token().is_some_and(|w| w.text().contains('\n'))
                        && p.prev_sibling_or_token()
                            .is_some_and(|pp| pp.kind() != SyntaxKind::L_CURLY)
                });
                if same_line_as_previous {
                    break;
                }
                start = t.text_range().start();
            }
            _ => break,
        }
        element = current.prev_sibling_or_token();
    }
    (start, blank)
}

/// Whole lines covering `range` (from the start of its first line through the line break after
/// it), when nothing else shares those lines; else `range` itself.
pub(super) fn line_range(text: &str, range: TextRange) -> TextRange {
    let start = usize::from(range.start());
    let end = usize::from(range.end());
    let line_start = syntax::line_start(text, start);
    let before_is_blank = text[line_start..start].trim().is_empty();
    let rest = &text[end..];
    let line_end = rest.find('\n').map(|i| end + i + 1).unwrap_or(text.len());
    let after_is_blank = text[end..line_end].trim().is_empty();
    if before_is_blank && after_is_blank {
        TextRange::new(
            TextSize::from(line_start as u32),
            TextSize::from(line_end as u32),
        )
    } else {
        range
    }
}
