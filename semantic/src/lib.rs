//! lockfix's semantic tier: rust-analyzer loads the Cargo workspace that owns the scanned files and
//! answers what the syntax tier can only guess — the real type of every lock receiver (through
//! `Arc`, fields of fields, aliases and re-exports), helpers that return guards, and the locks a
//! method in another file takes.
//!
//! Loading is expensive (a second or more, 100+ MB), so front ends load a workspace only when the
//! syntax tier found candidates in it. Every failure is an `Err`, never a panic that escapes:
//! callers fall back to the syntax tier for that workspace.

pub mod async_chain;
pub mod cache_file;
pub mod classify;
mod facts;
mod owned_values;
pub mod swap;
pub mod sysroot;
pub mod unresolvable;
mod workspace;

pub use unresolvable::Unresolvable;
pub use workspace::{LoadOptions, LoadStats, Prepared, Workspace};
