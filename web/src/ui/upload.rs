//! `/upload`: a body uploads a new version of one of its documents, or a new document (title,
//! 公開/非公開). The file is read by the use-case (nothing is stored when it cannot be read); on
//! success the browser goes to the version's report, which shows the analysis progress until the
//! report is ready.

use actix_multipart::Multipart;
use actix_web::http::StatusCode;
use actix_web::{HttpRequest, HttpResponse, web};
use askama::Template;
use futures_util::StreamExt;
use taisho_app::AppError;
use taisho_app::documents::{DocumentRef, Upload};
use taisho_app::home::Dashboard;
use taisho_domain::DocumentId;

use super::auth::check_csrf;
use super::format::Chrome;
use super::{SignedIn, WebError, WebState, assets, page, see_other};

/// The file types the engine reads today (PDF and Word come with issue 12).
const ACCEPT: &str = ".txt,.text,.htm,.html,.xhtml,.md,text/plain,text/html,text/markdown";

struct DocChoice {
    id: String,
    title: String,
    selected: bool,
}

#[derive(Template)]
#[template(path = "ui/upload.html")]
struct UploadPage {
    css: &'static str,
    script: &'static str,
    chrome: Option<Chrome>,
    documents: Vec<DocChoice>,
    accept: &'static str,
    limit_mb: String,
    title: String,
    unpublished: bool,
    error: Option<String>,
}

impl UploadPage {
    /// Whether the form came back with a document chosen.
    fn has_selection(&self) -> bool {
        self.documents.iter().any(|d| d.selected)
    }
}

/// What the form sent (kept to show it again after an error).
#[derive(Default)]
struct Sent {
    csrf: String,
    document: String,
    title: String,
    unpublished: bool,
    file_name: Option<String>,
    bytes: Vec<u8>,
}

async fn render(
    state: &WebState,
    signed: &SignedIn,
    status: StatusCode,
    sent: &Sent,
    error: Option<String>,
) -> Result<HttpResponse, WebError> {
    let dashboard = state
        .services
        .home()
        .dashboard(&signed.viewer, state.services.edition())
        .await?;
    let documents = match dashboard {
        Dashboard::Body { documents } => documents
            .into_iter()
            .map(|d| DocChoice {
                id: d.document.id.to_string(),
                selected: sent.document == d.document.id.to_string(),
                title: d.document.title,
            })
            .collect(),
        // Prefectures and consultancies upload nothing of their own.
        Dashboard::Prefecture { .. } | Dashboard::Consultancy { .. } => {
            return Err(WebError::Forbidden);
        }
    };
    let body = UploadPage {
        css: assets::css_path(),
        script: assets::upload_script_path(),
        chrome: Some(signed.chrome()),
        documents,
        accept: ACCEPT,
        limit_mb: format!("{:.0}", state.upload_limit as f64 / (1024.0 * 1024.0)),
        title: sent.title.clone(),
        unpublished: sent.unpublished,
        error,
    }
    .render()?;
    Ok(page(status, body))
}

/// `GET /upload`.
pub async fn form(signed: SignedIn, state: web::Data<WebState>) -> Result<HttpResponse, WebError> {
    render(&state, &signed, StatusCode::OK, &Sent::default(), None).await
}

/// Reads the multipart form; a file over `limit` bytes is a user error, not a crash.
async fn read_form(mut payload: Multipart, limit: usize) -> Result<Sent, String> {
    let too_large = || {
        format!(
            "ファイルが大きすぎます（上限 {:.0} MB）。",
            limit as f64 / (1024.0 * 1024.0)
        )
    };
    let unreadable = || "送信された内容を読み取れませんでした。もう一度お試しください。".to_owned();
    let mut sent = Sent::default();
    while let Some(field) = payload.next().await {
        let mut field = field.map_err(|_| unreadable())?;
        let name = field.name().unwrap_or_default().to_owned();
        if name == "file" {
            sent.file_name = field
                .content_disposition()
                .and_then(|d| d.get_filename())
                .map(str::to_owned)
                .filter(|n| !n.is_empty());
        }
        let mut value = Vec::new();
        // Text fields are small; only the file may reach the limit.
        let cap = if name == "file" { limit } else { 4096 };
        while let Some(chunk) = field.next().await {
            let chunk = chunk.map_err(|_| unreadable())?;
            if value.len() + chunk.len() > cap {
                return Err(if name == "file" {
                    too_large()
                } else {
                    unreadable()
                });
            }
            value.extend_from_slice(&chunk);
        }
        let text = || String::from_utf8_lossy(&value).trim().to_owned();
        match name.as_str() {
            "file" => sent.bytes = value,
            "csrf" => sent.csrf = text(),
            "document" => sent.document = text(),
            "title" => sent.title = text(),
            "visibility" => sent.unpublished = text() == "private",
            _ => {}
        }
    }
    Ok(sent)
}

/// The form's error message for a refused upload: the stable code's sentence, and the code.
fn refusal(e: &AppError) -> String {
    let code = e.code();
    let sentence = match e {
        // The use-case's own sentence (a title too long, …).
        AppError::Invalid(message) => message.as_str(),
        _ => code.summary_ja(),
    };
    // 「…できません（UNDECODABLE）。」: the code inside the sentence.
    format!("{}（{}）。", sentence.trim_end_matches('。'), code.as_str())
}

/// `POST /upload`.
pub async fn submit(
    signed: SignedIn,
    req: HttpRequest,
    payload: Multipart,
    state: web::Data<WebState>,
) -> Result<HttpResponse, WebError> {
    state.check_same_origin(&req)?;
    let sent = match read_form(payload, state.upload_limit).await {
        Ok(sent) => sent,
        Err(message) => {
            return render(
                &state,
                &signed,
                StatusCode::BAD_REQUEST,
                &Sent::default(),
                Some(message),
            )
            .await;
        }
    };
    check_csrf(&req, state.production, &sent.csrf)?;
    let fail = |message: String| {
        render(
            &state,
            &signed,
            StatusCode::BAD_REQUEST,
            &sent,
            Some(message),
        )
    };
    if sent.bytes.is_empty() {
        return fail("ファイルを選んでください（空のファイルは登録できません）。".into()).await;
    }
    let document = if sent.document.is_empty() || sent.document == "new" {
        if sent.title.is_empty() {
            return fail("新しい文書の名称を入力してください。".into()).await;
        }
        DocumentRef::New {
            title: sent.title.clone(),
            unpublished: sent.unpublished,
        }
    } else {
        match sent.document.parse::<DocumentId>() {
            Ok(id) => DocumentRef::Existing(id),
            Err(_) => return Err(WebError::BadRequest),
        }
    };
    let upload = Upload {
        org: signed.viewer.org.id,
        document,
        bytes: sent.bytes.clone(),
        file_name: sent.file_name.clone(),
    };
    match state
        .services
        .documents()
        .upload_version(&signed.viewer.scope, upload, state.services.edition())
        .await
    {
        Ok(up) => Ok(see_other(&format!(
            "/documents/{}/versions/{}",
            up.document, up.seq
        ))),
        // The file or the title was refused: say why on the form, nothing was stored.
        Err(e @ (AppError::Document(_) | AppError::Invalid(_))) => fail(refusal(&e)).await,
        Err(e) => Err(e.into()),
    }
}
