//! Guards that are not a `lock()`/`read()`/`write()` on a declared lock: DashMap references and
//! `RefCell` borrows on receivers the file declares, a bare `read()`/`write()` on a receiver the
//! file does not type, and getters named like locks — each counted only where the file shows it
//! (a declaration) or where its result is used the way a guard is.

use ra_ap_syntax::{AstNode, SyntaxKind, SyntaxNode, TextRange, ast};

use super::kind::{self, KindIndex, LockKind};
use super::{AccessMode, lock_method_mode, receiver_name, syntax};

/// DashMap's methods that lock a shard: the ones returning a reference into the map hold the
/// shard's lock as long as the reference lives (`get`, `get_mut`, `entry`, `iter`); the others
/// lock it for the call (`insert`, `remove`), which matters when a reference of the same map is
/// alive. Only calls on a receiver this file declares as a `DashMap`/`DashSet` count.
const DASHMAP_METHODS: &[(&str, AccessMode)] = &[
    ("get", AccessMode::Read),
    ("try_get", AccessMode::Read),
    ("iter", AccessMode::Read),
    ("get_mut", AccessMode::Write),
    ("try_get_mut", AccessMode::Write),
    ("entry", AccessMode::Write),
    ("try_entry", AccessMode::Write),
    ("iter_mut", AccessMode::Write),
    ("insert", AccessMode::Write),
    ("remove", AccessMode::Write),
    ("remove_if", AccessMode::Write),
    ("alter", AccessMode::Write),
    ("retain", AccessMode::Write),
    ("clear", AccessMode::Write),
];

pub(super) fn dashmap_method_mode(method: &str) -> Option<AccessMode> {
    DASHMAP_METHODS
        .iter()
        .find(|(m, _)| *m == method)
        .map(|(_, mode)| *mode)
}

/// A DashMap shard lock taken by `call` (`cache.get(&k)` on `cache: DashMap<..>`) or a `RefCell`
/// borrow (`state.borrow_mut()` on `state: RefCell<..>`), as the guard type a helper would return.
pub(super) fn shard_or_cell_borrow(
    call: &ast::MethodCallExpr,
    kinds: &KindIndex,
) -> Option<kind::GuardType> {
    let method = call.name_ref()?.text().to_string();
    let receiver = call.receiver()?;
    let kind = kinds.lookup(&receiver_name(&receiver))?;
    let mode = match kind {
        LockKind::DashMap => dashmap_method_mode(&method)?,
        LockKind::RefCell => match method.as_str() {
            "borrow" => AccessMode::Read,
            "borrow_mut" => AccessMode::Write,
            _ => return None,
        },
        _ => return None,
    };
    Some(kind::GuardType { kind, mode })
}

/// A bare `x.read()` / `x.write()` on a receiver whose type the file does not show
/// (`self.inner.block_cache.read()`, `api.client.metadata().write()`), in async code, whose result
/// is used the way a guard is: methods called on it, fields read through it, dereferenced — and
/// never as a `Result`/`Option` or a value handed on. A lock of unknown kind, then. Not inside
/// `unsafe` code, where `ptr.read()` copies a value out of a raw pointer.
pub(super) fn bare_read_used_as_guard(
    method: &str,
    guard_expr: &ast::Expr,
    body: &SyntaxNode,
    kinds: &KindIndex,
    name: &str,
) -> bool {
    if !matches!(method, "read" | "write")
        || kinds.is_declared(name)
        || !syntax::body_is_async(body)
    {
        return false;
    }
    let in_unsafe = guard_expr.syntax().ancestors().any(|a| {
        ast::BlockExpr::cast(a.clone()).is_some_and(|b| b.unsafe_token().is_some())
            || ast::Fn::cast(a).is_some_and(|f| f.unsafe_token().is_some())
    });
    !in_unsafe && used_as_guard(guard_expr, body)
}

/// Getters named like locks (`read_lock`, `fork_choice_write_lock`, `windows_lock`,
/// `lock_or_panic`): the access they grant, read from the name.
pub(super) fn getter_lock_mode(method: &str) -> Option<AccessMode> {
    if lock_method_mode(method).is_some()
        || !(method.ends_with("_lock") || method.starts_with("lock_"))
    {
        return None;
    }
    Some(if method.contains("read") {
        AccessMode::Read
    } else if method.contains("write") {
        AccessMode::Write
    } else {
        AccessMode::Exclusive
    })
}

/// Whether the value of `guard_expr` is used the way a guard is: methods called on it, fields
/// read through it, dereferenced — and never as a `Result`/`Option` or a value handed on.
pub(super) fn used_as_guard(guard_expr: &ast::Expr, body: &SyntaxNode) -> bool {
    let guard_like = |expr: &SyntaxNode| -> Option<bool> {
        let parent = expr.parent()?;
        Some(match parent.kind() {
            SyntaxKind::METHOD_CALL_EXPR => ast::MethodCallExpr::cast(parent).is_some_and(|m| {
                m.receiver().is_some_and(|r| r.syntax() == expr)
                    && !m.name_ref().is_some_and(|n| {
                        matches!(
                            n.text(),
                            "ok" | "err"
                                | "map"
                                | "map_err"
                                | "and_then"
                                | "is_ok"
                                | "is_err"
                                | "is_some"
                                | "is_none"
                                | "await"
                        )
                    })
            }),
            SyntaxKind::FIELD_EXPR | SyntaxKind::INDEX_EXPR => true,
            SyntaxKind::PREFIX_EXPR => {
                ast::PrefixExpr::cast(parent).and_then(|p| p.op_kind()) == Some(ast::UnaryOp::Deref)
            }
            _ => false,
        })
    };
    match guard_expr.syntax().parent().and_then(ast::LetStmt::cast) {
        Some(stmt) => {
            let Some(ast::Pat::IdentPat(pat)) = stmt.pat() else {
                return false;
            };
            let binding = syntax::ident_name(&pat);
            let Some((list, _)) = syntax::as_block_item(stmt.syntax()) else {
                return false;
            };
            let after = TextRange::new(
                stmt.syntax().text_range().end(),
                list.syntax().text_range().end(),
            );
            // Mentions inside macro calls (`info!(.., n = cache.len())`) are tokens, not
            // expressions: they say nothing either way.
            let uses: Vec<bool> = syntax::mentions(body, after, &binding)
                .iter()
                .filter_map(|m| {
                    let node = crate::fixes::release::node_at(body, *m);
                    let path = node
                        .ancestors()
                        .find(|a| a.kind() == SyntaxKind::PATH_EXPR)?;
                    Some(guard_like(&path).unwrap_or(false))
                })
                .collect();
            !uses.is_empty() && uses.iter().all(|u| *u)
        }
        None => guard_like(guard_expr.syntax()).unwrap_or(false),
    }
}
