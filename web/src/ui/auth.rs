//! Signing in and out in the browser, and the [`SignedIn`] extractor of every other page.

use std::future::Future;
use std::pin::Pin;

use actix_web::dev::Payload;
use actix_web::http::StatusCode;
use actix_web::http::header;
use actix_web::{FromRequest, HttpRequest, HttpResponse, web};
use askama::Template;
use serde::Deserialize;
use taisho_app::AppError;
use taisho_app::auth::{Credential, authenticate_from};
use taisho_app::home::Viewer;

use super::format::Chrome;
use super::{WebError, WebState, assets, page, see_other};
use crate::session::{
    self, constant_time_eq, csrf_cookie_header, csrf_cookie_name, csrf_for_session,
    session_cookie_header, session_token,
};

/// A signed-in browser: the viewer (scope, organisation, name) and the CSRF token of its forms.
pub struct SignedIn {
    pub viewer: Viewer,
    pub csrf: String,
}

impl SignedIn {
    pub fn chrome(&self) -> Chrome {
        Chrome::of(&self.viewer, self.csrf.clone())
    }
}

fn state(req: &HttpRequest) -> Result<web::Data<WebState>, WebError> {
    req.app_data::<web::Data<WebState>>()
        .cloned()
        .ok_or(WebError::Internal)
}

/// The viewer of the request's session cookie; [`WebError::SignIn`] without a valid one.
async fn signed_in(req: HttpRequest) -> Result<SignedIn, WebError> {
    let state = state(&req)?;
    let Some(token) = session_token(&req, state.production) else {
        return Err(WebError::SignIn);
    };
    let caller = authenticate_from(
        &state.services,
        Credential::Session(token),
        state.client(&req),
    )
    .await?;
    let viewer = state.services.home().viewer(caller).await?;
    Ok(SignedIn {
        viewer,
        csrf: csrf_for_session(token),
    })
}

impl FromRequest for SignedIn {
    type Error = WebError;
    type Future = Pin<Box<dyn Future<Output = Result<SignedIn, WebError>>>>;

    fn from_request(req: &HttpRequest, _: &mut Payload) -> Self::Future {
        Box::pin(signed_in(req.clone()))
    }
}

/// Refuses a signed-in form whose CSRF token is not the session's.
pub(crate) fn check_csrf(req: &HttpRequest, production: bool, sent: &str) -> Result<(), WebError> {
    match session_token(req, production) {
        Some(token) if constant_time_eq(&csrf_for_session(token), sent) => Ok(()),
        _ => Err(WebError::Forbidden),
    }
}

#[derive(Template)]
#[template(path = "ui/sign_in.html")]
struct SignInPage<'a> {
    css: &'static str,
    chrome: Option<Chrome>,
    csrf: &'a str,
    email: &'a str,
    error: Option<&'a str>,
}

/// The sign-in page with `csrf` in its form and cookie.
fn sign_in_page(
    state: &WebState,
    status: StatusCode,
    csrf: &str,
    email: &str,
    error: Option<&str>,
) -> Result<HttpResponse, WebError> {
    let body = SignInPage {
        css: assets::css_path(),
        chrome: None,
        csrf,
        email,
        error,
    }
    .render()?;
    let mut res = page(status, body);
    if let Ok(v) = header::HeaderValue::from_str(&csrf_cookie_header(csrf, state.production)) {
        res.headers_mut().append(header::SET_COOKIE, v);
    }
    Ok(res)
}

/// The form's token: the request's cookie when well formed, else a new one.
fn csrf_of(req: &HttpRequest, production: bool) -> Result<String, WebError> {
    match session::cookie(req, csrf_cookie_name(production)) {
        Some(v) if session::well_formed(v) => Ok(v.to_owned()),
        _ => session::random_token().ok_or(WebError::Internal),
    }
}

/// `GET /sign-in`: the form (the home page when already signed in).
pub async fn sign_in_form(
    req: HttpRequest,
    state: web::Data<WebState>,
) -> Result<HttpResponse, WebError> {
    if let Some(token) = session_token(&req, state.production)
        && authenticate_from(
            &state.services,
            Credential::Session(token),
            state.client(&req),
        )
        .await
        .is_ok()
    {
        return Ok(see_other("/"));
    }
    let csrf = csrf_of(&req, state.production)?;
    sign_in_page(&state, StatusCode::OK, &csrf, "", None)
}

