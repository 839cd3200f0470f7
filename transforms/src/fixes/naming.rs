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
    // `g.get(&id).map(|n| n.len())` is named after what it maps, not `map`.
    "map",
    "and_then",
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

/// A name for a `bool` check, as seed 001 writes it: `g.get_user(&email).await.is_ok()` →
/// `user_exists`, `g.contains_key(id)` → `exists`, `g.is_empty()` → `is_empty`.
pub fn suggest_check_name(expr: &ast::Expr) -> String {
    let name = describe_check(expr).unwrap_or_default();
    if name.is_empty() || KEYWORDS.contains(&name.as_str()) {
        return "condition".to_string();
    }
    name
}

fn describe_check(expr: &ast::Expr) -> Option<String> {
    match expr {
        ast::Expr::MethodCallExpr(call) => {
            let method = call.name_ref()?.text().to_string();
            let suffix = match method.as_str() {
                "is_ok" | "is_some" => "exists",
                "is_err" | "is_none" => "missing",
                "contains" | "contains_key" | "exists" | "any" => {
                    return Some("exists".to_string());
                }
                m if ["is_", "has_", "can_", "should_"]
                    .iter()
                    .any(|p| m.starts_with(p)) =>
                {
                    return Some(method);
                }
                _ => return None,
            };
            // `g.get_user(..).is_ok()` → `user_exists`; `g.is_some()`, `g.get(..).is_some()` →
            // `exists`: the receiver's name would be the guard's, or say nothing.
            let subject = call
                .receiver()
                .filter(|r| !matches!(r, ast::Expr::PathExpr(_)))
                .and_then(|r| describe(&r))
                .filter(|s| s != "get" && s != "value");
            Some(match subject {
                Some(subject) => format!("{subject}_{suffix}"),
                None => suffix.to_string(),
            })
        }
        ast::Expr::ParenExpr(p) => describe_check(&p.expr()?),
        ast::Expr::AwaitExpr(a) => describe_check(&a.expr()?),
        _ => None,
    }
    .filter(|n| n.chars().all(|c| c.is_alphanumeric() || c == '_') && !n.is_empty())
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

    fn check_name(expr: &str) -> String {
        let src = format!("fn f() {{ let _ = {expr}; }}");
        let file = SourceFile::parse(&src, Edition::Edition2021).tree();
        let init = file
            .syntax()
            .descendants()
            .find_map(ast::LetStmt::cast)
            .and_then(|l| l.initializer())
            .unwrap();
        suggest_check_name(&init)
    }

    #[test]
    fn check_names() {
        assert_eq!(
            check_name("store_guard.get_user(&req_email).await.is_ok()"),
            "user_exists"
        );
        assert_eq!(check_name("g.contains_key(id)"), "exists");
        assert_eq!(check_name("g.get(&k).is_none()"), "missing");
        assert_eq!(check_name("g.is_empty()"), "is_empty");
        assert_eq!(check_name("g.len() > 3"), "condition");
        assert_eq!(check_name("g.iter().any(|n| n == name)"), "exists");
    }
}
