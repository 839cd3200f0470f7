//! Step 1 of the swap: follow the declaration and every reference rust-analyzer found to what
//! they are.
//!
//! Assumes the sites come from rust-analyzer: the declaration covers the lock's declared type,
//! each reference the name at a use. Both are checked: a site outside the files, a declaration
//! without the lock type, or a reference it cannot follow refuses the whole swap, with where.
//! The declaration tells whether the lock is std's (poisoning) or parking_lot's, which step 2
//! (`acquisitions`) reads. Every constructor (struct literal field, assignment, static or `let`
//! initializer, also inside `Arc::new`/`Rc::new`) must be one the swap can rewrite; its lock
//! path, like the declared type's, is only collected in `type_paths`, for step 3 (`imports`) to
//! write once the file's import is known (a static's `new` becomes `const_new` here). Every other
//! reference goes to step 2 as a use site.

use ra_ap_syntax::{
    AstNode, NodeOrToken, SyntaxNode, TextRange,
    ast::{self, HasArgList},
};

use super::imports::is_parking_lot;
use super::{Planner, Site};
use crate::analysis::syntax;

impl Planner<'_, '_> {
    /// The declared type: its lock path, and the initializer of a static or `let`.
    pub(super) fn declaration(&mut self) -> Result<(), String> {
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

    pub(super) fn reference(&mut self, site: Site) -> Result<(), String> {
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

pub(super) fn last_segment_name(path: &ast::Path) -> Option<String> {
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
