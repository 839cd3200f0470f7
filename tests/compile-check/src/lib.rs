//! Compile check for lockfix fixtures: every `*.rs` in `src/fixtures/` (or in `$LOCKFIX_FIXTURE_DIR`)
//! becomes a module of this crate (see build.rs), then `cargo check` says whether it compiles.
//! Fixtures are written as they would appear in a real crate, so the lints that fire on test code
//! (unused items, variables that are only there to hold a lock, ...) are silenced here once.
#![allow(
    dead_code,
    unused,
    unused_mut,
    unused_variables,
    unused_imports,
    unused_must_use,
    unused_assignments,
    unreachable_code,
    non_snake_case,
    non_upper_case_globals,
    non_camel_case_types
)]

include!(concat!(env!("OUT_DIR"), "/fixtures.rs"));
