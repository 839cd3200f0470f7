//! What lockfix knows of the standard library's and the logging crates' macros without
//! expanding them.

/// Macros whose arguments are expressions evaluated where the macro is called and only borrowed
/// (they format, log, assert or match them): a call in them runs in the code around the macro
/// (an `.await` can be written there), and a guard they are given is not moved. `vec!` and `dbg!`
/// move theirs.
pub const EXPRESSION_MACROS: &[&str] = &[
    "format",
    "format_args",
    "print",
    "println",
    "eprint",
    "eprintln",
    "write",
    "writeln",
    "panic",
    "trace",
    "debug",
    "info",
    "warn",
    "error",
    "assert",
    "assert_eq",
    "assert_ne",
    "debug_assert",
    "debug_assert_eq",
    "debug_assert_ne",
    "matches",
];
