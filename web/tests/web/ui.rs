//! The browser UI over a real `Services` on SQLite, driven with `actix_web::test`: sign-in with its
//! CSRF rules, the home page, the report of an analysed seed, tenant isolation of ids, sign-out,
//! and the security headers of every page.

use std::time::Duration;

use actix_web::body::to_bytes;
use actix_web::dev::{Service, ServiceResponse};
use actix_web::http::StatusCode;
use actix_web::http::header;
use actix_web::test::{TestRequest, call_service, init_service};
use actix_web::{App, web};
use taisho_app::documents::{DocumentRef, Upload};
use taisho_app::records::{OrgKind, Principal, Role};
use taisho_app::runtime::{WorkerConfig, Workers};
use taisho_app::{Services, ServicesConfig};
use taisho_domain::{DocumentId, OrgId, UserId};
use taisho_engine::Limits;
use taisho_guideline::EditionId;
use taisho_testkit::{Tenants, TestDb, char_class_engine, seed};
use taisho_web::WebState;
use taisho_worker::PoolConfig;

const PASSWORD: &str = "correct horse battery staple";
const KEY_SECRET: &[u8] = b"web test key secret, at least 32 bytes long";
const EDITION: EditionId = EditionId::DEFAULT;

/// A town with an analysed seed policy and a second document in two versions (not analysed), a
/// foreign town with a policy of its own, and the town's prefecture with a coordinator.
pub(crate) struct World {
    _db: TestDb,
    pub(crate) services: Services,
    pub(crate) email: String,
    pub(crate) town_doc: DocumentId,
    pub(crate) foreign_doc: DocumentId,
    /// The town's 服務規程 in two versions ([`RULES_V1`], [`RULES_V2`]).
    pub(crate) rules_doc: DocumentId,
    /// A viewer of the prefecture (the coordinator).
    pub(crate) coordinator_email: String,
    /// The town's editor, for use-cases called directly.
    pub(crate) editor_scope: taisho_app::records::TenantScope,
}

/// The first version of the town's 服務規程.
pub(crate) const RULES_V1: &str = "\
第１章 総則

１ 目的
本規程は、本町の情報資産を守るため、職員が遵守すべき事項を定める。

２ 定義
この規程において、情報資産とは、本町が保有する情報及び情報システムをいう。

３ 研修
職員は、年に一回、情報セキュリティに関する研修を受けなければならない。

４ 監査
情報セキュリティ監査は、定期的に実施する。

５ 報告
職員は、情報セキュリティに関する事故を発見したときは、直ちに統括責任者に報告しなければならない。
";

/// The second version: 「年に一回」 became 「年に二回」, and the report rule moved from 5 to 2.
pub(crate) const RULES_V2: &str = "\
第１章 総則

１ 目的
本規程は、本町の情報資産を守るため、職員が遵守すべき事項を定める。

２ 報告
職員は、情報セキュリティに関する事故を発見したときは、直ちに統括責任者に報告しなければならない。

３ 定義
この規程において、情報資産とは、本町が保有する情報及び情報システムをいう。

４ 研修
職員は、年に二回、情報セキュリティに関する研修を受けなければならない。

５ 監査
情報セキュリティ監査は、定期的に実施する。
";

async fn upload(services: &Services, user: UserId, org: OrgId, prefix: &str) -> DocumentId {
    let scope = services
        .scope_of(&Principal::User {
            user,
            acting_org: Some(org),
        })
        .await
        .expect("scope");
    let (name, bytes) = seed(prefix);
    services
        .documents()
        .upload_version(
            &scope,
            Upload {
                org,
                document: DocumentRef::New {
                    title: "情報セキュリティポリシー".into(),
                    unpublished: false,
                },
                bytes,
                file_name: Some(name),
            },
            EDITION,
        )
        .await
        .expect("upload")
        .document
}

