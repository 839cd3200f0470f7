//! Step 2 of the swap: rewrite each use site of the lock, `place.method()`.
//!
//! Assumes `place` is the lock itself (a field, static or local that step 1, `references`,
//! followed) and that `poisoning` says whether it is std's. `lock()`/`read()`/`write()` whose
//! poisoning result is unwrapped (`.unwrap()`, `.expect(..)`, `.unwrap_or_else(..)`,
//! `.map_err(..)?`) or taken apart by `if let Ok(g) = ..` become `.await` in async code and
//! `blocking_*()` in sync code; parking_lot's, which return the guard directly, the same with no
//! unwrap to remove. std's `get_mut()`/`into_inner()` lose their `unwrap`; `try_*` stay as
//! written. Guarantees that `blocking_*` is only written in a function that async code does not
//! reach (per the request's `called_from_async`), and records it in `blocking_sites`. Any other
//! shape, a lock call outside a function or in a closure, or a function returning the guard
//! refuses the whole swap.

use ra_ap_syntax::{
    AstNode, SyntaxNode, TextRange,
    ast::{self, HasName},
};

use super::{Planner, Site};
use crate::analysis::syntax;

impl Planner<'_, '_> {
    /// A reference that is locked, read or unwrapped: `place.method()`.
    pub(super) fn use_site(
        &mut self,
        file: usize,
        place: &ast::Expr,
        name: &str,
    ) -> Result<(), String> {
        let call = place
            .syntax()
            .parent()
            .and_then(ast::MethodCallExpr::cast)
            .filter(|m| m.receiver().as_ref() == Some(place));
        let Some(call) = call else {
            let shape = place
                .syntax()
                .parent()
                .map(|p| shorten(&one_line(&p)))
                .unwrap_or_default();
            return Err(self.refuse(
                file,
                place.syntax(),
                &format!("`{name}` is used as a value (`{shape}`), not locked"),
            ));
        };
        let method = call
            .name_ref()
            .map(|n| n.text().to_string())
            .unwrap_or_default();
        match method.as_str() {
            // tokio has them with the same shape: `Ok(guard)` or an error to handle.
            "try_lock" | "try_read" | "try_write" => Ok(()),
            "get_mut" | "into_inner" if self.poisoning => self.drop_unwrap(file, &call, &method),
            "get_mut" | "into_inner" => Ok(()),
            "lock" | "read" | "write" => self.acquisition(file, &call, &method),
            _ => Err(self.refuse(
                file,
                call.syntax(),
                &format!("`{name}.{method}()` has no tokio counterpart the swap can write"),
            )),
        }
    }

    /// `get_mut().unwrap()` / `into_inner().unwrap()` → `get_mut()` / `into_inner()`: tokio's
    /// locks are never poisoned.
    fn drop_unwrap(
        &mut self,
        file: usize,
        call: &ast::MethodCallExpr,
        method: &str,
    ) -> Result<(), String> {
        let outer = unwrapping_call(call).ok_or_else(|| {
            self.refuse(
                file,
                call.syntax(),
                &format!("`.{method}()` without `.unwrap()` returns a `LockResult`"),
            )
        })?;
        let range = TextRange::new(call.syntax().text_range().end(), outer.text_range().end());
        self.edit(file, range, "");
        Ok(())
    }

    /// `lock()` / `read()` / `write()`: `.await` in async code, `blocking_*` in sync code.
    fn acquisition(
        &mut self,
        file: usize,
        call: &ast::MethodCallExpr,
        method: &str,
    ) -> Result<(), String> {
        let context = self.context(file, call.syntax())?;
        let guard = unwrapping_call(call).unwrap_or_else(|| call.syntax().clone());
        if returned_from_function(&guard) {
            // `fn users(&self) -> MutexGuard<'_, _> { self.users.lock().unwrap() }`: the signature
            // names std's guard type, which the swap does not rewrite.
            return Err(self.refuse(
                file,
                call.syntax(),
                "the function returns the guard (its signature names the std guard type)",
            ));
        }
        if !self.poisoning {
            let end = call.syntax().text_range().end();
            self.acquire_in_place(file, call, method, context, TextRange::empty(end));
            return Ok(());
        }
        if let Some(outer) = unwrapping_call(call) {
            let tail = TextRange::new(call.syntax().text_range().end(), outer.text_range().end());
            self.acquire_in_place(file, call, method, context, tail);
            return Ok(());
        }
        if let Some(if_expr) = if_let_ok(call) {
            return self.if_let_block(file, call, method, context, &if_expr);
        }
        let shape = call
            .syntax()
            .parent()
            .map(|p| shorten(&one_line(&p)))
            .unwrap_or_default();
        Err(self.refuse(
            file,
            call.syntax(),
            &format!(
                "the result of `.{method}()` is used in a shape the swap cannot rewrite (`{shape}`)"
            ),
        ))
    }

