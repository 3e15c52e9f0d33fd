#![no_main]

use libfuzzer_sys::fuzz_target;
use taisho_engine::{Limits, read};

#[path = "check.rs"]
mod check;

fuzz_target!(|data: &[u8]| {
    if let Ok(doc) = read(data, None, &Limits::default()) {
        check::document(&doc);
    }
});
