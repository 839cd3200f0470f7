//! Which values of a function that takes a lock are owned by their type: the ownership proof of a
//! value leaving a lock scope (`transforms::fixes::ownership`) asks this before the syntax's
//! shapes, so a dependency's function (`serde_json::to_vec(&*g)?`) or a crate's trait method
//! whose return type owns its data no longer needs a copy, or goes without a fix.
//!
//! A type is owned when nothing in it can borrow: no reference, no type with a lifetime parameter
//! (`MutexGuard<'_, T>`, DashMap's `Ref<'_, K, V>`, `Cow<'a, str>`), no guard (tokio's
//! `OwnedMutexGuard` has no lifetime but keeps the lock), no closure, `dyn` or `impl Trait` (what
//! they capture is not in the type), and no part rust-analyzer could not name. Generic parameters
//! are owned: a function's type parameter cannot name a lifetime of its body, where the guard
//! lives.

use lockfix_transforms::analysis::SemanticFacts;
use lockfix_transforms::analysis::facts::value_key;
use ra_ap_hir::{GenericDef, Semantics, Type};
use ra_ap_ide_db::RootDatabase;
use ra_ap_syntax::{AstNode, ast};

use crate::classify::Role;

/// Records, for every value expression in `function`'s body whose shape the ownership proof asks
/// about, whether its type is owned.
pub(crate) fn record(
    sema: &Semantics<'_, RootDatabase>,
    function: &ast::Fn,
    facts: &mut SemanticFacts,
) {
    let Some(body) = function.body() else {
        return;
    };
    for expr in body.syntax().descendants().filter_map(ast::Expr::cast) {
        if !asked_about(&expr) {
            continue;
        }
        let Some(ty) = sema.type_of_expr(&expr).map(|t| t.original) else {
            continue;
        };
        if let Some(owned) = owned(sema, &ty) {
            facts.record_value_ownership(value_key(&expr), owned);
        }
    }
}

/// Expressions whose value can be bound, returned from a block or passed on: not literals,
/// closures or references, whose ownership the syntax settles alone.
fn asked_about(expr: &ast::Expr) -> bool {
    matches!(
        expr,
        ast::Expr::MethodCallExpr(_)
            | ast::Expr::CallExpr(_)
            | ast::Expr::MacroExpr(_)
            | ast::Expr::FieldExpr(_)
            | ast::Expr::AwaitExpr(_)
            | ast::Expr::TryExpr(_)
            | ast::Expr::IndexExpr(_)
            | ast::Expr::PrefixExpr(_)
            | ast::Expr::PathExpr(_)
            | ast::Expr::ParenExpr(_)
    )
}

/// `Some(true)`: the type holds no borrow; `Some(false)`: it may; `None`: not known.
fn owned(sema: &Semantics<'_, RootDatabase>, ty: &Type<'_>) -> Option<bool> {
    if ty.contains_unknown() {
        return None;
    }
    let db = sema.db;
    let mut owned = true;
    ty.walk(db, |part| {
        if !owned {
            return;
        }
        owned = if let Some(adt) = part.as_adt() {
            GenericDef::Adt(adt).lifetime_params(db).is_empty()
                && !matches!(crate::facts::role_of(sema, &part), Some(Role::Guard(..)))
        } else {
            part.is_scalar()
                || part.is_str()
                || part.is_slice()
                || part.is_array()
                || part.is_tuple()
                || part.is_never()
                || part.is_raw_ptr()
                || part.as_type_param(db).is_some()
        };
    });
    Some(owned)
}
