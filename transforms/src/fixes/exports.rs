//! What a region that moves into its own scope must hand back: the bindings it declares that the
//! code after it still uses, and which of them might borrow from the guard.

use ra_ap_syntax::{AstNode, SyntaxNode, TextRange, ast};

use super::ownership::{Ownership, ownership};
use crate::analysis::syntax;

/// One binding the new scope returns, with the `let` that declares it.
#[derive(Debug, Clone)]
pub struct Export {
    pub binding: ast::IdentPat,
    pub stmt: ast::LetStmt,
}

#[derive(Debug, Clone, Default)]
pub struct Exports {
    /// In declaration order; of two bindings with one name, only the later (visible) one.
    pub bindings: Vec<Export>,
    /// Exported names whose value might borrow from the guard: returning them may not compile.
    pub possibly_borrowed: Vec<String>,
}

impl Exports {
    pub fn names(&self) -> Vec<String> {
        self.bindings
            .iter()
            .map(|e| syntax::ident_name(&e.binding))
            .collect()
    }

    /// `a`, `mut b`: how each binding is written in the pattern that receives it.
    pub fn patterns(&self) -> Vec<String> {
        self.bindings
            .iter()
            .map(|e| {
                let mutability = if e.binding.mut_token().is_some() {
                    "mut "
                } else {
                    ""
                };
                format!("{mutability}{}", syntax::ident_name(&e.binding))
            })
            .collect()
    }
}

/// The bindings declared by the `let`s among `items` that are mentioned in `after`. A value is
/// tainted when its initializer mentions the guard or a tainted binding; a tainted export whose
/// shape does not prove it owned is listed as possibly borrowed. `None` when a `ref` binding would
/// have to be exported.
pub fn exports(
    file: &SyntaxNode,
    items: &[SyntaxNode],
    after: TextRange,
    guard_name: &str,
) -> Option<Exports> {
    let mut tainted = vec![guard_name.to_string()];
    let mut found = Exports::default();
    for stmt in items.iter().filter_map(|i| ast::LetStmt::cast(i.clone())) {
        let Some(pat) = stmt.pat() else { continue };
        let init = stmt.initializer();
        let init_tainted = init.as_ref().is_some_and(|e| {
            tainted
                .iter()
                .any(|t| !syntax::mentions(file, e.syntax().text_range(), t).is_empty())
        });
        let owned = match &init {
            _ if !init_tainted => Ownership::Owned,
            Some(init) if matches!(pat, ast::Pat::IdentPat(_)) => ownership(init, &tainted, file),
            _ => Ownership::Unknown,
        };
        for binding in syntax::pattern_bindings(&pat) {
            let name = syntax::ident_name(&binding);
            if init_tainted {
                tainted.push(name.clone());
            }
            if syntax::mentions(file, after, &name).is_empty() {
                continue;
            }
            if binding.ref_token().is_some() {
                return None;
            }
            // A later binding shadows an earlier one of the same name: export the visible one.
            found
                .bindings
                .retain(|e| syntax::ident_name(&e.binding) != name);
            found.possibly_borrowed.retain(|n| *n != name);
            if owned == Ownership::Unknown {
                found.possibly_borrowed.push(name);
            }
            found.bindings.push(Export {
                binding,
                stmt: stmt.clone(),
            });
        }
    }
    Some(found)
}
