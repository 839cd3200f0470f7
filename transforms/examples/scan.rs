//! Development aid: analyse every `.rs` file under a directory, check that every offered fix
//! re-parses, and print counts. The real corpus run goes through the CLI.
use lockfix_transforms::{Edition, Options, analyze, syntax_error_count};
use std::panic::{AssertUnwindSafe, catch_unwind};

fn walk(dir: &std::path::Path, out: &mut Vec<std::path::PathBuf>) {
    let Ok(entries) = std::fs::read_dir(dir) else {
        return;
    };
    for e in entries.flatten() {
        let p = e.path();
        if p.is_dir() {
            walk(&p, out)
        } else if p.extension().is_some_and(|x| x == "rs") {
            out.push(p)
        }
    }
}

fn main() {
    let root = std::env::args().nth(1).expect("usage: scan DIR");
    let verbose = std::env::args().nth(2).is_some();
    let mut files = Vec::new();
    walk(std::path::Path::new(&root), &mut files);
    files.sort();
    std::panic::set_hook(Box::new(|_| {}));
    let (mut findings, mut fixes, mut bad_fixes, mut panics, mut lines) = (0, 0, 0, 0, 0usize);
    let start = std::time::Instant::now();
    for path in &files {
        let Ok(text) = std::fs::read_to_string(path) else {
            continue;
        };
        lines += text.lines().count();
        let opts = Options::all_rules(Edition::Edition2021);
        let Ok(analysis) = catch_unwind(AssertUnwindSafe(|| analyze(&text, &opts))) else {
            panics += 1;
            println!("PANIC {}", path.display());
            continue;
        };
        let before = analysis.syntax_errors.len();
        for f in &analysis.findings {
            findings += 1;
            let line = text[..f.range.start].lines().count().max(1);
            if verbose {
                println!(
                    "{}:{} {:?} {} fix={}",
                    path.display(),
                    line,
                    f.severity,
                    f.message,
                    f.fix
                        .as_ref()
                        .map_or("none".into(), |x| format!("{:?}", x.applicability))
                );
            }
            if let Some(fix) = &f.fix {
                fixes += 1;
                let after = syntax_error_count(&fix.apply(&text), Edition::Edition2021);
                if after > before {
                    bad_fixes += 1;
                    println!("BAD FIX {}:{}", path.display(), line);
                }
            }
        }
    }
    println!(
        "files={} lines={} findings={} fixes={} bad_fixes={} panics={} time={:?}",
        files.len(),
        lines,
        findings,
        fixes,
        bad_fixes,
        panics,
        start.elapsed()
    );
}
