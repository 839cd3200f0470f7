//! Relock split (seed 003, Pattern 2 "Multiple Lock Scopes"): a guard held across blocking work
//! and used again after it is split into two lock scopes around the work.
//!
//! ```text
//! let mut storage = state.storage.lock().unwrap();        {
//! if storage.users.contains_key(&name) {                      let storage = state.storage.lock().unwrap();
//!     return Err(Taken);                                      if storage.users.contains_key(&name) {
//! }                                                   =>          return Err(Taken);
//! let hash = bcrypt::hash(&pw, COST)?;                        }
//! let id = storage.users.len() + 1;                       }
//! storage.users.insert(name, User { id, hash });          let hash = bcrypt::hash(&pw, COST)?;
//! tokio::spawn(welcome(id));                              let id = {
//!                                                             let mut storage = state.storage.lock().unwrap();
//!                                                             let id = storage.users.len() + 1;
//!                                                             storage.users.insert(name, User { id, hash });
//!                                                             id
//!                                                         };
//!                                                         tokio::spawn(welcome(id));
//! ```
//!
//! The first scope keeps the statements before the work (the check, with its early `return`s);
//! the work runs with no lock held; the second scope takes the lock again with the same
//! expression, runs the statements that use the guard after the work and returns the values the
//! rest of the function needs. What follows (spawns, sends) runs after it. The scopes are built by
//! the phase split ([`super::phase_split::phase_split_around`]) with the work as a barrier.
//!
//! The fix is always unsafe: the check and the store are no longer atomic, another task can
//! change the data between the two scopes (register the same name). A change made through the
//! guard before the work (hickory-dns pruning its dead connections before the handshake) is seen
//! by other holders before the rest of the update: the title names it, since the syntax cannot
//! tell a finished change (a prune) from half of one (a counter bumped before its item is pushed).
//!
//! Invariants, each a reason for no fix rather than a wrong one:
//! - the lock expression can be evaluated again to the same lock: a path or field chain, then
//!   `.lock()`/`.read()`/`.write()` (never `try_lock`, which may fail the second time), then only
//!   `.unwrap()`/`.expect(..)`/`?`/`.await`;
//! - the statements holding the work neither use the guard nor a value borrowed from it (the work
//!   cannot run unlocked on data the lock protects);
//! - the work does not take the same lock itself (that is `read-then-write`'s self-deadlock);
//! - an awaited lock needs an async body (the second scope awaits it again).

use ra_ap_syntax::{
    AstNode, SyntaxKind, SyntaxNode, TextRange,
    ast::{self, HasArgList},
};

use super::phase_split::{READ_METHODS, phase_split_around};
use crate::analysis::{Guard, Holder, LockScopes, held, syntax};
use crate::model::{Applicability, Fix, TextEdit};

/// What every fix that takes a lock twice says in its title: the critical section is split, so
/// the swap to an async lock (which keeps it whole) stays worth reporting.
pub const NOT_ATOMIC: &str = "the check and the store are no longer atomic";

/// Whether `fix` takes the lock twice (this module's split, or a drop and relock): their titles,
/// and only theirs, are built with [`NOT_ATOMIC`].
pub fn locks_twice(fix: &Fix) -> bool {
    fix.title.contains(NOT_ATOMIC)
}

/// The rewrite and how many times the lock is taken again: 0 when nothing before the work used
/// the guard, so the lock is only taken after it.
#[derive(Debug, Clone)]
pub struct RelockSplit {
    pub edit: TextEdit,
    pub relocks: usize,
    /// The first change made through the guard before the work (`` `g.users.insert(..)` ``), as
    /// the code shows it: other holders see it before the rest of the update.
    pub written_before: Option<String>,
}

