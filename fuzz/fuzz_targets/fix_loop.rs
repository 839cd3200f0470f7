//! Arbitrary bytes through the per-file pipeline: the fix loop with every fix accepted (each parse
//! checks the input limits first). A panic inside the guard is a finding too (it is a lockfix
//! bug), so the target re-raises it; a fix that breaks the syntax or does not settle aborts as well. Seed the corpus
//! with the fixtures (`transforms/fixtures/*/*.rs`) to get mutations of real Rust.
#![no_main]

use libfuzzer_sys::fuzz_target;
use lockfix::fix::analysis::catch_panic;
use lockfix::fix::fix_loop::{Decision, fix_source};
use lockfix_transforms::{Edition, Options, syntax_error_count};

fuzz_target!(|data: &[u8]| {
    let Ok(text) = std::str::from_utf8(data) else {
        return;
    };
    let edition = Edition::Edition2021;
    // The 0.0.345 lexer panics on some unterminated frontmatter; lockfix contains that panic per
    // file, so it is not a finding here.
    if catch_panic(|| lockfix_transforms::input_limits::too_deep(text, edition)).is_err() {
        return;
    }
    let options = Options::all_rules(edition);
    let run = |text: &str| {
        catch_panic(|| fix_source(text, &options, true, &mut |_, _| Decision::Apply))
            .and_then(|outcome| outcome)
    };
    let first = run(text).unwrap_or_else(|panic| panic!("{panic}"));
    assert!(first.dropped.is_empty(), "dropped fixes: {:?}", first.dropped);
    if first.changed() {
        assert!(first.converged, "did not converge");
        assert_eq!(syntax_error_count(&first.text, edition), 0, "a fix broke the syntax");
        let second = run(&first.text).expect("the fixed text analyses");
        assert!(!second.changed(), "second pass applied {:?}", second.applied);
    }
});
