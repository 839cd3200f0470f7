//! Release a guard before something that must not run under it — an `.await`, a bcrypt call, a
//! second lock of the same lock, a spawn — choosing the rewrite by where the guard lives:
//!
//! - a `let` binding whose last use comes before the event: [`scoped_block`];
//! - an `if let Ok(g) = m.lock()` binding: [`if_let_split`];
//! - a temporary: [`hoist`] the value computed from it into its own `let`.
//!
//! Every transform that reports "X while the guard is alive" calls [`release_before`] and adds
//! rewrites of its own only for what is specific to its event (clone-out for awaits).

use ra_ap_syntax::{AstNode, NodeOrToken, SyntaxKind, SyntaxNode, TextRange, ast, ast::HasArgList};

use super::clone_evidence::{NOT_PROVEN_CLONE, guarded_value_is_clone};
use super::exports::CopiedOut;
use super::hoist::{hoist, hoist_with};
use super::if_let_split::if_let_split;
use super::ownership::{Ownership, OwningCopy, temporary_ownership};
use super::scoped_block::scoped_block;
use crate::analysis::{Guard, Holder, syntax};
use crate::model::{Applicability, Fix};

/// Why the guard cannot simply be released before the event.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Blocked {
    /// The guard is used in the event's own statement or after it: the critical section spans
    /// the event. `last_use` is the guard's last use.
    UsedAtOrAfter {
        last_use: TextRange,
        event_item: Option<usize>,
    },
    /// The guard is bound but never used.
    Unused,
    /// No rewrite for this shape; the sentence says what to do by hand.
    Other(String),
}

/// Rewrite so that `guard` is released before `event` runs. `event_phrase` finishes the fix's
/// title: "…released before `event_phrase`" (e.g. "the `.await`", "the `bcrypt::verify` call").
pub fn release_before(
    text: &str,
    file: &SyntaxNode,
    guard: &Guard,
    event: &SyntaxNode,
    event_phrase: &str,
) -> Result<Fix, Blocked> {
    let uses = guard.uses(file);
    match &guard.holder {
        Holder::Let { list, index, .. } => {
            let (mut last, event_item) = split_point(file, list, &uses, event)?;
            let name = guard.name().unwrap_or_default();
            let mut block =
                scoped_block(text, file, list, *index, last, &name, &[]).ok_or_else(no_rewrite)?;
            // A value made from the guard that the code after the guard's last use still reads
            // (probe-rs: `core` of `lock.core(0)?`, read into a buffer on the next line) keeps
            // the scope open until its own last use, as long as that still ends before the event.
            while !block.possibly_borrowed.is_empty() {
                let items = syntax::block_items(list);
                let Some(grown) = (last + 1..event_item).rev().find(|&i| {
                    block
                        .possibly_borrowed
                        .iter()
                        .any(|n| !syntax::mentions(file, items[i].text_range(), n).is_empty())
                }) else {
                    break;
                };
                last = grown;
                block = scoped_block(text, file, list, *index, last, &name, &[])
                    .ok_or_else(no_rewrite)?;
            }
            owned_or_refuse(&block.possibly_borrowed).map_err(Blocked::Other)?;
            copies_are_clone(file, guard, &block.copied).map_err(Blocked::Other)?;
            Ok(Fix {
                title: title_with_caveat(
                    &format!("Scope the guard in a block that ends before {event_phrase}"),
                    &block.copied,
                ),
                applicability: applicability(&block.copied),
                edits: vec![block.edit],
            })
        }
        Holder::IfLet {
            if_expr,
            then_branch,
            ..
        } => {
            let list = then_branch.stmt_list().ok_or_else(no_rewrite)?;
            let (last, _) = split_point(file, &list, &uses, event)?;
            let name = guard.name().unwrap_or_default();
            let split = if_let_split(text, file, if_expr, last, &name).ok_or_else(no_rewrite)?;
            owned_or_refuse(&split.possibly_borrowed).map_err(Blocked::Other)?;
            copies_are_clone(file, guard, &split.copied).map_err(Blocked::Other)?;
            Ok(Fix {
                title: title_with_caveat(
                    &format!("Run the locked part in its own `if let`, before {event_phrase}"),
                    &split.copied,
                ),
                applicability: applicability(&split.copied),
                edits: split.edits,
            })
        }
        Holder::Temporary => hoist_temporary(text, file, guard, event, event_phrase),
        Holder::Discarded => Err(no_rewrite()),
    }
}

