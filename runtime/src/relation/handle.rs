//! [`Relation`]: what a generated relation accessor (`User::posts()`) returns.
//! It names one relation of one model and carries the options of an include
//! of it: the children's filter, order, per-parent page, projection and
//! nested includes. The same handle builds relation filters (`some`, `every`,
//! `none`, `is`, `is_not`) and relation counts.

use super::spec::Spec;
use super::Include;
use crate::query::{Filter, IntoFilter, Order, Projection};
use crate::schema::{Model, PartialModel, RelationSchema};
use std::marker::PhantomData;

/// One relation of `P` to `C`, stored on `P` in a field of type `S`
/// ([`super::HasMany`], [`super::HasOne`] or [`super::BelongsTo`]); an
/// include of it reads whole rows of `C` ([`Whole`]) or, after `select`
/// or `omit`, `{C}Partial` ones ([`Partial`]).
///
/// A typed shell over `relation::spec::Spec`: the options, the statements and the errors
/// live in the untyped `Spec`, compiled once in strata; only what touches a
/// row of `P` or `C` is generic here, and so instantiated per relation in
/// every crate that includes one.
pub struct Relation<P, C, S, R = Whole> {
    pub(crate) spec: Spec,
    pub(crate) slot: fn(&mut P) -> &mut S,
    pub(crate) includes: Vec<Box<dyn Include<C>>>,
    _marker: PhantomData<fn(P) -> (C, R)>,
}

/// What an include of a [`Relation`] reads by default: whole rows.
pub struct Whole;

/// What an include of a [`Relation`] reads after `select`/`omit`: the
/// related model's `{Model}Partial`.
pub struct Partial;

impl<P: Model, C: PartialModel, S> Relation<P, C, S> {
    #[doc(hidden)]
    #[inline(always)]
    pub fn new(schema: &'static RelationSchema, slot: fn(&mut P) -> &mut S) -> Self {
        Relation {
            spec: Spec::new(schema, P::SCHEMA, C::SCHEMA),
            slot,
            includes: Vec::new(),
            _marker: PhantomData,
        }
    }
}

impl<P: Model, C: PartialModel, S, R> Relation<P, C, S, R> {
    /// The relation's descriptor.
    #[inline(always)]
    pub fn schema(&self) -> &'static RelationSchema {
        self.spec.schema
    }

    /// Loads only the related rows matching `filter`; repeated calls AND together.
    #[inline(always)]
    pub fn filter(mut self, filter: impl IntoFilter<C>) -> Self {
        let own = self.spec.filter.take().map(Filter::<C>::new);
        let merged = crate::query::merge_filter(own, filter.into_filter());
        self.spec.filter = Some(merged.expr);
        self
    }

    /// Orders each parent's related rows (the primary key always breaks ties).
    #[inline(always)]
    pub fn order_by(mut self, order: Order<C>) -> Self {
        self.spec.order_by.push(order.order);
        self
    }

    /// Skips the first `n` related rows of each parent.
    #[inline(always)]
    pub fn skip(mut self, n: u64) -> Self {
        self.spec.skip = Some(i64::try_from(n).unwrap_or(i64::MAX));
        self
    }

    /// At most `n` related rows per parent (not in total).
    #[inline(always)]
    pub fn take(mut self, n: u64) -> Self {
        self.spec.take = Some(i64::try_from(n).unwrap_or(i64::MAX));
        self
    }

    /// Also loads a relation of the related rows, e.g.
    /// `User::posts().include(Post::comments())`.
    #[inline(always)]
    pub fn include(mut self, include: impl Include<C> + 'static) -> Self {
        self.includes.push(Box::new(include));
        self
    }

    /// Reads only `columns` of the related rows, into `{Model}Partial` (see
    /// the relation field's `partial()`).
    #[inline(always)]
    pub fn select<Cols: Projection<C>>(mut self, columns: Cols) -> Relation<P, C, S, Partial> {
        self.spec.select(&columns.columns(), true);
        self.read_partial()
    }

    /// Reads every column of the related rows except `columns`, into
    /// `{Model}Partial` (see the relation field's `partial()`).
    #[inline(always)]
    pub fn omit<Cols: Projection<C>>(mut self, columns: Cols) -> Relation<P, C, S, Partial> {
        self.spec.select(&columns.columns(), false);
        self.read_partial()
    }

    #[inline(always)]
    fn read_partial(self) -> Relation<P, C, S, Partial> {
        Relation {
            spec: self.spec,
            slot: self.slot,
            includes: self.includes,
            _marker: PhantomData,
        }
    }

    /// The statements this include runs for parents whose keys are `keys`
    /// (one tuple per parent, in the relation's key column order): what the
    /// SQL snapshots show, and a way to see an include's SQL without a database.
    pub fn statements_for_keys(
        &self,
        keys: Vec<Vec<crate::Value>>,
        dialect: crate::Dialect,
    ) -> crate::Result<Vec<crate::render::Rendered>> {
        let plan = self.spec.plan()?;
        let keys = keys.into_iter().flatten().collect();
        Ok(crate::render::render_load(
            self.spec.load_for_keys(&plan, keys),
            dialect,
        ))
    }

    /// This include as a JSON column of its parents' statement, its own
    /// includes inside it.
    #[inline(always)]
    pub(super) fn joined_expr(&self) -> crate::query::ast::Expr {
        let mut nested = Vec::with_capacity(self.includes.len());
        for include in &self.includes {
            nested.push(include.json_expr());
        }
        self.spec.joined_expr(nested)
    }
}
