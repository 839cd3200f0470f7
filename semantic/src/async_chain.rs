//! Making the swap's synchronous users async, as seed 002's maintainers did: when async code
//! reaches a synchronous function that uses the lock (where `blocking_*` would panic), that
//! function and every synchronous function that calls it, transitively, become `async fn`, and
//! every call of one of them gets `.await`.
//!
//! Only when every caller can await: a caller that is a closure, a trait method, a `const fn`, a
//! synchronous `main` or `#[test]`, a use of the function as a value, a call inside a macro other
//! than the formatting, assertion and logging ones, or a call with a guard of a lock alive across
//! it (the new `.await` would hold it: a future that is no longer `Send`, or a lock held while
//! another is awaited) leaves the chain impossible, with one sentence saying where.

use ra_ap_hir::{AsAssocItem, HasSource, Semantics};
use ra_ap_ide_db::RootDatabase;
use ra_ap_syntax::{
    AstNode, SyntaxKind, SyntaxNode, TextRange,
    ast::{self, HasAttrs, HasName},
};
use ra_ap_vfs::{FileId, Vfs};

use lockfix_transforms::analysis::LockScopes;

use crate::swap::{NameSite, Site, implements_a_trait, location, path_of, sites_naming};

/// The functions that become async and the calls that are awaited.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct AsyncChain {
    /// The name of each function that becomes `async fn`.
    pub functions: Vec<Site>,
    /// Each call expression (`self.id()` in `self.id()?`) that gets `.await` after it.
    pub awaits: Vec<Site>,
}

/// How many functions the chain may hold before it is refused (a swap this wide is no fix).
const CHAIN_LIMIT: usize = 50;

/// The chain that makes `starts` (synchronous functions async code reaches) and all their
/// synchronous callers async, or why it cannot be made.
pub(crate) fn async_chain(
    sema: &Semantics<'_, RootDatabase>,
    vfs: &Vfs,
    local: &[(FileId, SyntaxNode)],
    starts: &[ast::Fn],
) -> Result<AsyncChain, String> {
    let db = sema.db;
    let mut queue: Vec<ra_ap_hir::Function> = Vec::new();
    for start in starts {
        let def = sema
            .to_fn_def(start)
            .ok_or("rust-analyzer does not know a function that uses the lock")?;
        if !queue.contains(&def) {
            queue.push(def);
        }
    }
    let mut chain = AsyncChain::default();
    let mut scopes = FileScopes::default();
    // `(caller, callee)` by index in `queue`: a cycle would be a recursive `async fn`, which does
    // not compile without boxing its future.
    let mut calls: Vec<(usize, usize)> = Vec::new();
    let mut next = 0;
    while next < queue.len() {
        if queue.len() > CHAIN_LIMIT {
            return Err(format!(
                "more than {CHAIN_LIMIT} functions would have to become async"
            ));
        }
        let function = queue[next];
        let callee = next;
        next += 1;
        let name = function.name(db).as_str().to_owned();
        let source = function
            .source(db)
            .ok_or_else(|| format!("`{name}` is not in source"))?;
        let file = source
            .file_id
            .file_id()
            .ok_or_else(|| format!("`{name}` is declared by a macro"))?
            .file_id(db);
        let declared = source.value;
        cannot_become_async(sema, function, &declared).map_err(|why| {
            let root = declared
                .syntax()
                .ancestors()
                .last()
                .unwrap_or_else(|| declared.syntax().clone());
            let named = declared
                .name()
                .map_or(declared.syntax().text_range(), |n| n.syntax().text_range());
            let at = location(vfs, file, &root, named);
            format!("`{name}` ({at}) {why}")
        })?;
        let name_node = declared
            .name()
            .ok_or_else(|| format!("`{name}` has no name in source"))?;
        chain.functions.push(Site {
            path: path_of(vfs, file),
            range: name_node.syntax().text_range(),
        });
        if let Some(at) = doc_mention(vfs, local, &name) {
            return Err(format!(
                "a doc comment at {at} calls `{name}(`, and a doctest would not await it"
            ));
        }
        for NameSite {
            file: file_id,
            tree,
            range,
            ..
        } in call_sites(sema, vfs, local, function, &name)?
        {
            let at = location(vfs, file_id, &tree, range);
            let (call, call_range) =
                called_at(&tree, range).map_err(|why| format!("`{name}` is {why} at {at}"))?;
            let caller = awaiting_function(&call)
                .map_err(|why| format!("`{name}` is called {why} at {at}"))?;
            if let Some(lock) = scopes.guard_alive_at(sema, file_id, &tree, &call, call_range) {
                return Err(format!(
                    "a guard of `{lock}` is alive across the call of `{name}` at {at}, which would \
                     become an `.await`"
                ));
            }
            chain.awaits.push(Site {
                path: path_of(vfs, file_id),
                range: call_range,
            });
            if let Some(caller) = caller {
                // A caller rust-analyzer does not know could not be made async with the others,
                // and its call would be awaited in a synchronous function.
                let def = sema.to_fn_def(&caller).ok_or_else(|| {
                    format!("rust-analyzer does not know the function that calls `{name}` at {at}")
                })?;
                let index = queue.iter().position(|f| *f == def).unwrap_or_else(|| {
                    queue.push(def);
                    queue.len() - 1
                });
                calls.push((index, callee));
                if reaches(&calls, callee, index) {
                    return Err(format!(
                        "`{name}` is called recursively (at {at}): a recursive `async fn` needs \
                         its future boxed"
                    ));
                }
            }
        }
    }
    chain
        .awaits
        .sort_by(|a, b| (&a.path, a.range.start()).cmp(&(&b.path, b.range.start())));
    chain.awaits.dedup();
    Ok(chain)
}