/// The last block item that uses the guard, and the item holding the event; the first must come
/// before the second.
fn split_point(
    file: &SyntaxNode,
    list: &ast::StmtList,
    uses: &[TextRange],
    event: &SyntaxNode,
) -> Result<(usize, usize), Blocked> {
    let last_use = *uses.last().ok_or(Blocked::Unused)?;
    let event_item = syntax::item_containing(list, event);
    let last = syntax::item_containing(list, &node_at(file, last_use)).ok_or_else(no_rewrite)?;
    match event_item {
        Some(event_item) if last < event_item => Ok((last, event_item)),
        _ => Err(Blocked::UsedAtOrAfter {
            last_use,
            event_item,
        }),
    }
}

/// A temporary guard: compute the value taken from it in its own statement.
fn hoist_temporary(
    text: &str,
    file: &SyntaxNode,
    guard: &Guard,
    event: &SyntaxNode,
    event_phrase: &str,
) -> Result<Fix, Blocked> {
    let mut value = guard.guard_expr.clone();
    while let Some(parent) = value.syntax().parent().and_then(ast::Expr::cast) {
        // The chain goes on into the event itself (`g.handle.take().map(JoinHandle::join)`): the
        // value to bind is what the event is applied to.
        let event_range = event.text_range();
        if parent.syntax().text_range().contains_range(event_range)
            && !value.syntax().text_range().contains_range(event_range)
        {
            break;
        }
        let continues = match &parent {
            ast::Expr::MethodCallExpr(m) => {
                m.receiver().is_some_and(|r| r.syntax() == value.syntax())
            }
            ast::Expr::FieldExpr(_)
            | ast::Expr::IndexExpr(_)
            | ast::Expr::TryExpr(_)
            | ast::Expr::ParenExpr(_) => true,
            ast::Expr::PrefixExpr(p) => p.op_kind() == Some(ast::UnaryOp::Deref),
            _ => false,
        };
        if !continues {
            break;
        }
        value = parent;
    }
    if value
        .syntax()
        .parent()
        .is_some_and(|p| p.kind() == SyntaxKind::AWAIT_EXPR)
    {
        // `m.lock().await.send(x).await`: the awaited future works on the guard itself.
        return Err(Blocked::UsedAtOrAfter {
            last_use: value.syntax().text_range(),
            event_item: None,
        });
    }
    let in_while_let = value
        .syntax()
        .ancestors()
        .take_while(|a| a.kind() != SyntaxKind::STMT_LIST)
        .any(|a| {
            ast::WhileExpr::cast(a)
                .and_then(|w| w.condition())
                .is_some_and(|c| {
                    c.syntax()
                        .text_range()
                        .contains_range(value.syntax().text_range())
                })
        });
    if in_while_let {
        return Err(Blocked::Other(
            "the guard is created anew in every iteration of the `while let`; rewrite it as `loop` with \
             `let Some(x) = …; else { break }` so the value is bound first"
                .to_string(),
        ));
    }
    if value.syntax() == guard.guard_expr.syntax() {
        // `m.lock().unwrap().retain_mut(|ack| { (ack.callback)(..); .. })`: the event runs in a
        // closure handed the guarded data.
        let closure_method = value
            .syntax()
            .parent()
            .and_then(ast::MethodCallExpr::cast)
            .filter(|m| {
                m.arg_list()
                    .is_some_and(|a| a.syntax().text_range().contains_range(event.text_range()))
            })
            .and_then(|m| m.name_ref());
        if let Some(method) = closure_method {
            return Err(Blocked::Other(format!(
                "{event_phrase} runs inside `.{method}(..)` on the guarded data; take what it needs out \
                 under the lock (remove the matching entries), release the guard, then run it"
            )));
        }
        return Err(Blocked::Other(format!(
            "the guard itself is matched and used across {event_phrase}; move that part after the `match`"
        )));
    }
    // `f(&m.lock().unwrap().name)`: the place is borrowed, not moved; binding it by value would move
    // it out of the guard (which does not compile unless it is `Copy`), so bind a copy.
    let borrowed_place = value
        .syntax()
        .parent()
        .is_some_and(|p| p.kind() == SyntaxKind::REF_EXPR)
        && match &value {
            ast::Expr::FieldExpr(_) | ast::Expr::IndexExpr(_) => true,
            ast::Expr::PrefixExpr(p) => p.op_kind() == Some(ast::UnaryOp::Deref),
            _ => false,
        };
    if !borrowed_place
        && temporary_ownership(&value, guard.guard_expr.syntax().text_range(), file)
            != Ownership::Owned
    {
        return Err(Blocked::Other(format!(
            "`{}` may borrow from the guard; bind an owned copy (`.clone()`, `.cloned()`) in a `let` before \
             {event_phrase}",
            value.syntax().text()
        )));
    }
    let item = value
        .syntax()
        .ancestors()
        .find(|n| {
            n.parent()
                .is_some_and(|p| p.kind() == SyntaxKind::STMT_LIST)
        })
        .ok_or_else(no_rewrite)?;
    if syntax::enclosing_body(&item).as_ref() != Some(&guard.body) {
        return Err(no_rewrite());
    }
    if borrowed_place {
        let hoisted = hoist_with(text, &item, &value, &guard.body, ".clone()");
        return Ok(Fix {
            title: format!(
                "Copy `{}` in its own statement so the guard is released before {event_phrase} (the type must be \
                 `Clone`)",
                hoisted.name
            ),
            applicability: Applicability::Unsafe,
            edits: vec![hoisted.edit],
        });
    }
    let needs_copy = place_not_moved(&value);
    // `if let Some(ref cb) = *m.read()`: the whole guarded value is matched in place; bound by a
    // `let` it must be copied, which compiles only when it is `Clone` (VelesDB's
    // `Option<Arc<dyn Fn>>` is not `Copy`: E0507). Cloned where the lock's declaration shows it
    // is `Clone`, else no fix.
    if needs_copy
        && matches!(value, ast::Expr::PrefixExpr(_))
        && !super::clone_evidence::guarded_value_is_copy(file, &guard.lock_name)
    {
        if !super::clone_evidence::guarded_value_is_clone(file, &guard.lock_name) {
            return Err(Blocked::Other(format!(
                "binding `{}` would copy the guarded value, which this file does not show to be `Clone`; take \
                 what {event_phrase} needs out of the guard first",
                value.syntax().text()
            )));
        }
        let hoisted = hoist_with(text, &item, &value, &guard.body, ".clone()");
        return Ok(Fix {
            title: format!(
                "Copy `{}` in its own statement so the guard is released before {event_phrase} (the copy can be stale)",
                hoisted.name
            ),
            applicability: Applicability::Unsafe,
            edits: vec![hoisted.edit],
        });
    }
    let hoisted = hoist(text, &item, &value, &guard.body);
    let title = format!(
        "Compute `{}` in its own statement so the guard is released before {event_phrase}",
        hoisted.name
    );
    Ok(Fix {
        title: if needs_copy {
            format!(
                "{title} (this copies the value out of the guard: it compiles only if the value is `Copy`)"
            )
        } else {
            title
        },
        applicability: if hoisted.reorders || needs_copy {
            Applicability::Unsafe
        } else {
            Applicability::Safe
        },
        edits: vec![hoisted.edit],
    })
}

