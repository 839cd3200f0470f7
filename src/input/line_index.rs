//! Byte offsets to 1-based lines and columns.

/// A position shown to users: 1-based line, 1-based column counted in characters (not bytes), as
/// editors and rustc count them.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct LineCol {
    pub line: usize,
    pub column: usize,
}

/// The start offset of every line of a text.
#[derive(Debug, Clone)]
pub struct LineIndex {
    line_starts: Vec<usize>,
}

impl LineIndex {
    pub fn new(text: &str) -> LineIndex {
        let mut line_starts = vec![0];
        line_starts.extend(text.match_indices('\n').map(|(at, _)| at + 1));
        LineIndex { line_starts }
    }

    /// The 0-based line holding `offset`.
    pub fn line_of(&self, offset: usize) -> usize {
        self.line_starts
            .partition_point(|&start| start <= offset)
            .saturating_sub(1)
    }

    /// The offset where 0-based `line` starts.
    pub fn line_start(&self, line: usize) -> usize {
        self.line_starts
            .get(line)
            .copied()
            .unwrap_or_else(|| self.line_starts[self.line_starts.len() - 1])
    }

    /// The offset just past 0-based `line`, its line break included.
    pub fn line_end(&self, text: &str, line: usize) -> usize {
        self.line_starts
            .get(line + 1)
            .copied()
            .unwrap_or(text.len())
    }

    /// Where `offset` is. Offsets past the end or inside a character are moved back to the
    /// nearest character boundary, so that a bad offset from a transform still shows somewhere.
    pub fn line_col(&self, text: &str, offset: usize) -> LineCol {
        let offset = floor_char_boundary(text, offset);
        let line = self.line_of(offset);
        let start = self.line_start(line);
        LineCol {
            line: line + 1,
            column: text[start..offset].chars().count() + 1,
        }
    }
}

/// The largest character boundary not after `offset`.
pub fn floor_char_boundary(text: &str, offset: usize) -> usize {
    let mut offset = offset.min(text.len());
    while !text.is_char_boundary(offset) {
        offset -= 1;
    }
    offset
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn lines_and_columns_are_one_based_and_count_characters() {
        let text = "ab\r\nçd\nlast";
        let index = LineIndex::new(text);
        assert_eq!(index.line_col(text, 0), LineCol { line: 1, column: 1 });
        assert_eq!(index.line_col(text, 4), LineCol { line: 2, column: 1 });
        // 'ç' is two bytes, one character.
        assert_eq!(index.line_col(text, 6), LineCol { line: 2, column: 2 });
        assert_eq!(index.line_col(text, 5), LineCol { line: 2, column: 1 });
        assert_eq!(
            index.line_col(text, text.len()),
            LineCol { line: 3, column: 5 }
        );
        assert_eq!(index.line_col(text, 999), LineCol { line: 3, column: 5 });
        assert_eq!(index.line_end(text, 0), 4);
        assert_eq!(index.line_end(text, 2), text.len());
    }
}
