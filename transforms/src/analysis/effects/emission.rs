//! Emission a call makes under a lock: an [`EMITTERS`] entry it matches (a configured one too),
//! or a callback — a closure or function value that came from elsewhere (a place, a parameter, a
//! binding from elsewhere), called directly or as a listener method (`subscriber.on_event(ev)`).
//!
//! Invariants: calling a closure written right there is just code, never a callback; a name inside
//! a closure is looked up in its enclosing bodies unless a parameter of the closure shadows it; a
//! named callback counts only when it, or where it came from, is named like a listener
//! ([`is_callback`]), while [`any_callback`] takes any shape.

use ra_ap_syntax::{
    AstNode, SyntaxKind, SyntaxNode,
    ast::{self, HasArgList, HasLoopBody},
};

use super::Awaited::Either;
use super::matching::find;
use super::{CallPattern, EMITTERS, Emission, Extra, Matched, p};
use crate::analysis::events::{Call, CallKind};
use crate::analysis::syntax;

const CALLBACK: CallPattern<Emission> = p("(callback)", Either, Emission::Callback, "a callback");

/// The emitter-list entry `call` matches, or the callback entry.
pub fn emission(call: &Call, extra: &Extra) -> Option<Matched<Emission>> {
    find(EMITTERS, call)
        .or_else(|| find(extra.emitters, call))
        .or_else(|| {
            is_callback(call).then_some(Matched {
                pattern: &CALLBACK,
                root: None,
                via: None,
            })
        })
}

/// A call of a closure that came from elsewhere, whatever it is named (`f(event)` for a parameter
/// `f: impl Fn(Event)`): for the shapes where the name does not matter.
pub fn any_callback(call: &Call) -> Option<Matched<Emission>> {
    callback_source(call).map(|_| Matched {
        pattern: &CALLBACK,
        root: None,
        via: None,
    })
}

/// Where a called closure comes from.
#[derive(Debug, Clone)]
pub enum CallbackSource {
    /// `(self.on_change)(x)`, `handlers[i](x)`: the expression holding it.
    Place(ast::Expr),
    /// A parameter of the enclosing function (`f: impl FnOnce(&mut T)`).
    Parameter,
    /// A local binding: the expression it was bound from (`for listener in &self.listeners` →
    /// `&self.listeners`, `let cb = self.cb.clone()` → `self.cb.clone()`).
    Binding(ast::Expr),
}

/// Where the called value comes from, when it is a closure or function value that came from
/// elsewhere: `(self.on_change)(x)`, `handlers[i](x)`, `callback(x)` where `callback` is a parameter
/// or a binding in scope that does not hold a closure written right there (calling your own
/// closure is just code).
pub fn callback_source(call: &Call) -> Option<CallbackSource> {
    if let Some(method) = ast::MethodCallExpr::cast(call.node.clone()) {
        return listener_method_source(call, &method);
    }
    let c = ast::CallExpr::cast(call.node.clone())?;
    match c.expr()? {
        ast::Expr::ParenExpr(inner) => {
            let inner = inner.expr()?;
            (!matches!(syntax::strip_wrappers(&inner), ast::Expr::ClosureExpr(_)))
                .then_some(CallbackSource::Place(inner))
        }
        ast::Expr::IndexExpr(index) => Some(CallbackSource::Place(ast::Expr::IndexExpr(index))),
        // `ack.callback.deref_mut()(..)`, `self.hook.as_ref()(..)`: a boxed closure in a place,
        // reached through the reference its box lends.
        ast::Expr::MethodCallExpr(lend)
            if lend.arg_list().is_some_and(|a| a.args().next().is_none())
                && lend.name_ref().is_some_and(|n| {
                    matches!(n.text(), "deref" | "deref_mut" | "as_ref" | "as_mut")
                }) =>
        {
            match lend.receiver()? {
                place @ (ast::Expr::FieldExpr(_) | ast::Expr::IndexExpr(_)) => {
                    Some(CallbackSource::Place(place))
                }
                _ => None,
            }
        }
        ast::Expr::PathExpr(path) => {
            let path = path.path()?;
            if path.qualifier().is_some() {
                return None;
            }
            let name = path.segment()?.name_ref()?.text().to_string();
            named_source(c.syntax(), &name)
        }
        _ => None,
    }
}

/// Method names a listener interface uses for "an event happened": `subscriber.on_event(ev)`,
/// `self.observer.emit(ev)`. Called synchronously, they run code the lock holder does not know.
fn is_listener_method(name: &str) -> bool {
    name.starts_with("on_") || matches!(name, "emit" | "notify" | "fire" | "trigger")
}

