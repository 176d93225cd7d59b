//! The SIAGIE back end: an HTTP API for attendance, evaluation, provisioning and the organisation
//! registry.
//!
//! A request enters through [`Application`], passes the middleware of [`router`] and reaches one
//! capability folder (`auth`, `registry`, `provisioning`, `attendance`, `evaluation`, `sync`,
//! `devices`, `audit`, `certificates`, `health`). In each, `routes.rs` is HTTP only and calls the services beside it; every
//! write records its side effects through [`record`]; errors are [`error::ErrorCode`]s.

pub mod admin;
pub mod alerts;
pub mod attendance;
pub mod audit;
pub mod auth;
pub mod certificates;
pub mod config;
pub mod console;
pub mod db;
pub mod devices;
pub mod domain;
pub mod error;
pub mod evaluation;
pub mod exceptional;
pub mod health;
pub mod helpdesk;
pub mod http;
pub mod links;
pub mod openapi;
pub mod page;
pub mod pdf;
pub mod pending;
pub mod provisioning;
pub mod record;
pub mod registry;
pub mod seed;
pub mod serve;
pub mod state;
pub mod sync;
pub mod telemetry;
pub mod time;

use std::time::Duration;

use anyhow::Context;
use axum::{
    Router,
    extract::DefaultBodyLimit,
    http::{HeaderName, Request, StatusCode},
    response::{IntoResponse, Response},
};
use tokio::net::TcpListener;
use tower::ServiceBuilder;
use tower_http::{
    catch_panic::CatchPanicLayer,
    compression::{
        CompressionLayer,
        predicate::{DefaultPredicate, Predicate, SizeAbove},
    },
    decompression::RequestDecompressionLayer,
    request_id::{MakeRequestUuid, PropagateRequestIdLayer, RequestId, SetRequestIdLayer},
    timeout::TimeoutLayer,
    trace::TraceLayer,
};
use utoipa_axum::router::OpenApiRouter;
use utoipa_swagger_ui::SwaggerUi;

use crate::{config::Config, error::ApiError, state::AppState};

/// A built application, bound to its port and ready to serve.
pub struct Application {
    listener: TcpListener,
    router: Router,
    state: AppState,
}

impl Application {
    /// Connects to the database, migrates it, loads the demo world when asked and the database is
    /// empty, and binds the listening socket (port 0 picks a free one).
    pub async fn build(config: Config) -> anyhow::Result<Self> {
        let clock = config.clock.clock();
        clock.scope(Self::build_on(config, clock)).await
    }

    async fn build_on(config: Config, clock: time::Clock) -> anyhow::Result<Self> {
        let jwt_secret = config.jwt_secret()?;
        let certificates = certificates::Certificates::from_config(&config)?;
        let db = db::connect(&config).await?;
        db::migrate(&db).await?;
        if config.demo.seed_on_empty
            && config.mode != config::Mode::Production
            && seed::is_empty(&db).await?
        {
            tracing::info!("empty database: loading the demo world");
            seed::demo::load(&db, time::today_lima()).await?;
        }
        let state = AppState::new(db, config, &jwt_secret, certificates, clock);
        state.certificates.standing.refresh(&state.db).await?;
        let address = format!("{}:{}", state.config.server.host, state.config.server.port);
        let listener = TcpListener::bind(&address)
            .await
            .with_context(|| format!("no se pudo escuchar en {address}"))?;
        Ok(Self {
            router: router(state.clone()),
            listener,
            state,
        })
    }

    /// The bound port.
    pub fn port(&self) -> u16 {
        self.listener
            .local_addr()
            .map(|a| a.port())
            .unwrap_or_default()
    }

    pub fn state(&self) -> &AppState {
        &self.state
    }

    /// Serves until SIGTERM or Ctrl-C, finishing requests in flight.
    pub async fn run_until_stopped(self) -> std::io::Result<()> {
        let clock = self.state.clock;
        clock.scope(self.run()).await
    }

    async fn run(self) -> std::io::Result<()> {
        let mail = &self.state.config.mail;
        match jobs::Mailer::from_config(mail) {
            Ok(mailer) => {
                time::spawn(jobs::outbox::run_sender(
                    self.state.db.clone(),
                    mailer,
                    mail.from.clone(),
                    mail.retry_base_secs,
                    Duration::from_secs(mail.send_interval_secs.max(1)),
                ));
            }
            Err(error) => {
                tracing::error!(%error, "mail transport unavailable: e-mail stays in the outbox")
            }
        }
        let _scheduler = start_jobs(&self.state).await;
        let certificates = &self.state.certificates;
        certificates
            .standing
            .keep_fresh(self.state.db.clone(), certificates.status_refresh);
        // Uploaded files a filing left without its row (a client gone, a server stopped
        // mid-request): swept as the server starts and then every few minutes.
        let (db, data_dir) = (
            self.state.db.clone(),
            self.state.config.storage.data_dir.clone(),
        );
        time::spawn(async move {
            let every = provisioning::files::ORPHAN_AFTER;
            let mut ticker = tokio::time::interval(every);
            loop {
                ticker.tick().await;
                if let Err(error) = provisioning::files::sweep_orphans(&db, &data_dir, every).await
                {
                    tracing::warn!(error = %error, "uploaded files could not be swept");
                }
            }
        });
        tracing::info!(address = %self.listener.local_addr()?, "listening");
        let config = &self.state.config.server;
        let limits = serve::Limits {
            header_timeout: Duration::from_secs(config.header_timeout_secs.max(1)),
            max_connections: config.max_connections,
            clock: self.state.clock,
        };
        serve::serve(self.listener, self.router, limits, shutdown_signal()).await
    }
}

