//! `GET /documents/{document}/versions/{seq}/progress`: the analysis progress of a version as
//! server-sent events, for the report page's progress bar (`assets/progress.js`). One event per
//! change (`data: {"state", "stage", "label", "percent"}`); the stream ends after a final state.

use actix_web::http::header;
use actix_web::web::Bytes;
use actix_web::{HttpResponse, web};
use taisho_app::progress::{JobProgress, ProgressState};
use taisho_domain::DocumentId;

use super::{SignedIn, WebError, WebState};

/// `running` etc., as the script reads them.
fn state_word(state: ProgressState) -> &'static str {
    match state {
        ProgressState::Queued => "queued",
        ProgressState::Running => "running",
        ProgressState::Done => "done",
        ProgressState::Failed => "failed",
        ProgressState::Dead => "dead",
    }
}

/// The step the user sees, in Japanese.
pub fn stage_label(state: ProgressState, stage: Option<&str>) -> &'static str {
    match state {
        ProgressState::Queued => "順番を待っています",
        ProgressState::Done => "分析が終わりました",
        ProgressState::Failed | ProgressState::Dead => "分析できませんでした",
        ProgressState::Running => match stage {
            Some("decode") => "文字コードを判別しています",
            Some("structure") => "章・条・項の構成を読み取っています",
            Some("tokenise") => "文を形態素に分けています",
            Some("align") => "例文と照合しています",
            Some("findings") => "判定をまとめています",
            _ => "分析しています",
        },
    }
}

fn event(p: &JobProgress) -> Bytes {
    let data = serde_json::json!({
        "state": state_word(p.state),
        "stage": p.stage,
        "label": stage_label(p.state, p.stage.as_deref()),
        "percent": p.percent,
    });
    Bytes::from(format!("data: {data}\n\n"))
}

/// `GET /documents/{document}/versions/{seq}/progress`.
pub async fn events(
    signed: SignedIn,
    path: web::Path<(String, String)>,
    state: web::Data<WebState>,
) -> Result<HttpResponse, WebError> {
    let (document, seq) = path.into_inner();
    let document: DocumentId = document.parse().map_err(|_| WebError::NotFound)?;
    let seq: i32 = seq.parse().map_err(|_| WebError::NotFound)?;
    let rx = state
        .services
        .home()
        .watch_report(
            &signed.viewer.scope,
            document,
            seq,
            state.services.edition(),
        )
        .await?;
    let stream = futures_util::stream::unfold(rx, |mut rx| async move {
        match rx.recv().await {
            Some(Ok(p)) => Some((Ok::<_, actix_web::Error>(event(&p)), rx)),
            // Nothing queued, or the version went away: one closing event, then the end.
            Some(Err(_)) => Some((Ok(Bytes::from_static(b"event: end\ndata: {}\n\n")), rx)),
            None => None,
        }
    });
    Ok(HttpResponse::Ok()
        .insert_header((header::CONTENT_TYPE, "text/event-stream"))
        .insert_header((header::CACHE_CONTROL, "no-store"))
        .insert_header(("X-Accel-Buffering", "no"))
        .streaming(stream))
}