/// Split guard `index` of `scopes` around the blocking calls `work` (nodes in the guard's body).
/// `Err` says, in a sentence, why there is no rewrite.
pub fn relock_split(
    text: &str,
    file: &SyntaxNode,
    scopes: &LockScopes,
    index: usize,
    work: &[SyntaxNode],
) -> Result<RelockSplit, String> {
    let guard = &scopes.guards[index];
    relockable_let(guard)?;
    let Holder::Let {
        list, index: at, ..
    } = &guard.holder
    else {
        return Err("the guard is not bound by a `let`".to_string());
    };
    let items = syntax::block_items(list);
    let names = held::guard_data_names(file, guard, scopes.crate_index.as_deref());
    let uses = guard.uses(file);
    let mut first_work = usize::MAX;
    for node in work {
        let Some(i) = syntax::item_containing(list, node).filter(|i| i > at) else {
            return Err("the work is not a statement of the guard's block".to_string());
        };
        let range = items[i].text_range();
        if uses.iter().any(|u| range.contains_range(*u))
            || held::mentions_guard_data(file, guard, &names, range)
        {
            return Err(
                "the work uses the guard or a value borrowed from it, so it cannot run unlocked"
                    .to_string(),
            );
        }
        // The work takes the same lock again: read-then-write's self-deadlock, whose fix reads
        // through the guard; unlocked, the work would read data the store then overwrites.
        if scopes.guards.iter().any(|g| {
            g.identity == guard.identity && range.contains_range(g.call.syntax().text_range())
        }) {
            return Err(format!("the work locks `{}` again itself", guard.lock_path));
        }
        first_work = first_work.min(i);
    }
    if first_work == usize::MAX {
        return Err("no work to run unlocked".to_string());
    }
    let before = TextRange::new(
        items[*at].text_range().end(),
        items[first_work].text_range().start(),
    );
    let written_before = uses
        .iter()
        .find(|u| before.contains_range(**u) && !is_read(file, **u))
        .map(|write| shown_write(&write_context(file, *write)));
    let ranges: Vec<TextRange> = work.iter().map(|n| n.text_range()).collect();
    let split = phase_split_around(text, file, scopes, index, &ranges)?;
    // Nothing before the work needs the lock: the one scope left is taken after the work.
    let locked_before = uses.iter().any(|u| before.contains_range(*u));
    if split.deferred > 0 || (split.relocks == 0 && locked_before) {
        return Err("the guard is not used again after the work".to_string());
    }
    Ok(RelockSplit {
        edit: split.edit,
        relocks: split.relocks,
        written_before,
    })
}

/// [`relock_split`] as a fix, its title naming the work (`` `bcrypt::hash(..)` ``, "the awaited
/// work"). Always unsafe: the work no longer runs under the lock, and with two scopes the check
/// and the store are no longer atomic.
pub fn relock_split_fix(
    text: &str,
    file: &SyntaxNode,
    scopes: &LockScopes,
    index: usize,
    work: &[SyntaxNode],
    work_phrase: &str,
) -> Result<Fix, String> {
    let split = relock_split(text, file, scopes, index, work)?;
    let title = if split.relocks == 0 {
        format!(
            "Run {work_phrase} before taking the lock, then lock to store the result (the work no longer runs \
             under the lock: if the lock kept it in order with other holders' work, they may now interleave)"
        )
    } else {
        // A change made before the work is published early: another holder sees it without the
        // rest of the update (a placeholder, a counter bumped before its item is pushed).
        let early = split.written_before.map_or(String::new(), |write| {
            format!("; what `{write}` changes, other holders now see before the rest of the update")
        });
        format!(
            "Check under the lock, run {work_phrase} unlocked, then lock again to store the result \
             ({NOT_ATOMIC}: another task can change the data between the two lock scopes{early})"
        )
    };
    Ok(Fix {
        title,
        applicability: Applicability::Unsafe,
        edits: vec![split.edit],
    })
}

/// The guard's `let` and its initializer, when the lock can be taken again with that
/// initializer: what both fixes that take a lock twice need first.
pub(super) fn relockable_let(guard: &Guard) -> Result<(&ast::LetStmt, ast::Expr), String> {
    let Holder::Let { stmt, .. } = &guard.holder else {
        return Err("the guard is not bound by a `let`".to_string());
    };
    let init = stmt
        .initializer()
        .ok_or_else(|| "the guard's `let` has no initializer".to_string())?;
    re_evaluable(guard, &init)?;
    if guard.awaited && !syntax::body_is_async(&guard.body) {
        return Err("the lock is awaited outside an async body".to_string());
    }
    Ok((stmt, init))
}

