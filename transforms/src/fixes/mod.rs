//! Rewrites shared by the transforms. Each builds edits from the shared analysis and never does
//! I/O; a builder that cannot produce a correct rewrite returns `None` and the finding is reported
//! without a fix.

pub mod clone_arc_out;
pub mod clone_evidence;
pub mod clone_out;
pub mod defer_emission;
pub mod drain_then_run;
pub mod drop_and_relock;
pub mod drop_arm_guard;
pub mod drop_at_last_use;
pub mod drop_in_arm;
pub mod exports;
pub mod extract_check;
pub mod hoist;
pub mod if_let_split;
pub mod lock_swap;
pub mod naming;
pub mod own_binding;
pub mod ownership;
pub mod phase_split;
pub mod release;
pub mod relock_split;
pub mod reorder_acquisitions;
pub mod scoped_block;
pub mod snapshot;
pub mod store_after;
pub mod while_let_loop;
