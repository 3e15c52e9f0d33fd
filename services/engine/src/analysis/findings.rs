//! Weakening checks on a matched clause: modality, hedges, frequency, thresholds.
//!
//! All checks read the folded text of the clause's sentences, so notation (順守 / 遵守,
//! full-width digits) never matters.

use serde::Serialize;
use taisho_guideline::{Item, Kind, Modality, Threshold};

/// Why an item is weakened.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum ReasonKind {
    ModalityDowngrade,
    HedgeAdded,
    FrequencyRemoved,
    ElementMissing,
    ScopeNarrowed,
    ThresholdLowered,
    ActorChanged,
}

impl ReasonKind {
    pub const ALL: [ReasonKind; 7] = [
        ReasonKind::ModalityDowngrade,
        ReasonKind::HedgeAdded,
        ReasonKind::FrequencyRemoved,
        ReasonKind::ElementMissing,
        ReasonKind::ScopeNarrowed,
        ReasonKind::ThresholdLowered,
        ReasonKind::ActorChanged,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            ReasonKind::ModalityDowngrade => "modality_downgrade",
            ReasonKind::HedgeAdded => "hedge_added",
            ReasonKind::FrequencyRemoved => "frequency_removed",
            ReasonKind::ElementMissing => "element_missing",
            ReasonKind::ScopeNarrowed => "scope_narrowed",
            ReasonKind::ThresholdLowered => "threshold_lowered",
            ReasonKind::ActorChanged => "actor_changed",
        }
    }

    pub fn parse(s: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|k| k.as_str() == s.trim())
    }
}

/// One reason, with the words it is about and a plain Japanese sentence.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Reason {
    pub kind: ReasonKind,
    /// The terms concerned: missing elements, the hedge added, the frequency dropped, the
    /// modality forms (model, policy), the number found.
    pub terms: Vec<String>,
    pub message: String,
}

/// Hedges a policy may add (stems: 必要に応じ covers 必要に応じて).
const HEDGES: [&str; 8] = [
    "必要に応じ",
    "原則として",
    "可能な限り",
    "基本的に",
    "適宜",
    "できる限り",
    "できるだけ",
    "なるべく",
];

/// Words that satisfy a frequency the model requires (each also satisfies itself).
fn frequency_equivalents(word: &str) -> &'static [&'static str] {
    match word {
        "定期的" | "定期的に" => &[
            "定期",
            "毎年",
            "毎月",
            "年1回",
            "年に1回",
            "年度ごと",
            "随時",
        ],
        "必要に応じて" | "必要に応じ" => &["必要に応じ", "適宜", "随時", "必要な場合"],
        "毎年度" => &["毎年", "年1回", "年に1回", "年度ごと"],
        "常時" => &["常に", "常時"],
        _ => &[],
    }
}

/// The modality a sentence ends with.
pub fn sentence_modality(folded: &str) -> Modality {
    let t = folded.trim_end_matches(['。', '、', '.', ')', '）', '」', ' ']);
    if t.ends_with("努めなければならない") || t.ends_with("努めるものとする") {
        Modality::Effort
    } else if t.ends_with("なければならない")
        || t.ends_with("てはならない")
        || t.ends_with("ではならない")
        || t.ends_with("こと")
    {
        Modality::Mandatory
    } else if t.ends_with("ものとする") {
        Modality::Formal
    } else if t.ends_with("努める") || t.ends_with("努めること") || t.ends_with("努めます")
    {
        Modality::Effort
    } else if t.ends_with("望ましい") {
        Modality::Recommendation
    } else if t.ends_with("できる") || t.ends_with("できるものとする") {
        Modality::Permission
    } else {
        Modality::Declarative
    }
}

fn modality_ja(m: Modality) -> &'static str {
    match m {
        Modality::Mandatory => "しなければならない",
        Modality::Declarative => "（断定）",
        Modality::Formal => "ものとする",
        Modality::Permission => "できる",
        Modality::Effort => "努める",
        Modality::Recommendation => "望ましい",
        Modality::Unknown => "？",
    }
}

