//! Can a value computed from a guard outlive the guard?
//!
//! Moving a value out of a lock scope only compiles when the value does not borrow from the guard.
//! Without types the syntax tier answers from shapes that are owned whatever the types are:
//! a by-value place through the guard (`g.count`, `*g`: it compiled, so it is `Copy`), comparisons
//! and arithmetic, and calls that return owned data by contract (`clone`, `len`, `is_some`…), or a
//! method defined in the same file whose return type has no reference in it.

use ra_ap_syntax::{AstNode, SyntaxNode, ast, ast::HasArgList};

use crate::analysis::syntax;

/// Methods whose result never borrows from the receiver.
pub(crate) const OWNING_METHODS: &[&str] = &[
    "clone",
    "cloned",
    "copied",
    "to_owned",
    "to_string",
    "to_vec",
    "into_owned",
    "len",
    "is_empty",
    "is_some",
    "is_none",
    "is_ok",
    "is_err",
    "contains",
    "contains_key",
    "starts_with",
    "ends_with",
    "eq",
    "ne",
    "count",
    "sum",
    "product",
    "any",
    "all",
    "position",
    "capacity",
    "elapsed",
    // Removing an element hands it over.
    "pop",
    "pop_front",
    "pop_back",
    "remove",
    "swap_remove",
    "take",
    "replace",
    "split_off",
];

/// Methods that own their result only when what they consume is already owned.
const PASS_THROUGH_METHODS: &[&str] = &[
    "unwrap",
    "expect",
    "unwrap_or",
    "unwrap_or_else",
    "unwrap_or_default",
    "ok",
    "err",
];

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Ownership {
    /// Certainly does not borrow from the guard.
    Owned,
    /// Might borrow from the guard: moving it out of the lock scope may not compile.
    Unknown,
}

/// Whether `expr`, whose free names in `tainted` borrow from (or are) the guard, yields a value
/// that can leave the guard's scope.
pub fn ownership(expr: &ast::Expr, tainted: &[String], file: &SyntaxNode) -> Ownership {
    let is_tainted = |e: &ast::Expr| {
        tainted
            .iter()
            .any(|name| !syntax::mentions(file, e.syntax().text_range(), name).is_empty())
    };
    classify(expr, &is_tainted, file)
}

/// Whether the value of `expr`, which contains a temporary guard at `guard_range`, can outlive the
/// statement that creates the guard.
pub fn temporary_ownership(
    expr: &ast::Expr,
    guard_range: ra_ap_syntax::TextRange,
    file: &SyntaxNode,
) -> Ownership {
    let is_tainted = |e: &ast::Expr| e.syntax().text_range().contains_range(guard_range);
    classify(expr, &is_tainted, file)
}

fn classify(
    expr: &ast::Expr,
    is_tainted: &dyn Fn(&ast::Expr) -> bool,
    file: &SyntaxNode,
) -> Ownership {
    if !is_tainted(expr) {
        return Ownership::Owned;
    }
    let all = |exprs: &mut dyn Iterator<Item = ast::Expr>| {
        for e in exprs {
            if classify(&e, is_tainted, file) == Ownership::Unknown {
                return Ownership::Unknown;
            }
        }
        Ownership::Owned
    };
    match expr {
        ast::Expr::MethodCallExpr(call) => {
            let name = call
                .name_ref()
                .map(|n| n.text().to_string())
                .unwrap_or_default();
            if OWNING_METHODS.contains(&name.as_str()) {
                return Ownership::Owned;
            }
            // `g.get(&k).map_or(false, |v| ..)`: the result has the default's type, and a literal
            // default (a bool, a number, a `&'static str`) owns nothing of the guard.
            if matches!(name.as_str(), "map_or" | "map_or_else")
                && call
                    .arg_list()
                    .and_then(|a| a.args().next())
                    .is_some_and(|d| matches!(d, ast::Expr::Literal(_)))
            {
                return Ownership::Owned;
            }
            if name == "map"
                && let Some(owned) = closure_result_owned(call, is_tainted, file)
            {
                // `g.get(&k).map(|v| v.len())`: whatever the closure is handed, it returns an
                // owned value, so the `Option`/`Result` it builds is owned.
                return owned;
            }
            if name == "collect" {
                // `iter().collect()` gathers references; a copying step before it does not.
                let chain = call.syntax().text().to_string();
                let copies = [
                    ".cloned()",
                    ".copied()",
                    ".to_owned()",
                    ".to_string()",
                    ".clone()",
                    ".map(",
                ];
                return if copies.iter().any(|c| chain.contains(c)) {
                    Ownership::Owned
                } else {
                    Ownership::Unknown
                };
            }
            if PASS_THROUGH_METHODS.contains(&name.as_str()) {
                return match call.receiver() {
                    Some(receiver) => classify(&receiver, is_tainted, file),
                    None => Ownership::Unknown,
                };
            }
            match syntax::same_file_method_returns_owned(&root(file), &name) {
                Some(true) => Ownership::Owned,
                _ => Ownership::Unknown,
            }
        }
        ast::Expr::TryExpr(t) => match t.expr() {
            Some(inner) => classify(&inner, is_tainted, file),
            None => Ownership::Unknown,
        },
        ast::Expr::ParenExpr(p) => match p.expr() {
            Some(inner) => classify(&inner, is_tainted, file),
            None => Ownership::Unknown,
        },
        // A by-value place through the guard compiles only if it is `Copy`.
        ast::Expr::FieldExpr(_) | ast::Expr::IndexExpr(_) => Ownership::Owned,
        ast::Expr::PrefixExpr(_)
        | ast::Expr::BinExpr(_)
        | ast::Expr::CastExpr(_)
        | ast::Expr::Literal(_) => Ownership::Owned,
        ast::Expr::MacroExpr(_) => Ownership::Owned,
        ast::Expr::TupleExpr(t) => all(&mut t.fields()),
        ast::Expr::ArrayExpr(a) => all(&mut a.exprs()),
        ast::Expr::CallExpr(c) => match c.arg_list() {
            Some(args) => all(&mut args.args()),
            None => Ownership::Unknown,
        },
        _ => Ownership::Unknown,
    }
}

