//! Errors as pages: 401 sends the browser to the sign-in page; 403, 404, 429, 500 and 503 answer a
//! Japanese page. A foreign id and a missing one are the same 404.

use actix_web::http::StatusCode;
use actix_web::http::header;
use actix_web::{HttpResponse, ResponseError};
use askama::Template;
use taisho_app::AppError;
use taisho_domain::ErrorCode;

use super::{assets, page, see_other};

/// Why a page cannot be shown.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum WebError {
    /// No session, or one that ended: to the sign-in page (clearing the cookie).
    #[error("sign-in required")]
    SignIn,
    #[error("forbidden")]
    Forbidden,
    #[error("not found")]
    NotFound,
    #[error("bad request")]
    BadRequest,
    /// Too many requests; seconds to wait.
    #[error("rate limited")]
    RateLimited(u64),
    #[error("unavailable")]
    Unavailable,
    #[error("internal")]
    Internal,
}

impl From<AppError> for WebError {
    fn from(e: AppError) -> WebError {
        match e.code() {
            ErrorCode::Unauthenticated => WebError::SignIn,
            ErrorCode::Forbidden => WebError::Forbidden,
            ErrorCode::NotFound => WebError::NotFound,
            ErrorCode::InvalidArgument | ErrorCode::BadRequest => WebError::BadRequest,
            ErrorCode::RateLimited => WebError::RateLimited(match e {
                AppError::Throttled(wait) => wait.as_secs().max(1),
                _ => 60,
            }),
            ErrorCode::Unavailable => {
                tracing::warn!(error = %e, "web: service unavailable");
                WebError::Unavailable
            }
            code => {
                // Store, queue and configuration errors carry no document text.
                tracing::error!(code = %code, error = %e, "web: request failed");
                WebError::Internal
            }
        }
    }
}

impl From<askama::Error> for WebError {
    fn from(e: askama::Error) -> WebError {
        tracing::error!(error = %e, "web: rendering a page failed");
        WebError::Internal
    }
}

#[derive(Template)]
#[template(path = "ui/error.html")]
struct ErrorPage {
    css: &'static str,
    chrome: Option<super::format::Chrome>,
    title: &'static str,
    message: &'static str,
}

impl WebError {
    fn status(&self) -> StatusCode {
        match self {
            WebError::SignIn => StatusCode::SEE_OTHER,
            WebError::Forbidden => StatusCode::FORBIDDEN,
            WebError::NotFound => StatusCode::NOT_FOUND,
            WebError::BadRequest => StatusCode::BAD_REQUEST,
            WebError::RateLimited(_) => StatusCode::TOO_MANY_REQUESTS,
            WebError::Unavailable => StatusCode::SERVICE_UNAVAILABLE,
            WebError::Internal => StatusCode::INTERNAL_SERVER_ERROR,
        }
    }

    fn words(&self) -> (&'static str, &'static str) {
        match self {
            WebError::SignIn => ("サインインが必要です", "サインインしてください。"),
            WebError::Forbidden => (
                "この操作は行えません",
                "この操作を行う権限がないか、別のサイトからの要求のため受け付けられません。",
            ),
            WebError::NotFound => (
                "ページが見つかりません",
                "お探しのページは見つかりませんでした。アドレスが正しいか確認してください。",
            ),
            WebError::BadRequest => (
                "要求が正しくありません",
                "入力された値が正しくありません。画面を開き直して、もう一度お試しください。",
            ),
            WebError::RateLimited(_) => (
                "しばらくお待ちください",
                "短時間に多くの要求がありました。しばらくしてから、もう一度お試しください。",
            ),
            WebError::Unavailable => (
                "一時的に利用できません",
                "サービスが一時的に利用できません。しばらくしてから、もう一度お試しください。",
            ),
            WebError::Internal => (
                "エラーが発生しました",
                "申し訳ありません。処理中にエラーが発生しました。時間をおいて、もう一度お試しください。",
            ),
        }
    }

    /// The answer: a redirect to the sign-in page, or the error page.
    pub fn page_response(&self) -> HttpResponse {
        if *self == WebError::SignIn {
            return see_other("/sign-in");
        }
        let (title, message) = self.words();
        let body = ErrorPage {
            css: assets::css_path(),
            chrome: None,
            title,
            message,
        }
        .render()
        .unwrap_or_else(|_| {
            format!(
                "<!DOCTYPE html><html lang=\"ja\"><title>{title}</title><p>{message}</p></html>"
            )
        });
        let mut res = page(self.status(), body);
        if let WebError::RateLimited(secs) = self
            && let Ok(v) = header::HeaderValue::from_str(&secs.to_string())
        {
            res.headers_mut().insert(header::RETRY_AFTER, v);
        }
        res
    }
}

impl ResponseError for WebError {
    fn status_code(&self) -> StatusCode {
        self.status()
    }

    fn error_response(&self) -> HttpResponse {
        self.page_response()
    }
}
