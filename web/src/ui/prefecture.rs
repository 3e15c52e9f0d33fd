//! `GET /prefecture` and `GET /prefecture.csv`: a prefecture's view of its member bodies. Per
//! body the coverage of each layer; then a heat map of bodies × the items of one layer, one
//! collapsible table per chapter, each cell a status symbol (○ △ × －, with a legend) linking to
//! the item in that body's report, and the coverage of each item over the bodies compared. A body
//! whose document lacks the layer (no 対策基準) is listed but not compared; a body whose document
//! the prefecture may not read (非公開) shows statuses without links. Filters and sorting are GET
//! parameters; the CSV carries the same rows.
//!
//! The markup of the cells is kept small (one-letter classes, no per-cell attributes but the
//! link): the page of 60 bodies × every 基本方針 item stays under 300 KB.

use std::cmp::Ordering;

use actix_web::http::StatusCode;
use actix_web::http::header::{self, HeaderValue};
use actix_web::{HttpResponse, web};
use askama::Template;
use serde::Deserialize;
use taisho_app::analyses::FindingStatus;
use taisho_app::home::{PrefectureBody, PrefectureQuery, PrefectureView};
use taisho_app::records::OrgKind;
use taisho_guideline::Layer;

use super::format::{self, Chrome};
use super::{SignedIn, WebError, WebState, assets, page};

/// The page's parameters (unknown values are ignored).
#[derive(Debug, Default, Deserialize)]
pub struct Params {
    layer: Option<String>,
    chapter: Option<String>,
    status: Option<String>,
    kind: Option<String>,
    sort: Option<String>,
}

/// The parameters read.
struct Filters {
    query: PrefectureQuery,
    /// `name`, `low` (lowest coverage first) or `high`.
    sort: &'static str,
}

impl Params {
    fn filters(&self) -> Filters {
        let chapter = self
            .chapter
            .as_deref()
            .map(str::trim)
            .filter(|c| format::chapter_of(&format!("{c}-")).is_some())
            .map(str::to_owned);
        // A chapter names its layer; otherwise the layer asked for, else 基本方針.
        let asked = match self.layer.as_deref() {
            Some("taisaku") => Some(Layer::Taisaku),
            Some("kihon") => Some(Layer::Kihon),
            _ => None,
        };
        let layer = chapter.as_deref().and_then(Layer::of_id).or(asked);
        let kind = match self.kind.as_deref() {
            Some("municipality") => Some(OrgKind::Municipality),
            Some("union") => Some(OrgKind::Union),
            _ => None,
        };
        let sort = match self.sort.as_deref() {
            Some("low") => "low",
            Some("high") => "high",
            _ => "name",
        };
        Filters {
            query: PrefectureQuery {
                layer,
                section: chapter,
                status: self.status.as_deref().and_then(FindingStatus::parse),
                kind,
            },
            sort,
        }
    }
}

/// The symbol and class of a status in a cell.
fn symbol(status: Option<FindingStatus>) -> (&'static str, &'static str) {
    match status {
        Some(FindingStatus::Covered) => ("○", "c"),
        Some(FindingStatus::Weakened) => ("△", "w"),
        Some(FindingStatus::Omitted) => ("×", "o"),
        Some(FindingStatus::OutOfScope) => ("－", "s"),
        None => ("", "u"),
    }
}

struct Cell {
    sym: &'static str,
    class: &'static str,
    /// The item, as the value of a button of the row's form (none: 対象外, or the text is not
    /// visible). A button of a form declared once per body weighs half of a link with the
    /// report's address in every cell.
    item: Option<String>,
}

struct HeatRow {
    /// The id of the body's form (its report).
    form: String,
    name: String,
    document: Option<String>,
    cells: Vec<Cell>,
    /// Coverage of the chapter's shown items.
    pct: String,
}

struct Column {
    /// `6-3-1` (the id without the layer's prefix).
    short: String,
    id: String,
    title: String,
    pct: String,
    meter: u32,
}

struct Chapter {
    key: String,
    name: String,
    /// Coverage of the chapter's shown items over the compared bodies.
    pct: String,
    /// Open when some body has an item of it 欠落 or 一部不足・緩和 (all 充足: folded).
    open: bool,
    columns: Vec<Column>,
    rows: Vec<HeatRow>,
}

