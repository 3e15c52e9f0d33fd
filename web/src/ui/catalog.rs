//! `GET /catalog?edition=R7.3&layer=KH`: the 例文カタログ. The model by edition and layer, each
//! item with its 例文, key elements and the strength of its duty, grouped by chapter, and what the
//! edition changed against the one it builds on.

use actix_web::http::StatusCode;
use actix_web::{HttpResponse, web};
use askama::Template;
use serde::Deserialize;
use taisho_app::catalog::{self, CatalogPage};
use taisho_guideline::{Kind, Layer, Modality};

use super::format::{self, Chrome};
use super::{SignedIn, WebError, WebState, assets, page};

#[derive(Deserialize, Default)]
pub struct Params {
    edition: Option<String>,
    layer: Option<String>,
}

struct Choice {
    value: String,
    label: String,
    selected: bool,
}

struct ItemRow {
    id: String,
    title: String,
    text: String,
    elements: String,
    modality: &'static str,
    kind: &'static str,
    since: String,
}

struct Chapter {
    key: String,
    name: String,
    items: Vec<ItemRow>,
}

struct ChangeRow {
    what: &'static str,
    id: String,
    title: String,
    fields: String,
}

#[derive(Template)]
#[template(path = "ui/catalog.html")]
struct CatalogView {
    css: &'static str,
    chrome: Option<Chrome>,
    edition_words: String,
    editions: Vec<Choice>,
    layers: Vec<Choice>,
    layer_name: &'static str,
    base_words: String,
    changes: Vec<ChangeRow>,
    chapters: Vec<Chapter>,
    count: usize,
}

/// The strength of the duty, in the words policies use.
fn modality_words(m: Modality) -> &'static str {
    match m {
        Modality::Mandatory => "義務（〜しなければならない）",
        Modality::Declarative => "実施の宣言（〜を講じる 等）",
        Modality::Formal => "義務（〜するものとする）",
        Modality::Permission => "許容（〜することができる）",
        Modality::Effort => "努力義務（〜に努める）",
        Modality::Recommendation => "推奨（〜が望ましい）",
        Modality::Unknown => "（未確認）",
    }
}

fn kind_words(k: Kind) -> &'static str {
    match k {
        Kind::Definition => "定義",
        Kind::Threat => "脅威",
        Kind::Countermeasure => "対策",
        Kind::Organisation => "体制",
        Kind::Process => "手続",
    }
}

/// Which fields of an item changed, in words.
fn field_words(fields: &[&str]) -> String {
    fields
        .iter()
        .map(|f| match *f {
            "text" => "例文",
            "title" => "見出し",
            "elements" => "記載事項",
            "modality" | "secondary_modality" => "義務の程度",
            "frequency" => "頻度",
            "path" => "番号",
            "hedges" => "留保の表現",
            _ => "その他",
        })
        .fold(Vec::<&str>::new(), |mut acc, w| {
            if !acc.contains(&w) {
                acc.push(w);
            }
            acc
        })
        .join("・")
}

fn build(p: &CatalogPage, chrome: Chrome) -> CatalogView {
    let editions = p
        .editions
        .iter()
        .map(|e| Choice {
            value: e.id.to_string(),
            label: format::edition_words(e.id),
            selected: e.id == p.edition.id,
        })
        .collect();
    let layers = Layer::ALL
        .iter()
        .map(|l| Choice {
            value: l.id_prefix().trim_end_matches('-').to_owned(),
            label: format::layer_short(*l).to_owned(),
            selected: *l == p.layer,
        })
        .collect();
    let title_of = |id: &str| p.titles.get(id).cloned().unwrap_or_default();
    let mut changes = Vec::new();
    if let Some(c) = &p.changes {
        let in_layer = |id: &str| Layer::of_id(id) == Some(p.layer);
        for id in c.added.iter().filter(|id| in_layer(id)) {
            changes.push(ChangeRow {
                what: "追加",
                id: id.clone(),
                title: title_of(id),
                fields: String::new(),
            });
        }
        for ch in c.changed.iter().filter(|ch| in_layer(&ch.id)) {
            changes.push(ChangeRow {
                what: "変更",
                id: ch.id.clone(),
                title: title_of(&ch.id),
                fields: field_words(&ch.fields),
            });
        }
        for id in c.retired.iter().filter(|id| in_layer(id)) {
            changes.push(ChangeRow {
                what: "削除",
                id: id.clone(),
                title: title_of(id),
                fields: String::new(),
            });
        }
    }
    let mut chapters: Vec<Chapter> = Vec::new();
    for item in &p.items {
        let (layer, number) = format::chapter_of(&item.id).unwrap_or((p.layer, 0));
        let key = format::chapter_key(layer, number);
        if chapters.last().is_none_or(|c| c.key != key) {
            chapters.push(Chapter {
                name: format!("{number} {}", format::chapter_title(layer, number)),
                key,
                items: Vec::new(),
            });
        }
        let row = ItemRow {
            id: item.id.clone(),
            title: item.title.clone(),
            text: item.text.clone(),
            elements: item
                .required_elements()
                .map(|e| e.term.as_str())
                .collect::<Vec<_>>()
                .join("、"),
            // A definition states what a term means: it imposes no duty.
            modality: if item.kind == Kind::Definition {
                "—（定義）"
            } else {
                modality_words(item.modality)
            },
            kind: kind_words(item.kind),
            since: item.since.map(format::edition_words).unwrap_or_default(),
        };
        if let Some(c) = chapters.last_mut() {
            c.items.push(row);
        }
    }
    CatalogView {
        css: assets::css_path(),
        chrome: Some(chrome),
        edition_words: format::edition_words(p.edition.id),
        editions,
        layers,
        layer_name: format::layer_short(p.layer),
        base_words: p
            .edition
            .base
            .map(format::edition_words)
            .unwrap_or_default(),
        changes,
        count: p.items.len(),
        chapters,
    }
}

/// `GET /catalog`.
pub async fn catalog(
    signed: SignedIn,
    params: web::Query<Params>,
    state: web::Data<WebState>,
) -> Result<HttpResponse, WebError> {
    let layer = match params.layer.as_deref() {
        Some("TK") => Layer::Taisaku,
        _ => Layer::Kihon,
    };
    let edition = params.edition.as_deref().filter(|e| !e.is_empty());
    let p = catalog::page(edition, state.services.edition(), layer).map_err(|e| match e {
        taisho_app::AppError::Invalid(_) => WebError::NotFound,
        e => e.into(),
    })?;
    let body = build(&p, signed.chrome()).render()?;
    Ok(page(StatusCode::OK, body))
}