/// The lock expression names the same lock when evaluated again: `a.b.c.lock()` with only
/// unwrapping after it, or a crate function that returns the guard called with plain names and
/// literals (zine's `data::get()`).
fn re_evaluable(guard: &Guard, init: &ast::Expr) -> Result<(), String> {
    let method = guard
        .method_name_ref()
        .map(|n| n.text().to_string())
        .unwrap_or_default();
    // A function or method of the crate that hands out the guard (`data::get()`,
    // `self.previews_mut()`): calling it again with the same plain arguments takes the same lock.
    let helper_args = match &guard.call {
        ast::Expr::CallExpr(call) => call.arg_list(),
        ast::Expr::MethodCallExpr(call) if crate::analysis::lock_method_mode(&method).is_none() => {
            call.arg_list()
        }
        _ => None,
    };
    if let Some(args) = &helper_args {
        let plain = args
            .args()
            .all(|a| matches!(a, ast::Expr::PathExpr(_) | ast::Expr::Literal(_)));
        if !plain {
            return Err(format!(
                "`{}` is called with computed arguments, so calling it again may reach another lock",
                syntax::compact_text(guard.call.syntax())
            ));
        }
    } else if !matches!(method.as_str(), "lock" | "read" | "write") {
        return Err(format!(
            "the lock is taken with `{method}()`, which may fail when taken again"
        ));
    }
    // From the initializer down to the acquisition, only unwrapping.
    let mut expr = init.clone();
    while expr.syntax() != guard.call.syntax() {
        expr = match &expr {
            ast::Expr::AwaitExpr(a) => a.expr(),
            ast::Expr::TryExpr(t) => t.expr(),
            ast::Expr::MethodCallExpr(m)
                if m.name_ref().is_some_and(|n| {
                    matches!(
                        n.text().to_string().as_str(),
                        "unwrap" | "expect" | "unwrap_or_else"
                    )
                }) =>
            {
                m.receiver()
            }
            _ => None,
        }
        .ok_or_else(|| {
            "the lock expression does more than take the lock, so it cannot be repeated".to_string()
        })?;
    }
    if matches!(guard.call, ast::Expr::CallExpr(_)) {
        return Ok(());
    }
    let mut receiver = guard.receiver();
    while let Some(r) = receiver {
        receiver = match r {
            ast::Expr::FieldExpr(f) => f.expr(),
            ast::Expr::PathExpr(_) => return Ok(()),
            ast::Expr::RefExpr(r) if r.mut_token().is_none() => r.expr(),
            _ => None,
        };
    }
    Err(format!(
        "`{}` is not a path or field chain, so taking it again may reach another lock",
        guard.lock_path
    ))
}

/// Whether code in `range` assigns, rebinds or mutably borrows a local name `expr` reads, so
/// that `expr` evaluated after `range` may mean something else (a lock expression taken again
/// further down).
pub(crate) fn changes_names_read_by(root: &SyntaxNode, expr: &ast::Expr, range: TextRange) -> bool {
    let names: Vec<String> = expr
        .syntax()
        .descendants()
        .filter_map(ast::PathExpr::cast)
        .map(|p| syntax::compact_text(p.syntax()))
        .filter(|n| n != "self" && !n.contains("::"))
        .collect();
    names.iter().any(|n| {
        syntax::mentions(root, range, n).iter().any(|m| {
            let node = super::release::node_at(root, *m);
            node.ancestors()
                .take_while(|a| range.contains_range(a.text_range()))
                .any(|a| {
                    ast::LetStmt::can_cast(a.kind())
                        || ast::RefExpr::cast(a.clone()).is_some_and(|r| r.mut_token().is_some())
                        || ast::BinExpr::cast(a).is_some_and(|b| {
                            matches!(b.op_kind(), Some(ast::BinaryOp::Assignment { .. }))
                        })
                })
        })
    })
}