    /// Replace the unwrapping `tail` after the acquisition: `.await`, or `blocking_*()` in place
    /// of the whole call in sync code.
    fn acquire_in_place(
        &mut self,
        file: usize,
        call: &ast::MethodCallExpr,
        method: &str,
        context: Context,
        tail: TextRange,
    ) {
        match context {
            Context::Async => self.edit(file, tail, ".await"),
            Context::Sync => {
                if let Some(range) = method_and_args(call) {
                    self.edit(
                        file,
                        TextRange::new(range.start(), tail.end()),
                        blocking(method),
                    );
                    self.blocking_sites.push(Site {
                        file,
                        range: call.syntax().text_range(),
                    });
                }
            }
        }
    }

    /// `if let Ok(g) = x.write() { A } else { B }` → `{ let g = x.write().await; A }`: B only ran
    /// on a poisoned lock, which tokio's never is. A's text is kept byte for byte.
    fn if_let_block(
        &mut self,
        file: usize,
        call: &ast::MethodCallExpr,
        method: &str,
        context: Context,
        if_expr: &ast::IfExpr,
    ) -> Result<(), String> {
        let refuse = |this: &Self, why: &str| this.refuse(file, if_expr.syntax(), why);
        let Some(ast::Expr::LetExpr(let_expr)) = if_expr.condition() else {
            return Err(refuse(self, "an `if let` with more than one condition"));
        };
        let binding = ok_binding(&let_expr)
            .ok_or_else(|| refuse(self, "an `if let` whose pattern is not `Ok(guard)`"))?;
        let then_list = if_expr
            .then_branch()
            .and_then(|b| b.stmt_list())
            .ok_or_else(|| refuse(self, "an `if let` without a body"))?;
        let (Some(l_curly), Some(r_curly)) = (then_list.l_curly_token(), then_list.r_curly_token())
        else {
            return Err(refuse(self, "an `if let` with an unclosed body"));
        };
        let binding = if binding == "_" {
            // `let _ = ..` would drop the guard at once; the `if let` held it for the whole body.
            syntax::fresh_name("_guard", &syntax::identifiers(then_list.syntax()))
        } else {
            binding
        };
        let receiver = call
            .receiver()
            .map(|r| r.syntax().to_string())
            .unwrap_or_default();
        let acquire = match context {
            Context::Async => format!("{receiver}.{method}().await"),
            Context::Sync => {
                self.blocking_sites.push(Site {
                    file,
                    range: call.syntax().text_range(),
                });
                format!("{receiver}.{}", blocking(method))
            }
        };
        if let Some(flat) = self.flattened(file, if_expr, &then_list, &binding, &acquire) {
            self.edit(file, if_expr.syntax().text_range(), flat);
            return Ok(());
        }
        let text = self.text(file);
        let body_start = usize::from(l_curly.text_range().end());
        let separator = if text[body_start..].starts_with(['\n', '\r']) {
            let first = syntax::block_items(&then_list)
                .first()
                .map(|i| usize::from(i.text_range().start()))
                .unwrap_or(body_start);
            let inner = if first > body_start {
                syntax::line_indent(text, first).to_string()
            } else {
                format!(
                    "{}{}",
                    syntax::line_indent(text, usize::from(if_expr.syntax().text_range().start())),
                    syntax::indent_unit(text, &then_list)
                )
            };
            format!("{}{inner}", syntax::eol(text))
        } else {
            " ".to_string()
        };
        let head = TextRange::new(
            if_expr.syntax().text_range().start(),
            l_curly.text_range().end(),
        );
        let replacement = format!("{{{separator}let {binding} = {acquire};");
        self.edit(file, head, replacement);
        let tail = TextRange::new(
            r_curly.text_range().end(),
            if_expr.syntax().text_range().end(),
        );
        if !tail.is_empty() {
            self.edit(file, tail, "");
        }
        Ok(())
    }

