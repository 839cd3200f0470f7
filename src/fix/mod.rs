//! Finding and fixing, in memory: [`engine`] checks one file's text (the analysis, made
//! panic-safe by [`analysis`], and the [`fix_loop`] that applies fixes until nothing changes,
//! through [`edit`]); then the phases that need more than one file: the package's
//! [`crate_index`], the [`semantic`] tier, and the crate-wide std→tokio swap ([`crate_fix`], which
//! also edits the manifest through [`cargo_manifest`]). Nothing here writes to the user's tree.

pub mod analysis;
pub mod cargo_manifest;
pub mod crate_fix;
pub mod crate_index;
pub mod edit;
pub mod engine;
pub mod facts_cache;
pub mod files;
pub mod fix_loop;
pub mod semantic;
