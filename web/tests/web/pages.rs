//! The 新旧対照表 of two versions and the prefecture's view of its member bodies (heat map and
//! CSV), over the world of `ui`: real use-cases on SQLite.

use actix_web::body::to_bytes;
use actix_web::http::StatusCode;
use actix_web::http::header;
use actix_web::test::{TestRequest, call_service};
use taisho_domain::DocumentId;

use crate::ui::{app, assert_page_headers, sign_in, text, world};

fn get(uri: &str, session: &str) -> actix_http::Request {
    TestRequest::get()
        .uri(uri)
        .insert_header((header::COOKIE, format!("taisho_session={session}")))
        .to_request()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_diff_of_two_versions_underlines_changes_and_marks_moves_by_the_old_numbering() {
    let w = world().await;
    let app = app(&w.services).await;
    let session = sign_in(&app, &w.email).await;
    // Home links the 新旧対照表 of the document with two versions.
    let diff = format!("/documents/{}/diff", w.rules_doc);
    let html = text(call_service(&app, get("/", &session)).await).await;
    assert!(
        html.contains(&format!("href=\"{diff}\"")),
        "home links the diff"
    );
    // Default: the two latest versions, 改正後 (第2版) left, 改正前 (第1版) right.
    let res = call_service(&app, get(&diff, &session)).await;
    assert_eq!(res.status(), StatusCode::OK);
    assert_page_headers(&res);
    let html = text(res).await;
    assert!(
        html.contains("<body class=\"landscape\">"),
        "printed landscape"
    );
    let after = html
        .find("改正後<span class=\"ver\">第2版")
        .expect("改正後 header");
    let before = html
        .find("改正前<span class=\"ver\">第1版")
        .expect("改正前 header");
    assert!(after < before, "改正後 is the left column");
    // 傍線 under the changed phrase on both sides.
    assert!(
        html.contains("<td>職員は、年に<span class=\"bs\">二回</span>、"),
        "new side underlined"
    );
    assert!(
        html.contains("<td>職員は、年に<span class=\"bs\">一回</span>、"),
        "old side underlined"
    );
    assert!(
        html.contains("<tr class=\"hd\"><td>第１章　総則</td>"),
        "headings numbered"
    );
    // The moved provision, marked by its numbering before the amendment.
    assert!(
        html.contains("（改正前の第１章 ５から移動）"),
        "move by the old numbering"
    );
    // Unchanged text collapsed, headings kept; `all=1` shows it.
    assert!(html.contains("<tr class=\"om\"><td>（略）</td><td>（略）</td></tr>"));
    assert!(html.contains("<tr class=\"hd\">"));
    assert!(
        html.contains("Word形式で出力（準備中）"),
        "room for the exports"
    );
    let html =
        text(call_service(&app, get(&format!("{diff}?from=1&to=2&all=1"), &session)).await).await;
    assert!(!html.contains("（略）</td>"));
    assert!(html.contains("本規程は、本町の情報資産を守るため"));
    // The report of the second version links its 新旧対照表.
    let report = format!("/documents/{}/versions/2", w.rules_doc);
    let html = text(call_service(&app, get(&report, &session)).await).await;
    assert!(
        html.contains(&format!("{diff}?from=1&#38;to=2")),
        "links the diff"
    );
    // A foreign document, a missing one, a missing version, a malformed id or number: one 404.
    let mut bodies = Vec::new();
    for uri in [
        format!("/documents/{}/diff", w.foreign_doc),
        format!("/documents/{}/diff", DocumentId::new()),
        format!("{diff}?from=9"),
        format!("{diff}?to=x"),
        "/documents/not-an-id/diff".to_owned(),
    ] {
        let res = call_service(&app, get(&uri, &session)).await;
        assert_eq!(res.status(), StatusCode::NOT_FOUND, "{uri}");
        assert_page_headers(&res);
        bodies.push(text(res).await);
    }
    assert!(bodies[0].contains("ページが見つかりません"));
    assert!(bodies.windows(2).all(|b| b[0] == b[1]), "the same 404");
}

/// A minimal CSV reader for the tests: fields separated by commas, quoted with `"`.
fn csv_records(text: &str) -> Vec<Vec<String>> {
    let mut records = Vec::new();
    for line in text.split("\r\n").filter(|l| !l.is_empty()) {
        let mut fields = Vec::new();
        let mut field = String::new();
        let mut quoted = false;
        let mut chars = line.chars().peekable();
        while let Some(c) = chars.next() {
            match (c, quoted) {
                ('"', true) if chars.peek() == Some(&'"') => {
                    field.push('"');
                    chars.next();
                }
                ('"', _) => quoted = !quoted,
                (',', false) => fields.push(std::mem::take(&mut field)),
                _ => field.push(c),
            }
        }
        fields.push(field);
        records.push(fields);
    }
    records
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_prefecture_sees_its_members_links_evidence_and_downloads_csv() {
    let w = world().await;
    let app = app(&w.services).await;
    let session = sign_in(&app, &w.coordinator_email).await;
    // The menu and the home page lead to the view.
    let html = text(call_service(&app, get("/", &session)).await).await;
    assert!(html.contains("href=\"/prefecture\""));
    let res = call_service(&app, get("/prefecture", &session)).await;
    assert_eq!(res.status(), StatusCode::OK);
    assert_page_headers(&res);
    let html = text(res).await;
    assert!(html.contains("構成団体の点検結果一覧"));
    assert!(
        html.contains("<th scope=row>テスト町"),
        "the member in the heat map"
    );
    assert!(!html.contains("よその市"), "not a member");
    assert!(
        html.contains("<span class=\"k o\">×</span>欠落"),
        "a legend"
    );
    assert!(
        html.contains("<details class=\"heat\" open>"),
        "chapters fold"
    );
    // A cell is a button of the body's form, whose action is the body's report.
    let report = format!("/documents/{}/versions/1", w.town_doc);
    let form = format!("<form id=\"b0\" method=\"get\" action=\"{report}#items\"></form>");
    assert!(html.contains(&form), "{html}");
    let item = html
        .split("<button form=b0 name=item value=")
        .nth(1)
        .and_then(|s| s.split('>').next())
        .expect("a cell with evidence")
        .to_owned();
    // Following it: the body's report, that one item.
    let res = call_service(&app, get(&format!("{report}?item={item}"), &session)).await;
    assert_eq!(res.status(), StatusCode::OK);
    let html = text(res).await;
    assert!(
        html.contains(&format!("id=\"item-{item}\"")),
        "the item's evidence"
    );
    assert_eq!(
        html.matches("<article class=\"item").count(),
        1,
        "only that item"
    );
    // Filters: 対策基準 (the seed has none: the town is not compared), by kind.
    let html = text(call_service(&app, get("/prefecture?layer=taisaku", &session)).await).await;
    assert!(html.contains("対策基準を含む文書がないため比較していない団体：テスト町"));
    let html = text(call_service(&app, get("/prefecture?kind=union", &session)).await).await;
    assert!(html.contains("条件に合う構成団体はありません。"));
    // The CSV: BOM, CRLF, Japanese headers and statuses, a download with a UTF-8 name.
    let res = call_service(&app, get("/prefecture.csv", &session)).await;
    assert_eq!(res.status(), StatusCode::OK);
    let disposition = res
        .headers()
        .get(header::CONTENT_DISPOSITION)
        .and_then(|v| v.to_str().ok())
        .unwrap_or_default()
        .to_owned();
    assert!(disposition.starts_with("attachment;"), "{disposition}");
    assert!(disposition.contains("filename*=UTF-8''"), "{disposition}");
    let bytes = to_bytes(res.into_body()).await.expect("body");
    assert!(bytes.starts_with(b"\xEF\xBB\xBF"), "UTF-8 with BOM");
    let csv = std::str::from_utf8(&bytes[3..]).expect("utf-8");
    assert!(csv.contains("\r\n"));
    let records = csv_records(csv);
    assert_eq!(
        records[0],
        [
            "団体名",
            "団体の種類",
            "文書",
            "版",
            "公開",
            "区分",
            "章",
            "項目ID",
            "項目名",
            "状態"
        ]
    );
    let town: Vec<&Vec<String>> = records.iter().filter(|r| r[0] == "テスト町").collect();
    assert!(!town.is_empty());
    assert!(town.iter().all(|r| r.len() == 10));
    assert!(town.iter().any(|r| r[7] == item));
    assert!(
        town.iter()
            .all(|r| ["充足", "一部不足・緩和", "欠落", "対象外"].contains(&r[9].as_str())),
        "Japanese statuses"
    );
    // Unpublished: statuses only, no link to the text; the CSV keeps the statuses.
    w.services
        .documents()
        .set_unpublished(&w.editor_scope, w.town_doc, true)
        .await
        .expect("unpublished");
    let html = text(call_service(&app, get("/prefecture", &session)).await).await;
    assert!(html.contains("<span class=\"tag\">非公開</span>"));
    assert!(
        html.contains("<th scope=row>テスト町<td class="),
        "statuses shown"
    );
    assert!(!html.contains("<button form="), "no evidence links");
    let res = call_service(&app, get("/prefecture.csv", &session)).await;
    let bytes = to_bytes(res.into_body()).await.expect("body");
    assert!(std::str::from_utf8(&bytes).unwrap().contains(",非公開,"));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_body_gets_the_404_page_for_the_prefecture_view_and_its_csv() {
    let w = world().await;
    let app = app(&w.services).await;
    let session = sign_in(&app, &w.email).await;
    // The 404 page of a foreign document, to compare with.
    let foreign = format!("/documents/{}/versions/1", w.foreign_doc);
    let missing = text(call_service(&app, get(&foreign, &session)).await).await;
    let home = text(call_service(&app, get("/", &session)).await).await;
    assert!(!home.contains("href=\"/prefecture\""), "no menu entry");
    for uri in [
        "/prefecture",
        "/prefecture.csv",
        "/prefecture?layer=taisaku",
    ] {
        let res = call_service(&app, get(uri, &session)).await;
        assert_eq!(res.status(), StatusCode::NOT_FOUND, "{uri}");
        assert_page_headers(&res);
        assert_eq!(text(res).await, missing, "{uri}: the same 404 page");
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_catalog_shows_an_editions_items_and_what_it_changed() {
    let w = world().await;
    let app = app(&w.services).await;
    let session = sign_in(&app, &w.email).await;
    let get = |uri: &str| {
        TestRequest::get()
            .uri(uri)
            .insert_header((header::COOKIE, format!("taisho_session={session}")))
            .to_request()
    };
    // The default edition's 基本方針: items with their 例文, strength and key elements.
    let res = call_service(&app, get("/catalog")).await;
    assert_eq!(res.status(), StatusCode::OK);
    assert_page_headers(&res);
    let html = text(res).await;
    assert!(html.contains("例文カタログ"));
    assert!(html.contains("id=\"item-KH-2-8\""), "KH-2-8 listed");
    assert!(html.contains("義務の程度"));
    assert!(html.contains("基準となる版"), "R5.3 is the base edition");
    // A later edition says what changed against its base; 対策基準 by the layer filter.
    let res = call_service(&app, get("/catalog?edition=R7.3&layer=TK")).await;
    assert_eq!(res.status(), StatusCode::OK);
    let html = text(res).await;
    assert!(html.contains("令和7年3月版"));
    assert!(html.contains("id=\"item-TK-"), "対策基準 items");
    assert!(!html.contains("id=\"item-KH-"), "only the layer asked for");
    assert!(html.contains("からの変更です") || html.contains("変更はありません"));
    // An edition that does not exist is a missing page.
    let res = call_service(&app, get("/catalog?edition=R99.1")).await;
    assert_eq!(res.status(), StatusCode::NOT_FOUND);
}
