//! `migrate deploy --tenants PREFIX`: every tenant schema of a schema-per-
//! tenant database (`strata::tenant::TenantSchemas`), one report line each.

use std::io::Write;
use std::time::Duration;

use super::write;
use crate::error::Result;
use crate::migrate::files::MigrationsDir;
use crate::tenant::TenantSchemas;

/// Deploys to every tenant schema; `Ok(false)` if any tenant failed (the
/// others are deployed all the same).
pub(super) async fn deploy(
    url: &str,
    prefix: &str,
    dir: MigrationsDir,
    lock_timeout: Duration,
    out: &mut dyn Write,
) -> Result<bool> {
    let tenants = TenantSchemas::new(url, prefix)?
        .migrations(dir)
        .lock_timeout(lock_timeout);
    let reports = tenants.deploy_all().await?;
    if reports.is_empty() {
        write(out, &format!("no tenant schema starts with {prefix:?}\n"))?;
    }
    let mut all_ok = true;
    for report in &reports {
        let line = match &report.applied {
            Ok(names) if names.is_empty() => format!("{}: already up to date\n", report.schema),
            Ok(names) => format!("{}: applied {}\n", report.schema, names.join(", ")),
            Err(e) => {
                all_ok = false;
                format!("{}: FAILED: {e}\n", report.schema)
            }
        };
        write(out, &line)?;
    }
    let failed = reports.iter().filter(|r| r.applied.is_err()).count();
    if failed > 0 {
        write(
            out,
            &format!("{failed} of {} tenant schemas failed\n", reports.len()),
        )?;
    }
    Ok(all_ok)
}
