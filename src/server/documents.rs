//! The documents the editor has open: their text as the editor has it (never the file on disk),
//! kept up to date from `didChange`, and the engine's last answer for each version.

use std::collections::HashMap;
use std::path::PathBuf;
use std::sync::Arc;

use lsp_types::{TextDocumentContentChangeEvent, Url};

use super::position::{Encoding, Positions};
use crate::fix::engine::FileCheck;

/// One open document.
pub struct Document {
    /// The file it is, for configuration, edition and the crate it belongs to; `None` for a
    /// buffer that is not a file (`untitled:`), which is checked with the defaults.
    pub path: Option<PathBuf>,
    pub version: i32,
    pub text: String,
    /// The engine's answer for `version`, computed when first needed.
    pub checked: Option<Arc<Checked>>,
    /// The semantic tier answered for this document before: keep asking it after each change.
    pub semantic_seen: bool,
}

/// What the engine said about one version of a document.
pub struct Checked {
    pub version: i32,
    /// The analysis panicked: the message, for the user (a lockfix bug).
    pub check: Result<FileCheck, String>,
}

#[derive(Default)]
pub struct Documents {
    open: HashMap<Url, Document>,
}

impl Documents {
    pub fn open(&mut self, uri: Url, version: i32, text: String) {
        let path = uri.to_file_path().ok();
        self.open.insert(
            uri,
            Document {
                path,
                version,
                text,
                checked: None,
                semantic_seen: false,
            },
        );
    }

    /// Applies the editor's changes in order (each range is relative to the text the previous
    /// change left). A change for a document that is not open is an error the client hears of.
    pub fn change(
        &mut self,
        uri: &Url,
        version: i32,
        changes: Vec<TextDocumentContentChangeEvent>,
        encoding: Encoding,
    ) -> Result<(), String> {
        let document = self
            .open
            .get_mut(uri)
            .ok_or_else(|| format!("didChange for {uri}, which is not open"))?;
        for change in changes {
            match change.range {
                None => document.text = change.text,
                Some(range) => {
                    let offsets = Positions::new(&document.text, encoding).offsets(range);
                    document.text.replace_range(offsets, &change.text);
                }
            }
        }
        document.version = version;
        document.checked = None;
        Ok(())
    }

    pub fn close(&mut self, uri: &Url) -> Option<Document> {
        self.open.remove(uri)
    }

    pub fn get(&self, uri: &Url) -> Option<&Document> {
        self.open.get(uri)
    }

    pub fn get_mut(&mut self, uri: &Url) -> Option<&mut Document> {
        self.open.get_mut(uri)
    }

    pub fn iter(&self) -> impl Iterator<Item = (&Url, &Document)> {
        self.open.iter()
    }

    pub fn uris(&self) -> Vec<Url> {
        self.open.keys().cloned().collect()
    }

    /// Forgets every answer: the settings changed.
    pub fn invalidate(&mut self) {
        for document in self.open.values_mut() {
            document.checked = None;
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use lsp_types::{Position, Range};

    #[test]
    fn incremental_changes_apply_in_order() {
        let uri = Url::parse("file:///tmp/a.rs").unwrap();
        let mut documents = Documents::default();
        documents.open(uri.clone(), 1, "fn a() {}\n".to_owned());
        let insert = |line, character, text: &str| TextDocumentContentChangeEvent {
            range: Some(Range::new(
                Position::new(line, character),
                Position::new(line, character),
            )),
            range_length: None,
            text: text.to_owned(),
        };
        documents
            .change(
                &uri,
                2,
                vec![insert(0, 8, "x();"), insert(0, 12, " y();")],
                Encoding::Utf16,
            )
            .unwrap();
        let document = documents.get(&uri).unwrap();
        assert_eq!(document.text, "fn a() {x(); y();}\n");
        assert_eq!(document.version, 2);
        assert_eq!(
            document.path.as_deref(),
            Some(std::path::Path::new("/tmp/a.rs"))
        );
        assert!(
            documents
                .change(
                    &Url::parse("file:///b.rs").unwrap(),
                    1,
                    vec![],
                    Encoding::Utf8
                )
                .is_err()
        );
    }
}
