//! Nested writes on `many_to_many`: rows of the join table, whose
//! `parent_side` holds the parent's key and `child_side` the child's
//! (`_follows` `A`/`B`, or a join model such as `PostTag`).
//!
//! ```sql
//! -- connect     SELECT "id" FROM "tags" WHERE "name" = $key
//! --             INSERT INTO "post_tags" ("post_id", "tag_id") VALUES ($p, $t)
//! --               ON CONFLICT ("post_id", "tag_id") DO UPDATE SET "post_id" = $p
//! -- disconnect  DELETE FROM "post_tags" WHERE ("post_id" = $p AND EXISTS (SELECT 1 FROM "tags" AS "t1"
//! --               WHERE ("t1"."id" = "post_tags"."tag_id" AND "t1"."name" = $key)))
//! -- set         one SELECT per key, DELETE FROM "post_tags" WHERE "post_id" = $p, one INSERT
//! -- create      INSERT INTO "tags" .. (read back on MySQL), then the link INSERT
//! -- update      UPDATE "tags" SET .. WHERE ("name" = $key AND EXISTS (SELECT 1 FROM "post_tags" AS "t1"
//! --               WHERE ("t1"."tag_id" = "tags"."id" AND "t1"."post_id" = $p)))
//! ```
//!
//! A link is inserted with an upsert that rewrites the parent's own key
//! value, so connecting a row that is already related is a no-op on every
//! database (PostgreSQL refuses a bare column on the right of `DO UPDATE
//! SET` as ambiguous, and `DO NOTHING` has no MySQL spelling). A join table
//! without a unique key over both sides is checked with a SELECT first.

use super::api::ManyOp;
use super::{eq_all, has_null, misfit, positions, related_not_found, select_one, values_of};
use crate::error::Result;
use crate::execute::Db;
use crate::intercept::chain::Op;
use crate::intercept::Action;
use crate::query::ast::{
    AssignValue, Assignment, CompareOp, Delete, Expr, Insert, OnConflict, Projection, Select,
    Statement,
};
use crate::query::{Create, DeleteMany, Filter, UniqueKey};
use crate::relation::{JoinLink, Link};
use crate::schema::{ColumnSchema, Model, RelationSchema};
use crate::value::Value;

/// The parent's links, as the statements see them.
struct Links<'a, P, C> {
    db: &'a Db,
    relation: &'static RelationSchema,
    join: &'a JoinLink,
    /// The child's columns the join table's `child_side` holds, and their
    /// positions.
    child_key: &'a [&'static ColumnSchema],
    child_positions: Vec<usize>,
    parent_key: Vec<Value>,
    _models: std::marker::PhantomData<fn() -> (P, C)>,
}

pub(super) async fn run<P: Model, C: Model>(
    op: ManyOp<P, C>,
    db: &Db,
    parent: &P,
    link: &Link,
    join: &JoinLink,
    relation: &'static RelationSchema,
) -> Result<()> {
    let parent_key = values_of(parent, P::SCHEMA, &positions(P::SCHEMA, &link.parent)?)?;
    if has_null(&parent_key) {
        return Err(misfit(
            P::SCHEMA,
            relation,
            "the row's key for this relation is NULL, so it cannot be linked".into(),
        ));
    }
    let links = Links::<P, C> {
        db,
        relation,
        join,
        child_key: &link.child,
        child_positions: positions(C::SCHEMA, &link.child)?,
        parent_key,
        _models: std::marker::PhantomData,
    };
    links.write(op, parent).await
}

