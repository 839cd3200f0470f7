//! Step 3 of the swap: write the lock paths step 1 collected and rewrite the imports.
//!
//! Assumes every mention of the std lock type that must become tokio's is in `type_paths` (the
//! declared type and the constructors' paths). Guarantees one choice per file: when the file
//! imports the std (or parking_lot) lock exactly once by a plain path and no other mention
//! outside `use` items may still mean it, the `use` imports `tokio::sync::X` instead and the
//! paths are written unqualified; otherwise the import stays and the paths become
//! `tokio::sync::X`. Also tells step 1 whether the declared lock is parking_lot's.

use ra_ap_syntax::{
    AstNode, NodeOrToken, SyntaxKind, SyntaxNode, SyntaxToken, TextRange,
    ast::{self, HasAttrs, HasVisibility},
};

use super::Planner;
use super::references::last_segment_name;
use crate::analysis::syntax;
use crate::model::TextEdit;

impl Planner<'_, '_> {
    /// Write the collected type paths: unqualified where the file's import can be rewritten,
    /// `tokio::sync::X` elsewhere.
    pub(super) fn type_path_edits(&mut self) {
        let mut files: Vec<usize> = self.type_paths.iter().map(|s| s.file).collect();
        files.sort_unstable();
        files.dedup();
        let lock_type = self.request.lock_type;
        for file in files {
            let rewritten: Vec<TextRange> = self
                .type_paths
                .iter()
                .filter(|s| s.file == file)
                .map(|s| s.range)
                .collect();
            let root = self.roots[file].clone();
            let import = import_rewrite(&root, self.text(file), lock_type)
                .filter(|_| !std_mentions_remain(&root, lock_type, &rewritten));
            let replacement = match &import {
                Some(_) => lock_type.to_string(),
                None => format!("tokio::sync::{lock_type}"),
            };
            for range in rewritten {
                if self.text(file)[syntax::to_range(range)] != replacement {
                    self.edit(file, range, replacement.clone());
                }
            }
            for edit in import.into_iter().flatten() {
                self.edits[file].push(edit);
            }
        }
    }
}

/// Whether the file still names the std lock outside `use` items once `rewritten` are replaced:
/// the unqualified name would then mean tokio's, so the import must stay and paths be qualified.
fn std_mentions_remain(root: &SyntaxNode, lock_type: &str, rewritten: &[TextRange]) -> bool {
    root.descendants_with_tokens()
        .filter_map(NodeOrToken::into_token)
        .filter(|t| t.kind() == SyntaxKind::IDENT && t.text() == lock_type)
        .filter(|t| !rewritten.iter().any(|r| r.contains_range(t.text_range())))
        .filter(|t| !t.parent_ancestors().any(|a| ast::Use::can_cast(a.kind())))
        .any(|t| names_std_lock(&t))
}

/// An identifier `Mutex` that may name the std lock: not a field or method (`.Mutex`), and not a
/// path already qualified with something other than `std::sync` / `parking_lot`.
fn names_std_lock(token: &SyntaxToken) -> bool {
    let Some(segment) = token.parent_ancestors().find_map(ast::PathSegment::cast) else {
        // In a macro's token tree: assume the worst.
        return true;
    };
    let Some(path) = segment.parent_path().qualifier() else {
        return true;
    };
    let qualifier = syntax::compact_text(path.syntax());
    matches!(
        qualifier.trim_start_matches("::"),
        "std::sync" | "parking_lot"
    )
}

