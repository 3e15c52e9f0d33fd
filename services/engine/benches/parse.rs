//! Parse time per seed: decode → normalise → structure, without tokenisation.
//!
//! The named baseline is `decode_only` on the same bytes, so the figure to quote is how many times
//! the decode cost the whole read costs (and the absolute time per seed).
use criterion::{Criterion, Throughput, criterion_group, criterion_main};
use taisho_engine::Limits;
use taisho_testkit::{SEEDS, seed_bytes};

/// (prefix, bytes) of every seed.
fn seeds() -> Vec<(String, Vec<u8>)> {
    SEEDS
        .iter()
        .map(|p| ((*p).to_owned(), seed_bytes(p)))
        .collect()
}

fn parse(c: &mut Criterion) {
    let limits = Limits::default();
    let mut group = c.benchmark_group("parse");
    for (name, bytes) in seeds() {
        group.throughput(Throughput::Bytes(bytes.len() as u64));
        group.bench_function(format!("decode_only/{name}"), |b| {
            b.iter(|| taisho_engine::decode::decode(&bytes, None).unwrap());
        });
        group.bench_function(format!("read/{name}"), |b| {
            b.iter(|| taisho_engine::read(&bytes, None, &limits).unwrap());
        });
    }
    group.finish();
}

criterion_group!(benches, parse);
criterion_main!(benches);
