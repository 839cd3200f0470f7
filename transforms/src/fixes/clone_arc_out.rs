//! A guard alive while the thread blocks for an owned guard of another lock (parking_lot's
//! `read_arc()`, typically of a per-key lock kept in the map the first guard protects): the
//! second lock's `Arc` is cloned out under the first guard, the first guard is dropped, and only
//! then is the owned guard taken (gitbutler's `shared_repo_access`, whose maintainers cloned the
//! per-repository `Arc<RwLock>` out of the global map before blocking on it).
//!
//! ```text
//! let mut locks = LOCKS.lock();                   let mut locks = LOCKS.lock();
//! Access(locks.entry(key).or_default()      =>    let lock = locks.entry(key).or_default().clone();
//!     .read_arc())                                drop(locks);
//!                                                 Access(lock.read_arc())
//! ```
//!
//! `read_arc()` takes `self: &Arc<RwLock<_>>`, so its receiver is an `Arc` (or a reference to
//! one), and `.clone()` of it is an owned `Arc` whatever the reference: the new binding never
//! borrows from the guard. Only where the first guard is a `let` of the same block, not mentioned
//! again from the statement that blocks on, and nothing in that statement runs before the
//! receiver (hoisting it must not reorder effects).

use ra_ap_syntax::{AstNode, SyntaxKind, SyntaxNode, ast};

use crate::analysis::{Guard, Holder, held, syntax};
use crate::model::{Applicability, Fix, TextEdit};

/// The fix for `held` alive while `owned` (an `*_arc()` acquisition) blocks, or `None` when the
/// rewrite is not certain to compile and keep the order of effects.
pub fn clone_arc_out(text: &str, held: &Guard, owned: &Guard) -> Option<Fix> {
    let Holder::Let { list, index, .. } = &held.holder else {
        return None;
    };
    let held_name = held.name()?;
    let ast::Expr::MethodCallExpr(call) = &owned.call else {
        return None;
    };
    let receiver = call.receiver()?;
    let items = syntax::block_items(list);
    let at = syntax::item_containing(list, call.syntax())?;
    if at <= *index || syntax::repeats_between(call.syntax(), list.syntax()) {
        return None;
    }
    let statement = &items[at];
    // The guard is not needed from the blocking statement on: outside the receiver there, and
    // after it.
    let root = list.syntax();
    let after = ra_ap_syntax::TextRange::new(
        statement.text_range().start(),
        list.syntax().text_range().end(),
    );
    let receiver_range = receiver.syntax().text_range();
    // Nor is anything that borrows from it (`let entry = map.entry(k).or_default();` read again
    // later would outlive the dropped guard).
    let file = root.ancestors().last().unwrap_or_else(|| root.clone());
    let borrowed = held::guard_data_names(&file, held, None);
    if borrowed
        .iter()
        .flat_map(|name| syntax::mentions(root, after, name))
        .any(|m| !receiver_range.contains_range(m))
    {
        return None;
    }
    if runs_before(statement, receiver.syntax()) {
        return None;
    }
    // A receiver that is a local binding used nowhere else from here is shadowed by its own clone
    // (`let lock = lock.clone();`); anything else gets a binding of its own.
    let local = match &receiver {
        ast::Expr::PathExpr(path) => path
            .path()
            .filter(|p| p.qualifier().is_none())
            .and_then(|p| p.segment()?.name_ref())
            .map(|n| n.text().to_string())
            .filter(|n| syntax::mentions(root, after, n).len() == 1),
        _ => None,
    };
    let name = local
        .clone()
        .unwrap_or_else(|| syntax::fresh_name("lock", &syntax::identifiers(root)));
    let start = usize::from(statement.text_range().start());
    let indent = syntax::line_indent(text, start);
    let eol = syntax::eol(text);
    let receiver_text = receiver.syntax().text().to_string();
    let method = call.name_ref()?.text().to_string();
    Some(Fix {
        title: format!(
            "Clone the lock's `Arc` out under `{held_name}`, release `{held_name}`, then call `{method}()` \
             (another thread may remove that lock from what `{held_name}` guards in between)"
        ),
        applicability: Applicability::Unsafe,
        edits: std::iter::once(TextEdit {
            range: start..start,
            replacement: format!(
                "let {name} = {receiver_text}.clone();{eol}{indent}drop({held_name});{eol}{indent}"
            ),
        })
        .chain(local.is_none().then(|| TextEdit {
            range: usize::from(receiver_range.start())..usize::from(receiver_range.end()),
            replacement: name.clone(),
        }))
        .collect(),
    })
}

/// Whether something in `statement` that runs before `receiver` could have an effect: a call, a
/// macro, an await or an assignment that ends before the receiver starts.
fn runs_before(statement: &SyntaxNode, receiver: &SyntaxNode) -> bool {
    let start = receiver.text_range().start();
    statement.descendants().any(|node| {
        node.text_range().end() <= start
            && matches!(
                node.kind(),
                SyntaxKind::CALL_EXPR
                    | SyntaxKind::METHOD_CALL_EXPR
                    | SyntaxKind::MACRO_CALL
                    | SyntaxKind::AWAIT_EXPR
                    | SyntaxKind::BIN_EXPR
            )
    })
}