/// Every route of the API with its middleware.
pub fn router(state: AppState) -> Router {
    let api = OpenApiRouter::new()
        .merge(auth::routes::router())
        .merge(registry::router())
        .merge(provisioning::router())
        .merge(audit::router())
        .merge(devices::router())
        .merge(attendance::router())
        .merge(evaluation::router())
        .merge(helpdesk::router())
        .merge(sync::router())
        .merge(certificates::router());
    let (api, openapi) = OpenApiRouter::with_openapi(openapi::document())
        .nest("/api/v1", api)
        .merge(health::router())
        .split_for_parts();
    let openapi = openapi::with_contract(openapi);

    let request_id = HeaderName::from_static("x-request-id");
    let config = &state.config.server;
    api.merge(SwaggerUi::new("/docs").external_url_unchecked("/api/v1/openapi.json", openapi))
        .merge(page::router())
        .merge(auth::page::router())
        .merge(certificates::pages())
        .merge(console::router())
        .fallback(not_found)
        .with_state(state.clone())
        .layer(axum::middleware::from_fn_with_state(
            state.clone(),
            http::idempotency::idempotent,
        ))
        .layer(
            ServiceBuilder::new()
                .layer(SetRequestIdLayer::new(request_id.clone(), MakeRequestUuid))
                .layer(TraceLayer::new_for_http().make_span_with(|request: &Request<_>| {
                    // Only the path: queries may carry document numbers.
                    let id = request
                        .extensions()
                        .get::<RequestId>()
                        .and_then(|id| id.header_value().to_str().ok())
                        .unwrap_or_default();
                    // A certificate's QR path carries its signed content (a name, grades): not logged.
                    let path = request.uri().path();
                    let path = if certificates::page_carries_content(path) { "/V/…" } else { path };
                    tracing::info_span!("request", method = %request.method(), path = %path, request_id = %id)
                }))
                .layer(PropagateRequestIdLayer::new(request_id))
                .layer(CatchPanicLayer::custom(|_| error::internal_error_response()))
                .layer(TimeoutLayer::with_status_code(
                    StatusCode::REQUEST_TIMEOUT,
                    Duration::from_secs(config.request_timeout_secs),
                ))
                // The fastest level: JSON still shrinks several times, for a fraction of the CPU.
                // Answers under 4 KiB go as they are: they fit in the first round trip of a TCP
                // connection either way, so gzip would save no time, and setting up a compressor
                // costs more than the rest of a tablet's push answer.
                .layer(
                    CompressionLayer::new()
                        .quality(tower_http::CompressionLevel::Fastest)
                        .compress_when(DefaultPredicate::new().and(SizeAbove::new(4096))),
                )
                .layer(RequestDecompressionLayer::new())
                .layer(DefaultBodyLimit::max(config.body_limit_bytes)),
        )
        .layer(axum::middleware::from_fn(http::bound_request))
        .layer(axum::middleware::map_response(http::harden))
}

/// Starts the scheduled jobs; a scheduler that cannot start is logged, the API still serves.
pub async fn start_jobs(state: &AppState) -> Option<tokio_cron_scheduler::JobScheduler> {
    let mut jobs = alerts::scheduled(
        state.db.clone(),
        state.config.jobs.clone(),
        state.config.auth.public_base_url.clone(),
    );
    jobs.push(helpdesk::sla_job::scheduled(
        state.db.clone(),
        state.config.helpdesk.clone(),
        state.config.auth.public_base_url.clone(),
    ));
    match jobs::schedule::start(state.db.clone(), &state.config.jobs, jobs, state.clock).await {
        Ok(scheduler) => Some(scheduler),
        Err(error) => {
            tracing::error!(
                error = format!("{error:#}"),
                "the job scheduler did not start"
            );
            None
        }
    }
}

async fn not_found() -> Response {
    ApiError::not_found("la ruta solicitada").into_response()
}

async fn shutdown_signal() {
    let ctrl_c = async {
        let _ = tokio::signal::ctrl_c().await;
    };
    #[cfg(unix)]
    let terminate = async {
        match tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate()) {
            Ok(mut signal) => {
                signal.recv().await;
            }
            Err(_) => std::future::pending::<()>().await,
        }
    };
    #[cfg(not(unix))]
    let terminate = std::future::pending::<()>();
    tokio::select! {
        () = ctrl_c => {},
        () = terminate => {},
    }
    tracing::info!("shutting down: finishing requests in flight");
}
