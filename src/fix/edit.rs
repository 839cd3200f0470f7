//! Applying text edits to a source text.
//!
//! Edits come from the transforms, so they are checked before use: an edit that points outside the
//! text or into the middle of a character is a transform bug, and it must become an error message,
//! never a panic or a corrupted file.

use std::fmt;
use std::ops::Range;

use lockfix_transforms::TextEdit;

/// Why a set of edits could not be applied.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum EditError {
    OutOfBounds {
        range: Range<usize>,
        len: usize,
    },
    NotCharBoundary {
        offset: usize,
    },
    Overlapping {
        first: Range<usize>,
        second: Range<usize>,
    },
}

impl fmt::Display for EditError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            EditError::OutOfBounds { range, len } => {
                write!(f, "edit {range:?} lies outside the text ({len} bytes)")
            }
            EditError::NotCharBoundary { offset } => {
                write!(f, "edit boundary {offset} is inside a UTF-8 character")
            }
            EditError::Overlapping { first, second } => {
                write!(f, "edits {first:?} and {second:?} overlap")
            }
        }
    }
}

/// Applies `edits` (in any order, none overlapping) to `text`.
///
/// Insertions at the same offset keep their given order, and an insertion at the start of a
/// replaced range goes before the replacement: that is what a transform emitting them in source
/// order means.
pub fn apply_edits<'a>(
    text: &str,
    edits: impl IntoIterator<Item = &'a TextEdit>,
) -> Result<String, EditError> {
    let mut edits: Vec<&TextEdit> = edits.into_iter().collect();
    for edit in &edits {
        check_range(text, &edit.range)?;
    }
    // A stable sort keeps the given order of insertions at the same offset.
    edits.sort_by_key(|edit| (edit.range.start, edit.range.end));
    for pair in edits.windows(2) {
        if pair[0].range.end > pair[1].range.start {
            return Err(EditError::Overlapping {
                first: pair[0].range.clone(),
                second: pair[1].range.clone(),
            });
        }
    }

    let mut out = String::with_capacity(text.len());
    let mut copied_up_to = 0;
    for edit in edits {
        out.push_str(&text[copied_up_to..edit.range.start]);
        out.push_str(&edit.replacement);
        copied_up_to = edit.range.end;
    }
    out.push_str(&text[copied_up_to..]);
    Ok(out)
}

/// Checks that `range` can slice `text`.
pub fn check_range(text: &str, range: &Range<usize>) -> Result<(), EditError> {
    if range.start > range.end || range.end > text.len() {
        return Err(EditError::OutOfBounds {
            range: range.clone(),
            len: text.len(),
        });
    }
    for offset in [range.start, range.end] {
        if !text.is_char_boundary(offset) {
            return Err(EditError::NotCharBoundary { offset });
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn edit(range: Range<usize>, replacement: &str) -> TextEdit {
        TextEdit {
            range,
            replacement: replacement.to_owned(),
        }
    }

    #[test]
    fn applies_in_any_order() {
        let edits = [edit(4..4, "X"), edit(0..1, "A")];
        assert_eq!(apply_edits("abcdef", &edits).unwrap(), "AbcdXef");
    }

    #[test]
    fn insertions_at_one_offset_keep_their_order() {
        let edits = [edit(1..1, "x"), edit(1..1, "y"), edit(1..2, "B")];
        assert_eq!(apply_edits("abc", &edits).unwrap(), "axyBc");
    }

    #[test]
    fn rejects_bad_edits() {
        assert!(matches!(
            apply_edits("abc", &[edit(2..5, "")]),
            Err(EditError::OutOfBounds { .. })
        ));
        assert_eq!(
            apply_edits("é", &[edit(1..1, "x")]),
            Err(EditError::NotCharBoundary { offset: 1 })
        );
        assert!(matches!(
            apply_edits("abcdef", &[edit(0..3, "x"), edit(2..4, "y")]),
            Err(EditError::Overlapping { .. })
        ));
    }
}
