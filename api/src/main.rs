//! The `siagie` command: serve the API, migrate, seed data, and operator tasks.

use std::io::BufRead;

use anyhow::Context;
use clap::{Args, Parser, Subcommand};
use siagie::{Application, admin, config::Config, db, seed, telemetry, time};

#[derive(Parser)]
#[command(
    name = "siagie",
    version,
    about = "Back end del Sistema de Información de Apoyo a la Gestión de la Institución Educativa"
)]
struct Cli {
    #[command(subcommand)]
    command: Option<Command>,
}

#[derive(Subcommand)]
enum Command {
    /// Start the HTTP server (the default).
    Serve,
    /// Apply pending database migrations and exit.
    Migrate,
    /// Load the demo world or a synthetic dataset.
    Seed(SeedArgs),
    /// Operator tasks.
    #[command(subcommand)]
    Admin(AdminCommand),
    /// Run the scheduled jobs and the mail sender without the HTTP server, or one job now.
    Jobs {
        #[command(subcommand)]
        command: Option<JobsCommand>,
    },
    /// Study certificates (Mi Certificado).
    #[command(subcommand)]
    Certificate(CertificateCommand),
}

#[derive(Subcommand)]
enum CertificateCommand {
    /// Check a certificate offline, with only the published key set: the text of its QR, or the
    /// path of its PDF. Exits with 1 when it is not valid.
    Verify {
        /// The QR text (HTTPS://…/V/…), the payload alone, or a certificate's PDF.
        input: String,
        /// The published key set (`/.well-known/siagie-certificate-keys`), saved as a file.
        #[arg(long)]
        keys: std::path::PathBuf,
    },
}

#[derive(Subcommand)]
enum JobsCommand {
    /// Run one job now: deadline_reminder, overdue_alert, ugel_digest, register_coverage or
    /// helpdesk_sla.
    RunOnce {
        job: String,
        /// Run as if it were this instant (RFC 3339), e.g. to replay a missed day.
        #[arg(long)]
        at: Option<chrono::DateTime<chrono::FixedOffset>>,
    },
}

#[derive(Args)]
struct SeedArgs {
    /// Load the demo world (only into an empty database).
    #[arg(long, conflicts_with = "schools")]
    demo: bool,
    /// Number of synthetic schools to add.
    #[arg(long)]
    schools: Option<u64>,
    /// Sections of each synthetic school (grades 1 to 6, then second sections).
    #[arg(long, default_value_t = 6, requires = "schools")]
    sections_per_school: u64,
    /// Students in each section of a synthetic school.
    #[arg(long, default_value_t = 35, requires = "schools")]
    students_per_section: u64,
}

#[derive(Subcommand)]
enum AdminCommand {
    /// Create a MINEDU administrator; the password is read from the first line of stdin.
    CreateAdmin {
        #[arg(long)]
        username: String,
        #[arg(long)]
        dni: String,
        #[arg(long)]
        paternal_surname: String,
        #[arg(long)]
        maternal_surname: String,
        #[arg(long)]
        given_names: String,
        #[arg(long)]
        email: Option<String>,
    },
}

/// The server allocates and frees many small objects per request (rows, values, JSON), across
/// threads: mimalloc does that with a fraction of the system allocator's work.
#[global_allocator]
static ALLOCATOR: mimalloc::MiMalloc = mimalloc::MiMalloc;

#[tokio::main]
async fn main() {
    if let Err(error) = run().await {
        eprintln!("error: {error:#}");
        std::process::exit(1);
    }
}

async fn run() -> anyhow::Result<()> {
    let cli = Cli::parse();
    // Offline: no configuration, no database.
    if let Some(Command::Certificate(CertificateCommand::Verify { input, keys })) = &cli.command {
        let keys = std::fs::read_to_string(keys)
            .with_context(|| format!("no se pudo leer {}", keys.display()))?;
        match siagie::certificates::offline::verify(input, &keys) {
            Ok(report) => {
                print!("{report}");
                return Ok(());
            }
            Err(reason) => {
                println!("{reason}");
                std::process::exit(1);
            }
        }
    }
    let config = Config::load()?;
    telemetry::init(&config.log);
    // Every command reads the configured clock (the system's unless `clock.start` is set).
    config.clock.clock().scope(command(cli, config)).await
}

