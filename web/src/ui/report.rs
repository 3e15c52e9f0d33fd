//! `GET /documents/{document}/versions/{seq}`: the 分析結果 of one version. The header (body,
//! document, version, date, edition in words), a summary per layer and per chapter, then the items
//! grouped by chapter with their status, reasons and the evidence side by side (the 例文 | the
//! body's provision, differing morphemes marked, the body's own numbering as location). 対象外
//! items are folded away. Filters by status and chapter are plain GET parameters.

use std::collections::BTreeMap;

use actix_web::http::StatusCode;
use actix_web::{HttpResponse, web};
use askama::Template;
use serde::Deserialize;
use taisho_app::analyses::{AnalysisView, Finding, FindingStatus, SpanOp};
use taisho_app::home::Report;
use taisho_app::progress::ProgressState;
use taisho_domain::DocumentId;
use taisho_guideline::Layer;

use super::format::{self, Chrome};
use super::{SignedIn, WebError, WebState, assets, page};

/// A run of text, marked when it differs from the other side.
pub(crate) struct Piece {
    text: String,
    mark: bool,
}

struct ItemView {
    id: String,
    title: String,
    status: &'static str,
    class: &'static str,
    /// Plain Japanese sentences.
    reasons: Vec<String>,
    missing: Vec<String>,
    model: Vec<Piece>,
    /// `None`: nothing to show on the body's side; see `policy_note`.
    policy: Option<Vec<Piece>>,
    policy_note: &'static str,
    locations: Vec<String>,
}

struct Counts {
    covered: u32,
    weakened: u32,
    omitted: u32,
    out_of_scope: u32,
}

impl Counts {
    fn new() -> Counts {
        Counts {
            covered: 0,
            weakened: 0,
            omitted: 0,
            out_of_scope: 0,
        }
    }

    fn add(&mut self, s: FindingStatus) {
        match s {
            FindingStatus::Covered => self.covered += 1,
            FindingStatus::Weakened => self.weakened += 1,
            FindingStatus::Omitted => self.omitted += 1,
            FindingStatus::OutOfScope => self.out_of_scope += 1,
        }
    }

    fn ratio(&self) -> Option<f64> {
        let in_scope = self.covered + self.weakened + self.omitted;
        (in_scope > 0).then(|| f64::from(self.covered) / f64::from(in_scope))
    }
}

struct SummaryRow {
    name: String,
    /// The chapter filter link (`None` for layer rows).
    href: Option<String>,
    counts: Counts,
    coverage: String,
    meter: u32,
}

impl SummaryRow {
    fn in_scope(&self) -> bool {
        self.counts.covered + self.counts.weakened + self.counts.omitted > 0
    }

    fn new(name: String, href: Option<String>, counts: Counts) -> SummaryRow {
        SummaryRow {
            name,
            href,
            coverage: format::percent(counts.ratio()),
            meter: format::meter(counts.ratio()),
            counts,
        }
    }
}

struct Group {
    key: String,
    name: String,
    items: Vec<ItemView>,
    out_of_scope: Vec<ItemView>,
}

struct Choice {
    value: String,
    label: String,
    selected: bool,
}

#[derive(Template)]
#[template(path = "ui/report.html")]
struct ReportPage {
    css: &'static str,
    chrome: Option<Chrome>,
    org_name: String,
    title: String,
    version: String,
    date: String,
    edition: String,
    /// `done`, `pending` or `failed`.
    state: &'static str,
    failure: String,
    /// While pending: the progress events' URL, the percentage and the step in words.
    events: String,
    percent: u8,
    stage: &'static str,
    progress_script: &'static str,
    text_visible: bool,
    layers: Vec<SummaryRow>,
    chapters: Vec<SummaryRow>,
    groups: Vec<Group>,
    /// Open the 対象外 folds (the filter asks for them).
    open_out_of_scope: bool,
    filtered: bool,
    shown: usize,
    /// Of those shown, 対象外 items in closed folds.
    folded: usize,
    statuses: Vec<Choice>,
    chapter_choices: Vec<Choice>,
    additions: Vec<(String, String)>,
    path: String,
    /// The 新旧対照表 of this version and the one before (from the second version on).
    diff_href: Option<String>,
    /// The one item shown (`?item=`).
    item: Option<String>,
}