    /// `let g = x.read().await;` and A's lines one level out, when the `if let` is the value of
    /// its function: the block `{ let g = ..; A }` would end with the function anyway (seed 002's
    /// maintainers wrote the two lines). Not when A holds another rewrite of the swap, or a string
    /// literal across lines (its text must not be re-indented).
    fn flattened(
        &self,
        file: usize,
        if_expr: &ast::IfExpr,
        then_list: &ast::StmtList,
        binding: &str,
        acquire: &str,
    ) -> Option<String> {
        let list = ast::StmtList::cast(if_expr.syntax().parent()?)?;
        let is_function_value = list.tail_expr()?.syntax() == if_expr.syntax()
            && ast::Fn::can_cast(list.syntax().parent()?.parent()?.kind());
        if !is_function_value {
            return None;
        }
        let body = then_list.syntax().text_range();
        let inside = |site: &Site| site.file == file && body.contains_range(site.range);
        let chain_inside = self
            .request
            .async_chain
            .as_ref()
            .is_ok_and(|chain| chain.awaits.iter().any(inside));
        if self.request.references.iter().any(inside) || chain_inside {
            return None;
        }
        let multi_line_string = then_list
            .syntax()
            .descendants_with_tokens()
            .filter_map(|e| e.into_token())
            .any(|t| t.kind().is_literal() && t.text().contains('\n'));
        if multi_line_string {
            return None;
        }
        let text = self.text(file);
        let (l_curly, r_curly) = (then_list.l_curly_token()?, then_list.r_curly_token()?);
        let content = &text
            [usize::from(l_curly.text_range().end())..usize::from(r_curly.text_range().start())];
        let content = content.trim_start_matches([' ', '\t']);
        let content = content
            .strip_prefix("\r\n")
            .or_else(|| content.strip_prefix('\n'))?;
        let outer = syntax::line_indent(text, usize::from(if_expr.syntax().text_range().start()));
        let unit = syntax::indent_unit(text, then_list);
        let inner = format!("{outer}{unit}");
        let eol = syntax::eol(text);
        let mut out = format!("let {binding} = {acquire};");
        for line in content.trim_end().lines() {
            let line = line.trim_end_matches('\r');
            out.push_str(eol);
            if line.trim().is_empty() {
                continue;
            }
            out.push_str(outer);
            out.push_str(line.strip_prefix(inner.as_str())?);
        }
        Some(out)
    }

