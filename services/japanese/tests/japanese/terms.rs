//! The domain user dictionary keeps policy vocabulary whole.

use taisho_japanese::dictionary::USER_DICT_CSV;
use taisho_morph::{PosMajor, PosMinor};

use crate::{segment, tokenizer};

fn surfaces() -> Vec<&'static str> {
    USER_DICT_CSV
        .lines()
        .filter(|l| !l.trim().is_empty())
        .map(|l| l.split(',').next().unwrap_or(""))
        .collect()
}

#[test]
fn user_dictionary_has_well_formed_rows() {
    let rows: Vec<&str> = USER_DICT_CSV.lines().filter(|l| !l.is_empty()).collect();
    assert!(
        (60..=150).contains(&rows.len()),
        "{} user dictionary rows",
        rows.len()
    );
    let mut seen = std::collections::HashSet::new();
    for row in rows {
        let cols: Vec<&str> = row.split(',').collect();
        assert_eq!(cols.len(), 13, "not 13 columns: {row}");
        assert!(seen.insert(cols[0]), "duplicate surface {}", cols[0]);
        // Context ids must be real IPADIC ids matching the POS columns, never 0.
        let expected = match (cols[4], cols[5], cols[6]) {
            ("名詞", "一般", "*") => "1285",
            ("名詞", "サ変接続", "*") => "1283",
            ("名詞", "固有名詞", "一般") => "1288",
            ("名詞", "固有名詞", "組織") => "1292",
            other => panic!("unexpected POS {other:?} in {row}"),
        };
        assert_eq!((cols[1], cols[2]), (expected, expected), "{row}");
        assert_eq!(cols[10], cols[0], "base form must equal the surface: {row}");
        assert!(cols[11] != "*" && cols[12] != "*", "reading missing: {row}");
    }
}

/// A term's cost is -5000 for itself and for each listed term inside it, so the whole term always
/// costs less than any split into listed parts (地方公共団体情報システム機構 must not become
/// 地方公共団体 + 情報システム + 機構).
#[test]
fn longer_terms_cost_less_than_their_listed_parts() {
    let all = surfaces();
    for row in USER_DICT_CSV.lines().filter(|l| !l.is_empty()) {
        let cols: Vec<&str> = row.split(',').collect();
        let inside = all
            .iter()
            .filter(|s| **s != cols[0] && cols[0].contains(**s))
            .count();
        assert_eq!(cols[3], (-5000 * (1 + inside as i32)).to_string(), "{row}");
    }
}

#[test]
fn every_user_dictionary_term_is_one_token() {
    let tok = tokenizer();
    for surface in surfaces() {
        let ms = segment(&tok, surface);
        assert_eq!(ms.len(), 1, "{surface} split into {ms:?}");
        assert_eq!(ms[0].range, 0..surface.len() as u32);
        assert_eq!(ms[0].pos.major, PosMajor::Noun, "{surface}");
        assert_eq!(ms[0].base, None, "{surface}");
    }
}

#[test]
fn domain_terms_stay_whole_inside_sentences() {
    let tok = tokenizer();
    let text = "LGWAN接続系とインターネット接続系の通信経路の分割を行い、統括情報セキュリティ責任者は\
                CSIRTを設置し、マイナンバー利用事務系（個人番号利用事務系）では無害化通信を用いなければならない。";
    let ms = segment(&tok, text);
    let surfaces: Vec<&str> = ms
        .iter()
        .map(|m| &text[m.range.start as usize..m.range.end as usize])
        .collect();
    for term in [
        "LGWAN接続系",
        "インターネット接続系",
        "通信経路の分割",
        "統括情報セキュリティ責任者",
        "CSIRT",
        "マイナンバー利用事務系",
        "個人番号利用事務系",
        "無害化通信",
    ] {
        assert!(surfaces.contains(&term), "{term} not whole in {surfaces:?}");
    }
    // Real context ids keep the neighbours right: the と after LGWAN接続系 stays a particle
    // (with context id 0 it became a filler).
    let to = ms
        .iter()
        .position(|m| &text[m.range.start as usize..m.range.end as usize] == "と")
        .expect("と is a token");
    assert_eq!(ms[to].pos.major, PosMajor::Particle);
    assert_eq!(ms[to - 1].range.end, ms[to].range.start);
}

#[test]
fn longer_terms_win_over_their_listed_parts() {
    let tok = tokenizer();
    for (text, whole) in [
        ("外部委託事業者", "外部委託事業者"),
        (
            "情報セキュリティ監査統括責任者",
            "情報セキュリティ監査統括責任者",
        ),
        ("不正プログラム対策を講じる", "不正プログラム対策"),
    ] {
        let ms = segment(&tok, text);
        assert_eq!(&text[..ms[0].range.end as usize], whole, "{ms:?}");
    }
}

#[test]
fn conjugated_words_report_their_base_form_and_pos() {
    let tok = tokenizer();
    let text = "遵守しなければならない";
    let ms = segment(&tok, text);
    let shown: Vec<(&str, Option<&str>, PosMajor)> = ms
        .iter()
        .map(|m| {
            (
                &text[m.range.start as usize..m.range.end as usize],
                m.base.as_deref(),
                m.pos.major,
            )
        })
        .collect();
    assert_eq!(
        shown,
        vec![
            ("遵守", None, PosMajor::Noun),
            ("し", Some("する"), PosMajor::Verb),
            ("なけれ", Some("ない"), PosMajor::AuxiliaryVerb),
            ("ば", None, PosMajor::Particle),
            ("なら", Some("なる"), PosMajor::Verb),
            ("ない", None, PosMajor::AuxiliaryVerb),
        ]
    );
    assert_eq!(ms[0].pos.minor, PosMinor::VerbalNoun);
}
