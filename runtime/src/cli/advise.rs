//! `advise`: the index advisor's findings for the database at the URL.

use std::io::Write;

use super::write;
use crate::error::Result;
use crate::schema::ModelSchema;
use crate::Db;

/// Prints the advice; whether there was any finding.
pub(super) async fn advise(
    url: &str,
    models: &[&'static ModelSchema],
    out: &mut dyn Write,
) -> Result<bool> {
    let db = Db::connect_single(url).await?;
    let result = crate::migrate::advisor::advise(&db, models).await;
    db.close().await;
    let advice = result?;
    write(out, &advice.to_string())?;
    Ok(!advice.is_empty())
}
