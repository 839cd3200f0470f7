//! A limit on how deeply nested a file may be before lockfix parses it.
//!
//! rust-analyzer's parser is recursive descent, and the transforms' analysis walks the tree
//! recursively: a few thousand nested blocks overflow the stack, and a stack overflow aborts the
//! whole process instead of panicking into the per-file guard. So the nesting of brackets is
//! measured first with the lexer, which does not recurse, and a file nested deeper than any real
//! code (generated code included) is skipped with a message while the run goes on. The big worker
//! stacks (see `run.rs`) are the second line of defence, for deep nesting without brackets.

use lockfix_transforms::Edition;
use ra_ap_parser::{LexedStr, SyntaxKind};

/// Bracket nesting (`(`, `[`, `{` together) beyond which a file is not parsed. A debug build
/// overflows the 8 MiB main thread (where the interactive prompt re-runs the fix loop) at about
/// 3,000 nested blocks; rustfmt'd code rarely exceeds 30.
pub const MAX_NESTING: usize = 1_000;

/// The deepest bracket nesting in `source`, from its tokens (so brackets in strings and comments
/// do not count).
pub fn bracket_nesting(source: &str, edition: Edition) -> usize {
    let lexed = LexedStr::new(edition, source);
    let mut depth = 0usize;
    let mut deepest = 0;
    for i in 0..lexed.len() {
        match lexed.kind(i) {
            SyntaxKind::L_CURLY | SyntaxKind::L_PAREN | SyntaxKind::L_BRACK => {
                depth += 1;
                deepest = deepest.max(depth);
            }
            SyntaxKind::R_CURLY | SyntaxKind::R_PAREN | SyntaxKind::R_BRACK => {
                depth = depth.saturating_sub(1);
            }
            _ => {}
        }
    }
    deepest
}

/// The per-file message for a file nested deeper than [`MAX_NESTING`], or `None`.
pub fn too_deep(source: &str, edition: Edition) -> Option<String> {
    let nesting = bracket_nesting(source, edition);
    (nesting > MAX_NESTING).then(|| {
        format!(
            "brackets nested {nesting} deep, more than lockfix parses safely ({MAX_NESTING}); \
             file skipped"
        )
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    const ED: Edition = Edition::Edition2021;

    #[test]
    fn nesting_counts_tokens_not_text() {
        assert_eq!(bracket_nesting("fn f() { g([1]) }", ED), 3);
        assert_eq!(bracket_nesting("fn f() { \"(((((\" } // {{{{", ED), 1);
        assert_eq!(bracket_nesting("}}} fn f() {}", ED), 1);
    }

    #[test]
    fn deep_files_are_refused_with_a_message() {
        let deep = format!("fn f() {{ {}{} }}", "{".repeat(10_000), "}".repeat(10_000));
        let message = too_deep(&deep, ED).unwrap();
        assert!(
            message.starts_with("brackets nested 10001 deep"),
            "{message}"
        );
        assert_eq!(too_deep("fn f() {}", ED), None);
    }
}
