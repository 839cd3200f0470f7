//! Questions about what a guard's holder does with it, shared by the rules that report work done
//! under a guard (`guard-across-blocking`, `emit-under-lock`): which values carry the guarded data,
//! whether an expression starts at the guard, whether the guard was handed away, whether the code
//! is a test.

use ra_ap_syntax::{AstNode, SyntaxKind, SyntaxNode, TextRange, TextSize, ast};

use super::crate_index::CrateIndex;
use super::{Guard, syntax};
use crate::fixes::ownership::{Ownership, ownership_in_crate, temporary_ownership};

/// The guard's binding and every binding that may borrow from it (or from one of those) inside
/// its live region: `let user = storage.get(name)?;`, `for item in queue.iter()`,
/// `if let Some(rx) = &mut *g`. Plainly owned values (`let n = g.len();`, `let copy = g.clone();`)
/// are not the guarded data any more and are not named.
pub fn guard_data_names(
    file: &SyntaxNode,
    guard: &Guard,
    crate_index: Option<&CrateIndex>,
) -> Vec<String> {
    let mut names: Vec<String> = guard.name().into_iter().collect();
    let guard_range = guard.guard_expr.syntax().text_range();
    let carries = |names: &[String], source: &SyntaxNode| {
        let range = source.text_range();
        range.contains_range(guard_range)
            || names
                .iter()
                .any(|n| !syntax::mentions(file, range, n).is_empty())
    };
    for node in guard.body.descendants() {
        if !guard.live.contains_range(node.text_range()) {
            continue;
        }
        // `match &*g { Some(x) => x.send(..).await, .. }`: the arm's bindings come from the
        // scrutinee.
        let Some((pat, source)) = syntax::binding_source(&node) else {
            continue;
        };
        let source = source.syntax().clone();
        // A future awaited later borrows what made it, however owned its call looks.
        let future = ast::LetStmt::can_cast(node.kind())
            && syntax::pattern_bindings(&pat).iter().any(|b| {
                let after = TextRange::new(node.text_range().end(), guard.body.text_range().end());
                syntax::awaited_whole(file, after, &syntax::ident_name(b))
            });
        let owned = !future
            && ast::Expr::cast(source.clone())
                .is_some_and(|e| owned_value(file, guard, &names, &e, crate_index));
        // A `for` binding is an item of what the loop iterates, which may borrow from it even when
        // the iterable is owned.
        // A `ref` binding borrows whatever the source is (`if let Some(ref mut f) = *g`).
        let by_ref = syntax::pattern_bindings(&pat)
            .iter()
            .any(|b| b.ref_token().is_some());
        if carries(&names, &source) && !(owned && !by_ref && !ast::ForExpr::can_cast(node.kind())) {
            for binding in syntax::pattern_bindings(&pat) {
                let name = syntax::ident_name(&binding);
                if !names.contains(&name) {
                    names.push(name);
                }
            }
        }
    }
    names
}

/// Every mention, in the guard's live region, of the guard (its `uses`, which stop where a `let`
/// shadows its name) and of the other bindings in `names` ([`guard_data_names`]).
pub fn data_mentions(
    file: &SyntaxNode,
    guard: &Guard,
    names: &[String],
    uses: &[TextRange],
) -> Vec<TextRange> {
    let own = guard.name();
    names
        .iter()
        .filter(|n| Some(n.as_str()) != own.as_deref())
        .flat_map(|n| syntax::mentions(file, guard.live, n))
        .chain(uses.iter().copied())
        .collect()
}

/// Whether the binding `name` (one of [`guard_data_names`]) takes a mutable borrow of the guarded
/// data (`&mut *g`, `g.iter_mut()`, `g.get_mut(k)`, `as_mut()`, `g.queue.drain(..)`) or binds it by
/// `ref mut`.
pub fn derived_mutably(file: &SyntaxNode, guard: &Guard, name: &str) -> bool {
    guard
        .body
        .descendants()
        .filter_map(ast::IdentPat::cast)
        .filter(|p| {
            guard.live.contains_range(p.syntax().text_range()) && syntax::ident_name(p) == name
        })
        .any(|p| {
            if p.mut_token().is_some() && p.ref_token().is_some() {
                return true;
            }
            let source = p.syntax().ancestors().find_map(|a| {
                if let Some(s) = ast::LetStmt::cast(a.clone()) {
                    s.initializer()
                } else if let Some(f) = ast::ForExpr::cast(a.clone()) {
                    f.iterable()
                } else if let Some(l) = ast::LetExpr::cast(a.clone()) {
                    l.expr()
                } else {
                    ast::MatchArm::cast(a)
                        .and_then(|arm| arm.syntax().ancestors().find_map(ast::MatchExpr::cast))
                        .and_then(|m| m.expr())
                }
            });
            source.is_some_and(|e| {
                e.syntax().descendants().any(|d| {
                    ast::RefExpr::cast(d.clone()).is_some_and(|r| r.mut_token().is_some())
                        || ast::MethodCallExpr::cast(d)
                            .and_then(|m| m.name_ref())
                            .is_some_and(|n| {
                                let n = n.text();
                                n.ends_with("_mut") || n == "as_mut" || n.starts_with("drain")
                            })
                })
            })
        })
        && !syntax::mentions(file, guard.live, name).is_empty()
}