/// Whether `from` calls `to`, directly or through others, by the `(caller, callee)` pairs.
fn reaches(calls: &[(usize, usize)], from: usize, to: usize) -> bool {
    let mut seen = vec![from];
    let mut at = 0;
    while at < seen.len() {
        let caller = seen[at];
        at += 1;
        if caller == to {
            return true;
        }
        for &(c, callee) in calls {
            if c == caller && !seen.contains(&callee) {
                seen.push(callee);
            }
        }
    }
    false
}

/// A doc comment in the workspace's files that writes `name(`: a doctest that would call the
/// function without awaiting it (doc comments are not code the chain can rewrite).
fn doc_mention(vfs: &Vfs, local: &[(FileId, SyntaxNode)], name: &str) -> Option<String> {
    let call = format!("{name}(");
    for (file_id, tree) in local {
        let found = tree
            .descendants_with_tokens()
            .filter_map(|e| e.into_token())
            .filter(|t| t.kind() == SyntaxKind::COMMENT)
            .find(|t| {
                let text = t.text();
                (text.starts_with("///") || text.starts_with("//!") || text.starts_with("/**"))
                    && text.contains(&call)
            });
        if let Some(token) = found {
            return Some(location(vfs, *file_id, tree, token.text_range()));
        }
    }
    None
}

/// Why `function` cannot be an `async fn`, if it cannot.
fn cannot_become_async(
    sema: &Semantics<'_, RootDatabase>,
    function: ra_ap_hir::Function,
    declared: &ast::Fn,
) -> Result<(), &'static str> {
    let db = sema.db;
    if function
        .as_assoc_item(db)
        .is_some_and(|item| item.implemented_trait(db).is_some())
        || implements_a_trait(db, function)
        || declared
            .syntax()
            .ancestors()
            .any(|a| ast::Trait::can_cast(a.kind()))
    {
        return Err("implements a trait method, which callers reach through the trait");
    }
    if declared.const_token().is_some() {
        return Err("is a `const fn`");
    }
    if declared.abi().is_some() {
        return Err("has an `extern` ABI");
    }
    if declared.name().is_some_and(|n| n.text() == "main") {
        return Err("is a synchronous `main`");
    }
    if declared.attrs().any(|attr| {
        attr.path()
            .is_some_and(|p| p.syntax().text().to_string().ends_with("test"))
    }) {
        return Err("is a synchronous test");
    }
    Ok(())
}

/// Every call of `function` ([`sites_naming`]). A `name(` rust-analyzer did not resolve (it
/// misses calls under `#[tokio::main]` in real workspaces) is taken for this function's call only
/// when the workspace declares one function of that name.
fn call_sites(
    sema: &Semantics<'_, RootDatabase>,
    vfs: &Vfs,
    local: &[(FileId, SyntaxNode)],
    function: ra_ap_hir::Function,
    name: &str,
) -> Result<Vec<NameSite>, String> {
    let sites = sites_naming(sema, local, function, name);
    if let Some(unresolved) = sites.iter().find(|site| !site.resolved) {
        let declarations = local
            .iter()
            .map(|(_, tree)| declarations_named(tree, name))
            .sum::<usize>();
        if declarations != 1 {
            return Err(format!(
                "`{name}(` at {} may call another function of that name (the workspace \
                 declares {declarations})",
                location(vfs, unresolved.file, &unresolved.tree, unresolved.range)
            ));
        }
    }
    Ok(sites)
}

/// How many functions named `name` the file declares.
fn declarations_named(tree: &SyntaxNode, name: &str) -> usize {
    tree.descendants()
        .filter_map(ast::Fn::cast)
        .filter(|f| f.name().is_some_and(|n| n.text() == name))
        .count()
}

