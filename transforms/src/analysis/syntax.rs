//! Small syntax-tree queries shared by the analysis and the fix builders.

use ra_ap_syntax::{
    AstNode, AstToken, NodeOrToken, SyntaxKind, SyntaxNode, SyntaxToken, TextRange, TextSize,
    WalkEvent,
    ast::{self, HasName},
};

/// The nodes of `root` (itself included) whose range meets `range`, in preorder, as
/// `root.descendants()` gives them: a subtree wholly outside `range` is skipped, not walked. Every
/// node that meets `range` is reached, since its ancestors meet it too. Questions about one
/// guard's live region ask this of the guard's whole body, once per guard.
pub fn descendants_meeting(
    root: &SyntaxNode,
    range: TextRange,
) -> impl Iterator<Item = SyntaxNode> + use<> {
    let mut preorder = root.preorder();
    std::iter::from_fn(move || {
        loop {
            match preorder.next()? {
                WalkEvent::Enter(node) if node.text_range().intersect(range).is_some() => {
                    return Some(node);
                }
                WalkEvent::Enter(_) => preorder.skip_subtree(),
                WalkEvent::Leave(_) => {}
            }
        }
    })
}

/// The function, closure or async block whose execution `node` belongs to. Awaits and guards only
/// interact inside one body: an async block is a separate future, a closure a separate call.
pub fn enclosing_body(node: &SyntaxNode) -> Option<SyntaxNode> {
    node.ancestors().skip(1).find(is_body)
}

/// Whether a pattern inside `range` of `root` binds `name` (a `let`, a closure parameter, a match
/// arm): after it, `name` means something else.
pub fn binds_in(root: &SyntaxNode, range: TextRange, name: &str) -> bool {
    descendants_meeting(root, range)
        .filter_map(ast::IdentPat::cast)
        .any(|p| range.contains_range(p.syntax().text_range()) && ident_name(&p) == name)
}

/// The initializer of the `let name = …;` that `name` at `at` refers to, looked up through the
/// enclosing blocks up to the function (closures and async blocks do not stop the search: they
/// capture the binding). `None` when the name is a parameter, or when something between the
/// `let` and `at` binds the same name again (a closure parameter, a match arm, a nested `let`):
/// the reference may be to that one.
pub fn local_initializer_in_scope(at: &SyntaxNode, name: &str) -> Option<ast::Expr> {
    for scope in at.ancestors().skip(1) {
        if ast::Fn::can_cast(scope.kind()) {
            return None;
        }
        let Some(list) = ast::StmtList::cast(scope.clone()) else {
            continue;
        };
        let binding = list
            .statements()
            .filter_map(|stmt| match stmt {
                ast::Stmt::LetStmt(l) => Some(l),
                _ => None,
            })
            .filter(|l| l.syntax().text_range().end() <= at.text_range().start())
            .filter(|l| matches!(l.pat(), Some(ast::Pat::IdentPat(p)) if ident_name(&p) == name))
            .last();
        if let Some(binding) = binding {
            let between =
                TextRange::new(binding.syntax().text_range().end(), at.text_range().start());
            return (!binds_in(&scope, between, name))
                .then(|| binding.initializer())
                .flatten();
        }
    }
    None
}

/// Whether `node` runs as part of `body`: directly, or inside a closure that a combinator of
/// `body` calls before it returns (`items.iter().map(|i| tokio::spawn(..)).collect()`,
/// `for_each`, `retain`, `unwrap_or_else`, `map` on an `Option`). Such a closure runs while the
/// guards of `body` are alive. A closure stored, returned or handed to a spawn runs elsewhere.
pub fn runs_in_body(node: &SyntaxNode, body: &SyntaxNode) -> bool {
    let mut current = enclosing_body(node);
    while let Some(inner) = current {
        if &inner == body {
            return true;
        }
        if !is_called_at_once(&inner) {
            return false;
        }
        current = enclosing_body(&inner);
    }
    false
}

