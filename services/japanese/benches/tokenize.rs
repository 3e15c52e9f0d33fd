//! Tokenisation throughput on the five real seeds, in chars/s, at three levels:
//! (a) raw lindera, line by line with a reused lattice (the baseline);
//! (b) `JapaneseTokenizer::segment` on the same lines (adds POS and base form per morpheme);
//! (c) the engine's `tokens::tokenize` on the read documents (adds folding and offset mapping).
//! Target: (c) at least 80% of (a).

use std::borrow::Cow;
use std::hint::black_box;
use std::path::PathBuf;

use criterion::{Criterion, Throughput, criterion_group, criterion_main};
use lindera_dictionary::viterbi::Lattice;
use taisho_engine::{Limits, Tokenizer};
use taisho_japanese::JapaneseTokenizer;

fn seeds() -> Vec<(String, String)> {
    let dir = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../../shared/seeds");
    let mut files: Vec<PathBuf> = std::fs::read_dir(&dir)
        .unwrap_or_else(|e| panic!("seeds at {}: {e}", dir.display()))
        .filter_map(Result::ok)
        .map(|e| e.path())
        .filter(|p| p.extension().is_some_and(|x| x == "txt"))
        .collect();
    files.sort();
    files
        .into_iter()
        .map(|p| {
            let name = p.file_name().map(|n| n.to_string_lossy().into_owned());
            let text = std::fs::read_to_string(&p).expect("seed is UTF-8");
            (name.unwrap_or_default(), text)
        })
        .collect()
}

fn bench(c: &mut Criterion) {
    let tok = JapaneseTokenizer::shared().expect("tokenizer loads");
    let seeds = seeds();
    let all: String = seeds
        .iter()
        .map(|(_, t)| t.as_str())
        .collect::<Vec<_>>()
        .join("\n");
    let lines: Vec<&str> = all.lines().collect();
    let chars = all.chars().count() as u64;

    let mut group = c.benchmark_group("tokenize");
    group.throughput(Throughput::Elements(chars));

    group.bench_function("a_raw_lindera", |b| {
        let segmenter = tok.segmenter();
        let mut lattice = Lattice::default();
        b.iter(|| {
            let mut n = 0usize;
            for line in &lines {
                let tokens = segmenter
                    .segment_with_lattice(Cow::Borrowed(line), &mut lattice)
                    .expect("segments");
                n += tokens.len();
            }
            black_box(n)
        })
    });

    group.bench_function("b_japanese_tokenizer", |b| {
        let mut out = Vec::new();
        b.iter(|| {
            let mut n = 0usize;
            for line in &lines {
                out.clear();
                tok.segment(line, &mut out).expect("segments");
                n += out.len();
            }
            black_box(n)
        })
    });

    let limits = Limits::default();
    let docs: Vec<_> = seeds
        .iter()
        .map(|(name, text)| {
            taisho_engine::read(text.as_bytes(), Some(name), &limits).expect("reads")
        })
        .collect();
    group.bench_function("c_engine_tokens", |b| {
        b.iter(|| {
            let mut n = 0usize;
            for doc in &docs {
                let tokens =
                    taisho_engine::tokens::tokenize(doc, &*tok, &limits).expect("tokenises");
                n += tokens.tokens.len();
            }
            black_box(n)
        })
    });
    group.finish();
}

criterion_group!(benches, bench);
criterion_main!(benches);
