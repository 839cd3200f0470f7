//! The scoped-block rewrite every seed asks for: move the guard and the statements that use it
//! into a block that returns what the rest of the function needs, so the guard is dropped at the
//! block's end.
//!
//! ```text
//! let g = m.lock().unwrap();          let (a, mut b) = {
//! let a = g.len();             =>         let g = m.lock().unwrap();
//! let mut b = g.first_id();               let a = g.len();
//! work(a, b).await;                       let mut b = g.first_id();
//!                                         (a, b)
//!                                     };
//!                                     work(a, b).await;
//! ```
//!
//! Comments between the moved statements move with them; the block is indented with the unit the
//! surrounding code uses; lines inside multi-line string literals are left alone.

use ra_ap_syntax::{AstNode, SyntaxNode, ast};

use super::exports::{CopiedOut, Export, exports};
use crate::analysis::syntax;
use crate::model::TextEdit;

/// A value computed at the end of the block in addition to the exported bindings (clone-out).
#[derive(Debug, Clone)]
pub struct ExtraValue {
    pub name: String,
    pub expr: String,
}

#[derive(Debug, Clone)]
pub struct ScopedBlock {
    pub edit: TextEdit,
    /// Bindings that the block now returns.
    pub exported: Vec<String>,
    /// Exported bindings that might borrow from the guard in a way the syntax cannot copy: the
    /// rewrite would not compile, so callers offer no fix while this is not empty.
    pub possibly_borrowed: Vec<String>,
    /// Exported bindings that borrow from the guard and leave the block as owned copies.
    pub copied: Vec<CopiedOut>,
}

/// Wrap items `first..=last` of `list` (item `first` binds the guard `guard_name`) in a block that
/// returns the bindings used after it, followed by `extras`. `None` when the items cannot move: an
/// item declaration among them, the block's own tail expression, or a `ref` binding to export.
pub fn scoped_block(
    text: &str,
    file: &SyntaxNode,
    list: &ast::StmtList,
    first: usize,
    last: usize,
    guard_name: &str,
    extras: &[ExtraValue],
) -> Option<ScopedBlock> {
    let items = syntax::block_items(list);
    if last >= items.len() || first > last {
        return None;
    }
    if list.tail_expr().is_some() && last == items.len() - 1 {
        return None;
    }
    let moved = &items[first..=last];
    if moved.iter().any(|i| ast::Item::can_cast(i.kind())) {
        return None;
    }

    let after_start = syntax::end_with_trailing_comment(&items[last]);
    let after = ra_ap_syntax::TextRange::new(
        ra_ap_syntax::TextSize::from(after_start as u32),
        list.syntax().text_range().end(),
    );
    let exports = exports(file, &moved[1..], after, guard_name)?;

    let start = usize::from(items[first].text_range().start());
    let indent = syntax::line_indent(text, start).to_string();
    let unit = syntax::indent_unit(text, list);
    let inner = format!("{indent}{unit}");
    let eol = syntax::eol(text);
    let strings = syntax::multiline_string_ranges(list.syntax());
    let moved_text =
        |from: usize, to: usize| syntax::reindent(&text[from..to], from, &unit, &strings);

    let names = exports.names();
    let mut patterns = exports.patterns();

    let replacement = match (exports.bindings.as_slice(), extras) {
        // One value, computed by the last moved `let`: make its initializer the block's tail.
        (
            [
                Export {
                    binding,
                    stmt,
                    copy,
                },
            ],
            [],
        ) if is_tail_let(stmt, binding, &items[last]) => {
            let init = stmt.initializer()?;
            let before_last = usize::from(items[last].text_range().start());
            let head = text[start..before_last].trim_end();
            let init_start = usize::from(init.syntax().text_range().start());
            let init_end = usize::from(init.syntax().text_range().end());
            let trailing = &text[usize::from(stmt.syntax().text_range().end())..after_start];
            // `let x: &str = …` cannot hold the owned copy: the annotation names the borrow.
            if copy.is_some() && stmt.ty().is_some() {
                return None;
            }
            let ty = stmt
                .ty()
                .map(|t| format!(": {}", t.syntax().text()))
                .unwrap_or_default();
            let mut out = format!("let {}{ty} = {{{eol}{inner}", patterns[0]);
            if !head.is_empty() {
                out.push_str(&moved_text(start, start + head.len()));
                out.push_str(&format!("{eol}{inner}"));
            }
            let init_text = moved_text(init_start, init_end);
            match copy {
                Some(copy) => out.push_str(&copy.apply_to(&init, &init_text)),
                None => out.push_str(&init_text),
            }
            out.push_str(&format!("{eol}{indent}}};{trailing}"));
            out.push_str(&exports.reborrows(eol, &indent));
            out
        }
        _ => {
            let body = moved_text(start, after_start);
            let mut values: Vec<String> = exports.values();
            values.extend(extras.iter().map(|e| e.expr.clone()));
            patterns.extend(extras.iter().map(|e| e.name.clone()));
            let reborrows = exports.reborrows(eol, &indent);
            match values.len() {
                0 => format!("{{{eol}{inner}{body}{eol}{indent}}}"),
                1 => format!(
                    "let {} = {{{eol}{inner}{body}{eol}{inner}{}{eol}{indent}}};{reborrows}",
                    patterns[0], values[0]
                ),
                _ => format!(
                    "let ({}) = {{{eol}{inner}{body}{eol}{inner}({}){eol}{indent}}};{reborrows}",
                    patterns.join(", "),
                    values.join(", ")
                ),
            }
        }
    };
    Some(ScopedBlock {
        edit: TextEdit {
            range: start..after_start,
            replacement,
        },
        exported: names,
        copied: exports.copied(),
        possibly_borrowed: exports.possibly_borrowed,
    })
}

/// `let n = …;` as the last moved item, binding exactly the exported name with a plain pattern.
fn is_tail_let(stmt: &ast::LetStmt, binding: &ast::IdentPat, last: &SyntaxNode) -> bool {
    stmt.syntax() == last
        && stmt.let_else().is_none()
        && stmt.initializer().is_some()
        && matches!(stmt.pat(), Some(ast::Pat::IdentPat(p)) if p.syntax() == binding.syntax())
}
