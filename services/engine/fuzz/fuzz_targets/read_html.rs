#![no_main]

//! Like `read`, but with an HTML hint so short inputs without a doctype reach the HTML stripper.

use libfuzzer_sys::fuzz_target;
use taisho_engine::{Limits, read};

#[path = "check.rs"]
mod check;

fuzz_target!(|data: &[u8]| {
    if let Ok(doc) = read(data, Some("page.html"), &Limits::default()) {
        check::document(&doc);
    }
});