/// Whether `a` and `b` sit in two branches of one `if`/`else` or in two arms of one `match`: at
/// most one of them runs. (A temporary of an `if` branch's tail lives to the end of the enclosing
/// statement, which textually covers the `else` branch.)
pub fn in_other_branch(a: &SyntaxNode, b: &SyntaxNode) -> bool {
    for ancestor in a.ancestors() {
        if !ancestor.text_range().contains_range(b.text_range()) {
            continue;
        }
        // The innermost node containing both: are they under different branches of it?
        let branch_of = |n: &SyntaxNode| n.ancestors().take_while(|x| x != &ancestor).last();
        let (Some(x), Some(y)) = (branch_of(a), branch_of(b)) else {
            return false;
        };
        return match ancestor.kind() {
            SyntaxKind::IF_EXPR => {
                let if_expr = ast::IfExpr::cast(ancestor.clone());
                let condition = if_expr
                    .as_ref()
                    .and_then(|i| i.condition())
                    .map(|c| c.syntax().clone());
                x != y && Some(&x) != condition.as_ref() && Some(&y) != condition.as_ref()
            }
            SyntaxKind::MATCH_ARM_LIST => {
                x != y && x.kind() == SyntaxKind::MATCH_ARM && y.kind() == SyntaxKind::MATCH_ARM
            }
            _ => false,
        };
    }
    false
}

/// A closure that is an argument of a method that calls it before returning.
fn is_called_at_once(body: &SyntaxNode) -> bool {
    let Some(closure) = ast::ClosureExpr::cast(body.clone()) else {
        return false;
    };
    closure.async_token().is_none()
        && (argument_of_method(closure.syntax()).is_some_and(|m| calls_argument_at_once(&m))
            || run_by_call_at_once(closure.syntax()))
}

/// Functions that run the closure they are given before they return.
const RUN_AT_ONCE: &[&str] = &["catch_unwind", "block_in_place"];

/// `std::panic::catch_unwind(AssertUnwindSafe(|| ..))`, `tokio::task::block_in_place(|| ..)`: the
/// closure runs inside the call.
fn run_by_call_at_once(closure: &SyntaxNode) -> bool {
    let argument_of_call = |node: &SyntaxNode| {
        node.parent()
            .filter(|p| p.kind() == SyntaxKind::ARG_LIST)
            .and_then(|l| l.parent())
            .and_then(ast::CallExpr::cast)
    };
    let callee_name = |call: &ast::CallExpr| match call.expr() {
        Some(ast::Expr::PathExpr(path)) => path
            .path()
            .and_then(|p| p.segment())
            .and_then(|s| s.name_ref())
            .map(|n| n.text().to_string()),
        _ => None,
    };
    let Some(mut call) = argument_of_call(closure) else {
        return false;
    };
    if callee_name(&call).as_deref() == Some("AssertUnwindSafe") {
        match argument_of_call(call.syntax()) {
            Some(outer) => call = outer,
            None => return false,
        }
    }
    callee_name(&call).is_some_and(|name| RUN_AT_ONCE.contains(&name.as_str()))
}

/// The method call `node` is a direct argument of (`x.map(node)`).
pub fn argument_of_method(node: &SyntaxNode) -> Option<ast::MethodCallExpr> {
    node.parent()
        .filter(|p| p.kind() == SyntaxKind::ARG_LIST)
        .and_then(|l| l.parent())
        .and_then(ast::MethodCallExpr::cast)
}

/// Combinators that call the function or closure they are given before they return.
pub fn calls_argument_at_once(method: &ast::MethodCallExpr) -> bool {
    method.name_ref().is_some_and(|n| {
        matches!(
            n.text(),
            "map"
                | "for_each"
                | "try_for_each"
                | "filter"
                | "filter_map"
                | "flat_map"
                | "retain"
                | "retain_mut"
                | "any"
                | "all"
                | "find"
                | "find_map"
                | "position"
                | "fold"
                | "try_fold"
                | "and_then"
                | "or_else"
                | "unwrap_or_else"
                | "map_or"
                | "map_or_else"
                | "inspect"
                | "take_while"
                | "skip_while"
                | "partition"
                | "sort_by"
                | "sort_by_key"
                | "max_by_key"
                | "min_by_key"
        )
    })
}

pub fn is_body(node: &SyntaxNode) -> bool {
    match node.kind() {
        SyntaxKind::FN | SyntaxKind::CLOSURE_EXPR => true,
        SyntaxKind::BLOCK_EXPR => ast::BlockExpr::cast(node.clone())
            .is_some_and(|b| b.async_token().is_some() || b.gen_token().is_some()),
        _ => false,
    }
}

