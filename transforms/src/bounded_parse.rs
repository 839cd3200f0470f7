//! Parsing with a bound on the depth of the tree it builds.
//!
//! rust-analyzer's parser builds long chains iteratively — a million `1 + 1 + …` parse fine — but
//! the tree it returns is freed recursively (rowan's green nodes drop their children in their own
//! `Drop`), and the analysis walks ancestors from every node. A tree a million levels deep aborts
//! the process when it is freed, stack overflow being no panic the per-file guard could catch, and
//! a 30,000-link field chain takes seconds of ancestor walks. No written or generated Rust comes
//! near the bound below (rustfmt'd code stays under a hundred levels), so such a file is reported
//! as not analysed, and its tree is deliberately leaked instead of freed.
//!
//! The file is lexed once: the limits of [`input_limits`] are read off the same tokens the parser
//! then reads (they used to lex every parsed file a second time, ~3 % of a corpus scan's CPU).
//! The tree is built the way [`SourceFile::parse`] builds it, step for step, so the tree and the
//! syntax errors are the same.

use ra_ap_parser::{LexedStr, StrStep, TopEntryPoint};
use ra_ap_syntax::{
    AstNode, Edition, NodeOrToken, Parse, SourceFile, SyntaxError, SyntaxTreeBuilder, TextRange,
    TextSize,
};

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

/// A parsed file: its tree, and the lexer's errors, which [`SourceFile::parse`] keeps with the
/// parser's but a tree built from tokens lexed beforehand cannot (rust-analyzer's tree builder
/// records an error at one offset, and a lexer error spans its token).
pub struct Parsed {
    parse: Parse<SourceFile>,
    /// The parser's errors, which `parse` stores too: they come before the lexer's.
    parser_errors: Vec<SyntaxError>,
    lexer_errors: Vec<SyntaxError>,
}

impl Parsed {
    pub fn tree(&self) -> SourceFile {
        self.parse.tree()
    }

    /// Every syntax error of the file, in the order `SourceFile::parse(..).errors()` gives them:
    /// the parser's, the lexer's, then those of rust-analyzer's validation of the tree.
    pub fn errors(&self) -> Vec<SyntaxError> {
        let mut errors = self.parse.errors();
        let at = self.parser_errors.len().min(errors.len());
        errors.splice(at..at, self.lexer_errors.iter().cloned());
        errors
    }

    /// The parser's and the lexer's errors: [`Parsed::errors`] without those of rust-analyzer's
    /// validation, which walks the whole tree once more (a tenth of a corpus scan's work) to find
    /// what only a file that also fails to compile has (a two-character `'ab'`, `crate` inside a
    /// path).
    pub fn parse_errors(&self) -> Vec<SyntaxError> {
        self.parser_errors
            .iter()
            .chain(&self.lexer_errors)
            .cloned()
            .collect()
    }
}

/// Parses `source`, unless its tokens already exceed a limit of [`input_limits`]; leaks the tree
/// and says so when the tree is too deep to analyse or free.
pub fn parse(source: &str, edition: Edition) -> Result<Parsed, TooDeep> {
    let lexed = LexedStr::new(edition, source);
    if let Some(message) = input_limits::too_deep_lexed(&lexed) {
        return Err(TooDeep(message));
    }
    let parsed = parse_lexed(&lexed, edition);
    if deeper_than(&parsed.parse, MAX_TREE_DEPTH) {
        // Freeing the tree recurses once per level: leaking it is the only safe way out. One
        // pathological file's tree is the whole cost.
        std::mem::forget(parsed);
        return Err(TooDeep(format!(
            "syntax tree nested more than {MAX_TREE_DEPTH} levels deep (a generated expression \
             chain?), more than lockfix parses safely; file skipped"
        )));
    }
    Ok(parsed)
}

