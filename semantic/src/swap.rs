//! What the std→tokio lock swap needs from rust-analyzer: the lock's declaration, every reference
//! to it across the crate (found by references, not by text), and which synchronous functions
//! among its users async code reaches — directly, or through other synchronous functions, from
//! the library, binaries, examples, tests or benches (there `blocking_lock()` would panic).

use std::path::PathBuf;

use lockfix_transforms::analysis::LockKind;
use ra_ap_hir::{AsAssocItem, FieldSource, HasSource, ModuleDef, PathResolution, Semantics, Type};
use ra_ap_ide_db::RootDatabase;
use ra_ap_ide_db::defs::{Definition, NameRefClass};
use ra_ap_syntax::{
    AstNode, SyntaxNode, TextRange,
    ast::{self, HasName},
};
use ra_ap_vfs::{FileId, Vfs};

use crate::classify::{Role, classify};

/// A range in a file of the workspace.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Site {
    pub path: PathBuf,
    pub range: TextRange,
}

/// A lock field or static and everything that refers to it.
#[derive(Debug, Clone)]
pub struct SwapTarget {
    /// The name the lock is declared with (`current_context_id`).
    pub name: String,
    /// The declared type (`RwLock<String>`).
    pub declaration: Site,
    /// `Mutex` or `RwLock`.
    pub lock_type: String,
    pub kind: LockKind,
    /// The name at every use, the declaration excluded.
    pub references: Vec<Site>,
    /// Names of synchronous functions that use the lock and that async code reaches, each with
    /// the route from the async end (`main` (examples/demo.rs:6) → `report` (src/lib.rs:27)).
    pub called_from_async: Vec<(Site, String)>,
    /// The functions that become async and the calls awaited, so that no `blocking_*` is
    /// written where async code reaches it (empty when async code reaches none of them), or why
    /// that cannot be done.
    pub async_chain: Result<crate::async_chain::AsyncChain, String>,
}