/// Whether the body is asynchronous: an `async fn`, an `async` block or an async closure.
pub fn body_is_async(body: &SyntaxNode) -> bool {
    if let Some(f) = ast::Fn::cast(body.clone()) {
        return f.async_token().is_some();
    }
    if let Some(c) = ast::ClosureExpr::cast(body.clone()) {
        return c.async_token().is_some();
    }
    ast::BlockExpr::cast(body.clone()).is_some_and(|b| b.async_token().is_some())
}

/// The statement list `node` sits in directly, and its position there: `node` is one of the
/// list's statements or its tail expression.
pub fn as_block_item(node: &SyntaxNode) -> Option<(ast::StmtList, usize)> {
    let list = ast::StmtList::cast(node.parent()?)?;
    let index = block_items(&list).iter().position(|item| item == node)?;
    Some((list, index))
}

/// Statements and the tail expression of a block, in order.
pub fn block_items(list: &ast::StmtList) -> Vec<SyntaxNode> {
    let mut items: Vec<SyntaxNode> = list.statements().map(|s| s.syntax().clone()).collect();
    if let Some(tail) = list.tail_expr() {
        items.push(tail.syntax().clone());
    }
    items
}

/// The expression of a block item: a statement's expression (`x = 1;`) or the tail itself.
pub fn item_expr(item: &SyntaxNode) -> Option<ast::Expr> {
    match ast::ExprStmt::cast(item.clone()) {
        Some(stmt) => stmt.expr(),
        None => ast::Expr::cast(item.clone()),
    }
}

/// The block item of `list` that contains `node` (the ancestor of `node` that is a direct child).
pub fn item_containing(list: &ast::StmtList, node: &SyntaxNode) -> Option<usize> {
    let item = node
        .ancestors()
        .find(|a| a.parent().as_ref() == Some(list.syntax()))?;
    block_items(list).iter().position(|i| *i == item)
}

/// Names bound by a pattern (`(a, mut b)` → `a`, `b`), with whether each is `mut` and whether any
/// binding is by reference.
pub fn pattern_bindings(pat: &ast::Pat) -> Vec<ast::IdentPat> {
    let mut found: Vec<ast::IdentPat> = pat
        .syntax()
        .descendants()
        .filter_map(ast::IdentPat::cast)
        .collect();
    // `None` in a pattern parses as an ident pattern too; bindings are lower case by convention
    // and enum variants / constants are not.
    found.retain(|p| {
        p.name()
            .is_some_and(|n| n.text().starts_with(|c: char| c.is_lowercase() || c == '_'))
    });
    found
}

pub fn ident_name(pat: &ast::IdentPat) -> String {
    pat.name().map(|n| n.text().to_string()).unwrap_or_default()
}

/// Every place in `range` of `root` where the local `name` is mentioned: identifier tokens (also
/// inside macro calls, which are token trees) and inline format arguments (`"{name}"`). Field names
/// (`x.name`) and path segments after `::` are not mentions.
pub fn mentions(root: &SyntaxNode, range: TextRange, name: &str) -> Vec<TextRange> {
    let mut found = Vec::new();
    let covering = match root.covering_element(range) {
        NodeOrToken::Node(n) => n,
        NodeOrToken::Token(t) => match t.parent() {
            Some(p) => p,
            None => return found,
        },
    };
    for token in covering
        .descendants_with_tokens()
        .filter_map(NodeOrToken::into_token)
    {
        if !range.contains_range(token.text_range()) {
            continue;
        }
        match token.kind() {
            SyntaxKind::IDENT if token.text() == name && is_local_mention(&token) => {
                found.push(token.text_range());
            }
            SyntaxKind::STRING if in_macro_call(&token) && format_mentions(token.text(), name) => {
                found.push(token.text_range());
            }
            _ => {}
        }
    }
    found
}