/// The title of `b`'s document when its body has more than one row in the view.
fn document_note(view: &PrefectureView, b: &PrefectureBody) -> Option<String> {
    let rows = view.bodies.iter().filter(|x| x.org.id == b.org.id).count();
    b.document
        .as_ref()
        .filter(|_| rows > 1)
        .map(|d| d.title.clone())
}

/// A row of the summary table.
struct BodyRow {
    name: String,
    /// The document's title when the body has several analysed documents.
    document: Option<String>,
    kind: &'static str,
    href: Option<String>,
    unpublished: bool,
    analysed: bool,
    /// Per layer: name, percentage text, meter value (`None`: the document lacks the layer).
    layers: Vec<(&'static str, Option<(String, u32)>)>,
    /// Counts over the shown items (`None`: the body is not compared on this layer).
    omitted: Option<usize>,
    weakened: Option<usize>,
}

struct Choice {
    value: String,
    label: String,
    selected: bool,
}

/// Coverage of one layer over the compared bodies.
struct LayerTotal {
    name: &'static str,
    bodies: usize,
    pct: String,
    meter: u32,
}

#[derive(Template)]
#[template(path = "ui/prefecture.html")]
struct PrefecturePage {
    css: &'static str,
    chrome: Option<Chrome>,
    prefecture: String,
    edition: String,
    layer: &'static str,
    totals: Vec<LayerTotal>,
    bodies: Vec<BodyRow>,
    chapters: Vec<Chapter>,
    /// Per compared body with visible text: its form's id and action (the report).
    forms: Vec<(String, String)>,
    /// Bodies listed above but not in the heat map: no analysis, or no document of the layer.
    not_compared: Vec<String>,
    unanalysed: Vec<String>,
    item_count: usize,
    filtered: bool,
    csv: String,
    layers: Vec<Choice>,
    chapter_choices: Vec<(&'static str, Vec<Choice>)>,
    statuses: Vec<Choice>,
    kinds: Vec<Choice>,
    sorts: Vec<Choice>,
}

fn layer_coverage(b: &PrefectureBody, layer: Layer) -> Option<f64> {
    b.layers
        .iter()
        .find(|l| l.layer == layer)
        .and_then(taisho_app::home::LayerCoverage::ratio)
}

/// The bodies in the order asked for: by name (the view's order), or by the layer's coverage
/// (bodies without it last).
fn sorted(view: &PrefectureView, sort: &str) -> Vec<usize> {
    let mut order: Vec<usize> = (0..view.bodies.len()).collect();
    if sort != "name" {
        let key = |i: usize| layer_coverage(&view.bodies[i], view.layer);
        order.sort_by(|&a, &b| match (key(a), key(b)) {
            (Some(x), Some(y)) => {
                let o = x.partial_cmp(&y).unwrap_or(Ordering::Equal);
                if sort == "high" { o.reverse() } else { o }
            }
            (Some(_), None) => Ordering::Less,
            (None, Some(_)) => Ordering::Greater,
            (None, None) => Ordering::Equal,
        });
    }
    order
}

fn report_href(b: &PrefectureBody) -> Option<String> {
    b.document
        .as_ref()
        .zip(b.seq)
        .map(|(d, s)| format!("/documents/{}/versions/{s}", d.id))
}

fn choice(value: &str, label: &str, selected: bool) -> Choice {
    Choice {
        value: value.to_owned(),
        label: label.to_owned(),
        selected,
    }
}

fn build(
    view: &PrefectureView,
    params: &Params,
    filters: &Filters,
    chrome: Chrome,
) -> PrefecturePage {
    let order = sorted(view, filters.sort);
    let bodies: Vec<BodyRow> = order
        .iter()
        .map(|&i| {
            let b = &view.bodies[i];
            let count = |s: FindingStatus| b.statuses.iter().filter(|x| **x == Some(s)).count();
            BodyRow {
                name: b.org.name.clone(),
                document: document_note(view, b),
                kind: format::org_kind(b.org.kind),
                href: report_href(b),
                unpublished: b.document.as_ref().is_some_and(|d| d.unpublished),
                analysed: b.document.is_some(),
                layers: Layer::ALL
                    .iter()
                    .map(|&l| {
                        let r = layer_coverage(b, l);
                        (
                            format::layer_short(l),
                            r.map(|r| (format::percent(Some(r)), format::meter(Some(r)))),
                        )
                    })
                    .collect(),
                omitted: b.compared.then(|| count(FindingStatus::Omitted)),
                weakened: b.compared.then(|| count(FindingStatus::Weakened)),
            }
        })
        .collect();
    let totals = Layer::ALL
        .iter()
        .map(|&l| {
            let (mut covered, mut in_scope) = (0u32, 0u32);
            let mut orgs: Vec<_> = Vec::new();
            for b in &view.bodies {
                if let Some(c) = b.layers.iter().find(|c| c.layer == l && c.in_scope > 0) {
                    covered += c.covered;
                    in_scope += c.in_scope;
                    if !orgs.contains(&b.org.id) {
                        orgs.push(b.org.id);
                    }
                }
            }
            let n = orgs.len();
            let r = (in_scope > 0).then(|| f64::from(covered) / f64::from(in_scope));
            LayerTotal {
                name: format::layer_short(l),
                bodies: n,
                pct: format::percent(r),
                meter: format::meter(r),
            }
        })
        .collect();
    // The heat map: one table per chapter of the shown items, compared bodies only.
    let mut chapters: Vec<Chapter> = Vec::new();
    let mut spans: Vec<(usize, usize)> = Vec::new();
    for (n, item) in view.items.iter().enumerate() {
        let Some((layer, number)) = format::chapter_of(&item.id) else {
            continue;
        };
        let key = format::chapter_key(layer, number);
        if chapters.last().is_none_or(|c| c.key != key) {
            chapters.push(Chapter {
                name: format!(
                    "{} {number} {}",
                    format::layer_short(layer),
                    format::chapter_title(layer, number)
                ),
                key,
                pct: String::new(),
                open: false,
                columns: Vec::new(),
                rows: Vec::new(),
            });
            spans.push((n, n));
        }
        if let (Some(c), Some(s)) = (chapters.last_mut(), spans.last_mut()) {
            c.columns.push(Column {
                short: item.id[layer.id_prefix().len()..].to_owned(),
                id: item.id.clone(),
                title: item.title.clone(),
                pct: format::percent(item.ratio()),
                meter: format::meter(item.ratio()),
            });
            s.1 = n + 1;
        }
    }
    let mut forms: Vec<(String, String)> = Vec::new();
    for &i in &order {
        let b = &view.bodies[i];
        if let Some(href) = report_href(b).filter(|_| b.compared && b.text_visible) {
            forms.push((format!("b{i}"), format!("{href}#items")));
        }
    }
    for (chapter, &(start, end)) in chapters.iter_mut().zip(&spans) {
        for &i in &order {
            let b = &view.bodies[i];
            if !b.compared {
                continue;
            }
            let linked = b.text_visible && report_href(b).is_some();
            let statuses = &b.statuses[start..end];
            let cells = statuses
                .iter()
                .zip(&view.items[start..end])
                .map(|(&s, item)| {
                    let (sym, class) = symbol(s);
                    Cell {
                        sym,
                        class,
                        item: (linked && matches!(s, Some(st) if st != FindingStatus::OutOfScope))
                            .then(|| item.id.clone()),
                    }
                })
                .collect();
            let covered = statuses
                .iter()
                .filter(|s| **s == Some(FindingStatus::Covered))
                .count();
            let in_scope = statuses
                .iter()
                .filter(|s| matches!(s, Some(st) if *st != FindingStatus::OutOfScope))
                .count();
            let ratio = (in_scope > 0).then(|| covered as f64 / in_scope as f64);
            chapter.rows.push(HeatRow {
                form: format!("b{i}"),
                name: b.org.name.clone(),
                document: document_note(view, b),
                cells,
                pct: format::percent(ratio),
            });
        }
    }
    for (chapter, &(start, end)) in chapters.iter_mut().zip(&spans) {
        let (mut covered, mut in_scope) = (0u32, 0u32);
        for b in view.bodies.iter().filter(|b| b.compared) {
            for s in b.statuses[start..end].iter().flatten() {
                match s {
                    FindingStatus::Covered => {
                        covered += 1;
                        in_scope += 1;
                    }
                    FindingStatus::Weakened | FindingStatus::Omitted => {
                        in_scope += 1;
                        chapter.open = true;
                    }
                    FindingStatus::OutOfScope => {}
                }
            }
        }
        chapter.pct =
            format::percent((in_scope > 0).then(|| f64::from(covered) / f64::from(in_scope)));
        // A chapter or a status asked for is shown open.
        chapter.open |= filters.query.section.is_some() || filters.query.status.is_some();
    }
    let layer_name = format::layer_short(view.layer);
    let q = &filters.query;
    let chapter_choices = Layer::ALL
        .iter()
        .map(|&l| {
            (
                format::layer_short(l),
                (1..=10)
                    .map(|n| {
                        let key = format::chapter_key(l, n);
                        Choice {
                            selected: q.section.as_deref() == Some(key.as_str()),
                            label: format!(
                                "{} {n} {}",
                                format::layer_short(l),
                                format::chapter_title(l, n)
                            ),
                            value: key,
                        }
                    })
                    .collect(),
            )
        })
        .collect();
    let csv = {
        let mut pairs: Vec<String> = Vec::new();
        for (k, v) in [
            ("layer", params.layer.as_deref()),
            ("chapter", params.chapter.as_deref()),
            ("status", params.status.as_deref()),
            ("kind", params.kind.as_deref()),
            ("sort", params.sort.as_deref()),
        ] {
            if let Some(v) = v.filter(|v| {
                !v.is_empty()
                    && v.chars()
                        .all(|c| c.is_ascii_alphanumeric() || c == '-' || c == '.')
            }) {
                pairs.push(format!("{k}={v}"));
            }
        }
        if pairs.is_empty() {
            "/prefecture.csv".to_owned()
        } else {
            format!("/prefecture.csv?{}", pairs.join("&"))
        }
    };
    PrefecturePage {
        css: assets::css_path(),
        chrome: Some(chrome),
        prefecture: view.prefecture.name.clone(),
        edition: format::edition_words(view.edition),
        layer: layer_name,
        totals,
        chapters,
        not_compared: view
            .bodies
            .iter()
            .filter(|b| b.document.is_some() && !b.compared)
            .map(|b| b.org.name.clone())
            .collect(),
        unanalysed: view
            .bodies
            .iter()
            .filter(|b| b.document.is_none())
            .map(|b| b.org.name.clone())
            .collect(),
        bodies,
        forms,
        item_count: view.items.len(),
        filtered: q.section.is_some() || q.status.is_some() || q.kind.is_some(),
        csv,
        layers: vec![
            choice("kihon", "基本方針", view.layer == Layer::Kihon),
            choice("taisaku", "対策基準", view.layer == Layer::Taisaku),
        ],
        chapter_choices,
        statuses: format::STATUSES
            .iter()
            .map(|s| choice(s.as_str(), format::status_label(*s), q.status == Some(*s)))
            .collect(),
        kinds: vec![
            choice(
                "municipality",
                "市区町村",
                q.kind == Some(OrgKind::Municipality),
            ),
            choice("union", "一部事務組合等", q.kind == Some(OrgKind::Union)),
        ],
        sorts: vec![
            choice("name", "団体名の順", filters.sort == "name"),
            choice("low", "充足率の低い順", filters.sort == "low"),
            choice("high", "充足率の高い順", filters.sort == "high"),
        ],
    }
}

/// `GET /prefecture`: the view of the signed-in prefecture's member bodies. Any other
/// organisation gets the 404 page (the app answers NotFound for an organisation that is not a
/// prefecture).
pub async fn prefecture(
    signed: SignedIn,
    params: web::Query<Params>,
    state: web::Data<WebState>,
) -> Result<HttpResponse, WebError> {
    let filters = params.filters();
    let view = state
        .services
        .home()
        .prefecture(
            &signed.viewer.scope,
            signed.viewer.org.id,
            &filters.query,
            state.services.edition(),
        )
        .await?;
    let body = build(&view, &params, &filters, signed.chrome()).render()?;
    Ok(page(StatusCode::OK, body))
}

/// A CSV field: quoted when it holds a comma, a quote or a line break; a leading `=`, `+`, `-`,
/// `@` gets an apostrophe so that a spreadsheet never reads a name as a formula.
fn field(out: &mut String, value: &str) {
    let guarded = value.starts_with(['=', '+', '-', '@', '\t', '\r']);
    let quote = guarded || value.contains([',', '"', '\r', '\n']);
    if quote {
        out.push('"');
    }
    if guarded {
        out.push('\'');
    }
    for c in value.chars() {
        if c == '"' {
            out.push('"');
        }
        out.push(c);
    }
    if quote {
        out.push('"');
    }
}

fn record(out: &mut String, fields: &[&str]) {
    for (i, f) in fields.iter().enumerate() {
        if i > 0 {
            out.push(',');
        }
        field(out, f);
    }
    out.push_str("\r\n");
}

/// The view as CSV: UTF-8 with a BOM (so that Excel reads it as UTF-8), CRLF, one row per body
/// and item, Japanese headers and statuses.
fn csv(view: &PrefectureView, sort: &str) -> String {
    let mut out = String::from("\u{feff}");
    record(
        &mut out,
        &[
            "団体名",
            "団体の種類",
            "文書",
            "版",
            "公開",
            "区分",
            "章",
            "項目ID",
            "項目名",
            "状態",
        ],
    );
    for i in sorted(view, sort) {
        let b = &view.bodies[i];
        let kind = format::org_kind(b.org.kind);
        let Some(doc) = &b.document else {
            record(
                &mut out,
                &[
                    &b.org.name,
                    kind,
                    "",
                    "",
                    "",
                    "",
                    "",
                    "",
                    "",
                    "分析結果なし",
                ],
            );
            continue;
        };
        let version = b.seq.map(|s| format!("第{s}版")).unwrap_or_default();
        let public = if doc.unpublished {
            "非公開"
        } else {
            "公開"
        };
        for (item, status) in view.items.iter().zip(&b.statuses) {
            let (layer, chapter) =
                format::chapter_of(&item.id).map_or(("", String::new()), |(l, n)| {
                    (
                        format::layer_short(l),
                        format!("{n} {}", format::chapter_title(l, n)),
                    )
                });
            let status = status.map_or("分析結果なし", format::status_label);
            record(
                &mut out,
                &[
                    &b.org.name,
                    kind,
                    &doc.title,
                    &version,
                    public,
                    layer,
                    &chapter,
                    &item.id,
                    &item.title,
                    status,
                ],
            );
        }
    }
    out
}

/// RFC 5987 `filename*` value: UTF-8, percent-encoded outside the attribute characters.
fn filename_star(name: &str) -> String {
    let mut out = String::from("UTF-8''");
    for b in name.bytes() {
        if b.is_ascii_alphanumeric() || b"!#$&+-.^_`|~".contains(&b) {
            out.push(b as char);
        } else {
            out.push_str(&format!("%{b:02X}"));
        }
    }
    out
}

/// `GET /prefecture.csv`: the same view as CSV, as a download.
pub async fn prefecture_csv(
    signed: SignedIn,
    params: web::Query<Params>,
    state: web::Data<WebState>,
) -> Result<HttpResponse, WebError> {
    let filters = params.filters();
    let edition = state.services.edition();
    let view = state
        .services
        .home()
        .prefecture(
            &signed.viewer.scope,
            signed.viewer.org.id,
            &filters.query,
            edition,
        )
        .await?;
    let body = csv(&view, filters.sort);
    let name = format!(
        "構成団体の点検結果_{}_{}_{}.csv",
        view.prefecture.name,
        format::layer_short(view.layer),
        chrono::Utc::now()
            .with_timezone(&chrono::FixedOffset::east_opt(9 * 3600).expect("valid offset"))
            .format("%Y%m%d")
    );
    let disposition = format!(
        "attachment; filename=\"taisho-prefecture.csv\"; filename*={}",
        filename_star(&name)
    );
    let mut res = HttpResponse::Ok().body(body);
    let h = res.headers_mut();
    h.insert(
        header::CONTENT_TYPE,
        HeaderValue::from_static("text/csv; charset=utf-8"),
    );
    if let Ok(v) = HeaderValue::from_str(&disposition) {
        h.insert(header::CONTENT_DISPOSITION, v);
    }
    h.insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
    h.insert(
        header::X_CONTENT_TYPE_OPTIONS,
        HeaderValue::from_static("nosniff"),
    );
    Ok(res)
}

#[cfg(test)]
mod tests {
    use super::*;
    use taisho_app::home::{LayerCoverage, PrefectureItem};
    use taisho_app::records::{Document, Organisation};
    use taisho_domain::{DocumentId, OrgId};
    use taisho_guideline::{Catalog, EditionId};

