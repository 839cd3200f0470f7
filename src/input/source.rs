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

/// The text the transforms analyse, and what it takes to give back the file's original bytes.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SourceFile {
    /// The text without the BOM.
    pub text: String,
    pub has_bom: bool,
}

/// Why a file could not be loaded. Both are per-file problems: the run goes on.
#[derive(Debug)]
pub enum LoadError {
    Io(io::Error),
    NotUtf8 {
        valid_up_to: usize,
    },
    /// A FIFO, socket or device: opening a FIFO blocks until someone writes to it, so it is
    /// never opened.
    NotAFile,
}

impl fmt::Display for LoadError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            LoadError::Io(error) => write!(f, "could not read the file: {error}"),
            LoadError::NotUtf8 { valid_up_to } => write!(
                f,
                "not valid UTF-8 (first invalid byte at offset {valid_up_to}); file skipped"
            ),
            LoadError::NotAFile => {
                f.write_str("not a regular file (a FIFO, socket or device); file skipped")
            }
        }
    }
}

impl SourceFile {
    pub fn read(path: &Path) -> Result<SourceFile, LoadError> {
        // `stat` first: `open` on a FIFO would wait forever for a writer.
        if !fs::metadata(path).map_err(LoadError::Io)?.is_file() {
            return Err(LoadError::NotAFile);
        }
        let original = fs::read(path).map_err(LoadError::Io)?;
        SourceFile::from_bytes(original)
    }

    /// Takes the bytes without copying them (a big tree's text is read once and moved here).
    pub fn from_bytes(original: Vec<u8>) -> Result<SourceFile, LoadError> {
        let mut text = String::from_utf8(original).map_err(|error| LoadError::NotUtf8 {
            valid_up_to: error.utf8_error().valid_up_to(),
        })?;
        let has_bom = text.starts_with(BOM);
        if has_bom {
            text.drain(..BOM.len());
        }
        Ok(SourceFile { text, has_bom })
    }

    /// Exactly the bytes that were read: the stale check compares the file on disk against them.
    pub fn original(&self) -> Vec<u8> {
        self.encode(&self.text)
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
        assert_eq!(file.original(), bytes);
    }

    #[test]
    fn invalid_utf8_is_an_error() {
        let error = SourceFile::from_bytes(b"fn a() {}\n// \xFF\n".to_vec()).unwrap_err();
        assert!(matches!(error, LoadError::NotUtf8 { valid_up_to: 13 }));
    }
}
