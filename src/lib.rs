//! lockfix's command-line front end: it finds the files, reads them, runs the transforms of
//! `lockfix-transforms`, applies their fixes, shows diffs and writes files. All the I/O of lockfix
//! lives here; the analysis crate is pure.
//!
//! The pipeline, one module per step:
//! [`discover`] → [`source`] (+ [`edition`]) → [`fix`] (through [`analysis`]) → [`report`]
//! ([`human`] / [`json`], with [`diff`]) → [`git`] + [`write`]; [`run`] strings them together,
//! [`cli`] parses the command line and [`interactive`] asks the user.

pub mod add_ignore;
pub mod analysis;
pub mod baseline;
pub mod cargo_manifest;
pub mod cargo_subcommand;
pub mod cli;
pub mod config;
pub mod crate_fix;
pub mod crate_index;
pub mod diff;
pub mod discover;
pub mod edit;
pub mod edition;
pub mod engine;
pub mod fix;
pub mod git;
pub mod github;
pub mod human;
pub mod interactive;
pub mod json;
pub mod line_index;
pub mod progress;
pub mod report;
pub mod rule_list;
pub mod rules;
pub mod run;
pub mod sarif;
pub mod semantic;
pub mod server;
pub mod source;
pub mod statistics;
pub mod verify;
pub mod write;

pub use cli::run_with_args;
