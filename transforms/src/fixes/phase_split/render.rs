//! Step 7, writing it out: the chunks become code. A phase is a scoped block that takes its lock
//! again with the guard's own `let` (`mut` only when the phase writes through it) and returns, as
//! `let x = { … };` or a tuple, the values declared in it that the code after it uses and the
//! snapshots taken for later phases; a continuation becomes `if flag { … }` or
//! `if let Some(…) = flag { … }`.
//!
//! Assumes: chunks from `split_sequence`, their first phases marked (`mark_first_phases`).
//! Guarantees: statements keep their text (with their edits), their comments and the blank line
//! before them; lines are re-indented to their new depth, except inside multi-line string
//! literals, and end with the file's line break. `Err` when a value needed after its phase is
//! bound by reference or may borrow from the guard, or when the block's value is computed under a
//! lock whose phase other code needs values from.

use ra_ap_syntax::{AstNode, TextRange, TextSize, ast};

use super::text::{apply, apply_lines, comment_end, edited, leading_comments, reindent};
use super::{Chunk, Edit, Phase, Piece, Splitter};
use crate::analysis::syntax;
use crate::fixes::ownership::{Ownership, ownership};

impl Splitter<'_> {
    pub(super) fn relocks(&self, chunks: &[Chunk]) -> usize {
        fn walk(chunks: &[Chunk], seen: &mut Vec<usize>, count: &mut usize) {
            for c in chunks {
                match c {
                    Chunk::Phase(p) => {
                        if seen.contains(&p.member) {
                            *count += 1;
                        } else {
                            seen.push(p.member);
                        }
                    }
                    Chunk::Cont(cont) => walk(&cont.chunks, seen, count),
                    _ => {}
                }
            }
        }
        let mut seen = Vec::new();
        let mut count = 0;
        walk(chunks, &mut seen, &mut count);
        count
    }

    /// The chunks as code at `indent` (the first line without it). Each phase returns the
    /// values declared in it that the code after it (in this block) uses.
    /// `inline_last`: the chunks end a block of their own (a deferred block), so a last phase
    /// that returns nothing needs no braces of its own.
    pub(super) fn render_chunks(
        &mut self,
        chunks: &[Chunk],
        indent: &str,
        inline_last: bool,
    ) -> Result<String, String> {
        let mut rendered: Vec<String> = vec![String::new(); chunks.len()];
        for i in (0..chunks.len()).rev() {
            let after = rendered[i + 1..].join(self.eol);
            rendered[i] = match &chunks[i] {
                Chunk::Plain(piece) => self.render_piece(piece, indent),
                Chunk::Slots(decls) => decls.join(&format!("{}{indent}", self.eol)),
                Chunk::Phase(phase) => {
                    let inline = inline_last && i + 1 == chunks.len();
                    self.render_phase(phase, indent, &after, inline)?
                }
                Chunk::Cont(cont) => {
                    let inner = format!("{indent}{}", self.unit);
                    let body = self.render_chunks(&cont.chunks, &inner, true)?;
                    let head = match cont.captures.len() {
                        0 => format!("if {} {{", cont.flag),
                        1 => format!("if let Some({}) = {} {{", cont.captures[0].0, cont.flag),
                        _ => format!(
                            "if let Some(({})) = {} {{",
                            cont.captures
                                .iter()
                                .map(|c| c.0.as_str())
                                .collect::<Vec<_>>()
                                .join(", "),
                            cont.flag
                        ),
                    };
                    format!("{head}{eol}{inner}{body}{eol}{indent}}}", eol = self.eol)
                }
            };
        }
        let mut out = String::new();
        for (i, chunk) in chunks.iter().enumerate() {
            if i > 0 {
                let previous = &chunks[i - 1];
                // Lock scopes and deferred blocks stand apart; statements keep their spacing.
                let blank = match (previous, chunk) {
                    (Chunk::Slots(_), _) => false,
                    (_, Chunk::Plain(p)) => p.blank_before,
                    _ => true,
                };
                out.push_str(self.eol);
                if blank {
                    out.push_str(self.eol);
                }
                out.push_str(indent);
            }
            out.push_str(&rendered[i]);
        }
        Ok(out)
    }

    fn render_piece(&self, piece: &Piece, indent: &str) -> String {
        self.render(piece.range, &piece.edits, indent)
    }

    /// `range` with `edits`, its lines after the first moved from the indentation of its first
    /// line to `to`; lines inside multi-line string literals are left as they are.
    fn render(&self, range: TextRange, edits: &[Edit], to: &str) -> String {
        let from = syntax::line_indent(self.text, usize::from(range.start()));
        let (raw, protected) = apply_lines(self.text, range, edits, &self.strings);
        reindent(&raw, &protected, from, to)
    }

    fn render_phase(
        &mut self,
        phase: &Phase,
        indent: &str,
        after: &str,
        inline: bool,
    ) -> Result<String, String> {
        let member = &self.members[phase.member];
        let eol = self.eol;
        // Exports: bindings of the phase's statements that the code after it mentions.
        let mut tainted = vec![member.name.clone()];
        let mut exports: Vec<(String, String)> = Vec::new();
        let mut last_let: Option<(String, String)> = None;
        for (k, piece) in phase.items.iter().enumerate() {
            last_let = None;
            let Some(stmt) = ast::LetStmt::cast(piece.node.clone()) else {
                continue;
            };
            let Some(pat) = stmt.pat() else { continue };
            let init = stmt.initializer();
            let init_tainted = init.as_ref().is_some_and(|e| {
                tainted.iter().any(|t| {
                    syntax::mentions(self.file, e.syntax().text_range(), t)
                        .into_iter()
                        .any(|r| !edited(&piece.edits, r))
                })
            });
            for binding in syntax::pattern_bindings(&pat) {
                let name = syntax::ident_name(&binding);
                if init_tainted {
                    tainted.push(name.clone());
                }
                if !mentioned_in(after, &name) {
                    continue;
                }
                if binding.ref_token().is_some() {
                    return Err(format!(
                        "`{name}` is bound by reference; split the function by hand"
                    ));
                }
                let owned = !init_tainted
                    || matches!(pat, ast::Pat::IdentPat(_))
                        && init
                            .as_ref()
                            .is_some_and(|i| ownership(i, &tainted, self.file) == Ownership::Owned);
                if !owned {
                    return Err(format!(
                        "`{name}` may borrow from `{}` and is needed after its phase; split the function by hand",
                        member.name
                    ));
                }
                let pattern = if binding.mut_token().is_some() {
                    format!("mut {name}")
                } else {
                    name.clone()
                };
                exports.retain(|e| e.1 != name);
                exports.push((pattern, name.clone()));
                let simple = k + 1 == phase.items.len()
                    && stmt.let_else().is_none()
                    && matches!(&pat, ast::Pat::IdentPat(p) if p.syntax() == binding.syntax());
                if simple {
                    last_let = init.as_ref().map(|i| {
                        (
                            name.clone(),
                            apply(self.text, i.syntax().text_range(), &piece.edits),
                        )
                    });
                }
            }
        }
        for (name, expr) in &phase.snapshots {
            exports.push((name.clone(), expr.clone()));
        }
        let has_tail = phase.items.last().is_some_and(|p| p.is_tail);
        let inline = inline && exports.is_empty() && !has_tail;
        let inner = if inline {
            indent.to_string()
        } else {
            format!("{indent}{}", self.unit)
        };
        // The guard, `mut` only when something in the phase writes through it.
        let writes = phase
            .items
            .iter()
            .any(|p| self.writes(phase.member, p.range, &p.edits));
        let mut guard_edits = Vec::new();
        if !writes && let Some(mut_token) = member.pat.mut_token() {
            let start = mut_token.text_range().start();
            let mut end = mut_token.text_range().end();
            while self.text[usize::from(end)..].starts_with([' ', '\t']) {
                end += TextSize::from(1);
            }
            guard_edits.push(Edit {
                range: TextRange::new(start, end),
                text: String::new(),
            });
        }
        let mut guard_range = member.stmt.syntax().text_range();
        if phase.first {
            // The guard's comments go with its first phase (the first guard's comments above it
            // stay where they are, outside the rewritten code).
            let end = comment_end(self.text, member.stmt.syntax());
            let start = if phase.member == 0 {
                guard_range.start()
            } else {
                leading_comments(member.stmt.syntax()).0
            };
            guard_range = TextRange::new(start, TextSize::from(end as u32));
        }
        let guard_line = self.render(guard_range, &guard_edits, &inner);
        let mut lines = vec![format!("{inner}{guard_line}")];
        let single_tail_let =
            exports.len() == 1 && phase.snapshots.is_empty() && last_let.is_some();
        let has_tail = phase.items.last().is_some_and(|p| p.is_tail);
        for (k, piece) in phase.items.iter().enumerate() {
            let is_last = k + 1 == phase.items.len();
            if is_last
                && single_tail_let
                && let Some(stmt) = ast::LetStmt::cast(piece.node.clone())
            {
                // `let x = { …; value };`: the last `let` becomes the block's value.
                let init = stmt.initializer().expect("checked above");
                let head = TextRange::new(piece.range.start(), stmt.syntax().text_range().start());
                if piece.blank_before {
                    lines.push(String::new());
                }
                let leading = self.render(head, &piece.edits, &inner);
                if !leading.trim().is_empty() {
                    lines.push(format!("{inner}{}", leading.trim_end()));
                }
                let mut value = self.render(init.syntax().text_range(), &piece.edits, &inner);
                // A comment after the `let` stays on its line.
                let trailing = TextRange::new(stmt.syntax().text_range().end(), piece.range.end());
                value.push_str(self.text[syntax::to_range(trailing)].trim_end());
                lines.push(format!("{inner}{value}"));
                continue;
            }
            if piece.blank_before {
                lines.push(String::new());
            }
            lines.push(format!("{inner}{}", self.render_piece(piece, &inner)));
        }
        let block_body = lines.join(eol);
        if inline {
            return Ok(block_body[inner.len()..].to_string());
        }
        if has_tail {
            if !exports.is_empty() {
                return Err(
                    "the block's value is computed under a lock that other code needs; split the function by hand"
                        .to_string(),
                );
            }
            return Ok(format!("{{{eol}{block_body}{eol}{indent}}}"));
        }
        Ok(match exports.len() {
            0 => format!("{{{eol}{block_body}{eol}{indent}}}"),
            1 if single_tail_let => {
                let ty = phase
                    .items
                    .last()
                    .and_then(|p| ast::LetStmt::cast(p.node.clone()))
                    .and_then(|s| s.ty())
                    .map(|t| format!(": {}", t.syntax().text()))
                    .unwrap_or_default();
                format!(
                    "let {}{ty} = {{{eol}{block_body}{eol}{indent}}};",
                    exports[0].0
                )
            }
            1 => format!(
                "let {} = {{{eol}{block_body}{eol}{inner}{}{eol}{indent}}};",
                exports[0].0, exports[0].1
            ),
            _ => format!(
                "let ({}) = {{{eol}{block_body}{eol}{inner}({}){eol}{indent}}};",
                exports
                    .iter()
                    .map(|e| e.0.as_str())
                    .collect::<Vec<_>>()
                    .join(", "),
                exports
                    .iter()
                    .map(|e| e.1.as_str())
                    .collect::<Vec<_>>()
                    .join(", ")
            ),
        })
    }
}

/// Whether `name` is used as a local in the code `text`.
fn mentioned_in(text: &str, name: &str) -> bool {
    if !text.contains(name) {
        return false;
    }
    let wrapped = format!("fn __lockfix() {{\n{text}\n}}\n");
    let parse = ra_ap_syntax::SourceFile::parse(&wrapped, ra_ap_syntax::Edition::CURRENT);
    let root = parse.tree();
    !syntax::mentions(root.syntax(), root.syntax().text_range(), name).is_empty()
}
