//! The analysis report.

use taisho_engine::analysis::FindingStatus;
use taisho_web::analysis_page;

use crate::{POLICY, analyse, model};

#[test]
fn the_report_lists_the_items_in_scope_escaped() {
    let model = model();
    let a = analyse(POLICY, &model).analysis;
    let html = analysis_page(&a, "方針<案>.txt").expect("renders");
    assert!(html.starts_with("<!DOCTYPE html>\n<html lang=\"ja\">"));
    assert!(html.contains("<title>点検結果: 方針&#60;案&#62;.txt</title>"));
    assert!(!html.contains("<script"), "document text is escaped");
    let shown = a
        .findings
        .iter()
        .filter(|f| f.status != FindingStatus::OutOfScope)
        .count();
    assert!(shown > 0);
    // One row per item in scope, after the header row.
    assert_eq!(html.matches("<tr class=\"").count(), shown);
    assert_eq!(html.matches("<tr").count(), shown + 1);
    assert_eq!(html.matches("<tr").count(), html.matches("</tr>").count());
    let s = &a.summary;
    assert!(html.contains(&format!(
        "<p>充足 {} ／ 弱化 {} ／ 欠落 {} ／ 対象外 {} ／ 独自規定 {}</p>",
        s.covered, s.weakened, s.omitted, s.out_of_scope, s.local_additions
    )));
    assert!(html.ends_with("</table>\n</body>\n</html>\n"));
}
