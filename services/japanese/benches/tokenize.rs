//! Tokenisation throughput on the five real seeds, in chars/s, at three levels:
//! (a) raw lindera, line by line with a reused lattice (the baseline);
//! (b) `JapaneseTokenizer::segment` on the same lines (adds POS and base form per morpheme);
//! (c) the engine's `tokens::tokenize` on the read documents (adds folding and offset mapping).
//! Target: (c) at least 80% of (a)'s throughput.
//!
//! Criterion's numbers drift with machine load, and (a) and (c) are measured minutes apart, so the
//! figure to quote comes from the interleaved mode, which runs a, b, c alternately in one process
//! and reports medians and per-round ratios:
//!
//! ```text
//! cargo bench -p taisho-japanese --bench tokenize -- --ratio [ROUNDS]
//! ```

use std::borrow::Cow;
use std::hint::black_box;
use std::time::{Duration, Instant};

use criterion::{Criterion, Throughput};
use lindera_dictionary::viterbi::Lattice;
use taisho_engine::{Document, Limits, Tokenizer};
use taisho_japanese::JapaneseTokenizer;
use taisho_testkit::{SEEDS, seed_name, seed_text};

/// (file name, text) of every seed.
fn seeds() -> Vec<(String, String)> {
    SEEDS.iter().map(|p| (seed_name(p), seed_text(p))).collect()
}

/// Everything the three measured passes need, prepared once.
struct Fixture {
    tok: std::sync::Arc<JapaneseTokenizer>,
    all: String,
    docs: Vec<Document>,
    limits: Limits,
}

impl Fixture {
    fn new() -> Self {
        let tok = JapaneseTokenizer::shared().expect("tokenizer loads");
        let seeds = seeds();
        let all = seeds
            .iter()
            .map(|(_, t)| t.as_str())
            .collect::<Vec<_>>()
            .join("\n");
        let limits = Limits::default();
        let docs = seeds
            .iter()
            .map(|(name, text)| {
                taisho_engine::read(text.as_bytes(), Some(name), &limits).expect("reads")
            })
            .collect();
        Self {
            tok,
            all,
            docs,
            limits,
        }
    }

    fn lines(&self) -> Vec<&str> {
        self.all.lines().collect()
    }

    fn chars(&self) -> u64 {
        self.all.chars().count() as u64
    }

    /// (a) raw lindera.
    fn raw(&self, lines: &[&str], lattice: &mut Lattice) -> usize {
        let segmenter = self.tok.segmenter();
        let mut n = 0usize;
        for line in lines {
            let tokens = segmenter
                .segment_with_lattice(Cow::Borrowed(line), lattice)
                .expect("segments");
            n += tokens.len();
        }
        n
    }

    /// (b) the Japanese tokenizer.
    fn segment(&self, lines: &[&str], out: &mut Vec<taisho_engine::Morpheme>) -> usize {
        let mut n = 0usize;
        for line in lines {
            out.clear();
            self.tok.segment(line, out).expect("segments");
            n += out.len();
        }
        n
    }

    /// (c) the engine's tokens stage.
    fn engine(&self) -> usize {
        let mut n = 0usize;
        for doc in &self.docs {
            let tokens = taisho_engine::tokenize::tokenize(doc, &*self.tok, &self.limits)
                .expect("tokenises");
            n += tokens.tokens.len();
        }
        n
    }
}

fn bench(c: &mut Criterion) {
    let fx = Fixture::new();
    let lines = fx.lines();

    let mut group = c.benchmark_group("tokenize");
    group.throughput(Throughput::Elements(fx.chars()));
    group.bench_function("a_raw_lindera", |b| {
        let mut lattice = Lattice::default();
        b.iter(|| black_box(fx.raw(&lines, &mut lattice)));
    });
    group.bench_function("b_japanese_tokenizer", |b| {
        let mut out = Vec::new();
        b.iter(|| black_box(fx.segment(&lines, &mut out)));
    });
    group.bench_function("c_engine_tokens", |b| b.iter(|| black_box(fx.engine())));
    group.finish();
}

fn median(v: &mut [f64]) -> f64 {
    v.sort_by(f64::total_cmp);
    let n = v.len();
    if n == 0 {
        0.0
    } else if n % 2 == 1 {
        v[n / 2]
    } else {
        f64::midpoint(v[n / 2 - 1], v[n / 2])
    }
}

fn ms(d: Duration) -> f64 {
    d.as_secs_f64() * 1e3
}

/// Runs a, b, c alternately `rounds` times (after a warm-up) so that load changes hit all three
/// alike, then prints median and best times and the throughput ratios a/b and a/c (the share of
/// raw lindera throughput each level keeps), both as ratios of medians and as the median of
/// per-round ratios.
fn ratio(rounds: usize) {
    let fx = Fixture::new();
    let lines = fx.lines();
    let mut lattice = Lattice::default();
    let mut out = Vec::new();
    for _ in 0..5 {
        black_box(fx.raw(&lines, &mut lattice));
        black_box(fx.segment(&lines, &mut out));
        black_box(fx.engine());
    }
    let (mut a, mut b, mut c) = (Vec::new(), Vec::new(), Vec::new());
    let (mut rb, mut rc) = (Vec::new(), Vec::new());
    for round in 0..rounds {
        // Rotate the order so no level always runs right after another.
        let mut times = [Duration::ZERO; 3];
        for k in 0..3 {
            let which = (round + k) % 3;
            let t = Instant::now();
            match which {
                0 => black_box(fx.raw(&lines, &mut lattice)),
                1 => black_box(fx.segment(&lines, &mut out)),
                _ => black_box(fx.engine()),
            };
            times[which] = t.elapsed();
        }
        let [ta, tb, tc] = times.map(ms);
        a.push(ta);
        b.push(tb);
        c.push(tc);
        rb.push(ta / tb);
        rc.push(ta / tc);
    }
    let best = |v: &[f64]| v.iter().copied().fold(f64::INFINITY, f64::min);
    let (best_a, best_b, best_c) = (best(&a), best(&b), best(&c));
    let (ma, mb, mc) = (median(&mut a), median(&mut b), median(&mut c));
    println!(
        "tokenize ratio: {rounds} interleaved rounds, {} chars in {} lines, {} docs",
        fx.chars(),
        lines.len(),
        fx.docs.len()
    );
    println!("  a_raw_lindera        median {ma:7.3} ms  best {best_a:7.3} ms");
    println!(
        "  b_japanese_tokenizer median {mb:7.3} ms  best {best_b:7.3} ms  a/b {:.3} (per-round median {:.3})",
        ma / mb,
        median(&mut rb)
    );
    println!(
        "  c_engine_tokens      median {mc:7.3} ms  best {best_c:7.3} ms  a/c {:.3} (per-round median {:.3}, best/best {:.3})",
        ma / mc,
        median(&mut rc),
        best_a / best_c
    );
    println!("  target: a/c >= 0.800 (the engine keeps 80% of raw lindera throughput)");
}

fn main() {
    let args: Vec<String> = std::env::args().skip(1).collect();
    if let Some(i) = args.iter().position(|a| a == "--ratio") {
        let rounds = args.get(i + 1).and_then(|r| r.parse().ok()).unwrap_or(100);
        ratio(rounds);
        return;
    }
    let mut c = Criterion::default().configure_from_args();
    bench(&mut c);
    c.final_summary();
}
