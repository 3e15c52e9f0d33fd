//! `GET /`: the home page. A body sees its documents with the latest version's analysis; a
//! prefecture its member bodies with their coverage; a consultancy its clients.

use actix_web::http::StatusCode;
use actix_web::{HttpRequest, HttpResponse, web};
use askama::Template;
use taisho_app::home::{BodyOverview, Dashboard, DocumentOverview};

use super::format::{self, Chrome};
use super::{SignedIn, WebError, WebState, assets, page, see_other};

/// One row of a body's documents.
struct DocumentRow {
    title: String,
    unpublished: bool,
    /// `/documents/{id}/versions/{n}` of the latest version.
    href: Option<String>,
    /// The 新旧対照表 of the two latest versions (documents with two or more).
    diff_href: Option<String>,
    version: String,
    uploaded: String,
    state: &'static str,
    state_class: &'static str,
    /// Per layer: name, percentage text, meter value.
    layers: Vec<(&'static str, String, u32)>,
    omitted: u32,
    weakened: u32,
}

/// One row of member bodies or clients.
struct BodyRow {
    name: String,
    kind: &'static str,
    href: Option<String>,
    /// Per layer: name, percentage text, meter value.
    layers: Vec<(&'static str, String, u32)>,
    analysed: bool,
    covered: u32,
    weakened: u32,
    omitted: u32,
}

#[derive(Template)]
#[template(path = "ui/home.html")]
struct HomePage {
    css: &'static str,
    chrome: Option<Chrome>,
    edition: String,
    /// `body`, `prefecture` or `consultancy`.
    view: &'static str,
    documents: Vec<DocumentRow>,
    bodies: Vec<BodyRow>,
}

fn report_href(document: impl std::fmt::Display, seq: i32) -> String {
    format!("/documents/{document}/versions/{seq}")
}

fn document_row(d: DocumentOverview) -> DocumentRow {
    let (state, state_class) = match (&d.latest, &d.analysis) {
        (None, _) => ("版がありません", "muted"),
        (Some(_), None) => ("分析中", "pending"),
        (Some(_), Some(a)) if a.failed => ("分析できませんでした", "failed"),
        (Some(_), Some(_)) => ("分析済み", "done"),
    };
    let layers = d
        .analysis
        .as_ref()
        .map(|a| {
            a.layers
                .iter()
                .map(|l| {
                    (
                        format::layer_short(l.layer),
                        format::percent(l.ratio()),
                        format::meter(l.ratio()),
                    )
                })
                .collect()
        })
        .unwrap_or_default();
    DocumentRow {
        title: d.document.title.clone(),
        unpublished: d.document.unpublished,
        href: d.latest.as_ref().map(|v| report_href(d.document.id, v.seq)),
        diff_href: (d.versions > 1).then(|| format!("/documents/{}/diff", d.document.id)),
        version: d
            .latest
            .as_ref()
            .map_or_else(String::new, |v| format!("第{}版", v.seq)),
        uploaded: d
            .latest
            .as_ref()
            .map_or_else(String::new, |v| format::date(v.created_at)),
        state,
        state_class,
        layers,
        omitted: d.analysis.as_ref().map_or(0, |a| a.summary.omitted),
        weakened: d.analysis.as_ref().map_or(0, |a| a.summary.weakened),
    }
}

fn body_row(b: BodyOverview) -> BodyRow {
    BodyRow {
        name: b.org.name.clone(),
        kind: format::org_kind(b.org.kind),
        href: b.document.zip(b.seq).map(|(d, s)| report_href(d, s)),
        layers: b
            .layers
            .iter()
            .map(|l| {
                (
                    format::layer_short(l.layer),
                    format::percent(l.ratio()),
                    format::meter(l.ratio()),
                )
            })
            .collect(),
        analysed: b.version.is_some(),
        covered: b.covered,
        weakened: b.weakened,
        omitted: b.omitted,
    }
}

/// `GET /`: the sign-in page for a browser without a session, else the dashboard.
pub async fn home(req: HttpRequest, state: web::Data<WebState>) -> Result<HttpResponse, WebError> {
    let signed = match <SignedIn as actix_web::FromRequest>::extract(&req).await {
        Ok(s) => s,
        Err(WebError::SignIn) => return Ok(see_other("/sign-in")),
        Err(e) => return Err(e),
    };
    let edition = state.services.edition();
    let dashboard = state
        .services
        .home()
        .dashboard(&signed.viewer, edition)
        .await?;
    let (view, documents, bodies) = match dashboard {
        Dashboard::Body { documents } => (
            "body",
            documents.into_iter().map(document_row).collect(),
            Vec::new(),
        ),
        Dashboard::Prefecture { members } => (
            "prefecture",
            Vec::new(),
            members.into_iter().map(body_row).collect(),
        ),
        Dashboard::Consultancy { clients } => (
            "consultancy",
            Vec::new(),
            clients.into_iter().map(body_row).collect(),
        ),
    };
    let body = HomePage {
        css: assets::css_path(),
        chrome: Some(signed.chrome()),
        edition: format::edition_words(edition),
        view,
        documents,
        bodies,
    }
    .render()?;
    Ok(page(StatusCode::OK, body))
}