/// Where the listener of a listener-method call comes from: the receiver's binding
/// (`for (id, subscriber) in subs.iter()` → `subs.iter()`), a parameter, or the place itself
/// (`self.observer`). Only synchronous calls with an argument: an awaited `emit` is an
/// [`EMITTERS`] entry, and `on_close()` without an event is a lifecycle step more than a listener.
fn listener_method_source(call: &Call, method: &ast::MethodCallExpr) -> Option<CallbackSource> {
    let name = method.name_ref()?;
    if call.awaited
        || !is_listener_method(name.text())
        || method.arg_list()?.args().next().is_none()
    {
        return None;
    }
    let receiver = method.receiver()?;
    if let ast::Expr::PathExpr(path) = &receiver
        && let Some(local) = path.path().filter(|p| p.qualifier().is_none())
        && let Some(local) = local.segment().and_then(|s| s.name_ref())
        && local.text() != "self"
    {
        return named_source(method.syntax(), local.text());
    }
    matches!(receiver, ast::Expr::FieldExpr(_)).then_some(CallbackSource::Place(receiver))
}

/// Where the value named `name` at `at` comes from: a local binding, or a parameter of the
/// function. Inside a closure the name may be captured: the closure's enclosing bodies are asked
/// in turn (`move |k| f(..)` calls the `f` of the function that built the closure).
fn named_source(at: &SyntaxNode, name: &str) -> Option<CallbackSource> {
    let mut at = at.clone();
    for _ in 0..4 {
        if let Some(source) = binding_source(&at, name) {
            return source.map(CallbackSource::Binding);
        }
        if callback_parameter(&at, name).is_some() {
            return Some(CallbackSource::Parameter);
        }
        let body = syntax::enclosing_body(&at)?;
        let closure = ast::ClosureExpr::cast(body.clone())?;
        // The closure's own parameters shadow what it captures.
        let own_param = closure.param_list().is_some_and(|list| {
            list.params().any(|p| {
                matches!(p.pat(), Some(ast::Pat::IdentPat(pat)) if syntax::ident_name(&pat) == name)
            })
        });
        if own_param {
            return None;
        }
        at = body;
    }
    None
}

pub fn is_callback(call: &Call) -> bool {
    callback_source(call).is_some() && names_a_listener(call)
}

/// Words that name an event listener rather than a factory or a configured function
/// (`(self.create)()`, `(config.thread_name_fn)()` are called under locks on purpose).
const LISTENER_WORDS: &[&str] = &[
    "callback",
    "listener",
    "handler",
    "hook",
    "observer",
    "subscriber",
    "on_",
    "notify",
    "cb",
];

/// Whether the called value, or what it was taken from, is named like an event listener:
/// `(self.on_change)(..)`, `for listener in &self.listeners`, `if let Some(cb) = &self.callback`.
fn names_a_listener(call: &Call) -> bool {
    let called = if let Some(c) = ast::CallExpr::cast(call.node.clone()) {
        c.expr()
    } else {
        // A listener method (`on_event`, `emit`) names the event, not the listener: the receiver
        // must name the listener too (`subscriber.on_event(..)`, `self.observer.emit(..)`).
        ast::MethodCallExpr::cast(call.node.clone()).and_then(|m| m.receiver())
    };
    let mut texts = vec![
        called
            .map(|e| syntax::compact_text(e.syntax()))
            .unwrap_or_default(),
    ];
    if let Some(CallbackSource::Binding(source)) = callback_source(call) {
        texts.push(syntax::compact_text(source.syntax()));
    }
    texts.iter().any(|text| {
        let lower = text.to_lowercase();
        LISTENER_WORDS.iter().any(|w| {
            if call.kind == CallKind::Method && matches!(*w, "on_" | "notify") {
                // A listener method names the event; its receiver must name the listener.
                false
            } else if *w == "cb" {
                // Only as a whole word: `cb`, `self.cb`, `on_cb`, not `lcb_table`.
                lower
                    .split(|c: char| !c.is_alphanumeric())
                    .any(|part| part == "cb")
            } else {
                lower.contains(w)
            }
        })
    })
}

/// The parameter `name` of the function `at` is in, if there is one: a closure handed in.
pub fn callback_parameter(at: &SyntaxNode, name: &str) -> Option<ast::Param> {
    let body = syntax::enclosing_body(at)?;
    let function = ast::Fn::cast(body)?;
    function.param_list()?.params().find(
        |param| matches!(param.pat(), Some(ast::Pat::IdentPat(p)) if syntax::ident_name(&p) == name),
    )
}

