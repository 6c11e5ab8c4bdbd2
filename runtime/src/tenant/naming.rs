//! The names schema per tenant gives its schemas: `{prefix}{id}`. One set
//! of rules for the session that routes to a schema
//! (`execute::tenant_session`) and for [`super::TenantSchemas`], which
//! makes them, so a name one accepts the other finds.

use crate::value::Value;

/// PostgreSQL's longest identifier (NAMEDATALEN - 1 bytes): a longer name is
/// cut silently, and two tenants could end up in one schema.
const MAX_NAME: usize = 63;

/// A tenant id as text: integers and strings as written, UUIDs hyphenated
/// (also what `app.tenant_id` holds under row-level security).
pub(crate) fn id_text(id: &Value) -> Result<String, String> {
    match id {
        Value::I16(n) => Ok(n.to_string()),
        Value::I32(n) => Ok(n.to_string()),
        Value::I64(n) => Ok(n.to_string()),
        Value::Text(s) => Ok(s.clone()),
        Value::Uuid(u) => Ok(u.to_string()),
        other => Err(format!(
            "tenant id {other:?} cannot be set in the database session: use an integer, a string or a UUID"
        )),
    }
}

/// A prefix is a plain identifier start, so every name it makes is one
/// too, and not `pg_`, which PostgreSQL reserves.
pub(crate) fn check_prefix(prefix: &str) -> Result<(), String> {
    let mut chars = prefix.chars();
    let first = chars
        .next()
        .is_some_and(|c| c.is_ascii_alphabetic() || c == '_');
    let plain = first && chars.all(|c| c.is_ascii_alphanumeric() || c == '_');
    if plain && prefix.len() < MAX_NAME && !prefix.to_ascii_lowercase().starts_with("pg_") {
        return Ok(());
    }
    Err(format!(
        "the tenant schema prefix {prefix:?} must start with an ASCII letter or `_`, hold only \
         ASCII letters, digits and `_`, and not start with `pg_` (e.g. \"tenant_\")"
    ))
}

/// The schema of tenant `id`: `{prefix}{id}`, unquoted. The id must be
/// ASCII letters, digits, `_` or `-` (so no two ids share a schema and none
/// reads as SQL), and the whole name at most 63 bytes.
pub(crate) fn schema_name(prefix: &str, id: &Value) -> Result<String, String> {
    let id = id_text(id)?;
    if id.is_empty() || !id.chars().all(is_id_char) {
        return Err(format!(
            "tenant id {id:?} cannot name a schema: use ASCII letters, digits, `_` or `-`"
        ));
    }
    let name = format!("{prefix}{id}");
    if name.len() > MAX_NAME {
        return Err(format!(
            "the schema name {name:?} is longer than PostgreSQL's {MAX_NAME} bytes"
        ));
    }
    Ok(name)
}

/// Whether `name` is a schema [`schema_name`] could have made under `prefix`.
pub(crate) fn is_tenant_schema(prefix: &str, name: &str) -> bool {
    name.strip_prefix(prefix)
        .is_some_and(|id| !id.is_empty() && id.chars().all(is_id_char))
        && name.len() <= MAX_NAME
}

fn is_id_char(c: char) -> bool {
    c.is_ascii_alphanumeric() || c == '_' || c == '-'
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn schema_names_are_plain_and_short() {
        assert_eq!(
            schema_name("tenant_", &Value::I64(7)).as_deref(),
            Ok("tenant_7")
        );
        let uuid = uuid::Uuid::nil();
        assert_eq!(
            schema_name("t_", &Value::Uuid(uuid)).unwrap(),
            format!("t_{uuid}")
        );
        assert_eq!(
            schema_name("tenant_", &Value::Text("acme-1".into())).as_deref(),
            Ok("tenant_acme-1")
        );
        assert!(schema_name("tenant_", &Value::Text("a\"; DROP".into())).is_err());
        assert!(schema_name("tenant_", &Value::Text(String::new())).is_err());
        assert!(schema_name("tenant_", &Value::Text("x".repeat(60))).is_err());
        assert!(schema_name("tenant_", &Value::Bool(true)).is_err());
    }

    #[test]
    fn prefixes_are_identifiers() {
        assert!(check_prefix("tenant_").is_ok());
        assert!(check_prefix("_t").is_ok());
        assert!(check_prefix("").is_err());
        assert!(check_prefix("7t").is_err());
        assert!(check_prefix("te-nant").is_err());
        assert!(check_prefix("pg_tenant").is_err());
    }

    #[test]
    fn tenant_schemas_are_recognised_by_name() {
        assert!(is_tenant_schema("tenant_", "tenant_7"));
        assert!(!is_tenant_schema("tenant_", "tenant_"));
        assert!(!is_tenant_schema("tenant_", "public"));
        assert!(!is_tenant_schema("tenant_", "tenant_a b"));
    }
}