pub(crate) async fn world() -> World {
    let db = taisho_testkit::testdb::sqlite().await;
    let services = Services::new(
        db.store.clone(),
        char_class_engine(),
        EDITION,
        &ServicesConfig::with_key_secret(KEY_SECRET),
    )
    .expect("services");
    let hash = services
        .accounts()
        .hasher()
        .hash(PASSWORD)
        .await
        .expect("hash");
    let tenants = Tenants::begin(&db.store).await.with_password_hash(hash);
    let prefecture = tenants
        .organisation(OrgKind::Prefecture, "テスト県", None)
        .await;
    let town = tenants
        .organisation(OrgKind::Municipality, "テスト町", Some(prefecture))
        .await;
    let foreign = tenants
        .organisation(OrgKind::Municipality, "よその市", None)
        .await;
    let editor = tenants
        .member(town, Role::Editor, "editor", "町 担当")
        .await;
    let other = tenants
        .member(foreign, Role::Editor, "other", "市 担当")
        .await;
    let coordinator = tenants
        .member(prefecture, Role::Viewer, "coordinator", "県 調整担当")
        .await;
    tenants.commit().await;
    let town_doc = upload(&services, editor.id, town, "000").await;
    let foreign_doc = upload(&services, other.id, foreign, "001").await;
    let workers = Workers::start(
        db.store.clone(),
        services.engine().clone(),
        WorkerConfig {
            pool: PoolConfig {
                threads: 2,
                per_tenant_cap: None,
                poll_interval: Duration::from_millis(50),
                ..PoolConfig::default()
            },
            limits: Limits {
                deadline: Duration::from_secs(120),
                ..Limits::default()
            },
            warm: vec![EDITION],
        },
    )
    .await
    .expect("workers");
    let scope = services
        .scope_of(&Principal::User {
            user: editor.id,
            acting_org: Some(town),
        })
        .await
        .expect("scope");
    let mut done = false;
    for _ in 0..1200 {
        let report = services
            .home()
            .report(&scope, town_doc, 1, EDITION)
            .await
            .expect("report");
        if report.analysis.is_some() {
            done = true;
            break;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    workers.shutdown(Duration::from_secs(5)).await;
    assert!(done, "the seed was analysed");
    // Uploaded after the workers stopped: two versions, never analysed (not in the matrix).
    let mut rules_doc = None;
    for (n, text) in [RULES_V1, RULES_V2].into_iter().enumerate() {
        let uploaded = services
            .documents()
            .upload_version(
                &scope,
                Upload {
                    org: town,
                    document: match rules_doc {
                        None => DocumentRef::New {
                            title: "服務規程".into(),
                            unpublished: false,
                        },
                        Some(d) => DocumentRef::Existing(d),
                    },
                    bytes: text.as_bytes().to_vec(),
                    file_name: Some(format!("rules-{}.txt", n + 1)),
                },
                EDITION,
            )
            .await
            .expect("upload");
        rules_doc = Some(uploaded.document);
    }
    World {
        _db: db,
        services,
        email: editor.email,
        town_doc,
        foreign_doc,
        rules_doc: rules_doc.expect("uploaded"),
        coordinator_email: coordinator.email,
        editor_scope: scope,
    }
}

pub(crate) async fn app(
    services: &Services,
) -> impl Service<actix_http::Request, Response = ServiceResponse, Error = actix_web::Error> {
    init_service(
        App::new()
            .app_data(web::Data::new(WebState::new(services.clone(), false)))
            .configure(taisho_web::configure),
    )
    .await
}

pub(crate) async fn text(res: ServiceResponse) -> String {
    String::from_utf8(to_bytes(res.into_body()).await.expect("body").to_vec()).expect("utf-8")
}

pub(crate) fn set_cookies(res: &ServiceResponse) -> Vec<String> {
    res.headers()
        .get_all(header::SET_COOKIE)
        .filter_map(|v| v.to_str().ok())
        .map(str::to_owned)
        .collect()
}

/// The value of the cookie `name` among `Set-Cookie` headers.
pub(crate) fn cookie_value(res: &ServiceResponse, name: &str) -> Option<String> {
    set_cookies(res).iter().find_map(|c| {
        let pair = c.split(';').next()?;
        let (n, v) = pair.split_once('=')?;
        (n == name).then(|| v.to_owned())
    })
}

/// The value of the hidden `csrf` field.
pub(crate) fn csrf_field(html: &str) -> String {
    let start = html.find("name=\"csrf\" value=\"").expect("csrf field") + 19;
    html[start..].split('"').next().expect("value").to_owned()
}

pub(crate) fn assert_page_headers(res: &ServiceResponse) {
    let csp = res
        .headers()
        .get(header::CONTENT_SECURITY_POLICY)
        .and_then(|v| v.to_str().ok())
        .unwrap_or_default();
    assert!(csp.contains("frame-ancestors 'none'"), "CSP: {csp:?}");
    assert!(!csp.contains("unsafe-inline"), "CSP: {csp:?}");
    let ct = res
        .headers()
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .unwrap_or_default();
    assert!(ct.starts_with("text/html"), "{ct}");
}

fn form(fields: &[(&str, &str)]) -> String {
    fields
        .iter()
        .map(|(k, v)| format!("{k}={}", urlencode(v)))
        .collect::<Vec<_>>()
        .join("&")
}

fn urlencode(s: &str) -> String {
    s.bytes()
        .map(|b| match b {
            b'A'..=b'Z' | b'a'..=b'z' | b'0'..=b'9' | b'-' | b'_' | b'.' | b'~' => {
                (b as char).to_string()
            }
            _ => format!("%{b:02X}"),
        })
        .collect()
}

fn post_form(path: &str, body: String) -> TestRequest {
    TestRequest::post()
        .uri(path)
        .insert_header((header::CONTENT_TYPE, "application/x-www-form-urlencoded"))
        .set_payload(body)
}

/// Signs `email` in through the form; the session cookie's value.
pub(crate) async fn sign_in<S>(app: &S, email: &str) -> String
where
    S: Service<actix_http::Request, Response = ServiceResponse, Error = actix_web::Error>,
{
    let res = call_service(app, TestRequest::get().uri("/sign-in").to_request()).await;
    let csrf = cookie_value(&res, "taisho_csrf").expect("csrf cookie");
    let res = call_service(
        app,
        post_form(
            "/sign-in",
            form(&[("csrf", &csrf), ("email", email), ("password", PASSWORD)]),
        )
        .insert_header((header::COOKIE, format!("taisho_csrf={csrf}")))
        .to_request(),
    )
    .await;
    assert_eq!(res.status(), StatusCode::SEE_OTHER);
    cookie_value(&res, "taisho_session").expect("session cookie")
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn sign_in_page_carries_a_csrf_token_in_form_and_cookie() {
    let db = taisho_testkit::testdb::sqlite().await;
    let services = Services::new(
        db.store.clone(),
        char_class_engine(),
        EDITION,
        &ServicesConfig::with_key_secret(KEY_SECRET),
    )
    .expect("services");
    let app = app(&services).await;
    let res = call_service(&app, TestRequest::get().uri("/sign-in").to_request()).await;
    assert_eq!(res.status(), StatusCode::OK);
    assert_page_headers(&res);
    let cookie = cookie_value(&res, "taisho_csrf").expect("csrf cookie");
    let all = set_cookies(&res).join("\n");
    assert!(
        all.contains("HttpOnly") && all.contains("SameSite=Strict"),
        "{all}"
    );
    assert!(!all.contains("Secure"), "development: {all}");
    let html = text(res).await;
    assert_eq!(csrf_field(&html), cookie);
    assert!(html.contains("<html lang=\"ja\">"));
    assert!(html.contains("サインイン"));
    // Signed out, the home page sends the browser to the sign-in page.
    let res = call_service(&app, TestRequest::get().uri("/").to_request()).await;
    assert_eq!(res.status(), StatusCode::SEE_OTHER);
    assert_eq!(res.headers().get(header::LOCATION).unwrap(), "/sign-in");
    // The style sheet is embedded and cached for long under its content hash.
    let css = html
        .split("href=\"")
        .find_map(|s| s.strip_prefix("/static/"))
        .and_then(|s| s.split('"').next())
        .expect("style sheet link")
        .to_owned();
    let res = call_service(
        &app,
        TestRequest::get()
            .uri(&format!("/static/{css}"))
            .to_request(),
    )
    .await;
    assert_eq!(res.status(), StatusCode::OK);
    let cache = res.headers().get(header::CACHE_CONTROL).unwrap();
    assert!(cache.to_str().unwrap().contains("max-age=31536000"));
    let res = call_service(
        &app,
        TestRequest::get().uri("/static/other.css").to_request(),
    )
    .await;
    assert_eq!(res.status(), StatusCode::NOT_FOUND);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn sign_in_needs_the_forms_own_token_and_origin() {
    let w = world().await;
    let app = app(&w.services).await;
    let creds = |csrf: &str| form(&[("csrf", csrf), ("email", &w.email), ("password", PASSWORD)]);
    let token = "A".repeat(43);
    let refused = [
        // No cookie, no field.
        post_form(
            "/sign-in",
            form(&[("email", &w.email), ("password", PASSWORD)]),
        ),
        // A field without its cookie.
        post_form("/sign-in", creds(&token)),
        // A cookie and a different field.
        post_form("/sign-in", creds(&token))
            .insert_header((header::COOKIE, format!("taisho_csrf={}", "B".repeat(43)))),
    ];
    for req in refused {
        let res = call_service(&app, req.to_request()).await;
        assert_eq!(res.status(), StatusCode::FORBIDDEN);
        assert!(cookie_value(&res, "taisho_session").is_none());
        assert_page_headers(&res);
        assert!(text(res).await.contains("もう一度入力してください"));
    }
    // The right token from another site.
    let res = call_service(
        &app,
        post_form("/sign-in", creds(&token))
            .insert_header((header::COOKIE, format!("taisho_csrf={token}")))
            .insert_header((header::ORIGIN, "http://evil.example"))
            .insert_header((header::HOST, "localhost:8080"))
            .to_request(),
    )
    .await;
    assert_eq!(res.status(), StatusCode::FORBIDDEN);
    assert!(cookie_value(&res, "taisho_session").is_none());
    let res = call_service(
        &app,
        post_form("/sign-in", creds(&token))
            .insert_header((header::COOKIE, format!("taisho_csrf={token}")))
            .insert_header(("sec-fetch-site", "cross-site"))
            .to_request(),
    )
    .await;
    assert_eq!(res.status(), StatusCode::FORBIDDEN);
    // A wrong password: the Japanese message, no session.
    let res = call_service(
        &app,
        post_form(
            "/sign-in",
            form(&[
                ("csrf", &token),
                ("email", &w.email),
                ("password", "wrong password!"),
            ]),
        )
        .insert_header((header::COOKIE, format!("taisho_csrf={token}")))
        .to_request(),
    )
    .await;
    assert_eq!(res.status(), StatusCode::UNAUTHORIZED);
    assert!(cookie_value(&res, "taisho_session").is_none());
    assert!(
        text(res)
            .await
            .contains("メールアドレスまたはパスワードが正しくありません。")
    );
    // The right token from this site's own form: a new session, then home.
    let res = call_service(
        &app,
        post_form("/sign-in", creds(&token))
            .insert_header((header::COOKIE, format!("taisho_csrf={token}")))
            .insert_header((header::ORIGIN, "http://localhost:8080"))
            .insert_header((header::HOST, "localhost:8080"))
            .to_request(),
    )
    .await;
    assert_eq!(res.status(), StatusCode::SEE_OTHER);
    assert_eq!(res.headers().get(header::LOCATION).unwrap(), "/");
    let cookies = set_cookies(&res).join("\n");
    assert!(cookies.contains("taisho_session="), "{cookies}");
    assert!(cookies.contains("HttpOnly") && cookies.contains("SameSite=Lax"));
    // Every sign-in is a new session.
    let again = sign_in(&app, &w.email).await;
    assert_ne!(cookie_value(&res, "taisho_session").unwrap(), again);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn home_and_report_show_the_bodys_analysis_and_hide_foreign_ids() {
    let w = world().await;
    let app = app(&w.services).await;
    let session = sign_in(&app, &w.email).await;
    let get = |uri: String| {
        TestRequest::get()
            .uri(&uri)
            .insert_header((header::COOKIE, format!("taisho_session={session}")))
            .to_request()
    };
    // Home: the town's document, its latest version, analysed.
    let res = call_service(&app, get("/".into())).await;
    assert_eq!(res.status(), StatusCode::OK);
    assert_page_headers(&res);
    let html = text(res).await;
    assert!(html.contains("テスト町"), "org in the header");
    assert!(html.contains("町 担当"), "user in the header");
    assert!(html.contains("情報セキュリティポリシー"));
    assert!(html.contains("第1版"));
    assert!(html.contains("分析済み"));
    let report = format!("/documents/{}/versions/1", w.town_doc);
    assert!(html.contains(&report), "links to the report");
    assert!(html.contains("action=\"/sign-out\""));
    // The report: header, edition in words, omitted items with chips that carry text.
    let res = call_service(&app, get(report.clone())).await;
    assert_eq!(res.status(), StatusCode::OK);
    assert_page_headers(&res);
    let html = text(res).await;
    assert!(html.contains("総務省ガイドライン（令和5年3月版）例文"));
    assert!(html.contains("<span class=\"chip omitted\">欠落</span>"));
    assert!(html.contains("基本方針"));
    assert!(html.contains("<details class=\"out-of-scope\""));
    // Filtered to omitted items only.
    let res = call_service(&app, get(format!("{report}?status=omitted"))).await;
    let html = text(res).await;
    assert!(html.contains("<span class=\"chip omitted\">欠落</span>"));
    assert!(!html.contains("<span class=\"chip covered\">"));
    // A foreign document, a missing one, a missing version and a malformed id: the same 404.
    let missing = format!("/documents/{}/versions/1", DocumentId::new());
    let foreign = format!("/documents/{}/versions/1", w.foreign_doc);
    let mut bodies = Vec::new();
    for uri in [
        foreign,
        missing,
        format!("/documents/{}/versions/9", w.town_doc),
        "/documents/not-an-id/versions/1".to_owned(),
    ] {
        let res = call_service(&app, get(uri.clone())).await;
        assert_eq!(res.status(), StatusCode::NOT_FOUND, "{uri}");
        assert_page_headers(&res);
        let html = text(res).await;
        assert!(html.contains("ページが見つかりません"), "{uri}");
        bodies.push(html);
    }
    assert!(bodies.windows(2).all(|b| b[0] == b[1]));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn sign_out_needs_the_token_and_ends_the_session_on_the_server() {
    let w = world().await;
    let app = app(&w.services).await;
    let session = sign_in(&app, &w.email).await;
    let cookie = format!("taisho_session={session}");
    let res = call_service(
        &app,
        TestRequest::get()
            .uri("/")
            .insert_header((header::COOKIE, cookie.clone()))
            .to_request(),
    )
    .await;
    let csrf = csrf_field(&text(res).await);
    // Without the page's token: refused, still signed in.
    let res = call_service(
        &app,
        post_form("/sign-out", form(&[("csrf", "forged")]))
            .insert_header((header::COOKIE, cookie.clone()))
            .to_request(),
    )
    .await;
    assert_eq!(res.status(), StatusCode::FORBIDDEN);
    assert_page_headers(&res);
    let res = call_service(
        &app,
        TestRequest::get()
            .uri("/")
            .insert_header((header::COOKIE, cookie.clone()))
            .to_request(),
    )
    .await;
    assert_eq!(res.status(), StatusCode::OK);
    // With it: the cookie is cleared and the session is over, even for a copy of the cookie.
    let res = call_service(
        &app,
        post_form("/sign-out", form(&[("csrf", &csrf)]))
            .insert_header((header::COOKIE, cookie.clone()))
            .to_request(),
    )
    .await;
    assert_eq!(res.status(), StatusCode::SEE_OTHER);
    assert_eq!(res.headers().get(header::LOCATION).unwrap(), "/sign-in");
    assert!(set_cookies(&res).join("\n").contains("Max-Age=0"));
    let res = call_service(
        &app,
        TestRequest::get()
            .uri("/")
            .insert_header((header::COOKIE, cookie))
            .to_request(),
    )
    .await;
    assert_eq!(res.status(), StatusCode::SEE_OTHER);
    assert_eq!(res.headers().get(header::LOCATION).unwrap(), "/sign-in");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_password_change_needs_the_current_password_and_ends_other_sessions() {
    let w = world().await;
    let app = app(&w.services).await;
    let other = sign_in(&app, &w.email).await;
    let session = sign_in(&app, &w.email).await;
    let cookie = format!("taisho_session={session}");
    let res = call_service(
        &app,
        TestRequest::get()
            .uri("/account/password")
            .insert_header((header::COOKIE, cookie.clone()))
            .to_request(),
    )
    .await;
    assert_eq!(res.status(), StatusCode::OK);
    assert_page_headers(&res);
    let csrf = csrf_field(&text(res).await);
    let change = |current: &str, new: &str, csrf: &str| {
        post_form(
            "/account/password",
            form(&[
                ("csrf", csrf),
                ("current", current),
                ("new", new),
                ("confirm", new),
            ]),
        )
        .insert_header((header::COOKIE, cookie.clone()))
        .to_request()
    };
    let res = call_service(&app, change(PASSWORD, "a new password 2", "forged")).await;
    assert_eq!(res.status(), StatusCode::FORBIDDEN);
    let res = call_service(&app, change("not my password", "a new password 2", &csrf)).await;
    assert_eq!(res.status(), StatusCode::BAD_REQUEST);
    assert!(
        text(res)
            .await
            .contains("現在のパスワードが正しくありません。")
    );
    let res = call_service(&app, change(PASSWORD, "short", &csrf)).await;
    assert_eq!(res.status(), StatusCode::BAD_REQUEST);
    assert!(
        text(res)
            .await
            .contains("パスワードは8文字以上にしてください。")
    );
    let res = call_service(&app, change(PASSWORD, "a new password 2", &csrf)).await;
    assert_eq!(res.status(), StatusCode::SEE_OTHER);
    // This session goes on; the other one has ended.
    let home = |c: String| {
        TestRequest::get()
            .uri("/")
            .insert_header((header::COOKIE, c))
            .to_request()
    };
    assert_eq!(
        call_service(&app, home(cookie.clone())).await.status(),
        StatusCode::OK
    );
    assert_eq!(
        call_service(&app, home(format!("taisho_session={other}")))
            .await
            .status(),
        StatusCode::SEE_OTHER
    );
    // The new password signs in; the old one no longer does.
    assert!(
        w.services
            .sessions()
            .sign_in(&w.email, "a new password 2", None, None)
            .await
            .is_ok()
    );
    assert!(
        w.services
            .sessions()
            .sign_in(&w.email, PASSWORD, None, None)
            .await
            .is_err()
    );
}
