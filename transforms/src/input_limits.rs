//! Limits on how deeply nested a file may be before lockfix parses it, read off its tokens.
//! [`crate::bounded_parse`] applies them before every parse, with the tree's own depth after it.
//!
//! rust-analyzer's parser is recursive descent, and the transforms' analysis walks the tree
//! recursively: a few thousand nested blocks overflow the stack, and a stack overflow aborts the
//! whole process instead of panicking into the per-file guard. So the nesting of brackets is
//! measured first with the lexer, which does not recurse, and a file nested deeper than any real
//! code (generated code included) is skipped with a message while the run goes on. The big worker
//! stacks (the CLI's `fix/files.rs`) are the second line of defence, for deep nesting without
//! brackets.

use ra_ap_parser::{LexedStr, SyntaxKind};
use ra_ap_syntax::Edition;

/// Bracket nesting (`(`, `[`, `{` together) beyond which a file is not parsed. A debug build
/// overflows the 8 MiB main thread (where the interactive prompt re-runs the fix loop) at about
/// 3,000 nested blocks; rustfmt'd code rarely exceeds 30.
pub const MAX_NESTING: usize = 1_000;

/// Consecutive prefix operators and keywords (`- - - x`, `&&&&T`, `|| || || x`, `return return`)
/// beyond which a file is not parsed: the parser recurses once for each, brackets or not. Real
/// code writes a handful.
pub const MAX_PREFIX_RUN: usize = 1_000;

/// Tokens one expression may have at one bracket level before a file is not parsed. Chains without
/// brackets (`a.b.c…`, `x + x + …`, `if … else if …`) make the tree one level deeper per link, and
/// rust-analyzer's tree builder re-hashes whole subtrees when its node cache grows: a 30,000-link
/// field chain took 6 s to parse, and deeper ones overflow the stack in that hashing. A `,`, `;` or
/// `=>` ends an expression, and so does a `}` that nothing continues (`else`, `.`, `?`).
pub const MAX_EXPRESSION_TOKENS: usize = 5_000;

/// What the lexer says about how deeply the parser would recurse on a file.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Nesting {
    /// The deepest bracket nesting (`(`, `[`, `{` together).
    pub brackets: usize,
    /// The longest run of tokens that each open a prefix expression, type or pattern.
    pub prefix_run: usize,
    /// The most tokens one expression has at one bracket level (a bracketed group counts as its
    /// two brackets): see [`MAX_EXPRESSION_TOKENS`].
    pub expression_tokens: usize,
}

/// The nesting of `source`, from its tokens (so brackets in strings and comments do not count).
pub fn nesting(source: &str, edition: Edition) -> Nesting {
    nesting_of(&LexedStr::new(edition, source))
}

/// [`nesting`], from the file's tokens: the parse reads the same ones ([`crate::bounded_parse`]).
pub fn nesting_of(lexed: &LexedStr<'_>) -> Nesting {
    let mut nesting = Nesting {
        brackets: 0,
        prefix_run: 0,
        expression_tokens: 0,
    };
    let mut run = 0;
    // Tokens of the current expression at each open bracket level; the file is level 0.
    let mut expression = vec![0usize];
    let mut previous = SyntaxKind::EOF;
    let mut after_block = false;
    for kind in (0..lexed.len()).map(|i| lexed.kind(i)) {
        if kind.is_trivia() {
            continue;
        }
        // A `}` that nothing continues ended a statement or an item.
        let continues = matches!(
            kind,
            SyntaxKind::ELSE_KW | SyntaxKind::DOT | SyntaxKind::QUESTION
        );
        if after_block
            && !continues
            && let Some(count) = expression.last_mut()
        {
            *count = 0;
        }
        after_block = false;
        match kind {
            SyntaxKind::L_CURLY | SyntaxKind::L_PAREN | SyntaxKind::L_BRACK => {
                count_token(&mut expression, &mut nesting);
                expression.push(0);
                nesting.brackets = nesting.brackets.max(expression.len() - 1);
            }
            SyntaxKind::R_CURLY | SyntaxKind::R_PAREN | SyntaxKind::R_BRACK => {
                if expression.len() > 1 {
                    expression.pop();
                }
                count_token(&mut expression, &mut nesting);
                after_block = kind == SyntaxKind::R_CURLY;
            }
            SyntaxKind::SEMICOLON | SyntaxKind::COMMA => {
                if let Some(count) = expression.last_mut() {
                    *count = 0;
                }
            }
            // `=>`, which the lexer gives as `=` and `>`.
            SyntaxKind::R_ANGLE if previous == SyntaxKind::EQ => {
                if let Some(count) = expression.last_mut() {
                    *count = 0;
                }
            }
            _ => count_token(&mut expression, &mut nesting),
        }
        if opens_prefix(kind) {
            run += 1;
            nesting.prefix_run = nesting.prefix_run.max(run);
        } else {
            run = 0;
        }
        previous = kind;
    }
    nesting
}

fn count_token(expression: &mut [usize], nesting: &mut Nesting) {
    if let Some(count) = expression.last_mut() {
        *count += 1;
        nesting.expression_tokens = nesting.expression_tokens.max(*count);
    }
}