/// `with_dependencies`: the workspace was loaded with its dependencies. Without them, a use of
/// the lock reached through a dependency's type is invisible to rust-analyzer, so the answer is
/// given only when every mention of the lock's name in the workspace's files is accounted for.
pub(crate) fn target(
    db: &RootDatabase,
    vfs: &Vfs,
    file_id: FileId,
    finding: TextRange,
    with_dependencies: bool,
) -> Result<SwapTarget, String> {
    let sema = Semantics::new(db);
    let tree = sema.parse_guess_edition(file_id);
    // The finding covers `let g = m.lock()…` or `if let Ok(g) = m.read()`: its first lock call.
    let call = tree
        .syntax()
        .descendants()
        .filter_map(ast::MethodCallExpr::cast)
        .filter(|c| finding.contains_range(c.syntax().text_range()))
        .find(|c| {
            c.name_ref()
                .is_some_and(|n| lockfix_transforms::analysis::lock_method_mode(n.text()).is_some())
        })
        .ok_or("no lock call at the finding")?;
    let receiver = strip(call.receiver().ok_or("the lock call has no receiver")?);
    let (definition, name, ty, declaration) = match &receiver {
        ast::Expr::FieldExpr(field) => {
            let Some(either::Either::Left(field)) = sema.resolve_field(field) else {
                return Err("the lock is not a named field".into());
            };
            let source = field
                .source(db)
                .ok_or("the field's declaration is not in source")?;
            let FieldSource::Named(record) = source.value else {
                return Err("the lock is a tuple field".into());
            };
            let ty = record.ty().ok_or("the field has no type")?;
            let file = source
                .file_id
                .file_id()
                .ok_or("the field is declared by a macro")?;
            let declaration = Site {
                path: path_of(vfs, file.file_id(db)),
                range: ty.syntax().text_range(),
            };
            (
                Definition::Field(field),
                field.name(db).as_str().to_owned(),
                field.ty(db),
                declaration,
            )
        }
        ast::Expr::PathExpr(path) => {
            let resolved = path.path().and_then(|p| sema.resolve_path(&p));
            let Some(PathResolution::Def(ModuleDef::Static(stat))) = resolved else {
                return Err(
                    "the lock is a local or a parameter: scope the guard instead of swapping"
                        .into(),
                );
            };
            let source = stat
                .source(db)
                .ok_or("the static's declaration is not in source")?;
            let ty = source.value.ty().ok_or("the static has no type")?;
            let file = source
                .file_id
                .file_id()
                .ok_or("the static is declared by a macro")?;
            let declaration = Site {
                path: path_of(vfs, file.file_id(db)),
                range: ty.syntax().text_range(),
            };
            (
                Definition::Static(stat),
                stat.name(db).as_str().to_owned(),
                stat.ty(db),
                declaration,
            )
        }
        _ => return Err("the lock is reached through a call, not a field or static".into()),
    };
    let (kind, lock_type) =
        lock_in(&sema, &ty).ok_or("the declared type holds no std or parking_lot lock")?;
    if !matches!(kind, LockKind::Std | LockKind::ParkingLot) {
        return Err(format!("the lock is already {}", kind.describe()));
    }
    let usages = definition.usages(&sema).all();
    let mut references = Vec::new();
    let mut called_from_async = Vec::new();
    let mut reached = Vec::new();
    let mut not_reached: Vec<Site> = Vec::new();
    let local = local_files(&sema, vfs, &declaration.path);
    for (file, refs) in usages.references {
        let file_id = file.file_id(db);
        let path = path_of(vfs, file_id);
        let tree = sema.parse(file);
        for reference in refs {
            references.push(Site {
                path: path.clone(),
                range: reference.range,
            });
            if let Some(function) = sync_function_at(tree.syntax(), reference.range)
                && let Some(name) = function.name()
            {
                let site = Site {
                    path: path.clone(),
                    range: name.syntax().text_range(),
                };
                // Each function's callers are searched once, whatever number of references
                // it holds.
                let is_reached = if called_from_async.iter().any(|(s, _)| *s == site) {
                    true
                } else if not_reached.contains(&site) {
                    false
                } else if let Some(route) = async_route(&sema, vfs, &local, &function) {
                    called_from_async.push((site, route));
                    true
                } else {
                    not_reached.push(site);
                    false
                };
                // Only an acquisition would be `blocking_*` there; a constructor or `get_mut` in a
                // function async code reaches stays as it is.
                if is_reached
                    && acquires(tree.syntax(), reference.range)
                    && !reached.contains(&function)
                {
                    reached.push(function);
                }
            }
        }
    }
    references.sort_by(|a, b| (&a.path, a.range.start()).cmp(&(&b.path, b.range.start())));
    // A use rust-analyzer did not find would be left as it is and fail to compile after the swap.
    if let Some(mention) = unaccounted_mention(&sema, vfs, &local, &name, definition, &references) {
        return Err(if with_dependencies {
            format!(
                "rust-analyzer cannot tell what `{name}` at {mention} is, and a use the swap \
                 missed would not compile"
            )
        } else {
            format!(
                "without the dependencies, rust-analyzer cannot tell what `{name}` at {mention} is"
            )
        });
    }
    let async_chain = if reached.is_empty() {
        Ok(Default::default())
    } else {
        crate::async_chain::async_chain(&sema, vfs, &local, &reached)
    };
    Ok(SwapTarget {
        name,
        declaration,
        lock_type,
        kind,
        references,
        called_from_async,
        async_chain,
    })
}

/// The first mention of `name` in the workspace's own files that is neither a declaration, nor
/// one of `references`, nor a name rust-analyzer resolves to something other than the lock: where
/// a reference could hide (`location`), or `None` when every mention is accounted for. Mentions
/// inside macro calls count as unaccounted: they are not resolved without expanding the macro.
fn unaccounted_mention(
    sema: &Semantics<'_, RootDatabase>,
    vfs: &Vfs,
    local: &[(FileId, SyntaxNode)],
    name: &str,
    lock: Definition,
    references: &[Site],
) -> Option<String> {
    for (file_id, tree) in local {
        let path = path_of(vfs, *file_id);
        let mentions = tree
            .descendants_with_tokens()
            .filter_map(|e| e.into_token())
            .filter(|t| t.kind() == ra_ap_syntax::SyntaxKind::IDENT && t.text() == name);
        for token in mentions {
            let range = token.text_range();
            if references
                .iter()
                .any(|r| r.path == path && r.range.contains_range(range))
            {
                continue;
            }
            if token
                .parent()
                .is_some_and(|p| p.kind() == ra_ap_syntax::SyntaxKind::NAME)
                || called(&token)
            {
                continue;
            }
            // In a macro call, the tokens of its expansion (none when the macro is not expanded).
            let in_macro = token
                .parent()
                .is_some_and(|p| p.kind() == ra_ap_syntax::SyntaxKind::TOKEN_TREE);
            let seen_as: Vec<_> = if in_macro {
                sema.descend_into_macros(token.clone())
                    .into_iter()
                    .filter(|t| *t != token)
                    .collect()
            } else {
                vec![token.clone()]
            };
            let resolved_elsewhere = !seen_as.is_empty()
                && seen_as.iter().all(|t| {
                    t.parent()
                        .and_then(ast::NameRef::cast)
                        .and_then(|name_ref| NameRefClass::classify(sema, &name_ref))
                        .is_some_and(|class| match class {
                            NameRefClass::Definition(definition, _) => definition != lock,
                            NameRefClass::FieldShorthand { field_ref, .. } => {
                                Definition::Field(field_ref) != lock
                            }
                            NameRefClass::ExternCrateShorthand { .. } => true,
                        })
                });
            if !resolved_elsewhere {
                return Some(location(vfs, *file_id, tree, range));
            }
        }
    }
    None
}

