//! `--otlp-endpoint`: yauth's spans and counters exported over OTLP/HTTP (protobuf).

use opentelemetry::trace::TracerProvider as _;
use opentelemetry_otlp::{Protocol, WithExportConfig as _};
use opentelemetry_sdk::Resource;
use opentelemetry_sdk::metrics::{PeriodicReader, SdkMeterProvider};
use opentelemetry_sdk::trace::SdkTracerProvider;
use tracing_subscriber::Layer as _;
use tracing_subscriber::layer::SubscriberExt as _;
use tracing_subscriber::util::SubscriberInitExt as _;

/// The exporters; [`Telemetry::shutdown`] sends what is still buffered.
pub struct Telemetry {
    traces: SdkTracerProvider,
    metrics: SdkMeterProvider,
}

impl Telemetry {
    /// Flushes and stops both exporters (blocks until they are done).
    pub fn shutdown(self) {
        if let Err(e) = self.traces.shutdown() {
            eprintln!("telemetry: the span exporter did not shut down cleanly: {e}");
        }
        if let Err(e) = self.metrics.shutdown() {
            eprintln!("telemetry: the metric exporter did not shut down cleanly: {e}");
        }
    }
}

/// The signal's URL under an OTLP/HTTP base (`http://collector:4318` →
/// `http://collector:4318/v1/traces`), as the exporters' `OTEL_EXPORTER_OTLP_ENDPOINT` means it.
pub fn signal_url(base: &str, signal: &str) -> String {
    format!("{}/v1/{signal}", base.trim_end_matches('/'))
}

/// Installs the process's `tracing` subscriber: the log on stderr (filtered by `RUST_LOG`)
/// and, with an OTLP base URL, yauth's spans to the collector and the global meter provider
/// (before yauth is built: the telemetry plugin creates its counters then). Only yauth's
/// request and repository spans are exported (targets `yauth::request` and `yauth::repo`),
/// never log events: a log line may quote what a span must not (a database error naming a
/// value), and another crate's span may record its arguments. Call it outside an async runtime: the
/// exporters' HTTP client is a blocking one, on the SDK's own threads.
pub fn init(otlp_endpoint: Option<&str>) -> anyhow::Result<Option<Telemetry>> {
    let log = tracing_subscriber::fmt::layer().with_filter(
        tracing_subscriber::EnvFilter::try_from_default_env()
            .unwrap_or_else(|_| "info,sqlx=warn".into()),
    );
    let Some(base) = otlp_endpoint else {
        tracing_subscriber::registry().with(log).init();
        return Ok(None);
    };
    // The exporters' HTTP client has no TLS provider of its own: ring, like the rest of the
    // build (an error only means one is installed already).
    let _ = rustls::crypto::ring::default_provider().install_default();
    if !(base.starts_with("http://") || base.starts_with("https://")) {
        anyhow::bail!("--otlp-endpoint must be an http(s) URL, not `{base}`");
    }
    let resource = Resource::builder().with_service_name("yauth-demo").build();
    let spans = opentelemetry_otlp::SpanExporter::builder()
        .with_http()
        .with_protocol(Protocol::HttpBinary)
        .with_endpoint(signal_url(base, "traces"))
        .build()?;
    let traces = SdkTracerProvider::builder()
        .with_batch_exporter(spans)
        .with_resource(resource.clone())
        .build();
    let counters = opentelemetry_otlp::MetricExporter::builder()
        .with_http()
        .with_protocol(Protocol::HttpBinary)
        .with_endpoint(signal_url(base, "metrics"))
        .build()?;
    let metrics = SdkMeterProvider::builder()
        .with_reader(PeriodicReader::builder(counters).build())
        .with_resource(resource)
        .build();
    opentelemetry::global::set_meter_provider(metrics.clone());
    let otel = tracing_opentelemetry::layer()
        .with_tracer(traces.tracer("yauth"))
        .with_filter(tracing_subscriber::filter::filter_fn(|meta| {
            meta.is_span() && matches!(meta.target(), "yauth::request" | "yauth::repo")
        }));
    tracing_subscriber::registry().with(log).with(otel).init();
    Ok(Some(Telemetry { traces, metrics }))
}
