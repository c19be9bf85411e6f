//! The `lsscp` command: runs the system, or one of its parts, or an administrative task.
//!
//! With no arguments (`cargo run --release`) it runs everything in one process, on the
//! embedded default unless `DATABASE_URL`, `REDIS_URL` and `SMTP_URL` say otherwise.

use clap::{Parser, Subcommand};
use domain::clock::SystemClock;
use infra::Settings;
use lsscp::Role;
use std::io::BufRead;
use std::process::ExitCode;
use std::sync::Arc;

#[global_allocator]
static ALLOCATOR: mimalloc::MiMalloc = mimalloc::MiMalloc;

#[derive(Parser)]
#[command(name = "lsscp", version, about = "The LSSCP backend")]
struct Cli {
    #[command(subcommand)]
    command: Option<Command>,
}

#[derive(Subcommand)]
enum Command {
    /// Run the API and the workers in one process (the default).
    Serve,
    /// Run only the GraphQL API.
    Api,
    /// Run only the workers. Run as many as you like, each with its own WORKER_NAME.
    Worker,
    /// Apply pending database migrations, then exit.
    Migrate,
    /// Create the first program officer (or make an existing account one). The password
    /// is read from the first line of standard input.
    CreateOfficer {
        #[arg(long)]
        email: String,
        #[arg(long)]
        name: String,
    },
}

#[tokio::main]
async fn main() -> ExitCode {
    tracing_subscriber::fmt()
        .with_env_filter(
            tracing_subscriber::EnvFilter::try_from_default_env()
                .unwrap_or_else(|_| "info,sqlx=warn,sea_orm=warn".into()),
        )
        .init();
    match run(Cli::parse()).await {
        Ok(()) => ExitCode::SUCCESS,
        Err(message) => {
            eprintln!("error: {message}");
            ExitCode::FAILURE
        }
    }
}

async fn run(cli: Cli) -> Result<(), String> {
    let settings = Settings::from_env().map_err(|e| e.to_string())?;
    let clock = Arc::new(SystemClock);
    let role = match cli.command.unwrap_or(Command::Serve) {
        Command::Serve => Role::All,
        Command::Api => Role::Api,
        Command::Worker => Role::Worker,
        Command::Migrate => {
            let db = infra::database::connect(&settings.database_url)
                .await
                .map_err(|e| e.to_string())?;
            infra::database::migrate(&db)
                .await
                .map_err(|e| e.to_string())?;
            println!("migrations applied");
            return Ok(());
        }
        Command::CreateOfficer { email, name } => {
            let password = std::io::stdin()
                .lock()
                .lines()
                .next()
                .ok_or("no password on standard input")?
                .map_err(|e| e.to_string())?;
            let (services, _queue) = lsscp::connect(&settings, clock)
                .await
                .map_err(|e| e.to_string())?;
            let account =
                domain::services::accounts::create_officer(&services, &email, &name, password)
                    .await
                    .map_err(|e| match e {
                        domain::DomainError::Invalid(v) => v
                            .into_iter()
                            .map(|v| v.message)
                            .collect::<Vec<_>>()
                            .join(" "),
                        other => format!("{other:?}"),
                    })?;
            println!(
                "{} is a program officer (account {})",
                account.email, account.id
            );
            return Ok(());
        }
    };
    let timing = worker::Timing::from_env()?;
    let system = lsscp::start(&settings, clock, role, timing)
        .await
        .map_err(|e| e.to_string())?;
    if let Some(addr) = system.addr {
        tracing::info!("GraphQL at http://{addr}/graphql, GraphiQL at http://{addr}/");
    }
    let shutdown = system.shutdown_handle();
    tokio::spawn(async move {
        stop_signal().await;
        tracing::info!("shutting down");
        let _ = shutdown.send(true);
    });
    system.wait().await;
    Ok(())
}

/// Ctrl-C, or SIGTERM from a container runtime.
async fn stop_signal() {
    let ctrl_c = tokio::signal::ctrl_c();
    #[cfg(unix)]
    {
        let mut term =
            match tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate()) {
                Ok(term) => term,
                Err(_) => {
                    let _ = ctrl_c.await;
                    return;
                }
            };
        tokio::select! {
            _ = ctrl_c => {}
            _ = term.recv() => {}
        }
    }
    #[cfg(not(unix))]
    {
        let _ = ctrl_c.await;
    }
}