/// A mention of the guard that only reads: a field chain ending in a read method
/// (`g.users.contains_key(k)`, `g.len()`) or a value read (`g.count + 1`), never the place of an
/// assignment, a `&mut` borrow or a method the syntax cannot tell.
fn is_read(file: &SyntaxNode, mention: TextRange) -> bool {
    let node = super::release::node_at(file, mention);
    // Inside a macro's tokens the syntax cannot tell.
    let Some(path) = node
        .ancestors()
        .find_map(ast::PathExpr::cast)
        .filter(|p| p.syntax().text_range() == mention)
    else {
        return false;
    };
    let mut expr = ast::Expr::PathExpr(path);
    loop {
        let Some(parent) = expr.syntax().parent() else {
            return false;
        };
        match ast::Expr::cast(parent.clone()) {
            Some(ast::Expr::FieldExpr(f)) => expr = ast::Expr::FieldExpr(f),
            Some(ast::Expr::MethodCallExpr(m))
                if m.receiver().is_some_and(|r| r.syntax() == expr.syntax()) =>
            {
                return m
                    .name_ref()
                    .is_some_and(|n| READ_METHODS.contains(&n.text().to_string().as_str()));
            }
            Some(ast::Expr::BinExpr(b)) => {
                return b.op_kind().is_none_or(|op| {
                    !matches!(op, ast::BinaryOp::Assignment { .. })
                        || b.lhs().is_none_or(|l| l.syntax() != expr.syntax())
                });
            }
            Some(ast::Expr::RefExpr(r)) => return r.mut_token().is_none(),
            Some(ast::Expr::IndexExpr(i))
                if i.base().is_some_and(|b| b.syntax() == expr.syntax()) =>
            {
                expr = ast::Expr::IndexExpr(i)
            }
            // `*g = ..`, `!g.flag`: what matters is what happens to the whole.
            Some(ast::Expr::PrefixExpr(p)) => expr = ast::Expr::PrefixExpr(p),
            Some(ast::Expr::MacroExpr(_)) => return false,
            Some(_) => return true,
            // A `let` initializer, an argument, a statement of its own: a value read.
            None => return parent.kind() != SyntaxKind::MACRO_CALL,
        }
    }
}

/// A change as the fix's title shows it: a method call with its arguments elided
/// (`` connections.retain(..) ``), anything else on one line.
fn shown_write(expr: &SyntaxNode) -> String {
    // `g.get_user(name)?` is shown as the call.
    let mut unwrapped = ast::Expr::cast(expr.clone());
    while let Some(ast::Expr::TryExpr(t)) = &unwrapped {
        unwrapped = t.expr();
    }
    if let Some(ast::Expr::MethodCallExpr(call)) = unwrapped
        && let (Some(receiver), Some(name)) = (call.receiver(), call.name_ref())
    {
        let args = if call
            .arg_list()
            .is_some_and(|list| list.args().next().is_none())
        {
            "()"
        } else {
            "(..)"
        };
        return format!("{}.{name}{args}", syntax::compact_text(receiver.syntax()));
    }
    let text = expr.text().to_string();
    text.split_whitespace().collect::<Vec<_>>().join(" ")
}

/// The expression around a mention, for the fix's title.
fn write_context(file: &SyntaxNode, mention: TextRange) -> SyntaxNode {
    let node = super::release::node_at(file, mention);
    node.ancestors()
        .skip_while(|n| !ast::Expr::can_cast(n.kind()))
        .take_while(|n| ast::Expr::can_cast(n.kind()))
        .last()
        .unwrap_or(node)
}

#[cfg(test)]
mod tests {
    use crate::model::RuleId;
    use crate::test_support::{findings, fixed};

    const RULE: RuleId = RuleId::GuardAcrossBlocking;

    fn wrap(body: &str) -> String {
        format!(
            "use std::collections::HashMap;\nuse std::sync::Mutex;\n\
             pub struct Store {{ pub users: HashMap<String, String> }}\n\
             pub struct App {{ pub store: Mutex<Store> }}\n\
             pub async fn register(app: &App, name: String, pw: String) -> Result<usize, String> {{\n{body}}}\n"
        )
    }

    #[test]
    fn check_then_store_takes_the_lock_twice() {
        let before = wrap(
            "    let mut store = app.store.lock().unwrap();\n\
             \x20   if store.users.contains_key(&name) {\n\
             \x20       return Err(\"taken\".to_string());\n\
             \x20   }\n\
             \x20   let hash = bcrypt::hash(&pw, 10).map_err(|e| e.to_string())?;\n\
             \x20   let id = store.users.len() + 1;\n\
             \x20   store.users.insert(name, hash);\n\
             \x20   Ok(id)\n",
        );
        let after = wrap(
            "    {\n\
             \x20       let store = app.store.lock().unwrap();\n\
             \x20       if store.users.contains_key(&name) {\n\
             \x20           return Err(\"taken\".to_string());\n\
             \x20       }\n\
             \x20   }\n\
             \x20   let hash = bcrypt::hash(&pw, 10).map_err(|e| e.to_string())?;\n\
             \n\
             \x20   let id = {\n\
             \x20       let mut store = app.store.lock().unwrap();\n\
             \x20       let id = store.users.len() + 1;\n\
             \x20       store.users.insert(name, hash);\n\
             \x20       id\n\
             \x20   };\n\
             \x20   Ok(id)\n",
        );
        let found = findings(&before, RULE);
        let fix = found[0].fix.as_ref().expect("a relock split");
        assert_eq!(fix.applicability, crate::model::Applicability::Unsafe);
        assert!(fix.title.contains("no longer atomic"), "{}", fix.title);
        assert_eq!(fixed(&before, RULE), after);
        assert!(findings(&after, RULE).is_empty());
    }

