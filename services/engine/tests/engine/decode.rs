//! Tests of the decode and markup stages.

use encoding_rs::{EUC_JP, SHIFT_JIS};
use proptest::prelude::*;
use taisho_engine::decode::{Decoded, decode};
use taisho_engine::markup::to_text;
use taisho_engine::text::MappedText;
use taisho_engine::{Document, Encoding, EngineError, Format, Limits};

use crate::{SEEDS, seed, testdata};

fn seed_text(prefix: &str) -> String {
    String::from_utf8(seed(prefix)).expect("seeds are UTF-8")
}

fn encode_strict(enc: &'static encoding_rs::Encoding, text: &str) -> Vec<u8> {
    let (bytes, _, had_errors) = enc.encode(text);
    assert!(!had_errors, "{} cannot encode the text", enc.name());
    bytes.into_owned()
}

/// encoding_rs only encodes UTF-16 labels as UTF-8 (WHATWG), so UTF-16 is built by hand.
fn utf16(text: &str, big_endian: bool) -> Vec<u8> {
    let mut out = if big_endian {
        vec![0xFE, 0xFF]
    } else {
        vec![0xFF, 0xFE]
    };
    for unit in text.encode_utf16() {
        out.extend(if big_endian {
            unit.to_be_bytes()
        } else {
            unit.to_le_bytes()
        });
    }
    out
}

/// Every seed in every supported encoding, with the encoding and BOM the decoder must report.
fn encodings_of(text: &str) -> Vec<(Vec<u8>, Encoding, bool)> {
    let mut with_bom = b"\xEF\xBB\xBF".to_vec();
    with_bom.extend_from_slice(text.as_bytes());
    vec![
        (text.as_bytes().to_vec(), Encoding::Utf8, false),
        (with_bom, Encoding::Utf8, true),
        (encode_strict(SHIFT_JIS, text), Encoding::ShiftJis, false),
        (encode_strict(EUC_JP, text), Encoding::EucJp, false),
        (utf16(text, false), Encoding::Utf16Le, true),
        (utf16(text, true), Encoding::Utf16Be, true),
    ]
}

#[test]
fn every_seed_decodes_back_to_the_same_text_in_every_encoding() {
    for prefix in SEEDS {
        let text = seed_text(prefix);
        for (bytes, encoding, had_bom) in encodings_of(&text) {
            let d = decode(&bytes, None).unwrap_or_else(|e| panic!("{prefix} {encoding:?}: {e}"));
            assert_eq!(d.meta.encoding, encoding, "seed {prefix}");
            assert_eq!(d.meta.had_bom, had_bom, "seed {prefix} {encoding:?}");
            assert_eq!(d.meta.bytes, bytes.len());
            assert!(d.text == text, "seed {prefix} {encoding:?}: text differs");
        }
    }
}

#[test]
fn seeds_with_markdown_headings_are_markdown_and_others_text() {
    let formats: Vec<Format> = SEEDS
        .iter()
        .map(|p| decode(&seed(p), None).map(|d| d.meta.format))
        .collect::<Result<_, _>>()
        .expect("seeds decode");
    // 004 is the seed whose converter added `## 1. 目的` headings.
    assert_eq!(formats[4], Format::Markdown);
    assert!(formats.iter().all(|f| *f != Format::Html));
}

#[test]
fn read_gives_the_same_tree_whatever_the_encoding() {
    let limits = Limits::default();
    for prefix in SEEDS {
        let text = seed_text(prefix);
        let trees: Vec<String> = encodings_of(&text)
            .into_iter()
            .map(|(bytes, encoding, _)| {
                let doc = taisho_engine::read(&bytes, None, &limits)
                    .unwrap_or_else(|e| panic!("{prefix} {encoding:?}: {e}"));
                serde_json::to_string(&doc.tree()).expect("tree serialises")
            })
            .collect();
        for tree in &trees[1..] {
            assert!(*tree == trees[0], "seed {prefix}: trees differ by encoding");
        }
    }
}

