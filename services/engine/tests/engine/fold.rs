//! Tests of the fold stage.

use taisho_engine::document::{Document, Node, NodeKind, Sentence, SentenceRole, SourceMeta};
use taisho_engine::fold::{self, EntryKind, Folder, SLOT_KEY, TABLE};
use taisho_engine::text::MappedText;
use taisho_engine::{Encoding, Format, NodeId, SentenceId};

/// A document built without the structure parser, so the fold, tokens and diff tests do not
/// depend on it: paragraphs are separated by blank lines, a paragraph starting with `#` is a
/// heading, other paragraphs are split after each 「。」. Line breaks inside a paragraph stay in
/// the sentence, as a PDF extraction leaves them.
pub fn plain_doc(text: &str) -> Document {
    let mut sentences = Vec::new();
    let mut push = |range: std::ops::Range<usize>, role: SentenceRole| {
        let piece = &text[range.clone()];
        let lead = piece.len() - piece.trim_start().len();
        let trail = piece.len() - piece.trim_end().len();
        let r = range.start + lead..range.end - trail;
        if r.start < r.end {
            sentences.push(Sentence {
                id: SentenceId(sentences.len() as u32),
                node: NodeId(0),
                role,
                clean: r.clone(),
                range: r,
            });
        }
    };
    let mut paragraphs = Vec::new();
    let mut start = None;
    let mut at = 0;
    for line in text.split_inclusive('\n') {
        let blank = line.trim().is_empty();
        match (blank, start) {
            (false, None) => start = Some(at),
            (true, Some(s)) => {
                paragraphs.push(s..at);
                start = None;
            }
            _ => {}
        }
        at += line.len();
    }
    if let Some(s) = start {
        paragraphs.push(s..text.len());
    }
    for p in paragraphs {
        let piece = &text[p.clone()];
        if let Some(rest) = piece.strip_prefix('#') {
            let hashes = rest.len() - rest.trim_start_matches('#').len() + 1;
            push(p.start + hashes..p.end, SentenceRole::Heading);
            continue;
        }
        let mut s = p.start;
        for (i, c) in piece.char_indices() {
            if c == '。' {
                let e = p.start + i + c.len_utf8();
                push(s..e, SentenceRole::Body);
                s = e;
            }
        }
        push(s..p.end, SentenceRole::Body);
    }
    let n = sentences.len() as u32;
    Document {
        meta: SourceMeta {
            encoding: Encoding::Utf8,
            had_bom: false,
            format: Format::Text,
            bytes: text.len(),
        },
        original: text.to_owned(),
        clean: MappedText::identity(text),
        artefacts: Vec::new(),
        nodes: vec![Node {
            id: NodeId(0),
            parent: None,
            children: Vec::new(),
            kind: NodeKind::Root,
            label: None,
            path: String::new(),
            heading: None,
            body: 0..n,
            range: 0..text.len(),
        }],
        sentences,
    }
}

/// Same word, other spelling: every notation variant named in outline.md Part 5 (and the brief),
/// with the form it folds to.
const NOTATION: &[(&str, &str)] = &[
    // 遵守 axis
    ("順守", "遵守"),
    ("尊守", "遵守"),
    // 強靱 axis
    ("強靭", "強靱"),
    ("強じん", "強靱"),
    ("強靱(じん)", "強靱"),
    // ハードウェア axis
    ("ハードウエア・ソフトウエア", "ハードウェア・ソフトウェア"),
    (
        "ハードウエア及びソフトウェア",
        "ハードウェア及びソフトウェア",
    ),
    // 講じる axis
    ("講ずる", "講じる"),
    // 及び/又は axis
    ("および", "及び"),
    ("または", "又は"),
    ("改ざんまたは", "改ざん又は"),
    ("ならびに", "並びに"),
    // 漏えい, 改ざん, おそれ axes
    ("漏洩", "漏えい"),
    ("改竄", "改ざん"),
    ("恐れ", "おそれ"),
    // 算用数字 axis
    ("（１）", "(1)"),
    ("(１)", "(1)"),
    ("（10）", "(10)"),
    ("１", "1"),
    // 読点 axis
    ("，", "、"),
    // スペース axis
    ("L G W A N", "LGWAN"),
    ("LGWAN 接続系", "LGWAN接続系"),
    // from the brief
    ("など", "等"),
    ("ＬＧＷＡＮ", "LGWAN"),
    ("ｿﾌﾄｳｪｱ", "ソフトウェア"),
];

/// Different words (synonyms or local wording): outline.md Part 3 and Part 5 rows that are NOT
/// notation. They must stay different here; the alignment maps them.
const NOT_NOTATION: &[(&str, &str)] = &[
    ("疫病", "疾病"),
    ("適正", "適切"),
    ("措置", "対策"),
    ("総括", "統括"),
    ("若しくは", "又は"),
    ("漏れ", "漏えい"),
    ("二要素認証", "多要素認証"),
    ("外部委託", "業務委託"),
    ("記録媒体", "電磁的記録媒体"),
    ("講ずるものとする", "講じる"),
    ("非意図的的", "非意図的"),
];

