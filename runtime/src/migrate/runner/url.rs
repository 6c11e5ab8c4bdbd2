//! What the runner needs to know about a database URL: which one to migrate
//! with (`DIRECT_URL` over `DATABASE_URL`), whether it points at a connection
//! pooler, and whether it is a local database `reset` may wipe.

use crate::error::{Error, Result};

/// The URLs a migration command can take its database from, in the order
/// they win: an explicit `--url`, `DIRECT_URL`, `DATABASE_URL`.
#[derive(Debug, Clone, Default)]
pub struct UrlSources {
    pub explicit: Option<String>,
    pub direct_url: Option<String>,
    pub database_url: Option<String>,
}

impl UrlSources {
    /// Reads `DIRECT_URL` and `DATABASE_URL` from the environment.
    pub fn from_env(explicit: Option<String>) -> Self {
        let var = |name| std::env::var(name).ok().filter(|v: &String| !v.is_empty());
        UrlSources {
            explicit,
            direct_url: var("DIRECT_URL"),
            database_url: var("DATABASE_URL"),
        }
    }

    /// The URL to migrate with. `DATABASE_URL` is refused when it points at
    /// a pooler and no `DIRECT_URL` is set: the migration lock is a session
    /// advisory lock, and a transaction-mode pooler (PgBouncer) hands each
    /// transaction to whichever server connection is free, so the lock, the
    /// session's settings and a no-transaction migration's statements would
    /// each land on a different connection.
    pub fn choose(&self) -> Result<String> {
        if let Some(url) = self.explicit.clone().or_else(|| self.direct_url.clone()) {
            return Ok(url);
        }
        let Some(url) = self.database_url.clone() else {
            return Err(Error::InvalidUrl {
                url: String::new(),
                reason: "no database URL: set DIRECT_URL or DATABASE_URL, or pass --url",
            });
        };
        if is_pooler(&url) {
            return Err(Error::InvalidUrl {
                url: redact(&url),
                reason:
                    "DATABASE_URL points at a connection pooler (pgbouncer=true or port 6432); \
                         migrations need a direct connection, because the migration lock (a \
                         session advisory lock) and session settings do not survive transaction \
                         pooling: set DIRECT_URL to the database's own address",
            });
        }
        Ok(url)
    }
}

/// Whether `url` goes through a connection pooler: `pgbouncer=true` in the
/// query string (Prisma's convention) or PgBouncer's default port 6432.
pub fn is_pooler(url: &str) -> bool {
    let parts = UrlParts::parse(url);
    let flagged = parts.query.split('&').any(|pair| {
        pair.split_once('=')
            .is_some_and(|(k, v)| k == "pgbouncer" && v.eq_ignore_ascii_case("true"))
    });
    flagged || parts.port == Some("6432")
}

/// Whether `url` is a database on this machine: a SQLite file or memory
/// database, or a server at localhost, 127.0.0.1, ::1 or a unix socket.
pub fn is_local(url: &str) -> bool {
    if url.starts_with("sqlite:") {
        return true;
    }
    let parts = UrlParts::parse(url);
    let socket_param = parts.query.split('&').any(|pair| {
        pair.split_once('=').is_some_and(|(k, v)| {
            (k == "host" && (v.starts_with('/') || v.starts_with("%2F")))
                || k == "socket"
                || k == "unix_socket"
        })
    });
    let host = parts.host.trim_start_matches('[').trim_end_matches(']');
    socket_param
        || host.is_empty()
        || host.starts_with('/')
        || host.starts_with("%2F")
        || host.eq_ignore_ascii_case("localhost")
        || host == "127.0.0.1"
        || host == "::1"
}

/// The URL without its password, for messages.
pub(crate) fn redact(url: &str) -> String {
    let Some((scheme, rest)) = url.split_once("://") else {
        return url.to_string();
    };
    let authority_end = rest.find(['/', '?']).unwrap_or(rest.len());
    match rest[..authority_end].rfind('@') {
        Some(at) => match rest[..at].split_once(':') {
            Some((user, _)) => format!("{scheme}://{user}:***{}", &rest[at..]),
            None => url.to_string(),
        },
        None => url.to_string(),
    }
}

