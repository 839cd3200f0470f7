//! Lookups into the whole file that the analysis asks once per call or per guard: the functions
//! of a name (is `helper()` a wrapper of a blocking call?), the record fields of a name (what
//! type does `self.client` hold?), the file's functions and method calls (what would
//! rust-analyzer settle?). Each used to walk the whole tree per question; the index is built in
//! one walk the first time a thread asks about a file, and kept until that thread asks about
//! another one (each worker analyses one file at a time).
//!
//! Invariant: every list is in source order, as a walk of the tree would give it.

use std::collections::HashMap;

use ra_ap_syntax::{
    AstNode, SyntaxNode,
    ast::{self, HasName},
};

#[derive(Default)]
pub struct FileIndex {
    /// Every `fn` of the file, nested ones and trait methods included.
    functions: Vec<ast::Fn>,
    /// Positions in `functions` by name.
    functions_by_name: HashMap<String, Vec<usize>>,
    /// Every named record field (`struct S { name: T }`, and in enum variants) by name.
    fields: HashMap<String, Vec<ast::RecordField>>,
    /// Every method call of the file.
    method_calls: Vec<ast::MethodCallExpr>,
}

impl FileIndex {
    fn build(file: &SyntaxNode) -> FileIndex {
        let mut index = FileIndex::default();
        for node in file.descendants() {
            if let Some(function) = ast::Fn::cast(node.clone()) {
                if let Some(name) = function.name() {
                    index
                        .functions_by_name
                        .entry(name.text().to_string())
                        .or_default()
                        .push(index.functions.len());
                }
                index.functions.push(function);
            } else if let Some(field) = ast::RecordField::cast(node.clone()) {
                if let Some(name) = field.name() {
                    index
                        .fields
                        .entry(name.text().to_string())
                        .or_default()
                        .push(field);
                }
            } else if let Some(call) = ast::MethodCallExpr::cast(node) {
                index.method_calls.push(call);
            }
        }
        index
    }

    /// Every `fn` of the file.
    pub fn functions(&self) -> &[ast::Fn] {
        &self.functions
    }

    /// The functions named `name`.
    pub fn functions_named(&self, name: &str) -> impl Iterator<Item = &ast::Fn> {
        self.functions_by_name
            .get(name)
            .into_iter()
            .flatten()
            .map(|&i| &self.functions[i])
    }

    /// The record fields named `name`.
    pub fn fields_named(&self, name: &str) -> &[ast::RecordField] {
        self.fields.get(name).map_or(&[], Vec::as_slice)
    }

    /// Every method call of the file.
    pub fn method_calls(&self) -> &[ast::MethodCallExpr] {
        &self.method_calls
    }
}

/// The root of the file last asked about on this thread, and its index.
type Cached = Option<(SyntaxNode, FileIndex)>;

thread_local! {
    static INDEX: std::cell::RefCell<Cached> = const { std::cell::RefCell::new(None) };
}

/// Answers `query` from the index of `file` (a tree's root), built on the first question. `query`
/// must not ask the index again: it runs while the index is borrowed.
pub fn with<R>(file: &SyntaxNode, query: impl FnOnce(&FileIndex) -> R) -> R {
    INDEX.with(|cell| {
        let mut cached = cell.borrow_mut();
        if cached.as_ref().is_none_or(|(root, _)| root != file) {
            *cached = Some((file.clone(), FileIndex::build(file)));
        }
        match cached.as_ref() {
            Some((_, index)) => query(index),
            None => query(&FileIndex::default()),
        }
    })
}

/// Drops this thread's index, and the tree it keeps alive: the analysis of a file calls it when
/// done, so that no finished file's tree outlives its analysis (a big file's tree would stay in
/// memory while the front end writes the report).
pub fn forget() {
    INDEX.with(|cell| cell.borrow_mut().take());
}
