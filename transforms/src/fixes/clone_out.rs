//! Clone-out (seed 000): the statement that must not run under the lock still reads the guard in
//! the arguments of its call — `write_to_disk(cache.get_data()).await`,
//! `bcrypt::verify(pw, &users.hash)`, `tokio::spawn(report(state.count))`. The values it reads are
//! computed (owned values) or copied (borrowed data) at the end of the guard's scope, and the call
//! uses them after it:
//!
//! ```text
//! let state = m.lock().unwrap();           let count = {
//! state.bump();                      =>        let state = m.lock().unwrap();
//! tokio::spawn(report(state.count));           state.bump();
//!                                              state.count
//!                                          };
//!                                          tokio::spawn(report(count));
//! ```
//!
//! It takes any event node (an awaited call, a blocking call, a spawn), so every rule with a
//! "release before X" finding uses it.

use ra_ap_syntax::{AstNode, SyntaxKind, SyntaxNode, TextRange, ast};

use super::exports::CopiedOut;
use super::hoist::runs_before;
use super::naming::suggest_name;
use super::ownership::{Ownership, OwningCopy, ownership, owning_copy};
use super::release::node_at;
use super::scoped_block::{ExtraValue, scoped_block};
use crate::analysis::{Guard, Holder, syntax};
use crate::model::TextEdit;

#[derive(Debug, Clone)]
pub struct CloneOut {
    pub edits: Vec<TextEdit>,
    /// Data borrowed from the guard is copied: the copy can be stale, and the type must be `Clone`.
    pub copies_data: bool,
    /// Something in the statement that ran before an extracted value now runs after it.
    pub reorders: bool,
    /// Exported bindings of the scoped block that borrow from the guard and leave it as copies.
    pub copied: Vec<CopiedOut>,
}

/// Why clone-out does not apply.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum NoCloneOut {
    /// The guard is used after the event's statement, or in it outside the event's arguments (as
    /// the receiver, in a condition, in a branch): the critical section spans the event.
    Spans,
    /// An argument reads through the guard and the syntax does not say how to copy it.
    UnknownType(String),
    /// No rewrite for this shape.
    Shape,
}

/// Rewrite so that the guard (a `let` binding) is released before `event` runs, moving what
/// `event`'s arguments read from the guard into the end of a scoped block.
pub fn clone_out(
    text: &str,
    file: &SyntaxNode,
    guard: &Guard,
    event: &SyntaxNode,
) -> Result<CloneOut, NoCloneOut> {
    let Holder::Let { list, index, .. } = &guard.holder else {
        return Err(NoCloneOut::Shape);
    };
    let name = guard.name().unwrap_or_default();
    let event_item = syntax::item_containing(list, event).ok_or(NoCloneOut::Shape)?;
    if event_item <= *index {
        return Err(NoCloneOut::Shape);
    }
    let items = syntax::block_items(list);
    let statement = &items[event_item];
    let event_range = event.text_range();
    let mut arguments: Vec<ast::Expr> = Vec::new();
    for use_range in guard.uses(file) {
        if use_range.start() >= statement.text_range().end() {
            return Err(NoCloneOut::Spans);
        }
        if !statement.text_range().contains_range(use_range) {
            continue;
        }
        let argument =
            argument_containing(file, use_range, event_range).ok_or(NoCloneOut::Spans)?;
        if !arguments.iter().any(|a| a.syntax() == argument.syntax()) {
            arguments.push(argument);
        }
    }
    if arguments.is_empty() {
        return Err(NoCloneOut::Shape);
    }
    let mut taken = syntax::identifiers(&guard.body);
    let mut extras = Vec::new();
    let mut replacements = Vec::new();
    let mut copies_data = false;
    let mut reorders = false;
    for argument in &arguments {
        let (value, by_ref) =
            if ownership(argument, std::slice::from_ref(&name), file) == Ownership::Owned {
                // `report(state.count)`: the value is already owned; compute it in the scope.
                (argument.syntax().text().to_string(), false)
            } else {
                copies_data = true;
                owned_copy(file, argument, &name).map_err(NoCloneOut::UnknownType)?
            };
        reorders |= runs_before(statement, argument);
        let value_name = syntax::fresh_name(&suggest_name(argument), &taken);
        taken.insert(value_name.clone());
        replacements.push(TextEdit {
            range: syntax::to_range(argument.syntax().text_range()),
            replacement: if by_ref {
                format!("&{value_name}")
            } else {
                value_name.clone()
            },
        });
        extras.push(ExtraValue {
            name: value_name,
            expr: value,
        });
    }
    let block = scoped_block(text, file, list, *index, event_item - 1, &name, &extras)
        .ok_or(NoCloneOut::Shape)?;
    super::release::owned_or_refuse(&block.possibly_borrowed).map_err(NoCloneOut::UnknownType)?;
    let mut edits = vec![block.edit];
    edits.extend(replacements);
    Ok(CloneOut {
        edits,
        copies_data,
        reorders,
        copied: block.copied,
    })
}