/// Whether `range` mentions the guard or a value computed from it (`names` from
/// [`guard_data_names`]), or contains the temporary guard itself.
pub fn mentions_guard_data(
    file: &SyntaxNode,
    guard: &Guard,
    names: &[String],
    range: TextRange,
) -> bool {
    range.contains_range(guard.guard_expr.syntax().text_range())
        || names
            .iter()
            .any(|n| !syntax::mentions(file, range, n).is_empty())
}

/// Whether `expr` reads the guard (or a value from [`guard_data_names`]) and may still borrow
/// from it: `self.0.lock().as_mut()`, `&mut *g`, `g.iter()` — not `g.len()` or `g.cb.clone()`.
pub fn borrows_guard_data(
    file: &SyntaxNode,
    guard: &Guard,
    names: &[String],
    expr: &ast::Expr,
) -> bool {
    mentions_guard_data(file, guard, names, expr.syntax().text_range())
        && !owned_value(file, guard, names, expr, None)
}

fn owned_value(
    file: &SyntaxNode,
    guard: &Guard,
    names: &[String],
    expr: &ast::Expr,
    crate_index: Option<&CrateIndex>,
) -> bool {
    let guard_range = guard.guard_expr.syntax().text_range();
    if expr.syntax().text_range().contains_range(guard_range) {
        temporary_ownership(expr, guard_range, file) == Ownership::Owned
    } else {
        guarded_type_returns_owned(file, guard, expr, crate_index)
            || ownership_in_crate(expr, names, file, crate_index) == Ownership::Owned
    }
}

/// `cache.get(&id)` on the guard of a lock whose guarded type is the crate's own
/// (`ShufflingCache`), and whose `get` the crate declares to return owned data (lighthouse's
/// `Option<CacheItem>`): what the name alone would take for a map's borrowing `get` is owned.
fn guarded_type_returns_owned(
    file: &SyntaxNode,
    guard: &Guard,
    expr: &ast::Expr,
    crate_index: Option<&CrateIndex>,
) -> bool {
    let (Some(index), ast::Expr::MethodCallExpr(call), Some(name)) =
        (crate_index, expr, guard.name())
    else {
        return false;
    };
    let on_guard = call
        .receiver()
        .is_some_and(|r| syntax::compact_text(r.syntax()).trim_start_matches(['*', '&']) == name);
    let Some(method) = call.name_ref() else {
        return false;
    };
    on_guard
        && crate::fixes::clone_evidence::guarded_type_name(file, &guard.lock_name).is_some_and(
            |ty| index.returns_owned(&format!("{ty}::{}", method.text())) == Some(true),
        )
}

/// Whether the place or receiver chain `expr` starts at the guard: its binding (one of `uses`) or,
/// for a temporary, the guard expression itself.
pub fn rooted_at_guard(guard: &Guard, expr: &ast::Expr, uses: &[TextRange]) -> bool {
    let mut current = Some(expr.clone());
    while let Some(expr) = current {
        if expr.syntax() == guard.guard_expr.syntax() {
            return true;
        }
        current = match &expr {
            ast::Expr::MethodCallExpr(m) => m.receiver(),
            ast::Expr::FieldExpr(f) => f.expr(),
            ast::Expr::AwaitExpr(a) => a.expr(),
            ast::Expr::TryExpr(t) => t.expr(),
            ast::Expr::ParenExpr(p) => p.expr(),
            ast::Expr::RefExpr(r) => r.expr(),
            ast::Expr::PrefixExpr(p) => p.expr(),
            ast::Expr::IndexExpr(i) => i.base(),
            ast::Expr::PathExpr(p) => {
                return uses.contains(&p.syntax().text_range());
            }
            _ => None,
        };
    }
    false
}

/// Whether the guard is handed away before `at`: moved into a `move` closure or `async move` block
/// given to a call (`thread::spawn(move || { …; drop(guard); })`), which then owns it and releases
/// it on its own schedule, or into a `_name` binding (`let _m = m;`), which holds it on purpose. A
/// `move` closure kept in a local still holds the lock here, so it does not count.
pub fn handed_away_before(file: &SyntaxNode, guard: &Guard, at: TextSize) -> bool {
    guard.uses(file).iter().any(|u| {
        if u.start() >= at {
            return false;
        }
        let node = crate::fixes::release::node_at(file, *u);
        let moved_into_body = syntax::enclosing_body(&node)
            .filter(|b| *b != guard.body)
            .is_some_and(|b| is_move_body(&b) && given_to_a_call(&b));
        let into_underscore = node
            .ancestors()
            .find(|a| a.kind() == SyntaxKind::PATH_EXPR)
            .and_then(|p| {
                let stmt = ast::LetStmt::cast(p.parent()?)?;
                let is_init = stmt.initializer()?.syntax() == &p;
                let underscore = matches!(stmt.pat(), Some(ast::Pat::IdentPat(b)) if syntax::ident_name(&b).starts_with('_'));
                Some(is_init && underscore)
            })
            .unwrap_or(false);
        moved_into_body || into_underscore
    })
}

