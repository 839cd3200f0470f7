//! Locks reached through what a call is handed: `write_logs(&ex, ..)` under the guard of
//! `ex.shas`, where `write_logs` calls `ex.crates()`, which hands `self` to `into_ex_crate`, which
//! locks `ex.shas` again (crater's report generator). Each file's summary lists the hand-offs its
//! guards make ([`hand_offs_under`]): a call handed the locked value or a value that owns it, as a
//! receiver or an argument. The front end follows them through the package's functions, by name
//! and up to [`MAX_HOPS`] calls deep ([`answers_in_text`], [`resolve`]), and the crate index keeps
//! the ones that end in an acquisition of the same field of what was handed.
//!
//! Functions are found by name, so a name declared more than once in the package, or one too
//! common to mean one function ([`super::crate_index::is_common_name`]), answers nothing.

use std::collections::{HashMap, HashSet};

use ra_ap_syntax::{
    AstNode, SyntaxNode,
    ast::{self, HasArgList, HasName},
};

use super::events::{self, Call};
use super::{AccessMode, Guard, syntax};

/// How many calls deep a hand-off is followed.
pub const MAX_HOPS: usize = 3;

/// Where a value reaches the called function.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Slot {
    /// As `self`: `ex.crates()`, `Self::remove(self, ..)`.
    Receiver,
    /// As the `n`-th argument, `self` not counted: `write_logs(&ex, ..)`.
    Argument(usize),
}

/// "Does function `name` lock `<what arrives in slot><rest>`?" — `("write_logs", Argument(0),
/// ".shas")`.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct HandOff {
    pub name: String,
    pub slot: Slot,
    /// The field path from the handed value to the lock (`.shas`); empty for the lock itself.
    pub rest: String,
}

/// What one declaration of a function does with a hand-off.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Answer {
    /// It locks it in its own body: the mode and the 1-based line of the acquisition.
    Locks(AccessMode, usize),
    /// It hands it on to these calls.
    HandsOn(Vec<HandOff>),
}

/// Where a hand-off ends in an acquisition: its mode and `path:line`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct HandedLock {
    pub mode: AccessMode,
    pub location: String,
}

/// The hand-offs of `call` for the lock `identity` ([`handed`]), when its callee's name can stand
/// for one function of the package.
pub fn hand_offs_of(call: &Call, identity: &str) -> Vec<HandOff> {
    let name = match call.kind {
        events::CallKind::Method => call.callee.clone(),
        events::CallKind::Path => match call.callee.rsplit("::").next() {
            Some(last) => last.to_string(),
            None => return Vec::new(),
        },
        events::CallKind::Macro => return Vec::new(),
    };
    if super::crate_index::is_common_name(&name) || super::lock_method_mode(&name).is_some() {
        return Vec::new();
    }
    handed(call, identity)
        .into_iter()
        .map(|(slot, rest)| HandOff {
            name: name.clone(),
            slot,
            rest,
        })
        .collect()
}

/// Where `call` is handed the lock `identity` or a value that owns it (`ex` for `ex.shas`): each
/// such receiver or argument, with the field path from it to the lock (empty for the lock itself).
pub fn handed(call: &Call, identity: &str) -> Vec<(Slot, String)> {
    let rest_of = |expr: &ast::Expr| -> Option<String> {
        let passed = super::lock_identity(expr, 0);
        let rest = identity.strip_prefix(passed.as_str())?;
        (!passed.is_empty() && !passed.contains('(') && (rest.is_empty() || rest.starts_with('.')))
            .then(|| rest.to_string())
    };
    let mut found = Vec::new();
    let mut add = |slot: Slot, expr: &ast::Expr| {
        if let Some(rest) = rest_of(expr) {
            found.push((slot, rest));
        }
    };
    if let Some(method) = ast::MethodCallExpr::cast(call.node.clone()) {
        if let Some(receiver) = method.receiver() {
            add(Slot::Receiver, &receiver);
        }
        for (n, arg) in method
            .arg_list()
            .into_iter()
            .flat_map(|a| a.args())
            .enumerate()
        {
            add(Slot::Argument(n), &arg);
        }
    } else if let Some(path_call) = ast::CallExpr::cast(call.node.clone()) {
        // `Self::f(self, ..)` (a method call written as a path): its first argument is `self`.
        let self_first = call.kind == events::CallKind::Method;
        for (n, arg) in path_call
            .arg_list()
            .into_iter()
            .flat_map(|a| a.args())
            .enumerate()
        {
            match (self_first, n) {
                (true, 0) => add(Slot::Receiver, &arg),
                (true, n) => add(Slot::Argument(n - 1), &arg),
                (false, n) => add(Slot::Argument(n), &arg),
            }
        }
    }
    found
}

/// The name a value handed in `slot` has inside `function`: `self`, or the parameter's name
/// (`None` for a pattern parameter or a slot the function does not have).
pub fn parameter_name(function: &ast::Fn, slot: Slot) -> Option<String> {
    let params = function.param_list()?;
    match slot {
        Slot::Receiver => params.self_param().map(|_| "self".to_string()),
        Slot::Argument(n) => match params.params().nth(n)?.pat()? {
            ast::Pat::IdentPat(ident) => Some(syntax::ident_name(&ident)),
            _ => None,
        },
    }
}