async fn command(cli: Cli, mut config: Config) -> anyhow::Result<()> {
    match cli.command.unwrap_or(Command::Serve) {
        // Answered above, before the configuration is read.
        Command::Certificate(_) => {}
        Command::Serve => {
            let app = Application::build(config).await?;
            app.run_until_stopped().await?;
        }
        Command::Migrate => {
            let db = db::connect(&config).await?;
            db::migrate(&db).await?;
            println!("Migraciones aplicadas.");
        }
        Command::Seed(args) => {
            config.demo.seed_on_empty = false;
            let db = db::connect(&config).await?;
            db::migrate(&db).await?;
            if args.demo {
                if !seed::is_empty(&db).await? {
                    anyhow::bail!(
                        "la base de datos ya tiene datos: el mundo de demostración solo se carga en una base vacía"
                    );
                }
                seed::demo::load(&db, time::today_lima()).await?;
                println!(
                    "Mundo de demostración cargado. Contraseña de las cuentas demo: {}",
                    seed::demo::DEMO_PASSWORD
                );
            } else if let Some(schools) = args.schools {
                let size = seed::synthetic::Size {
                    schools,
                    sections_per_school: args.sections_per_school,
                    students_per_section: args.students_per_section,
                };
                seed::synthetic::load(&db, size, true).await?;
                println!("Datos sintéticos cargados: {schools} IE.");
            } else {
                anyhow::bail!("indique --demo o --schools N");
            }
        }
        Command::Jobs {
            command: Some(JobsCommand::RunOnce { job, at }),
        } => {
            let db = db::connect(&config).await?;
            db::migrate(&db).await?;
            let at = at
                .map(|a| a.with_timezone(&chrono::Utc))
                .unwrap_or_else(time::now);
            let summary = match job.as_str() {
                "helpdesk_sla" => {
                    siagie::helpdesk::sla_job::run(
                        &db,
                        &config.helpdesk,
                        siagie::links::Links::new(&config.auth.public_base_url),
                        at,
                    )
                    .await?
                }
                _ => {
                    siagie::alerts::run(
                        &db,
                        &config.jobs,
                        siagie::links::Links::new(&config.auth.public_base_url),
                        &job,
                        at,
                    )
                    .await?
                }
            };
            let mailer = jobs::Mailer::from_config(&config.mail)?;
            let report = jobs::outbox::deliver_due(
                &db,
                &mailer,
                &config.mail.from,
                config.mail.retry_base_secs,
                10_000,
            )
            .await?;
            println!(
                "{summary}; correos enviados: {}, fallidos (se reintentarán): {}, retirados (IE sin director con correo confirmado): {}",
                report.sent, report.failed, report.withdrawn
            );
        }
        Command::Jobs { command: None } => {
            let db = db::connect(&config).await?;
            db::migrate(&db).await?;
            let state = siagie::state::AppState::new(
                db.clone(),
                config.clone(),
                &config.jwt_secret()?,
                siagie::certificates::Certificates::from_config(&config)?,
                time::Clock::current(),
            );
            let _scheduler = siagie::start_jobs(&state).await;
            let mailer = jobs::Mailer::from_config(&config.mail)?;
            tokio::select! {
                () = jobs::outbox::run_sender(db, mailer, config.mail.from.clone(), config.mail.retry_base_secs, std::time::Duration::from_secs(config.mail.send_interval_secs.max(1))) => {}
                _ = tokio::signal::ctrl_c() => {}
            }
        }
        Command::Admin(AdminCommand::CreateAdmin {
            username,
            dni,
            paternal_surname,
            maternal_surname,
            given_names,
            email,
        }) => {
            let mut password = String::new();
            std::io::stdin()
                .lock()
                .read_line(&mut password)
                .context("no se pudo leer la contraseña de stdin")?;
            let db = db::connect(&config).await?;
            db::migrate(&db).await?;
            let input = admin::NewAdmin {
                username,
                dni,
                paternal_surname,
                maternal_surname,
                given_names,
                email,
            };
            admin::create_admin(&db, input, password.trim_end_matches(['\r', '\n'])).await?;
            println!("Administrador creado.");
        }
    }
    Ok(())
}
