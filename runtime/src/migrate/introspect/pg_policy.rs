//! PostgreSQL row-level security read back: a table counts as under strata's
//! tenant policy when it has row-level security enabled and forced
//! (`pg_class.relrowsecurity`, `relforcerowsecurity`) and a policy named
//! `{table}_tenant_isolation`. The policy's condition, as PostgreSQL prints
//! it (`(tenant_id = (NULLIF(current_setting('app.tenant_id'::text, true),
//! ''::text))::bigint)`), is read back into its column and cast type, so a
//! second `generate` after applying sees no change and a changed column type
//! is seen. A condition of another shape (edited by hand) is kept whole as
//! the type, so the diff replaces it with strata's.
//!
//! A table with row-level security only half in place (enabled but not
//! forced, or without the policy) reads as without it.

use super::{text, text_rows};
use crate::error::Result;
use crate::migrate::ddl::rls::TENANT_SETTING;
use crate::migrate::normalize::{self, tokens, tokens::Token};
use crate::migrate::schema::{DbSchema, TenantPolicy};
use crate::render::Dialect;
use crate::Db;

/// Permissive, for every command and every role (`polroles = {0}`): the
/// policy strata creates. Another kind reads as a hand-made condition.
const POLICIES: &str = "SELECT c.relname::text, p.polname::text, \
    pg_get_expr(p.polqual, p.polrelid), pg_get_expr(p.polwithcheck, p.polrelid), \
    (p.polpermissive AND p.polcmd = '*' AND p.polroles = '{0}')::text \
    FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace \
    JOIN pg_policy p ON p.polrelid = c.oid \
    WHERE n.nspname = current_schema() AND c.relkind IN ('r', 'p') \
    AND c.relrowsecurity AND c.relforcerowsecurity \
    AND p.polname = c.relname || '_tenant_isolation' ORDER BY 1";

pub(super) async fn read(db: &Db, schema: &mut DbSchema) -> Result<()> {
    for row in text_rows(db, POLICIES, Vec::new()).await? {
        let (table, name) = (text(&row, 0), text(&row, 1));
        let (using, check) = (text(&row, 2), text(&row, 3));
        let plain = text(&row, 4) == "true";
        let parsed = (plain && using == check).then(|| parse(using)).flatten();
        let (column, ty) = parsed.unwrap_or_else(|| (String::new(), using.to_owned()));
        if let Some(t) = schema.tables.iter_mut().find(|t| t.name == table) {
            t.row_level_security = Some(Box::new(TenantPolicy {
                name: name.to_owned(),
                column,
                ty,
            }));
        }
    }
    Ok(())
}

/// The column and cast type of a condition of strata's shape, `None` for any
/// other. `::text` casts go first: PostgreSQL adds them to the setting's
/// name and to `''`, and writes a text (or varchar) column compared as text.
pub(crate) fn parse(condition: &str) -> Option<(String, String)> {
    let all = tokens::tokenize(condition);
    let mut kept: Vec<Token> = Vec::with_capacity(all.len());
    let mut i = 0;
    while let Some(token) = all.get(i) {
        if token.is_symbol("::") && all.get(i + 1).is_some_and(|t| t.is_word("text")) {
            i += 2;
            continue;
        }
        kept.push(token.clone());
        i += 1;
    }
    let mut rest = kept.iter().skip_while(|t| t.is_symbol("("));
    let column = rest.next()?.ident()?.to_owned();
    let mut rest = rest.skip_while(|t| t.is_symbol(")"));
    if !rest.next()?.is_symbol("=") {
        return None;
    }
    let rest: Vec<&Token> = rest.collect();
    let shape_ok = rest.first().is_some_and(|t| t.is_symbol("("))
        || rest.first().is_some_and(|t| t.is_word("nullif"));
    let names_setting = rest
        .iter()
        .any(|t| matches!(t, Token::Str(s) if s == TENANT_SETTING));
    let reads_setting = rest.iter().any(|t| t.is_word("current_setting"));
    if !(shape_ok && names_setting && reads_setting) {
        return None;
    }
    let ty = match rest.iter().rposition(|t| t.is_symbol("::")) {
        // A text column: no cast left once the `::text` ones are gone.
        None => "text".to_owned(),
        Some(cast) => cast_type(&rest[cast + 1..])?,
    };
    Some((column, ty))
}

/// The type after the last `::`, without the parentheses that close around
/// the cast, canonical.
fn cast_type(after: &[&Token]) -> Option<String> {
    let mut ty: Vec<Token> = after.iter().map(|t| (*t).clone()).collect();
    let balance = |ty: &[Token]| {
        let count = |s: &str| ty.iter().filter(|t| t.is_symbol(s)).count();
        count(")") > count("(")
    };
    while ty.last().is_some_and(|t| t.is_symbol(")")) && balance(&ty) {
        ty.pop();
    }
    match ty.as_slice() {
        [] => None,
        // An enum type: the schema keeps its bare name.
        [Token::Quoted(name)] => Some(name.clone()),
        _ => Some(normalize::column_type(
            Dialect::Postgres,
            &tokens::join(&ty, '"'),
        )),
    }
}

#[cfg(test)]
mod tests {
    use super::parse;

    fn parsed(condition: &str) -> Option<(String, String)> {
        parse(condition)
    }

    #[test]
    fn reads_column_and_type_back_from_postgres_spelling() {
        let pg = |column: &str, cast: &str| {
            format!(
                "({column} = (NULLIF(current_setting('app.tenant_id'::text, true), ''::text)){cast})"
            )
        };
        let pair = |c: &str, t: &str| Some((c.to_owned(), t.to_owned()));
        assert_eq!(
            parsed(&pg("tenant_id", "::bigint")),
            pair("tenant_id", "bigint")
        );
        assert_eq!(
            parsed(&pg("\"Org Id\"", "::integer")),
            pair("Org Id", "integer")
        );
        assert_eq!(parsed(&pg("u", "::uuid")), pair("u", "uuid"));
        assert_eq!(parsed(&pg("e", "::\"Plan\"")), pair("e", "Plan"));
        assert_eq!(
            parsed("(t = NULLIF(current_setting('app.tenant_id'::text, true), ''::text))"),
            pair("t", "text")
        );
        assert_eq!(
            parsed("((v)::text = ((NULLIF(current_setting('app.tenant_id'::text, true), ''::text))::character varying(20))::text)"),
            pair("v", "varchar(20)")
        );
        // strata's own spelling reads the same.
        assert_eq!(
            parsed("\"tenant_id\" = NULLIF(current_setting('app.tenant_id', true), '')::bigint"),
            pair("tenant_id", "bigint")
        );
    }

    #[test]
    fn another_condition_is_not_strata_s() {
        assert_eq!(parsed("(owner = CURRENT_USER)"), None);
        assert_eq!(
            parsed("(tenant_id = (current_setting('app.other'::text))::bigint)"),
            None
        );
    }
}
