//! One tokenizer shared by several threads gives the same results as one thread.

use std::sync::Arc;

use crate::{SEEDS, seed, segment, tokenizer};

#[test]
fn two_threads_share_one_tokenizer() {
    let tok = tokenizer();
    let texts: Vec<String> = SEEDS.iter().map(|p| seed(p)).collect();
    let expected: Vec<_> = texts
        .iter()
        .map(|t| t.lines().map(|l| segment(&tok, l)).collect::<Vec<_>>())
        .collect();
    let texts = Arc::new(texts);
    let handles: Vec<_> = (0..2)
        .map(|n| {
            let tok = Arc::clone(&tok);
            let texts = Arc::clone(&texts);
            std::thread::spawn(move || {
                // The two threads walk the seeds in opposite orders so they segment different
                // texts at the same time.
                let order: Vec<usize> = if n == 0 {
                    (0..texts.len()).collect()
                } else {
                    (0..texts.len()).rev().collect()
                };
                let mut got = vec![Vec::new(); texts.len()];
                for i in order {
                    got[i] = texts[i].lines().map(|l| segment(&tok, l)).collect();
                }
                got
            })
        })
        .collect();
    for h in handles {
        let got = h.join().expect("thread finished");
        assert_eq!(got, expected);
    }
}

#[test]
fn shared_returns_the_same_instance() {
    assert!(Arc::ptr_eq(&tokenizer(), &tokenizer()));
}