/// `name(`: a call, of a method or function of the same name — never a lock, which cannot be
/// called.
fn called(token: &ra_ap_syntax::SyntaxToken) -> bool {
    let mut next = token.next_token();
    while let Some(n) = next.as_ref().filter(|n| n.kind().is_trivia()) {
        next = n.next_token();
    }
    next.is_some_and(|n| n.kind() == ra_ap_syntax::T!['('])
}

/// A method of an `impl Trait for Type` block, read from its source: without the dependencies,
/// rust-analyzer does not know a dependency's trait, and such a method is called through it.
pub(crate) fn implements_a_trait(db: &RootDatabase, function: ra_ap_hir::Function) -> bool {
    function.source(db).is_some_and(|source| {
        source
            .value
            .syntax()
            .ancestors()
            .find_map(ast::Impl::cast)
            .is_some_and(|block| block.trait_().is_some())
    })
}

fn strip(mut expr: ast::Expr) -> ast::Expr {
    loop {
        expr = match expr {
            ast::Expr::ParenExpr(p) => match p.expr() {
                Some(e) => e,
                None => return ast::Expr::ParenExpr(p),
            },
            ast::Expr::RefExpr(r) => match r.expr() {
                Some(e) => e,
                None => return ast::Expr::RefExpr(r),
            },
            other => return other,
        }
    }
}

pub(crate) fn path_of(vfs: &Vfs, file: FileId) -> PathBuf {
    let path = vfs.file_path(file);
    path.as_path()
        .map(|p| PathBuf::from(p.as_str()))
        .unwrap_or_else(|| PathBuf::from(path.to_string()))
}

/// The std/parking_lot lock inside a declared type: `RwLock<T>`, `Arc<RwLock<T>>`.
fn lock_in(sema: &Semantics<'_, RootDatabase>, ty: &Type<'_>) -> Option<(LockKind, String)> {
    let db = sema.db;
    let adt = ty.as_adt()?;
    let krate = adt.module(db).krate(db).display_name(db)?.to_string();
    let name = adt.name(db).as_str().to_owned();
    if let Some(Role::Lock(kind)) = classify(&krate, &name) {
        return Some((kind, name));
    }
    // A smart pointer around the lock.
    if matches!(name.as_str(), "Arc" | "Rc" | "Box") {
        return ty
            .type_arguments()
            .next()
            .and_then(|inner| lock_in(sema, &inner));
    }
    None
}

/// Whether the reference at `range` is the receiver of `.lock()`, `.read()` or `.write()`.
fn acquires(root: &SyntaxNode, range: TextRange) -> bool {
    let Some(place) = root
        .covering_element(range)
        .ancestors()
        .find(|n| ast::FieldExpr::can_cast(n.kind()) || ast::PathExpr::can_cast(n.kind()))
    else {
        return false;
    };
    place
        .parent()
        .and_then(ast::MethodCallExpr::cast)
        .filter(|call| call.receiver().is_some_and(|r| r.syntax() == &place))
        .and_then(|call| call.name_ref())
        .is_some_and(|name| matches!(name.text(), "lock" | "read" | "write"))
}

/// The non-async function the reference is in, if it runs there (not in a closure or async block).
fn sync_function_at(root: &SyntaxNode, range: TextRange) -> Option<ast::Fn> {
    let node = root.covering_element(range);
    for ancestor in node.ancestors() {
        if let Some(function) = ast::Fn::cast(ancestor.clone()) {
            return function.async_token().is_none().then_some(function);
        }
        if ast::ClosureExpr::can_cast(ancestor.kind())
            || ast::BlockExpr::cast(ancestor).is_some_and(|b| b.async_token().is_some())
        {
            return None;
        }
    }
    None
}

/// How many functions the caller search visits before it gives up and assumes async code
/// reaches the function (a refusal, never a swap that might panic).
const CALLER_SEARCH_LIMIT: usize = 500;

