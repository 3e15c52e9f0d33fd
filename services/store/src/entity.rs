//! sea-orm entities. Private to the crate: tenant tables are reached only through the scoped
//! functions of this crate.

macro_rules! entity {
    ($mod:ident, $table:literal, { $($body:tt)* }) => {
        pub(crate) mod $mod {
            use sea_orm::entity::prelude::*;

            #[derive(Clone, Debug, PartialEq, DeriveEntityModel)]
            #[sea_orm(table_name = $table)]
            pub struct Model {
                $($body)*
            }

            #[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
            pub enum Relation {}

            impl ActiveModelBehavior for ActiveModel {}
        }
    };
}

entity!(organisation, "organisations", {
    #[sea_orm(primary_key, auto_increment = false)]
    pub id: Uuid,
    pub kind: String,
    pub name: String,
    pub prefecture_id: Option<Uuid>,
    pub created_at: ChronoDateTimeUtc,
});

entity!(user, "users", {
    #[sea_orm(primary_key, auto_increment = false)]
    pub id: Uuid,
    pub email: String,
    pub display_name: String,
    pub password_hash: Option<String>,
    pub created_at: ChronoDateTimeUtc,
    pub disabled_at: Option<ChronoDateTimeUtc>,
});

entity!(membership, "memberships", {
    #[sea_orm(primary_key, auto_increment = false)]
    pub user_id: Uuid,
    #[sea_orm(primary_key, auto_increment = false)]
    pub org_id: Uuid,
    pub role: String,
    pub created_at: ChronoDateTimeUtc,
});

entity!(grant, "grants", {
    #[sea_orm(primary_key, auto_increment = false)]
    pub id: Uuid,
    pub grantor_org_id: Uuid,
    pub grantee_org_id: Uuid,
    pub access: String,
    pub text_access: bool,
    pub created_by: Option<Uuid>,
    pub created_at: ChronoDateTimeUtc,
    pub revoked_at: Option<ChronoDateTimeUtc>,
});

entity!(api_key, "api_keys", {
    #[sea_orm(primary_key, auto_increment = false)]
    pub id: Uuid,
    pub org_id: Uuid,
    pub name: String,
    pub prefix: String,
    pub key_hash: String,
    pub access: String,
    pub expires_at: Option<ChronoDateTimeUtc>,
    pub revoked_at: Option<ChronoDateTimeUtc>,
    pub created_by: Option<Uuid>,
    pub created_at: ChronoDateTimeUtc,
    pub last_used_at: Option<ChronoDateTimeUtc>,
});

entity!(document, "documents", {
    #[sea_orm(primary_key, auto_increment = false)]
    pub id: Uuid,
    pub org_id: Uuid,
    pub title: String,
    pub unpublished: bool,
    pub created_at: ChronoDateTimeUtc,
});

entity!(version, "document_versions", {
    #[sea_orm(primary_key, auto_increment = false)]
    pub id: Uuid,
    pub document_id: Uuid,
    pub org_id: Uuid,
    pub seq: i32,
    pub content_hash: String,
    pub byte_len: i64,
    pub encoding: String,
    pub format: String,
    pub layers: String,
    pub uploaded_by: Option<Uuid>,
    pub created_at: ChronoDateTimeUtc,
});

entity!(content, "version_contents", {
    #[sea_orm(primary_key, auto_increment = false)]
    pub version_id: Uuid,
    pub document_id: Uuid,
    pub org_id: Uuid,
    pub original: Vec<u8>,
    pub text: String,
});

entity!(analysis, "analyses", {
    #[sea_orm(primary_key, auto_increment = false)]
    pub id: Uuid,
    pub version_id: Uuid,
    pub org_id: Uuid,
    pub edition: String,
    pub status: String,
    pub result: Json,
    pub created_at: ChronoDateTimeUtc,
});

entity!(finding, "findings", {
    #[sea_orm(primary_key, auto_increment = false)]
    pub analysis_id: Uuid,
    #[sea_orm(primary_key, auto_increment = false)]
    pub item_id: String,
    pub org_id: Uuid,
    pub status: String,
    pub reasons: Json,
});

entity!(audit, "audit_log", {
    #[sea_orm(primary_key, auto_increment = false)]
    pub id: Uuid,
    pub at: ChronoDateTimeUtc,
    pub actor_user_id: Option<Uuid>,
    pub actor_key_id: Option<Uuid>,
    pub acting_org_id: Option<Uuid>,
    pub target_org_id: Option<Uuid>,
    pub action: String,
    pub object_id: Option<Uuid>,
    pub outcome: String,
    pub client_addr: Option<String>,
    pub detail: Option<String>,
});
