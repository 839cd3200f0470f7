//! What a region that moves into its own scope must hand back: the bindings it declares that the
//! code after it still uses, and which of them might borrow from the guard.

use ra_ap_syntax::{AstNode, SyntaxKind, SyntaxNode, TextRange, ast, ast::HasArgList};

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
    /// The code after the scope that uses the bindings.
    after: TextRange,
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
                // `let mut stale = { .. stale };` keeps the `mut` only where the code after the
                // scope still changes the binding (the filling happened inside).
                let mutability =
                    if e.binding.mut_token().is_some() && changed_in(&e.binding, self.after) {
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
    let mut found = Exports {
        after,
        ..Exports::default()
    };
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
        let filled_with_borrows =
            !init_tainted && filled_with_borrows(file, items, &stmt, &pat, guard_name);
        let owned = match &init {
            _ if filled_with_borrows => Ownership::Unknown,
            _ if !init_tainted => Ownership::Owned,
            _ if awaited_later => Ownership::Unknown,
            Some(init) => ownership(init, &tainted, file),
            None => Ownership::Unknown,
        };
        let copy = match &init {
            _ if filled_with_borrows => None,
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

/// Whether the binding `pat` of `stmt`, made from something that is not the guard
/// (`let mut stale = Vec::new();`), is then filled with values that may borrow from the guard
/// (`stale.push(key)` for `key` in `&*guard`): handing it back would not compile. A type written in
/// the `let` without references (`Vec<u64>`) settles it: what it holds is owned.
fn filled_with_borrows(
    file: &SyntaxNode,
    items: &[SyntaxNode],
    stmt: &ast::LetStmt,
    pat: &ast::Pat,
    guard_name: &str,
) -> bool {
    let ast::Pat::IdentPat(binding) = pat else {
        return false;
    };
    if let Some(ty) = stmt.ty() {
        let text = ty.syntax().text().to_string();
        return text.contains(['&', '\'']) || text.contains("impl ") || text.contains("dyn ");
    }
    let name = syntax::ident_name(binding);
    let after_let = stmt.syntax().text_range().end();
    let tainted = guard_derived_bindings(file, items, guard_name);
    let borrowed = |e: &ast::Expr| {
        tainted
            .iter()
            .any(|t| !syntax::mentions(file, e.syntax().text_range(), t).is_empty())
            && ownership(e, &tainted, file) != Ownership::Owned
    };
    items
        .iter()
        .flat_map(|item| item.descendants())
        .filter(|node| node.text_range().start() >= after_let)
        .any(|node| {
            if let Some(call) = ast::MethodCallExpr::cast(node.clone()) {
                let on_binding = matches!(call.receiver(), Some(ast::Expr::PathExpr(p)) if p.syntax().text() == name.as_str());
                return on_binding
                    && call
                        .arg_list()
                        .is_some_and(|args| args.args().any(|a| borrowed(&a)));
            }
            if let Some(assign) = ast::BinExpr::cast(node) {
                let to_binding = matches!(assign.lhs(), Some(ast::Expr::PathExpr(p)) if p.syntax().text() == name.as_str());
                return to_binding
                    && matches!(assign.op_kind(), Some(ast::BinaryOp::Assignment { .. }))
                    && assign.rhs().is_some_and(|r| borrowed(&r));
            }
            false
        })
}

/// The guard's name and every binding among `items` made from it or from one of those: `let`s,
/// `for` loops, `if let`/`while let` and `match` arms, in source order. A binding whose value is
/// certainly owned (`let n = g.len();`) borrows nothing and is left out.
pub(super) fn guard_derived_bindings(
    file: &SyntaxNode,
    items: &[SyntaxNode],
    guard_name: &str,
) -> Vec<String> {
    let mut tainted = vec![guard_name.to_string()];
    for node in items.iter().flat_map(|item| item.descendants()) {
        let Some((pat, source)) = syntax::binding_source(&node) else {
            continue;
        };
        let from_guard = tainted
            .iter()
            .any(|t| !syntax::mentions(file, source.syntax().text_range(), t).is_empty());
        if from_guard && ownership(&source, &tainted, file) != Ownership::Owned {
            for binding in syntax::pattern_bindings(&pat) {
                let name = syntax::ident_name(&binding);
                if !tainted.contains(&name) {
                    tainted.push(name);
                }
            }
        }
    }
    tainted
}

/// Whether the code in `after` may change `binding`: assigns it, borrows it mutably, calls a
/// method on it or on a part of it (which may take `&mut self`), or hands it to a macro.
fn changed_in(binding: &ast::IdentPat, after: TextRange) -> bool {
    let Some(root) = binding.syntax().ancestors().last() else {
        return true;
    };
    let name = syntax::ident_name(binding);
    syntax::mentions(&root, after, &name)
        .into_iter()
        .any(|mention| {
            let Some(path) = root
                .covering_element(mention)
                .ancestors()
                .find_map(ast::PathExpr::cast)
            else {
                // A token inside a macro call.
                return true;
            };
            let Some(parent) = path.syntax().parent() else {
                return true;
            };
            match ast::Expr::cast(parent.clone()) {
                Some(ast::Expr::RefExpr(r)) => r.mut_token().is_some(),
                Some(ast::Expr::BinExpr(b)) => {
                    matches!(b.op_kind(), Some(ast::BinaryOp::Assignment { .. }))
                        && b.lhs().is_some_and(|l| l.syntax() == path.syntax())
                }
                // Other methods may take `&mut self`; a pattern may bind by `ref mut`.
                Some(ast::Expr::MethodCallExpr(call)) => !call.name_ref().is_some_and(|n| {
                    super::phase_split::READ_METHODS.contains(&n.text().to_string().as_str())
                }),
                Some(
                    ast::Expr::FieldExpr(_)
                    | ast::Expr::IndexExpr(_)
                    | ast::Expr::MatchExpr(_)
                    | ast::Expr::LetExpr(_),
                ) => true,
                Some(_) => false,
                None => !matches!(
                    parent.kind(),
                    SyntaxKind::ARG_LIST
                        | SyntaxKind::LET_STMT
                        | SyntaxKind::EXPR_STMT
                        | SyntaxKind::MATCH_ARM
                ),
            }
        })
}
