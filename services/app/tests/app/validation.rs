//! Validated user text: key names, display names, emails, document titles and file names are
//! refused with `INVALID_ARGUMENT` and a Japanese sentence before any storage call, alike on SQLite
//! and PostgreSQL (which refuses NUL bytes in text itself, so reaching it would be `INTERNAL`).

use taisho_app::AppError;
use taisho_app::accounts::NewUser;
use taisho_app::documents::{DocumentRef, Upload};
use taisho_domain::ErrorCode;
use taisho_store::{Access, Role, documents};

use super::*;
use crate::flow::{EDITION, bodies, seed, user_scope};

/// The error is a refused value with `message`.
fn assert_invalid<T: std::fmt::Debug>(r: Result<T, AppError>, message: &str) {
    match r {
        Err(e @ AppError::Invalid(_)) => {
            assert_eq!(e.code(), ErrorCode::InvalidArgument);
            let AppError::Invalid(m) = e else {
                unreachable!()
            };
            assert_eq!(m, message);
        }
        other => panic!("expected Invalid({message:?}), got {other:?}"),
    }
}

taisho_testkit::backend_test! {
    async fn api_key_names_are_trimmed_bounded_and_free_of_control_characters(db) {
        let store = &db.store;
        let accounts = accounts(store);
        let keys = api_keys(store);
        let o = org(store, &accounts).await;
        let admin = scope(store, o.admin, o.id).await;

        let long = "鍵".repeat(70_000);
        let cases = [
            ("", "API キーの名前を入力してください。"),
            ("\u{3000} ", "API キーの名前を入力してください。"),
            (long.as_str(), "API キーの名前は100文字以内で指定してください。"),
            ("鍵\u{0}", "API キーの名前に制御文字（改行やタブなど）は使用できません。"),
            ("a\nb", "API キーの名前に制御文字（改行やタブなど）は使用できません。"),
        ];
        for (name, message) in cases {
            assert_invalid(keys.create(&admin, o.id, name, Access::Read, None).await, message);
            assert_invalid(keys.create_by_operator(o.id, name, Access::Read).await, message);
        }
        let tx = store.begin(&admin, Mode::Read).await.unwrap();
        assert!(taisho_store::keys::list(&tx, o.id).await.unwrap().is_empty(), "nothing stored");
        tx.rollback().await.unwrap();

        let longest = "鍵".repeat(100);
        let issued = keys.create(&admin, o.id, &format!("  {longest} "), Access::Read, None).await.unwrap();
        assert_eq!(issued.key.name, longest);
        let issued = keys.create_by_operator(o.id, " CI ", Access::Read).await.unwrap();
        assert_eq!(issued.key.name, "CI");
    }
}

taisho_testkit::backend_test! {
    async fn user_emails_and_display_names_are_refused_before_the_store(db) {
        let store = &db.store;
        let accounts = accounts(store);
        let o = org(store, &accounts).await;
        let admin = scope(store, o.admin, o.id).await;
        let t = tag();
        let good_email = format!("new-{t}@example.jp");
        let long_local = format!("{}@example.jp", "a".repeat(65));
        let long_email = format!("a@{}.jp", "b".repeat(300));
        let long_name = "名".repeat(100_000);
        let cases: [(&str, &str, &str); 7] = [
            ("a\u{0}@example.jp", "x", "メールアドレスに制御文字（改行やタブなど）は使用できません。"),
            ("no-at-sign", "x", "メールアドレスの形式が正しくありません。"),
            (&long_local, "x", "メールアドレスの形式が正しくありません。"),
            (&long_email, "x", "メールアドレスが長すぎます（254バイトまで）。"),
            (&good_email, &long_name, "表示名は100文字以内で指定してください。"),
            (&good_email, "名前\u{0}", "表示名に制御文字（改行やタブなど）は使用できません。"),
            (&good_email, "   ", "表示名を入力してください。"),
        ];
        for (email, display_name, message) in cases {
            let r = accounts
                .create_user(&admin, o.id, NewUser {
                    email,
                    display_name,
                    password: "a long enough password",
                    role: Role::Viewer,
                })
                .await;
            assert_invalid(r, message);
            let r = accounts
                .create_user_with_initial_password(&admin, o.id, email, display_name, Role::Viewer)
                .await;
            assert_invalid(r, message);
        }
        assert_eq!(accounts.list_members(&admin, o.id).await.unwrap().len(), 3, "nothing stored");

        // A valid user is stored trimmed and lower-cased.
        let user = accounts
            .create_user(&admin, o.id, NewUser {
                email: &format!("  New-{t}@Example.JP "),
                display_name: "\u{3000}新規 職員 ",
                password: "a long enough password",
                role: Role::Viewer,
            })
            .await
            .unwrap();
        let p = accounts.sign_in(&good_email, "a long enough password", None).await.unwrap();
        assert_eq!(p, Principal::User { user, acting_org: Some(o.id) });
        let tx = store.begin(&admin, Mode::Read).await.unwrap();
        let users = taisho_store::users::profiles(&tx, &[user]).await.unwrap();
        tx.rollback().await.unwrap();
        assert_eq!(users.len(), 1);
        assert_eq!((users[0].email.as_deref(), users[0].display_name.as_str()), (Some(good_email.as_str()), "新規 職員"));
    }
}

