//! The browser UI in headless Chromium (Debian `chromium` + `chromium-driver`, driven over
//! WebDriver by `fantoccini`) against the real server: sign in, the prefecture's home, a member's
//! report with its findings, the offline query page, sign-out.

use std::net::TcpListener;
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use fantoccini::{Client as Driver, ClientBuilder, Locator};
use serde_json::json;

use crate::api;
use crate::harness::{Backend, Server};

e2e_test!(
    a_coordinator_signs_in_and_reads_a_members_report,
    coordinator_reads_report
);
e2e_test!(the_query_page_runs_a_query_without_internet, query_page);
e2e_test!(
    a_body_uploads_its_policy_and_watches_the_analysis_finish,
    body_uploads
);

/// Not a check: writes the query page as users see it to `docs/screenshots/web-query-<width>.png`,
/// to be looked at before committing (`cargo test -p taisho-e2e --test e2e browser::screenshots --
/// --ignored`).
#[test]
#[ignore = "writes docs/screenshots/; run by hand"]
fn screenshots() {
    crate::harness::run(Backend::Sqlite, take_screenshots);
}

async fn take_screenshots(backend: Backend) {
    let server = Server::start(backend).await;
    let driver = ChromeDriver::start();
    let out = crate::harness::repo_root().join("docs/screenshots");
    for width in [1280u32, 768] {
        let b = browser(&driver, width).await;
        let base = server.client().url("");
        let base = base.trim_end_matches('/');
        let admin = server.sign_in_for("admin");
        sign_in(&b, base, &admin.email, &admin.password).await;
        b.set_window_size(width, 1300).await.expect("window size");
        b.goto(&format!("{base}/graphiql"))
            .await
            .expect("query page");
        click(&b, "#query-form button[type=submit]").await;
        tokio::time::sleep(Duration::from_millis(500)).await;
        let png = b.screenshot().await.expect("screenshot");
        std::fs::write(out.join(format!("web-query-{width}.png")), png).expect("write png");
        b.goto(&format!("{base}/catalog?edition=R7.3"))
            .await
            .expect("catalog");
        let png = b.screenshot().await.expect("screenshot");
        std::fs::write(out.join(format!("web-catalog-{width}.png")), png).expect("write png");
        b.close().await.expect("close the browser");

        // A body's upload page, and the same after an unreadable file.
        let b = browser(&driver, width).await;
        let member = server.sign_in_for("member");
        sign_in(&b, base, &member.email, &member.password).await;
        b.set_window_size(width, 1300).await.expect("window size");
        b.goto(&format!("{base}/upload"))
            .await
            .expect("upload page");
        let png = b.screenshot().await.expect("screenshot");
        std::fs::write(out.join(format!("web-upload-{width}.png")), png).expect("write png");
        let junk = junk_file();
        choose_file(&b, junk.path()).await;
        submit(&b).await;
        text_of(&b, ".alert").await;
        let png = b.screenshot().await.expect("screenshot");
        std::fs::write(out.join(format!("web-upload-error-{width}.png")), png).expect("write png");
        b.close().await.expect("close the browser");
    }
}

/// chromedriver as a child process, killed on drop.
struct ChromeDriver {
    child: Child,
    port: u16,
}

impl ChromeDriver {
    fn start() -> ChromeDriver {
        let port = TcpListener::bind("127.0.0.1:0")
            .and_then(|l| l.local_addr())
            .expect("a free port")
            .port();
        let child = Command::new("chromedriver")
            .arg(format!("--port={port}"))
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .expect("chromedriver (Debian chromium-driver; infra/setup.sh installs it)");
        let started = Instant::now();
        while std::net::TcpStream::connect(("127.0.0.1", port)).is_err() {
            assert!(
                started.elapsed() < Duration::from_secs(20),
                "chromedriver did not listen on {port}"
            );
            std::thread::sleep(Duration::from_millis(50));
        }
        ChromeDriver { child, port }
    }
}