#[test]
fn crlf_and_other_bytes_are_kept_exactly_as_decoded() {
    let text = "第１条\r\n　この規則は、\r\n定める。\r\n";
    let d = decode(&encode_strict(SHIFT_JIS, text), None).expect("decodes");
    assert_eq!(d.text, text);
}

#[test]
fn cp932_extensions_decode_as_shift_jis() {
    // NEC row 13 (①, ㈱) and IBM extensions (髙, 﨑) are CP932, not plain JIS X 0208.
    let text = "①髙橋﨑㈱の情報資産について定める。\r\n";
    let d = decode(&encode_strict(SHIFT_JIS, text), None).expect("decodes");
    assert_eq!(d.meta.encoding, Encoding::ShiftJis);
    assert_eq!(d.text, text);
}

#[test]
fn short_japanese_is_told_apart_in_sjis_and_euc() {
    for text in ["情報", "あ", "セキュリティ", "第１条　目的"] {
        let sjis = decode(&encode_strict(SHIFT_JIS, text), None).expect("sjis decodes");
        assert_eq!(
            (sjis.meta.encoding, sjis.text.as_str()),
            (Encoding::ShiftJis, text)
        );
        let euc = decode(&encode_strict(EUC_JP, text), None).expect("euc decodes");
        assert_eq!(
            (euc.meta.encoding, euc.text.as_str()),
            (Encoding::EucJp, text)
        );
    }
}

#[test]
fn utf16_without_bom_is_detected_from_its_nul_pattern() {
    let text = seed_text("004");
    for (big_endian, encoding) in [(false, Encoding::Utf16Le), (true, Encoding::Utf16Be)] {
        let bytes = &utf16(&text, big_endian)[2..];
        let d = decode(bytes, None).expect("decodes");
        assert_eq!((d.meta.encoding, d.meta.had_bom), (encoding, false));
        assert!(d.text == text);
    }
}

#[test]
fn pure_ascii_is_utf8() {
    let d = decode(b"Information Security Policy\n1. Purpose\n", None).expect("decodes");
    assert_eq!(d.meta.encoding, Encoding::Utf8);
}

fn reason(bytes: &[u8]) -> String {
    match decode(bytes, None) {
        Err(EngineError::Undecodable { reason }) => reason,
        other => panic!("expected Undecodable, got {other:?}"),
    }
}

#[test]
fn empty_input_is_its_own_error() {
    assert!(matches!(decode(b"", None), Err(EngineError::EmptyInput)));
}

#[test]
fn undecodable_inputs_name_the_problem() {
    // A fixed xorshift stream: the same "random" bytes on every run.
    let mut state = 0x9E37_79B9_7F4A_7C15u64;
    let random: Vec<u8> = (0..4096)
        .map(|_| {
            state ^= state << 13;
            state ^= state >> 7;
            state ^= state << 17;
            (state >> 24) as u8
        })
        .collect();
    let r = reason(&random);
    assert!(
        r.contains("binary data") || r.contains("invalid byte sequence"),
        "{r}"
    );

    assert_eq!(reason(&[0u8; 64]), "binary data (NUL byte at offset 0)");
    assert!(reason(b"abc\0\x01\x02\x03\xff\xfe").contains("NUL byte at offset 3"));
    assert!(reason(b"%PDF-1.7\n%\xE2\xE3\xCF\xD3\n1 0 obj").contains("looks like a PDF file"));
    assert!(reason(b"PK\x03\x04\x14\x00\x06\x00").contains("ZIP archive"));
    assert!(reason(b"\x01\x02\x03\x04\x05\x06 text").contains("control"));

    // Invalid in every candidate (0xFF is never valid in UTF-8, Shift_JIS or EUC-JP).
    let mut bad = encode_strict(SHIFT_JIS, "情報セキュリティ");
    bad.extend_from_slice(b"\xFF\xFF");
    let r = reason(&bad);
    assert!(
        r.contains("invalid byte sequence for every candidate encoding"),
        "{r}"
    );
    assert!(r.contains("Shift_JIS at offset 16"), "{r}");
}