    /// 60 bodies × every 基本方針 item, every cell a link: the page the issue weighs.
    fn sixty_bodies() -> PrefectureView {
        let catalog = Catalog::builtin(EditionId::DEFAULT).expect("catalog");
        let items: Vec<PrefectureItem> = catalog
            .items_in(Layer::Kihon)
            .map(|i| PrefectureItem {
                id: i.id.clone(),
                title: i.title.clone(),
                section: String::new(),
                covered: 40,
                in_scope: 60,
            })
            .collect();
        let now = chrono::Utc::now();
        let pref = OrgId::new();
        let statuses = [
            FindingStatus::Covered,
            FindingStatus::Weakened,
            FindingStatus::Omitted,
        ];
        let bodies = (0..60)
            .map(|n| {
                let org = OrgId::new();
                PrefectureBody {
                    org: Organisation {
                        id: org,
                        kind: OrgKind::Municipality,
                        name: format!("サンプル市町村{n:02}"),
                        prefecture_id: Some(pref),
                        created_at: now,
                    },
                    document: Some(Document {
                        id: DocumentId::new(),
                        org_id: org,
                        title: "情報セキュリティポリシー".into(),
                        unpublished: false,
                        created_at: now,
                    }),
                    seq: Some(12),
                    text_visible: true,
                    statuses: (0..items.len())
                        .map(|i| Some(statuses[(i + n) % 3]))
                        .collect(),
                    layers: vec![
                        LayerCoverage {
                            layer: Layer::Kihon,
                            covered: 20,
                            in_scope: 47,
                        },
                        LayerCoverage {
                            layer: Layer::Taisaku,
                            covered: 100,
                            in_scope: 300,
                        },
                    ],
                    compared: true,
                }
            })
            .collect();
        PrefectureView {
            prefecture: Organisation {
                id: pref,
                kind: OrgKind::Prefecture,
                name: "サンプル県".into(),
                prefecture_id: None,
                created_at: now,
            },
            edition: EditionId::DEFAULT,
            layer: Layer::Kihon,
            items,
            bodies,
        }
    }

