//! Synthetic bodies: a base text (the rendered national model, or a seed) with a fictional
//! body's name and a handful of random, realistic edits, for the national benchmark and for
//! demo data.

use serde::Serialize;

use super::Rng;
use super::form;
use super::items::sentence_end;

/// One generated local body.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct SyntheticBody {
    /// A fictional name (翠ヶ丘市, 楓浦町, 柊瀬地区衛生一部事務組合 …).
    pub name: String,
    pub text: String,
    /// What was done to the base, one short line per edit (no document text).
    pub edits: Vec<String>,
}

/// One item of the model as the renderer needs it (the caller converts from its catalog).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ModelClause {
    /// Numbering path, `/`-separated (`6/(3)/①`).
    pub path: String,
    pub title: String,
    pub text: String,
}

/// Renders model clauses as a policy text: one block per layer, a heading for every new path
/// component, the clause text as a paragraph. With more than one layer each layer becomes a
/// chapter (第N章), as in seed 003.
pub fn render_model(layers: &[(&str, &[ModelClause])]) -> String {
    let mut out = String::new();
    let chapters = layers.len() > 1;
    for (n, (title, clauses)) in layers.iter().enumerate() {
        if chapters {
            out.push_str(&format!("第{}章　{title}\n\n", n + 1));
        } else {
            out.push_str(&format!("{title}\n\n"));
        }
        let mut open: Vec<String> = Vec::new();
        for c in *clauses {
            let parts: Vec<&str> = c.path.split('/').collect();
            let last = parts.len().saturating_sub(1);
            for (depth, part) in parts.iter().enumerate() {
                if open.get(depth).is_some_and(|p| p == part) {
                    continue;
                }
                open.truncate(depth);
                open.push((*part).to_owned());
                if depth == last && part.starts_with(|ch: char| ('①'..='⑳').contains(&ch)) {
                    // Circled items are list lines carrying their text directly.
                    out.push_str(&format!("{part}　{}\n\n", c.text));
                    continue;
                }
                let label = if depth == 0 && !part.starts_with('(') {
                    format!("{part}.")
                } else {
                    (*part).to_owned()
                };
                out.push_str(&format!("{label} {}\n\n", c.title));
            }
            let is_list_line = parts
                .last()
                .is_some_and(|p| p.starts_with(|ch: char| ('①'..='⑳').contains(&ch)));
            if !is_list_line && !c.text.is_empty() {
                out.push_str(&c.text);
                out.push_str("\n\n");
            }
        }
    }
    out
}

const NAME_HEADS: [&str; 16] = [
    "翠", "楓", "柊", "椿", "瑞", "琥", "朱", "藍", "霞", "蓮", "萩", "桐", "榊", "楠", "槙", "茜",
];
const NAME_TAILS: [&str; 12] = [
    "ヶ丘", "浦", "瀬", "野", "沢", "原", "台", "森", "里", "見", "川", "崎",
];

/// A fictional body name and how the body calls itself in its text (本市, 本町, 本組合, …).
fn fictional_name(rng: &mut Rng) -> (String, &'static str) {
    let head = rng.pick(&NAME_HEADS).copied().unwrap_or("翠");
    let tail = rng.pick(&NAME_TAILS).copied().unwrap_or("野");
    // Roughly Japan's mix: 792 市, 743 町, 183 村, plus many 一部事務組合 and 企業団.
    match rng.below(20) {
        0..=7 => (format!("{head}{tail}市"), "本市"),
        8..=14 => (format!("{head}{tail}町"), "本町"),
        15..=16 => (format!("{head}{tail}村"), "本村"),
        17..=18 => (format!("{head}{tail}地区衛生一部事務組合"), "本組合"),
        _ => (format!("{head}{tail}広域水道企業団"), "企業団"),
    }
}

/// Sentences of the running text: byte ranges ending in 。, never inside a heading line.
fn sentences(text: &str) -> Vec<std::ops::Range<usize>> {
    let mut out = Vec::new();
    let mut line_start = 0;
    for line in text.split_inclusive('\n') {
        let mut s = line_start;
        let line_end = line_start + line.len();
        while s < line_end {
            let Some(e) = sentence_end(&text[..line_end], s, 1) else {
                break;
            };
            out.push(s..e);
            s = e;
        }
        line_start = line_end;
    }
    out
}

/// Endings replaced by a weaker one in a downgrade, with their plain verb stem.
const STRONG_ENDINGS: [(&str, &str); 8] = [
    ("しなければならない。", "する"),
    ("ものとする。", ""),
    ("講じる。", "講じる"),
    ("実施する。", "実施する"),
    ("策定する。", "策定する"),
    ("確立する。", "確立する"),
    ("定める。", "定める"),
    ("見直す。", "見直す"),
];

