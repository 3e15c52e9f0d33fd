//! The item edit table: where each 基本方針 item sits in seed 004 (山武郡市広域水道企業団, a
//! near-copy of the current model) and which edits make sense for it.
//!
//! Anchors are the item's heading line (when it has one) and the opening phrase of its clause,
//! taken from the 004 label's `where` column (`../shared/eval/seed-labels.tsv`). The phrases being
//! edited are searched inside the located clause only, so a phrase may recur elsewhere in the
//! document (「をいう。」) without ambiguity.
//!
//! Deliberately absent:
//! - deleting **KH-4-2** (its heading and list still state the scope) and **KH-6-9-2** (section 8
//!   answers it as well);
//! - every edit of **KH-7** except paraphrase, and deleting **KH-6-9-1**: the model says the same
//!   thing twice (6(9) and 7), and a many-to-many alignment rightly lets the intact twin answer
//!   the edited item, so "exactly this item changes" would be a wrong expectation;
//! - downgrades of definitions, threats and scope statements (「をいう」「とする」 carry no
//!   obligation to weaken), and hedges on them.

use super::{EditKind, Expectation, ExpectedStatus, ReasonKind, SynthError, find_unique};

/// How far an item's clause reaches, and what deleting it removes.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Scope {
    /// The heading is the item's own: deleting removes the heading line and the clause.
    Block,
    /// The clause is one or more sentences under a shared heading.
    Clause,
    /// The clause is one list line (`- (1) …`, `- ① …`).
    Line,
}

/// Where one item sits in the base and how to edit it.
#[derive(Debug, Clone, Copy)]
pub struct ItemSpec {
    pub id: &'static str,
    /// A whole line above the clause; the clause is searched after it.
    pub heading: Option<&'static str>,
    /// The clause's opening phrase.
    pub clause: &'static str,
    pub scope: Scope,
    /// Sentences in the clause (for `Block` and `Clause`).
    pub sentences: usize,
    pub delete: bool,
    /// When the model's twin still answers the item after its clause is deleted: the element
    /// the twin lacks, so the deletion weakens (element missing) instead of omitting.
    pub twin_lacks: Option<&'static str>,
    /// The clause's final predicate as written (with 。) and its plain verb phrase.
    pub downgrade: Option<(&'static str, &'static str)>,
    /// A phrase of the clause before which a hedge is inserted.
    pub hedge_at: Option<&'static str>,
    /// Hedges the model item itself has: never inserted as a "new" hedge.
    pub native_hedges: &'static [&'static str],
    /// (phrase, replacement) pairs removing a frequency word.
    pub frequency: &'static [(&'static str, &'static str)],
    /// (element term, phrase, replacement) pairs removing one required key element.
    pub elements: &'static [(&'static str, &'static str, &'static str)],
    /// (phrase, same-meaning replacement) pairs.
    pub paraphrases: &'static [(&'static str, &'static str)],
    /// (phrase, replacement) pairs narrowing who or what the clause applies to (職員等 → 職員).
    pub narrow: &'static [(&'static str, &'static str)],
    /// (phrase, replacement) pairs giving the clause's duty to another actor role.
    pub actor: &'static [(&'static str, &'static str)],
}

const NONE: ItemSpec = ItemSpec {
    id: "",
    heading: None,
    clause: "",
    scope: Scope::Clause,
    sentences: 1,
    delete: true,
    twin_lacks: None,
    downgrade: None,
    hedge_at: None,
    native_hedges: &[],
    frequency: &[],
    elements: &[],
    paraphrases: &[],
    narrow: &[],
    actor: &[],
};

/// Weaker endings on the modality ladder (pitfalls note): effort duty, effort duty stated as a
/// duty, recommendation, permission. Each is weaker than 講じる / ものとする / しなければならない.
const WEAKER: [&str; 4] = [
    "よう努める。",
    "よう努めなければならない。",
    "ことが望ましい。",
    "ことができる。",
];

/// Hedges seen in municipal texts where the model has none (outline Part 4 W3).
const HEDGES: [&str; 4] = ["原則として、", "可能な限り", "必要に応じて", "できる限り"];

const DEF_PARA: &[(&str, &str)] = &[("をいう。", "を指す。")];
const STATE_PARA: &[(&str, &str)] = &[("確保することをいう。", "確保することを意味する。")];