#[test]
fn real_pdf_and_docx_files_are_refused_by_kind() {
    let fixtures = testdata().join("fixtures");
    for (dir, ext, kind) in [("pdf", "pdf", "PDF"), ("docx", "docx", "ZIP")] {
        let path = fixtures
            .join(dir)
            .join(format!("004_fa25c78c324100d4.{ext}"));
        let bytes = std::fs::read(&path).expect("fixture readable");
        assert!(reason(&bytes).contains(kind));
    }
}

#[test]
fn error_reasons_never_quote_document_text() {
    let mut bytes = encode_strict(SHIFT_JIS, "秘密の住民情報");
    bytes.push(0xFF);
    let r = reason(&bytes);
    assert!(r.is_ascii(), "{r}");
}

const REIKI_HTML: &str = include_str!("decode/reiki.html");

fn decode_html(html: &str) -> Decoded {
    let d = decode(html.as_bytes(), None).expect("decodes");
    assert_eq!(d.meta.format, Format::Html);
    d
}

#[test]
fn reiki_page_strips_to_one_unit_per_line() {
    let d = decode_html(REIKI_HTML);
    let text = to_text(&d);
    insta::assert_snapshot!(text.as_str());
}

#[test]
fn html_fragments_and_hints_are_detected() {
    let fragment = "<p>第１条　目的</p>\n<p>２　前項</p>\n<p>３　次項</p>\n";
    assert_eq!(decode_html(fragment).meta.format, Format::Html);
    let d = decode(b"<b>x</b> y", Some("reiki.HTM")).expect("decodes");
    assert_eq!(d.meta.format, Format::Html);
    let d = decode(b"<b>x</b> y", None).expect("decodes");
    assert_eq!(d.meta.format, Format::Text);
    let d = decode("# 基本方針\n本文\n".as_bytes(), Some("text/markdown")).expect("decodes");
    assert_eq!(d.meta.format, Format::Markdown);
}

#[test]
fn html_in_shift_jis_is_decoded_then_stripped() {
    let d = decode(&encode_strict(SHIFT_JIS, REIKI_HTML), Some("reiki.html")).expect("decodes");
    assert_eq!(d.meta.encoding, Encoding::ShiftJis);
    assert_eq!(to_text(&d), to_text(&decode_html(REIKI_HTML)));
}

/// Whether `piece` of the original is something derived char `c` may stand for: the same text,
/// an entity that decodes to it, or collapsed whitespace.
fn is_valid_source(c: char, piece: &str) -> bool {
    if piece.contains(['<', '>']) {
        return false;
    }
    if piece.starts_with('&') {
        return piece.len() > 1;
    }
    if c == ' ' && piece.chars().all(|p| p.is_ascii_whitespace()) {
        return true;
    }
    piece.chars().eq(std::iter::once(c))
}

#[test]
fn every_stripped_byte_maps_back_into_the_text_or_entity_it_came_from() {
    let d = decode_html(REIKI_HTML);
    let text = to_text(&d);
    let mut entities = 0;
    for (i, c) in text.as_str().char_indices() {
        let r = text.to_original(i..i + c.len_utf8());
        let piece = &d.text[r.clone()];
        if r.is_empty() {
            assert!(
                matches!(c, '\n' | '\t' | ' ' | '\u{3000}'),
                "inserted {c:?} at {i}"
            );
            continue;
        }
        entities += usize::from(piece.starts_with('&'));
        assert!(is_valid_source(c, piece), "{c:?} at {i} maps to {piece:?}");
    }
    // &nbsp; &amp; &#x6A5F; &#27161; &lt; &gt;
    assert_eq!(entities, 6);
}

#[test]
fn script_style_head_and_comments_are_dropped() {
    let text = to_text(&decode_html(REIKI_HTML));
    for hidden in [
        "これは本文ではない",
        "color",
        "コメントの中",
        "ぜい",
        "<p",
        "○○町情報セキュリティ基本方針\n○○町",
    ] {
        assert!(!text.as_str().contains(hidden), "{hidden:?} leaked");
    }
}

