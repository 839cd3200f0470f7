//! Cases whose deciding facts are in another file: the semantic tier gets them right, and the
//! syntax tier's crate index some of them (a helper or a method of a type the crate declares).
//! The `//~` comments list the findings expected on a line with `--semantic off` (syntax) and
//! `--semantic on` (semantic), read by tests/semantic.rs; every other line must stay silent.

pub mod handlers;
pub mod state;

/// Stands in for any awaited I/O.
pub async fn tick() {}