/// The 基本方針 items of seed 004, in document order.
pub const ITEMS: &[ItemSpec] = &[
    ItemSpec {
        id: "KH-1",
        heading: Some("## 1. 目的"),
        clause: "本基本方針は、山武郡市広域水道企業団",
        scope: Scope::Block,
        elements: &[(
            "可用性",
            "機密性、完全性及び可用性を維持",
            "機密性及び完全性を維持",
        )],
        paraphrases: &[("維持するため、", "維持するために、")],
        ..NONE
    },
    ItemSpec {
        id: "KH-2-1",
        heading: Some("### (1) ネットワーク"),
        clause: "コンピュータ等を相互に接続するための通信網",
        scope: Scope::Block,
        elements: &[(
            "ソフトウェア",
            "（ハードウェア及びソフトウェア）",
            "（ハードウェア）",
        )],
        paraphrases: DEF_PARA,
        ..NONE
    },
    ItemSpec {
        id: "KH-2-2",
        heading: Some("### (2) 情報システム"),
        clause: "コンピュータ、ネットワーク及び電磁的記録媒体で構成され",
        scope: Scope::Block,
        elements: &[(
            "電磁的記録媒体",
            "コンピュータ、ネットワーク及び電磁的記録媒体で構成され",
            "コンピュータ及びネットワークで構成され",
        )],
        paraphrases: DEF_PARA,
        ..NONE
    },
    ItemSpec {
        id: "KH-2-3",
        heading: Some("### (3) 情報セキュリティ"),
        clause: "情報資産の機密性、完全性及び可用性を維持することをいう。",
        scope: Scope::Block,
        elements: &[(
            "可用性",
            "機密性、完全性及び可用性を維持",
            "機密性及び完全性を維持",
        )],
        paraphrases: &[("維持することをいう。", "維持することを意味する。")],
        ..NONE
    },
    ItemSpec {
        id: "KH-2-4",
        heading: Some("### (4) 情報セキュリティポリシー"),
        clause: "本基本方針及び情報セキュリティ対策基準をいう。",
        scope: Scope::Block,
        elements: &[(
            "対策基準",
            "本基本方針及び情報セキュリティ対策基準をいう。",
            "本基本方針をいう。",
        )],
        paraphrases: DEF_PARA,
        ..NONE
    },
    ItemSpec {
        id: "KH-2-5",
        heading: Some("### (5) 機密性"),
        clause: "情報にアクセスすることを認められた者だけが",
        scope: Scope::Block,
        paraphrases: STATE_PARA,
        ..NONE
    },
    ItemSpec {
        id: "KH-2-6",
        heading: Some("### (6) 完全性"),
        clause: "情報が破壊、改ざん又は消去されていない",
        scope: Scope::Block,
        elements: &[(
            "消去",
            "破壊、改ざん又は消去されていない",
            "破壊又は改ざんされていない",
        )],
        paraphrases: STATE_PARA,
        ..NONE
    },
    ItemSpec {
        id: "KH-2-7",
        heading: Some("### (7) 可用性"),
        clause: "情報にアクセスすることを認められた者が、必要なときに",
        scope: Scope::Block,
        elements: &[(
            "中断されることなく",
            "必要なときに中断されることなく、",
            "必要なときに、",
        )],
        paraphrases: STATE_PARA,
        ..NONE
    },
    ItemSpec {
        id: "KH-2-8",
        heading: Some("### (8) マイナンバー利用事務系（個人番号利用事務系）"),
        clause: "個人番号利用事務（社会保障",
        scope: Scope::Block,
        elements: &[(
            "防災",
            "社会保障、地方税若しくは防災に関する事務",
            "社会保障又は地方税に関する事務",
        )],
        paraphrases: DEF_PARA,
        ..NONE
    },
    ItemSpec {
        id: "KH-2-9",
        heading: Some("### (9) LGWAN接続系"),
        clause: "LGWANに接続された情報システム",
        scope: Scope::Block,
        elements: &[(
            "マイナンバー利用事務系",
            "データをいう（マイナンバー利用事務系を除く。）。",
            "データをいう。",
        )],
        paraphrases: &[("データをいう（", "データを指す（")],
        ..NONE
    },
    ItemSpec {
        id: "KH-2-10",
        heading: Some("### (10) インターネット接続系"),
        clause: "インターネットメール、ホームページ管理システム等に関わる",
        scope: Scope::Block,
        elements: &[(
            "ホームページ管理システム",
            "インターネットメール、ホームページ管理システム等に",
            "インターネットメール等に",
        )],
        paraphrases: DEF_PARA,
        ..NONE
    },
    ItemSpec {
        id: "KH-2-11",
        heading: Some("### (11) 通信経路の分割"),
        clause: "LGWAN接続系とインターネット接続系の両環境間",
        scope: Scope::Block,
        elements: &[("分離", "の通信環境を分離した上で、", "で、")],
        paraphrases: &[("ようにすることをいう。", "ようにすることを意味する。")],
        ..NONE
    },
    ItemSpec {
        id: "KH-2-12",
        heading: Some("#### (12) 無害化通信"),
        clause: "インターネットメール本文のテキスト化や",
        scope: Scope::Block,
        elements: &[(
            "画面転送",
            "テキスト化や端末への画面転送等により",
            "テキスト化等により",
        )],
        paraphrases: &[("通信をいう。", "通信を指す。")],
        ..NONE
    },
    ItemSpec {
        id: "KH-3",
        heading: Some("### 3. 対象とする脅威"),
        clause: "情報資産に対する脅威として、以下の脅威を想定し",
        downgrade: Some(("対策を実施する。", "対策を実施する")),
        hedge_at: Some("情報セキュリティ対策を実施する"),
        paraphrases: &[("以下の脅威を想定し", "次の脅威を想定し")],
        ..NONE
    },
    ItemSpec {
        id: "KH-3-1",
        clause: "- (1) 不正アクセス、",
        scope: Scope::Line,
        elements: &[("内部不正", "重要情報の詐取、内部不正等", "重要情報の詐取等")],
        paraphrases: &[(
            "サイバー攻撃や部外者の侵入等",
            "サイバー攻撃、部外者の侵入等",
        )],
        ..NONE
    },
    ItemSpec {
        id: "KH-3-2",
        clause: "- (2) 情報資産の無断持ち出し",
        scope: Scope::Line,
        elements: &[(
            "機器故障",
            "マネジメントの欠陥、機器故障等の",
            "マネジメントの欠陥等の",
        )],
        // The base has the typo 「非意図的的」: correcting it changes nothing.
        paraphrases: &[("非意図的的要因による", "非意図的要因による")],
        ..NONE
    },
    ItemSpec {
        id: "KH-3-3",
        clause: "- (3) 地震、落雷、火災等",
        scope: Scope::Line,
        elements: &[("落雷", "地震、落雷、火災等", "地震、火災等")],
        paraphrases: &[("災害による", "災害に起因する")],
        ..NONE
    },
    ItemSpec {
        id: "KH-3-4",
        clause: "- (4) 大規模・広範囲にわたる",
        scope: Scope::Line,
        elements: &[(
            "要員不足",
            "疾病による要員不足に伴うシステム運用",
            "疾病によるシステム運用",
        )],
        paraphrases: &[("広範囲にわたる", "広範囲に及ぶ")],
        ..NONE
    },
    ItemSpec {
        id: "KH-3-5",
        clause: "- (5) 電力供給の途絶",
        scope: Scope::Line,
        elements: &[(
            "通信の途絶",
            "電力供給の途絶、通信の途絶、水道供給の途絶等",
            "電力供給の途絶、水道供給の途絶等",
        )],
        paraphrases: &[("障害からの波及等", "障害による波及等")],
        ..NONE
    },
    ItemSpec {
        id: "KH-4-1",
        heading: Some("#### (1) 行政機関の範囲"),
        clause: "本基本方針が適用される行政機関は",
        scope: Scope::Block,
        elements: &[(
            "議会事務局",
            "内部部局、行政委員会及び議会事務局とする",
            "内部部局及び行政委員会とする",
        )],
        paraphrases: &[("適用される行政機関は", "適用の対象となる行政機関は")],
        ..NONE
    },
    ItemSpec {
        id: "KH-4-2",
        heading: Some("#### (2) 情報資産の範囲"),
        clause: "本基本方針が対象とする情報資産は",
        // Without its lead the heading 「情報資産の範囲」 and the ①–③ list still state the scope.
        delete: false,
        paraphrases: &[("次のとおりとする。", "以下のとおりとする。")],
        ..NONE
    },
    ItemSpec {
        id: "KH-4-2-1",
        clause: "- ① ネットワーク及び情報システム並びに",
        scope: Scope::Line,
        elements: &[(
            "設備",
            "並びにこれらに関する設備及び電磁的記録媒体",
            "並びに電磁的記録媒体",
        )],
        paraphrases: &[("これらに関する設備", "これらに係る設備")],
        ..NONE
    },
    ItemSpec {
        id: "KH-4-2-2",
        clause: "- ② ネットワーク及び情報システムで取り扱う情報",
        scope: Scope::Line,
        elements: &[(
            "印刷した文書",
            "取り扱う情報（これらを印刷した文書を含む。）",
            "取り扱う情報",
        )],
        paraphrases: &[("印刷した文書を含む。", "印刷した文書も含む。")],
        ..NONE
    },
    ItemSpec {
        id: "KH-4-2-3",
        clause: "- ③ 情報システムの仕様書",
        scope: Scope::Line,
        elements: &[(
            "ネットワーク図",
            "仕様書及びネットワーク図等の",
            "仕様書等の",
        )],
        paraphrases: &[("システム関連文書", "システムに関連する文書")],
        ..NONE
    },
    ItemSpec {
        id: "KH-5",
        heading: Some("### 5. 職員等の遵守義務"),
        clause: "職員、臨時・非常勤職員等（以下",
        scope: Scope::Block,
        downgrade: Some(("遵守しなければならない。", "遵守する")),
        hedge_at: Some("業務の遂行に当たって"),
        elements: &[(
            "実施手順",
            "情報セキュリティポリシー及び情報セキュリティ実施手順を遵守",
            "情報セキュリティポリシーを遵守",
        )],
        paraphrases: &[("業務の遂行に当たって", "業務を遂行するに当たって")],
        // The definition of 職員等 (with 臨時・非常勤) goes too: the document's staff are then
        // only 職員.
        narrow: &[(
            "職員、臨時・非常勤職員等（以下「職員等」という。）は",
            "職員は",
        )],
        actor: &[
            (
                "職員、臨時・非常勤職員等（以下「職員等」という。）は",
                "情報セキュリティ管理者は",
            ),
            (
                "職員、臨時・非常勤職員等（以下「職員等」という。）は",
                "最高情報セキュリティ責任者は",
            ),
        ],
        ..NONE
    },
    ItemSpec {
        id: "KH-6",
        heading: Some("### 6. 情報セキュリティ対策"),
        clause: "上記3の脅威から情報資産を保護するために",
        downgrade: Some(("対策を講じる。", "対策を講じる")),
        hedge_at: Some("以下の情報セキュリティ対策を講じる"),
        paraphrases: &[("保護するために、", "保護するため、")],
        ..NONE
    },
    ItemSpec {
        id: "KH-6-1",
        heading: Some("#### (1) 組織体制"),
        clause: "企業団の情報資産について、情報セキュリティ対策を推進する",
        scope: Scope::Block,
        downgrade: Some(("確立する。", "確立する")),
        hedge_at: Some("企業団の情報資産について"),
        elements: &[("全庁的", "推進する全庁的な組織体制", "推進する組織体制")],
        paraphrases: &[("推進する全庁的な", "推進するための全庁的な")],
        ..NONE
    },
    ItemSpec {
        id: "KH-6-2",
        heading: Some("(2) 情報資産の分類と管理"),
        clause: "企業団の保有する情報資産を機密性",
        scope: Scope::Block,
        downgrade: Some(("対策を実施する。", "対策を実施する")),
        hedge_at: Some("企業団の保有する情報資産を"),
        elements: &[(
            "可用性",
            "機密性、完全性及び可用性に応じて",
            "機密性及び完全性に応じて",
        )],
        paraphrases: &[("当該分類に基づき", "その分類に基づき")],
        ..NONE
    },
    ItemSpec {
        id: "KH-6-3",
        heading: Some("(3) 情報システム全体の強靱性の向上"),
        clause: "情報セキュリティの強化を目的とし",
        downgrade: Some(("対策を講じる。", "対策を講じる")),
        hedge_at: Some("情報システム全体に対し"),
        elements: &[("利便性", "業務の効率性・利便性の観点", "業務の効率性の観点")],
        paraphrases: &[("観点を踏まえ、", "観点を考慮し、")],
        ..NONE
    },
    ItemSpec {
        id: "KH-6-3-1",
        clause: "- ①マイナンバー利用事務系においては",
        scope: Scope::Line,
        downgrade: Some(("流出を防ぐ。", "流出を防ぐ")),
        hedge_at: Some("端末からの情報持ち出し不可設定"),
        native_hedges: &["原則として"],
        elements: &[(
            "多要素認証",
            "情報持ち出し不可設定や端末への多要素認証の導入等により",
            "情報持ち出し不可設定等により",
        )],
        paraphrases: &[("流出を防ぐ。", "流出を防止する。")],
        ..NONE
    },
    ItemSpec {
        id: "KH-6-3-2",
        clause: "- ②L G W A N接続系においては",
        scope: Scope::Line,
        downgrade: Some(("通信経路を分割する。", "通信経路を分割する")),
        hedge_at: Some("L G W A Nと接続する業務用システム"),
        elements: &[(
            "無害化通信",
            "なお、両システム間で通信する場合には、無害化通信を実施する。",
            "",
        )],
        paraphrases: &[("通信する場合には、", "通信するときは、")],
        ..NONE
    },
    ItemSpec {
        id: "KH-6-3-3",
        clause: "- ③インターネット接続系においては",
        scope: Scope::Line,
        downgrade: Some(("導入等を実施する。", "導入等を実施する")),
        hedge_at: Some("不正通信の監視機能の強化等"),
        elements: &[(
            "自治体情報セキュリティクラウド",
            "通信を集約した上で、自治体情報セキュリティクラウドの導入等を実施する。",
            "通信を集約する。",
        )],
        paraphrases: &[("集約した上で、", "集約したうえで、")],
        ..NONE
    },
    ItemSpec {
        id: "KH-6-4",
        heading: Some("(4) 物理的セキュリティ"),
        clause: "サーバ、情報システム室、通信回線",
        scope: Scope::Block,
        downgrade: Some(("対策を講じる。", "対策を講じる")),
        hedge_at: Some("物理的な対策を講じる"),
        elements: &[(
            "情報システム室",
            "サーバ、情報システム室、通信回線",
            "サーバ、通信回線",
        )],
        paraphrases: &[("管理について、", "管理に関して、")],
        // The document defines 職員等 (5.), so a bare 職員 leaves out its 臨時・非常勤 staff.
        narrow: &[("職員等のパソコン", "職員のパソコン")],
        ..NONE
    },
    ItemSpec {
        id: "KH-6-5",
        heading: Some("(5) 人的セキュリティ"),
        clause: "情報セキュリティに関し、職員等が遵守すべき事項",
        scope: Scope::Block,
        downgrade: Some(("対策を講じる。", "対策を講じる")),
        hedge_at: Some("十分な教育及び啓発"),
        elements: &[("啓発", "十分な教育及び啓発を行う", "十分な教育を行う")],
        paraphrases: &[("啓発を行う等の", "啓発を実施する等の")],
        narrow: &[("職員等が遵守すべき", "職員が遵守すべき")],
        ..NONE
    },
    ItemSpec {
        id: "KH-6-6",
        heading: Some("(6) 技術的セキュリティ"),
        clause: "コンピュータ等の管理、アクセス制御",
        scope: Scope::Block,
        downgrade: Some(("対策を講じる。", "対策を講じる")),
        hedge_at: Some("コンピュータ等の管理"),
        elements: &[(
            "不正プログラム対策",
            "アクセス制御、不正プログラム対策、不正アクセス対策等",
            "アクセス制御、不正アクセス対策等",
        )],
        paraphrases: &[("技術的対策を講じる。", "技術的対策を実施する。")],
        ..NONE
    },
    ItemSpec {
        id: "KH-6-7-1",
        heading: Some("(7) 運用"),
        clause: "情報システムの監視、情報セキュリティポリシーの遵守状況の確認",
        downgrade: Some(("講じるものとする。", "講じる")),
        hedge_at: Some("情報システムの監視"),
        elements: &[(
            "監視",
            "情報システムの監視、情報セキュリティポリシーの遵守状況の確認",
            "情報セキュリティポリシーの遵守状況の確認",
        )],
        paraphrases: &[("講じるものとする。", "実施するものとする。")],
        ..NONE
    },
    ItemSpec {
        id: "KH-6-7-2",
        heading: Some("(7) 運用"),
        clause: "また、情報資産に対するセキュリティ侵害",
        downgrade: Some(("計画を策定する。", "計画を策定する")),
        hedge_at: Some("緊急時対応計画を策定する"),
        elements: &[("迅速", "迅速かつ適正に対応する", "適正に対応する")],
        paraphrases: &[("迅速かつ適正に", "迅速かつ適切に")],
        ..NONE
    },
    ItemSpec {
        id: "KH-6-8-1",
        heading: Some("(8) 業務委託と外部サービス（クラウドサービス）の利用"),
        clause: "業務委託を行う場合には、委託事業者を選定し",
        downgrade: Some(("措置を講じる。", "措置を講じる")),
        hedge_at: Some("委託事業者を選定し"),
        native_hedges: &["必要に応じて"],
        elements: &[(
            "情報セキュリティ要件",
            "情報セキュリティ要件を明記した契約を締結し",
            "契約を締結し",
        )],
        paraphrases: &[("行う場合には、", "行うときは、")],
        ..NONE
    },
    ItemSpec {
        id: "KH-6-8-2",
        heading: Some("(8) 業務委託と外部サービス（クラウドサービス）の利用"),
        clause: "外部サービス（クラウドサービス）を利用する場合には",
        downgrade: Some(("策を講じる。", "策を講じる")),
        hedge_at: Some("利用に係る規定を整備し"),
        // 「規定」 stays in the next sentence of 6(8) (「情報を規定し」); 整備 is what is gone.
        elements: &[("整備", "利用に係る規定を整備し対", "対")],
        paraphrases: &[("利用する場合には、", "利用するときは、")],
        ..NONE
    },
    ItemSpec {
        id: "KH-6-8-3",
        heading: Some("(8) 業務委託と外部サービス（クラウドサービス）の利用"),
        clause: "ソーシャルメディアサービスを利用する場合には",
        downgrade: Some(("責任者を定める。", "責任者を定める")),
        hedge_at: Some("ソーシャルメディアサービスの運用手順を定め"),
        elements: &[(
            "責任者",
            "情報を規定し、利用するソーシャルメディアサービスごとの責任者を定める。",
            "情報を規定する。",
        )],
        paraphrases: &[("利用する場合には、", "利用するときは、")],
        ..NONE
    },
    ItemSpec {
        id: "KH-6-9-1",
        heading: Some("#### (9) 評価・見直し"),
        clause: "情報セキュリティポリシーの遵守状況を検証するため、",
        delete: false,
        downgrade: Some(("向上を図る。", "向上を図る")),
        hedge_at: Some("運用改善を行い"),
        native_hedges: &["必要に応じて"],
        frequency: &[
            ("定期的又は必要に応じて", "必要に応じて"),
            ("定期的又は必要に応じて情報", "情報"),
        ],
        elements: &[(
            "自己点検",
            "情報セキュリティ監査及び自己点検を実施し",
            "情報セキュリティ監査を実施し",
        )],
        paraphrases: &[("運用改善を行い、", "運用の改善を行い、")],
        ..NONE
    },
    ItemSpec {
        id: "KH-6-9-2",
        heading: Some("#### (9) 評価・見直し"),
        clause: "情報セキュリティポリシーの見直しが必要な場合は",
        // Section 8 (KH-8) reviews the policy whenever needed too: it rightly answers KH-6-9-2.
        delete: false,
        downgrade: Some(("見直しを行う。", "見直しを行う")),
        hedge_at: Some("情報セキュリティポリシーの見直しが必要な場合は"),
        native_hedges: &["適宜"],
        paraphrases: &[("見直しが必要な場合は、", "見直しが必要なときは、")],
        ..NONE
    },
    ItemSpec {
        id: "KH-7",
        heading: Some("### 7. 情報セキュリティ監査及び自己点検の実施"),
        clause: "情報セキュリティポリシーの遵守状況を検証するため",
        delete: false,
        paraphrases: &[("検証するため、", "検証するために、")],
        ..NONE
    },
    ItemSpec {
        id: "KH-8",
        heading: Some("### 8. 情報セキュリティポリシーの見直し"),
        clause: "情報セキュリティ監査及び自己点検の結果",
        scope: Scope::Block,
        // 6(9)② (「ポリシーの見直しが必要な場合は、適宜…見直しを行う」) is the model's twin of 8:
        // it still states the review, but not its trigger, the change of circumstances.
        twin_lacks: Some("状況の変化"),
        downgrade: Some((
            "情報セキュリティポリシーを見直す。",
            "情報セキュリティポリシーを見直す",
        )),
        hedge_at: Some("情報セキュリティ監査及び自己点検の結果"),
        elements: &[(
            "状況の変化",
            "場合及び情報セキュリティに関する状況の変化に対応するため新たに対策が必要となった場合には",
            "場合には",
        )],
        paraphrases: &[("検討したうえで、", "検討した上で、")],
        ..NONE
    },
    ItemSpec {
        id: "KH-9",
        heading: Some("### 9. 情報セキュリティ対策基準の策定"),
        clause: "上記6、7及び8に規定する",
        scope: Scope::Block,
        downgrade: Some(("対策基準を策定する。", "対策基準を策定する")),
        hedge_at: Some("具体的な遵守事項"),
        elements: &[(
            "判断基準",
            "具体的な遵守事項及び判断基準等を定める",
            "具体的な遵守事項等を定める",
        )],
        paraphrases: &[("実施するために、", "実施するため、")],
        ..NONE
    },
    ItemSpec {
        id: "KH-10-1",
        heading: Some("### 10. 情報セキュリティ実施手順の策定"),
        clause: "情報セキュリティ対策基準に基づき、",
        downgrade: Some(("策定するものとする。", "策定する")),
        hedge_at: Some("情報セキュリティ実施手順を策定する"),
        elements: &[("具体的な手順", "具体的な手順を定めた", "手順を定めた")],
        paraphrases: &[(
            "定めた情報セキュリティ実施手順",
            "定める情報セキュリティ実施手順",
        )],
        ..NONE
    },
    ItemSpec {
        id: "KH-10-2",
        heading: Some("### 10. 情報セキュリティ実施手順の策定"),
        clause: "なお、情報セキュリティ実施手順は",
        paraphrases: &[("おそれがあることから", "おそれがあるため")],
        ..NONE
    },
];