/// Tokens the parser meets by recursing into what follows: prefix operators (`&&` and `||` are
/// two tokens each for the lexer), reference and pointer types, closures and the keywords that
/// take an expression.
fn opens_prefix(kind: SyntaxKind) -> bool {
    matches!(
        kind,
        SyntaxKind::MINUS
            | SyntaxKind::BANG
            | SyntaxKind::STAR
            | SyntaxKind::AMP
            | SyntaxKind::PIPE
            | SyntaxKind::DOT
            | SyntaxKind::MUT_KW
            | SyntaxKind::CONST_KW
            | SyntaxKind::MOVE_KW
            | SyntaxKind::ASYNC_KW
            | SyntaxKind::RETURN_KW
            | SyntaxKind::BREAK_KW
            | SyntaxKind::BOX_KW
            | SyntaxKind::REF_KW
            | SyntaxKind::DYN_KW
            | SyntaxKind::IMPL_KW
            | SyntaxKind::YIELD_KW
    )
}

/// The per-file message for a file beyond one of the limits ([`MAX_NESTING`], [`MAX_PREFIX_RUN`],
/// [`MAX_EXPRESSION_TOKENS`]), or `None`.
pub fn too_deep(source: &str, edition: Edition) -> Option<String> {
    too_deep_lexed(&LexedStr::new(edition, source))
}

/// [`too_deep`], from the file's tokens.
pub fn too_deep_lexed(lexed: &LexedStr<'_>) -> Option<String> {
    let Nesting {
        brackets,
        prefix_run,
        expression_tokens,
    } = nesting_of(lexed);
    if brackets > MAX_NESTING {
        Some(format!(
            "brackets nested {brackets} deep, more than lockfix parses safely ({MAX_NESTING}); \
             file skipped"
        ))
    } else if prefix_run > MAX_PREFIX_RUN {
        Some(format!(
            "{prefix_run} prefix operators in a row, more than lockfix parses safely \
             ({MAX_PREFIX_RUN}); file skipped"
        ))
    } else if expression_tokens > MAX_EXPRESSION_TOKENS {
        Some(format!(
            "an expression of {expression_tokens} tokens without a `,` or `;` (a generated \
             chain?), more than lockfix parses safely ({MAX_EXPRESSION_TOKENS}); file skipped"
        ))
    } else {
        None
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const ED: Edition = Edition::Edition2021;

    #[test]
    fn nesting_counts_tokens_not_text() {
        assert_eq!(nesting("fn f() { g([1]) }", ED).brackets, 3);
        assert_eq!(nesting("fn f() { \"(((((\" } // {{{{", ED).brackets, 1);
        assert_eq!(nesting("}}} fn f() {}", ED).brackets, 1);
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

    #[test]
    fn long_prefix_runs_are_refused_with_a_message() {
        // The parser recursed once per `-` and aborted the process at about 200,000.
        let unary = format!("fn f() -> i32 {{ {}1 }}", "- ".repeat(200_000));
        let message = too_deep(&unary, ED).unwrap();
        assert!(message.starts_with("200000 prefix operators"), "{message}");
        let refs = format!("fn f(x: {}u8) {{}}", "&".repeat(5_000));
        assert!(too_deep(&refs, ED).is_some());
        let closures = format!("fn f() {{ let c = {}1; }}", "|| ".repeat(5_000));
        assert!(too_deep(&closures, ED).is_some());
        // What real code writes stays well below.
        let code = "fn f(x: &&mut &u8) -> bool { !!-*-**x.y == 0 && ..=x || &&x }"; // `!!-*-**`: 7
        assert_eq!(nesting(code, ED).prefix_run, 7);
        assert_eq!(too_deep(code, ED), None);
    }

    #[test]
    fn long_chains_are_refused_and_long_lists_are_not() {
        // A 30,000-link field chain took 6 s in the parser's node cache.
        let fields = format!("fn f() {{ a{}; }}", ".b".repeat(30_000));
        let message = too_deep(&fields, ED).unwrap();
        assert!(
            message.starts_with("an expression of 60001 tokens"),
            "{message}"
        );
        let sum = format!("fn f() -> u32 {{ {}1 }}", "(1) + ".repeat(2_000));
        assert!(too_deep(&sum, ED).is_some());
        let else_ifs = format!("fn f() {{ if a {{}} {} }}", "else if a {} ".repeat(2_000));
        assert!(too_deep(&else_ifs, ED).is_some());
        // Lists, statements, items and match arms end their expressions.
        let list = format!("const A: [u8; 20000] = [{}];", "1, ".repeat(20_000));
        assert_eq!(too_deep(&list, ED), None);
        let statements = format!("fn f() {{ {} }}", "x.y.z(); ".repeat(5_000));
        assert_eq!(too_deep(&statements, ED), None);
        let items = "fn f() { if a { b } else { c } }\n".repeat(5_000);
        assert_eq!(too_deep(&items, ED), None);
        let arms = format!("fn f() {{ match x {{ {} }} }}", "1 => {} ".repeat(5_000));
        assert_eq!(too_deep(&arms, ED), None);
        assert_eq!(
            nesting("fn f() { a.b().c?.d + 1; }", ED).expression_tokens,
            12
        );
    }
}
