//! What a path written in the code refers to, as far as one file says.
//!
//! Without name resolution the syntax tier reads what a person reads: the `use` items in scope
//! expand a path's first segment (`fs::read` after `use std::fs;` is `std::fs::read`), glob imports
//! offer candidates for a bare name (`hash` after `use bcrypt::*;`), an item of the same name
//! declared in scope shadows both, and declared types say what a binding holds
//! (`client: reqwest::blocking::Client`).

use ra_ap_syntax::{
    AstNode, SyntaxKind, SyntaxNode,
    ast::{self, HasModuleItem, HasName},
};

use std::cell::RefCell;
use std::collections::{HashMap, HashSet};
use std::rc::Rc;

use super::syntax;

/// Full paths that `path`, written at `at`, may stand for; the written path itself when nothing in
/// scope says otherwise. `crate::`/`self::`/`super::` paths stay as written: they name this crate.
pub fn resolve(at: &SyntaxNode, path: &str) -> Vec<String> {
    let path = path.trim_start_matches("::");
    let mut segments = path.splitn(2, "::");
    let first = segments.next().unwrap_or_default();
    let rest = segments.next();
    if matches!(first, "crate" | "self" | "super" | "Self") || first.is_empty() {
        return vec![path.to_string()];
    }
    let mut globs = Vec::new();
    for scope in at.ancestors().filter(is_scope) {
        let summary = ScopeSummary::of(&scope);
        let mut found = None;
        for import in &summary.imports {
            match import {
                Import::Named { alias, full } if alias == first => found = Some(full.clone()),
                Import::Glob { prefix } => globs.push(prefix.clone()),
                _ => {}
            }
        }
        if let Some(full) = found {
            return vec![match rest {
                Some(rest) => format!("{full}::{rest}"),
                None => full,
            }];
        }
        if summary.items.contains(first) {
            // A local item of that name shadows globs from here outwards.
            return vec![path.to_string()];
        }
    }
    let mut candidates = vec![path.to_string()];
    if rest.is_none() {
        candidates.extend(globs.into_iter().map(|g| format!("{g}::{path}")));
    }
    candidates
}

/// Whether `candidate` (a resolved path) matches `pattern`: the pattern's segments equal the
/// candidate's last segments, where a pattern segment `*` matches any one segment and `name*` any
/// segment starting with `name`. `std::fs::*` matches `std::fs::read`, not `std::fs::File::open`.
pub fn path_matches(pattern: &str, candidate: &str) -> bool {
    // Whole segments, from the last: `my_std::fs::read` does not match `std::fs::read`. No list
    // is built: this runs for every path call under a guard against every path pattern.
    let mut have = candidate.rsplit("::");
    pattern
        .rsplit("::")
        .all(|wanted| have.next().is_some_and(|h| segment_matches(wanted, h)))
}

/// One segment or method name against a pattern segment (`*`, `name*` or `name`).
pub fn segment_matches(pattern: &str, name: &str) -> bool {
    match pattern.strip_suffix('*') {
        Some("") => !name.is_empty(),
        Some(prefix) => name.starts_with(prefix),
        None => pattern == name,
    }
}

/// The resolved paths of the types a binding or field named `name`, visible at `at`, is declared
/// with: parameters of the enclosing function, annotated `let`s before `at` in its body, and struct
/// fields of that name anywhere in the file. Every path in a type counts, so wrappers
/// (`Arc<reqwest::blocking::Client>`) do not hide what they hold.
pub fn declared_types(at: &SyntaxNode, name: &str) -> Vec<String> {
    let mut types = Vec::new();
    let mut add = |ty: &ast::Type| {
        for path in ty.syntax().descendants().filter_map(ast::Path::cast) {
            if path.syntax().parent().and_then(ast::Path::cast).is_some() {
                continue;
            }
            let text = path_text(&path);
            types.extend(resolve(ty.syntax(), &text));
        }
    };
    if let Some(function) = at.ancestors().find_map(ast::Fn::cast) {
        for param in function.param_list().into_iter().flat_map(|l| l.params()) {
            if let (Some(ast::Pat::IdentPat(pat)), Some(ty)) = (param.pat(), param.ty())
                && syntax::ident_name(&pat) == name
            {
                add(&ty);
            }
        }
        for stmt in function
            .syntax()
            .descendants()
            .filter_map(ast::LetStmt::cast)
        {
            if stmt.syntax().text_range().end() > at.text_range().start() {
                continue;
            }
            if let (Some(ast::Pat::IdentPat(pat)), Some(ty)) = (stmt.pat(), stmt.ty())
                && syntax::ident_name(&pat) == name
            {
                add(&ty);
            }
        }
    }
    let root = at.ancestors().last().unwrap_or_else(|| at.clone());
    let fields = super::file_index::with(&root, |index| index.fields_named(name).to_vec());
    for field in fields {
        if let Some(ty) = field.ty() {
            add(&ty);
        }
    }
    types
}