/// Byte ranges of one located item.
struct Located {
    /// What [`EditKind::Delete`] removes.
    delete: std::ops::Range<usize>,
    /// The clause, where the other edits search their phrases.
    clause: std::ops::Range<usize>,
}

impl ItemSpec {
    /// How many cases `edit` has for this item (0 = not applicable).
    pub fn variants(&self, edit: EditKind) -> usize {
        match edit {
            EditKind::Delete => usize::from(self.delete),
            EditKind::Downgrade => 2 * usize::from(self.downgrade.is_some()),
            EditKind::Hedge => usize::from(self.hedge_at.is_some()),
            EditKind::DropFrequency => self.frequency.len(),
            EditKind::DropElement => self.elements.len(),
            EditKind::Paraphrase => self.paraphrases.len(),
            EditKind::NarrowScope => self.narrow.len(),
            EditKind::ChangeActor => self.actor.len(),
        }
    }

    fn position(&self) -> usize {
        ITEMS.iter().position(|i| i.id == self.id).unwrap_or(0)
    }

    fn locate(&self, text: &str) -> Result<Located, SynthError> {
        let (search_from, block_start) = match self.heading {
            Some(h) => {
                let at = find_line(text, h, self.id)?;
                (at + h.len(), at)
            }
            None => (0, usize::MAX),
        };
        let start = find_unique(text, search_from, self.clause, self.id)?;
        let end =
            match self.scope {
                Scope::Line => text[start..]
                    .find('\n')
                    .map_or(text.len(), |i| start + i + 1),
                Scope::Block | Scope::Clause => sentence_end(text, start, self.sentences)
                    .ok_or_else(|| SynthError::NoClauseEnd {
                        item: self.id.to_owned(),
                    })?,
            };
        let delete_start = if self.scope == Scope::Block && block_start != usize::MAX {
            block_start
        } else {
            start
        };
        Ok(Located {
            delete: delete_start..end,
            clause: start..end,
        })
    }