    fn assert_no_fix(body: &str) {
        let src = wrap(body);
        let found = findings(&src, RULE);
        assert_eq!(found.len(), 1, "{found:#?}");
        assert!(found[0].fix.is_none(), "{:#?}", found[0].fix);
    }

    #[test]
    fn work_on_data_borrowed_from_the_guard_stays_locked() {
        assert_no_fix(
            "    let mut store = app.store.lock().unwrap();\n\
             \x20   let old = store.users.get(&name).unwrap();\n\
             \x20   let ok = bcrypt::verify(&pw, old).unwrap_or(false);\n\
             \x20   store.users.insert(name, pw);\n\
             \x20   Ok(ok as usize)\n",
        );
    }

    #[test]
    fn a_write_before_the_work_is_named_in_the_title() {
        let src = wrap(
            "    let mut store = app.store.lock().unwrap();\n\
             \x20   store.users.insert(name.clone(), String::new());\n\
             \x20   let hash = bcrypt::hash(&pw, 10).map_err(|e| e.to_string())?;\n\
             \x20   store.users.insert(name, hash);\n\
             \x20   Ok(0)\n",
        );
        let found = findings(&src, RULE);
        let fix = found[0].fix.as_ref().expect("a relock split");
        assert_eq!(fix.applicability, crate::model::Applicability::Unsafe);
        assert!(
            fix.title
                .contains("what `store.users.insert(..)` changes, other holders now see before"),
            "{}",
            fix.title
        );
        assert!(fixed(&src, RULE).contains("let hash = bcrypt::hash"));
    }

    #[test]
    fn a_get_mut_borrow_written_after_the_work_is_not_split() {
        assert_no_fix(
            "    let mut store = app.store.lock().unwrap();\n\
             \x20   let slot = store.users.get_mut(&name).ok_or(\"none\")?;\n\
             \x20   let hash = bcrypt::hash(&pw, 10).map_err(|e| e.to_string())?;\n\
             \x20   *slot = hash;\n\
             \x20   Ok(0)\n",
        );
    }

    #[test]
    fn try_lock_is_not_taken_again() {
        assert_no_fix(
            "    let mut store = app.store.try_lock().unwrap();\n\
             \x20   if store.users.contains_key(&name) {\n\
             \x20       return Err(\"taken\".to_string());\n\
             \x20   }\n\
             \x20   let hash = bcrypt::hash(&pw, 10).map_err(|e| e.to_string())?;\n\
             \x20   store.users.insert(name, hash);\n\
             \x20   Ok(0)\n",
        );
    }

    #[test]
    fn a_lock_reached_through_a_call_is_not_taken_again() {
        let src = "use std::sync::Mutex;\n\
                   pub struct App { pub stores: Vec<Mutex<Vec<String>>> }\n\
                   pub fn pick(app: &App) -> &Mutex<Vec<String>> { &app.stores[0] }\n\
                   pub async fn add(app: &App, pw: String) -> usize {\n\
                   \x20   let mut store = pick(app).lock().unwrap();\n\
                   \x20   let n = store.len();\n\
                   \x20   let hash = bcrypt::hash(&pw, 10).unwrap();\n\
                   \x20   store.push(hash);\n\
                   \x20   n\n\
                   }\n";
        let found = findings(src, RULE);
        assert_eq!(found.len(), 1, "{found:#?}");
        assert!(found[0].fix.is_none());
    }

    #[test]
    fn a_guard_used_by_the_loop_around_the_work_is_not_split() {
        assert_no_fix(
            "    let mut store = app.store.lock().unwrap();\n\
             \x20   let n = store.users.len();\n\
             \x20   for _ in 0..n {\n\
             \x20       let hash = bcrypt::hash(&pw, 10).map_err(|e| e.to_string())?;\n\
             \x20       store.users.insert(name.clone(), hash);\n\
             \x20   }\n\
             \x20   Ok(n)\n",
        );
    }
}
