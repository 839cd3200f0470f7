//! Seed 002's "std→tokio swap": replace ONE `std::sync` (or parking_lot) `Mutex`/`RwLock` with
//! `tokio::sync`'s, across every file of the crate that declares, constructs or locks it.
//!
//! ```text
//! struct Manager { contexts: RwLock<Map> }        struct Manager { contexts: tokio::sync::RwLock<Map> }
//! Manager { contexts: RwLock::new(m) }      =>    Manager { contexts: tokio::sync::RwLock::new(m) }
//! self.contexts.read().unwrap()                   self.contexts.read().await
//! if let Ok(mut c) = self.contexts.write() {      {
//!     c.insert(k, v);                                 let mut c = self.contexts.write().await;
//! } else { poisoned() }                               c.insert(k, v);
//!                                                 }
//! ```
//!
//! rust-analyzer finds the declaration and every reference; this module only plans text edits
//! from them. Any reference whose shape it cannot rewrite faithfully makes the whole swap
//! unavailable (a half-swapped lock does not compile), with one sentence saying where and why.
//! Synchronous functions keep working through `blocking_lock()`/`blocking_read()`/
//! `blocking_write()`, which panic inside a runtime: the caller (rust-analyzer) follows every such
//! function to all its callers, transitively, across the crate's library, binaries, examples,
//! tests and benches, and when async code reaches one the swap is refused with the route it
//! found. The remaining blocking sites are listed in the fix's caveats.

use ra_ap_syntax::{
    AstNode, Edition, NodeOrToken, SourceFile, SyntaxKind, SyntaxNode, SyntaxToken, TextRange,
    ast::{self, HasArgList, HasAttrs, HasName, HasVisibility},
};

use crate::analysis::syntax;
use crate::model::TextEdit;

/// One file of the crate, as rust-analyzer's caller read it.
pub struct SwapFile<'a> {
    /// Shown in the reasons a swap is refused (`src/manager.rs:12`).
    pub path: &'a str,
    pub text: &'a str,
    pub edition: Edition,
}

/// A range in one of the request's files.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Site {
    pub file: usize,
    pub range: TextRange,
}

pub struct SwapRequest<'a> {
    pub files: &'a [SwapFile<'a>],
    /// The declared type of the lock: the `ast::Type` node of a struct field, static or let
    /// (`RwLock<String>`, `Arc<RwLock<Option<String>>>`, `std::sync::Mutex<u8>`).
    pub declaration: Site,
    /// "Mutex" or "RwLock": the std/parking_lot type being replaced.
    pub lock_type: &'a str,
    /// Every reference to the field / static / local: the range of the name at the use (the
    /// `NameRef` in `self.contexts`, in a record literal `Foo { contexts: .. }`, or a path).
    pub references: Vec<Site>,
    /// Non-async functions that async code reaches, directly or through other sync functions.
    pub called_from_async: Vec<AsyncCaller>,
}

/// A synchronous function that async code reaches.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct AsyncCaller {
    /// The function's name (`ast::Fn` name range).
    pub site: Site,
    /// How async code reaches it, for the refusal: "`run` (examples/demo.rs:12) → `outer`
    /// (src/lib.rs:30)", the async end first; empty when it is called from async code directly.
    pub route: String,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SwapPlan {
    /// Edits per file index, sorted, non-overlapping; files without edits are left out.
    pub edits: Vec<(usize, Vec<TextEdit>)>,
    /// Call sites rewritten to `blocking_lock()`/`blocking_read()`/`blocking_write()` (they panic
    /// inside a runtime): listed in the fix note.
    pub blocking_sites: Vec<Site>,
}

/// Plan the swap, or say in one sentence why it is not offered.
pub fn plan_swap(request: &SwapRequest<'_>) -> Result<SwapPlan, String> {
    if !matches!(request.lock_type, "Mutex" | "RwLock") {
        return Err(format!(
            "only `Mutex` and `RwLock` have a tokio counterpart, not `{}`",
            request.lock_type
        ));
    }
    let roots: Vec<SyntaxNode> = request
        .files
        .iter()
        .map(|f| SourceFile::parse(f.text, f.edition).tree().syntax().clone())
        .collect();
    let mut planner = Planner {
        request,
        roots: &roots,
        edits: vec![Vec::new(); request.files.len()],
        type_paths: Vec::new(),
        blocking_sites: Vec::new(),
        poisoning: true,
    };
    planner.declaration()?;
    for reference in &request.references {
        planner.reference(*reference)?;
    }
    planner.type_path_edits();
    planner.finish()
}

/// Collects the edits while the references are classified.
struct Planner<'r, 'a> {
    request: &'r SwapRequest<'a>,
    roots: &'r [SyntaxNode],
    edits: Vec<Vec<TextEdit>>,
    /// Mentions of the std lock type that become tokio's (`RwLock` in `Arc<RwLock<T>>`,
    /// `std::sync::RwLock` in `std::sync::RwLock::new`): the text to write depends on whether
    /// the file's import can be rewritten, which is known once all of them are collected.
    type_paths: Vec<Site>,
    blocking_sites: Vec<Site>,
    /// std's locks return a `LockResult` to unwrap; parking_lot's return the guard directly.
    poisoning: bool,
}