#[test]
fn pathological_markup_is_stripped_in_linear_time() {
    let mb = 2 * 1024 * 1024;
    let patterns: [&[u8]; 8] = [
        b"<a b='>",
        b"<a b=\">x",
        b"<p",
        b"<!--",
        b"<script>",
        b"&#x3042",
        b"<div>\xE4\xB8\x80</div>",
        b"<td><p>a</p>",
    ];
    for pattern in patterns {
        let mut html = b"<html>".to_vec();
        while html.len() < mb {
            html.extend_from_slice(pattern);
        }
        let started = std::time::Instant::now();
        let d = decode(&html, None).expect("decodes");
        let _ = to_text(&d);
        let took = started.elapsed();
        assert!(
            took.as_secs() < 5,
            "{:?} took {took:?}",
            String::from_utf8_lossy(pattern)
        );
    }
}

fn assert_ranges_valid(original: &str, mapped: &MappedText) {
    let derived = mapped.as_str();
    let mut bounds: Vec<usize> = derived.char_indices().map(|(i, _)| i).collect();
    bounds.push(derived.len());
    for w in bounds.windows(2) {
        let r = mapped.to_original(w[0]..w[1]);
        assert!(
            r.start <= r.end && r.end <= original.len(),
            "{r:?} out of the original"
        );
        assert!(original.is_char_boundary(r.start) && original.is_char_boundary(r.end));
    }
}

fn assert_document_ranges_valid(doc: &Document) {
    let o = &doc.original;
    for n in &doc.nodes {
        assert!(n.range.start <= n.range.end && n.range.end <= o.len());
        assert!(o.is_char_boundary(n.range.start) && o.is_char_boundary(n.range.end));
    }
    for s in &doc.sentences {
        assert!(s.range.start <= s.range.end && s.range.end <= o.len());
        assert!(o.is_char_boundary(s.range.start) && o.is_char_boundary(s.range.end));
    }
}

fn check_everything(bytes: &[u8], hint: Option<&str>) {
    if let Ok(d) = decode(bytes, hint) {
        let mapped = to_text(&d);
        assert_ranges_valid(&d.text, &mapped);
    }
    if let Ok(doc) = taisho_engine::read(bytes, hint, &Limits::default()) {
        assert_document_ranges_valid(&doc);
    }
}

fn html_piece() -> impl Strategy<Value = String> {
    prop_oneof![
        "[a-zあ-ん第条一二３４（）　 \n\t&;#x0-9<>/\"'=]{0,12}",
        Just("<p>".to_owned()),
        Just("</p>".to_owned()),
        Just("<div class=\"num\">".to_owned()),
        Just("</div>".to_owned()),
        Just("<br>".to_owned()),
        Just("<table><tr><td>".to_owned()),
        Just("</td><td>".to_owned()),
        Just("</tr></table>".to_owned()),
        Just("<script>".to_owned()),
        Just("</script>".to_owned()),
        Just("<head><title>".to_owned()),
        Just("<!--".to_owned()),
        Just("-->".to_owned()),
        Just("<pre>".to_owned()),
        Just("&nbsp;".to_owned()),
        Just("&#x3042;".to_owned()),
        Just("&#1114112;".to_owned()),
        Just("第１条".to_owned()),
        Just("<span>２</span>".to_owned()),
        Just("<a href='x".to_owned()),
    ]
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(512))]

    #[test]
    fn arbitrary_bytes_never_panic_and_map_inside_the_original(
        bytes in proptest::collection::vec(any::<u8>(), 0..512)
    ) {
        check_everything(&bytes, None);
        check_everything(&bytes, Some("x.html"));
    }

    #[test]
    fn strings_in_random_tags_never_panic_and_map_inside_the_original(
        pieces in proptest::collection::vec(html_piece(), 0..40)
    ) {
        let html = format!("<html>{}", pieces.concat());
        check_everything(html.as_bytes(), None);
        check_everything(pieces.concat().as_bytes(), Some("text/html"));
        let sjis = SHIFT_JIS.encode(&html).0;
        check_everything(&sjis, None);
    }
}