/// Checks the clause (`folded` sentences that carry the item) against the model item.
pub fn weakening(item: &Item, model_folded: &str, clause: &[&str]) -> Vec<Reason> {
    let mut out = Vec::new();
    if clause.is_empty() {
        return out;
    }
    let joined: String = clause.concat();

    // Modality, per obligation: every sentence that states the item must bind as strongly as
    // the model does; a binding first duty does not excuse a softened second one (6(3)③:
    // 「…対策を実施する。…クラウドの導入等に努める。」). A threat list's lead commits to
    // measures too (outline W8); its entries are noun phrases with no predicate.
    let obliges = matches!(
        item.kind,
        Kind::Countermeasure | Kind::Organisation | Kind::Process
    ) || (item.kind == Kind::Threat && item.text.trim_end().ends_with('。'));
    if obliges && let Some(want) = item.modality.strength() {
        // A weaker form the model text itself uses (「…許可を得て利用することができる」) is
        // the model's own second predicate, not a downgrade.
        let native = |m: Modality| match m {
            Modality::Permission => model_folded.contains("できる"),
            Modality::Effort => model_folded.contains("努め"),
            Modality::Recommendation => model_folded.contains("望ましい"),
            _ => false,
        };
        let weakest = clause
            .iter()
            .map(|s| sentence_modality(s))
            .filter(|m| m.strength().is_some() && !native(*m))
            .min_by_key(|m| m.strength().unwrap_or(0));
        if let Some(found) = weakest
            && found.strength().is_some_and(|s| s < want)
        {
            out.push(Reason {
                kind: ReasonKind::ModalityDowngrade,
                terms: vec![
                    modality_ja(item.modality).to_owned(),
                    modality_ja(found).to_owned(),
                ],
                message: format!(
                    "モデルでは「{}」とされているが、「{}」となっている。",
                    modality_ja(item.modality),
                    modality_ja(found)
                ),
            });
        }
    }

    // Hedges the model item does not have itself.
    // 必要に応じ / 適宜 / 随時 say the same ("as needed"): one in the model makes the others native.
    const AS_NEEDED: [&str; 3] = ["必要に応じ", "適宜", "随時"];
    let as_needed = |h: &str| AS_NEEDED.contains(&h);
    let model_as_needed = AS_NEEDED
        .iter()
        .any(|a| model_folded.contains(a) || item.hedges.iter().any(|m| m.contains(a)));
    let native = |h: &str| {
        (as_needed(h) && model_as_needed)
            || model_folded.contains(h)
            || item
                .hedges
                .iter()
                .any(|m| m.contains(h) || h.contains(m.as_str()))
    };
    let added: Vec<String> = HEDGES
        .iter()
        .filter(|h| joined.contains(**h) && !native(h))
        .map(|h| (*h).to_owned())
        .collect();
    if !added.is_empty() {
        out.push(Reason {
            kind: ReasonKind::HedgeAdded,
            message: format!(
                "モデルにない「{}」が加えられ、義務が緩められている。",
                added.join("」「")
            ),
            terms: added,
        });
    }

    // Frequencies the model requires, all of them.
    let missing: Vec<String> = item
        .frequency
        .iter()
        .filter(|f| {
            let stem = f.trim_end_matches('て').trim_end_matches('に');
            !joined.contains(stem) && !frequency_equivalents(f).iter().any(|e| joined.contains(e))
        })
        .cloned()
        .collect();
    if !missing.is_empty() {
        let found: Vec<&str> = item
            .frequency
            .iter()
            .map(String::as_str)
            .filter(|f| !missing.iter().any(|m| m == f))
            .collect();
        let message = if found.is_empty() {
            format!(
                "モデルでは「{}」実施するとされているが、その定めがない。",
                item.frequency.join("又は")
            )
        } else {
            format!(
                "モデルでは「{}」実施するとされているが、「{}」のみとなっている。",
                item.frequency.join("又は"),
                found.join("」「")
            )
        };
        out.push(Reason {
            kind: ReasonKind::FrequencyRemoved,
            terms: missing,
            message,
        });
    }

    // Numbers weaker than the model's or than good practice.
    for th in &item.thresholds {
        if let Some(r) = threshold(th, &joined) {
            out.push(r);
        }
    }
    out
}

/// Words that keep a scope universal: a clause with one of them has not narrowed 「全ての」.
const UNIVERSAL: [&str; 7] = ["全て", "すべて", "全庁", "全部", "一切", "あらゆる", "各"];

