//! Reading a source file into the text the transforms see.
//!
//! The transforms get the text exactly as it is on disk, CRLF line breaks and a missing final
//! newline included, except for a UTF-8 byte order mark: the BOM is not Rust source (rustc skips
//! it), so it is stripped here and put back by [`SourceFile::encode`] when the file is written.

use std::fmt;
use std::fs;
use std::io;
use std::path::Path;

const BOM: &str = "\u{feff}";

/// A file's original bytes and the text the transforms analyse.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SourceFile {
    /// Exactly what was read: the stale check compares the file on disk against it.
    pub original: Vec<u8>,
    /// The text without the BOM.
    pub text: String,
    pub has_bom: bool,
}

/// Why a file could not be loaded. Both are per-file problems: the run goes on.
#[derive(Debug)]
pub enum LoadError {
    Io(io::Error),
    NotUtf8 { valid_up_to: usize },
}

impl fmt::Display for LoadError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            LoadError::Io(error) => write!(f, "could not read the file: {error}"),
            LoadError::NotUtf8 { valid_up_to } => write!(
                f,
                "not valid UTF-8 (first invalid byte at offset {valid_up_to}); file skipped"
            ),
        }
    }
}

impl SourceFile {
    pub fn read(path: &Path) -> Result<SourceFile, LoadError> {
        let original = fs::read(path).map_err(LoadError::Io)?;
        SourceFile::from_bytes(original)
    }

    pub fn from_bytes(original: Vec<u8>) -> Result<SourceFile, LoadError> {
        let text = std::str::from_utf8(&original).map_err(|error| LoadError::NotUtf8 {
            valid_up_to: error.valid_up_to(),
        })?;
        let (text, has_bom) = match text.strip_prefix(BOM) {
            Some(rest) => (rest.to_owned(), true),
            None => (text.to_owned(), false),
        };
        Ok(SourceFile {
            original,
            text,
            has_bom,
        })
    }

    /// The bytes to write for `text`, which replaces this file's text: the BOM comes back if the
    /// file had one.
    pub fn encode(&self, text: &str) -> Vec<u8> {
        let mut bytes = Vec::with_capacity(text.len() + BOM.len());
        if self.has_bom {
            bytes.extend_from_slice(BOM.as_bytes());
        }
        bytes.extend_from_slice(text.as_bytes());
        bytes
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn bom_is_stripped_and_restored_and_crlf_kept() {
        let bytes = b"\xEF\xBB\xBFfn a() {}\r\nfn b() {}".to_vec();
        let file = SourceFile::from_bytes(bytes.clone()).unwrap();
        assert!(file.has_bom);
        assert_eq!(file.text, "fn a() {}\r\nfn b() {}");
        assert_eq!(file.encode(&file.text), bytes);
    }

    #[test]
    fn invalid_utf8_is_an_error() {
        let error = SourceFile::from_bytes(b"fn a() {}\n// \xFF\n".to_vec()).unwrap_err();
        assert!(matches!(error, LoadError::NotUtf8 { valid_up_to: 13 }));
    }
}