fn is_local_mention(token: &SyntaxToken) -> bool {
    let prev = previous_non_trivia(token);
    match prev.as_ref().map(|t| t.kind()) {
        // `x.name` is a field or method, `a::name` a path item.
        Some(SyntaxKind::DOT) | Some(SyntaxKind::COLON2) => return false,
        _ => {}
    }
    let Some(parent) = token.parent() else {
        return true;
    };
    match parent.kind() {
        // A declaration of another item or a struct field name is not a use of the local.
        SyntaxKind::NAME => {
            let grand = parent.parent().map(|g| g.kind());
            !matches!(
                grand,
                Some(SyntaxKind::FN)
                    | Some(SyntaxKind::STRUCT)
                    | Some(SyntaxKind::RECORD_FIELD)
                    | Some(SyntaxKind::IDENT_PAT)
            )
        }
        SyntaxKind::NAME_REF => {
            // `Struct { name: value }`: the field label is not the local (shorthand `{ name }` is).
            let is_field_label = parent
                .parent()
                .and_then(ast::RecordExprField::cast)
                .is_some_and(|f| {
                    f.expr().is_some() && f.name_ref().as_ref().map(|n| n.syntax()) == Some(&parent)
                });
            !is_field_label
        }
        _ => true,
    }
}

fn previous_non_trivia(token: &SyntaxToken) -> Option<SyntaxToken> {
    let mut prev = token.prev_token();
    while let Some(t) = prev {
        if !t.kind().is_trivia() {
            return Some(t);
        }
        prev = t.prev_token();
    }
    None
}

fn in_macro_call(token: &SyntaxToken) -> bool {
    token
        .parent_ancestors()
        .any(|a| a.kind() == SyntaxKind::TOKEN_TREE)
}

/// Whether a format string names `name` as an inline argument: `{name}`, `{name:?}`, `{name:>8}`.
fn format_mentions(literal: &str, name: &str) -> bool {
    let mut rest = literal;
    while let Some(open) = rest.find('{') {
        rest = &rest[open + 1..];
        if rest.starts_with('{') {
            rest = &rest[1..];
            continue;
        }
        let end = rest.find(['}', ':']).unwrap_or(rest.len());
        if rest[..end].trim() == name {
            return true;
        }
    }
    false
}

/// Ranges of string literal tokens in `node`: text inside them must never be re-indented.
pub fn multiline_string_ranges(node: &SyntaxNode) -> Vec<TextRange> {
    node.descendants_with_tokens()
        .filter_map(NodeOrToken::into_token)
        .filter(|t| {
            matches!(
                t.kind(),
                SyntaxKind::STRING | SyntaxKind::BYTE_STRING | SyntaxKind::C_STRING
            ) && t.text().contains('\n')
        })
        .map(|t| t.text_range())
        .collect()
}

/// The token at `offset` of `root`, the one that starts there when two meet
/// (`token_at_offset(..).right_biased()`). rowan's `token_at_offset` walks each level's children
/// one by one; this finds them by binary search, so asking it once per finding of a file of
/// thousands of items stays linear.
pub fn token_at(root: &SyntaxNode, offset: TextSize) -> Option<ra_ap_syntax::SyntaxToken> {
    let range = TextRange::at(offset, TextSize::from(1));
    if !root.text_range().contains_range(range) {
        return root.token_at_offset(offset).right_biased();
    }
    match root.covering_element(range) {
        NodeOrToken::Token(token) => Some(token),
        // A one-byte range always lies in one token; a node here would be an empty-token oddity.
        NodeOrToken::Node(_) => root.token_at_offset(offset).right_biased(),
    }
}

/// The attributes of `node`, outer or inner. They are its first child nodes, so the rest (a
/// file's thousands of items) is not walked: asking this of every ancestor of every finding
/// stays linear in the file.
pub fn attributes(node: &SyntaxNode) -> impl Iterator<Item = ast::Attr> {
    node.children()
        .take_while(|child| child.kind() == SyntaxKind::ATTR)
        .filter_map(ast::Attr::cast)
}

/// Whether the attributes on `node` or any item around it allow one of `lints` (clippy's names),
/// with `#[allow(..)]` or `#[expect(..)]`, including inner `#![allow(..)]` attributes.
pub fn is_allowed(node: &SyntaxNode, lints: &[&str]) -> bool {
    node.ancestors().any(|ancestor| {
        attributes(&ancestor).any(|attr| {
            let text = compact_text(attr.syntax());
            let inner = text
                .trim_start_matches('#')
                .trim_start_matches('!')
                .trim_start_matches('[');
            let Some(args) = inner
                .strip_prefix("allow(")
                .or_else(|| inner.strip_prefix("expect("))
            else {
                return false;
            };
            lints
                .iter()
                .any(|lint| args.split([',', '(', ')', ']']).any(|w| w == *lint))
        })
    })
}