/// Whether the guard mention at `range` may move the guard: it is a whole expression of its own
/// (an argument, a `let` initializer, a struct field, a returned value), not the receiver of a
/// method call, a field access, a dereference, a borrow, an operand or an index.
pub fn may_move_guard(file: &SyntaxNode, range: TextRange) -> bool {
    let node = crate::fixes::release::node_at(file, range);
    let Some(path) = node.ancestors().find(|a| a.kind() == SyntaxKind::PATH_EXPR) else {
        // A token inside a macro call (`format!("{}", g.len())`): formatting macros borrow.
        return false;
    };
    let Some(parent) = path.parent() else {
        return true;
    };
    match parent.kind() {
        SyntaxKind::FIELD_EXPR
        | SyntaxKind::INDEX_EXPR
        | SyntaxKind::REF_EXPR
        | SyntaxKind::PREFIX_EXPR
        | SyntaxKind::BIN_EXPR => false,
        SyntaxKind::METHOD_CALL_EXPR => !ast::MethodCallExpr::cast(parent)
            .and_then(|m| m.receiver())
            .is_some_and(|r| r.syntax() == &path),
        _ => true,
    }
}

/// The closure or block is an argument of a call (through parentheses or references).
fn given_to_a_call(body: &SyntaxNode) -> bool {
    body.ancestors()
        .skip(1)
        .find(|a| !matches!(a.kind(), SyntaxKind::PAREN_EXPR | SyntaxKind::REF_EXPR))
        .is_some_and(|a| a.kind() == SyntaxKind::ARG_LIST)
}

fn is_move_body(body: &SyntaxNode) -> bool {
    if let Some(closure) = ast::ClosureExpr::cast(body.clone()) {
        return closure.move_token().is_some();
    }
    ast::BlockExpr::cast(body.clone()).is_some_and(|b| b.move_token().is_some())
}

/// Whether `node` is test code: inside a function marked `#[test]` (or `#[tokio::test]`, any
/// `…::test`), or an item under `#[cfg(test)]`. Tests hold locks across sleeps, spawns and joins on
/// purpose, to build the contention they test.
pub fn in_test_code(node: &SyntaxNode) -> bool {
    node.ancestors().any(|ancestor| {
        syntax::attributes(&ancestor).any(|attr| {
            let text = syntax::compact_text(attr.syntax());
            let inner = text
                .trim_start_matches('#')
                .trim_start_matches('!')
                .trim_start_matches('[')
                .trim_end_matches(']');
            inner == "test"
                || inner.ends_with("::test")
                || inner.contains("::test(")
                || inner.starts_with("cfg(test")
                || inner.starts_with("cfg(all(test")
        })
    })
}

/// For a temporary guard created in a `match`, `if let` or `while let` scrutinee, the region its
/// arms (or branches, or loop body) cover: the guard lives through them (before edition 2024 for
/// `if let`), which is `guard-in-scrutinee`'s finding.
pub fn scrutinee_arms(guard: &Guard) -> Option<TextRange> {
    if !matches!(guard.holder, super::Holder::Temporary) {
        return None;
    }
    let guard_range = guard.guard_expr.syntax().text_range();
    for ancestor in guard.guard_expr.syntax().ancestors().skip(1) {
        if let Some(m) = ast::MatchExpr::cast(ancestor.clone()) {
            let in_scrutinee = m
                .expr()
                .is_some_and(|e| e.syntax().text_range().contains_range(guard_range));
            return in_scrutinee
                .then(|| m.match_arm_list().map(|l| l.syntax().text_range()))
                .flatten();
        }
        if let Some(let_expr) = ast::LetExpr::cast(ancestor.clone()) {
            let in_scrutinee = let_expr
                .expr()
                .is_some_and(|e| e.syntax().text_range().contains_range(guard_range));
            let owner = let_expr
                .syntax()
                .ancestors()
                .find(|a| matches!(a.kind(), SyntaxKind::IF_EXPR | SyntaxKind::WHILE_EXPR))?;
            let start = let_expr.syntax().text_range().end();
            return in_scrutinee.then(|| TextRange::new(start, owner.text_range().end()));
        }
        if ancestor.kind() == SyntaxKind::STMT_LIST || syntax::is_body(&ancestor) {
            return None;
        }
    }
    None
}
