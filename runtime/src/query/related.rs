//! Conditions on and counts of a row's related rows, as correlated subqueries
//! in the same statement: relation filters (`User::posts().some(..)`,
//! `Post::author().is(..)`) are `[NOT] EXISTS (..)`, and `with_count` reads
//! `(SELECT COUNT(*) ..)` next to the model's columns. No query runs per row.
//!
//! The subquery's table is aliased by the renderer (`"t1"`, `"t2"`.. by
//! depth), its own columns are qualified with that alias, and it reaches the
//! row around it through [`Expr::Outer`], so self-relations and nested
//! relation filters need nothing special here:
//!
//! ```sql
//! -- User::posts().some(Post::published().eq(true))
//! EXISTS (SELECT 1 FROM "posts" AS "t1" WHERE ("t1"."author_id" = "users"."id" AND "t1"."published" = $1))
//! -- Post::tags().some(Tag::name().eq("rust")), through the join table
//! EXISTS (SELECT 1 FROM "post_tags" AS "t1" WHERE ("t1"."post_id" = "posts"."id"
//!   AND EXISTS (SELECT 1 FROM "tags" AS "t2" WHERE ("t2"."id" = "t1"."tag_id" AND "t2"."name" = $1))))
//! ```

use super::ast::{CompareOp, Expr, InvalidExpr, Projection, Select};
use super::filter::{Filter, IntoFilter};
use crate::error::{Error, Result};
use crate::relation::{resolve, BelongsToSlot, HasMany, HasOne, Link, Relation, ToOneKey};
use crate::schema::{FromRow, Model, ModelSchema, PartialModel, RelationSchema};

/// To-many relations (`has_many`, `many_to_many`): a condition on the set of
/// related rows. The relation's own [`Relation::filter`], if any, first
/// narrows which related rows are considered.
impl<P: Model, C: PartialModel> Relation<P, C, HasMany<C>> {
    /// Rows with at least one related row matching `filter`:
    /// `EXISTS (related rows AND filter)`.
    ///
    /// ```ignore
    /// User::find_many().filter(User::posts().some(Post::published().eq(true)))
    /// ```
    pub fn some(self, filter: impl IntoFilter<C>) -> Filter<P> {
        self.exists(filter.into_filter().expr, false)
    }

    /// Rows whose related rows all match `filter`, including rows with no
    /// related rows: `NOT EXISTS (related rows AND (filter) IS NOT TRUE)`. A
    /// related row for which `filter` is unknown (it compares a NULL) does not
    /// match it, so it fails `every`.
    pub fn every(self, filter: impl IntoFilter<C>) -> Filter<P> {
        let violation = Expr::IsNotTrue(Box::new(filter.into_filter().expr));
        self.exists(violation, true)
    }

    /// Rows with no related row matching `filter` (rows with no related rows
    /// at all included): `NOT EXISTS (related rows AND filter)`.
    pub fn none(self, filter: impl IntoFilter<C>) -> Filter<P> {
        self.exists(filter.into_filter().expr, true)
    }
}

/// `has_one`: a condition on the one related row, which may not exist.
impl<P: Model, C: PartialModel> Relation<P, C, HasOne<C>> {
    /// Rows whose related row exists and matches `filter`.
    pub fn is(self, filter: impl IntoFilter<C>) -> Filter<P> {
        self.exists(filter.into_filter().expr, false)
    }

    /// Rows without a related row matching `filter`, rows with no related row
    /// included.
    pub fn is_not(self, filter: impl IntoFilter<C>) -> Filter<P> {
        self.exists(filter.into_filter().expr, true)
    }
}

/// `belongs_to`: a condition on the row this one points to (none when a
/// nullable foreign key is NULL).
impl<P: Model, K: ToOneKey> Relation<P, K::Model, BelongsToSlot<K>> {
    /// Rows whose related row exists and matches `filter`.
    ///
    /// ```ignore
    /// Post::find_many().filter(Post::author().is(User::role().eq(Role::Admin)))
    /// ```
    pub fn is(self, filter: impl IntoFilter<K::Model>) -> Filter<P> {
        self.exists(filter.into_filter().expr, false)
    }

    /// Rows without a related row matching `filter`; a NULL foreign key
    /// points to no row, so such rows are included.
    pub fn is_not(self, filter: impl IntoFilter<K::Model>) -> Filter<P> {
        self.exists(filter.into_filter().expr, true)
    }
}