impl Drop for ChromeDriver {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// A headless Chromium session at `width` × 900 px.
async fn browser(driver: &ChromeDriver, width: u32) -> Driver {
    let mut caps = serde_json::Map::new();
    caps.insert(
        "goog:chromeOptions".into(),
        json!({
            "args": [
                "--headless=new",
                "--no-sandbox",
                "--disable-dev-shm-usage",
                "--disable-gpu",
                format!("--window-size={width},900"),
                "--lang=ja",
            ]
        }),
    );
    let connector = hyper_util::client::legacy::connect::HttpConnector::new();
    ClientBuilder::new(connector)
        .capabilities(caps)
        .connect(&format!("http://127.0.0.1:{}", driver.port))
        .await
        .expect("a WebDriver session")
}

async fn text_of(b: &Driver, css: &str) -> String {
    b.wait()
        .at_most(Duration::from_secs(20))
        .for_element(Locator::Css(css))
        .await
        .unwrap_or_else(|e| panic!("{css}: {e}"))
        .text()
        .await
        .expect("element text")
}

/// Signs in through the page's own form.
async fn sign_in(b: &Driver, base: &str, email: &str, password: &str) {
    b.goto(&format!("{base}/")).await.expect("open /");
    let url = b.current_url().await.expect("url");
    assert!(
        url.path().ends_with("/sign-in"),
        "signed out / goes to the sign-in page: {url}"
    );
    assert!(text_of(b, "h1").await.contains("サインイン"));
    type_into(b, "input[name=email]", email).await;
    type_into(b, "input[name=password]", password).await;
    click(b, "form button[type=submit]").await;
    wait_for(b, "form.sign-out", "signed in: the header has サインアウト").await;
}

async fn coordinator_reads_report(backend: Backend) {
    let server = Server::start(backend).await;
    // A member body uploads seed 000 (through the API; the upload page comes later).
    let admin = api::prefecture_key_client(&server);
    let members = api::demo_members(&admin).await;
    let body = &members[1];
    let key = server.create_key(&body.name, "editor");
    let client = server.client().with_bearer(&key);
    // A new version of its (demo) policy, so the home page's link leads to it.
    let docs = client
        .ok(
            "query($o: ID!) { organisation(id: $o) { documents(first: 5) { nodes { id title } } } }",
            json!({ "o": body.id }),
        )
        .await;
    let document = docs["organisation"]["documents"]["nodes"][0]["id"]
        .as_str()
        .expect("the member's demo document")
        .to_owned();
    let (name, bytes) = api::seed_file("000");
    let up = api::upload(
        &client,
        &body.id,
        Some(&document),
        "情報セキュリティポリシー",
        &name,
        bytes,
    )
    .await;
    let version = up["version"]["id"].as_str().expect("version id").to_owned();
    api::wait_analysis(&client, &version).await;

    let driver = ChromeDriver::start();
    let (b, _) = signed_in(&driver, &server, 1280, "coordinator").await;

    // Home: the member bodies; the one that uploaded links to its report.
    let home = b.source().await.expect("home");
    assert!(
        home.contains(&body.name),
        "the member {} on the home page",
        body.name
    );
    let link = b
        .find(Locator::LinkText(&body.name))
        .await
        .expect("a link to the member's report");
    link.click().await.expect("open the report");
    let heading = text_of(&b, "h1").await;
    assert!(
        heading.contains("分析結果") || heading.contains("情報セキュリティ基本方針"),
        "{heading}"
    );
    let report = b.source().await.expect("report");
    assert!(
        report.contains("総務省ガイドライン（令和"),
        "the edition in words"
    );
    for item in [
        "KH-2-8", "KH-2-9", "KH-2-10", "KH-2-11", "KH-2-12", "KH-6-3",
    ] {
        let row = item_text(&b, item).await;
        assert!(row.contains("欠落"), "{item} is 欠落: {row}");
    }
    let kh7 = item_text(&b, "KH-7").await;
    assert!(kh7.contains("一部不足・緩和"), "KH-7 is weakened: {kh7}");

    // Sign-out ends the session: the report is no longer shown.
    let report_url = b.current_url().await.expect("url");
    click(&b, "form.sign-out button").await;
    wait_for(&b, "input[name=email]", "back at the sign-in page").await;
    b.goto(report_url.as_str()).await.expect("report again");
    let url = b.current_url().await.expect("url");
    assert!(url.path().ends_with("/sign-in"), "signed out: {url}");
    b.close().await.expect("close the browser");
}

/// The text of the item `id`'s block in the report (its element carries `id="item-<ID>"`).
async fn item_text(b: &Driver, id: &str) -> String {
    b.find(Locator::Id(&format!("item-{id}")))
        .await
        .unwrap_or_else(|e| panic!("item {id} in the report: {e}"))
        .text()
        .await
        .expect("item text")
}

async fn query_page(backend: Backend) {
    let server = Server::start(backend).await;
    let driver = ChromeDriver::start();
    let (b, base) = signed_in(&driver, &server, 1280, "admin").await;
    let base = base.as_str();
    b.goto(&format!("{base}/graphiql"))
        .await
        .expect("query page");
    click(&b, "#query-form button[type=submit]").await;
    let started = Instant::now();
    loop {
        let answer = text_of(&b, "#answer").await;
        if answer.contains("actingOrganisation") {
            assert!(answer.contains(api::PREFECTURE), "{answer}");
            break;
        }
        assert!(
            started.elapsed() < Duration::from_secs(20),
            "no answer: {answer}"
        );
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    b.close().await.expect("close the browser");
}

async fn body_uploads(backend: Backend) {
    let server = Server::start(backend).await;
    let driver = ChromeDriver::start();
    let (b, _) = signed_in(&driver, &server, 1280, "member").await;
    b.find(Locator::LinkText("アップロード"))
        .await
        .expect("アップロード in the menu")
        .click()
        .await
        .expect("open the upload page");
    // An unreadable file: a Japanese message with its code, and the form again.
    let junk = junk_file();
    choose_file(&b, junk.path()).await;
    submit(&b).await;
    let alert = text_of(&b, ".alert").await;
    assert!(
        alert.contains("UNDECODABLE") && alert.contains("登録していません"),
        "{alert}"
    );
    // Seed 000 as a new version of the body's policy: the report follows the analysis to its end.
    choose_file(&b, &taisho_testkit::seed_path("000")).await;
    submit(&b).await;
    let started = Instant::now();
    loop {
        if let Ok(row) = b.find(Locator::Id("item-KH-2-8")).await {
            let row = row.text().await.expect("item text");
            assert!(row.contains("欠落"), "KH-2-8 is 欠落: {row}");
            break;
        }
        assert!(
            started.elapsed() < Duration::from_secs(120),
            "the report did not appear by itself"
        );
        tokio::time::sleep(Duration::from_millis(200)).await;
    }
    let kh7 = item_text(&b, "KH-7").await;
    assert!(kh7.contains("一部不足・緩和"), "KH-7 is weakened: {kh7}");
    b.close().await.expect("close the browser");
}

async fn choose_file(b: &Driver, path: &std::path::Path) {
    type_into(b, "input[type=file]", &path.display().to_string()).await;
}

async fn submit(b: &Driver) {
    click(b, "#upload-form button[type=submit]").await;
}

/// Clicks the element `css` selects (it must be there).
async fn click(b: &Driver, css: &str) {
    b.find(Locator::Css(css))
        .await
        .unwrap_or_else(|e| panic!("{css}: {e}"))
        .click()
        .await
        .unwrap_or_else(|e| panic!("click {css}: {e}"));
}

/// Types `text` into the field `css` selects (a file field takes a path).
async fn type_into(b: &Driver, css: &str, text: &str) {
    b.find(Locator::Css(css))
        .await
        .unwrap_or_else(|e| panic!("{css}: {e}"))
        .send_keys(text)
        .await
        .unwrap_or_else(|e| panic!("type into {css}: {e}"));
}

/// Waits up to 20 s for the element `css` selects; `what` says what its presence means.
async fn wait_for(b: &Driver, css: &str, what: &str) {
    b.wait()
        .at_most(Duration::from_secs(20))
        .for_element(Locator::Css(css))
        .await
        .unwrap_or_else(|e| panic!("{what} ({css}): {e}"));
}

/// A new browser at `width` px signed in with the demo sign-in of `role_word`; the server's base URL.
async fn signed_in(
    driver: &ChromeDriver,
    server: &Server,
    width: u32,
    role_word: &str,
) -> (Driver, String) {
    let b = browser(driver, width).await;
    let base = server.client().url("").trim_end_matches('/').to_owned();
    let who = server.sign_in_for(role_word);
    sign_in(&b, &base, &who.email, &who.password).await;
    (b, base)
}

/// A `.txt` file of binary bytes (NULs and invalid UTF-8): what no decoder accepts.
fn junk_file() -> tempfile::NamedTempFile {
    let junk = tempfile::Builder::new()
        .suffix(".txt")
        .tempfile()
        .expect("temp file");
    std::fs::write(junk.path(), [0u8, 159, 146, 150, 0, 1, 2, 3].repeat(64)).expect("junk");
    junk
}
