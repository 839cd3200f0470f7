//! Parsing with a bound on the depth of the tree it builds.
//!
//! rust-analyzer's parser builds long chains iteratively — a million `1 + 1 + …` parse fine — but
//! the tree it returns is freed recursively (rowan's green nodes drop their children in their own
//! `Drop`), and the analysis walks ancestors from every node. A tree a million levels deep aborts
//! the process when it is freed, stack overflow being no panic the per-file guard could catch, and
//! a 30,000-link field chain takes seconds of ancestor walks. No written or generated Rust comes
//! near the bound below (rustfmt'd code stays under a hundred levels), so such a file is reported
//! as not analysed, and its tree is deliberately leaked instead of freed.

use ra_ap_syntax::{AstNode, Edition, NodeOrToken, Parse, SourceFile};

use crate::input_limits;

/// Syntax trees deeper than this are not analysed. 1,000 nested blocks (the lexer's bracket limit,
/// see the CLI's nesting check) make a tree about 3,000 deep.
pub const MAX_TREE_DEPTH: usize = 4_000;

/// A file beyond one of the limits: the message the user sees for it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TooDeep(pub String);

impl TooDeep {
    pub fn message(&self) -> String {
        self.0.clone()
    }
}

/// Parses `source`, unless its tokens already exceed a limit of [`input_limits`]; leaks the tree
/// and says so when the tree is too deep to analyse or free.
pub fn parse(source: &str, edition: Edition) -> Result<Parse<SourceFile>, TooDeep> {
    if let Some(message) = input_limits::too_deep(source, edition) {
        return Err(TooDeep(message));
    }
    let parse = SourceFile::parse(source, edition);
    if deeper_than(&parse, MAX_TREE_DEPTH) {
        // Freeing the tree recurses once per level: leaking it is the only safe way out. One
        // pathological file's tree is the whole cost.
        std::mem::forget(parse);
        return Err(TooDeep(format!(
            "syntax tree nested more than {MAX_TREE_DEPTH} levels deep (a generated expression \
             chain?), more than lockfix analyses safely; file skipped"
        )));
    }
    Ok(parse)
}

/// Whether the tree has more than `limit` levels of nodes. Walks the green tree with an explicit
/// stack: no recursion, no allocation per node.
fn deeper_than(parse: &Parse<SourceFile>, limit: usize) -> bool {
    let root = parse.tree();
    let mut stack = vec![root.syntax().green().children()];
    while let Some(children) = stack.last_mut() {
        match children.next() {
            Some(NodeOrToken::Node(node)) => {
                if stack.len() >= limit {
                    return true;
                }
                stack.push(node.children());
            }
            Some(NodeOrToken::Token(_)) => {}
            None => {
                stack.pop();
            }
        }
    }
    false
}

#[cfg(test)]
mod tests {
    use super::*;

    const ED: Edition = Edition::Edition2021;

    #[test]
    fn ordinary_code_parses() {
        let nested = format!("fn f() {{ {}1{} }}", "{".repeat(900), "}".repeat(900));
        assert!(parse(&nested, ED).is_ok());
        assert!(parse("fn f() { a.b().c()?.await + 1 }", ED).is_ok());
    }

    #[test]
    fn a_deep_chain_is_refused_without_freeing_it() {
        // Parsed iteratively, freed recursively: this used to abort the process.
        let chain = format!("fn f() -> u32 {{ {}1 }}", "1 + ".repeat(1_000_000));
        assert!(parse(&chain, ED).is_err());
        let fields = format!("fn f() {{ a{} }}", ".b".repeat(5_000));
        assert!(parse(&fields, ED).is_err());
    }

    #[test]
    fn the_bound_is_exact() {
        let depth_of = |links: usize| {
            let parse = SourceFile::parse(&format!("fn f() {{ a{} }}", ".b".repeat(links)), ED);
            (1..10_000)
                .find(|&limit| !deeper_than(&parse, limit))
                .unwrap()
        };
        // Each `.b` adds one FIELD_EXPR level.
        assert_eq!(depth_of(11) - depth_of(10), 1);
    }
}