impl Planner<'_, '_> {
    fn text(&self, file: usize) -> &str {
        self.request.files[file].text
    }

    /// `path:line` of an offset, for the reasons a swap is refused.
    fn location(&self, file: usize, offset: usize) -> String {
        let text = self.text(file);
        let line = text[..offset.min(text.len())].matches('\n').count() + 1;
        format!("{}:{line}", self.request.files[file].path)
    }

    fn refuse(&self, file: usize, node: &SyntaxNode, why: &str) -> String {
        let at = self.location(file, usize::from(node.text_range().start()));
        format!("{why} at {at}")
    }

    fn edit(&mut self, file: usize, range: TextRange, replacement: impl Into<String>) {
        self.edits[file].push(TextEdit {
            range: syntax::to_range(range),
            replacement: replacement.into(),
        });
    }

    fn file_of(&self, site: Site) -> Result<&SyntaxNode, String> {
        self.roots
            .get(site.file)
            .filter(|root| root.text_range().contains_range(site.range))
            .ok_or_else(|| format!("rust-analyzer gave a location outside the files: {site:?}"))
    }

    /// The declared type: its lock path, and the initializer of a static or `let`.
    fn declaration(&mut self) -> Result<(), String> {
        let site = self.request.declaration;
        let root = self.file_of(site)?.clone();
        let ty = covering_node(&root, site.range)
            .and_then(|n| n.ancestors().find_map(ast::Type::cast))
            .ok_or_else(|| self.refuse(site.file, &root, "the declaration is not a type"))?;
        let lock = lock_path_in_type(&ty, self.request.lock_type).ok_or_else(|| {
            self.refuse(
                site.file,
                ty.syntax(),
                &format!(
                    "the declared type `{}` has no `{}`",
                    ty.syntax(),
                    self.request.lock_type
                ),
            )
        })?;
        self.poisoning = !is_parking_lot(&root, &lock, self.request.lock_type);
        self.type_paths.push(Site {
            file: site.file,
            range: path_up_to_name(&lock),
        });
        let owner = ty.syntax().parent();
        if let Some(stmt) = owner.clone().and_then(ast::Static::cast) {
            // tokio's `new` is not `const`: a static needs `const_new`.
            return match stmt.body() {
                Some(init) => self.constructor(site.file, &init, "the static", true),
                None => Ok(()),
            };
        }
        match owner
            .and_then(ast::LetStmt::cast)
            .and_then(|s| s.initializer())
        {
            Some(init) => self.constructor(site.file, &init, "the local", false),
            // A field: constructed where a struct literal names it (a reference).
            None => Ok(()),
        }
    }

    fn reference(&mut self, site: Site) -> Result<(), String> {
        let root = self.file_of(site)?.clone();
        let Some(name_ref) = covering_node(&root, site.range)
            .and_then(|n| n.ancestors().find_map(ast::NameRef::cast))
        else {
            // The definition itself, or a mention rust-analyzer counts that has no name to follow.
            return Ok(());
        };
        let name = name_ref.text().to_string();
        let parent = name_ref
            .syntax()
            .parent()
            .ok_or_else(|| self.refuse(site.file, name_ref.syntax(), "a detached reference"))?;

        if let Some(field) = ast::RecordExprField::cast(parent.clone()) {
            return match field.expr() {
                Some(init) if field.name_ref().as_ref() == Some(&name_ref) => {
                    self.constructor(site.file, &init, &name, false)
                }
                _ => Err(self.refuse(
                    site.file,
                    field.syntax(),
                    &format!("cannot find the constructor of `{name}` (shorthand field)"),
                )),
            };
        }
        let place = if let Some(field) = ast::FieldExpr::cast(parent.clone()) {
            ast::Expr::FieldExpr(field)
        } else {
            let path_expr = parent
                .ancestors()
                .find_map(ast::PathExpr::cast)
                .filter(|p| p.path().and_then(|p| p.segment()) == ast::PathSegment::cast(parent));
            match path_expr {
                Some(p) => ast::Expr::PathExpr(p),
                None => {
                    return Err(self.refuse(
                        site.file,
                        name_ref.syntax(),
                        &format!("`{name}` is used in a way the swap cannot rewrite"),
                    ));
                }
            }
        };
        let shorthand = place
            .syntax()
            .parent()
            .and_then(ast::RecordExprField::cast)
            .is_some_and(|f| f.name_ref().is_none());
        if shorthand {
            // `S { m }`: the lock was built somewhere else, under a local's name.
            return Err(self.refuse(
                site.file,
                place.syntax(),
                &format!("cannot find the constructor of `{name}` (shorthand field)"),
            ));
        }
        if let Some(value) = assigned_value(&place) {
            return self.constructor(site.file, &value, &name, false);
        }
        self.use_site(site.file, &place, &name)
    }

