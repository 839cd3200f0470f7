//! What is checked and how: the files to analyse ([`discover`]), their text ([`source`]) and its
//! lines and columns ([`line_index`]), the edition each is parsed with ([`edition`]), the settings
//! that apply to each ([`config`]) and the rule ids users write ([`rules`]). Nothing here knows
//! about findings or fixes.

pub mod config;
pub mod discover;
pub mod edition;
pub mod line_index;
pub mod rules;
pub mod source;