/// Edits that import the lock from tokio instead of std: the name leaves the std `use` (braces
/// around one remaining name go too) and `use tokio::sync::X;` follows it. `None` when the file
/// does not import it exactly once by a plain path.
fn import_rewrite(root: &SyntaxNode, text: &str, lock_type: &str) -> Option<Vec<TextEdit>> {
    let mut imports = root
        .descendants()
        .filter_map(ast::UseTree::cast)
        .filter(|tree| imports_std_lock(tree, lock_type));
    let tree = imports.next()?;
    if imports.next().is_some() {
        return None;
    }
    let item = tree.syntax().ancestors().find_map(ast::Use::cast)?;
    if item.attrs().next().is_some() {
        return None;
    }
    let tokio_path = format!("tokio::sync::{lock_type}");
    let Some(list) = tree.syntax().parent().and_then(ast::UseTreeList::cast) else {
        // `use std::sync::RwLock;`: the whole item changes.
        return Some(vec![TextEdit {
            range: syntax::to_range(tree.path()?.syntax().text_range()),
            replacement: tokio_path,
        }]);
    };
    let removal = remove_from_list(&list, &tree)?;
    let item_end = usize::from(item.syntax().text_range().end());
    let visibility = item
        .visibility()
        .map(|v| format!("{v} "))
        .unwrap_or_default();
    let indent = syntax::line_indent(text, usize::from(item.syntax().text_range().start()));
    Some(vec![
        removal,
        TextEdit {
            range: item_end..item_end,
            replacement: format!("{}{indent}{visibility}use {tokio_path};", syntax::eol(text)),
        },
    ])
}

/// A use tree that imports the std or parking_lot lock under its own name.
fn imports_std_lock(tree: &ast::UseTree, lock_type: &str) -> bool {
    imported_path(tree, lock_type).is_some_and(|full| {
        full == format!("std::sync::{lock_type}") || full == format!("parking_lot::{lock_type}")
    })
}

/// The full path a plain use tree importing `lock_type` names, through the nesting
/// (`std::sync::RwLock` for `RwLock` in `use std::{sync::{Arc, RwLock}}`).
fn imported_path(tree: &ast::UseTree, lock_type: &str) -> Option<String> {
    if tree.use_tree_list().is_some() || tree.star_token().is_some() || tree.rename().is_some() {
        return None;
    }
    let path = tree.path()?;
    if last_segment_name(&path).as_deref() != Some(lock_type) {
        return None;
    }
    let mut full = syntax::compact_text(path.syntax());
    for outer in tree
        .syntax()
        .ancestors()
        .skip(1)
        .filter_map(ast::UseTree::cast)
    {
        if let Some(prefix) = outer.path() {
            full = format!("{}::{full}", syntax::compact_text(prefix.syntax()));
        }
    }
    Some(full.trim_start_matches("::").to_string())
}

/// Whether the declared lock is parking_lot's: written with its path, or imported from it.
pub(super) fn is_parking_lot(root: &SyntaxNode, lock: &ast::Path, lock_type: &str) -> bool {
    if let Some(qualifier) = lock.qualifier() {
        return syntax::compact_text(qualifier.syntax())
            .trim_start_matches("::")
            .starts_with("parking_lot");
    }
    root.descendants()
        .filter_map(ast::UseTree::cast)
        .filter_map(|tree| imported_path(&tree, lock_type))
        .any(|full| full == format!("parking_lot::{lock_type}"))
}

/// Remove `tree` from `list`: `{Arc, RwLock}` → `Arc`, `{Arc, RwLock, Mutex}` → `{Arc, Mutex}`.
fn remove_from_list(list: &ast::UseTreeList, tree: &ast::UseTree) -> Option<TextEdit> {
    let trees: Vec<ast::UseTree> = list.use_trees().collect();
    let others: Vec<&ast::UseTree> = trees.iter().filter(|t| *t != tree).collect();
    match others.as_slice() {
        [] => None,
        [only] if only.syntax().text() != "self" => Some(TextEdit {
            range: syntax::to_range(list.syntax().text_range()),
            replacement: only.syntax().to_string(),
        }),
        _ => {
            let index = trees.iter().position(|t| t == tree)?;
            let start = usize::from(tree.syntax().text_range().start());
            let end = usize::from(tree.syntax().text_range().end());
            // Take the comma after the tree (and the space up to the next one), or before the
            // last one.
            let range = if let Some(next) = trees.get(index + 1) {
                start..usize::from(next.syntax().text_range().start())
            } else {
                let previous = trees.get(index.checked_sub(1)?)?;
                usize::from(previous.syntax().text_range().end())..end
            };
            Some(TextEdit {
                range,
                replacement: String::new(),
            })
        }
    }
}