/// A place through the guard (`*g`, `g.field`, `g[i]`) used where it is not moved: as a `match` or
/// `if let` scrutinee, behind `&`, or compared. Its type need not be `Copy` there, but a `let` that
/// holds it must copy (or move) it out of the guard.
fn place_not_moved(value: &ast::Expr) -> bool {
    let is_place = match value {
        ast::Expr::FieldExpr(_) | ast::Expr::IndexExpr(_) => true,
        ast::Expr::PrefixExpr(p) => p.op_kind() == Some(ast::UnaryOp::Deref),
        _ => false,
    };
    let mut node = value.syntax().clone();
    while let Some(parent) = node.parent().filter(|p| p.kind() == SyntaxKind::PAREN_EXPR) {
        node = parent;
    }
    let in_place_context = node.parent().is_some_and(|p| match p.kind() {
        SyntaxKind::MATCH_EXPR | SyntaxKind::LET_EXPR | SyntaxKind::REF_EXPR => true,
        SyntaxKind::BIN_EXPR => ast::BinExpr::cast(p)
            .and_then(|b| b.op_kind())
            .is_some_and(|op| matches!(op, ast::BinaryOp::CmpOp(_))),
        _ => false,
    });
    is_place && in_place_context
}

/// Safe unless a value leaving the lock scope is a copy of data borrowed from the guard (the copy
/// can be stale, and it compiles only if the type is `Clone`).
pub fn applicability(copied: &[CopiedOut]) -> Applicability {
    if copied.is_empty() {
        Applicability::Safe
    } else {
        Applicability::Unsafe
    }
}

