//! Changing the user's tree, once every file has been analysed ([`apply`] does it for a run):
//! asking which fixes to take ([`interactive`]), refusing to write over uncommitted work ([`git`]),
//! writing each file atomically ([`atomic`]), checking that the crate still builds and rolling back
//! what does not ([`verify`]), and the two adoption helpers that write files of their own:
//! [`baseline`] and [`add_ignore`].

pub mod add_ignore;
pub mod apply;
pub mod atomic;
pub mod baseline;
pub mod git;
pub mod interactive;
pub mod verify;