/// The pieces of `scheme://user:pass@host:port/path?query` the checks read.
struct UrlParts<'a> {
    host: &'a str,
    port: Option<&'a str>,
    query: &'a str,
}

impl<'a> UrlParts<'a> {
    fn parse(url: &'a str) -> Self {
        let rest = url.split_once("://").map_or(url, |(_, rest)| rest);
        let (before_query, query) = rest.split_once('?').unwrap_or((rest, ""));
        let authority = before_query.split('/').next().unwrap_or_default();
        let host_port = authority.rsplit_once('@').map_or(authority, |(_, h)| h);
        let (host, port) = match host_port.rfind(']') {
            // [::1]:5432
            Some(close) => {
                let port = host_port[close + 1..].strip_prefix(':');
                (&host_port[..=close], port)
            }
            None => match host_port.rsplit_once(':') {
                Some((host, port)) => (host, Some(port)),
                None => (host_port, None),
            },
        };
        UrlParts { host, port, query }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn sources(explicit: Option<&str>, direct: Option<&str>, database: Option<&str>) -> UrlSources {
        UrlSources {
            explicit: explicit.map(Into::into),
            direct_url: direct.map(Into::into),
            database_url: database.map(Into::into),
        }
    }

    #[test]
    fn direct_url_wins_over_database_url() {
        let pooled = "postgres://app:secret@pool.internal:6432/app";
        let direct = "postgres://app:secret@db.internal:5432/app";
        assert_eq!(
            sources(None, Some(direct), Some(pooled)).choose().unwrap(),
            direct
        );
        assert_eq!(
            sources(Some("sqlite://x.db"), Some(direct), Some(pooled))
                .choose()
                .unwrap(),
            "sqlite://x.db"
        );
        let plain = "postgres://app@db.internal/app";
        assert_eq!(sources(None, None, Some(plain)).choose().unwrap(), plain);
    }

    #[test]
    fn a_pooler_without_direct_url_is_refused_and_explained() {
        for pooled in [
            "postgres://app:secret@pool.internal:6432/app",
            "postgres://app:secret@pool.internal/app?pgbouncer=true&sslmode=require",
        ] {
            let err = sources(None, None, Some(pooled)).choose().unwrap_err();
            let message = err.to_string();
            assert!(message.contains("DIRECT_URL"), "{message}");
            assert!(message.contains("advisory lock"), "{message}");
            assert!(!message.contains("secret"), "password leaked: {message}");
        }
        assert!(sources(None, None, None).choose().is_err());
    }

    #[test]
    fn pooler_detection() {
        assert!(is_pooler("postgres://u@h:6432/db"));
        assert!(is_pooler("postgres://u@h/db?pgbouncer=true"));
        assert!(!is_pooler("postgres://u@h:5432/db?pgbouncer=false"));
        assert!(!is_pooler("postgres://u@h:64320/db"));
        assert!(!is_pooler("mysql://root@127.0.0.1:3306/test"));
    }

    #[test]
    fn local_urls() {
        for local in [
            "sqlite://app.db",
            "sqlite::memory:",
            "postgres://postgres@localhost/db",
            "postgres://postgres@127.0.0.1:5432/db",
            "postgres://postgres@[::1]:5432/db",
            "postgres:///db",
            "postgres://u@%2Fvar%2Frun%2Fpostgresql/db",
            "postgres://u@/db?host=/var/run/postgresql",
            "mysql://root@localhost/db?socket=/tmp/mysql.sock",
            "mysql://root@127.0.0.1:3306/test",
        ] {
            assert!(is_local(local), "{local} should be local");
        }
        for remote in [
            "postgres://u:p@db.example.com/db",
            "postgres://u@10.0.0.5:5432/db",
            "mysql://root@prod-db:3306/app",
            "postgres://u@localhost.evil.com/db",
        ] {
            assert!(!is_local(remote), "{remote} should not be local");
        }
    }

    #[test]
    fn redacts_passwords() {
        assert_eq!(redact("postgres://u:pw@h/db"), "postgres://u:***@h/db");
        assert_eq!(redact("postgres://u@h/db"), "postgres://u@h/db");
    }
}
