//! lockfix's command-line front end: it finds the files, reads them, runs the transforms of
//! `lockfix-transforms`, applies their fixes, shows diffs and writes files. All the I/O of lockfix
//! lives here; the analysis crate is pure.
//!
//! The pipeline, one module per step:
//! [`discover`] → [`source`] (+ [`edition`]) → [`fix`] (through [`analysis`]) → [`report`]
//! ([`human`] / [`json`], with [`diff`]) → [`git`] + [`write`]; [`run`] strings them together,
//! [`cli`] parses the command line and [`interactive`] asks the user.

pub mod analysis;
pub mod cli;
pub mod depth;
pub mod diff;
pub mod discover;
pub mod edit;
pub mod edition;
pub mod fix;
pub mod git;
pub mod human;
pub mod interactive;
pub mod json;
pub mod line_index;
pub mod report;
pub mod rules;
pub mod run;
pub mod source;
pub mod verify;
pub mod write;

pub use cli::run_with_args;
