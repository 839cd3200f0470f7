//! What happens while a guard is alive: the calls (and macro calls) made in the guard's own body
//! inside its live region. Transforms match these against their lists — blocking work, spawns and
//! sends, methods of `self` that lock again.

use ra_ap_syntax::{
    AstNode, SyntaxKind, SyntaxNode, TextRange, TextSize,
    ast::{self, HasArgList},
};

use super::syntax;

/// One call made while a guard is alive.
#[derive(Debug, Clone)]
pub struct Call {
    /// A `CALL_EXPR`, `METHOD_CALL_EXPR` or `MACRO_CALL`.
    pub node: SyntaxNode,
    /// The callee as written: `bcrypt::hash`, `tokio::spawn`, `std::fs::write` for path calls;
    /// the method name (`send`, `join`) for method calls; the macro path without `!` for macros.
    pub callee: String,
    /// For method calls, the receiver without whitespace: `self`, `tx`, `self.events`.
    pub receiver: Option<String>,
    pub kind: CallKind,
    /// The call's result is awaited directly: `tx.send(x).await`.
    pub awaited: bool,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum CallKind {
    Path,
    Method,
    Macro,
}

impl Call {
    /// `tokio::spawn` matches `spawn`, `task::spawn` and `tokio::spawn`: the last segments of the
    /// callee equal the given path's last segments.
    pub fn callee_ends_with(&self, path: &str) -> bool {
        self.callee == path || self.callee.ends_with(&format!("::{path}"))
    }
}

/// The offset at which a call happens: after its arguments are evaluated, so at its end. A call
/// whose receiver or argument creates a temporary guard runs while that guard is alive.
pub fn happens_at(node: &SyntaxNode) -> TextSize {
    node.text_range().end() - TextSize::from(1)
}

/// Every call in `body` (and in closures it calls at once, see [`syntax::runs_in_body`]; not in
/// other closures or async blocks) for which `alive` holds.
pub fn calls_where(body: &SyntaxNode, alive: impl Fn(TextSize, &SyntaxNode) -> bool) -> Vec<Call> {
    calls_among(body, body.descendants(), alive)
}

/// [`calls_where`] for calls made inside `range` (a guard's live region), which `alive` requires:
/// only the parts of `body` that meet `range` are walked.
pub fn calls_within(
    body: &SyntaxNode,
    range: TextRange,
    alive: impl Fn(TextSize, &SyntaxNode) -> bool,
) -> Vec<Call> {
    calls_among(body, syntax::descendants_meeting(body, range), alive)
}

fn calls_among(
    body: &SyntaxNode,
    nodes: impl Iterator<Item = SyntaxNode>,
    alive: impl Fn(TextSize, &SyntaxNode) -> bool,
) -> Vec<Call> {
    nodes
        .filter(|n| {
            matches!(
                n.kind(),
                SyntaxKind::CALL_EXPR | SyntaxKind::METHOD_CALL_EXPR | SyntaxKind::MACRO_CALL
            ) || is_function_passed_to_run(n)
        })
        .filter(|n| syntax::runs_in_body(n, body) && alive(happens_at(n), n))
        .filter_map(|n| describe(&n))
        .collect()
}

fn describe(node: &SyntaxNode) -> Option<Call> {
    let awaited = node
        .parent()
        .is_some_and(|p| p.kind() == SyntaxKind::AWAIT_EXPR);
    let (callee, receiver, kind) = if let Some(call) = ast::CallExpr::cast(node.clone()) {
        let callee = callee_path(&call.expr()?);
        match self_method_in_path_form(&call, &callee) {
            Some(method) => (method, Some("self".to_string()), CallKind::Method),
            None => (callee, None, CallKind::Path),
        }
    } else if let Some(path) = ast::PathExpr::cast(node.clone()) {
        (
            callee_path(&ast::Expr::PathExpr(path)),
            None,
            CallKind::Path,
        )
    } else if let Some(call) = ast::MethodCallExpr::cast(node.clone()) {
        let receiver = call.receiver().map(|r| syntax::compact_text(r.syntax()));
        (
            call.name_ref()?.text().to_string(),
            receiver,
            CallKind::Method,
        )
    } else {
        let mac = ast::MacroCall::cast(node.clone())?;
        (
            syntax::compact_text(mac.path()?.syntax()),
            None,
            CallKind::Macro,
        )
    };
    Some(Call {
        node: node.clone(),
        callee,
        receiver,
        kind,
        awaited,
    })
}

/// `Self::remove_target(self, ..)` is `self.remove_target(..)` written as a path: the method
/// name, when the first argument is `self` (or `&self`, `&mut self`).
fn self_method_in_path_form(call: &ast::CallExpr, callee: &str) -> Option<String> {
    let method = callee.strip_prefix("Self::")?;
    if method.contains("::") {
        return None;
    }
    let first = call.arg_list()?.args().next()?;
    (syntax::compact_text(syntax::strip_wrappers(&first).syntax()) == "self")
        .then(|| method.to_string())
}

/// A function named as the argument of a combinator that calls it at once:
/// `handle.take().map(JoinHandle::join)`, `items.iter().for_each(process)`. It runs there, as a
/// call would.
fn is_function_passed_to_run(node: &SyntaxNode) -> bool {
    // Only qualified paths (`JoinHandle::join`, `fs::remove_file`): a plain name is more often a
    // value than a function.
    node.kind() == SyntaxKind::PATH_EXPR
        && syntax::compact_text(node).contains("::")
        && syntax::argument_of_method(node).is_some_and(|m| syntax::calls_argument_at_once(&m))
}

/// A path callee without generic arguments: `Vec::<u8>::new` → `Vec::new`.
fn callee_path(expr: &ast::Expr) -> String {
    let text = syntax::compact_text(expr.syntax());
    let mut out = String::with_capacity(text.len());
    let mut depth = 0usize;
    for c in text.chars() {
        match c {
            '<' => depth += 1,
            '>' => depth = depth.saturating_sub(1),
            _ if depth == 0 => out.push(c),
            _ => {}
        }
    }
    out.replace("::::", "::").trim_end_matches("::").to_string()
}

#[cfg(test)]
mod tests {
    use super::*;
    use ra_ap_syntax::{Edition, SourceFile};

    // The live-region walk behind `calls_within` (and a guard's drops and awaits).

    #[test]
    fn descendants_meeting_a_range_are_the_descendants_that_meet_it() {
        let file = SourceFile::parse(
            "fn f() { let g = m.lock(); a(b(c)).await; drop(g); }\nfn h() { x(); }",
            Edition::Edition2021,
        )
        .tree();
        let root = file.syntax();
        for (start, end) in [(0, 0), (9, 26), (27, 41), (30, 31), (41, 55), (60, 67)] {
            let range = TextRange::new(TextSize::from(start), TextSize::from(end));
            let walked: Vec<SyntaxNode> = syntax::descendants_meeting(root, range).collect();
            let filtered: Vec<SyntaxNode> = root
                .descendants()
                .filter(|n| n.text_range().intersect(range).is_some())
                .collect();
            assert_eq!(walked, filtered, "{range:?}");
        }
    }
}
