//! `/account/password`: the signed-in user changes its password (the current one, the new one
//! twice). The user's other sessions end; this one stays.

use actix_web::http::StatusCode;
use actix_web::http::header;
use actix_web::{HttpRequest, HttpResponse, web};
use askama::Template;
use serde::Deserialize;
use taisho_app::AppError;

use super::auth::check_csrf;
use super::format::Chrome;
use super::{SignedIn, WebError, WebState, assets, page, see_other};
use crate::session::session_token;

#[derive(Template)]
#[template(path = "ui/password.html")]
struct PasswordPage<'a> {
    css: &'static str,
    chrome: Option<Chrome>,
    error: Option<&'a str>,
    changed: bool,
}

#[derive(Deserialize, Default)]
pub struct Changed {
    changed: Option<String>,
}

fn render(
    signed: &SignedIn,
    status: StatusCode,
    error: Option<&str>,
    changed: bool,
) -> Result<HttpResponse, WebError> {
    let body = PasswordPage {
        css: assets::css_path(),
        chrome: Some(signed.chrome()),
        error,
        changed,
    }
    .render()?;
    Ok(page(status, body))
}

/// `GET /account/password`.
pub async fn form(signed: SignedIn, query: web::Query<Changed>) -> Result<HttpResponse, WebError> {
    render(&signed, StatusCode::OK, None, query.changed.is_some())
}

#[derive(Deserialize)]
pub struct PasswordForm {
    #[serde(default)]
    csrf: String,
    #[serde(default)]
    current: String,
    #[serde(default)]
    new: String,
    #[serde(default)]
    confirm: String,
}

/// `POST /account/password`.
pub async fn change(
    req: HttpRequest,
    signed: SignedIn,
    state: web::Data<WebState>,
    form: web::Form<PasswordForm>,
) -> Result<HttpResponse, WebError> {
    state.check_same_origin(&req)?;
    check_csrf(&req, state.production, &form.csrf)?;
    if form.new != form.confirm {
        return render(
            &signed,
            StatusCode::BAD_REQUEST,
            Some("新しいパスワードと確認用の入力が一致しません。"),
            false,
        );
    }
    let token = session_token(&req, state.production).ok_or(WebError::SignIn)?;
    let result = state
        .services
        .sessions()
        .change_password(token, &form.current, &form.new, state.client(&req))
        .await;
    match result {
        Ok(()) => Ok(see_other("/account/password?changed=1")),
        Err(AppError::InvalidCredentials) => render(
            &signed,
            StatusCode::BAD_REQUEST,
            Some("現在のパスワードが正しくありません。"),
            false,
        ),
        Err(AppError::Invalid(message)) => {
            render(&signed, StatusCode::BAD_REQUEST, Some(&message), false)
        }
        Err(AppError::Throttled(wait)) => {
            let mut res = render(
                &signed,
                StatusCode::TOO_MANY_REQUESTS,
                Some(
                    "誤った入力が続いたため、一時的に受け付けを停止しています。しばらく待ってから、もう一度お試しください。",
                ),
                false,
            )?;
            if let Ok(v) = header::HeaderValue::from_str(&wait.as_secs().max(1).to_string()) {
                res.headers_mut().insert(header::RETRY_AFTER, v);
            }
            Ok(res)
        }
        Err(e) => Err(e.into()),
    }
}