/// Whether async code reaches the synchronous `function`: an async fn or async block that calls
/// it, or calls a synchronous function that does, and so on. Every reference counts as a call
/// (a function passed as a value may be called anywhere); a reference inside a closure counts as
/// made by the function around the closure. A trait method is reached through the trait, which
/// this search cannot follow: it counts as reached. `Some(route)` when reached: the async end
/// first (`` `main` (examples/demo.rs:6) → `report` (src/lib.rs:27) ``), `function` left out.
fn async_route(
    sema: &Semantics<'_, RootDatabase>,
    vfs: &Vfs,
    local: &[(FileId, SyntaxNode)],
    function: &ast::Fn,
) -> Option<String> {
    let db = sema.db;
    let start = sema.to_fn_def(function)?;
    // Breadth first, so the route reported is a shortest one. Each entry: the function and the
    // index of the entry that it calls (its way back to `start`), with a description.
    let mut queue: Vec<(ra_ap_hir::Function, Option<usize>, String)> =
        vec![(start, None, String::new())];
    let mut next = 0;
    let route = |queue: &[(ra_ap_hir::Function, Option<usize>, String)], mut at: usize| {
        let mut steps = Vec::new();
        while let Some(callee) = queue[at].1 {
            steps.push(queue[at].2.clone());
            at = callee;
        }
        steps.join(" → ")
    };
    while next < queue.len() {
        if queue.len() > CALLER_SEARCH_LIMIT {
            return Some(format!(
                "one of more than {CALLER_SEARCH_LIMIT} callers (too many to follow)"
            ));
        }
        let current = queue[next].0;
        let current_index = next;
        next += 1;
        if current
            .as_assoc_item(db)
            .is_some_and(|item| item.implemented_trait(db).is_some())
            || implements_a_trait(db, current)
        {
            // Called through the trait (a `Drop`, a `Display`, a callback trait): anywhere.
            let via = route(&queue, current_index);
            return Some(if via.is_empty() {
                "a call through the trait it implements (any code may call a trait method)"
                    .to_owned()
            } else {
                format!("any caller of the trait method {via}")
            });
        }
        // A `name(` rust-analyzer did not resolve counts as a call too: a refusal too many
        // rather than a swap that panics at run time.
        let name = current.name(db).as_str().to_owned();
        let sites = sites_naming(sema, local, current, &name);
        for NameSite {
            file: file_id,
            tree,
            range,
            ..
        } in sites
        {
            match caller_at(&tree, range) {
                Caller::Async(what) => {
                    let at = format!("{what} ({})", location(vfs, file_id, &tree, range));
                    let via = route(&queue, current_index);
                    return Some(if via.is_empty() {
                        at
                    } else {
                        format!("{at} → {via}")
                    });
                }
                Caller::Sync(caller) => {
                    let Some(def) = sema.to_fn_def(&caller) else {
                        continue;
                    };
                    if queue.iter().any(|(f, ..)| *f == def) {
                        continue;
                    }
                    let name = caller
                        .name()
                        .map(|n| n.text().to_string())
                        .unwrap_or_default();
                    let described = format!("`{name}` ({})", location(vfs, file_id, &tree, range));
                    queue.push((def, Some(current_index), described));
                }
                Caller::None => {}
            }
        }
    }
    None
}

/// A place in the workspace's own files that names a function.
pub(crate) struct NameSite {
    pub file: FileId,
    pub tree: SyntaxNode,
    /// The name's range.
    pub range: TextRange,
    /// rust-analyzer found it as a reference; otherwise it is only `name(` in the text.
    pub resolved: bool,
}

/// Every place that may call `function`: rust-analyzer's references, and `name(` in the
/// workspace's own files where it found none. Its references miss calls inside macro arguments
/// (`println!("{}", c.report())`: std's macros are not expanded with the stub standard library)
/// and, in real workspaces, calls from examples under `#[tokio::main]` (seed 002's context
/// system).
pub(crate) fn sites_naming(
    sema: &Semantics<'_, RootDatabase>,
    local: &[(FileId, SyntaxNode)],
    function: ra_ap_hir::Function,
    name: &str,
) -> Vec<NameSite> {
    let db = sema.db;
    let mut sites: Vec<NameSite> = Vec::new();
    for (file, refs) in Definition::Function(function).usages(sema).all().references {
        let file_id = file.file_id(db);
        let tree = sema.parse(file).syntax().clone();
        for reference in refs {
            sites.push(NameSite {
                file: file_id,
                tree: tree.clone(),
                range: reference.range,
                resolved: true,
            });
        }
    }
    for (file_id, tree) in local {
        for range in calls_named(tree, name) {
            if !sites
                .iter()
                .any(|s| s.file == *file_id && s.range.contains_range(range))
            {
                sites.push(NameSite {
                    file: *file_id,
                    tree: tree.clone(),
                    range,
                    resolved: false,
                });
            }
        }
    }
    sites
}

