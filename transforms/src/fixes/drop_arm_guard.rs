//! A scrutinee whose value is the guard itself (`map.get(&k)`, an `Option` of a DashMap
//! reference; `m.lock()`, a `LockResult` of the guard), matched into a binding by an arm that
//! then locks the same lock again: the arm owns the guard, so it can drop it right after its last
//! use — before the second lock, and before any `.await` on the way there (dragonfly's
//! `collected_pieces.remove(&number)` under the reference the `Some(parent_ids)` arm holds, with a
//! channel send awaited in between).
//!
//! ```text
//! match pieces.get(&n) {                        match pieces.get(&n) {
//!     Some(peers) => {                              Some(peers) => {
//!         let first = peers.iter().next().cloned();     let first = peers.iter().next().cloned();
//!         tx.send(first).await;             =>          drop(peers);
//!         pieces.remove(&n);                            tx.send(first).await;
//!     }                                                 pieces.remove(&n);
//!     None => {}                                    }
//! }                                                 None => {}
//!                                               }
//! ```
//!
//! Only where it compiles for certain: the binding is the whole guard (`Some(x)`, `Ok(x)`, no
//! `ref`), nothing made from it is mentioned at or after the second lock, nothing made from it is
//! kept where a `drop` would leave it dangling, and no loop inside the arm runs the `drop` twice.

use ra_ap_syntax::{AstNode, SyntaxNode, ast};

use super::drop_at_last_use::escapes;
use super::exports::guard_derived_bindings;
use crate::analysis::relock::ScrutineeScope;
use crate::analysis::{Guard, syntax};
use crate::model::TextEdit;

/// The `drop(<binding>);` inserted after the binding's last use in the block that holds `site`
/// (at the latest, before the statement holding `site`), and the binding's name; `None` when that
/// might not compile.
pub fn drop_arm_guard(
    text: &str,
    file: &SyntaxNode,
    guard: &Guard,
    scope: &ScrutineeScope,
    site: &SyntaxNode,
) -> Option<(TextEdit, String)> {
    if scope.scrutinee.syntax() != guard.guard_expr.syntax() {
        return None;
    }
    // The arm (or `if let` branch) holding the second lock binds the whole guard (`Some(x)`);
    // a `while let` has none of those.
    let (name, body) = syntax::whole_value_arms(&guard.guard_expr)
        .into_iter()
        .find(|(_, body)| body.text_range().contains_range(site.text_range()))?;
    let tainted = guard_derived_bindings(file, std::slice::from_ref(&body), &name);
    let list = site
        .ancestors()
        .filter_map(ast::StmtList::cast)
        .find(|l| body.text_range().contains_range(l.syntax().text_range()))?;
    // A loop or closure between the arm and the second lock would run the `drop` again, or move
    // the guard into the closure.
    if syntax::repeats_between(list.syntax(), &body) {
        return None;
    }
    let items = syntax::block_items(&list);
    let relock = syntax::item_containing(&list, site)?;
    let mentions: Vec<_> = tainted
        .iter()
        .flat_map(|n| syntax::mentions(file, body.text_range(), n))
        .collect();
    let relock_start = items[relock].text_range().start();
    if mentions.iter().any(|m| m.end() > relock_start)
        || mentions.iter().any(|m| escapes(file, *m, &tainted))
    {
        return None;
    }
    // Released right after its last use in this block, so that an `.await` between there and the
    // second lock does not hold it either.
    let last_use = items[..relock].iter().rposition(|item| {
        mentions
            .iter()
            .any(|m| item.text_range().contains_range(*m))
    });
    let before = last_use.map_or(0, |i| i + 1);
    let at = usize::from(items[before].text_range().start());
    let indent = syntax::line_indent(text, at);
    Some((
        TextEdit {
            range: at..at,
            replacement: format!("drop({name});{}{indent}", syntax::eol(text)),
        },
        name,
    ))
}