/// Roles a subject may name, each with its canonical role (CISO and its long form are one
/// role). Longest first, so 「最高情報セキュリティ責任者」 is never read as 「情報セキュリティ責任者」.
const ACTORS: [(&str, &str); 14] = [
    ("最高情報セキュリティ副責任者", "副CISO"),
    ("最高情報セキュリティ責任者", "CISO"),
    ("統括情報セキュリティ責任者", "統括情報セキュリティ責任者"),
    ("総括情報セキュリティ責任者", "統括情報セキュリティ責任者"),
    ("情報セキュリティ委員会", "情報セキュリティ委員会"),
    ("情報セキュリティ責任者", "情報セキュリティ責任者"),
    ("情報セキュリティ管理者", "情報セキュリティ管理者"),
    ("情報システム管理者", "情報システム管理者"),
    ("情報システム担当者", "情報システム担当者"),
    ("外部委託事業者", "外部委託事業者"),
    ("副CISO", "副CISO"),
    ("CISO", "CISO"),
    ("職員等", "職員"),
    ("職員", "職員"),
];

/// Every actor named in `text`, longest match first, with the byte offset after it.
fn actors(text: &str) -> Vec<(&'static str, &'static str, usize)> {
    let mut out = Vec::new();
    let mut i = 0;
    while i < text.len() {
        let rest = &text[i..];
        if let Some((name, role)) = ACTORS.iter().find(|(n, _)| rest.starts_with(n)) {
            i += name.len();
            out.push((*name, *role, i));
        } else {
            i += rest.chars().next().map_or(1, char::len_utf8);
        }
    }
    out
}

/// Whether `term` names an actor role (the model's 職員等 element, say).
pub fn is_actor(term: &str) -> bool {
    ACTORS.iter().any(|(n, _)| *n == term)
}

/// The roles `text` makes its topic (「…は」 right after the actor's name). 「…が」 is left out:
/// it mostly opens a relative clause (「CISOが定める方法」) naming someone else's part.
fn subjects(text: &str) -> Vec<(&'static str, &'static str)> {
    actors(text)
        .into_iter()
        .filter(|(_, _, end)| text[*end..].starts_with('は'))
        .map(|(name, role, _)| (name, role))
        .collect()
}

/// The head of each noun the model quantifies with 「全ての」 (「全てのネットワーク」 → 「ネット」):
/// its first three characters, enough to find the same noun in a clause.
fn universal_nouns(model_folded: &str) -> Vec<&str> {
    let mut out = Vec::new();
    for q in ["全ての", "すべての"] {
        for (at, _) in model_folded.match_indices(q) {
            let rest = &model_folded[at + q.len()..];
            let end = rest
                .char_indices()
                .take_while(|(_, c)| !matches!(c, '、' | '。' | 'の' | 'に' | 'を' | 'が' | 'は'))
                .nth(2)
                .map_or(0, |(i, c)| i + c.len_utf8());
            if end > 0 {
                out.push(&rest[..end]);
            }
        }
    }
    out
}

/// Scope and actor checks on a clause that states the item with all its other elements: 「全て
/// の」 dropped before the same noun, 「職員等」 narrowed to 「職員」, the model's actor replaced by
/// another role. `staff_broad` says the document's own 「職員」 already includes part-time staff
/// (it names 非常勤 etc. and defines no narrower 「職員等」).
pub fn narrowing(model_folded: &str, clause: &[&str], staff_broad: bool) -> Vec<Reason> {
    let mut out = Vec::new();
    if clause.is_empty() {
        return out;
    }
    let joined: String = clause.concat();
    let mut narrowed = Vec::new();
    // Only a clause that keeps the quantified noun narrows it: one that words the item
    // otherwise (「情報資産の…最終決定権限」 for 「全てのネットワーク、情報システム等の情報資産」)
    // is a rewording, not a narrowing.
    if universal_nouns(model_folded)
        .iter()
        .any(|n| joined.contains(n))
        && !UNIVERSAL.iter().any(|u| joined.contains(u))
    {
        narrowed.push("全ての");
    }
    // The model's 職員等 includes 非常勤・臨時 staff; a bare 職員 says less unless the document
    // made its 職員 that broad itself (「職員（非常勤職員及び臨時職員を含む）」).
    if model_folded.contains("職員等")
        && joined.contains("職員")
        && !joined.contains("職員等")
        && !staff_broad
    {
        narrowed.push("職員等");
    }
    if !narrowed.is_empty() {
        out.push(Reason {
            kind: ReasonKind::ScopeNarrowed,
            message: format!(
                "モデルの「{}」より対象が狭められている。",
                narrowed.join("」「")
            ),
            terms: narrowed.iter().map(|t| (*t).to_owned()).collect(),
        });
    }

    // Actor: the model's subject is replaced by another role. A clause that still names the
    // model's actor anywhere (「職員及び外部委託事業者は」, 「CISOの指示に従い、…は」) shares
    // or delegates the duty, which is no change of actor.
    if let Some(&(want_name, want)) = subjects(model_folded).first() {
        let named = actors(&joined).iter().any(|(_, role, _)| *role == want);
        // A role the model names too (「統括情報セキュリティ責任者が提供する…」) has its own
        // part in the item.
        let model_roles: Vec<&str> = actors(model_folded).iter().map(|a| a.1).collect();
        let got: Vec<&str> = subjects(&joined)
            .into_iter()
            .filter(|(_, role)| !model_roles.contains(role))
            .map(|(name, _)| name)
            .collect();
        if !named && let Some(first) = got.first() {
            out.push(Reason {
                kind: ReasonKind::ActorChanged,
                terms: vec![want_name.to_owned(), (*first).to_owned()],
                message: format!(
                    "モデルでは「{want_name}」が行うとされているが、「{first}」となっている。"
                ),
            });
        }
    }
    out
}

