//! Which struct of the crate a receiver is: the type of the `impl` block a node is in, and the
//! struct a place (`self.semaphore`, `controller.status`) names, through the declared types of its
//! first name and of each field after it.
//!
//! Invariants: this file's declarations are asked first, then the crate index's; a name that is
//! not exactly one struct of the crate (declared twice, or none) resolves to nothing.

use ra_ap_syntax::{AstNode, SyntaxNode, ast};

use super::CrateIndex;
use crate::analysis::decls::Declarations;

/// The name of the type whose `impl` block `node` is in: `Inner` for `impl<'a> Inner<'a>`.
pub fn impl_type_name(node: &SyntaxNode) -> Option<String> {
    let self_ty = node.ancestors().find_map(ast::Impl::cast)?.self_ty()?;
    let ast::Type::PathType(path) = self_ty else {
        return None;
    };
    Some(path.path()?.segment()?.name_ref()?.text().to_string())
}

/// The struct that `owner` (`self.semaphore`, `controller.status`) is, by the declared types of
/// its first name and of each field after it: this file's declarations first, then the crate's.
pub fn owner_type_name(
    decls: &Declarations,
    index: Option<&CrateIndex>,
    owner: &str,
    at: &SyntaxNode,
) -> Option<String> {
    let mut segments = owner.split('.');
    let first = segments.next()?;
    let mut current = if first == "self" {
        impl_type_name(at)?
    } else {
        let names: Vec<String> = crate::analysis::paths::declared_types(at, first)
            .iter()
            .filter_map(|t| t.rsplit("::").next().map(str::to_string))
            .collect();
        declared_struct(decls, index, &names)?.to_string()
    };
    for field in segments {
        // The field may be declared here and its type in another file, or the other way round.
        let names = decls
            .field_type_names(&current, field)
            .or_else(|| index?.field_type_names(&current, field))?;
        current = declared_struct(decls, index, names)?.to_string();
    }
    Some(current)
}

/// The struct of the crate a declared type names (its type names outermost first): the outermost
/// one when it is a struct of the crate (`TimeoutRwLock<ShufflingCache>` is a `TimeoutRwLock`),
/// else the only struct of the crate inside a foreign wrapper (`Arc<Inner>` is reached as `Inner`).
fn declared_struct<'a>(
    decls: &Declarations,
    index: Option<&CrateIndex>,
    names: &'a [String],
) -> Option<&'a str> {
    let only = |names: &'a [String]| {
        decls
            .only_struct(names)
            .or_else(|| index?.only_struct(names))
    };
    names
        .first()
        .and_then(|outer| only(std::slice::from_ref(outer)))
        .or_else(|| only(names))
}