/// The title, saying which values leave the lock scope as copies and how.
pub fn title_with_caveat(title: &str, copied: &[CopiedOut]) -> String {
    if copied.is_empty() {
        return title.to_string();
    }
    let names: Vec<String> = copied
        .iter()
        .map(|c| format!("`{}` with {}", c.name, c.copy.method()))
        .collect();
    format!(
        "{title}, copying {} out of the guard (the type must be `Clone`; the copy can be stale)",
        names.join(", ")
    )
}

/// A binding copied out of the guard with `.clone()` (or `.cloned()`) compiles only when what it
/// borrows is `Clone`: on a `&T` whose `T` is not, `.clone()` copies the reference, which cannot
/// leave the scope (E0597). The syntax tier accepts the copy when the guarded value is `Clone` by
/// its declaration in the file (a container of `Clone` values, a type deriving `Clone`), which
/// its elements and fields then are too. `.to_owned()` of text and paths needs no proof.
fn copies_are_clone(file: &SyntaxNode, guard: &Guard, copied: &[CopiedOut]) -> Result<(), String> {
    let cloned: Vec<String> = copied
        .iter()
        .filter(|c| matches!(c.copy, OwningCopy::Clone | OwningCopy::Cloned))
        .map(|c| format!("`{}`", c.name))
        .collect();
    if cloned.is_empty() || guarded_value_is_clone(file, &guard.lock_name) {
        return Ok(());
    }
    Err(format!(
        "{NOT_PROVEN_CLONE}: {} borrows from the guard and is used after the lock scope would end, but this \
         file does not show that `{}` holds a `Clone` value; copy it out by hand (`.clone()`) if it is",
        cloned.join(", "),
        guard.lock_name
    ))
}

/// A value that may borrow from the guard cannot leave the guard's scope (E0597): no fix, and the
/// reason says which value and what to do.
pub fn owned_or_refuse(possibly_borrowed: &[String]) -> Result<(), String> {
    if possibly_borrowed.is_empty() {
        return Ok(());
    }
    let names: Vec<String> = possibly_borrowed.iter().map(|n| format!("`{n}`")).collect();
    Err(format!(
        "{} may borrow from the guard and is used after the lock scope would end, and its type is not \
         known from this file; make it owned (`.clone()`, `.to_owned()`) and the guard can be scoped",
        names.join(", ")
    ))
}

/// The smallest node covering `range`.
pub fn node_at(file: &SyntaxNode, range: TextRange) -> SyntaxNode {
    match file.covering_element(range) {
        NodeOrToken::Node(n) => n,
        NodeOrToken::Token(t) => t.parent().unwrap_or_else(|| file.clone()),
    }
}

fn no_rewrite() -> Blocked {
    Blocked::Other(
        "release the guard earlier by hand (no automatic rewrite for this shape)".to_string(),
    )
}
