//! Morpheme ranges are valid: on char boundaries, in order, and covering every non-space byte.

use taisho_morph::{Morpheme, PosMajor};

use crate::{SEEDS, seed, segment, tokenizer};

/// Panics unless `ms` tiles `text` in order, leaving out only whitespace.
fn assert_well_formed(text: &str, ms: &[Morpheme]) {
    let mut at = 0usize;
    for m in ms {
        let (start, end) = (m.range.start as usize, m.range.end as usize);
        assert!(start < end, "empty morpheme {m:?}");
        assert!(
            start >= at,
            "morpheme {m:?} overlaps or goes back (at {at})"
        );
        assert!(
            text.is_char_boundary(start) && text.is_char_boundary(end) && end <= text.len(),
            "morpheme {m:?} is not on char boundaries"
        );
        let gap = &text[at..start];
        assert!(
            gap.chars().all(char::is_whitespace),
            "bytes {at}..{start} ({gap:?}) not covered"
        );
        at = end;
    }
    assert!(
        text[at..].chars().all(char::is_whitespace),
        "tail from {at} not covered"
    );
}

#[test]
fn seed_lines_are_tiled_on_char_boundaries() {
    let tok = tokenizer();
    for prefix in SEEDS {
        let text = seed(prefix);
        for line in text.lines() {
            assert_well_formed(line, &segment(&tok, line));
        }
        // Whole texts too: lindera cuts sentences itself, offsets must stay absolute.
        assert_well_formed(&text, &segment(&tok, &text));
    }
}

#[test]
fn odd_inputs_are_tiled_without_panics() {
    let tok = tokenizer();
    let long_without_delimiters = "あ".repeat(20_000); // 60 KB: lindera forces a cut at 32 KiB
    let inputs = [
        "",
        " ",
        "\u{3000}\t\n",
        "\u{FEFF}情報",
        "🔒セキュリティ👍🏽",
        "か\u{3099}ざ",       // combining voiced mark
        "Ａ１ａ　ＬＧＷＡＮ", // full width
        "\u{0000}\u{FFFD}\u{200B}",
        "。。、、\n\n",
        "パスワ\nード",
        "（　）※　注",
        long_without_delimiters.as_str(),
    ];
    for input in inputs {
        let ms = segment(&tok, input);
        assert_well_formed(input, &ms);
    }
}

#[test]
fn whitespace_is_not_a_token_but_symbols_are() {
    let tok = tokenizer();
    let text = "情報 資産　（機密性）";
    let ms = segment(&tok, text);
    let surfaces: Vec<&str> = ms
        .iter()
        .map(|m| &text[m.range.start as usize..m.range.end as usize])
        .collect();
    assert_eq!(surfaces, ["情報", "資産", "（", "機密性", "）"]);
    assert_eq!(ms[2].pos.major, PosMajor::Symbol);
}

#[test]
fn segment_appends_to_existing_morphemes() {
    use taisho_morph::Tokenizer;
    let tok = tokenizer();
    let mut out = segment(&tok, "情報資産");
    tok.segment("を守る", &mut out).expect("segments");
    assert_eq!(out.len(), 3);
    // Ranges are relative to each call's text.
    assert_eq!(out[1].range.start, 0);
    assert_eq!(tok.name(), "lindera-ipadic");
}
