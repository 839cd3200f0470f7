//! Names for the bindings a fix introduces, taken from the expression they hold.

use ra_ap_syntax::ast;

/// Calls that convert or unwrap without saying what the value is.
const TRANSPARENT: &[&str] = &[
    "clone",
    "cloned",
    "copied",
    "to_owned",
    "to_vec",
    "into_owned",
    "unwrap",
    "expect",
    "unwrap_or_default",
    "unwrap_or",
    "unwrap_or_else",
    "await",
];
const LOCK_CALLS: &[&str] = &[
    "lock",
    "read",
    "write",
    "try_lock",
    "try_read",
    "try_write",
    "blocking_lock",
];
const KEYWORDS: &[&str] = &[
    "as", "async", "await", "break", "const", "continue", "crate", "dyn", "else", "enum", "extern",
    "false", "fn", "for", "if", "impl", "in", "let", "loop", "match", "mod", "move", "mut", "pub",
    "ref", "return", "self", "static", "struct", "super", "trait", "true", "type", "unsafe", "use",
    "where", "while", "gen",
];

/// Whether `name` is a Rust keyword (so not usable as a binding).
pub fn is_keyword(name: &str) -> bool {
    KEYWORDS.contains(&name)
}

/// A snake_case name describing `expr`: `self.cache.read().unwrap().get_data()` → `data`,
/// `*self.count.lock().unwrap()` → `count`, `m.lock().unwrap().get(&k).cloned()` → `value`.
pub fn suggest_name(expr: &ast::Expr) -> String {
    let name = describe(expr).unwrap_or_default();
    if name.is_empty() || KEYWORDS.contains(&name.as_str()) || name == "get" {
        return "value".to_string();
    }
    name
}

fn describe(expr: &ast::Expr) -> Option<String> {
    match expr {
        ast::Expr::MethodCallExpr(call) => {
            let method = call.name_ref()?.text().to_string();
            if TRANSPARENT.contains(&method.as_str()) {
                return describe(&call.receiver()?);
            }
            if LOCK_CALLS.contains(&method.as_str()) {
                return describe(&call.receiver()?);
            }
            let stripped = ["get_", "as_", "to_", "into_"]
                .iter()
                .find_map(|p| method.strip_prefix(p))
                .unwrap_or(&method);
            Some(stripped.to_string())
        }
        ast::Expr::FieldExpr(field) => Some(field.name_ref()?.text().to_string()),
        ast::Expr::PathExpr(path) => {
            let name = path.path()?.segment()?.name_ref()?.text().to_string();
            (name != "self").then(|| name.to_lowercase())
        }
        ast::Expr::TryExpr(t) => describe(&t.expr()?),
        ast::Expr::AwaitExpr(a) => describe(&a.expr()?),
        ast::Expr::ParenExpr(p) => describe(&p.expr()?),
        ast::Expr::RefExpr(r) => describe(&r.expr()?),
        ast::Expr::PrefixExpr(p) => describe(&p.expr()?),
        ast::Expr::IndexExpr(i) => describe(&i.base()?),
        _ => None,
    }
    .filter(|n| n.chars().all(|c| c.is_alphanumeric() || c == '_') && !n.is_empty())
}

#[cfg(test)]
mod tests {
    use super::*;
    use ra_ap_syntax::{AstNode, Edition, SourceFile};

    fn name(expr: &str) -> String {
        let src = format!("fn f() {{ let _ = {expr}; }}");
        let file = SourceFile::parse(&src, Edition::Edition2021).tree();
        let init = file
            .syntax()
            .descendants()
            .find_map(ast::LetStmt::cast)
            .and_then(|l| l.initializer())
            .unwrap();
        suggest_name(&init)
    }

    #[test]
    fn names() {
        assert_eq!(name("self.cache.read().unwrap().get_data()"), "data");
        assert_eq!(name("*self.count.lock().unwrap()"), "count");
        assert_eq!(name("m.lock().unwrap().get(&k).cloned()"), "value");
        assert_eq!(name("g.pending.len()"), "len");
        assert_eq!(name("&g.user"), "user");
        assert_eq!(name("1 + 2"), "value");
    }
}
