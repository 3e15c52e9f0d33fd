//! The comparison of many bodies.

use taisho_engine::comparison::{Comparison, Entry, Shingles};
use taisho_web::comparison_page;

use crate::{POLICY, analyse, model};

#[test]
fn the_page_has_the_matrix_and_the_similarity_escaped() {
    let model = model();
    let first_half = POLICY.split("２ 定義").next().expect("a first half");
    let entries = [("市<甲>", POLICY), ("町&乙", first_half)]
        .into_iter()
        .map(|(name, text)| {
            let analysed = analyse(text, &model);
            Entry {
                name: name.to_owned(),
                source: format!("seeds/\"{name}\".txt"),
                shingles: Shingles::of(&analysed.tokens),
                analysis: analysed.analysis,
            }
        })
        .collect();
    let c = Comparison::of(entries).expect("two bodies");
    let html = comparison_page(&c).expect("renders");
    assert!(html.contains("（2団体）"));
    assert!(html.contains("<th title=\"seeds/&#34;市&#60;甲&#62;&#34;.txt\">市&#60;甲&#62;</th>"));
    assert!(html.contains("<td>市&#60;甲&#62;</td><td>町&#38;乙</td>"));
    assert!(!html.contains("<甲>") && !html.contains("&乙"));
    // One matrix row per item, one cell per body, coloured by status.
    let cells = html.matches("<td class=\"").count();
    assert_eq!(cells, c.matrix.len() * 2);
    let p = &c.similarity[0];
    assert!(html.contains(&format!(
        "<td>{:.3}</td><td>{:.3}</td><td>{:.3}</td></tr>",
        p.jaccard, p.a_in_b, p.b_in_a
    )));
    assert_eq!(html.matches("<tr>").count(), html.matches("</tr>").count());
}