    #[test]
    fn the_heat_map_of_sixty_bodies_weighs_under_300_kb() {
        let view = sixty_bodies();
        let params = Params::default();
        let chrome = Chrome {
            org_name: "サンプル県".into(),
            org_kind: "都道府県",
            user_name: "調整 担当".into(),
            csrf: "x".repeat(43),
            coordinator: true,
            uploads: false,
        };
        let html = build(&view, &params, &params.filters(), chrome)
            .render()
            .expect("renders");
        let links = html.matches(" name=item value=KH-").count();
        assert_eq!(links, 60 * view.items.len(), "every cell links");
        eprintln!(
            "heat map: {} bodies × {} items = {} bytes",
            view.bodies.len(),
            view.items.len(),
            html.len()
        );
        assert!(html.len() < 300_000, "{} bytes", html.len());
    }

    #[test]
    fn csv_fields_are_quoted_and_guarded() {
        let mut out = String::new();
        record(&mut out, &["a,b", "say \"x\"", "=SUM(A1)", "普通"]);
        assert_eq!(out, "\"a,b\",\"say \"\"x\"\"\",\"'=SUM(A1)\",普通\r\n");
        assert_eq!(filename_star("県 a.csv"), "UTF-8''%E7%9C%8C%20a.csv");
    }
}