/// The hand-offs made while the file's guards are alive, other than a method called on `self`
/// itself (the crate index follows those through the methods of `self`'s type) and calls handed
/// the guard too (the callee decides when it is released: tokio's `add_permits_locked(n,
/// waiters)` drops it before locking again). Sorted, each once.
pub fn hand_offs_under(guards: &[Guard]) -> Vec<HandOff> {
    let mut found: Vec<HandOff> = guards
        .iter()
        .filter(|g| !g.kind.is_cell() && !g.identity.contains(['(', '[']))
        .flat_map(|g| {
            g.calls
                .iter()
                .filter(|call| {
                    call.receiver.as_deref() != Some("self")
                        && !super::relock::hands_over_guard(g, &call.node)
                })
                .flat_map(|call| hand_offs_of(call, &g.identity))
        })
        .collect();
    found.sort();
    found.dedup();
    found
}

/// For each synchronous function of `text` whose name some hand-off of `asked` names, what it
/// does with each such hand-off: one answer per declaration, so that a name declared twice can be
/// told apart. A file's text, parsed once here when it declares a wanted name.
pub fn answers_in_text(text: &str, asked: &[HandOff]) -> Vec<(HandOff, Answer)> {
    let wanted: HashSet<&str> = asked.iter().map(|h| h.name.as_str()).collect();
    let file = ra_ap_syntax::SourceFile::parse(text, ra_ap_syntax::Edition::CURRENT).tree();
    let mut found = Vec::new();
    for function in file.syntax().descendants().filter_map(ast::Fn::cast) {
        let Some(name) = function.name().map(|n| n.text().to_string()) else {
            continue;
        };
        if !wanted.contains(name.as_str()) {
            continue;
        }
        for hand_off in asked.iter().filter(|h| h.name == name) {
            let answer = if function.async_token().is_some() {
                // Calling it only builds a future: nothing is locked at the call.
                Answer::HandsOn(Vec::new())
            } else {
                answer(text, &function, hand_off)
            };
            found.push((hand_off.clone(), answer));
        }
    }
    found
}

/// What `function` does with `hand_off`: the identity it arrives as is the parameter (or `self`)
/// plus the hand-off's field path.
fn answer(text: &str, function: &ast::Fn, hand_off: &HandOff) -> Answer {
    let Some(param) = parameter_name(function, hand_off.slot) else {
        return Answer::HandsOn(Vec::new());
    };
    let target = format!("{param}{}", hand_off.rest);
    let Some(body) = function.body() else {
        return Answer::HandsOn(Vec::new());
    };
    let runs_here = |node: &SyntaxNode| syntax::runs_in_body(node, function.syntax());
    let acquisition = body
        .syntax()
        .descendants()
        .filter_map(ast::MethodCallExpr::cast)
        .filter(|call| runs_here(call.syntax()))
        .find_map(|call| {
            let method = call.name_ref()?.text().to_string();
            let mode = super::lock_method_mode(&method)?;
            let args = call.arg_list()?.args().count();
            let waits = !method.starts_with("try_") || super::is_timed_acquisition(&method);
            (waits
                && args == usize::from(super::is_timed_acquisition(&method))
                && super::lock_identity(&call.receiver()?, 0) == target)
                .then(|| (mode, call.syntax().text_range().start()))
        });
    if let Some((mode, offset)) = acquisition {
        let line = text[..usize::from(offset).min(text.len())]
            .matches('\n')
            .count()
            + 1;
        return Answer::Locks(mode, line);
    }
    let calls = events::calls_where(function.syntax(), |_, _| true);
    let mut onward: Vec<HandOff> = calls
        .iter()
        .filter(|call| !call.awaited)
        .flat_map(|call| hand_offs_of(call, &target))
        .collect();
    onward.sort();
    onward.dedup();
    Answer::HandsOn(onward)
}

/// The hand-offs of `asked` that end in an acquisition, from every declaration's answers (with the
/// display path of the file each came from). A name with two declarations answers nothing.
pub fn resolve(
    asked: &[HandOff],
    answers: &HashMap<HandOff, Vec<(String, Answer)>>,
) -> HashMap<HandOff, HandedLock> {
    fn follow(
        hand_off: &HandOff,
        answers: &HashMap<HandOff, Vec<(String, Answer)>>,
        depth: usize,
        visiting: &mut HashSet<HandOff>,
    ) -> Option<HandedLock> {
        if depth > MAX_HOPS || !visiting.insert(hand_off.clone()) {
            return None;
        }
        let found = match answers.get(hand_off).map(Vec::as_slice) {
            Some([(path, Answer::Locks(mode, line))]) => Some(HandedLock {
                mode: *mode,
                location: format!("{path}:{line}"),
            }),
            Some([(_, Answer::HandsOn(onward))]) => onward
                .iter()
                .find_map(|next| follow(next, answers, depth + 1, visiting)),
            _ => None,
        };
        visiting.remove(hand_off);
        found
    }
    asked
        .iter()
        .filter_map(|h| Some((h.clone(), follow(h, answers, 1, &mut HashSet::new())?)))
        .collect()
}