    /// Applies one edit; returns the text, the expectation and a description.
    pub(crate) fn apply(
        &self,
        base: &str,
        edit: EditKind,
        variant: usize,
    ) -> Result<(String, Expectation, String), SynthError> {
        let n = self.variants(edit);
        if n == 0 {
            return Err(SynthError::NotApplicable {
                item: self.id.to_owned(),
                edit: edit.as_str(),
            });
        }
        let v = variant % n;
        let at = self.locate(base)?;
        let clause = &base[at.clause.clone()];
        let weakened = |reason| Expectation {
            item: Some(self.id.to_owned()),
            status: ExpectedStatus::Weakened,
            reason: Some(reason),
            element: None,
        };
        let (text, expected, description) = match edit {
            EditKind::Delete => {
                let mut text = String::with_capacity(base.len());
                text.push_str(&base[..at.delete.start]);
                text.push_str(base[at.delete.end..].trim_start_matches('\n'));
                let expected = match self.twin_lacks {
                    Some(term) => Expectation {
                        item: Some(self.id.to_owned()),
                        status: ExpectedStatus::Weakened,
                        reason: Some(ReasonKind::ElementMissing),
                        element: Some(term.to_owned()),
                    },
                    None => Expectation {
                        item: Some(self.id.to_owned()),
                        status: ExpectedStatus::Omitted,
                        reason: None,
                        element: None,
                    },
                };
                (text, expected, "clause deleted".to_owned())
            }
            EditKind::Downgrade => {
                let (predicate, verb) = self.downgrade.unwrap_or_default();
                // Variant 0 is always the plain effort duty; variant 1 rotates over the rest by
                // item so the ladder's every rung appears across the cases.
                let ending = if v == 0 {
                    WEAKER[0]
                } else {
                    WEAKER[1 + self.position() % (WEAKER.len() - 1)]
                };
                let weaker = format!("{verb}{ending}");
                let text = replace_in(base, &at.clause, predicate, &weaker, self.id)?;
                (
                    text,
                    weakened(ReasonKind::ModalityDowngrade),
                    format!("predicate → …{ending}"),
                )
            }
            EditKind::Hedge => {
                let before = self.hedge_at.unwrap_or_default();
                let start = self.position();
                let hedge = (0..HEDGES.len())
                    .map(|k| HEDGES[(start + k) % HEDGES.len()])
                    .find(|h| {
                        let bare = h.trim_end_matches('、');
                        !clause.contains(bare) && !self.native_hedges.contains(&bare)
                    })
                    .unwrap_or(HEDGES[0]);
                let text = replace_in(
                    base,
                    &at.clause,
                    before,
                    &format!("{hedge}{before}"),
                    self.id,
                )?;
                (
                    text,
                    weakened(ReasonKind::HedgeAdded),
                    format!("hedge {} inserted", hedge.trim_end_matches('、')),
                )
            }
            EditKind::DropFrequency => {
                let (from, to) = self.frequency[v];
                let text = replace_in(base, &at.clause, from, to, self.id)?;
                (
                    text,
                    weakened(ReasonKind::FrequencyRemoved),
                    "frequency word removed".to_owned(),
                )
            }
            EditKind::DropElement => {
                let (term, from, to) = self.elements[v];
                let text = replace_in(base, &at.clause, from, to, self.id)?;
                let mut expected = weakened(ReasonKind::ElementMissing);
                expected.element = Some(term.to_owned());
                (text, expected, format!("element {term} removed"))
            }
            EditKind::NarrowScope => {
                let (from, to) = self.narrow[v];
                let text = replace_in(base, &at.clause, from, to, self.id)?;
                (
                    text,
                    weakened(ReasonKind::ScopeNarrowed),
                    "scope narrowed".to_owned(),
                )
            }
            EditKind::ChangeActor => {
                let (from, to) = self.actor[v];
                let text = replace_in(base, &at.clause, from, to, self.id)?;
                (
                    text,
                    weakened(ReasonKind::ActorChanged),
                    "actor replaced by another role".to_owned(),
                )
            }
            EditKind::Paraphrase => {
                let (from, to) = self.paraphrases[v];
                let text = replace_in(base, &at.clause, from, to, self.id)?;
                (
                    text,
                    Expectation::unchanged(),
                    "same-meaning paraphrase".to_owned(),
                )
            }
        };
        Ok((text, expected, description))
    }
}