impl<P: Model, C, S> Relation<P, C, S> {
    /// `[NOT] EXISTS` of the related rows matching the relation's filter and
    /// `condition`.
    fn exists(self, condition: Expr, negated: bool) -> Filter<P> {
        let condition = match self.spec.filter {
            Some(own) => Expr::all(vec![own, condition]),
            None => condition,
        };
        Filter::new(exists(P::SCHEMA, self.spec.schema, condition, negated))
    }

    /// `(SELECT COUNT(*) ..)` of the related rows matching the relation's filter.
    fn count_expr(&self) -> Expr {
        let condition = self.spec.filter.clone();
        match related_rows(P::SCHEMA, self.spec.schema, Projection::CountAll, condition) {
            Ok(query) => Expr::Subquery(Box::new(query)),
            Err(invalid) => Expr::Invalid(invalid),
        }
    }
}

/// `[NOT] EXISTS (SELECT 1 ..)` of the rows of `relation` related to the
/// enclosing row of `parent` and matching `condition`.
fn exists(
    parent: &'static ModelSchema,
    relation: &'static RelationSchema,
    condition: Expr,
    negated: bool,
) -> Expr {
    match related_rows(parent, relation, Projection::One, Some(condition)) {
        Ok(query) => Expr::Exists {
            query: Box::new(query),
            negated,
        },
        Err(invalid) => Expr::Invalid(invalid),
    }
}

/// `SELECT projection FROM child WHERE child.key = outer.key AND condition`:
/// the related rows of the enclosing row of `parent`. Many-to-many goes
/// through the join table, with the condition on the child in a nested
/// EXISTS, so a user's filter only ever sees the child table:
/// `SELECT .. FROM join WHERE join.parent_side = outer.key AND EXISTS
/// (SELECT 1 FROM child WHERE child.key = join.child_side AND condition)`.
/// A count there counts links, which is the number of related rows as long
/// as the join table holds each pair once (its primary key does).
fn related_rows(
    parent: &'static ModelSchema,
    relation: &'static RelationSchema,
    projection: Projection,
    condition: Option<Expr>,
) -> Result<Select, InvalidExpr> {
    let link = resolve(parent, relation).map_err(|e| invalid(parent, relation, e))?;
    let child_model = relation.target();
    let Link {
        parent: parent_key,
        child: child_key,
        join,
        ..
    } = link;
    let Some(join) = join else {
        let mut parts = equal_to_outer(&child_key, parent.table, &parent_key);
        parts.extend(condition);
        let mut select = Select::new(child_model.table, projection);
        select.filter = Some(Expr::all(parts));
        return Ok(select);
    };
    let mut parts = equal_to_outer(&join.parent_side, parent.table, &parent_key);
    if let Some(condition) = condition {
        let mut child = Select::new(child_model.table, Projection::One);
        let mut child_parts = equal_to_outer(&child_key, join.table.table, &join.child_side);
        child_parts.push(condition);
        child.filter = Some(Expr::all(child_parts));
        parts.push(Expr::Exists {
            query: Box::new(child),
            negated: false,
        });
    }
    let mut select = Select::new(join.table.table, projection);
    select.filter = Some(Expr::all(parts));
    Ok(select)
}

