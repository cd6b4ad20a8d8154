//! `cargo run -p yauth-demo`: see `yauth_demo::Args` for the flags.

use clap::Parser as _;

fn main() -> anyhow::Result<()> {
    let args = yauth_demo::Args::parse();
    // Before the runtime: the OTLP exporters run on threads of their own.
    let telemetry = yauth_demo::telemetry::init(args.otlp_endpoint.as_deref())?;
    let served = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()?
        .block_on(async {
            let server = yauth_demo::start(args).await?;
            tracing::info!("yauth demo on http://{}/ (API at /api/auth)", server.addr);
            shutdown_signal().await
        });
    // Whatever the exporters still hold goes out before the process ends.
    if let Some(telemetry) = telemetry {
        telemetry.shutdown();
    }
    served
}

/// Ctrl-C or SIGTERM.
async fn shutdown_signal() -> anyhow::Result<()> {
    let mut terminate = tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate())?;
    tokio::select! {
        interrupted = tokio::signal::ctrl_c() => interrupted?,
        _ = terminate.recv() => {}
    }
    Ok(())
}