/// Finds `line` as a whole line of `text` (at a line start, ending at a line end), exactly once.
fn find_line(text: &str, line: &str, item: &str) -> Result<usize, SynthError> {
    let mut found = None;
    let mut from = 0;
    while let Some(i) = text[from..].find(line) {
        let at = from + i;
        let starts = at == 0 || text.as_bytes()[at - 1] == b'\n';
        let end = at + line.len();
        let ends = end == text.len() || matches!(text.as_bytes()[end], b'\n' | b'\r' | b' ');
        if starts && ends {
            if found.is_some() {
                return Err(SynthError::AnchorNotUnique {
                    item: item.to_owned(),
                    anchor: line.to_owned(),
                });
            }
            found = Some(at);
        }
        from = at + line.len();
    }
    found.ok_or_else(|| SynthError::AnchorNotFound {
        item: item.to_owned(),
        anchor: line.to_owned(),
    })
}

/// The byte offset just after the `n`-th sentence end at or after `from`. A 。 closing a
/// parenthetical (「という。）」) ends no sentence.
pub(crate) fn sentence_end(text: &str, from: usize, n: usize) -> Option<usize> {
    let mut left = n.max(1);
    let mut iter = text[from..].char_indices().peekable();
    while let Some((i, c)) = iter.next() {
        if c == '。' {
            let closes = iter
                .peek()
                .is_some_and(|&(_, d)| matches!(d, '）' | ')' | '」'));
            if !closes {
                left -= 1;
                if left == 0 {
                    return Some(from + i + c.len_utf8());
                }
            }
        }
    }
    None
}

/// Replaces the first `from` inside `range` of `base` by `to`.
fn replace_in(
    base: &str,
    range: &std::ops::Range<usize>,
    from: &str,
    to: &str,
    item: &str,
) -> Result<String, SynthError> {
    let Some(i) = base[range.clone()].find(from) else {
        return Err(SynthError::AnchorNotFound {
            item: item.to_owned(),
            anchor: from.to_owned(),
        });
    };
    let at = range.start + i;
    let mut out = String::with_capacity(base.len() + to.len());
    out.push_str(&base[..at]);
    out.push_str(to);
    out.push_str(&base[at + from.len()..]);
    Ok(out)
}