/// `inner[i] = outer_table.outer[i]` for each column pair.
fn equal_to_outer(
    inner: &[&'static crate::schema::ColumnSchema],
    outer_table: &'static str,
    outer: &[&'static crate::schema::ColumnSchema],
) -> Vec<Expr> {
    inner
        .iter()
        .zip(outer)
        .map(|(&inner, &column)| {
            Expr::Compare(
                Box::new(Expr::Column(inner)),
                CompareOp::Eq,
                Box::new(Expr::Outer {
                    table: outer_table,
                    column,
                }),
            )
        })
        .collect()
}

/// A resolution error as an expression the statement carries to `exec`.
fn invalid(parent: &ModelSchema, relation: &RelationSchema, error: Error) -> InvalidExpr {
    match error {
        Error::InvalidValue {
            model,
            field,
            reason,
        } => InvalidExpr {
            model,
            field,
            reason,
        },
        other => InvalidExpr {
            model: parent.name,
            field: Some(relation.field),
            reason: other.to_string(),
        },
    }
}

type SetCount<M> = Box<dyn Fn(&mut M, u64) + Send + Sync>;

/// The relation counts a read of `M` carries (`with_count`): one computed
/// column each after the model's columns, stored into the relation's holder
/// as each row is decoded.
pub(crate) struct Counts<M> {
    exprs: Vec<Expr>,
    setters: Vec<SetCount<M>>,
}

impl<M: Model> Counts<M> {
    #[inline(always)]
    pub fn new() -> Self {
        Counts {
            exprs: Vec::new(),
            setters: Vec::new(),
        }
    }

    #[inline(always)]
    pub fn push<C: PartialModel>(&mut self, relation: Relation<M, C, HasMany<C>>) {
        self.exprs.push(relation.count_expr());
        let slot = relation.slot;
        self.setters
            .push(Box::new(move |row, count| slot(row).set_count(count)));
    }

    #[inline(always)]
    pub fn is_empty(&self) -> bool {
        self.exprs.is_empty()
    }

    /// The count subqueries, in the order rows carry them.
    #[inline(always)]
    pub fn exprs(&self) -> &[Expr] {
        &self.exprs
    }

    /// Reads the counts that follow a row's columns (from `*index` on) into
    /// `model`: for a decoder that reads more after them (joined includes).
    #[inline(always)]
    pub fn read(
        &self,
        model: &mut M,
        row: crate::schema::Row<'_>,
        index: &mut usize,
    ) -> Result<(), sqlx::Error> {
        for set in &self.setters {
            let count = i64::from_row(row, index)?;
            set(model, u64::try_from(count).unwrap_or(0));
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    //! The subquery shapes on hand-written schemas (the blog schema's are
    //! snapshotted per dialect in strata-tests).
    use super::*;
    use crate::query::ast::Statement;
    use crate::render::{render, render_checked, Dialect};
    use crate::schema::test_schema::{self, column};
    use crate::schema::{ColumnSchema, ForeignKeySchema, ReferentialAction, RelationKind, SqlType};
    use crate::value::Value;

    const fn relation(
        field: &'static str,
        kind: RelationKind,
        target: fn() -> &'static ModelSchema,
        target_name: &'static str,
    ) -> RelationSchema {
        RelationSchema {
            field,
            name: None,
            kind,
            target,
            target_name,
            fields: &[],
            references: &[],
            join: None,
            implicit_join: false,
            through: None,
        }
    }

    fn users() -> &'static ModelSchema {
        &USERS
    }
    fn posts() -> &'static ModelSchema {
        &POSTS
    }
    fn tags() -> &'static ModelSchema {
        &TAGS
    }
    fn post_tags() -> &'static ModelSchema {
        &POST_TAGS
    }

    const fn model(
        name: &'static str,
        table: &'static str,
        columns: &'static [ColumnSchema],
        foreign_keys: &'static [ForeignKeySchema],
        relations: &'static [RelationSchema],
    ) -> ModelSchema {
        ModelSchema {
            foreign_keys,
            relations,
            ..test_schema::model(name, table, columns)
        }
    }

    const fn foreign_key(
        columns: &'static [usize],
        target: fn() -> &'static ModelSchema,
    ) -> ForeignKeySchema {
        ForeignKeySchema {
            name: "fk",
            columns,
            target,
            target_fields: &["id"],
            on_delete: ReferentialAction::Cascade,
            on_update: ReferentialAction::Cascade,
        }
    }

    static USERS: ModelSchema = model(
        "User",
        "users",
        &[
            column("id", SqlType::Text, false),
            column("name", SqlType::Text, true),
            column("manager_id", SqlType::Text, true),
        ],
        &[],
        &[
            relation("posts", RelationKind::HasMany, posts, "Post"),
            RelationSchema {
                name: Some("management"),
                fields: &[2],
                references: &["id"],
                ..relation("manager", RelationKind::BelongsTo, users, "User")
            },
            RelationSchema {
                name: Some("management"),
                ..relation("reports", RelationKind::HasMany, users, "User")
            },
            // No `belongs_to` on Tag points back: does not resolve.
            relation("broken", RelationKind::HasMany, tags, "Tag"),
        ],
    );

    static POSTS: ModelSchema = model(
        "Post",
        "posts",
        &[
            column("id", SqlType::Int, false),
            column("author_id", SqlType::Text, false),
            column("published", SqlType::Bool, false),
            column("rating", SqlType::Double, true),
        ],
        &[],
        &[
            RelationSchema {
                fields: &[1],
                references: &["id"],
                ..relation("author", RelationKind::BelongsTo, users, "User")
            },
            RelationSchema {
                join: Some(post_tags),
                ..relation("tags", RelationKind::ManyToMany, tags, "Tag")
            },
        ],
    );

    static TAGS: ModelSchema = model(
        "Tag",
        "tags",
        &[
            column("id", SqlType::Int, false),
            column("name", SqlType::Text, false),
        ],
        &[],
        &[],
    );

    static POST_TAGS: ModelSchema = model(
        "PostTag",
        "post_tags",
        &[
            column("post_id", SqlType::Int, false),
            column("tag_id", SqlType::Int, false),
        ],
        &[foreign_key(&[0], posts), foreign_key(&[1], tags)],
        &[],
    );

    fn rel(model: &'static ModelSchema, field: &str) -> &'static RelationSchema {
        model.relations.iter().find(|r| r.field == field).unwrap()
    }

    fn eq(column: &'static ColumnSchema, value: Value) -> Expr {
        Expr::Compare(
            Box::new(Expr::Column(column)),
            CompareOp::Eq,
            Box::new(Expr::Value(value)),
        )
    }

    /// `SELECT "id" FROM <model> WHERE <filter>` for `dialect`.
    fn sql(model: &'static ModelSchema, filter: Expr, dialect: Dialect) -> String {
        let mut select = Select::new(model.table, Projection::Columns(vec![model.column(0)]));
        select.filter = Some(filter);
        render(&Statement::Select(select), dialect).sql
    }

    #[test]
    fn to_many_some_is_a_correlated_exists() {
        let published = eq(POSTS.column(2), Value::Bool(true));
        let filter = exists(&USERS, rel(&USERS, "posts"), published, false);
        assert_eq!(
            sql(&USERS, filter, Dialect::Postgres),
            r#"SELECT "id" FROM "users" WHERE EXISTS (SELECT 1 FROM "posts" AS "t1" WHERE ("t1"."author_id" = "users"."id" AND "t1"."published" = $1))"#
        );
    }

    #[test]
    fn every_excludes_rows_where_the_condition_is_unknown() {
        let rated = Expr::Compare(
            Box::new(Expr::Column(POSTS.column(3))),
            CompareOp::Gt,
            Box::new(Expr::Value(Value::F64(3.0))),
        );
        let violation = Expr::IsNotTrue(Box::new(rated));
        let filter = exists(&USERS, rel(&USERS, "posts"), violation, true);
        assert_eq!(
            sql(&USERS, filter, Dialect::MySql),
            "SELECT `id` FROM `users` WHERE NOT EXISTS (SELECT 1 FROM `posts` AS `t1` WHERE (`t1`.`author_id` = `users`.`id` AND (`t1`.`rating` > ?) IS NOT TRUE))"
        );
    }

    #[test]
    fn self_relations_read_the_same_table_under_an_alias() {
        let named = eq(USERS.column(1), Value::Text("Ann".into()));
        let reports = exists(&USERS, rel(&USERS, "reports"), named.clone(), false);
        assert_eq!(
            sql(&USERS, reports, Dialect::Sqlite),
            r#"SELECT "id" FROM "users" WHERE EXISTS (SELECT 1 FROM "users" AS "t1" WHERE ("t1"."manager_id" = "users"."id" AND "t1"."name" = ?))"#
        );
        let manager = exists(&USERS, rel(&USERS, "manager"), named, true);
        assert_eq!(
            sql(&USERS, manager, Dialect::Sqlite),
            r#"SELECT "id" FROM "users" WHERE NOT EXISTS (SELECT 1 FROM "users" AS "t1" WHERE ("t1"."id" = "users"."manager_id" AND "t1"."name" = ?))"#
        );
    }

    #[test]
    fn nested_relation_filters_refer_to_the_enclosing_alias() {
        let named = eq(USERS.column(1), Value::Text("Ann".into()));
        let by_ann = exists(&POSTS, rel(&POSTS, "author"), named, false);
        let filter = exists(&USERS, rel(&USERS, "posts"), by_ann, false);
        assert_eq!(
            sql(&USERS, filter, Dialect::Postgres),
            r#"SELECT "id" FROM "users" WHERE EXISTS (SELECT 1 FROM "posts" AS "t1" WHERE ("t1"."author_id" = "users"."id" AND EXISTS (SELECT 1 FROM "users" AS "t2" WHERE ("t2"."id" = "t1"."author_id" AND "t2"."name" = $1))))"#
        );
    }

    #[test]
    fn many_to_many_goes_through_the_join_table() {
        let rust = eq(TAGS.column(1), Value::Text("rust".into()));
        let filter = exists(&POSTS, rel(&POSTS, "tags"), rust, false);
        assert_eq!(
            sql(&POSTS, filter, Dialect::Postgres),
            r#"SELECT "id" FROM "posts" WHERE EXISTS (SELECT 1 FROM "post_tags" AS "t1" WHERE ("t1"."post_id" = "posts"."id" AND EXISTS (SELECT 1 FROM "tags" AS "t2" WHERE ("t2"."id" = "t1"."tag_id" AND "t2"."name" = $1))))"#
        );
    }

    #[test]
    fn counts_are_computed_columns() {
        let mut select = Select::new("users", Projection::Columns(vec![USERS.column(0)]));
        let published = eq(POSTS.column(2), Value::Bool(true));
        let count = related_rows(
            &USERS,
            rel(&USERS, "posts"),
            Projection::CountAll,
            Some(published),
        );
        select
            .computed
            .push(Expr::Subquery(Box::new(count.unwrap())));
        let tags = related_rows(&POSTS, rel(&POSTS, "tags"), Projection::CountAll, None);
        let mut by_post = Select::new("posts", Projection::Columns(vec![POSTS.column(0)]));
        by_post
            .computed
            .push(Expr::Subquery(Box::new(tags.unwrap())));
        assert_eq!(
            render(&Statement::Select(select), Dialect::Postgres).sql,
            r#"SELECT "id", (SELECT COUNT(*) FROM "posts" AS "t1" WHERE ("t1"."author_id" = "users"."id" AND "t1"."published" = $1)) FROM "users""#
        );
        assert_eq!(
            render(&Statement::Select(by_post), Dialect::Postgres).sql,
            r#"SELECT "id", (SELECT COUNT(*) FROM "post_tags" AS "t1" WHERE "t1"."post_id" = "posts"."id") FROM "posts""#
        );
    }

    #[test]
    fn an_unresolved_relation_is_an_error_at_exec_not_a_panic() {
        let named = eq(TAGS.column(1), Value::Text("x".into()));
        let filter = exists(&USERS, rel(&USERS, "broken"), named, false);
        assert!(matches!(filter, Expr::Invalid(_)));
        assert_eq!(
            sql(&USERS, filter.clone(), Dialect::Sqlite),
            r#"SELECT "id" FROM "users" WHERE 1 = 0"#
        );
        let mut select = Select::new("users", Projection::One);
        select.filter = Some(Expr::Not(Box::new(filter)));
        let error = render_checked(&Statement::Select(select), Dialect::Sqlite).unwrap_err();
        assert!(
            matches!(
                error,
                crate::Error::InvalidValue {
                    model: "User",
                    field: Some("broken"),
                    ..
                }
            ),
            "{error:?}"
        );
    }

    #[test]
    fn an_alias_never_hides_a_table_of_the_same_name() {
        static T1: ModelSchema = model("T1", "t1", &[column("id", SqlType::Int, false)], &[], &[]);
        let mut select = Select::new("t1", Projection::One);
        let mut inner = Select::new("t1", Projection::Columns(vec![T1.column(0)]));
        inner.filter = Some(Expr::Compare(
            Box::new(Expr::Column(T1.column(0))),
            CompareOp::Eq,
            Box::new(Expr::Outer {
                table: "t1",
                column: T1.column(0),
            }),
        ));
        select.filter = Some(Expr::Exists {
            query: Box::new(inner),
            negated: false,
        });
        assert_eq!(
            render(&Statement::Select(select), Dialect::Sqlite).sql,
            r#"SELECT 1 FROM "t1" WHERE EXISTS (SELECT "t1_"."id" FROM "t1" AS "t1_" WHERE "t1_"."id" = "t1"."id")"#
        );
    }
}
