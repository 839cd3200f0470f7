//! Whether one call matches one pattern of the grammar the parent module describes: a path after
//! the file's `use` items, a method by name (with an argument when the pattern says `(..)`), or a
//! method on a chain that starts from a call of a path, a binding initialised by one, or a binding
//! or field declared with the path's type.
//!
//! Invariants: a pattern's [`Awaited`] is checked first; the callee's paths are resolved, and a
//! method call's name read, at most once per call however many patterns are tried; a chain is
//! followed at most two bindings back.

use ra_ap_syntax::{AstNode, SyntaxNode, ast, ast::HasArgList};

use super::{Awaited, CallPattern, Matched};
use crate::analysis::events::{Call, CallKind};
use crate::analysis::{paths, syntax};

pub(super) fn find<K>(table: &'static [CallPattern<K>], call: &Call) -> Option<Matched<K>> {
    // Resolving the callee walks the `use` items in scope, and reading a method call's name
    // walks its children: both once per call, not per pattern (the tables have dozens).
    let seen = Seen::of(call);
    table.iter().find_map(|pattern| {
        matches_seen(pattern, call, &seen).map(|root| Matched {
            pattern,
            root,
            via: None,
        })
    })
}

/// `Some(root)` when `call` matches `pattern` (`root` as in [`Matched::root`]).
pub fn matches<K>(pattern: &CallPattern<K>, call: &Call) -> Option<Option<SyntaxNode>> {
    matches_seen(pattern, call, &Seen::of(call))
}

/// What every pattern asks of one call, read once.
struct Seen {
    /// For a method call: the call, its method's name, and whether it has an argument.
    method: Option<(ast::MethodCallExpr, String, bool)>,
    /// The callee's resolved paths, computed on the first path pattern.
    resolved: std::cell::OnceCell<Vec<String>>,
}

impl Seen {
    fn of(call: &Call) -> Seen {
        let method = ast::MethodCallExpr::cast(call.node.clone()).and_then(|method_call| {
            let name = method_call.name_ref()?.text().to_string();
            let has_argument = method_call
                .arg_list()
                .is_some_and(|args| args.args().next().is_some());
            Some((method_call, name, has_argument))
        });
        Seen {
            method,
            resolved: std::cell::OnceCell::new(),
        }
    }
}

/// [`matches`], with what the call says read once into `seen`.
fn matches_seen<K>(
    pattern: &CallPattern<K>,
    call: &Call,
    seen: &Seen,
) -> Option<Option<SyntaxNode>> {
    let awaited_ok = match pattern.awaited {
        Awaited::No => !call.awaited,
        Awaited::Yes => call.awaited,
        Awaited::Either => true,
    };
    if !awaited_ok {
        return None;
    }
    if let Some((root, method)) = pattern.call.split_once("().") {
        let (method_call, name, has_argument) = seen.method.as_ref()?;
        if !method_matches(method, name, *has_argument) {
            return None;
        }
        return chain_root(method_call.receiver()?, root, 0);
    }
    if let Some(method) = pattern.call.strip_prefix('.') {
        let (_, name, has_argument) = seen.method.as_ref()?;
        return method_matches(method, name, *has_argument).then_some(None);
    }
    if call.kind != CallKind::Path {
        return None;
    }
    seen.resolved
        .get_or_init(|| paths::resolve(&call.node, &call.callee))
        .iter()
        .any(|candidate| paths::path_matches(pattern.call, candidate))
        .then_some(None)
}

/// A method pattern (`name`, `name*`, `name(..)` for one that needs an argument) against the
/// called method's name and whether the call has an argument.
fn method_matches(pattern: &str, name: &str, has_argument: bool) -> bool {
    let (wanted, needs_argument) = match pattern.strip_suffix("(..)") {
        Some(wanted) => (wanted, true),
        None => (pattern, false),
    };
    paths::segment_matches(wanted, name) && (has_argument || !needs_argument)
}

/// Walk a receiver chain down to where it starts and match that against `root` (a path pattern):
/// a call of that path, a binding initialised by one, or a binding or field whose declared type is
/// the path without its last segment. `depth` bounds binding-to-initializer hops.
fn chain_root(mut expr: ast::Expr, root: &str, depth: usize) -> Option<Option<SyntaxNode>> {
    loop {
        expr = match expr {
            ast::Expr::MethodCallExpr(m) => m.receiver()?,
            ast::Expr::TryExpr(t) => t.expr()?,
            ast::Expr::AwaitExpr(a) => a.expr()?,
            ast::Expr::ParenExpr(p) => p.expr()?,
            ast::Expr::RefExpr(r) => r.expr()?,
            ast::Expr::CallExpr(c) => {
                let ast::Expr::PathExpr(callee) = c.expr()? else {
                    return None;
                };
                let text = paths::path_text(&callee.path()?);
                let found = paths::resolve(c.syntax(), &text)
                    .iter()
                    .any(|candidate| paths::path_matches(root, candidate));
                return found.then(|| Some(c.syntax().clone()));
            }
            ast::Expr::PathExpr(path) => {
                let path = path.path()?;
                if path.qualifier().is_some() {
                    return None;
                }
                let name = path.segment()?.name_ref()?.text().to_string();
                if depth < 2
                    && let Some(init) = syntax::local_initializer_in_scope(path.syntax(), &name)
                    && let Some(found) = chain_root(init, root, depth + 1)
                {
                    return Some(found);
                }
                return declared_as(path.syntax(), &name, root).then_some(None);
            }
            ast::Expr::FieldExpr(field) => {
                let name = field.name_ref()?.text().to_string();
                return declared_as(field.syntax(), &name, root).then_some(None);
            }
            _ => return None,
        };
    }
}

/// Whether `name` is declared with the type `root` names without its last segment.
fn declared_as(at: &SyntaxNode, name: &str, root: &str) -> bool {
    let Some((ty, _)) = root.rsplit_once("::") else {
        return false;
    };
    paths::declared_types(at, name)
        .iter()
        .any(|t| paths::path_matches(ty, t))
}
