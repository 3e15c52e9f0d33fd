//! Diff of seed 004 (a near-copy of the national model) against seed 000 with real tokens.
//! `compare` is the diff alone (target < 5 ms); `tokenize_and_compare` adds tokenising both.

use std::hint::black_box;

use criterion::{Criterion, criterion_group, criterion_main};
use taisho_engine::diff;
use taisho_engine::tokenize::tokenize;
use taisho_engine::{Document, Limits};
use taisho_japanese::JapaneseTokenizer;

fn read_seed(prefix: &str) -> Document {
    let bytes = taisho_testkit::seed_bytes(prefix);
    taisho_engine::read(&bytes, None, &Limits::default()).expect("seed reads")
}

fn bench(c: &mut Criterion) {
    let tok = JapaneseTokenizer::shared().expect("tokenizer loads");
    let limits = Limits::default();
    let (old, new) = (read_seed("004"), read_seed("000"));
    let ta = tokenize(&old, tok.as_ref(), &limits).expect("tokenises");
    let tb = tokenize(&new, tok.as_ref(), &limits).expect("tokenises");

    let mut group = c.benchmark_group("diff_004_vs_000");
    group.bench_function("compare", |b| {
        b.iter(|| black_box(diff::compare((&old, &ta), (&new, &tb), &limits)));
    });
    group.bench_function("tokenize_and_compare", |b| {
        b.iter(|| {
            let ta = tokenize(&old, tok.as_ref(), &limits).expect("tokenises");
            let tb = tokenize(&new, tok.as_ref(), &limits).expect("tokenises");
            black_box(diff::compare((&old, &ta), (&new, &tb), &limits))
        });
    });
    group.bench_function("render_html", |b| {
        let d = diff::compare((&old, &ta), (&new, &tb), &limits);
        b.iter(|| black_box(taisho_web::diff_table_page(&d, "004", "000")));
    });
    group.finish();
}

criterion_group!(benches, bench);
criterion_main!(benches);
