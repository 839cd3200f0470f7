//! Snapshot: when a read-only guard is needed after the `.await`, take a copy of the guarded value
//! and release the lock at once (seed 002: `self.active_context_id.read().await.clone()`).
//!
//! ```text
//! let ids = self.ids.read().unwrap();              let ids = self.ids.read().unwrap().clone();
//! notify(ids.len()).await;                   =>    notify(ids.len()).await;
//! for id in ids.iter() { … }                       for id in ids.iter() { … }
//! ```
//!
//! The binding keeps its name and now holds the value; `*ids` becomes `ids`. Only for bindings that
//! are not `mut` (nothing is written through the guard), and always unsafe: the copy can be stale,
//! and the guarded type must be `Clone`.

use ra_ap_syntax::{AstNode, SyntaxKind, SyntaxNode, TextRange, ast};

use crate::analysis::syntax;
use crate::model::TextEdit;

/// How the bound expression carries the guard.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Carrier {
    /// The guard itself: `let g = m.read().unwrap();`.
    Guard,
    /// An `Option` or a `Result` whose error holds no guard (`parking_lot`/tokio `try_lock`).
    Wrapped,
    /// std's `LockResult`/`TryLockResult`: the error (`PoisonError<Guard>`) holds a guard too,
    /// and in an `if let` scrutinee that temporary lives across the awaits of the whole `if let`
    /// (making the future not `Send`), so the error is dropped as well.
    StdResult,
}

/// Edits that turn the guard bound to `binding` into a clone of the guarded value. `visible` is
/// where mentions of the binding refer to it.
pub fn snapshot(
    file: &SyntaxNode,
    guard_expr: &ast::Expr,
    binding: &ast::IdentPat,
    visible: TextRange,
    carrier: Carrier,
) -> Option<Vec<TextEdit>> {
    if binding.mut_token().is_some() || binding.ref_token().is_some() {
        return None;
    }
    let name = syntax::ident_name(binding);
    let end = usize::from(guard_expr.syntax().text_range().end());
    // The binding is visible only inside its function: scanning that, not the whole file, keeps a
    // file of thousands of functions linear (each finding would otherwise walk every function).
    let scope = guard_expr
        .syntax()
        .ancestors()
        .filter(|a| a.kind() == SyntaxKind::FN)
        .last()
        .unwrap_or_else(|| file.clone());
    // The closure's parameter must not shadow a name the function uses; only the wrapped carriers
    // need one, and reading every identifier of the function is not free.
    let param = || syntax::fresh_name("guard", &syntax::identifiers(&scope));
    let clone = match carrier {
        Carrier::Guard => ".clone()".to_string(),
        Carrier::Wrapped => {
            let param = param();
            format!(".map(|{param}| {param}.clone())")
        }
        Carrier::StdResult => {
            let param = param();
            format!(".map(|{param}| {param}.clone()).map_err(drop)")
        }
    };
    let mut edits = vec![TextEdit {
        range: end..end,
        replacement: clone,
    }];
    let mentions = syntax::mentions(&scope, visible, &name);
    for deref in scope.descendants().filter_map(ast::PrefixExpr::cast) {
        if deref.op_kind() != Some(ast::UnaryOp::Deref) {
            continue;
        }
        let Some(ast::Expr::PathExpr(operand)) = deref.expr() else {
            continue;
        };
        let range = operand.syntax().text_range();
        if operand.syntax().text() == name.as_str() && mentions.contains(&range) {
            let start = usize::from(deref.syntax().text_range().start());
            edits.push(TextEdit {
                range: start..usize::from(range.end()),
                replacement: name.clone(),
            });
        }
    }
    Some(edits)
}
