//! Invariants every successfully read document must hold, whatever the input.

use std::ops::Range;

use taisho_engine::Document;

fn within(text: &str, r: &Range<usize>) -> bool {
    r.start <= r.end
        && r.end <= text.len()
        && text.is_char_boundary(r.start)
        && text.is_char_boundary(r.end)
}

pub fn document(doc: &Document) {
    let original = &doc.original;
    let clean = doc.clean.as_str();
    assert!(!doc.nodes.is_empty(), "a document always has a root node");
    for node in &doc.nodes {
        assert!(
            within(original, &node.range),
            "node range {:?} of {}",
            node.range,
            original.len()
        );
    }
    for s in &doc.sentences {
        assert!(
            within(original, &s.range),
            "sentence range {:?} of {}",
            s.range,
            original.len()
        );
        assert!(
            within(clean, &s.clean),
            "sentence clean {:?} of {}",
            s.clean,
            clean.len()
        );
    }
    let mut bounds: Vec<usize> = clean.char_indices().map(|(i, _)| i).collect();
    bounds.push(clean.len());
    for w in bounds.windows(2) {
        let r = doc.clean.to_original(w[0]..w[1]);
        assert!(
            within(original, &r),
            "clean map {r:?} of {}",
            original.len()
        );
    }
    // The nested view must serialise (it walks every node and sentence id).
    assert!(serde_json::to_string(&doc.tree()).is_ok());
}