/// The filters of the page (unknown values are ignored).
#[derive(Debug, Default, Deserialize)]
pub struct Filters {
    status: Option<String>,
    chapter: Option<String>,
    /// One item (the prefecture's heat map links here).
    item: Option<String>,
}

fn sides(f: &Finding) -> (Vec<Piece>, Option<Vec<Piece>>) {
    if f.evidence.diff.is_empty() {
        let model = vec![Piece {
            text: f.evidence.model_text.clone(),
            mark: false,
        }];
        let policy = f
            .evidence
            .policy_text
            .as_ref()
            .filter(|t| !t.is_empty() && f.status != FindingStatus::Omitted)
            .map(|t| {
                vec![Piece {
                    text: t.clone(),
                    mark: false,
                }]
            });
        return (model, policy);
    }
    let mut model = Vec::new();
    let mut policy = Vec::new();
    for span in &f.evidence.diff {
        let piece = |mark| Piece {
            text: span.text.clone(),
            mark,
        };
        match span.op {
            SpanOp::Equal => {
                model.push(piece(false));
                policy.push(piece(false));
            }
            SpanOp::Delete => model.push(piece(true)),
            SpanOp::Insert => policy.push(piece(true)),
        }
    }
    (model, Some(policy))
}

fn item_view(view: &AnalysisView, f: &Finding) -> ItemView {
    let title = view.item(&f.item).map(|i| i.title).unwrap_or_default();
    let mut reasons: Vec<String> = f.reasons.iter().map(|r| r.message.clone()).collect();
    if reasons.is_empty() {
        reasons.push(
            match f.status {
                FindingStatus::Covered => {
                    "例文の記載事項をすべて含み、義務の程度も同等以上です。"
                }
                FindingStatus::Omitted => "例文に相当する規定がありません。例文の内容を規定に加える必要があります。",
                FindingStatus::OutOfScope => {
                    "この文書に該当する部分（基本方針または対策基準）がないか、例文の内容が確定していないため、点検の対象外です。"
                }
                FindingStatus::Weakened => "例文より弱い規定になっています。",
            }
            .to_owned(),
        );
    }
    let (model, policy) = sides(f);
    let policy_note = if !view.text_visible {
        "非公開の文書のため、本文は表示されません。"
    } else if f.status == FindingStatus::Omitted {
        "相当する規定はありません。"
    } else {
        "該当する規定は見つかりませんでした。"
    };
    let mut locations: Vec<String> = Vec::new();
    for l in &f.evidence.locations {
        let n = format::numbering(&l.path);
        if !n.is_empty() && !locations.contains(&n) {
            locations.push(n);
        }
    }
    ItemView {
        id: f.item.clone(),
        title,
        status: format::status_label(f.status),
        class: format::status_class(f.status),
        reasons,
        missing: f.missing_elements.clone(),
        model,
        policy,
        policy_note,
        locations,
    }
}

fn chapter_name(layer: Layer, number: u32) -> String {
    format!(
        "{} {number} {}",
        format::layer_short(layer),
        format::chapter_title(layer, number)
    )
}

