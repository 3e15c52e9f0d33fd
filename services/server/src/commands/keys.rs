//! `taisho keys create --org ORG [--name NAME] [--role viewer|editor|admin]`: an operator with
//! access to the store makes an API key for an organisation; the key is printed alone on one line.

use anyhow::Context as _;
use taisho_app::import;
use taisho_app::keys::{self, ApiKeys, KeyConfig};
use taisho_app::records::{Access, Role};

use crate::config::{self, Config, StoreFlags};
use crate::runtime::{log, open_store, tokio_runtime};

/// What a key may do: `viewer` reads, `editor` also writes. As in the API (`createApiKey`), keys
/// are never admins: memberships, grants and keys need a signed-in admin, so `admin` is refused.
#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum KeyRole {
    Admin,
    Editor,
    Viewer,
}

impl KeyRole {
    pub fn access(self) -> anyhow::Result<Access> {
        let role = match self {
            KeyRole::Admin => Role::Admin,
            KeyRole::Editor => Role::Editor,
            KeyRole::Viewer => Role::Viewer,
        };
        // The rule is the app's (`createApiKey` applies the same); the wording is the CLI's.
        keys::access_for(role).map_err(|_| {
            anyhow::anyhow!(
                "--role admin: API keys cannot be admins (use viewer or editor; administration \
                 needs a signed-in admin)"
            )
        })
    }
}

pub fn create(config: &Config, org: &str, name: &str, role: KeyRole) -> anyhow::Result<()> {
    let access = role.access()?;
    tokio_runtime()?.block_on(async {
        let store = open_store(config).await?;
        let secret = config::key_secret(config)?;
        let org_id = import::resolve_org(&store, org).await?;
        let keys = ApiKeys::new(store.clone(), KeyConfig::new(secret.expose().as_bytes())?);
        let issued = keys
            .create_by_operator(org_id, name, access)
            .await
            .context("creating the API key")?;
        log(format_args!(
            "API key {} created for organisation {org_id} ({:?}); it is shown once:",
            issued.key.prefix, issued.key.access
        ));
        println!("{}", issued.secret.expose());
        store.close().await?;
        Ok(())
    })
}

#[derive(Debug, clap::Args)]
pub struct Args {
    #[command(subcommand)]
    keys: KeysCommand,
}

#[derive(Debug, clap::Subcommand)]
enum KeysCommand {
    /// Create an API key for an organisation and print it alone on one line of stdout.
    Create {
        /// The organisation: its id or its exact name.
        #[arg(long)]
        org: String,
        /// A name for the key (default: "cli").
        #[arg(long, default_value = "cli")]
        name: String,
        /// What the key may do.
        #[arg(long, value_enum, default_value_t = KeyRole::Viewer)]
        role: KeyRole,
        #[command(flatten)]
        store: StoreFlags,
    },
}

pub fn run(args: Args) -> anyhow::Result<()> {
    match args.keys {
        KeysCommand::Create {
            org,
            name,
            role,
            store,
        } => create(&Config::from_env(&store, None)?, &org, &name, role),
    }
}