    /// Whether the lock call at `node` runs in async code, in a sync function that async code does
    /// not call, or somewhere the swap cannot tell.
    fn context(&self, file: usize, node: &SyntaxNode) -> Result<Context, String> {
        let body = syntax::enclosing_body(node)
            .ok_or_else(|| self.refuse(file, node, "a lock call outside any function"))?;
        if syntax::body_is_async(&body) {
            return Ok(Context::Async);
        }
        let Some(function) = ast::Fn::cast(body) else {
            return Err(self.refuse(
                file,
                node,
                "a lock call inside a closure (it may run in async code or not)",
            ));
        };
        let name = function.name();
        let site = name.as_ref().map(|n| Site {
            file,
            range: n.syntax().text_range(),
        });
        let made_async =
            |chain: &super::AsyncChain| site.is_some_and(|s| chain.functions.contains(&s));
        if self.request.async_chain.as_ref().is_ok_and(made_async) {
            return Ok(Context::Async);
        }
        let caller = site.and_then(|site| {
            self.request
                .called_from_async
                .iter()
                .find(|c| c.site == site)
        });
        if let Some(caller) = caller {
            let name = name.map(|n| n.text().to_string()).unwrap_or_default();
            let why = if caller.route.is_empty() {
                format!(
                    "`{name}` is not async but is called from async code, where `blocking_*` would panic"
                )
            } else {
                format!(
                    "`{name}` is not async but async code reaches it through {} → `{name}`, where \
                     `blocking_*` would panic",
                    caller.route
                )
            };
            let why = match &self.request.async_chain {
                Err(cannot) => format!("{why}; it cannot become async: {cannot}"),
                Ok(_) => why,
            };
            return Err(self.refuse(file, node, &why));
        }
        Ok(Context::Sync)
    }
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Context {
    Async,
    Sync,
}

/// The guard is the value of its function: the body's tail expression or a `return`'s operand.
fn returned_from_function(guard: &SyntaxNode) -> bool {
    let Some(parent) = guard.parent() else {
        return false;
    };
    if ast::ReturnExpr::can_cast(parent.kind()) {
        return true;
    }
    let Some(list) = ast::StmtList::cast(parent) else {
        return false;
    };
    let is_tail = list.tail_expr().is_some_and(|tail| tail.syntax() == guard);
    let body_of_fn = list
        .syntax()
        .parent()
        .and_then(|block| block.parent())
        .is_some_and(|f| ast::Fn::can_cast(f.kind()));
    is_tail && body_of_fn
}

/// The call that unwraps the poisoning result of `call`: `.unwrap()`, `.expect(..)`,
/// `.unwrap_or_else(..)`, or `.map_err(..)?` (the `?` included).
fn unwrapping_call(call: &ast::MethodCallExpr) -> Option<SyntaxNode> {
    let outer = ast::MethodCallExpr::cast(call.syntax().parent()?)?;
    if outer.receiver()?.syntax() != call.syntax() {
        return None;
    }
    match outer.name_ref()?.text().to_string().as_ref() {
        "unwrap" | "expect" | "unwrap_or_else" => Some(outer.syntax().clone()),
        "map_err" => {
            let question = ast::TryExpr::cast(outer.syntax().parent()?)?;
            Some(question.syntax().clone())
        }
        _ => None,
    }
}

/// The `if` whose whole condition is `let Ok(..) = call`.
fn if_let_ok(call: &ast::MethodCallExpr) -> Option<ast::IfExpr> {
    let let_expr = ast::LetExpr::cast(call.syntax().parent()?)?;
    let if_expr = ast::IfExpr::cast(let_expr.syntax().parent()?)?;
    ok_binding(&let_expr)?;
    Some(if_expr)
}

/// `mut g` in `let Ok(mut g) = ..`: the pattern's only field, as written.
fn ok_binding(let_expr: &ast::LetExpr) -> Option<String> {
    let ast::Pat::TupleStructPat(pat) = let_expr.pat()? else {
        return None;
    };
    if pat.path()?.syntax().text() != "Ok" {
        return None;
    }
    let mut fields = pat.fields();
    let field = fields.next()?;
    if fields.next().is_some() || !matches!(field, ast::Pat::IdentPat(_) | ast::Pat::WildcardPat(_))
    {
        return None;
    }
    Some(field.syntax().to_string())
}

/// From the method name to the end of the argument list: `lock()` in `x.lock()`.
fn method_and_args(call: &ast::MethodCallExpr) -> Option<TextRange> {
    let start = call.name_ref()?.syntax().text_range().start();
    Some(TextRange::new(start, call.syntax().text_range().end()))
}

fn blocking(method: &str) -> String {
    format!("blocking_{method}()")
}

/// A node's text on one line, for messages: whitespace runs become one space.
fn one_line(node: &SyntaxNode) -> String {
    node.to_string()
        .split_whitespace()
        .collect::<Vec<_>>()
        .join(" ")
}

/// At most 40 characters of `text`, for messages.
fn shorten(text: &str) -> String {
    const MAX: usize = 40;
    match text.char_indices().nth(MAX) {
        Some((cut, _)) => format!("{}…", &text[..cut]),
        None => text.to_string(),
    }
}