    /// Rewrite the lock path of the constructor `init` (`RwLock::new(..)`, also inside
    /// `Arc::new(..)`); `Default::default()` and unqualified `RwLock::default()` follow the type.
    fn constructor(
        &mut self,
        file: usize,
        init: &ast::Expr,
        name: &str,
        in_static: bool,
    ) -> Result<(), String> {
        let lock_type = self.request.lock_type;
        let cannot = |this: &Self| {
            this.refuse(
                file,
                init.syntax(),
                &format!("cannot find the constructor of `{name}`"),
            )
        };
        let Some((callee, args)) = path_call(init) else {
            return Err(cannot(self));
        };
        let segments = path_segment_names(&callee);
        let function = segments.last().map(String::as_str);
        let owner = segments.len().checked_sub(2).map(|i| segments[i].as_str());
        match (owner, function) {
            (Some("Default"), Some("default")) => Ok(()),
            (Some(t), Some("new" | "default" | "from")) if t == lock_type => {
                let qualifier = callee.qualifier().ok_or_else(|| cannot(self))?;
                self.type_paths.push(Site {
                    file,
                    range: path_up_to_name(&qualifier),
                });
                let function_name = callee.segment().and_then(|s| s.name_ref());
                if let (true, Some("new"), Some(function_name)) =
                    (in_static, function, function_name)
                {
                    self.edit(file, function_name.syntax().text_range(), "const_new");
                }
                Ok(())
            }
            (Some("Arc" | "Rc"), Some("new")) if args.len() == 1 => {
                self.constructor(file, &args[0], name, in_static)
            }
            (Some("Arc" | "Rc"), Some("default")) => Ok(()),
            _ => Err(cannot(self)),
        }
    }

