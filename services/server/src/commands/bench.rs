//! `taisho bench national`: every local body of Japan at once, on synthetic policies.
//!
//! Bodies come from `taisho_synth`: the national model rendered as a policy (four in
//! five 基本方針 only, one in five with the 対策基準 too, like the seeds), each with a fictional
//! name and random realistic edits. Three timed passes over the same corpus, each on a pool of
//! `threads` workers: read only, read + tokenise (the baseline), read + tokenise + analyse.

use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::{Duration, Instant};

use anyhow::Context;
use clap::Subcommand;
use taisho_engine::analysis::PreparedModel;
use taisho_engine::pipeline::{Pipeline, Step};
use taisho_engine::{EngineError, Limits, Tokenizer};
use taisho_guideline::Catalog;
use taisho_synth::{self as synth, SyntheticBody};

use crate::runtime::prepare;

#[derive(Debug, clap::Args)]
pub struct Args {
    #[command(subcommand)]
    bench: BenchCommand,
}

#[derive(Debug, Subcommand)]
enum BenchCommand {
    /// Generate N synthetic bodies and time read, tokenise and analyse over all of them.
    National {
        #[arg(long, default_value_t = 1788)]
        bodies: usize,
        /// Worker threads; default all cores.
        #[arg(long)]
        threads: Option<usize>,
        #[arg(long, default_value = "1788", value_parser = parse_seed)]
        seed: u64,
        #[arg(long)]
        edition: Option<String>,
    },
}

pub fn run(args: Args) -> anyhow::Result<()> {
    match args.bench {
        BenchCommand::National {
            bodies,
            threads,
            seed,
            edition,
        } => national(bodies, threads, seed, edition.as_deref()),
    }
}

/// The synthetic national corpus: `n` bodies, deterministic in `seed`.
fn national_corpus(catalog: &Catalog, n: usize, seed: u64) -> Vec<SyntheticBody> {
    let bases = synth::model_bases(catalog);
    let refs: Vec<&str> = bases.iter().map(String::as_str).collect();
    synth::corpus(n, seed, &refs)
}

/// Why a body's run ended early: the pass is over (a success), or the engine refused the body.
enum Stop {
    PassDone,
    Engine,
}

impl From<EngineError> for Stop {
    fn from(_: EngineError) -> Stop {
        Stop::Engine
    }
}

/// Runs one pass over every body on `threads` workers, the pipeline up to step `last`; returns
/// the wall time and the number of bodies that failed (counted, never fatal: one odd body must
/// not stop a national run).
fn run_pass(
    bodies: &[SyntheticBody],
    threads: usize,
    last: Step,
    tokenizer: &dyn Tokenizer,
    model: &PreparedModel,
    limits: &Limits,
) -> (Duration, usize) {
    let pipeline = Pipeline::new(tokenizer, limits);
    let next = AtomicUsize::new(0);
    let failed = AtomicUsize::new(0);
    let started = Instant::now();
    std::thread::scope(|scope| {
        for _ in 0..threads {
            scope.spawn(|| {
                loop {
                    let i = next.fetch_add(1, Ordering::Relaxed);
                    let Some(body) = bodies.get(i) else { break };
                    let run = pipeline.run(body.text.as_bytes(), None, model, |step| {
                        if step > last {
                            Err(Stop::PassDone)
                        } else {
                            Ok(())
                        }
                    });
                    let ok = !matches!(run, Err(Stop::Engine));
                    if !ok {
                        failed.fetch_add(1, Ordering::Relaxed);
                    }
                }
            });
        }
    });
    (started.elapsed(), failed.into_inner())
}

