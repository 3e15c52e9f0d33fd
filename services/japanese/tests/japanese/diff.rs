//! The engine's diff with real (lindera + IPADIC) tokens on the seeds.

use taisho_engine::diff::{self, DocDiff, OpTag, RowKind};
use taisho_engine::tokenize::tokenize;
use taisho_engine::{Document, Limits};

use crate::{seed, tokenizer};

fn read(text: &str) -> Document {
    taisho_engine::read(text.as_bytes(), None, &Limits::default()).expect("reads")
}

fn compare(old: &str, new: &str) -> DocDiff {
    let tok = tokenizer();
    let limits = Limits::default();
    let (a, b) = (read(old), read(new));
    let ta = tokenize(&a, tok.as_ref(), &limits).expect("tokenises");
    let tb = tokenize(&b, tok.as_ref(), &limits).expect("tokenises");
    diff::compare((&a, &ta), (&b, &tb), &limits)
}

/// `text` re-spelt: notation variants, full-width digits, lines re-wrapped the way a PDF does
/// (between two kanji or hiragana, so no new line reads as a numbered item).
fn respelt(text: &str) -> String {
    let text = text
        .replace("遵守", "順守")
        .replace("強靱", "強靭")
        .replace("ハードウェア", "ハードウエア")
        .replace("ソフトウェア", "ソフトウエア")
        .replace("及び", "および")
        .replace("又は", "または")
        .replace("講じる", "講ずる")
        .replace("企業団", "本組合");
    let joinable = |c: char| matches!(c, '\u{3041}'..='\u{309F}' | '\u{4E00}'..='\u{9FFF}');
    let chars: Vec<char> = text.chars().collect();
    let mut out = String::with_capacity(text.len() * 2);
    let mut col = 0;
    for (i, &c) in chars.iter().enumerate() {
        let c = match c {
            '0'..='9' => char::from_u32(c as u32 + 0xFEE0).unwrap_or(c),
            _ => c,
        };
        out.push(c);
        col = if c == '\n' { 0 } else { col + 1 };
        if col >= 23 && joinable(c) && chars.get(i + 1).is_some_and(|&n| joinable(n)) {
            out.push('\n');
            col = 0;
        }
    }
    out
}

/// Old-side texts the diff removes: deleted sentences and deleted or replaced spans.
fn deleted(d: &DocDiff) -> Vec<String> {
    let mut out = Vec::new();
    for r in &d.rows {
        match r.kind {
            RowKind::Deleted => out.extend(r.old.as_ref().map(|s| s.text.clone())),
            RowKind::Changed | RowKind::Moved => out.extend(
                r.ops
                    .iter()
                    .filter(|o| matches!(o.tag, OpTag::Delete | OpTag::Replace))
                    .filter_map(|o| o.old.as_ref().map(|s| s.text.clone())),
            ),
            _ => {}
        }
    }
    out
}

/// New-side texts the diff adds.
fn inserted(d: &DocDiff) -> Vec<String> {
    let mut out = Vec::new();
    for r in &d.rows {
        match r.kind {
            RowKind::Inserted => out.extend(r.new.as_ref().map(|s| s.text.clone())),
            RowKind::Changed | RowKind::Moved => out.extend(
                r.ops
                    .iter()
                    .filter(|o| matches!(o.tag, OpTag::Insert | OpTag::Replace))
                    .filter_map(|o| o.new.as_ref().map(|s| s.text.clone())),
            ),
            _ => {}
        }
    }
    out
}

#[test]
fn seed_004_against_a_respelt_rewrapped_copy_has_no_changes() {
    let text = seed("004");
    let copy = respelt(&text);
    assert_ne!(text, copy);
    let d = compare(&text, &copy);
    assert!(!d.has_changes(), "{}", d.to_text());
    assert!(d.degraded.is_none());
}

#[test]
fn seed_004_against_000_shows_the_real_differences() {
    let d = compare(&seed("004"), &seed("000"));
    let del = deleted(&d);
    let ins = inserted(&d);
    let has = |v: &[String], t: &str| v.iter().any(|x| x == t);
    // 000 has no three-layer definitions (8)–(12) …
    for t in [
        "マイナンバー利用事務系（個人番号利用事務系）",
        "LGWAN接続系",
        "インターネット接続系",
        "通信経路の分割",
        "無害化通信",
    ] {
        assert!(has(&del, t), "definition {t} not deleted\n{}", d.to_text());
    }
    // … no 強靱性 section …
    assert!(has(&del, "情報システム全体の強靱性の向上"));
    // … section 7 audits only 必要に応じて …
    assert!(has(&del, "定期的又は"), "{del:?}");
    // … 6 (4) drops 情報システム室 …
    assert!(del.iter().any(|t| t.contains("情報システム室")), "{del:?}");
    // … and 5 names the staff of the current model.
    assert!(
        ins.iter()
            .any(|t| t.contains("会計年度任用職員及び臨時的任用職員")),
        "{ins:?}"
    );
    // Notation and placeholders are not changes: 企業団 ≡ 本組合.
    assert!(!has(&del, "企業団"), "{del:?}");
    assert_eq!(d.stats.moved, 0);
    assert!(d.degraded.is_none());
    insta::assert_snapshot!("diff_004_vs_000_text", d.to_text());
}

#[test]
fn seed_004_against_000_table_is_well_formed() {
    let d = compare(&seed("004"), &seed("000"));
    let html =
        taisho_web::diff_table_page(&d, "004 山武郡市広域水道企業団", "000 朝霞和光資源循環組合")
            .expect("renders");
    assert!(html.contains("<html lang=\"ja\">"));
    assert!(html.contains("<span class=\"underline\">定期的又は</span>"));
    assert_eq!(html.matches("<tr>").count(), html.matches("</tr>").count());
}