/// One random content edit; returns a description, or `None` when nothing applied.
fn random_edit(text: &mut String, rng: &mut Rng) -> Option<String> {
    let sents = sentences(text);
    if sents.is_empty() {
        return None;
    }
    let s = sents[rng.below(sents.len())].clone();
    let sentence = text[s.clone()].to_owned();
    match rng.below(6) {
        0 => {
            text.replace_range(s, "");
            Some("sentence deleted".to_owned())
        }
        1 => {
            let (ending, verb) = STRONG_ENDINGS.iter().find(|(e, _)| sentence.ends_with(e))?;
            let stem = &sentence[..sentence.len() - ending.len()];
            // The stem lacks the ending, so the plain verb goes back before the weaker one.
            let weaker = format!("{stem}{verb}よう努める。");
            text.replace_range(s, &weaker);
            Some("obligation downgraded".to_owned())
        }
        2 => {
            let trimmed = sentence.trim_start();
            let lead = sentence.len() - trimmed.len();
            if trimmed.starts_with(['-', '・', '(', '（']) || trimmed.contains("原則として")
            {
                return None;
            }
            text.insert_str(s.start + lead, "原則として、");
            Some("hedge added".to_owned())
        }
        3 => {
            // Drop the middle of 「A、B、C」: an element of an enumeration.
            let first = sentence.find('、')?;
            let second = first + 3 + sentence[first + 3..].find('、')?;
            let element = &sentence[first + 3..second + 3];
            if element.chars().count() > 14 || element.contains(['。', '（', '）']) {
                return None;
            }
            let at = s.start + first + 3;
            text.replace_range(at..at + element.len(), "");
            Some("enumeration element dropped".to_owned())
        }
        4 => {
            let at = text.find("定期的又は")?;
            text.replace_range(at..at + "定期的又は".len(), "");
            Some("frequency removed".to_owned())
        }
        _ => {
            let at = s.start + sentence.find("をいう。")?;
            text.replace_range(at..at + "をいう。".len(), "を指す。");
            Some("paraphrase".to_owned())
        }
    }
}

/// A synthetic body from `base`: a fictional name, the model's placeholder 本市 replaced by the
/// body's own, 0–6 random content edits and some form noise (notation, line breaks, page
/// numbers). Deterministic in `seed`.
pub fn body(seed: u64, base: &str) -> SyntheticBody {
    let mut rng = Rng::new(seed);
    let (name, self_ref) = fictional_name(&mut rng);
    let mut edits = Vec::new();
    let mut text = format!("{name}\n{}", base.replace("本市", self_ref));
    let n_edits = rng.range(0, 6);
    let mut tries = 0;
    while edits.len() < n_edits && tries < 4 * n_edits {
        tries += 1;
        if let Some(e) = random_edit(&mut text, &mut rng) {
            edits.push(e);
        }
    }
    if rng.chance(1, 2) {
        text = form::notation(&text, &mut rng, 1, 3);
        edits.push("notation variants".to_owned());
    }
    if rng.chance(2, 5) {
        text = form::line_breaks(&text, &mut rng);
        edits.push("hard line breaks".to_owned());
    }
    if rng.chance(3, 10) {
        text = form::page_numbers(&text, &mut rng);
        edits.push("page numbers".to_owned());
    }
    SyntheticBody { name, text, edits }
}

/// `n` bodies; body `i` takes a base drawn from `bases` (repeat a base to weight it, e.g. four
/// 基本方針-only texts and one with a 対策基準, like the seeds).
pub fn corpus(n: usize, seed: u64, bases: &[&str]) -> Vec<SyntheticBody> {
    let mut rng = Rng::new(seed);
    (0..n)
        .map(|_| {
            let base = rng.pick(bases).copied().unwrap_or("");
            body(rng.next_u64(), base)
        })
        .collect()
}

/// Rendered model texts to draw bodies from: four 基本方針-only bases and one with both layers, as
/// among the seeds (four of five publish only their 基本方針).
pub fn model_bases(catalog: &taisho_guideline::Catalog) -> Vec<String> {
    use taisho_guideline::Layer;
    let layer = |l: Layer| -> Vec<ModelClause> {
        catalog
            .items_in(l)
            .map(|it| ModelClause {
                path: it.path.clone(),
                title: it.title.clone(),
                text: it.text.clone(),
            })
            .collect()
    };
    let kihon = layer(Layer::Kihon);
    let taisaku = layer(Layer::Taisaku);
    let small = render_model(&[(Layer::Kihon.name_ja(), &kihon)]);
    let large = render_model(&[
        (Layer::Kihon.name_ja(), &kihon),
        (Layer::Taisaku.name_ja(), &taisaku),
    ]);
    vec![small.clone(), small.clone(), small.clone(), small, large]
}