/// A path's text without generic arguments or whitespace: `Vec::<u8>::new` → `Vec::new`.
pub fn path_text(path: &ast::Path) -> String {
    let mut parts = Vec::new();
    let mut current = Some(path.clone());
    while let Some(p) = current {
        if let Some(segment) = p.segment() {
            let name = segment
                .name_ref()
                .map(|n| n.text().to_string())
                .unwrap_or_else(|| syntax::compact_text(segment.syntax()));
            parts.push(name);
        }
        current = p.qualifier();
    }
    parts.reverse();
    parts.join("::")
}

enum Import {
    Named { alias: String, full: String },
    Glob { prefix: String },
}

fn is_scope(node: &SyntaxNode) -> bool {
    matches!(
        node.kind(),
        SyntaxKind::STMT_LIST | SyntaxKind::ITEM_LIST | SyntaxKind::SOURCE_FILE
    )
}

/// What one scope says about names: its `use` imports and the items it declares.
struct ScopeSummary {
    imports: Vec<Import>,
    items: HashSet<String>,
}

/// The tree's root, and the summaries of its scopes.
type SummaryCache = (Option<SyntaxNode>, HashMap<SyntaxNode, Rc<ScopeSummary>>);

thread_local! {
    /// Summaries of the file-level and `mod`/`impl`-level scopes of the tree analysed last on this
    /// thread. Every path call resolves through the file's scope; reading its thousands of items
    /// anew for each call made a generated file of many functions quadratic. The root is kept to
    /// notice a new tree (the cached nodes keep the old one alive, so its addresses are not reused
    /// while cached).
    static SUMMARIES: RefCell<SummaryCache> = RefCell::new((None, HashMap::new()));
}

impl ScopeSummary {
    fn of(scope: &SyntaxNode) -> Rc<ScopeSummary> {
        // Block scopes are small and many: computed each time, not cached.
        if scope.kind() == SyntaxKind::STMT_LIST {
            return Rc::new(ScopeSummary::compute(scope));
        }
        let root = scope.ancestors().last().unwrap_or_else(|| scope.clone());
        SUMMARIES.with(|cell| {
            let mut cache = cell.borrow_mut();
            if cache.0.as_ref() != Some(&root) {
                *cache = (Some(root), HashMap::new());
            }
            Rc::clone(
                cache
                    .1
                    .entry(scope.clone())
                    .or_insert_with(|| Rc::new(ScopeSummary::compute(scope))),
            )
        })
    }

    fn compute(scope: &SyntaxNode) -> ScopeSummary {
        let imports = scope
            .children()
            .filter_map(ast::Use::cast)
            .flat_map(|use_item| imports_of(&use_item))
            .collect();
        ScopeSummary {
            imports,
            items: declared_items(scope),
        }
    }
}

/// The names of the items (functions, modules, types, constants) a scope declares.
fn declared_items(scope: &SyntaxNode) -> HashSet<String> {
    let items: Vec<ast::Item> = if let Some(file) = ast::SourceFile::cast(scope.clone()) {
        file.items().collect()
    } else if let Some(list) = ast::ItemList::cast(scope.clone()) {
        list.items().collect()
    } else {
        scope.children().filter_map(ast::Item::cast).collect()
    };
    items
        .iter()
        .filter_map(|item| {
            let named = match item {
                ast::Item::Fn(f) => f.name(),
                ast::Item::Module(m) => m.name(),
                ast::Item::Struct(s) => s.name(),
                ast::Item::Enum(e) => e.name(),
                ast::Item::Const(c) => c.name(),
                ast::Item::Static(s) => s.name(),
                ast::Item::TypeAlias(t) => t.name(),
                ast::Item::Trait(t) => t.name(),
                _ => None,
            };
            named.map(|n| n.text().to_string())
        })
        .collect()
}

/// The names a `use` item brings in: `use a::{b, c as d, e::*, self as f};`.
fn imports_of(use_item: &ast::Use) -> Vec<Import> {
    let mut out = Vec::new();
    if let Some(tree) = use_item.use_tree() {
        collect(&tree, "", &mut out);
    }
    out
}