impl<P: Model, C: Model> Links<'_, P, C> {
    async fn write(&self, op: ManyOp<P, C>, parent: &P) -> Result<()> {
        match op {
            ManyOp::Create(build) => {
                let child = self.create(build(parent)).await?;
                self.link(vec![child]).await
            }
            ManyOp::CreateMany(build) => {
                let mut children = Vec::new();
                for row in build(parent) {
                    children.push(self.create(row).await?);
                }
                self.link(children).await
            }
            ManyOp::Connect(key) => {
                let child = self.existing(&key).await?;
                self.link(vec![child]).await
            }
            ManyOp::ConnectOrCreate(key, build) => {
                let child = match self.lookup(&key).await? {
                    Some(child) => child,
                    None => self.create(build(parent)).await?,
                };
                self.link(vec![child]).await
            }
            ManyOp::Disconnect(Some(key)) => {
                let matched = self.delete_links(self.unlink_filter(&key)).await?;
                self.found(matched)
            }
            ManyOp::Set(keys) => {
                let mut children = Vec::with_capacity(keys.len());
                for key in &keys {
                    children.push(self.existing(key).await?);
                }
                let all = eq_all(&self.join.parent_side, &self.parent_key);
                self.delete_links(all).await?;
                self.link(children).await
            }
            ManyOp::Update(Some(key), changes) => {
                let matched = changes.retarget(self.linked(&key)).exec(self.db).await?;
                self.found(matched)
            }
            ManyOp::Delete(Some(key)) => {
                let matched = DeleteMany::new()
                    .filter(self.linked(&key))
                    .exec(self.db)
                    .await?;
                self.found(matched)
            }
            ManyOp::Disconnect(None) | ManyOp::Update(None, _) | ManyOp::Delete(None) => {
                Err(misfit(
                    P::SCHEMA,
                    self.relation,
                    "a many_to_many write needs the related row's key".into(),
                ))
            }
        }
    }

    fn found(&self, matched: u64) -> Result<()> {
        match matched {
            0 => Err(related_not_found(P::SCHEMA, self.relation)),
            _ => Ok(()),
        }
    }

    /// The child's key values (what the join table holds) for `key`, if the
    /// row exists.
    async fn lookup(&self, key: &UniqueKey<C>) -> Result<Option<Vec<Value>>> {
        select_one(self.db, C::SCHEMA, self.child_key, key.filter().expr).await
    }

    async fn existing(&self, key: &UniqueKey<C>) -> Result<Vec<Value>> {
        self.lookup(key)
            .await?
            .ok_or_else(|| related_not_found(P::SCHEMA, self.relation))
    }

    /// Creates a child; its key values.
    async fn create(&self, row: Create<C>) -> Result<Vec<Value>> {
        let child = row.exec(self.db).await?;
        values_of(&child, C::SCHEMA, &self.child_positions)
    }

    /// The child with `key`, if it is linked to the parent: `key AND EXISTS
    /// (SELECT 1 FROM join WHERE join.child_side = child.key AND
    /// join.parent_side = parent key)`.
    fn linked(&self, key: &UniqueKey<C>) -> Filter<C> {
        let mut link = outer_eq(&self.join.child_side, C::SCHEMA.table, self.child_key);
        link.push(eq_all(&self.join.parent_side, &self.parent_key));
        let mut exists = Select::new(self.join.table.table, Projection::One);
        exists.filter = Some(Expr::all(link));
        Filter::new(Expr::all(vec![
            key.filter().expr,
            Expr::Exists {
                query: Box::new(exists),
                negated: false,
            },
        ]))
    }

    /// The parent's link to the child with `key`: `join.parent_side = parent
    /// key AND EXISTS (SELECT 1 FROM child WHERE child.key = join.child_side
    /// AND key)`.
    fn unlink_filter(&self, key: &UniqueKey<C>) -> Expr {
        let mut child = outer_eq(self.child_key, self.join.table.table, &self.join.child_side);
        child.push(key.filter().expr);
        let mut exists = Select::new(C::SCHEMA.table, Projection::One);
        exists.filter = Some(Expr::all(child));
        Expr::all(vec![
            eq_all(&self.join.parent_side, &self.parent_key),
            Expr::Exists {
                query: Box::new(exists),
                negated: false,
            },
        ])
    }

    /// Inserts the links from the parent to `children` that do not exist yet.
    async fn link(&self, children: Vec<Vec<Value>>) -> Result<()> {
        let mut distinct: Vec<Vec<Value>> = Vec::with_capacity(children.len());
        for child in children {
            if !distinct.contains(&child) {
                distinct.push(child);
            }
        }
        if distinct.is_empty() {
            return Ok(());
        }
        let table = self.join.table;
        let sides: Vec<&'static ColumnSchema> = (self.join.parent_side.iter())
            .chain(&self.join.child_side)
            .copied()
            .collect();
        // Columns strata fills on create (a join model's cuid id, created_at).
        let generated: Vec<&'static ColumnSchema> = (table.columns.iter())
            .filter(|c| !sides.iter().any(|s| s.is(c)))
            .filter(|c| crate::query::client_default(c).is_some())
            .collect();
        let columns: Vec<_> = sides.iter().chain(&generated).copied().collect();
        let row = |child: Vec<Value>| -> Vec<Value> {
            let mut row = self.parent_key.clone();
            row.extend(child);
            row.extend(
                generated
                    .iter()
                    .filter_map(|c| crate::query::client_default(c)),
            );
            row
        };
        let covers_both = table.keys().any(|k| {
            k.columns.len() == sides.len()
                && k.columns
                    .iter()
                    .all(|&i| sides.iter().any(|s| s.is(table.column(i))))
        });
        if !covers_both {
            for child in distinct {
                let filter = Expr::all(vec![
                    eq_all(&self.join.parent_side, &self.parent_key),
                    eq_all(&self.join.child_side, &child),
                ]);
                if select_one(self.db, table, &sides, filter).await?.is_none() {
                    self.insert(columns.clone(), vec![row(child)], None).await?;
                }
            }
            return Ok(());
        }
        let on_conflict = OnConflict {
            target: sides.clone(),
            set: vec![Assignment {
                column: self.join.parent_side[0],
                value: AssignValue::Set(self.parent_key[0].clone()),
            }],
            only_if: None,
        };
        let per_statement = (self.db.dialect().max_binds() / columns.len().max(1)).max(1);
        let mut rows = distinct.into_iter().map(row).peekable();
        while rows.peek().is_some() {
            let chunk = rows.by_ref().take(per_statement).collect();
            self.insert(columns.clone(), chunk, Some(on_conflict.clone()))
                .await?;
        }
        Ok(())
    }

    /// Deletes the join rows matching `filter`; how many.
    async fn delete_links(&self, filter: Expr) -> Result<u64> {
        let delete = Statement::Delete(Delete {
            table: self.join.table.table,
            filter: Some(filter),
            returning: Vec::new(),
        });
        let op = Op::model(self.join.table, Action::DeleteMany);
        let rendered = self.db.prepare_statement(op, delete)?;
        Ok(self.db.run_execute(rendered).await?.rows_affected)
    }

    async fn insert(
        &self,
        columns: Vec<&'static ColumnSchema>,
        rows: Vec<Vec<Value>>,
        on_conflict: Option<OnConflict>,
    ) -> Result<()> {
        let insert = Insert {
            table: self.join.table.table,
            columns,
            rows,
            on_conflict,
            returning: Vec::new(),
        };
        let op = Op::model(self.join.table, Action::CreateMany);
        let rendered = self.db.prepare_statement(op, Statement::Insert(insert))?;
        self.db.run_execute(rendered).await.map(drop)
    }
}

/// `inner[i] = outer_table.outer[i]`, for a subquery's filter.
fn outer_eq(
    inner: &[&'static ColumnSchema],
    outer_table: &'static str,
    outer: &[&'static ColumnSchema],
) -> Vec<Expr> {
    inner
        .iter()
        .zip(outer)
        .map(|(inner, outer)| {
            Expr::Compare(
                Box::new(Expr::Column(inner)),
                CompareOp::Eq,
                Box::new(Expr::Outer {
                    table: outer_table,
                    column: outer,
                }),
            )
        })
        .collect()
}