taisho_testkit::backend_test! {
    async fn sign_in_and_add_member_with_an_impossible_email_fail_cleanly(db) {
        let store = &db.store;
        let accounts = accounts(store);
        let o = org(store, &accounts).await;
        let admin = scope(store, o.admin, o.id).await;
        let nul = format!("{}\u{0}", o.admin_email);
        let long = format!("{}@example.jp", "a".repeat(100 * 1024));
        for email in [nul.as_str(), long.as_str(), "' OR 1=1 --"] {
            let r = accounts.sign_in(email, PASSWORD, None).await;
            assert!(matches!(r, Err(AppError::InvalidCredentials)), "{email:.40?}: {r:?}");
        }
        assert_invalid(
            accounts.add_member(&admin, o.id, &nul, Role::Viewer).await,
            "メールアドレスに制御文字（改行やタブなど）は使用できません。",
        );
    }
}

fn upload(org: taisho_domain::OrgId, title: &str, file_name: Option<&str>) -> Upload {
    let (_, bytes) = seed("004");
    Upload {
        org,
        document: DocumentRef::New {
            title: title.to_owned(),
            unpublished: false,
        },
        bytes,
        file_name: file_name.map(str::to_owned),
    }
}

taisho_testkit::backend_test! {
    async fn upload_titles_and_file_names_are_refused_before_the_store(db) {
        let store = &db.store;
        let b = bodies(store).await;
        let scope = user_scope(store, b.editor, b.member).await;
        let long_title = "題".repeat(201);
        let long_file = format!("{}.txt", "f".repeat(300));
        let cases = [
            ("題\u{0}名", Some("a.txt"), "題名に制御文字（改行やタブなど）は使用できません。"),
            (long_title.as_str(), Some("a.txt"), "題名は200文字以内で指定してください。"),
            ("  ", Some("a.txt"), "題名を入力してください。"),
            ("基本方針", Some("a\u{0}.txt"), "ファイル名に制御文字（改行やタブなど）は使用できません。"),
            ("基本方針", Some(long_file.as_str()), "ファイル名は255文字以内で指定してください。"),
        ];
        for (title, file_name, message) in cases {
            assert_invalid(
                services(store).documents().upload_version(&scope, upload(b.member, title, file_name), EDITION).await,
                message,
            );
        }
        let r = services(store).documents().upload_version(
            &scope,
            Upload {
                document: DocumentRef::ByTitle("題\u{0}".into()),
                ..upload(b.member, "x", None)
            },
            EDITION,
        )
        .await;
        assert_invalid(r, "題名に制御文字（改行やタブなど）は使用できません。");
        let tx = store.begin(&scope, Mode::Read).await.unwrap();
        assert!(documents::list(&tx, b.member).await.unwrap().is_empty(), "nothing stored");
        tx.rollback().await.unwrap();

        // A blank file name is no hint; the title is stored trimmed.
        let up = services(store).documents().upload_version(&scope, upload(b.member, " 基本方針\u{3000}", Some(" ")), EDITION)
            .await
            .unwrap();
        let tx = store.begin(&scope, Mode::Read).await.unwrap();
        assert_eq!(documents::get(&tx, up.document).await.unwrap().title, "基本方針");
        tx.rollback().await.unwrap();
    }
}
