//! Tests of the tokenisation stage.

use proptest::prelude::*;
use taisho_engine::CharClassTokenizer;
use taisho_engine::fold::SLOT_KEY;
use taisho_engine::tokenize::{Tokens, tokenize};
use taisho_engine::{Document, EngineError, Limits, SentenceId};

use crate::fold::plain_doc;

fn tokens_of(doc: &Document) -> Tokens {
    tokenize(doc, &CharClassTokenizer, &Limits::default()).expect("tokenises")
}

fn keys(t: &Tokens) -> Vec<&str> {
    t.tokens.iter().map(|k| k.key(t)).collect()
}

#[test]
fn every_sentence_is_tokenised_headings_included() {
    let doc = plain_doc("# 目的\n\n情報資産を守る。\n");
    let t = tokens_of(&doc);
    assert_eq!(t.by_sentence.len(), 2);
    assert_eq!(t.of(SentenceId(0)).len(), 1);
    assert_eq!(t.tokenizer, "char-class");
    assert_eq!(keys(&t), ["目的", "情報資産", "を", "守", "る", "。"]);
}

#[test]
fn surfaces_are_original_and_keys_are_folded() {
    let doc = plain_doc("ハードウエアを順守し、Ｌ Ｇ Ｗ Ａ Ｎ\n接続系を使う。");
    let t = tokens_of(&doc);
    let pairs: Vec<(&str, &str)> = t
        .tokens
        .iter()
        .map(|k| (k.surface(&doc), k.key(&t)))
        .collect();
    assert_eq!(
        pairs,
        [
            ("ハードウエア", "ハードウェア"),
            ("を", "を"),
            ("順守", "遵守"),
            ("し", "し"),
            ("、", "、"),
            ("Ｌ Ｇ Ｗ Ａ Ｎ", "LGWAN"),
            ("接続系", "接続系"),
            ("を", "を"),
            ("使", "使"),
            ("う", "う"),
            ("。", "。"),
        ]
    );
    // char ranges agree with byte ranges
    let chars: Vec<char> = doc.original.chars().collect();
    for k in &t.tokens {
        let by_char: String = chars[k.char.start as usize..k.char.end as usize]
            .iter()
            .collect();
        assert_eq!(by_char, k.surface(&doc));
    }
}

#[test]
fn body_placeholders_become_one_slot_token() {
    for text in [
        "本市の情報資産",
        "本組合の情報資産",
        "当団体の情報資産",
        "企業団の情報資産",
        "市の情報資産",
        "町の情報資産",
    ] {
        let doc = plain_doc(text);
        let t = tokens_of(&doc);
        assert_eq!(keys(&t), [SLOT_KEY, "の", "情報資産"], "{text}");
        assert!(t.tokens[0].is_slot(&t));
        let placeholder = text.trim_end_matches("の情報資産");
        assert_eq!(t.tokens[0].surface(&doc), placeholder);
    }
}

#[test]
fn placeholders_inside_words_are_not_slots() {
    let doc = plain_doc("市民及び担当市町村の職員");
    let t = tokens_of(&doc);
    assert!(!keys(&t).contains(&SLOT_KEY), "{:?}", keys(&t));
}

#[test]
fn too_many_tokens_is_an_error() {
    let doc = plain_doc("情報を守る。情報を守る。");
    let limits = Limits {
        max_tokens: 3,
        ..Limits::default()
    };
    let err = tokenize(&doc, &CharClassTokenizer, &limits).expect_err("over the limit");
    assert_eq!(err, EngineError::TooManyTokens { limit: 3 });
}

#[test]
fn an_expired_deadline_stops_tokenising() {
    let doc = plain_doc("情報を守る。");
    let limits = Limits {
        deadline: std::time::Duration::ZERO,
        ..Limits::default()
    };
    let err = tokenize(&doc, &CharClassTokenizer, &limits).expect_err("no time");
    assert!(matches!(err, EngineError::DeadlineExceeded { .. }), "{err}");
}

fn japanese_text() -> impl Strategy<Value = String> {
    let pieces = prop::sample::select(vec![
        "情報",
        "の",
        "を",
        "ハードウエア",
        "ﾊﾟｽﾜｰﾄﾞ",
        "ｶﾞ",
        "ﾞ",
        "１２",
        "12",
        "Ａ",
        " ",
        "　",
        "\n",
        "\r\n",
        "。",
        "、",
        "，",
        "．",
        "L G W A N",
        "本市",
        "本組合",
        "市",
        "企業団",
        "強靱(じん)",
        "強靭（じん）",
        "順守",
        "および",
        "#",
        "\u{FEFF}",
        "\u{200B}",
        "a",
        "é",
        "🙂",
        "〜",
        "―",
    ]);
    prop::collection::vec(pieces, 0..40).prop_map(|v| v.concat())
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(300))]

    #[test]
    fn tokens_map_back_inside_the_original_on_char_boundaries(text in japanese_text()) {
        let doc = plain_doc(&text);
        let t = tokens_of(&doc);
        let mut prev = 0u32;
        for k in &t.tokens {
            let (s, e) = (k.byte.start as usize, k.byte.end as usize);
            prop_assert!(s < e && e <= text.len());
            prop_assert!(text.is_char_boundary(s) && text.is_char_boundary(e));
            prop_assert!(k.byte.start >= prev, "tokens in document order");
            prev = k.byte.start;
            prop_assert!(!k.key(&t).is_empty());
            prop_assert_eq!(
                text[..s].chars().count() as u32, k.char.start
            );
            prop_assert_eq!(text[s..e].chars().count() as u32, k.char.len() as u32);
        }
        // Every token lies inside its sentence's original range.
        for k in &t.tokens {
            let s = doc.sentence(k.sentence);
            prop_assert!(s.range.start <= k.byte.start as usize && k.byte.end as usize <= s.range.end);
        }
    }

    #[test]
    fn arbitrary_strings_never_panic(text in "\\PC{0,60}") {
        let doc = plain_doc(&text);
        let t = tokens_of(&doc);
        for k in &t.tokens {
            prop_assert!(text.get(k.byte.start as usize..k.byte.end as usize).is_some());
        }
    }
}