/// What [`SourceFile::parse`] does after lexing (rust-analyzer's `parsing::parse_text` and
/// `build_tree`), from tokens already lexed.
fn parse_lexed(lexed: &LexedStr<'_>, edition: Edition) -> Parsed {
    // The parser's input stays alive until the tree is built, as in rust-analyzer's own parse:
    // freed before, it raised the peak memory of the 20,000-function file by up to 15 MB.
    let input = lexed.to_input(edition);
    let output = TopEntryPoint::SourceFile.parse(&input);
    let mut builder = SyntaxTreeBuilder::default();
    let mut parser_errors = Vec::new();
    lexed.intersperse_trivia(&output, &mut |step| match step {
        StrStep::Token { kind, text } => builder.token(kind, text),
        StrStep::Enter { kind } => builder.start_node(kind),
        StrStep::Exit => builder.finish_node(),
        StrStep::Error { msg, pos } => {
            parser_errors.push(SyntaxError::new_at_offset(msg.to_owned(), text_size(pos)));
            builder.error(msg.to_owned(), text_size(pos));
        }
    });
    let lexer_errors = lexed
        .errors()
        .map(|(token, message)| {
            let range = lexed.text_range(token);
            let range = TextRange::new(text_size(range.start), text_size(range.end));
            SyntaxError::new(message, range)
        })
        .collect();
    match builder.finish().cast::<SourceFile>() {
        Some(parse) => Parsed {
            parse,
            parser_errors,
            lexer_errors,
        },
        // The source-file entry point always builds a SOURCE_FILE root (`SourceFile::parse`
        // asserts it); were it ever not to, the parse is that function's own.
        None => {
            let parse = SourceFile::parse(lexed.as_str(), edition);
            Parsed {
                parser_errors: parse.errors(),
                parse,
                lexer_errors: Vec::new(),
            }
        }
    }
}

/// An offset in the text: the lexer keeps offsets in `u32`, so every offset it gives fits.
fn text_size(offset: usize) -> TextSize {
    TextSize::try_from(offset).unwrap_or(TextSize::new(u32::MAX))
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

    /// What rust-analyzer's validator (`validation.rs`) says about the sources below.
    const VALIDATOR_MESSAGES: &[&str] = &[
        "Invalid escape",
        "Literal must be one character long",
        "Tuple (struct) field access is only allowed",
        "The `crate` keyword is only allowed",
        "Byte literals must not contain unicode escapes",
        "At least one trait is required",
    ];

    #[test]
    fn errors_are_rust_analyzers_in_its_order() {
        // Parser errors, lexer errors (bad escapes, an unterminated block comment: each spans its
        // token) and the validator's (a literal's length, a numeric field name, `crate` inside a
        // path). The fourth source has all three, interleaved in the text.
        let sources = [
            "fn f() { let = 1; }",
            "fn f() { \"\\q\"; }",
            "fn f() { 'ab'; x.0x1; let a = crate::b::crate::c; }",
            "fn f( { \"\\q\" \r b'\\u{1}' /* never closed",
            "pub(crate) impl T for S {} fn g() -> impl 'a {} struct S { 0: u8 }",
            "fn f() { a \"\\\r\n b\" }",
            "",
        ];
        for source in sources {
            let reference = SourceFile::parse(source, ED);
            let parsed = parse(source, ED).unwrap();
            assert_eq!(parsed.errors(), reference.errors(), "{source:?}");
            // Without the validator's: the same errors, less those it adds at the end.
            let all = reference.errors();
            let (unvalidated, validated) = all.split_at(parsed.parse_errors().len());
            assert_eq!(parsed.parse_errors(), unvalidated, "{source:?}");
            for error in validated {
                let message = error.to_string();
                assert!(
                    VALIDATOR_MESSAGES.iter().any(|m| message.starts_with(m)),
                    "{message}"
                );
            }
            assert_eq!(
                format!("{:#?}", parsed.tree().syntax()),
                format!("{:#?}", reference.tree().syntax())
            );
        }
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