fn collect(tree: &ast::UseTree, prefix: &str, out: &mut Vec<Import>) {
    let own = tree.path().map(|p| path_text(&p)).unwrap_or_default();
    let full = match (prefix.is_empty(), own.is_empty()) {
        (true, _) => own.clone(),
        (false, true) => prefix.to_string(),
        (false, false) => format!("{prefix}::{own}"),
    };
    if let Some(list) = tree.use_tree_list() {
        for child in list.use_trees() {
            collect(&child, &full, out);
        }
        return;
    }
    if tree.star_token().is_some() {
        out.push(Import::Glob {
            prefix: full.trim_start_matches("::").to_string(),
        });
        return;
    }
    // `use std::fs::{self, File}`: `self` names the prefix itself.
    let full = full
        .strip_suffix("::self")
        .map(str::to_string)
        .unwrap_or(full);
    let alias = match tree.rename().and_then(|r| r.name()) {
        Some(name) => name.text().to_string(),
        None => full.rsplit("::").next().unwrap_or_default().to_string(),
    };
    if !alias.is_empty() && alias != "_" {
        out.push(Import::Named {
            alias,
            full: full.trim_start_matches("::").to_string(),
        });
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use ra_ap_syntax::{Edition, SourceFile};

    /// Resolve the callee of the first call to `callee` in `src`.
    fn resolved(src: &str, callee: &str) -> Vec<String> {
        let file = SourceFile::parse(src, Edition::Edition2021).tree();
        let call = file
            .syntax()
            .descendants()
            .filter_map(ast::CallExpr::cast)
            .find(|c| c.expr().is_some_and(|e| e.syntax().text() == callee))
            .expect("call present");
        resolve(call.syntax(), callee)
    }

    #[test]
    fn imports_expand_the_first_segment() {
        let src = "use std::{fs, thread::sleep as nap};\nuse bcrypt::verify;\n\
                   fn f() { fs::read(p); nap(d); verify(a, b); }";
        assert_eq!(resolved(src, "fs::read"), ["std::fs::read"]);
        assert_eq!(resolved(src, "nap"), ["std::thread::sleep"]);
        assert_eq!(resolved(src, "verify"), ["bcrypt::verify"]);
    }

    #[test]
    fn inner_scopes_and_local_items_win() {
        let src = "use std::thread::sleep;\nfn verify() {}\nuse bcrypt::*;\n\
                   fn f() { use tokio::time::sleep; sleep(d); verify(); }\nfn g() { sleep(d); hash(p); }";
        assert_eq!(resolved(src, "sleep"), ["tokio::time::sleep"]);
        assert_eq!(resolved(src, "verify"), ["verify"]);
        assert_eq!(resolved(src, "hash"), ["hash", "bcrypt::hash"]);
    }

    #[test]
    fn self_imports_name_the_module() {
        let src = "use std::fs::{self, File};\nfn f() { fs::write(p, d); File::open(p); }";
        assert_eq!(resolved(src, "fs::write"), ["std::fs::write"]);
        assert_eq!(resolved(src, "File::open"), ["std::fs::File::open"]);
    }

    #[test]
    fn patterns() {
        assert!(path_matches("std::fs::*", "std::fs::read"));
        assert!(!path_matches("std::fs::*", "std::fs::File::open"));
        assert!(path_matches("bcrypt::hash*", "bcrypt::hash_with_salt"));
        assert!(path_matches("bcrypt::verify", "crate::bcrypt::verify"));
        assert!(!path_matches("tokio::spawn", "spawn"));
        assert!(path_matches("emit*", "self::events::emit_event"));
    }

    #[test]
    fn declared_types_of_fields_params_and_lets() {
        let src = "use reqwest::blocking::Client;\nstruct S { client: Arc<Client> }\n\
                   fn f(http: reqwest::blocking::Client) { let c: Client = x; go(); }";
        let file = SourceFile::parse(src, Edition::Edition2021).tree();
        let call = file
            .syntax()
            .descendants()
            .find_map(ast::CallExpr::cast)
            .expect("call");
        assert!(
            declared_types(call.syntax(), "client").contains(&"reqwest::blocking::Client".into())
        );
        assert!(
            declared_types(call.syntax(), "http").contains(&"reqwest::blocking::Client".into())
        );
        assert!(declared_types(call.syntax(), "c").contains(&"reqwest::blocking::Client".into()));
    }
}