/// For a local binding `name` in scope at `at`: `Some(Some(source))` with the expression it is
/// bound from, `Some(None)` when it holds a closure or function written right here (or its source is
/// not an expression), `None` when no local binding of that name is in scope.
fn binding_source(at: &SyntaxNode, name: &str) -> Option<Option<ast::Expr>> {
    let body = syntax::enclosing_body(at)?;
    let binding = body
        .descendants()
        .filter_map(ast::IdentPat::cast)
        .filter(|p| syntax::ident_name(p) == name)
        .filter(|p| p.syntax().text_range().end() <= at.text_range().start())
        .filter(|p| syntax::enclosing_body(p.syntax()).as_ref() == Some(&body))
        .filter(|p| {
            binding_scope(p).is_some_and(|s| s.text_range().contains_range(at.text_range()))
        })
        // `let hash = hash(key);`: a binding is not in scope in its own initializer.
        .filter(|p| {
            p.syntax()
                .ancestors()
                .find_map(ast::LetStmt::cast)
                .is_none_or(|l| !l.syntax().text_range().contains_range(at.text_range()))
        })
        .last()?;
    let source = binding.syntax().ancestors().skip(1).find_map(|a| {
        if let Some(stmt) = ast::LetStmt::cast(a.clone()) {
            return Some(stmt.initializer());
        }
        if let Some(for_expr) = ast::ForExpr::cast(a.clone()) {
            return Some(for_expr.iterable());
        }
        if let Some(let_expr) = ast::LetExpr::cast(a.clone()) {
            return Some(let_expr.expr());
        }
        if let Some(arm) = ast::MatchArm::cast(a.clone()) {
            return Some(
                arm.syntax()
                    .ancestors()
                    .find_map(ast::MatchExpr::cast)
                    .and_then(|m| m.expr()),
            );
        }
        ast::Param::can_cast(a.kind()).then_some(None)
    })?;
    let local_code = source.as_ref().is_none_or(|s| {
        matches!(
            syntax::strip_wrappers(s),
            ast::Expr::ClosureExpr(_) | ast::Expr::PathExpr(_)
        )
    });
    Some(if local_code { None } else { source })
}

/// The node in which a pattern binding is visible: the rest of the block for a `let`, the loop
/// body for `for`, the `if`/`while` for `if let`/`while let`, the arm for `match`.
fn binding_scope(binding: &ast::IdentPat) -> Option<SyntaxNode> {
    for ancestor in binding.syntax().ancestors().skip(1) {
        match ancestor.kind() {
            SyntaxKind::LET_STMT => return ancestor.parent(),
            SyntaxKind::FOR_EXPR => {
                return ast::ForExpr::cast(ancestor)?
                    .loop_body()
                    .map(|b| b.syntax().clone());
            }
            SyntaxKind::LET_EXPR => {
                return ancestor
                    .ancestors()
                    .find(|a| matches!(a.kind(), SyntaxKind::IF_EXPR | SyntaxKind::WHILE_EXPR));
            }
            SyntaxKind::MATCH_ARM | SyntaxKind::CLOSURE_EXPR => return Some(ancestor),
            SyntaxKind::PARAM => return None,
            _ => {}
        }
    }
    None
}

#[cfg(test)]
mod tests {
    use super::super::tests::classify;
    use super::*;

    fn emission_what(call: &Call) -> Option<&'static str> {
        emission(call, &Extra::default()).map(|m| m.pattern.what)
    }

    #[test]
    fn emissions_and_what_is_not_one() {
        let src = "fn f(tx: Sender, rt: Runtime) {\n\
                   tokio::spawn(fut); rt.spawn(fut); Command::new(\"x\").spawn();\n\
                   tx.send(1).await; tx.send(2); tx.try_send(3); bus.emit(e).await; bus.emit(e);\n\
                   client.post(url).send().await;\n\
                   (self.on_change)(1); (self.create)();\n\
                   for listener in &self.listeners { listener(1); }\n\
                   ack.callback.deref_mut()(2); self.make.as_ref()(); it.next().as_mut()(3);\n\
                   let double = |x| x * 2; double(1); }";
        let found: Vec<String> = classify(src, emission_what)
            .into_iter()
            .map(|(callee, _)| callee)
            .collect();
        assert_eq!(
            found,
            [
                "tokio::spawn",
                "spawn",
                "send",
                "emit",
                "(self.on_change)",
                "listener",
                "ack.callback.deref_mut()"
            ]
        );
    }

    #[test]
    fn a_binding_is_not_in_scope_in_its_own_initializer() {
        let src = "fn hash(x: u8) -> u8 { x }\nfn f(cb: u8) { let hash = hash(1); }";
        assert!(classify(src, emission_what).is_empty());
    }
}