/// For `x.map(|p| body)`: the ownership of `body`, where the closure's parameters count as
/// borrowing from the guard. `None` when the argument is not a closure.
fn closure_result_owned(
    call: &ast::MethodCallExpr,
    is_tainted: &dyn Fn(&ast::Expr) -> bool,
    file: &SyntaxNode,
) -> Option<Ownership> {
    let ast::Expr::ClosureExpr(closure) = call.arg_list()?.args().next()? else {
        return None;
    };
    let body = closure.body()?;
    let params: Vec<String> = closure
        .param_list()?
        .params()
        .filter_map(|p| p.pat())
        .flat_map(|p| syntax::pattern_bindings(&p))
        .map(|p| syntax::ident_name(&p))
        .collect();
    let tainted_in_body = |e: &ast::Expr| {
        is_tainted(e)
            || params
                .iter()
                .any(|name| !syntax::mentions(file, e.syntax().text_range(), name).is_empty())
    };
    Some(classify(&body, &tainted_in_body, file))
}

fn root(node: &SyntaxNode) -> SyntaxNode {
    node.ancestors().last().unwrap_or_else(|| node.clone())
}

#[cfg(test)]
mod tests {
    use super::*;
    use ra_ap_syntax::{Edition, SourceFile};

    fn check(init: &str) -> Ownership {
        let src = format!(
            "fn f() {{ let x = {init}; }}\nfn owned_thing(&self) -> Vec<u8> {{ todo!() }}\nfn borrowed_thing(&self) -> &[u8] {{ todo!() }}"
        );
        let file = SourceFile::parse(&src, Edition::Edition2021).tree();
        let expr = file
            .syntax()
            .descendants()
            .find_map(ast::LetStmt::cast)
            .and_then(|l| l.initializer())
            .unwrap();
        ownership(&expr, &["g".to_string()], file.syntax())
    }

    #[test]
    fn owned_shapes() {
        for init in [
            "g.len()",
            "g.get(&k).cloned()",
            "g.count",
            "*g",
            "g.count + 1",
            "other.len()",
            "g.is_some() && ok",
            "g.owned_thing()",
            "g.iter().cloned().collect::<Vec<_>>()",
            "g.get(&k).cloned().unwrap_or_default()",
            "(g.a, g.b.clone())",
            "g.get(&k).map(|v| v.is_empty())",
        ] {
            assert_eq!(check(init), Ownership::Owned, "{init}");
        }
    }

    #[test]
    fn possibly_borrowed_shapes() {
        for init in [
            "&g.count",
            "g.get(&k)",
            "g.borrowed_thing()",
            "g.iter().collect::<Vec<_>>()",
            "g.get(&k).unwrap()",
            "g",
            "g.unknown_method()?",
            "g.get(&k).map(|v| v)",
            "g.get(&k).map(|v| &v.name)",
        ] {
            assert_eq!(check(init), Ownership::Unknown, "{init}");
        }
    }
}