fn outline_part5() -> String {
    let outline = std::fs::read_to_string(crate::testdata().join("guideline/outline.md"))
        .expect("outline readable");
    let start = outline.find("## Part 5.").expect("outline has a Part 5");
    let end = outline[start..]
        .find("## Part 6.")
        .map_or(outline.len(), |e| start + e);
    outline[start..end].to_owned()
}

#[test]
fn folding_unifies_every_notation_variant_of_outline_part_5() {
    for (variant, canonical) in NOTATION {
        assert_eq!(
            fold::fold_str(variant),
            fold::fold_str(canonical),
            "{variant} should fold like {canonical}"
        );
    }
}

#[test]
fn listed_variants_are_those_of_outline_part_5() {
    let part5 = outline_part5();
    // The Part 5 spellings, written as the outline writes them.
    for v in [
        "順守",
        "尊守",
        "強靭",
        "強じん",
        "強靱(じん)",
        "ハードウエア",
        "ソフトウエア",
        "講ずる",
        "および",
        "または",
        "漏洩",
        "改竄",
        "恐れ",
        "（１）",
        "L G W A N",
        "疫病",
        "適正",
        "総括",
        "若しくは",
    ] {
        assert!(part5.contains(v), "{v} is not in outline.md Part 5");
    }
}

#[test]
fn synonyms_are_not_folded_as_notation() {
    for (a, b) in NOT_NOTATION {
        assert_ne!(fold::fold_str(a), fold::fold_str(b), "{a} / {b}");
    }
}

#[test]
fn guards_keep_placeholders_from_firing_inside_words() {
    assert_eq!(fold::fold_str("担当市町村"), "担当市町村");
    assert_eq!(fold::fold_str("該当団体"), "該当団体");
    assert_eq!(fold::fold_str("基本方針"), "基本方針");
    assert_eq!(fold::fold_str("移行などの"), "移行等の");
}

#[test]
fn punctuation_in_numbers_is_kept() {
    assert_eq!(fold::fold_str("１，０００円"), "1,000円");
    assert_eq!(fold::fold_str("１．目的"), "1.目的");
    assert_eq!(fold::fold_str("実施する．"), "実施する。");
}

#[test]
fn builtin_table_is_well_formed() {
    let folder = Folder::parse(TABLE).expect("table parses");
    let mut seen = std::collections::HashSet::new();
    for e in folder.entries() {
        assert!(
            seen.insert(e.variant.clone()),
            "duplicate variant on line {}",
            e.line
        );
        if e.kind == EntryKind::Notation {
            assert_ne!(e.variant, e.canonical, "line {} folds to itself", e.line);
        }
    }
    assert!(folder.word_slots().iter().any(|w| w == "市"));
}

#[test]
fn malformed_table_lines_are_reported_with_their_line() {
    let err = Folder::parse("# c\n順守\t遵守\n").expect_err("two columns");
    assert!(err.to_string().contains("line 2"), "{err}");
    let err = Folder::parse("順守\t遵守\tsynonym\n").expect_err("bad kind");
    assert!(err.to_string().contains("synonym"), "{err}");
}

#[test]
fn folding_maps_back_and_never_changes_the_original() {
    let original = "本組合は、ハードウエア及び\nソフトウエアを順守する。Ｌ Ｇ Ｗ Ａ Ｎ（１）";
    let mapped = MappedText::identity(original);
    let folded = fold::folder().fold_mapped(&mapped);
    assert_eq!(
        folded.text.as_str(),
        "本市は、ハードウェア及びソフトウェアを遵守する。LGWAN(1)"
    );
    // Every folded char maps to an original range on char boundaries.
    let text = folded.text.as_str();
    for (i, c) in text.char_indices() {
        let r = folded.text.to_original(i..i + c.len_utf8());
        assert!(original.get(r.clone()).is_some(), "{r:?}");
    }
    let r = |s: &str| {
        let i = text.find(s).expect("in folded");
        &original[folded.text.to_original(i..i + s.len())]
    };
    assert_eq!(r("本市"), "本組合");
    assert_eq!(r("ソフトウェア"), "ソフトウエア");
    assert_eq!(r("遵守"), "順守");
    assert_eq!(r("LGWAN"), "Ｌ Ｇ Ｗ Ａ Ｎ");
    assert_eq!(r("及び"), "及び");
    assert_eq!(folded.slots.len(), 1);
    assert_eq!(
        &text[folded.slots[0].start as usize..folded.slots[0].end as usize],
        "本市"
    );
    assert_eq!(SLOT_KEY, "〈団体〉");
}

#[test]
fn plain_doc_splits_sentences_and_headings() {
    let doc = plain_doc("# 1 目的\n\n本基本方針は、\n定める。次に進む。\n");
    let texts: Vec<&str> = (0..doc.sentences.len())
        .map(|i| doc.sentence_text(SentenceId(i as u32)))
        .collect();
    assert_eq!(texts, ["1 目的", "本基本方針は、\n定める。", "次に進む。"]);
    assert_eq!(doc.sentences[0].role, SentenceRole::Heading);
}
