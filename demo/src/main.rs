//! `cargo run -p yauth-demo`: see `yauth_demo::Args` for the flags.

use clap::Parser as _;

#[tokio::main]
async fn main() -> anyhow::Result<()> {
    tracing_subscriber::fmt()
        .with_env_filter(
            tracing_subscriber::EnvFilter::try_from_default_env()
                .unwrap_or_else(|_| "info,sqlx=warn".into()),
        )
        .init();
    let args = yauth_demo::Args::parse();
    let server = yauth_demo::start(args).await?;
    tracing::info!("yauth demo on http://{}/ (API at /api/auth)", server.addr);
    tokio::signal::ctrl_c().await?;
    Ok(())
}
