//! LSP positions (0-based line, column in the negotiated encoding) and the byte offsets the
//! engine speaks.
//!
//! The protocol counts columns in UTF-16 code units unless client and server agree on UTF-8
//! (`general.positionEncodings`, LSP 3.17). The server prefers UTF-8, which needs no conversion;
//! editors that only speak UTF-16 (VS Code) get UTF-16. Positions from the client are untrusted:
//! a line past the end, a column past the line's end or inside a character are clamped to the
//! nearest character boundary instead of failing the request.

use lsp_types::{Position, PositionEncodingKind, Range};

use crate::input::line_index::LineIndex;

/// How columns are counted on this connection.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Encoding {
    Utf8,
    Utf16,
}

impl Encoding {
    /// UTF-8 when the client offers it, else UTF-16 (the protocol's default, always supported).
    pub fn negotiate(offered: Option<&[PositionEncodingKind]>) -> Encoding {
        if offered.is_some_and(|kinds| kinds.contains(&PositionEncodingKind::UTF8)) {
            Encoding::Utf8
        } else {
            Encoding::Utf16
        }
    }

    pub fn kind(self) -> PositionEncodingKind {
        match self {
            Encoding::Utf8 => PositionEncodingKind::UTF8,
            Encoding::Utf16 => PositionEncodingKind::UTF16,
        }
    }
}

/// A text with its line index, to convert both ways.
pub struct Positions<'a> {
    text: &'a str,
    index: LineIndex,
    encoding: Encoding,
}

impl<'a> Positions<'a> {
    pub fn new(text: &'a str, encoding: Encoding) -> Positions<'a> {
        Positions {
            text,
            index: LineIndex::new(text),
            encoding,
        }
    }

    /// The position of byte `offset` (clamped into the text, moved back to a character boundary).
    pub fn position(&self, offset: usize) -> Position {
        let offset =
            crate::input::line_index::floor_char_boundary(self.text, offset.min(self.text.len()));
        let line = self.index.line_of(offset);
        let start = self.index.line_start(line);
        let prefix = &self.text[start..offset];
        let character = match self.encoding {
            Encoding::Utf8 => prefix.len(),
            Encoding::Utf16 => prefix.encode_utf16().count(),
        };
        Position::new(to_u32(line), to_u32(character))
    }

    pub fn range(&self, range: &std::ops::Range<usize>) -> Range {
        Range::new(self.position(range.start), self.position(range.end))
    }

    /// The byte offset of `position`. A line past the end is the end of the text; a column past
    /// the end of its line is the line's end (before its line break), as the protocol says.
    pub fn offset(&self, position: Position) -> usize {
        let line = position.line as usize;
        let line_count = self.index.line_of(self.text.len()) + 1;
        if line >= line_count {
            return self.text.len();
        }
        let start = self.index.line_start(line);
        let end = self.index.line_end(self.text, line);
        let content = self.text[start..end].trim_end_matches(['\n', '\r']);
        let wanted = position.character as usize;
        let within = match self.encoding {
            Encoding::Utf8 => {
                crate::input::line_index::floor_char_boundary(content, wanted.min(content.len()))
            }
            Encoding::Utf16 => {
                let mut units = 0;
                let mut bytes = content.len();
                for (at, ch) in content.char_indices() {
                    if units >= wanted {
                        bytes = at;
                        break;
                    }
                    units += ch.len_utf16();
                    // A column inside a surrogate pair rounds back to the character's start.
                    if units > wanted {
                        bytes = at;
                        break;
                    }
                }
                bytes
            }
        };
        start + within
    }

    pub fn offsets(&self, range: Range) -> std::ops::Range<usize> {
        let start = self.offset(range.start);
        let end = self.offset(range.end).max(start);
        start..end
    }
}

fn to_u32(value: usize) -> u32 {
    u32::try_from(value).unwrap_or(u32::MAX)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn utf16_and_utf8_columns_round_trip() {
        let text = "let a = \"é😀\";\r\nx\n";
        for encoding in [Encoding::Utf8, Encoding::Utf16] {
            let positions = Positions::new(text, encoding);
            // A '\n' after '\r' has no column of its own: the protocol puts the line's end
            // before the whole line break.
            for (offset, _) in text.char_indices().filter(|&(_, ch)| ch != '\n') {
                let position = positions.position(offset);
                let back = positions.offset(position);
                assert_eq!(back, offset, "{encoding:?} {offset} {position:?}");
            }
        }
        let utf16 = Positions::new(text, Encoding::Utf16);
        // '😀' is two UTF-16 code units and four bytes.
        let smiley = text.find('😀').unwrap();
        assert_eq!(utf16.position(smiley), Position::new(0, 10));
        assert_eq!(utf16.position(smiley + 4), Position::new(0, 12));
        assert_eq!(utf16.offset(Position::new(0, 11)), smiley);
    }

    #[test]
    fn out_of_range_positions_are_clamped() {
        let text = "ab\ncd";
        let positions = Positions::new(text, Encoding::Utf16);
        assert_eq!(positions.offset(Position::new(0, 99)), 2);
        assert_eq!(positions.offset(Position::new(7, 0)), text.len());
        assert_eq!(
            positions.offset(Position::new(u32::MAX, u32::MAX)),
            text.len()
        );
        assert_eq!(
            positions.offsets(Range::new(Position::new(1, 1), Position::new(0, 0))),
            4..4
        );
        assert_eq!(positions.position(999), Position::new(1, 2));
    }
}