/// A node's text without whitespace and comments: `self . cache`, `self // note\n .cache` and
/// `self.cache` name the same lock.
pub fn compact_text(node: &SyntaxNode) -> String {
    let mut text = String::new();
    for token in node
        .descendants_with_tokens()
        .filter_map(|e| e.into_token())
        .filter(|t| !t.kind().is_trivia())
    {
        text.extend(token.text().chars().filter(|c| !c.is_whitespace()));
    }
    text
}

/// The start of the line containing `offset`.
pub fn line_start(text: &str, offset: usize) -> usize {
    text[..offset].rfind('\n').map_or(0, |i| i + 1)
}

/// The whitespace that starts the line containing `offset`.
pub fn line_indent(text: &str, offset: usize) -> &str {
    let start = line_start(text, offset);
    let line = &text[start..];
    let len = line.len() - line.trim_start_matches([' ', '\t']).len();
    &line[..len]
}

/// The line ending this file uses.
pub fn eol(text: &str) -> &'static str {
    if text.contains("\r\n") { "\r\n" } else { "\n" }
}

/// One level of indentation as this block writes it: the difference between the indentation of
/// its statements and of the line that opens it. Falls back to tabs when the file indents with
/// tabs, else four spaces.
pub fn indent_unit(text: &str, list: &ast::StmtList) -> String {
    let outer = list
        .l_curly_token()
        .map(|t| line_indent(text, usize::from(t.text_range().start())));
    let inner = block_items(list)
        .first()
        .map(|i| line_indent(text, usize::from(i.text_range().start())));
    if let (Some(outer), Some(inner)) = (outer, inner)
        && inner.len() > outer.len()
        && inner.starts_with(outer)
    {
        return inner[outer.len()..].to_string();
    }
    if text.lines().any(|l| l.starts_with('\t')) {
        "\t".to_string()
    } else {
        "    ".to_string()
    }
}

/// `text` (which starts at `offset` in the file) with `add` inserted at the start of every line
/// after the first, except empty lines and lines that begin inside a string literal.
pub fn reindent(text: &str, offset: usize, add: &str, strings: &[TextRange]) -> String {
    let mut out = String::with_capacity(text.len() + add.len() * 8);
    let mut chars = text.char_indices().peekable();
    while let Some((i, c)) = chars.next() {
        out.push(c);
        if c == '\n' {
            let next_is_blank = matches!(chars.peek(), None | Some((_, '\n')) | Some((_, '\r')));
            let at = TextSize::from((offset + i + 1) as u32);
            let in_string = strings.iter().any(|r| r.start() < at && at < r.end());
            if !next_is_blank && !in_string {
                out.push_str(add);
            }
        }
    }
    out
}

/// End of `node` extended over a comment that follows it on the same line (`foo(); // why`), so
/// that moving the statement carries its comment along.
pub fn end_with_trailing_comment(node: &SyntaxNode) -> usize {
    let mut end = node.text_range().end();
    let mut next = node.next_sibling_or_token();
    while let Some(element) = next {
        match &element {
            NodeOrToken::Token(t)
                if t.kind() == SyntaxKind::WHITESPACE && !t.text().contains('\n') => {}
            NodeOrToken::Token(t) if t.kind() == SyntaxKind::COMMENT => {
                if ast::Comment::cast(t.clone()).is_some_and(|c| c.kind().shape.is_line()) {
                    end = t.text_range().end();
                }
                break;
            }
            _ => break,
        }
        next = element.next_sibling_or_token();
    }
    usize::from(end)
}

/// Strip parentheses, references and dereferences: `&*(self.cache)` → `self.cache`.
pub fn strip_wrappers(expr: &ast::Expr) -> ast::Expr {
    let mut current = expr.clone();
    loop {
        current = match &current {
            ast::Expr::ParenExpr(p) => match p.expr() {
                Some(e) => e,
                None => return current,
            },
            ast::Expr::RefExpr(r) => match r.expr() {
                Some(e) => e,
                None => return current,
            },
            ast::Expr::PrefixExpr(p) if p.op_kind() == Some(ast::UnaryOp::Deref) => {
                match p.expr() {
                    Some(e) => e,
                    None => return current,
                }
            }
            _ => return current,
        }
    }
}

