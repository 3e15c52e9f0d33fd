//! End-to-end analysis of the seeds: read + tokenise + analyse, against read + tokenise alone
//! (the share of tokenisation). Target: seed 003 (about 25,000 characters, both layers) under
//! 50 ms.

use criterion::{Criterion, criterion_group, criterion_main};
use taisho_engine::Limits;
use taisho_engine::analysis::{self, PreparedModel};
use taisho_guideline::{Catalog, EditionId};
use taisho_japanese::JapaneseTokenizer;
use taisho_testkit::seed_bytes as seed;

fn bench(c: &mut Criterion) {
    let tokenizer = JapaneseTokenizer::shared().expect("dictionary");
    let catalog = Catalog::builtin(EditionId::DEFAULT).expect("catalog");
    let model = PreparedModel::new(&catalog, tokenizer.as_ref()).expect("model");
    let limits = Limits::default();
    for name in ["003", "004"] {
        let bytes = seed(name);
        let mut group = c.benchmark_group(format!("seed_{name}"));
        group.sample_size(30);
        group.bench_function("read_tokenise", |b| {
            b.iter(|| {
                let doc = taisho_engine::read(&bytes, None, &limits).expect("read");
                taisho_engine::tokenize::tokenize(&doc, tokenizer.as_ref(), &limits)
                    .expect("tokenise")
            });
        });
        group.bench_function("read_tokenise_analyse", |b| {
            b.iter(|| {
                let doc = taisho_engine::read(&bytes, None, &limits).expect("read");
                let toks = taisho_engine::tokenize::tokenize(&doc, tokenizer.as_ref(), &limits)
                    .expect("tokenise");
                analysis::analyze(&doc, &toks, &model, &limits).expect("analyse")
            });
        });
        group.finish();
    }
}

criterion_group!(benches, bench);
criterion_main!(benches);