    /// A reference that is locked, read or unwrapped: `place.method()`.
    fn use_site(&mut self, file: usize, place: &ast::Expr, name: &str) -> Result<(), String> {
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
        let caller = name.as_ref().and_then(|n| {
            let site = Site {
                file,
                range: n.syntax().text_range(),
            };
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
            return Err(self.refuse(file, node, &why));
        }
        Ok(Context::Sync)
    }

    /// Write the collected type paths: unqualified where the file's import can be rewritten,
    /// `tokio::sync::X` elsewhere.
    fn type_path_edits(&mut self) {
        let mut files: Vec<usize> = self.type_paths.iter().map(|s| s.file).collect();
        files.sort_unstable();
        files.dedup();
        let lock_type = self.request.lock_type;
        for file in files {
            let rewritten: Vec<TextRange> = self
                .type_paths
                .iter()
                .filter(|s| s.file == file)
                .map(|s| s.range)
                .collect();
            let root = self.roots[file].clone();
            let import = import_rewrite(&root, self.text(file), lock_type)
                .filter(|_| !std_mentions_remain(&root, lock_type, &rewritten));
            let replacement = match &import {
                Some(_) => lock_type.to_string(),
                None => format!("tokio::sync::{lock_type}"),
            };
            for range in rewritten {
                if self.text(file)[syntax::to_range(range)] != replacement {
                    self.edit(file, range, replacement.clone());
                }
            }
            for edit in import.into_iter().flatten() {
                self.edits[file].push(edit);
            }
        }
    }

    /// Sort, check and re-parse every edited file.
    fn finish(mut self) -> Result<SwapPlan, String> {
        let mut planned = Vec::new();
        for (file, mut edits) in self.edits.into_iter().enumerate() {
            if edits.is_empty() {
                continue;
            }
            edits.sort_by_key(|e| (e.range.start, e.range.end));
            edits.dedup();
            if edits.windows(2).any(|w| w[0].range.end > w[1].range.start) {
                return Err(format!(
                    "two rewrites overlap in {}",
                    self.request.files[file].path
                ));
            }
            let source = &self.request.files[file];
            let after = apply(source.text, &edits);
            let errors = |text: &str| SourceFile::parse(text, source.edition).errors().len();
            if errors(&after) > errors(source.text) {
                return Err(format!(
                    "the swap would leave {} with syntax errors",
                    source.path
                ));
            }
            planned.push((file, edits));
        }
        self.blocking_sites
            .sort_by_key(|s| (s.file, s.range.start()));
        Ok(SwapPlan {
            edits: planned,
            blocking_sites: self.blocking_sites,
        })
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

/// `text` with sorted, non-overlapping `edits` applied.
pub fn apply(text: &str, edits: &[TextEdit]) -> String {
    let mut out = String::with_capacity(text.len());
    let mut at = 0;
    for edit in edits {
        out.push_str(&text[at..edit.range.start]);
        out.push_str(&edit.replacement);
        at = edit.range.end;
    }
    out.push_str(&text[at..]);
    out
}

fn covering_node(root: &SyntaxNode, range: TextRange) -> Option<SyntaxNode> {
    match root.covering_element(range) {
        NodeOrToken::Node(n) => Some(n),
        NodeOrToken::Token(t) => t.parent(),
    }
}

/// The outermost path in `ty` whose last segment is the lock type: `RwLock<T>` in `Arc<RwLock<T>>`.
fn lock_path_in_type(ty: &ast::Type, lock_type: &str) -> Option<ast::Path> {
    ty.syntax()
        .descendants()
        .filter_map(ast::PathType::cast)
        .filter_map(|p| p.path())
        .find(|p| last_segment_name(p).as_deref() == Some(lock_type))
}

fn last_segment_name(path: &ast::Path) -> Option<String> {
    Some(path.segment()?.name_ref()?.text().to_string())
}

fn path_segment_names(path: &ast::Path) -> Vec<String> {
    path.segments()
        .filter_map(|s| s.name_ref().map(|n| n.text().to_string()))
        .collect()
}

/// The range of a path without the generic arguments of its last segment: `std::sync::RwLock`
/// in `std::sync::RwLock<T>`, the part the swap replaces.
fn path_up_to_name(path: &ast::Path) -> TextRange {
    let end = path
        .segment()
        .and_then(|s| s.name_ref())
        .map_or(path.syntax().text_range().end(), |n| {
            n.syntax().text_range().end()
        });
    TextRange::new(path.syntax().text_range().start(), end)
}

/// `path(args)`: the callee path and the arguments of a call through a path.
fn path_call(expr: &ast::Expr) -> Option<(ast::Path, Vec<ast::Expr>)> {
    let ast::Expr::CallExpr(call) = syntax::strip_wrappers(expr) else {
        return None;
    };
    let ast::Expr::PathExpr(callee) = call.expr()? else {
        return None;
    };
    Some((callee.path()?, call.arg_list()?.args().collect()))
}

/// The value assigned to `place` when it is the left side of `place = value`.
fn assigned_value(place: &ast::Expr) -> Option<ast::Expr> {
    let assignment = ast::BinExpr::cast(place.syntax().parent()?)?;
    let is_plain_assignment = matches!(
        assignment.op_kind(),
        Some(ast::BinaryOp::Assignment { op: None })
    );
    if is_plain_assignment && assignment.lhs().as_ref() == Some(place) {
        assignment.rhs()
    } else {
        None
    }
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

/// Whether the file still names the std lock outside `use` items once `rewritten` are replaced:
/// the unqualified name would then mean tokio's, so the import must stay and paths be qualified.
fn std_mentions_remain(root: &SyntaxNode, lock_type: &str, rewritten: &[TextRange]) -> bool {
    root.descendants_with_tokens()
        .filter_map(NodeOrToken::into_token)
        .filter(|t| t.kind() == SyntaxKind::IDENT && t.text() == lock_type)
        .filter(|t| !rewritten.iter().any(|r| r.contains_range(t.text_range())))
        .filter(|t| !t.parent_ancestors().any(|a| ast::Use::can_cast(a.kind())))
        .any(|t| names_std_lock(&t))
}

/// An identifier `Mutex` that may name the std lock: not a field or method (`.Mutex`), and not a
/// path already qualified with something other than `std::sync` / `parking_lot`.
fn names_std_lock(token: &SyntaxToken) -> bool {
    let Some(segment) = token.parent_ancestors().find_map(ast::PathSegment::cast) else {
        // In a macro's token tree: assume the worst.
        return true;
    };
    let Some(path) = segment.parent_path().qualifier() else {
        return true;
    };
    let qualifier = syntax::compact_text(path.syntax());
    matches!(
        qualifier.trim_start_matches("::"),
        "std::sync" | "parking_lot"
    )
}

/// Edits that import the lock from tokio instead of std: the name leaves the std `use` (braces
/// around one remaining name go too) and `use tokio::sync::X;` follows it. `None` when the file
/// does not import it exactly once by a plain path.
fn import_rewrite(root: &SyntaxNode, text: &str, lock_type: &str) -> Option<Vec<TextEdit>> {
    let mut imports = root
        .descendants()
        .filter_map(ast::UseTree::cast)
        .filter(|tree| imports_std_lock(tree, lock_type));
    let tree = imports.next()?;
    if imports.next().is_some() {
        return None;
    }
    let item = tree.syntax().ancestors().find_map(ast::Use::cast)?;
    if item.attrs().next().is_some() {
        return None;
    }
    let tokio_path = format!("tokio::sync::{lock_type}");
    let Some(list) = tree.syntax().parent().and_then(ast::UseTreeList::cast) else {
        // `use std::sync::RwLock;`: the whole item changes.
        return Some(vec![TextEdit {
            range: syntax::to_range(tree.path()?.syntax().text_range()),
            replacement: tokio_path,
        }]);
    };
    let removal = remove_from_list(&list, &tree)?;
    let item_end = usize::from(item.syntax().text_range().end());
    let visibility = item
        .visibility()
        .map(|v| format!("{v} "))
        .unwrap_or_default();
    let indent = syntax::line_indent(text, usize::from(item.syntax().text_range().start()));
    Some(vec![
        removal,
        TextEdit {
            range: item_end..item_end,
            replacement: format!("{}{indent}{visibility}use {tokio_path};", syntax::eol(text)),
        },
    ])
}

/// A use tree that imports the std or parking_lot lock under its own name.
fn imports_std_lock(tree: &ast::UseTree, lock_type: &str) -> bool {
    imported_path(tree, lock_type).is_some_and(|full| {
        full == format!("std::sync::{lock_type}") || full == format!("parking_lot::{lock_type}")
    })
}

/// The full path a plain use tree importing `lock_type` names, through the nesting
/// (`std::sync::RwLock` for `RwLock` in `use std::{sync::{Arc, RwLock}}`).
fn imported_path(tree: &ast::UseTree, lock_type: &str) -> Option<String> {
    if tree.use_tree_list().is_some() || tree.star_token().is_some() || tree.rename().is_some() {
        return None;
    }
    let path = tree.path()?;
    if last_segment_name(&path).as_deref() != Some(lock_type) {
        return None;
    }
    let mut full = syntax::compact_text(path.syntax());
    for outer in tree
        .syntax()
        .ancestors()
        .skip(1)
        .filter_map(ast::UseTree::cast)
    {
        if let Some(prefix) = outer.path() {
            full = format!("{}::{full}", syntax::compact_text(prefix.syntax()));
        }
    }
    Some(full.trim_start_matches("::").to_string())
}

/// Whether the declared lock is parking_lot's: written with its path, or imported from it.
fn is_parking_lot(root: &SyntaxNode, lock: &ast::Path, lock_type: &str) -> bool {
    if let Some(qualifier) = lock.qualifier() {
        return syntax::compact_text(qualifier.syntax())
            .trim_start_matches("::")
            .starts_with("parking_lot");
    }
    root.descendants()
        .filter_map(ast::UseTree::cast)
        .filter_map(|tree| imported_path(&tree, lock_type))
        .any(|full| full == format!("parking_lot::{lock_type}"))
}

/// Remove `tree` from `list`: `{Arc, RwLock}` → `Arc`, `{Arc, RwLock, Mutex}` → `{Arc, Mutex}`.
fn remove_from_list(list: &ast::UseTreeList, tree: &ast::UseTree) -> Option<TextEdit> {
    let trees: Vec<ast::UseTree> = list.use_trees().collect();
    let others: Vec<&ast::UseTree> = trees.iter().filter(|t| *t != tree).collect();
    match others.as_slice() {
        [] => None,
        [only] if only.syntax().text() != "self" => Some(TextEdit {
            range: syntax::to_range(list.syntax().text_range()),
            replacement: only.syntax().to_string(),
        }),
        _ => {
            let index = trees.iter().position(|t| t == tree)?;
            let start = usize::from(tree.syntax().text_range().start());
            let end = usize::from(tree.syntax().text_range().end());
            // Take the comma after the tree (and the space up to the next one), or before the
            // last one.
            let range = if let Some(next) = trees.get(index + 1) {
                start..usize::from(next.syntax().text_range().start())
            } else {
                let previous = trees.get(index.checked_sub(1)?)?;
                usize::from(previous.syntax().text_range().end())..end
            };
            Some(TextEdit {
                range,
                replacement: String::new(),
            })
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// One test file: its path and text.
    type Source<'a> = (&'a str, &'a str);

    /// The range of `name` inside each occurrence of `context` in `text`.
    fn every(text: &str, context: &str, name: &str) -> Vec<TextRange> {
        let inner = context.find(name).expect("the name is inside its context");
        let found: Vec<TextRange> = text
            .match_indices(context)
            .map(|(start, _)| {
                let start = (start + inner) as u32;
                TextRange::new(start.into(), (start + name.len() as u32).into())
            })
            .collect();
        assert!(!found.is_empty(), "`{context}` is not in the text");
        found
    }

    /// Where: file index, a context that occurs in it, and the name inside that context.
    type Marker<'a> = (usize, &'a str, &'a str);

    fn sites(sources: &[Source<'_>], markers: &[Marker<'_>]) -> Vec<Site> {
        markers
            .iter()
            .flat_map(|&(file, context, name)| {
                every(sources[file].1, context, name)
                    .into_iter()
                    .map(move |range| Site { file, range })
            })
            .collect()
    }

    /// Plan the swap and apply it: every file's text afterwards, and the blocking sites.
    fn swap(
        sources: &[Source<'_>],
        lock_type: &str,
        declaration: Marker<'_>,
        references: &[Marker<'_>],
        called_from_async: &[Marker<'_>],
    ) -> Result<(Vec<String>, Vec<Site>), String> {
        let files: Vec<SwapFile<'_>> = sources
            .iter()
            .map(|&(path, text)| SwapFile {
                path,
                text,
                edition: Edition::Edition2021,
            })
            .collect();
        let request = SwapRequest {
            files: &files,
            declaration: sites(sources, &[declaration])[0],
            lock_type,
            references: sites(sources, references),
            called_from_async: sites(sources, called_from_async)
                .into_iter()
                .map(|site| AsyncCaller {
                    site,
                    route: String::new(),
                })
                .collect(),
        };
        let plan = plan_swap(&request)?;
        let mut out: Vec<String> = sources.iter().map(|s| s.1.to_string()).collect();
        for (file, edits) in &plan.edits {
            out[*file] = apply(sources[*file].1, edits);
        }
        Ok((out, plan.blocking_sites))
    }

    #[test]
    fn field_and_struct_literal_in_another_file_with_imports_rewritten() {
        let state = "\
use std::collections::HashMap;
use std::sync::{Arc, RwLock};

pub struct Manager {
    pub contexts: RwLock<HashMap<String, u32>>,
    pub shared: Arc<u8>,
}

impl Manager {
    pub async fn get(&self, id: &str) -> Option<u32> {
        self.contexts.read().unwrap().get(id).copied()
    }
}
";
        let build = "\
use std::sync::{Arc, RwLock};

use crate::state::Manager;

pub fn build() -> Manager {
    Manager {
        contexts: RwLock::new(HashMap::new()),
        shared: Arc::new(0),
    }
}
";
        let sources = [("src/state.rs", state), ("src/build.rs", build)];
        let (out, blocking) = swap(
            &sources,
            "RwLock",
            (
                0,
                "RwLock<HashMap<String, u32>>",
                "RwLock<HashMap<String, u32>>",
            ),
            &[(0, ".contexts.", "contexts"), (1, "contexts:", "contexts")],
            &[],
        )
        .expect("the swap is offered");
        assert_eq!(
            out[0],
            "\
use std::collections::HashMap;
use std::sync::Arc;
use tokio::sync::RwLock;

pub struct Manager {
    pub contexts: RwLock<HashMap<String, u32>>,
    pub shared: Arc<u8>,
}

impl Manager {
    pub async fn get(&self, id: &str) -> Option<u32> {
        self.contexts.read().await.get(id).copied()
    }
}
"
        );
        assert_eq!(
            out[1],
            "\
use std::sync::Arc;
use tokio::sync::RwLock;

use crate::state::Manager;

pub fn build() -> Manager {
    Manager {
        contexts: RwLock::new(HashMap::new()),
        shared: Arc::new(0),
    }
}
"
        );
        assert!(blocking.is_empty());
    }

    #[test]
    fn async_unwrap_shapes_await_and_another_std_lock_keeps_the_import() {
        let src = "\
use std::sync::RwLock;

pub struct S {
    a: RwLock<u8>,
    b: RwLock<u8>,
}

async fn shapes(s: &S) -> Result<u8, String> {
    let x = *s.a.read().unwrap();
    *s.a.write().expect(\"poisoned\") += 1;
    let y = *s.a
        .read()
        .map_err(|e| e.to_string())?;
    let z = *s.a.read().unwrap_or_else(|e| e.into_inner());
    if let Ok(g) = s.a.try_read() {
        drop(g);
    }
    Ok(x + y + z + *s.b.read().unwrap())
}

fn reset(s: &mut S) {
    *s.a.get_mut().unwrap() = 0;
}

fn take(s: S) -> u8 {
    s.a.into_inner().expect(\"poisoned\")
}

fn make() -> S {
    S { a: RwLock::new(0), b: RwLock::new(0) }
}
";
        let (out, blocking) = swap(
            &[("src/s.rs", src)],
            "RwLock",
            (0, "a: RwLock<u8>", "RwLock<u8>"),
            &[(0, "s.a", "a"), (0, "S { a:", "a")],
            &[],
        )
        .expect("the swap is offered");
        assert_eq!(
            out[0],
            "\
use std::sync::RwLock;

pub struct S {
    a: tokio::sync::RwLock<u8>,
    b: RwLock<u8>,
}

async fn shapes(s: &S) -> Result<u8, String> {
    let x = *s.a.read().await;
    *s.a.write().await += 1;
    let y = *s.a
        .read().await;
    let z = *s.a.read().await;
    if let Ok(g) = s.a.try_read() {
        drop(g);
    }
    Ok(x + y + z + *s.b.read().unwrap())
}

fn reset(s: &mut S) {
    *s.a.get_mut() = 0;
}

fn take(s: S) -> u8 {
    s.a.into_inner()
}

fn make() -> S {
    S { a: tokio::sync::RwLock::new(0), b: RwLock::new(0) }
}
"
        );
        assert!(blocking.is_empty());
    }

    #[test]
    fn if_let_ok_becomes_a_block_and_arc_new_is_looked_into() {
        let src = "\
use std::sync::{Arc, RwLock};

pub struct Tracker {
    active: Arc<RwLock<Option<String>>>,
}

impl Tracker {
    pub fn new() -> Self {
        Self {
            active: Arc::new(RwLock::new(None)),
        }
    }

    pub async fn update(&self, id: &str) -> Result<(), String> {
        if let Ok(mut active) = self.active.write() {
            // Replace the active id
            *active = Some(id.to_string());

            save(id).await;
            Ok(())
        } else {
            Err(\"poisoned\".to_string())
        }
    }

    pub fn spawn_tick(self: Arc<Self>) {
        tokio::spawn(async move {
            if let Ok(_) = self.active.read() { tick().await; }
        });
    }
}
";
        let (out, blocking) = swap(
            &[("src/tracker.rs", src)],
            "RwLock",
            (
                0,
                "Arc<RwLock<Option<String>>>",
                "Arc<RwLock<Option<String>>>",
            ),
            &[(0, ".active.", "active"), (0, "active: Arc::new", "active")],
            &[],
        )
        .expect("the swap is offered");
        assert_eq!(
            out[0],
            "\
use std::sync::Arc;
use tokio::sync::RwLock;

pub struct Tracker {
    active: Arc<RwLock<Option<String>>>,
}

impl Tracker {
    pub fn new() -> Self {
        Self {
            active: Arc::new(RwLock::new(None)),
        }
    }

    pub async fn update(&self, id: &str) -> Result<(), String> {
        {
            let mut active = self.active.write().await;
            // Replace the active id
            *active = Some(id.to_string());

            save(id).await;
            Ok(())
        }
    }

    pub fn spawn_tick(self: Arc<Self>) {
        tokio::spawn(async move {
            { let _guard = self.active.read().await; tick().await; }
        });
    }
}
"
        );
        assert!(blocking.is_empty());
    }

    const CACHE: &str = "\
use std::sync::Mutex;

pub struct Cache {
    hits: Mutex<u64>,
}

impl Cache {
    pub fn record(&self) {
        *self.hits.lock().unwrap() += 1;
    }

    pub fn reset(&self) {
        if let Ok(mut hits) = self.hits.lock() {
            *hits = 0;
        }
    }

    pub async fn hits(&self) -> u64 {
        *self.hits.lock().unwrap()
    }
}
";

    #[test]
    fn sync_use_sites_block_and_are_reported() {
        let (out, blocking) = swap(
            &[("src/cache.rs", CACHE)],
            "Mutex",
            (0, "Mutex<u64>", "Mutex<u64>"),
            &[(0, ".hits.", "hits")],
            &[],
        )
        .expect("the swap is offered");
        assert_eq!(
            out[0],
            "\
use tokio::sync::Mutex;

pub struct Cache {
    hits: Mutex<u64>,
}

impl Cache {
    pub fn record(&self) {
        *self.hits.blocking_lock() += 1;
    }

    pub fn reset(&self) {
        {
            let mut hits = self.hits.blocking_lock();
            *hits = 0;
        }
    }

    pub async fn hits(&self) -> u64 {
        *self.hits.lock().await
    }
}
"
        );
        let lines: Vec<usize> = blocking
            .iter()
            .map(|s| CACHE[..usize::from(s.range.start())].matches('\n').count() + 1)
            .collect();
        assert_eq!(lines, [9, 13]);
    }

    #[test]
    fn sync_function_called_from_async_is_refused() {
        let error = swap(
            &[("src/cache.rs", CACHE)],
            "Mutex",
            (0, "Mutex<u64>", "Mutex<u64>"),
            &[(0, ".hits.", "hits")],
            &[(0, "fn record", "record")],
        )
        .expect_err("blocking_lock would panic");
        assert_eq!(
            error,
            "`record` is not async but is called from async code, where `blocking_*` would panic at src/cache.rs:9"
        );
    }

    #[test]
    fn sync_function_reached_from_async_code_through_others_is_refused_with_the_route() {
        let sources = [("src/cache.rs", CACHE)];
        let files: Vec<SwapFile<'_>> = sources
            .iter()
            .map(|&(path, text)| SwapFile {
                path,
                text,
                edition: Edition::Edition2021,
            })
            .collect();
        let request = SwapRequest {
            files: &files,
            declaration: sites(&sources, &[(0, "Mutex<u64>", "Mutex<u64>")])[0],
            lock_type: "Mutex",
            references: sites(&sources, &[(0, ".hits.", "hits")]),
            called_from_async: vec![AsyncCaller {
                site: sites(&sources, &[(0, "fn record", "record")])[0],
                route: "`run` (examples/demo.rs:7) → `tick` (src/lib.rs:12)".to_string(),
            }],
        };
        let error = plan_swap(&request).expect_err("blocking_lock would panic");
        assert_eq!(
            error,
            "`record` is not async but async code reaches it through `run` (examples/demo.rs:7) → `tick` \
             (src/lib.rs:12) → `record`, where `blocking_*` would panic at src/cache.rs:9"
        );
    }

    #[test]
    fn qualified_static_becomes_tokio_with_const_new() {
        let src = "\
static COUNTER: std::sync::Mutex<u8> = std::sync::Mutex::new(0);

async fn bump() {
    *COUNTER.lock().unwrap() += 1;
}
";
        let (out, _) = swap(
            &[("src/counter.rs", src)],
            "Mutex",
            (0, "std::sync::Mutex<u8>", "std::sync::Mutex<u8>"),
            &[(0, "COUNTER.lock", "COUNTER")],
            &[],
        )
        .expect("the swap is offered");
        assert_eq!(
            out[0],
            "\
static COUNTER: tokio::sync::Mutex<u8> = tokio::sync::Mutex::const_new(0);

async fn bump() {
    *COUNTER.lock().await += 1;
}
"
        );
    }

    #[test]
    fn parking_lot_lock_has_nothing_to_unwrap() {
        let src = "\
use parking_lot::Mutex;

struct Q { items: Mutex<Vec<u8>> }

async fn push(q: &Q) { q.items.lock().push(1); }
fn len(q: &Q) -> usize { q.items.lock().len() }
fn new_q() -> Q { Q { items: Mutex::new(Vec::new()) } }
";
        let (out, blocking) = swap(
            &[("src/q.rs", src)],
            "Mutex",
            (0, "Mutex<Vec<u8>>", "Mutex<Vec<u8>>"),
            &[(0, ".items.", "items"), (0, "items: Mutex::new", "items")],
            &[],
        )
        .expect("the swap is offered");
        assert_eq!(
            out[0],
            "\
use tokio::sync::Mutex;

struct Q { items: Mutex<Vec<u8>> }

async fn push(q: &Q) { q.items.lock().await.push(1); }
fn len(q: &Q) -> usize { q.items.blocking_lock().len() }
fn new_q() -> Q { Q { items: Mutex::new(Vec::new()) } }
"
        );
        assert_eq!(blocking.len(), 1);
    }

    #[test]
    fn crlf_and_tabs_are_kept() {
        let src = "use std::sync::{Arc, Mutex, RwLock};\r\n\r\nstruct S {\r\n\tm: Mutex<u8>,\r\n}\r\n\r\nasync fn f(s: &S) {\r\n\tif let Ok(g) = s.m.lock() {\r\n\t\tuse_it(*g); // keep\r\n\t}\r\n}\r\n";
        let (out, _) = swap(
            &[("src/crlf.rs", src)],
            "Mutex",
            (0, "Mutex<u8>", "Mutex<u8>"),
            &[(0, "s.m.", "m")],
            &[],
        )
        .expect("the swap is offered");
        assert_eq!(
            out[0],
            "use std::sync::{Arc, RwLock};\r\nuse tokio::sync::Mutex;\r\n\r\nstruct S {\r\n\tm: Mutex<u8>,\r\n}\r\n\r\nasync fn f(s: &S) {\r\n\t{\r\n\t\tlet g = s.m.lock().await;\r\n\t\tuse_it(*g); // keep\r\n\t}\r\n}\r\n"
        );
    }

    /// The reason a one-file swap of `m: Mutex<u8>` is refused, given the body of `async fn f` and
    /// where in it `m` is referenced.
    fn refused_at(body: &str, reference: &str) -> String {
        let src = format!(
            "use std::sync::Mutex;\n\nstruct S {{\n    m: Mutex<u8>,\n}}\n\nasync fn f(s: &S) {{\n{body}\n}}\n"
        );
        swap(
            &[("src/s.rs", &src)],
            "Mutex",
            (0, "Mutex<u8>", "Mutex<u8>"),
            &[(0, reference, "m")],
            &[],
        )
        .expect_err("the swap is refused")
    }

    #[test]
    fn a_function_returning_the_guard_is_refused() {
        let text = "use std::sync::{Mutex, MutexGuard};\npub struct S { m: Mutex<u8> }\nimpl S {\n    pub fn guard(&self) -> MutexGuard<'_, u8> {\n        self.m.lock().unwrap()\n    }\n}\n";
        let files = [SwapFile {
            path: "src/lib.rs",
            text,
            edition: Edition::Edition2021,
        }];
        let at = |needle: &str, len: usize| {
            let start = text.find(needle).expect("needle") as u32;
            TextRange::new(start.into(), (start + len as u32).into())
        };
        let request = SwapRequest {
            files: &files,
            declaration: Site {
                file: 0,
                range: at("Mutex<u8>", "Mutex<u8>".len()),
            },
            lock_type: "Mutex",
            references: vec![Site {
                file: 0,
                range: at("m.lock", 1),
            }],
            called_from_async: Vec::new(),
        };
        let error = plan_swap(&request).expect_err("refused");
        assert!(error.contains("the function returns the guard"), "{error}");
    }

    fn refusal(body: &str) -> String {
        refused_at(body, "s.m")
    }

    #[test]
    fn unsupported_shapes_are_refused_with_their_line() {
        assert_eq!(
            refusal("    let g = s.m.lock().ok();"),
            "the result of `.lock()` is used in a shape the swap cannot rewrite (`s.m.lock().ok()`) at src/s.rs:8"
        );
        assert_eq!(
            refusal(
                "    match s.m.lock() {\n        Ok(g) => drop(g),\n        Err(_) => {}\n    }"
            ),
            "the result of `.lock()` is used in a shape the swap cannot rewrite (`match s.m.lock() { Ok(g) => drop(g), Err…`) at src/s.rs:8"
        );
        assert_eq!(
            refusal("    take(&s.m);"),
            "`m` is used as a value (`&s.m`), not locked at src/s.rs:8"
        );
        assert_eq!(
            refusal("    let n = s.m.is_poisoned();"),
            "`m.is_poisoned()` has no tokio counterpart the swap can write at src/s.rs:8"
        );
        assert_eq!(
            refusal("    let v: Vec<u8> = (0..2).map(|_| *s.m.lock().unwrap()).collect();"),
            "a lock call inside a closure (it may run in async code or not) at src/s.rs:8"
        );
        assert_eq!(
            refused_at("    let m = Mutex::new(0);\n    let t = S { m };", "S { m"),
            "cannot find the constructor of `m` (shorthand field) at src/s.rs:9"
        );
    }
}