/// The innermost call argument inside `within` that contains the mention at `range`.
fn argument_containing(
    file: &SyntaxNode,
    range: TextRange,
    within: TextRange,
) -> Option<ast::Expr> {
    node_at(file, range)
        .ancestors()
        .take_while(|n| within.contains_range(n.text_range()))
        .find(|n| n.parent().is_some_and(|p| p.kind() == SyntaxKind::ARG_LIST))
        .and_then(ast::Expr::cast)
}

/// An owned copy of an argument that reads through the guard, and whether the call site must now
/// borrow it. Only shapes whose types the syntax settles: `&g.field` (clone), a by-value field,
/// or a method of the same file whose return type is a plain reference or plainly owned.
pub fn owned_copy(
    file: &SyntaxNode,
    argument: &ast::Expr,
    guard: &str,
) -> Result<(String, bool), String> {
    let rooted = |e: &ast::Expr| matches!(receiver_root(e), ast::Expr::PathExpr(p) if p.syntax().text() == guard);
    let unknown = || {
        format!(
            "`{}` reads through the guard and its type is not known from this file",
            argument.syntax().text()
        )
    };
    match argument {
        ast::Expr::RefExpr(r) => {
            let place = r.expr().ok_or_else(unknown)?;
            if !rooted(&place)
                || matches!(place, ast::Expr::MethodCallExpr(_) | ast::Expr::CallExpr(_))
            {
                return Err(unknown());
            }
            // `&g` and `&*g` borrow the whole guarded value: clone the value, not the guard.
            let place_text = match &place {
                ast::Expr::PathExpr(_) => format!("(*{})", place.syntax().text()),
                ast::Expr::PrefixExpr(_) => format!("({})", place.syntax().text()),
                _ => place.syntax().text().to_string(),
            };
            Ok((format!("{place_text}.clone()"), true))
        }
        ast::Expr::FieldExpr(_) if rooted(argument) => {
            Ok((argument.syntax().text().to_string(), false))
        }
        ast::Expr::MethodCallExpr(call) if rooted(argument) => {
            let method = call
                .name_ref()
                .map(|n| n.text().to_string())
                .unwrap_or_default();
            match method_return_shape(file, &method) {
                Some(ReturnShape::Reference) => {
                    Ok((format!("{}.to_owned()", argument.syntax().text()), true))
                }
                Some(ReturnShape::Owned) => Ok((argument.syntax().text().to_string(), false)),
                None => borrowed_copy(file, argument, guard).ok_or_else(unknown),
            }
        }
        _ => borrowed_copy(file, argument, guard).ok_or_else(unknown),
    }
}

/// A reference (or an `Option` of one) into the guard, by the shapes [`owning_copy`] knows: the
/// copy, and whether the call site borrows it again. An `Option<T>` copy is handed to the call as
/// `copy.as_ref()`, which the caller writes, so it is not offered here (`None`).
fn borrowed_copy(file: &SyntaxNode, argument: &ast::Expr, guard: &str) -> Option<(String, bool)> {
    match owning_copy(argument, &[guard.to_string()], file)? {
        copy @ (OwningCopy::Clone | OwningCopy::ToOwned) => Some((copy.apply(argument), true)),
        OwningCopy::Cloned | OwningCopy::MapToOwned => None,
    }
}

/// The innermost receiver of a method-call chain: `g.a().b()` → `g`.
pub fn receiver_root(expr: &ast::Expr) -> ast::Expr {
    let mut current = expr.clone();
    while let Some(next) = syntax::receiver_step(&current).or_else(|| match &current {
        ast::Expr::CallExpr(c) => c.expr(),
        _ => None,
    }) {
        current = next;
    }
    current
}

enum ReturnShape {
    /// `-> &T`: `.to_owned()` gives a `T` (or `Vec`, `String`) the call can borrow again.
    Reference,
    Owned,
}

/// Standard-library accessors that return a plain shared reference.
const STD_REFERENCE_ACCESSORS: &[&str] =
    &["as_bytes", "as_str", "as_slice", "as_path", "as_os_str"];

fn method_return_shape(file: &SyntaxNode, method: &str) -> Option<ReturnShape> {
    use ra_ap_syntax::ast::HasName;
    if STD_REFERENCE_ACCESSORS.contains(&method) {
        return Some(ReturnShape::Reference);
    }
    let mut shapes = file
        .descendants()
        .filter_map(ast::Fn::cast)
        .filter(|f| f.name().is_some_and(|n| n.text() == method))
        .map(|f| match f.ret_type().and_then(|r| r.ty()) {
            // A future that borrows `self`.
            _ if f.async_token().is_some() => None,
            None => Some(ReturnShape::Owned),
            Some(ast::Type::RefType(r)) if r.mut_token().is_none() => Some(ReturnShape::Reference),
            Some(ty) => {
                let text = ty.syntax().text().to_string();
                let borrows = text.contains('&')
                    || text.contains('\'')
                    || text.starts_with("impl")
                    || text.contains("Guard");
                (!borrows).then_some(ReturnShape::Owned)
            }
        });
    let first = shapes.next()??;
    // Two methods with this name in one file: which one is called needs types.
    shapes.next().is_none().then_some(first)
}
