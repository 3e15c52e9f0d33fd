//! How values read in Japanese on the pages: dates, percentages, statuses, organisation kinds,
//! chapters of the model, the body's own numbering.

use chrono::{DateTime, FixedOffset, Utc};
use taisho_app::analyses::FindingStatus;
use taisho_app::home::Viewer;
use taisho_app::records::OrgKind;
use taisho_guideline::{EditionId, Layer};

/// The header of a signed-in page.
#[derive(Debug, Clone)]
pub struct Chrome {
    pub org_name: String,
    pub org_kind: &'static str,
    pub user_name: String,
    /// The CSRF token of the page's forms (the sign-out button too).
    pub csrf: String,
    /// A prefecture: the menu offers the view of its member bodies.
    pub coordinator: bool,
    /// A body (municipality, union): it uploads its own policies.
    pub uploads: bool,
}

impl Chrome {
    pub fn of(viewer: &Viewer, csrf: String) -> Chrome {
        Chrome {
            org_name: viewer.org.name.clone(),
            org_kind: org_kind(viewer.org.kind),
            user_name: viewer.user_name.clone().unwrap_or_default(),
            csrf,
            coordinator: viewer.org.kind == OrgKind::Prefecture,
            uploads: matches!(viewer.org.kind, OrgKind::Municipality | OrgKind::Union),
        }
    }
}

pub fn org_kind(kind: OrgKind) -> &'static str {
    match kind {
        OrgKind::Prefecture => "都道府県",
        OrgKind::Municipality => "市区町村",
        OrgKind::Union => "一部事務組合等",
        OrgKind::Consultancy => "支援事業者",
    }
}

/// Japan time.
fn jst() -> FixedOffset {
    FixedOffset::east_opt(9 * 3600).expect("valid offset")
}

/// `2025年3月1日` (Japan time).
pub fn date(t: DateTime<Utc>) -> String {
    t.with_timezone(&jst()).format("%Y年%-m月%-d日").to_string()
}

/// `87%`, or `—` when there is nothing to measure.
pub fn percent(ratio: Option<f64>) -> String {
    match ratio {
        Some(r) => format!("{:.0}%", (r * 100.0).clamp(0.0, 100.0)),
        None => "—".to_owned(),
    }
}

/// A whole percentage for `<meter value>` (0 when unknown).
pub fn meter(ratio: Option<f64>) -> u32 {
    ratio.map_or(0, |r| (r * 100.0).round().clamp(0.0, 100.0) as u32)
}

/// 「総務省ガイドライン（令和5年3月版）例文」.
pub fn edition_words(edition: EditionId) -> String {
    format!("総務省ガイドライン（{}）例文", edition.name_ja())
}

/// The label of a status, the same on every page.
pub fn status_label(status: FindingStatus) -> &'static str {
    match status {
        FindingStatus::Covered => "充足",
        FindingStatus::Weakened => "一部不足・緩和",
        FindingStatus::Omitted => "欠落",
        FindingStatus::OutOfScope => "対象外",
    }
}

/// The CSS class of a status chip.
pub fn status_class(status: FindingStatus) -> &'static str {
    match status {
        FindingStatus::Covered => "covered",
        FindingStatus::Weakened => "weakened",
        FindingStatus::Omitted => "omitted",
        FindingStatus::OutOfScope => "out-of-scope",
    }
}

/// The statuses in the order pages list them.
pub const STATUSES: [FindingStatus; 4] = [
    FindingStatus::Omitted,
    FindingStatus::Weakened,
    FindingStatus::Covered,
    FindingStatus::OutOfScope,
];

/// 基本方針 / 対策基準.
pub fn layer_short(layer: Layer) -> &'static str {
    match layer {
        Layer::Kihon => "基本方針",
        Layer::Taisaku => "対策基準",
    }
}

/// The chapter of a model item id: its layer and the first number (`KH-6-3-1` → `KH-6`,
/// `TK-7.1-6a` → `TK-7`).
pub fn chapter_of(item: &str) -> Option<(Layer, u32)> {
    let layer = Layer::of_id(item)?;
    let rest = &item[layer.id_prefix().len()..];
    let number = rest.split(['-', '.']).next()?.parse().ok()?;
    Some((layer, number))
}

/// The chapter's key in URLs (`KH-6`).
pub fn chapter_key(layer: Layer, number: u32) -> String {
    format!("{}{number}", layer.id_prefix())
}

/// The 見出し of a chapter of the model (R5.3 numbering, which later editions keep).
pub fn chapter_title(layer: Layer, number: u32) -> &'static str {
    match (layer, number) {
        (Layer::Kihon, 1) => "目的",
        (Layer::Kihon, 2) => "定義",
        (Layer::Kihon, 3) => "対象とする脅威",
        (Layer::Kihon, 4) => "適用範囲",
        (Layer::Kihon, 5) => "職員等の遵守義務",
        (Layer::Kihon, 6) => "情報セキュリティ対策",
        (Layer::Kihon, 7) => "情報セキュリティ監査及び自己点検の実施",
        (Layer::Kihon, 8) => "情報セキュリティポリシーの見直し",
        (Layer::Kihon, 9) => "情報セキュリティ対策基準の策定",
        (Layer::Kihon, 10) => "情報セキュリティ実施手順の策定",
        (Layer::Taisaku, 1) => "対象範囲及び用語説明",
        (Layer::Taisaku, 2) => "組織体制",
        (Layer::Taisaku, 3) => "情報資産の分類と管理方法",
        (Layer::Taisaku, 4) => "情報システム全体の強靱性の向上",
        (Layer::Taisaku, 5) => "物理的セキュリティ",
        (Layer::Taisaku, 6) => "人的セキュリティ",
        (Layer::Taisaku, 7) => "技術的セキュリティ",
        (Layer::Taisaku, 8) => "運用",
        (Layer::Taisaku, 9) => "業務委託と外部サービス（クラウドサービス）の利用",
        (Layer::Taisaku, 10) => "評価・見直し",
        _ => "",
    }
}

/// A numbering path of the body's document as the body writes it: `第２章/４/(４)/②/イ` →
/// `第２章 ４(４)②イ` (a space after 章・節・条・款, the rest run together).
pub fn numbering(path: &str) -> String {
    let mut out = String::with_capacity(path.len());
    let parts: Vec<&str> = path.split('/').filter(|p| !p.is_empty()).collect();
    for (i, part) in parts.iter().enumerate() {
        out.push_str(part);
        let spaced = part.ends_with(['章', '節', '条', '款', '項']);
        if spaced && i + 1 < parts.len() {
            out.push(' ');
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn chapters_and_numbering_read_as_written() {
        assert_eq!(chapter_of("KH-6-3-1"), Some((Layer::Kihon, 6)));
        assert_eq!(chapter_of("TK-7.1-6a"), Some((Layer::Taisaku, 7)));
        assert_eq!(chapter_of("TK-10.3"), Some((Layer::Taisaku, 10)));
        assert_eq!(chapter_of("KH-1"), Some((Layer::Kihon, 1)));
        assert_eq!(chapter_of("XX-1"), None);
        assert_eq!(numbering("第２章/４/(４)/②/イ"), "第２章 ４(４)②イ");
        assert_eq!(numbering("第6条/3"), "第6条 3");
        assert_eq!(percent(Some(0.876)), "88%");
        assert_eq!(percent(None), "—");
        assert_eq!(
            edition_words(EditionId::R7_3),
            "総務省ガイドライン（令和7年3月版）例文"
        );
    }
}
