//! What is checked and how: the files to analyse ([`discover`]), their text ([`source`]), the
//! edition each is parsed with ([`edition`]), the settings that apply to each ([`config`]) and
//! the rule ids users write ([`rules`]). Nothing here knows about findings or fixes.

pub mod config;
pub mod discover;
pub mod edition;
pub mod rules;
pub mod source;
