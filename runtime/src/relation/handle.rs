//! [`Relation`]: what a generated relation accessor (`User::posts()`) returns.
//! It names one relation of one model and carries the options of an include
//! of it: the children's filter, order, per-parent page, projection and
//! nested includes. The same handle builds relation filters (`some`, `every`,
//! `none`, `is`, `is_not`) and relation counts.

use super::Include;
use crate::query::ast::OrderBy;
use crate::query::{Filter, IntoFilter, Order, Projection};
use crate::schema::{ColumnSchema, Model, PartialModel, RelationSchema};
use std::marker::PhantomData;
use std::sync::Arc;

/// One relation of `P` to `C`, stored on `P` in a field of type `S`
/// ([`super::HasMany`], [`super::HasOne`] or [`super::BelongsTo`]).
pub struct Relation<P, C, S> {
    pub(crate) schema: &'static RelationSchema,
    pub(crate) slot: fn(&mut P) -> &mut S,
    pub(crate) filter: Option<Filter<C>>,
    pub(crate) order_by: Vec<OrderBy>,
    pub(crate) skip: Option<i64>,
    pub(crate) take: Option<i64>,
    /// `select`/`omit`: which of `C`'s columns are read, in schema order.
    pub(crate) selected: Option<Arc<[bool]>>,
    pub(crate) includes: Vec<Box<dyn Include<C>>>,
    _marker: PhantomData<fn() -> (P, C)>,
}

impl<P: Model, C: PartialModel, S> Relation<P, C, S> {
    #[doc(hidden)]
    pub fn new(schema: &'static RelationSchema, slot: fn(&mut P) -> &mut S) -> Self {
        Relation {
            schema,
            slot,
            filter: None,
            order_by: Vec::new(),
            skip: None,
            take: None,
            selected: None,
            includes: Vec::new(),
            _marker: PhantomData,
        }
    }

    /// The relation's descriptor.
    pub fn schema(&self) -> &'static RelationSchema {
        self.schema
    }

    /// Loads only the related rows matching `filter`; repeated calls AND together.
    pub fn filter(mut self, filter: impl IntoFilter<C>) -> Self {
        self.filter = Some(crate::query::merge_filter(
            self.filter.take(),
            filter.into_filter(),
        ));
        self
    }

    /// Orders each parent's related rows (the primary key always breaks ties).
    pub fn order_by(mut self, order: Order<C>) -> Self {
        self.order_by.push(order.order);
        self
    }

    /// Skips the first `n` related rows of each parent.
    pub fn skip(mut self, n: u64) -> Self {
        self.skip = Some(i64::try_from(n).unwrap_or(i64::MAX));
        self
    }

    /// At most `n` related rows per parent (not in total).
    pub fn take(mut self, n: u64) -> Self {
        self.take = Some(i64::try_from(n).unwrap_or(i64::MAX));
        self
    }

    /// Also loads a relation of the related rows, e.g.
    /// `User::posts().include(Post::comments())`.
    pub fn include(mut self, include: impl Include<C> + 'static) -> Self {
        self.includes.push(Box::new(include));
        self
    }

    /// Reads only `columns` of the related rows, into `{Model}Partial` (see
    /// the relation field's `partial()`).
    pub fn select<Cols: Projection<C>>(mut self, columns: Cols) -> Self {
        let chosen = columns.columns();
        self.selected = Some(
            C::SCHEMA
                .columns
                .iter()
                .map(|c| chosen.iter().any(|s| s.is(c)))
                .collect(),
        );
        self
    }

    /// Reads every column of the related rows except `columns`, into
    /// `{Model}Partial` (see the relation field's `partial()`).
    pub fn omit<Cols: Projection<C>>(mut self, columns: Cols) -> Self {
        let omitted = columns.columns();
        self.selected = Some(
            C::SCHEMA
                .columns
                .iter()
                .map(|c| !omitted.iter().any(|o| o.is(c)))
                .collect(),
        );
        self
    }
}

/// What both include strategies read, from one definition so that they agree.
impl<P, C: PartialModel, S> Relation<P, C, S> {
    /// The include's order, ending with the child's primary key (unless the
    /// order already has it): each parent's rows come in a total, repeatable
    /// order, the same for either strategy.
    pub(super) fn total_order(&self) -> Vec<OrderBy> {
        let mut order_by = self.order_by.clone();
        for &i in C::SCHEMA.primary_key.columns {
            let column = C::SCHEMA.column(i);
            if !order_by.iter().any(|o| o.column.is(column)) {
                order_by.push(OrderBy {
                    column,
                    descending: false,
                    nulls: None,
                });
            }
        }
        order_by
    }

    /// Whether the batched strategy sorts each parent's rows by primary key
    /// itself instead of asking the database to: the include has no order
    /// or page of its own, reads whole rows, and every primary key column
    /// compares in Rust as on every database (`Model::key_order`).
    /// An `ORDER BY` over the whole batch is a sort of every row on the
    /// server (PostgreSQL: ~2 ms of ~5 for 10,000 comments; SQLite a
    /// temporary B-tree), where each parent's few rows sort in the client
    /// for almost nothing (they mostly come in key order already).
    pub(super) fn sorts_on_client(&self) -> bool {
        self.order_by.is_empty()
            && self.skip.is_none()
            && self.take.is_none()
            && self.selected.is_none()
            && (C::SCHEMA.primary_key.columns.iter())
                .all(|&i| super::key::compares_in_rust(C::SCHEMA.column(i).ty))
    }

    /// The child's columns read: all, or those `select`/`omit` kept, in
    /// schema order.
    pub(super) fn read_columns(&self) -> Vec<&'static ColumnSchema> {
        match &self.selected {
            None => C::SCHEMA.columns.iter().collect(),
            Some(selected) => (C::SCHEMA.columns.iter())
                .zip(selected.iter())
                .filter_map(|(c, &keep)| keep.then_some(c))
                .collect(),
        }
    }
}