/// The call whose callee is the name at `range` (`x.name(..)`, `path::name(..)`, or `name(..)`
/// among the arguments of an expression macro): the node whose ancestors say where it runs, and
/// the range of the call, after which `.await` is written.
fn called_at(tree: &SyntaxNode, range: TextRange) -> Result<(SyntaxNode, TextRange), &'static str> {
    let token = tree
        .token_at_offset(range.start())
        .find(|t| t.text_range() == range)
        .ok_or("not a name")?;
    let parent = token.parent().ok_or("not a name")?;
    if parent.kind() == SyntaxKind::TOKEN_TREE {
        let macro_call = parent
            .ancestors()
            .find_map(ast::MacroCall::cast)
            .ok_or("not a call")?;
        let macro_name = macro_call
            .path()
            .and_then(|p| p.segment())
            .and_then(|s| s.name_ref())
            .map(|n| n.text().to_string())
            .unwrap_or_default();
        if !lockfix_transforms::analysis::macros::EXPRESSION_MACROS.contains(&macro_name.as_str()) {
            return Err("inside the arguments of a macro that may not take an `.await`");
        }
        let mut next = token.next_sibling_or_token();
        while let Some(element) = next.as_ref().filter(|e| e.kind().is_trivia()) {
            next = element.next_sibling_or_token();
        }
        let arguments = next
            .and_then(|e| e.into_node())
            .filter(|n| n.kind() == SyntaxKind::TOKEN_TREE && n.text().to_string().starts_with('('))
            .ok_or("not a call")?;
        return Ok((
            macro_call.syntax().clone(),
            TextRange::new(range.start(), arguments.text_range().end()),
        ));
    }
    let name_ref = ast::NameRef::cast(parent).ok_or("not a name")?;
    let parent = name_ref.syntax().parent().ok_or("not a call")?;
    if let Some(call) = ast::MethodCallExpr::cast(parent.clone()) {
        return Ok((call.syntax().clone(), call.syntax().text_range()));
    }
    let segment = ast::PathSegment::cast(parent).ok_or("not a call")?;
    let path_expr = segment
        .syntax()
        .ancestors()
        .find_map(ast::PathExpr::cast)
        .ok_or("not a call")?;
    let call = path_expr
        .syntax()
        .parent()
        .and_then(ast::CallExpr::cast)
        .filter(|call| {
            call.expr()
                .is_some_and(|e| e.syntax() == path_expr.syntax())
        })
        .ok_or("used as a value, not called,")?;
    Ok((call.syntax().clone(), call.syntax().text_range()))
}

/// The synchronous function around `call` that must become async for it to await (`None`: it
/// is in an async fn or async block already), or where an `.await` cannot be written.
fn awaiting_function(call: &SyntaxNode) -> Result<Option<ast::Fn>, &'static str> {
    for ancestor in call.ancestors().skip(1) {
        if let Some(function) = ast::Fn::cast(ancestor.clone()) {
            return Ok(function.async_token().is_none().then_some(function));
        }
        if ast::BlockExpr::cast(ancestor.clone()).is_some_and(|b| b.async_token().is_some()) {
            return Ok(None);
        }
        if ast::ClosureExpr::cast(ancestor.clone()).is_some_and(|c| c.async_token().is_none()) {
            return Err("inside a closure");
        }
        if ancestor.kind() == SyntaxKind::CONST || ancestor.kind() == SyntaxKind::STATIC {
            return Err("in a constant");
        }
    }
    Err("outside any function")
}

/// The lock scopes of the files with calls to await, computed once per file by the analysis every
/// rule uses: a guard alive at a call (a `let`, an `if let`, a temporary, not after a `drop`)
/// is one the new `.await` would hold.
#[derive(Default)]
struct FileScopes(Vec<(SyntaxNode, LockScopes)>);

impl FileScopes {
    /// The lock of a guard alive at `call` in `tree` (a `RefCell` borrow counts: it is no more
    /// `Send` than a std guard).
    fn guard_alive_at(
        &mut self,
        sema: &Semantics<'_, RootDatabase>,
        file: FileId,
        tree: &SyntaxNode,
        call: &SyntaxNode,
        call_range: TextRange,
    ) -> Option<String> {
        let index = match self.0.iter().position(|(root, _)| root == tree) {
            Some(index) => index,
            None => {
                let edition = sema.attach_first_edition(file).edition(sema.db);
                self.0
                    .push((tree.clone(), LockScopes::compute(tree, edition)));
                self.0.len() - 1
            }
        };
        self.0[index]
            .1
            .guards
            .iter()
            .find(|guard| guard.alive_at(call_range.start(), call))
            .map(|guard| guard.lock_path.clone())
    }
}
