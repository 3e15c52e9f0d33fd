//! Snapshots of the token stream on the real seeds.
//!
//! One line per morpheme: byte range, char range (both in the seed text), surface, POS, base.

use std::fmt::Write;

use taisho_engine::{Limits, Morpheme};

use crate::{SEEDS, seed, segment, tokenizer};

const LINES: usize = 40;

fn render_morpheme(out: &mut String, text: &str, line_start: usize, m: &Morpheme) {
    let (start, end) = (
        line_start + m.range.start as usize,
        line_start + m.range.end as usize,
    );
    let char_start = text[..start].chars().count();
    let char_end = char_start + text[start..end].chars().count();
    let _ = write!(
        out,
        "{start}..{end} {char_start}..{char_end} {} {:?}/{:?}",
        &text[start..end],
        m.pos.major,
        m.pos.minor
    );
    if let Some(base) = &m.base {
        let _ = write!(out, " base={base}");
    }
    out.push('\n');
}

#[test]
fn seed_heads_token_stream() {
    let tok = tokenizer();
    for prefix in SEEDS {
        let text = seed(prefix);
        let mut out = String::new();
        let mut line_start = 0;
        for line in text.split_inclusive('\n').take(LINES) {
            for m in segment(&tok, line) {
                render_morpheme(&mut out, &text, line_start, &m);
            }
            line_start += line.len();
        }
        insta::assert_snapshot!(format!("seed_{prefix}_head"), out);
    }
}

/// The full engine path: read → tokens::tokenize with this tokenizer. One JSON token per line
/// (serialised as the engine defines it) after its original surface.
#[test]
fn seed_engine_token_stream() {
    let tok = tokenizer();
    let limits = Limits::default();
    for prefix in SEEDS {
        let text = seed(prefix);
        let doc =
            taisho_engine::read(text.as_bytes(), Some("seed.txt"), &limits).expect("seed reads");
        let tokens =
            taisho_engine::tokenize::tokenize(&doc, &*tok, &limits).expect("seed tokenises");
        let mut out = String::new();
        for t in &tokens.tokens {
            let surface = doc
                .original
                .get(t.byte.start as usize..t.byte.end as usize)
                .unwrap_or("<bad range>");
            let json = serde_json::to_string(t).expect("token serialises");
            let _ = writeln!(out, "{surface}\t{json}");
        }
        insta::assert_snapshot!(format!("seed_{prefix}_engine"), out);
    }
}