#[derive(Deserialize)]
pub struct SignInForm {
    #[serde(default)]
    csrf: String,
    #[serde(default)]
    email: String,
    #[serde(default)]
    password: String,
}

/// `POST /sign-in`: checks the form's token against its cookie, then the password (throttled by
/// the app per account and per address); a new session cookie and the home page on success.
pub async fn sign_in(
    req: HttpRequest,
    state: web::Data<WebState>,
    form: web::Form<SignInForm>,
) -> Result<HttpResponse, WebError> {
    state.check_same_origin(&req)?;
    let form = form.into_inner();
    let cookie = session::cookie(&req, csrf_cookie_name(state.production));
    let token_ok =
        cookie.is_some_and(|c| session::well_formed(c) && constant_time_eq(c, &form.csrf));
    if !token_ok {
        let csrf = session::random_token().ok_or(WebError::Internal)?;
        return sign_in_page(
            &state,
            StatusCode::FORBIDDEN,
            &csrf,
            &form.email,
            Some(
                "画面の有効期限が切れたか、正しくない画面から送信されました。もう一度入力してください。",
            ),
        );
    }
    let csrf = form.csrf.as_str();
    let client = state.client(&req);
    let signed = state
        .services
        .sessions()
        .sign_in(&form.email, &form.password, None, client)
        .await;
    let (token, _caller) = match signed {
        Ok(ok) => ok,
        Err(AppError::InvalidCredentials) => {
            return sign_in_page(
                &state,
                StatusCode::UNAUTHORIZED,
                csrf,
                &form.email,
                Some("メールアドレスまたはパスワードが正しくありません。"),
            );
        }
        Err(AppError::Throttled(wait)) => {
            let mut res = sign_in_page(
                &state,
                StatusCode::TOO_MANY_REQUESTS,
                csrf,
                &form.email,
                Some(
                    "サインインの失敗が続いたため、一時的に受け付けを停止しています。しばらく待ってから、もう一度お試しください。",
                ),
            )?;
            if let Ok(v) = header::HeaderValue::from_str(&wait.as_secs().max(1).to_string()) {
                res.headers_mut().insert(header::RETRY_AFTER, v);
            }
            return Ok(res);
        }
        Err(AppError::ChooseOrganisation(_)) => {
            return sign_in_page(
                &state,
                StatusCode::OK,
                csrf,
                &form.email,
                Some(
                    "このアカウントは複数の団体に所属しているため、この画面ではサインインできません。管理者にお問い合わせください。",
                ),
            );
        }
        Err(e) => return Err(e.into()),
    };
    // The session this browser had before (if any) ends: one browser, one session.
    if let Some(old) = session_token(&req, state.production) {
        let _ = state.services.sessions().sign_out_from(old, client).await;
    }
    let lifetime = state.services.sessions().cookie_lifetime().as_secs();
    let mut res = see_other("/");
    let headers = res.headers_mut();
    for cookie in [
        session_cookie_header(token.expose(), lifetime, state.production),
        csrf_cookie_header("", state.production),
    ] {
        if let Ok(v) = header::HeaderValue::from_str(&cookie) {
            headers.append(header::SET_COOKIE, v);
        }
    }
    Ok(res)
}

#[derive(Deserialize)]
pub struct TokenForm {
    #[serde(default)]
    csrf: String,
}

/// `POST /sign-out`: ends the session on the server, clears the cookie, back to the sign-in page.
pub async fn sign_out(
    req: HttpRequest,
    state: web::Data<WebState>,
    form: web::Form<TokenForm>,
) -> Result<HttpResponse, WebError> {
    state.check_same_origin(&req)?;
    check_csrf(&req, state.production, &form.csrf)?;
    if let Some(token) = session_token(&req, state.production) {
        state
            .services
            .sessions()
            .sign_out_from(token, state.client(&req))
            .await?;
    }
    let mut res = see_other("/sign-in");
    if let Ok(v) = header::HeaderValue::from_str(&session_cookie_header("", 0, state.production)) {
        res.headers_mut().append(header::SET_COOKIE, v);
    }
    Ok(res)
}
