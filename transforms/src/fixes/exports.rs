//! What a region that moves into its own scope must hand back: the bindings it declares that the
//! code after it still uses, and which of them might borrow from the guard.

use ra_ap_syntax::{AstNode, SyntaxNode, TextRange, ast};

use super::ownership::{Ownership, OwningCopy, ownership, owning_copy};
use crate::analysis::syntax;

/// One binding the new scope returns, with the `let` that declares it.
#[derive(Debug, Clone)]
pub struct Export {
    pub binding: ast::IdentPat,
    pub stmt: ast::LetStmt,
    /// The binding borrows from the guard and is handed back as this owned copy.
    pub copy: Option<OwningCopy>,
}

#[derive(Debug, Clone, Default)]
pub struct Exports {
    /// In declaration order; of two bindings with one name, only the later (visible) one.
    pub bindings: Vec<Export>,
    /// Exported names whose value might borrow from the guard in a way the syntax cannot copy:
    /// returning them would not compile, so a rewrite that needs them is not offered.
    pub possibly_borrowed: Vec<String>,
}

/// A binding that borrows from the guard and leaves its scope as an owned copy: for the fix's
/// title ("`tx` is copied out of the guard with `.clone()`").
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CopiedOut {
    pub name: String,
    pub copy: OwningCopy,
}

impl Exports {
    pub fn names(&self) -> Vec<String> {
        self.bindings
            .iter()
            .map(|e| syntax::ident_name(&e.binding))
            .collect()
    }

    /// What the scope hands back for each binding: its name, or an owned copy of it.
    pub fn values(&self) -> Vec<String> {
        self.bindings
            .iter()
            .map(|e| {
                let name = syntax::ident_name(&e.binding);
                match e.copy {
                    Some(copy) => format!("{name}{}", copy.suffix()),
                    None => name,
                }
            })
            .collect()
    }

    /// After the scope: `let tx = &tx;` for every binding handed back as a copy, each line
    /// starting with `eol` and `indent`, so the code that used the borrowed value sees its type.
    pub fn reborrows(&self, eol: &str, indent: &str) -> String {
        self.bindings
            .iter()
            .filter_map(|e| {
                let name = syntax::ident_name(&e.binding);
                Some(format!(
                    "{eol}{indent}let {name} = {};",
                    e.copy?.reborrow(&name)
                ))
            })
            .collect()
    }

    /// The bindings handed back as copies.
    pub fn copied(&self) -> Vec<CopiedOut> {
        self.bindings
            .iter()
            .filter_map(|e| {
                Some(CopiedOut {
                    name: syntax::ident_name(&e.binding),
                    copy: e.copy?,
                })
            })
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
/// shape does not prove it owned is handed back as an owned copy where the syntax says how to make
/// one (`.clone()`, `.cloned()`, `.to_owned()`), and is listed as possibly borrowed otherwise.
/// `None` when a `ref` binding would have to be exported.
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
        // A pattern that destructures an owned value binds owned parts (`ref` bindings are
        // refused below).
        // A future awaited after the scope borrows what made it (graph-rs-sdk:
        // `let response = client.response(); response.await`).
        let awaited_later = syntax::pattern_bindings(&pat)
            .iter()
            .any(|b| syntax::awaited_whole(file, after, &syntax::ident_name(b)));
        let owned = match &init {
            _ if !init_tainted => Ownership::Owned,
            _ if awaited_later => Ownership::Unknown,
            Some(init) => ownership(init, &tainted, file),
            None => Ownership::Unknown,
        };
        let copy = match &init {
            Some(init) if owned == Ownership::Unknown && matches!(pat, ast::Pat::IdentPat(_)) => {
                owning_copy(init, &tainted, file)
            }
            _ => None,
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
            if owned == Ownership::Unknown && copy.is_none() {
                found.possibly_borrowed.push(name);
            }
            found.bindings.push(Export {
                binding,
                stmt: stmt.clone(),
                copy,
            });
        }
    }
    Some(found)
}
