//! Development aid: print findings and the first-pass fixes for one file.
use lockfix_transforms::{Edition, Options, analyze};

fn main() {
    let path = std::env::args().nth(1).expect("usage: try FILE");
    let text = std::fs::read_to_string(path).expect("readable UTF-8 file");
    let analysis = analyze(&text, &Options::all_rules(Edition::Edition2021));
    for f in &analysis.findings {
        let line = text[..f.range.start].lines().count().max(1);
        println!(
            "--- {}:{} {:?} {}\n    help: {:?}",
            f.rule, line, f.severity, f.message, f.help
        );
        if let Some(fix) = &f.fix {
            println!(
                "    fix ({:?}): {}\n{}",
                fix.applicability,
                fix.title,
                fix.apply(&text)
            );
        }
    }
}