fn build(report: Report, filters: &Filters, chrome: Chrome, path: String) -> ReportPage {
    let status = filters.status.as_deref().and_then(FindingStatus::parse);
    let chapter = filters
        .chapter
        .as_deref()
        .map(str::trim)
        .filter(|c| !c.is_empty())
        .map(str::to_owned);
    let item = filters
        .item
        .as_deref()
        .map(str::trim)
        .filter(|i| !i.is_empty())
        .map(str::to_owned);
    let mut page = ReportPage {
        css: assets::css_path(),
        chrome: Some(chrome),
        org_name: report.org.name.clone(),
        title: report.document.title.clone(),
        version: format!("第{}版", report.version.seq),
        date: format::date(report.version.created_at),
        edition: format::edition_words(report.edition),
        state: "pending",
        failure: String::new(),
        events: format!("{path}/progress"),
        percent: 0,
        stage: super::progress::stage_label(ProgressState::Queued, None),
        progress_script: assets::progress_script_path(),
        text_visible: false,
        layers: Vec::new(),
        chapters: Vec::new(),
        groups: Vec::new(),
        open_out_of_scope: status == Some(FindingStatus::OutOfScope) || item.is_some(),
        filtered: status.is_some() || chapter.is_some() || item.is_some(),
        item: item.clone(),
        shown: 0,
        folded: 0,
        statuses: Vec::new(),
        chapter_choices: Vec::new(),
        additions: Vec::new(),
        path,
        diff_href: (report.version.seq > 1).then(|| {
            format!(
                "/documents/{}/diff?from={}&to={}",
                report.document.id,
                report.version.seq - 1,
                report.version.seq
            )
        }),
    };
    page.statuses = format::STATUSES
        .iter()
        .map(|s| Choice {
            value: s.as_str().to_owned(),
            label: format::status_label(*s).to_owned(),
            selected: status == Some(*s),
        })
        .collect();
    let Some(view) = report.analysis else {
        if let Some(p) = &report.progress {
            page.percent = p.percent;
            page.stage = super::progress::stage_label(p.state, p.stage.as_deref());
            // The job gave up without recording an analysis.
            if p.state.is_final() {
                page.state = "failed";
                page.failure = p.error.clone().unwrap_or_else(|| "JOB_FAILED".to_owned());
            }
        }
        return page;
    };
    if let Some(f) = &view.failure {
        page.state = "failed";
        page.failure.clone_from(&f.code);
        return page;
    }
    page.state = "done";
    page.text_visible = view.text_visible;
    let mut layer_counts: BTreeMap<Layer, Counts> = BTreeMap::new();
    let mut chapter_counts: BTreeMap<(Layer, u32), Counts> = BTreeMap::new();
    for f in &view.findings {
        if let Some((layer, n)) = format::chapter_of(&f.item) {
            layer_counts
                .entry(layer)
                .or_insert_with(Counts::new)
                .add(f.status);
            chapter_counts
                .entry((layer, n))
                .or_insert_with(Counts::new)
                .add(f.status);
        }
    }
    page.layers = layer_counts
        .into_iter()
        .map(|(layer, c)| SummaryRow::new(layer.name_ja().to_owned(), None, c))
        .collect();
    page.chapter_choices = chapter_counts
        .keys()
        .map(|&(layer, n)| {
            let key = format::chapter_key(layer, n);
            Choice {
                selected: chapter.as_deref() == Some(key.as_str()),
                label: chapter_name(layer, n),
                value: key,
            }
        })
        .collect();
    page.chapters = chapter_counts
        .into_iter()
        .map(|((layer, n), c)| {
            let key = format::chapter_key(layer, n);
            SummaryRow::new(
                chapter_name(layer, n),
                Some(format!("{}?chapter={key}#items", page.path)),
                c,
            )
        })
        .collect();
    let mut groups: Vec<Group> = Vec::new();
    for f in &view.findings {
        let Some((layer, n)) = format::chapter_of(&f.item) else {
            continue;
        };
        let key = format::chapter_key(layer, n);
        if chapter.as_deref().is_some_and(|c| c != key)
            || status.is_some_and(|s| s != f.status)
            || item.as_deref().is_some_and(|i| i != f.item)
        {
            continue;
        }
        if groups.last().is_none_or(|g| g.key != key) {
            groups.push(Group {
                name: chapter_name(layer, n),
                key,
                items: Vec::new(),
                out_of_scope: Vec::new(),
            });
        }
        let Some(group) = groups.last_mut() else {
            continue;
        };
        page.shown += 1;
        if f.status == FindingStatus::OutOfScope {
            if !page.open_out_of_scope {
                page.folded += 1;
            }
            group.out_of_scope.push(item_view(&view, f));
        } else {
            group.items.push(item_view(&view, f));
        }
    }
    page.groups = groups;
    page.additions = view
        .local_additions
        .iter()
        .map(|a| (format::numbering(&a.location.path), a.text.clone()))
        .collect();
    page
}

/// `GET /documents/{document}/versions/{seq}`.
pub async fn report(
    signed: SignedIn,
    path: web::Path<(String, String)>,
    filters: web::Query<Filters>,
    state: web::Data<WebState>,
) -> Result<HttpResponse, WebError> {
    let (document, seq) = path.into_inner();
    let document: DocumentId = document.parse().map_err(|_| WebError::NotFound)?;
    let seq: i32 = seq.parse().map_err(|_| WebError::NotFound)?;
    let report = state
        .services
        .home()
        .report(
            &signed.viewer.scope,
            document,
            seq,
            state.services.edition(),
        )
        .await?;
    let path = format!("/documents/{document}/versions/{seq}");
    let body = build(report, &filters, signed.chrome(), path).render()?;
    Ok(page(StatusCode::OK, body))
}
