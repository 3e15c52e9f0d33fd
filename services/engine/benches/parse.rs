//! Parse time per seed: decode → normalise → structure, without tokenisation.
//!
//! The named baseline is `decode_only` on the same bytes, so the figure to quote is how many times
//! the decode cost the whole read costs (and the absolute time per seed).
#![expect(
    clippy::disallowed_methods,
    reason = "the I/O-free rule (clippy.toml) is for the library; the bench reads the seeds"
)]

use std::path::PathBuf;

use criterion::{Criterion, Throughput, criterion_group, criterion_main};
use taisho_engine::Limits;

fn seeds() -> Vec<(String, Vec<u8>)> {
    let dir = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../../shared/seeds");
    let mut out: Vec<_> = std::fs::read_dir(&dir)
        .unwrap_or_else(|e| panic!("seeds at {}: {e}", dir.display()))
        .filter_map(Result::ok)
        .map(|e| e.path())
        .filter(|p| p.extension().is_some_and(|x| x == "txt"))
        .map(|p| {
            let name = p.file_name().unwrap().to_string_lossy()[..3].to_owned();
            (name, std::fs::read(&p).unwrap())
        })
        .collect();
    out.sort();
    out
}

fn parse(c: &mut Criterion) {
    let limits = Limits::default();
    let mut group = c.benchmark_group("parse");
    for (name, bytes) in seeds() {
        group.throughput(Throughput::Bytes(bytes.len() as u64));
        group.bench_function(format!("decode_only/{name}"), |b| {
            b.iter(|| taisho_engine::decode::decode(&bytes, None).unwrap())
        });
        group.bench_function(format!("read/{name}"), |b| {
            b.iter(|| taisho_engine::read(&bytes, None, &limits).unwrap())
        });
    }
    group.finish();
}

criterion_group!(benches, parse);
criterion_main!(benches);