/// `taisho bench national --bodies N [--threads T] [--seed S]`.
fn national(
    bodies: usize,
    threads: Option<usize>,
    seed: u64,
    edition: Option<&str>,
) -> anyhow::Result<()> {
    let threads = threads
        .or_else(|| {
            std::thread::available_parallelism()
                .ok()
                .map(std::num::NonZero::get)
        })
        .unwrap_or(1)
        .max(1);
    let limits = Limits::default();
    let (tokenizer, model) = prepare(edition)?;

    let started = Instant::now();
    let corpus = national_corpus(model.catalog(), bodies, seed);
    let generated = started.elapsed();
    let chars: usize = corpus.iter().map(|b| b.text.chars().count()).sum();
    let mut sizes: Vec<usize> = corpus.iter().map(|b| b.text.chars().count()).collect();
    sizes.sort_unstable();
    let pct = |p: usize| {
        sizes
            .get(sizes.len().saturating_sub(1) * p / 100)
            .copied()
            .unwrap_or(0)
    };
    println!(
        "corpus: {bodies} bodies, {:.2} M chars (median {} chars, p90 {}, max {}), generated in {:.2} s",
        chars as f64 / 1e6,
        pct(50),
        pct(90),
        pct(100),
        generated.as_secs_f64()
    );
    println!("threads: {threads}");

    let tok: &dyn Tokenizer = tokenizer.as_ref();
    // Warm the dictionary pages and the per-thread lattices so the first pass is not penalised.
    let warm = corpus.len().min(threads * 4);
    let _ = run_pass(
        &corpus[..warm],
        threads,
        Step::Analyse,
        tok,
        &model,
        &limits,
    );

    // The machine is shared: the three passes run interleaved, ROUNDS times, and every figure
    // is a median, so load from other processes weighs on each pass alike.
    let passes = [Step::Read, Step::Tokenise, Step::Analyse];
    let mut wall: [Vec<f64>; 3] = Default::default();
    let mut cpu: [Vec<f64>; 3] = Default::default();
    let mut failed = [0usize; 3];
    for _ in 0..ROUNDS {
        for (k, &pass) in passes.iter().enumerate() {
            let cpu_before = process_cpu_seconds();
            let (elapsed, f) = run_pass(&corpus, threads, pass, tok, &model, &limits);
            let cpu_used = process_cpu_seconds().zip(cpu_before).map(|(a, b)| a - b);
            wall[k].push(elapsed.as_secs_f64());
            if let Some(c) = cpu_used {
                cpu[k].push(c);
            }
            failed[k] = failed[k].max(f);
        }
    }
    let [read, tokenise, analyse] = [0, 1, 2].map(|k| median(&wall[k]));
    let [read_cpu, tokenise_cpu, analyse_cpu] = [0, 1, 2].map(|k| median(&cpu[k]));
    println!("passes: {ROUNDS} rounds, interleaved; medians (wall, and CPU of all threads)");
    for (k, name) in ["read", "read+tokenise", "read+tokenise+analyse"]
        .iter()
        .enumerate()
    {
        let secs = [read, tokenise, analyse][k];
        let cpu_secs = [read_cpu, tokenise_cpu, analyse_cpu][k];
        println!(
            "{name:<22} {secs:>7.3} s  {:>8.1} docs/s  {:>6.2} M chars/s  cpu {cpu_secs:>7.3} s{}",
            bodies as f64 / secs,
            chars as f64 / secs / 1e6,
            if failed[k] > 0 {
                format!("  ({} failed)", failed[k])
            } else {
                String::new()
            }
        );
    }
    let ratio = analyse / tokenise;
    let analysis_only = (analyse - tokenise).max(0.0);
    let tokenisation_only = (tokenise - read).max(f64::EPSILON);
    println!("ratio (read+tokenise+analyse) / (read+tokenise): {ratio:.2}");
    println!(
        "analysis alone {analysis_only:.3} s vs tokenisation alone {tokenisation_only:.3} s: {:.2}×  [target ≤ 1.5]",
        analysis_only / tokenisation_only
    );
    if tokenise_cpu > read_cpu {
        println!(
            "in CPU time: analysis alone {:.3} s vs tokenisation alone {:.3} s: {:.2}×",
            (analyse_cpu - tokenise_cpu).max(0.0),
            tokenise_cpu - read_cpu,
            (analyse_cpu - tokenise_cpu).max(0.0) / (tokenise_cpu - read_cpu)
        );
    }
    println!(
        "all {bodies} bodies read, tokenised and analysed in {analyse:.2} s on {threads} threads  [target < 5 s]: {}",
        if analyse < 5.0 { "met" } else { "NOT met" }
    );
    Ok(())
}

/// Interleaved repetitions of the three passes.
const ROUNDS: usize = 3;

fn median(xs: &[f64]) -> f64 {
    let mut v = xs.to_vec();
    v.sort_by(f64::total_cmp);
    match v.len() {
        0 => 0.0,
        n if n % 2 == 1 => v[n / 2],
        n => f64::midpoint(v[n / 2 - 1], v[n / 2]),
    }
}

/// User + system CPU time of this process (all threads), from `/proc/self/stat`; `None` where
/// that is not available. Shows whether a pass was short of CPU rather than slow.
fn process_cpu_seconds() -> Option<f64> {
    let stat = std::fs::read_to_string("/proc/self/stat").ok()?;
    // Fields after the parenthesised command name; utime and stime are fields 14 and 15.
    let rest = stat.get(stat.rfind(')')? + 2..)?;
    let fields: Vec<&str> = rest.split_whitespace().collect();
    let utime: f64 = fields.get(11)?.parse().ok()?;
    let stime: f64 = fields.get(12)?.parse().ok()?;
    // The kernel reports clock ticks; USER_HZ is 100 on every Linux we run on.
    Some((utime + stime) / 100.0)
}

/// Parses `--seed` values written in decimal or `0x…` hex.
fn parse_seed(s: &str) -> anyhow::Result<u64> {
    let s = s.trim();
    match s.strip_prefix("0x") {
        Some(hex) => u64::from_str_radix(hex, 16),
        None => s.parse(),
    }
    .with_context(|| format!("seed `{s}` is not a number"))
}
