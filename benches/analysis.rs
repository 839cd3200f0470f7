//! Per-file cost of the analysis (parse, lock scopes, every rule), on the fixtures and on generated
//! files of many guarded functions (the per-function time must stay flat from 500 to 20,000:
//! generated bindings are that large), and of the prefilter on a file with no lock in it.
//! `cargo bench --bench analysis`.

use std::hint::black_box;
use std::path::Path;

use criterion::{BenchmarkId, Criterion, Throughput, criterion_group, criterion_main};
use lockfix_transforms::{Edition, Options, analyze, prefilter::may_contain_locks};

fn fixtures() -> Vec<(String, String)> {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("transforms/fixtures/guard_across_await");
    let mut files: Vec<(String, String)> = std::fs::read_dir(dir)
        .expect("fixture folder")
        .flatten()
        .filter_map(|e| {
            let name = e.path().file_stem()?.to_string_lossy().to_string();
            Some((name, std::fs::read_to_string(e.path()).ok()?))
        })
        .collect();
    files.sort();
    files
}

fn bench(c: &mut Criterion) {
    let options = Options::all_rules(Edition::Edition2021);
    let mut group = c.benchmark_group("analyze");
    for (name, text) in fixtures() {
        group.bench_function(&name, |b| b.iter(|| analyze(black_box(&text), &options)));
    }
    group.finish();

    // One file of N async functions, each holding a std mutex guard across an `.await`: every
    // function is a finding with a fix (the shape of `bench/many_functions.sh`).
    let mut group = c.benchmark_group("analyze/generated file");
    group.sample_size(10);
    for functions in [500, 1_000, 2_000, 20_000] {
        let text = many_functions(functions);
        group.throughput(Throughput::Elements(functions as u64));
        group.bench_with_input(BenchmarkId::from_parameter(functions), &text, |b, text| {
            b.iter(|| analyze(black_box(text), &options))
        });
    }
    group.finish();

    // A lock-free file of realistic size: what most of a big tree looks like to the prefilter.
    let plain = "pub fn add(a: u64, b: u64) -> u64 { a.saturating_add(b) }\n".repeat(2_000);
    c.bench_function("prefilter/120KB without locks", |b| {
        b.iter(|| may_contain_locks(black_box(&plain)))
    });
}

fn many_functions(functions: usize) -> String {
    let mut text = String::from(
        "use std::sync::Mutex;\nstatic M: Mutex<Vec<u64>> = Mutex::new(Vec::new());\nasync fn io() {}\n",
    );
    for i in 0..functions {
        text.push_str(&format!(
            "pub async fn f{i}() -> usize {{\n    let g = M.lock().unwrap();\n    io().await;\n    g.len()\n}}\n"
        ));
    }
    text
}

criterion_group!(benches, bench);
criterion_main!(benches);