/// Every identifier in `node` that could name a local (not a field or method after `.`, nor a path
/// item after `::`): a generated binding must not capture or shadow any of them.
pub fn identifiers(node: &SyntaxNode) -> std::collections::HashSet<String> {
    node.descendants_with_tokens()
        .filter_map(NodeOrToken::into_token)
        .filter(|t| t.kind() == SyntaxKind::IDENT)
        .filter(|t| {
            !matches!(
                previous_non_trivia(t).map(|p| p.kind()),
                Some(SyntaxKind::DOT | SyntaxKind::COLON2)
            )
        })
        .map(|t| t.text().to_string())
        .collect()
}

/// `base`, or `base_2`, `base_3`… whichever is not taken.
pub fn fresh_name(base: &str, taken: &std::collections::HashSet<String>) -> String {
    if !taken.contains(base) {
        return base.to_string();
    }
    (2..)
        .map(|i| format!("{base}_{i}"))
        .find(|n| !taken.contains(n))
        .unwrap_or_else(|| base.to_string())
}

/// Names of functions in the file with a given name, with whether their return type is plainly
/// owned (no reference, no lifetime, no `impl Trait`): a value computed from the guard through such
/// a method can leave the guard's scope.
pub fn same_file_method_returns_owned(file: &SyntaxNode, method: &str) -> Option<bool> {
    let mut verdict = None;
    for f in file.descendants().filter_map(ast::Fn::cast) {
        if f.name().is_none_or(|n| n.text() != method) {
            continue;
        }
        verdict = Some(verdict.unwrap_or(true) && return_type_is_owned(&f));
    }
    verdict
}

/// Whether `f`'s declared return type holds no borrow: no reference, no lifetime, no `impl Trait`
/// (which may capture one) and no guard.
pub fn return_type_is_owned(f: &ast::Fn) -> bool {
    match f.ret_type().and_then(|r| r.ty()) {
        None => true,
        Some(ty) => {
            let text = ty.syntax().text().to_string();
            !(text.contains('&')
                || text.contains('\'')
                || text.starts_with("impl")
                || text.contains("Guard"))
        }
    }
}

/// `name.await` somewhere in `range`: the binding holds a future, which borrows what its call
/// borrowed (`self` of an `async fn` included) until it is awaited, whatever the declared return
/// type of a same-named function says (rust-socketio: `let fut = lock.transport().emit(..)`).
pub fn awaited_whole(root: &SyntaxNode, range: TextRange, name: &str) -> bool {
    mentions(root, range, name).iter().any(|m| {
        let node = match root.covering_element(*m) {
            NodeOrToken::Node(n) => n,
            NodeOrToken::Token(t) => match t.parent() {
                Some(p) => p,
                None => return false,
            },
        };
        node.ancestors()
            .find(|a| a.kind() == SyntaxKind::PATH_EXPR)
            .and_then(|p| p.parent())
            .is_some_and(|p| p.kind() == SyntaxKind::AWAIT_EXPR)
    })
}

/// A syntax range as the byte range the data model uses.
pub fn to_range(range: TextRange) -> std::ops::Range<usize> {
    usize::from(range.start())..usize::from(range.end())
}

/// One step down a method-call chain towards what it is built on: the receiver of a method call,
/// the base of a field access or index, the operand of `.await`, `?`, parentheses or a prefix
/// operator. Arguments are not followed.
pub fn receiver_step(expr: &ast::Expr) -> Option<ast::Expr> {
    match expr {
        ast::Expr::MethodCallExpr(m) => m.receiver(),
        ast::Expr::FieldExpr(f) => f.expr(),
        ast::Expr::AwaitExpr(a) => a.expr(),
        ast::Expr::TryExpr(t) => t.expr(),
        ast::Expr::ParenExpr(p) => p.expr(),
        ast::Expr::PrefixExpr(p) => p.expr(),
        ast::Expr::IndexExpr(i) => i.base(),
        _ => None,
    }
}

/// `x` of `Some(x)` / `Ok(x)`: a binding that takes the whole wrapped value by value (no `ref`,
/// no `@` sub-pattern). Matched against a guard's `Option`/`LockResult`, `x` is the guard.
pub fn whole_value_binding(pat: &ast::Pat) -> Option<String> {
    let ast::Pat::TupleStructPat(tuple) = pat else {
        return None;
    };
    let variant = tuple.path()?.segment()?.name_ref()?;
    if !matches!(variant.text().to_string().as_str(), "Some" | "Ok") {
        return None;
    }
    let mut fields = tuple.fields();
    let (Some(ast::Pat::IdentPat(binding)), None) = (fields.next(), fields.next()) else {
        return None;
    };
    (binding.ref_token().is_none() && binding.pat().is_none()).then(|| ident_name(&binding))
}

