//! Profiling driver for the gap analysis on the synthetic national corpus: times tokenisation
//! and analysis per body on one thread and lists the slowest bodies.
//!
//! `cargo run --release -p taisho-server --example analysis_profile -- [BODIES] [REPEAT]`

use std::time::{Duration, Instant};

use taisho_engine::Limits;
use taisho_engine::analysis::{self, PreparedModel};
use taisho_guideline::{Catalog, EditionId};
use taisho_japanese::JapaneseTokenizer;
use taisho_synth as synth;

fn main() -> anyhow::Result<()> {
    let mut args = std::env::args().skip(1);
    let n: usize = args.next().and_then(|a| a.parse().ok()).unwrap_or(300);
    let repeat: usize = args.next().and_then(|a| a.parse().ok()).unwrap_or(1);
    let tokenizer = JapaneseTokenizer::shared()?;
    let catalog = Catalog::builtin(EditionId::DEFAULT)?;
    let t = Instant::now();
    let model = PreparedModel::new(&catalog, tokenizer.as_ref())?;
    eprintln!("prepare: {:.1} ms", t.elapsed().as_secs_f64() * 1e3);
    let owned = synth::model_bases(&catalog);
    let bases: Vec<&str> = owned.iter().map(String::as_str).collect();
    // The seeds first (real policies), then the synthetic bodies.
    let seeds_dir = taisho_testkit::testdata().join("seeds");
    let mut corpus: Vec<String> = Vec::new();
    if std::env::var_os("SEEDS").is_some() {
        let mut seeds: Vec<_> = std::fs::read_dir(seeds_dir)?
            .filter_map(Result::ok)
            .map(|e| e.path())
            .filter(|p| p.extension().is_some_and(|x| x == "txt"))
            .collect();
        seeds.sort();
        for p in seeds {
            corpus.push(std::fs::read_to_string(p)?);
        }
    }
    corpus.extend(synth::corpus(n, 0x7a15, &bases).into_iter().map(|b| b.text));
    let limits = Limits::default();
    // DUMP=path writes every analysis as one JSON line: compare dumps to prove a speed-up
    // leaves results identical.
    let mut dump = std::env::var_os("DUMP")
        .map(std::fs::File::create)
        .transpose()?
        .map(std::io::BufWriter::new);
    let mut rows = Vec::new();
    let (mut tok_total, mut ana_total) = (Duration::ZERO, Duration::ZERO);
    // Each body is tokenised and analysed `repeat` times in turn; the fastest run of each counts,
    // so load from other processes affects both stages alike and mostly drops out.
    for (i, body) in corpus.iter().enumerate() {
        let doc = taisho_engine::read(body.as_bytes(), None, &limits)?;
        let (mut tt, mut at) = (Duration::MAX, Duration::MAX);
        for r in 0..repeat.max(1) {
            let t = Instant::now();
            let toks = taisho_engine::tokenize::tokenize(&doc, tokenizer.as_ref(), &limits)?;
            tt = tt.min(t.elapsed());
            let t = Instant::now();
            let a = analysis::analyze(&doc, &toks, &model, &limits)?;
            at = at.min(t.elapsed());
            if r == 0
                && let Some(w) = dump.as_mut()
            {
                use std::io::Write;
                serde_json::to_writer(&mut *w, &a)?;
                writeln!(w)?;
            }
            std::hint::black_box(a);
        }
        tok_total += tt;
        ana_total += at;
        rows.push((at, tt, i, body.chars().count(), doc.sentences.len()));
    }
    // Whole passes, interleaved, fastest of `repeat`: tokenise everything, analyse everything.
    let docs: Vec<_> = corpus
        .iter()
        .map(|b| taisho_engine::read(b.as_bytes(), None, &limits))
        .collect::<Result<_, _>>()?;
    let mut toks = Vec::new();
    let (mut tok_pass, mut ana_pass) = (Duration::MAX, Duration::MAX);
    for _ in 0..repeat.max(1) {
        toks.clear();
        let t = Instant::now();
        for d in &docs {
            toks.push(taisho_engine::tokenize::tokenize(
                d,
                tokenizer.as_ref(),
                &limits,
            )?);
        }
        tok_pass = tok_pass.min(t.elapsed());
        let t = Instant::now();
        for (d, k) in docs.iter().zip(&toks) {
            std::hint::black_box(analysis::analyze(d, k, &model, &limits)?);
        }
        ana_pass = ana_pass.min(t.elapsed());
    }
    eprintln!(
        "passes: tokenise {:.3} s  analyse {:.3} s  ratio {:.3}",
        tok_pass.as_secs_f64(),
        ana_pass.as_secs_f64(),
        ana_pass.as_secs_f64() / tok_pass.as_secs_f64()
    );
    rows.sort_by_key(|r| std::cmp::Reverse(r.0));
    for r in rows.iter().take(8) {
        eprintln!(
            "body {:>5}: {:>7} chars {:>5} sentences  tok {:>7.2} ms  analyse {:>7.2} ms",
            r.2,
            r.3,
            r.4,
            r.1.as_secs_f64() * 1e3,
            r.0.as_secs_f64() * 1e3
        );
    }
    eprintln!(
        "tokenise {:.3} s  analyse {:.3} s  ratio analyse/tokenise {:.2}",
        tok_total.as_secs_f64(),
        ana_total.as_secs_f64(),
        ana_total.as_secs_f64() / tok_total.as_secs_f64()
    );
    Ok(())
}