fn threshold(th: &Threshold, text: &str) -> Option<Reason> {
    let unit = th.unit.as_deref()?;
    let unit = unit.split('/').next().unwrap_or(unit);
    let units: &[&str] = if unit == "文字" {
        &["文字", "桁"]
    } else {
        std::slice::from_ref(&unit)
    };
    let floor = th.min.or(th.good_practice_min);
    for (n, u) in numbers_with_unit(text, units) {
        let low = floor.is_some_and(|f| n < f);
        let high = th.max.is_some_and(|m| n > m);
        if low || high {
            let bound = match (th.min, th.good_practice_min, th.max) {
                (Some(m), _, _) if low => format!("モデルの下限（{m}{unit}）"),
                (None, Some(g), _) if low => format!(
                    "モデルの「{}」及び推奨値（{g}{unit}以上）",
                    th.qualitative.as_deref().unwrap_or("基準")
                ),
                (_, _, Some(m)) => format!("モデルの上限（{m}{unit}）"),
                _ => "モデルの基準".to_owned(),
            };
            return Some(Reason {
                kind: ReasonKind::ThresholdLowered,
                terms: vec![format!("{n}{u}")],
                message: format!("「{n}{u}」となっており、{bound}より弱い。"),
            });
        }
    }
    None
}

/// Every ASCII number directly followed by one of `units` (text is width-folded already).
fn numbers_with_unit<'u>(text: &str, units: &[&'u str]) -> Vec<(u32, &'u str)> {
    let mut out = Vec::new();
    let bytes = text.as_bytes();
    let mut i = 0;
    while i < bytes.len() {
        if bytes[i].is_ascii_digit() {
            let start = i;
            while i < bytes.len() && bytes[i].is_ascii_digit() {
                i += 1;
            }
            let rest = &text[i..];
            if let Some(u) = units.iter().find(|u| rest.starts_with(**u))
                && let Ok(n) = text[start..i].parse::<u32>()
            {
                out.push((n, *u));
            }
        } else {
            i += 1;
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sentence_modality_reads_the_predicate() {
        assert_eq!(
            sentence_modality("遵守しなければならない。"),
            Modality::Mandatory
        );
        assert_eq!(sentence_modality("尊守するものとする。"), Modality::Formal);
        assert_eq!(
            sentence_modality("運用に努めなければならない。"),
            Modality::Effort
        );
        assert_eq!(
            sentence_modality("取ることができる。"),
            Modality::Permission
        );
        assert_eq!(sentence_modality("対策を講じる。"), Modality::Declarative);
    }

    fn item(kind: Kind, modality: Modality, text: &str) -> Item {
        let mut it = taisho_guideline::Catalog::builtin(taisho_guideline::EditionId::DEFAULT)
            .ok()
            .and_then(|c| c.items.into_iter().find(|i| i.id == "KH-6-3-3"))
            .unwrap_or_else(|| panic!("KH-6-3-3 in the built-in catalog"));
        it.kind = kind;
        it.modality = modality;
        it.text = text.to_owned();
        it.hedges.clear();
        it.frequency.clear();
        it.thresholds.clear();
        it
    }

    #[test]
    fn a_softened_second_obligation_is_a_downgrade() {
        let it = item(
            Kind::Countermeasure,
            Modality::Declarative,
            "対策を実施する。参加する。",
        );
        let clause = ["対策を実施する。", "クラウドの導入等に努める。"];
        let kinds: Vec<ReasonKind> = weakening(&it, &it.text, &clause)
            .iter()
            .map(|r| r.kind)
            .collect();
        assert_eq!(kinds, vec![ReasonKind::ModalityDowngrade]);
    }

    #[test]
    fn a_weaker_form_the_model_uses_itself_is_not_a_downgrade() {
        let text = "利用してはならず、許可を得て利用することができる。";
        let it = item(Kind::Countermeasure, Modality::Mandatory, text);
        let clause = ["利用してはならない。", "許可を得て利用することができる。"];
        assert!(weakening(&it, &it.text, &clause).is_empty());
    }

    #[test]
    fn a_threat_lead_commits_to_measures_but_its_entries_do_not() {
        let lead = item(
            Kind::Threat,
            Modality::Declarative,
            "脅威を想定し、対策を実施する。",
        );
        assert!(!weakening(&lead, &lead.text, &["脅威を想定し、対策の実施に努める。"]).is_empty());
        let entry = item(
            Kind::Threat,
            Modality::Declarative,
            "地震、落雷、火災等の災害",
        );
        assert!(weakening(&entry, &entry.text, &["地震等の災害に努める。"]).is_empty());
    }

    fn kinds(reasons: &[Reason]) -> Vec<ReasonKind> {
        reasons.iter().map(|r| r.kind).collect()
    }

    #[test]
    fn dropping_all_from_the_scope_narrows_it() {
        let model =
            "統括情報セキュリティ責任者は、〈団体〉の全てのネットワークにおける権限を有する。";
        let narrowed = ["統括情報セキュリティ責任者は、ネットワークにおける権限を有する。"];
        // Worded otherwise, without the quantified noun: no narrowing.
        let reworded = ["統括情報セキュリティ責任者は、情報資産に関する権限を有する。"];
        assert!(narrowing(model, &reworded, false).is_empty());
        assert_eq!(
            kinds(&narrowing(model, &narrowed, false)),
            vec![ReasonKind::ScopeNarrowed]
        );
        let kept = ["統括情報セキュリティ責任者は、すべてのネットワークにおける権限を有する。"];
        assert!(narrowing(model, &kept, false).is_empty());
    }

    #[test]
    fn bare_staff_narrows_the_model_staff_unless_the_document_made_staff_broad() {
        let model = "職員等は、情報セキュリティポリシーを遵守しなければならない。";
        let clause = ["職員は、情報セキュリティポリシーを遵守しなければならない。"];
        assert_eq!(
            kinds(&narrowing(model, &clause, false)),
            vec![ReasonKind::ScopeNarrowed]
        );
        assert!(narrowing(model, &clause, true).is_empty());
        let same = ["職員等は、ポリシーを遵守しなければならない。"];
        assert!(narrowing(model, &same, false).is_empty());
    }

    #[test]
    fn another_role_as_subject_is_an_actor_change() {
        let model = "CISOは、CSIRTを整備し、その役割を明確化する。";
        let other = ["情報セキュリティ管理者は、CSIRTを整備し、その役割を明確化する。"];
        let r = narrowing(model, &other, false);
        assert_eq!(kinds(&r), vec![ReasonKind::ActorChanged]);
        assert_eq!(r[0].terms, vec!["CISO", "情報セキュリティ管理者"]);
        // The long form is the same role.
        let long = ["最高情報セキュリティ責任者は、CSIRTを整備する。"];
        assert!(narrowing(model, &long, false).is_empty());
        // Naming the model's actor at all (delegation, a shared duty) is no change.
        let shared = ["CISOの指示により、情報セキュリティ管理者は、CSIRTを整備する。"];
        assert!(narrowing(model, &shared, false).is_empty());
        // A role the model names in its own part is no replacement.
        let model = "職員等は、統括情報セキュリティ責任者が提供する情報を確認しなければならない。";
        let own_part = ["統括情報セキュリティ責任者は、提供する情報を確認する。"];
        assert!(narrowing(model, &own_part, false).is_empty());
    }

    #[test]
    fn a_longer_role_name_is_not_read_as_the_shorter_one_inside_it() {
        assert_eq!(
            subjects("最高情報セキュリティ責任者は、"),
            vec![("最高情報セキュリティ責任者", "CISO")]
        );
        assert_eq!(subjects("副CISOは"), vec![("副CISO", "副CISO")]);
    }

    #[test]
    fn numbers_followed_by_a_unit_are_found() {
        assert_eq!(
            numbers_with_unit("パスワードは基本的に4文字以上とし", &["文字", "桁"]),
            vec![(4, "文字")]
        );
        assert!(numbers_with_unit("第2章", &["文字"]).is_empty());
    }
}