/// The workspace's own files (the declaration's package, or the workspace around it: its
/// library, binaries, examples, tests and benches), parsed once per swap.
fn local_files(
    sema: &Semantics<'_, RootDatabase>,
    vfs: &Vfs,
    declaration: &std::path::Path,
) -> Vec<(FileId, SyntaxNode)> {
    // The workspace root holds Cargo.lock; a lone package without one is its own root.
    let root = declaration
        .ancestors()
        .find(|dir| dir.join("Cargo.lock").is_file())
        .or_else(|| {
            declaration
                .ancestors()
                .find(|dir| dir.join("Cargo.toml").is_file())
        });
    let Some(root) = root else {
        return Vec::new();
    };
    vfs.iter()
        .filter_map(|(file_id, path)| {
            let path = path.as_path()?;
            let path = std::path::Path::new(path.as_str());
            let local = path.starts_with(root)
                && path.extension().is_some_and(|e| e == "rs")
                && !path.components().any(|c| c.as_os_str() == "target");
            local.then(|| (file_id, sema.parse_guess_edition(file_id).syntax().clone()))
        })
        .collect()
}

/// `name(` in the file, in code or in a macro call's tokens, but not where a function of that
/// name is declared: what might be a call of `name`.
fn calls_named(tree: &SyntaxNode, name: &str) -> Vec<TextRange> {
    tree.descendants_with_tokens()
        .filter_map(|e| e.into_token())
        .filter(|t| t.kind() == ra_ap_syntax::SyntaxKind::IDENT && t.text() == name)
        .filter(|t| {
            t.parent()
                .is_none_or(|p| p.kind() != ra_ap_syntax::SyntaxKind::NAME)
        })
        .filter(called)
        .map(|t| t.text_range())
        .collect()
}

enum Caller {
    /// An async fn or async block: "`run`", "an async block in `main`".
    Async(String),
    /// A synchronous function, which its own callers reach.
    Sync(ast::Fn),
    /// Outside any function (a `static` initializer, an attribute).
    None,
}

/// What runs the code at `range`: the innermost async block or function around it; closures are
/// part of the function that creates them.
fn caller_at(root: &SyntaxNode, range: TextRange) -> Caller {
    let node = match root.covering_element(range) {
        ra_ap_syntax::NodeOrToken::Node(n) => n,
        ra_ap_syntax::NodeOrToken::Token(t) => match t.parent() {
            Some(p) => p,
            None => return Caller::None,
        },
    };
    for ancestor in node.ancestors() {
        if let Some(function) = ast::Fn::cast(ancestor.clone()) {
            let name = function
                .name()
                .map(|n| n.text().to_string())
                .unwrap_or_default();
            return if function.async_token().is_some() {
                Caller::Async(format!("`{name}`"))
            } else {
                Caller::Sync(function)
            };
        }
        if ast::BlockExpr::cast(ancestor).is_some_and(|b| b.async_token().is_some()) {
            let name = node
                .ancestors()
                .find_map(ast::Fn::cast)
                .and_then(|f| f.name())
                .map(|n| format!("an async block in `{}`", n.text()))
                .unwrap_or_else(|| "an async block".to_owned());
            return Caller::Async(name);
        }
    }
    Caller::None
}

/// `path:line` of a range, the path as rust-analyzer's file set names it.
pub(crate) fn location(vfs: &Vfs, file: FileId, root: &SyntaxNode, range: TextRange) -> String {
    let path = path_of(vfs, file);
    let line = root
        .text()
        .slice(..range.start())
        .to_string()
        .matches('\n')
        .count()
        + 1;
    // Relative to the workspace root (where Cargo.lock is), as users name their files.
    let root = path
        .ancestors()
        .skip(1)
        .find(|dir| dir.join("Cargo.lock").is_file())
        .or_else(|| {
            path.ancestors()
                .skip(1)
                .find(|dir| dir.join("Cargo.toml").is_file())
        });
    let shown = root
        .and_then(|root| path.strip_prefix(root).ok())
        .unwrap_or(&path)
        .display()
        .to_string();
    format!("{shown}:{line}")
}
