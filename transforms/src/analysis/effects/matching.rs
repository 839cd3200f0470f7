//! Whether one call matches one pattern of the grammar the parent module describes: a path after
//! the file's `use` items, a method by name (with an argument when the pattern says `(..)`), or a
//! method on a chain that starts from a call of a path, a binding initialised by one, or a binding
//! or field declared with the path's type.
//!
//! Invariants: a pattern's [`Awaited`] is checked first; the callee's paths are resolved, and a
//! method call's name read, at most once per call however many patterns are tried; a pattern's
//! text is read apart ([`Shape`]) once per table and thread; a chain is followed at most two
//! bindings back.

use ra_ap_syntax::{AstNode, SyntaxNode, ast, ast::HasArgList};

use super::{Awaited, CallPattern, Matched};
use crate::analysis::events::{Call, CallKind};
use crate::analysis::{paths, syntax};

pub(super) fn find<K>(table: &'static [CallPattern<K>], call: &Call) -> Option<Matched<K>> {
    // Resolving the callee walks the `use` items in scope, and reading a method call's name
    // walks its children: both once per call, not per pattern (the tables have dozens). Each
    // pattern's text is read apart once per table, not per call.
    let seen = Seen::of(call);
    let shapes = shapes_of(table);
    table
        .iter()
        .zip(shapes.iter())
        .find_map(|(pattern, shape)| {
            matches_seen(pattern, shape, call, &seen).map(|root| Matched {
                pattern,
                root,
                via: None,
            })
        })
}

/// `Some(root)` when `call` matches `pattern` (`root` as in [`Matched::root`]).
pub fn matches<K>(pattern: &CallPattern<K>, call: &Call) -> Option<Option<SyntaxNode>> {
    matches_seen(pattern, &Shape::of(pattern.call), call, &Seen::of(call))
}

/// What a pattern's `call` says, read apart.
#[derive(Debug, Clone, Copy, PartialEq)]
enum Shape {
    /// `root().method`: a method on a chain that starts from the path `root`.
    Chain {
        root: &'static str,
        method: MethodName,
    },
    /// `.method`.
    Method(MethodName),
    /// A path (`std::fs::read`, `bcrypt::hash*`).
    Path,
}

/// A method pattern: its name (`name`, `name*`) and whether the call needs an argument
/// (`name(..)`).
#[derive(Debug, Clone, Copy, PartialEq)]
struct MethodName {
    name: &'static str,
    needs_argument: bool,
}

impl Shape {
    fn of(call: &'static str) -> Shape {
        let method = |method: &'static str| match method.strip_suffix("(..)") {
            Some(name) => MethodName {
                name,
                needs_argument: true,
            },
            None => MethodName {
                name: method,
                needs_argument: false,
            },
        };
        if let Some((root, name)) = call.split_once("().") {
            Shape::Chain {
                root,
                method: method(name),
            }
        } else if let Some(name) = call.strip_prefix('.') {
            Shape::Method(method(name))
        } else {
            Shape::Path
        }
    }
}

/// The shapes of each table's patterns, by the table's address and length (tables are `'static`:
/// the built-in lists, and the configuration's, which live as long as the process).
type ShapesByTable = std::collections::HashMap<(usize, usize), std::rc::Rc<[Shape]>>;

thread_local! {
    static SHAPES: std::cell::RefCell<ShapesByTable> = Default::default();
}

fn shapes_of<K>(table: &'static [CallPattern<K>]) -> std::rc::Rc<[Shape]> {
    let key = (table.as_ptr() as usize, table.len());
    SHAPES.with(|shapes| {
        shapes
            .borrow_mut()
            .entry(key)
            .or_insert_with(|| table.iter().map(|p| Shape::of(p.call)).collect())
            .clone()
    })
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
    shape: &Shape,
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
    match shape {
        Shape::Chain { root, method } => {
            let (method_call, name, has_argument) = seen.method.as_ref()?;
            if !method_matches(method, name, *has_argument) {
                return None;
            }
            return chain_root(method_call.receiver()?, root, 0);
        }
        Shape::Method(method) => {
            let (_, name, has_argument) = seen.method.as_ref()?;
            return method_matches(method, name, *has_argument).then_some(None);
        }
        Shape::Path if call.kind != CallKind::Path => return None,
        Shape::Path => {}
    }
    seen.resolved
        .get_or_init(|| paths::resolve(&call.node, &call.callee))
        .iter()
        .any(|candidate| paths::path_matches(pattern.call, candidate))
        .then_some(None)
}

/// A method pattern (`name`, `name*`, `name(..)` for one that needs an argument) against the
/// called method's name and whether the call has an argument.
fn method_matches(pattern: &MethodName, name: &str, has_argument: bool) -> bool {
    paths::segment_matches(pattern.name, name) && (has_argument || !pattern.needs_argument)
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

#[cfg(test)]
mod tests {
    use super::{MethodName, Shape};

    #[test]
    fn a_patterns_text_is_read_apart_once() {
        let method = |name, needs_argument| MethodName {
            name,
            needs_argument,
        };
        assert_eq!(
            Shape::of("reqwest::blocking::Client().send*(..)"),
            Shape::Chain {
                root: "reqwest::blocking::Client",
                method: method("send*", true)
            }
        );
        assert_eq!(Shape::of(".recv"), Shape::Method(method("recv", false)));
        assert_eq!(Shape::of(".join(..)"), Shape::Method(method("join", true)));
        assert_eq!(Shape::of("std::fs::*"), Shape::Path);
    }
}