/// For an expression that is the scrutinee of a `match` or an `if let`, each arm (or the `if
/// let`'s first branch) whose pattern binds the whole value (`Some(x)`): the name and the arm's
/// body.
pub fn whole_value_arms(scrutinee: &ast::Expr) -> Vec<(String, SyntaxNode)> {
    let Some(parent) = scrutinee.syntax().parent() else {
        return Vec::new();
    };
    if let Some(m) = ast::MatchExpr::cast(parent.clone()) {
        return m
            .match_arm_list()
            .into_iter()
            .flat_map(|list| list.arms())
            .filter_map(|arm| {
                Some((
                    whole_value_binding(&arm.pat()?)?,
                    arm.expr()?.syntax().clone(),
                ))
            })
            .collect();
    }
    let Some(let_expr) = ast::LetExpr::cast(parent) else {
        return Vec::new();
    };
    let branch = let_expr
        .syntax()
        .parent()
        .and_then(ast::IfExpr::cast)
        .and_then(|i| i.then_branch());
    match (let_expr.pat().and_then(|p| whole_value_binding(&p)), branch) {
        (Some(name), Some(branch)) => vec![(name, branch.syntax().clone())],
        _ => Vec::new(),
    }
}

/// For a node that binds names from a value — a `let`, a `for` loop, an `if let`/`while let`, a
/// `match` arm (whose bindings come from the `match`'s scrutinee) — its pattern and that value;
/// `None` for any other node, or one with a part missing.
pub fn binding_source(node: &SyntaxNode) -> Option<(ast::Pat, ast::Expr)> {
    let (pat, source) = if let Some(stmt) = ast::LetStmt::cast(node.clone()) {
        (stmt.pat(), stmt.initializer())
    } else if let Some(for_expr) = ast::ForExpr::cast(node.clone()) {
        (for_expr.pat(), for_expr.iterable())
    } else if let Some(let_expr) = ast::LetExpr::cast(node.clone()) {
        (let_expr.pat(), let_expr.expr())
    } else if let Some(arm) = ast::MatchArm::cast(node.clone()) {
        let scrutinee = arm
            .syntax()
            .ancestors()
            .find_map(ast::MatchExpr::cast)
            .and_then(|m| m.expr());
        (arm.pat(), scrutinee)
    } else {
        return None;
    };
    Some((pat?, source?))
}

/// Whether a loop or a closure lies between `node` and its ancestor `outer`: code at `node` may run
/// more than once, or later (a `drop` there could move a value twice, or into the closure).
pub fn repeats_between(node: &SyntaxNode, outer: &SyntaxNode) -> bool {
    node.ancestors().take_while(|a| a != outer).any(|a| {
        matches!(
            a.kind(),
            SyntaxKind::LOOP_EXPR
                | SyntaxKind::WHILE_EXPR
                | SyntaxKind::FOR_EXPR
                | SyntaxKind::CLOSURE_EXPR
        )
    })
}

/// How the mention of a local at `range` is used.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum MentionUse {
    /// `x.field`
    FieldOwner,
    /// `x.method(..)`
    Receiver,
    /// A token of a macro call's arguments.
    InMacro,
    /// Anything else: an argument, an operand, a `*x`, a `&x`…
    Other,
}

pub fn mention_use(root: &SyntaxNode, range: TextRange) -> MentionUse {
    let element = root.covering_element(range);
    let Some(path) = element.ancestors().find_map(ast::PathExpr::cast) else {
        return if element
            .ancestors()
            .any(|a| a.kind() == SyntaxKind::MACRO_CALL)
        {
            MentionUse::InMacro
        } else {
            MentionUse::Other
        };
    };
    match path.syntax().parent().and_then(ast::Expr::cast) {
        Some(ast::Expr::FieldExpr(_)) => MentionUse::FieldOwner,
        Some(ast::Expr::MethodCallExpr(call))
            if call.receiver().is_some_and(|r| r.syntax() == path.syntax()) =>
        {
            MentionUse::Receiver
        }
        _ => MentionUse::Other,
    }
}
