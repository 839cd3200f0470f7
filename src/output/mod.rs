//! What the user sees: the report rendered for people ([`human`]), machines ([`json`]), code
//! scanning ([`sarif`]) and GitHub Actions ([`github`]), with [`diff`]s, [`statistics`] and the
//! rule list. Renderers read a finished [`crate::report::Report`]; they never run analysis.

pub mod diff;
pub mod github;
pub mod human;
pub mod json;
pub mod rule_list;
pub mod sarif;
pub mod statistics;
