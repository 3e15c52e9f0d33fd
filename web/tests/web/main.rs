//! The crate's one integration-test binary: each page rendered from real engine results (the
//! engine's character-class tokenizer, so no dictionary is needed), and the browser UI over real
//! use-cases on SQLite (`ui`), with the 新旧対照表 and the prefecture's view (`pages`).

mod analysis;
mod comparison;
mod diff_table;
mod pages;
mod ui;

use taisho_engine::CharClassTokenizer;
use taisho_engine::analysis::PreparedModel;
use taisho_engine::pipeline::{Analysed, Pipeline};
use taisho_engine::{Document, Limits};
use taisho_guideline::{Catalog, EditionId};

/// A plain-text document as the engine reads it.
pub fn read(text: &str) -> Document {
    taisho_engine::read(text.as_bytes(), None, &Limits::default()).expect("reads")
}

/// The default edition of the model, prepared with the character-class tokenizer.
pub fn model() -> PreparedModel {
    let catalog = Catalog::builtin(EditionId::DEFAULT).expect("builtin catalog");
    PreparedModel::new(&catalog, &CharClassTokenizer).expect("model prepares")
}

/// `text` read, tokenised and analysed against `model`.
pub fn analyse(text: &str, model: &PreparedModel) -> Analysed {
    Pipeline::new(&CharClassTokenizer, &Limits::default())
        .analyse(text.as_bytes(), None, model)
        .expect("analyses")
}

/// A policy that holds the first paragraphs of a 基本方針, with markup-like text in it.
pub const POLICY: &str = "\
第１章 情報セキュリティ基本方針

１ 目的
本方針は、本市が保有する情報資産の機密性、完全性及び可用性を維持するため、本市が実施する情報セキュリティ対策について基本的な事項を定めることを目的とする。<script>alert(1)</script>

２ 定義
(1) ネットワーク
コンピュータ等を相互に接続するための通信網及びその構成機器をいう。
";
