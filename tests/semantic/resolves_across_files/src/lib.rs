//! Cases only the semantic tier gets right: the facts that decide them are in another file.
//! The `//~` comments list the findings expected on a line with `--semantic off` (syntax) and
//! `--semantic on` (semantic), read by tests/semantic.rs; every other line must stay silent.

pub mod handlers;
pub mod state;

/// Stands in for any awaited I/O.
pub async fn tick() {}
