//! A lock's identity: which lock a receiver names, for "the same lock" questions (lock order,
//! relocks, hand-offs), and the last name it is reached through, for messages and kind lookup.
//!
//! Invariants: references, `.clone()`, `.as_ref()` and `Arc::clone(&..)` do not change the lock; a
//! local alias (`let store = state.store.clone();`) is replaced by what it names, up to three
//! aliases deep; `self` and paths with `::` are never resolved further.

use ra_ap_syntax::{
    AstNode,
    ast::{self, HasArgList},
};

#[cfg(doc)]
use super::Guard;
use super::syntax;

/// See [`Guard::identity`]. `depth` bounds alias chains.
pub(super) fn lock_identity(receiver: &ast::Expr, depth: usize) -> String {
    let expr = strip_clones(receiver);
    let text = syntax::compact_text(expr.syntax());
    if depth >= 3 {
        return text;
    }
    // A local alias of another lock or of its owner: `let store = state.user_store.clone();`
    // then `store.lock()`, or `let inner = self.clone();` then `inner.runtimes.lock()` — in a
    // closure or async block of the function too. The lock keeps the identity of what the alias
    // names, so that lock order and relocks see one lock.
    let (root, rest) = match &expr {
        ast::Expr::PathExpr(_) => (expr.clone(), ""),
        ast::Expr::FieldExpr(_) => {
            let mut root = expr.clone();
            while let ast::Expr::FieldExpr(field) = &root {
                match field.expr() {
                    Some(inner) => root = syntax::strip_wrappers(&inner),
                    None => return text,
                }
            }
            if !matches!(root, ast::Expr::PathExpr(_)) {
                return text;
            }
            let root_text = syntax::compact_text(root.syntax());
            match text.strip_prefix(root_text.as_str()) {
                Some(rest) if rest.starts_with('.') => (root, rest),
                _ => return text,
            }
        }
        _ => return text,
    };
    let name = syntax::compact_text(root.syntax());
    if name == "self" || name.contains("::") {
        return text;
    }
    let Some(init) = syntax::local_initializer_in_scope(root.syntax(), &name) else {
        return text;
    };
    let is_place_or_clone = matches!(
        syntax::strip_wrappers(&init),
        ast::Expr::PathExpr(_)
            | ast::Expr::FieldExpr(_)
            | ast::Expr::MethodCallExpr(_)
            | ast::Expr::CallExpr(_)
    );
    let resolved = lock_identity(&init, depth + 1);
    if is_place_or_clone && !resolved.contains('(') {
        return format!("{resolved}{rest}");
    }
    text
}

/// `receiver` without references, `.clone()`, `.as_ref()` and `Arc::clone(&..)`.
fn strip_clones(receiver: &ast::Expr) -> ast::Expr {
    let mut expr = syntax::strip_wrappers(receiver);
    loop {
        let inner = match &expr {
            ast::Expr::MethodCallExpr(m)
                if m.name_ref()
                    .is_some_and(|n| matches!(n.text(), "clone" | "as_ref"))
                    && m.arg_list().is_some_and(|a| a.args().next().is_none()) =>
            {
                m.receiver()
            }
            // `Arc::clone(&x)`, `Rc::clone(&x)`.
            ast::Expr::CallExpr(c)
                if c.expr()
                    .is_some_and(|e| syntax::compact_text(e.syntax()).ends_with("::clone")) =>
            {
                c.arg_list().and_then(|a| a.args().next())
            }
            _ => None,
        };
        match inner {
            Some(e) => expr = syntax::strip_wrappers(&e),
            None => return expr,
        }
    }
}

/// The last name a receiver is reached through: `self.cache` → `cache`, `state.lock()` → `state`.
pub(super) fn receiver_name(receiver: &ast::Expr) -> String {
    let mut expr = syntax::strip_wrappers(receiver);
    loop {
        match &expr {
            ast::Expr::FieldExpr(f) => {
                return f
                    .name_ref()
                    .map(|n| n.text().to_string())
                    .unwrap_or_default();
            }
            ast::Expr::PathExpr(p) => {
                return p
                    .path()
                    .and_then(|p| p.segment())
                    .and_then(|s| s.name_ref())
                    .map(|n| n.text().to_string())
                    .unwrap_or_default();
            }
            // `self.inner.clone().lock()`, `lock.as_ref().read()`: look through.
            ast::Expr::MethodCallExpr(m)
                if m.name_ref()
                    .is_some_and(|n| matches!(n.text(), "clone" | "as_ref" | "deref")) =>
            {
                match m.receiver() {
                    Some(r) => expr = syntax::strip_wrappers(&r),
                    None => return String::new(),
                }
            }
            ast::Expr::MethodCallExpr(m) => {
                return m
                    .name_ref()
                    .map(|n| n.text().to_string())
                    .unwrap_or_default();
            }
            ast::Expr::CallExpr(c) => {
                return c
                    .expr()
                    .map(|e| e.syntax().text().to_string())
                    .unwrap_or_default()
                    .rsplit("::")
                    .next()
                    .unwrap_or_default()
                    .to_string();
            }
            _ => return String::new(),
        }
    }
}
