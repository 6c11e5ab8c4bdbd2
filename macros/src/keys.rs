//! Questions the emitters ask of a validated model: which fields form which
//! keys, which fields `create` requires. Kept apart from the IR so the IR stays
//! plain data (as thiserror's `prop.rs`).

use crate::check::CheckSpec;
use crate::index::{IndexPart, IndexSpec};
use crate::model::{DefaultSpec, Field, FkAction, Model, RelationKind};
use crate::{naming, ty};
use darling::util::SpannedValue;
use syn::Ident;

/// A key or index resolved to field positions, with its constraint name.
pub struct Key {
    pub name: String,
    pub fields: Vec<usize>,
}

/// An index resolved to columns, with its name.
pub struct Index<'a> {
    pub name: String,
    pub parts: Vec<IndexKey<'a>>,
    pub include: Vec<usize>,
    /// The model-level declaration; `None` for a field-level `index`.
    pub spec: Option<&'a IndexSpec>,
}

pub enum IndexKey<'a> {
    Column { column: usize, descending: bool },
    Expression(&'a str),
}

/// A CHECK constraint with its name.
pub struct Check<'a> {
    pub name: String,
    pub spec: &'a CheckSpec,
}

/// A foreign key: from a field's `references(model = .., field = ..)` or from
/// a `belongs_to(fields(..), references(..))` relation.
pub struct ForeignKey<'a> {
    pub name: String,
    pub columns: Vec<usize>,
    /// The referenced model as written (`Self` is resolved by the emitter).
    pub target: Target<'a>,
    /// Rust field names on the target, in `columns` order.
    pub target_fields: Vec<&'a Ident>,
    pub on_delete: FkAction,
    pub on_update: FkAction,
}

pub enum Target<'a> {
    Path(&'a syn::Path),
    Type(&'a syn::Type),
}

impl Model {
    /// Fields of the primary key: the `#[strata(id)]` fields, or the
    /// container's `id(fields(..))`. Validation guarantees exactly one source.
    pub fn primary_key(&self) -> Key {
        let fields = match &self.composite_id {
            Some(spec) => self.resolve(&spec.fields),
            None => (0..self.fields.len())
                .filter(|&i| self.fields[i].id.is_some())
                .collect(),
        };
        Key {
            name: format!("{}_pkey", self.table),
            fields,
        }
    }

    /// `unique` keys in `SCHEMA.uniques` order: single fields, then composites.
    pub fn uniques(&self) -> Vec<Key> {
        let singles = (0..self.fields.len())
            .filter(|&i| self.fields[i].unique.is_some())
            .map(|i| vec![i]);
        let composites = self
            .composite_uniques
            .iter()
            .map(|s| self.resolve(&s.fields));
        (singles.chain(composites))
            .map(|fields| self.key(fields, "key"))
            .collect()
    }

    /// Every unique key, primary first; a key's position is its `UniqueKey` index.
    pub fn unique_keys(&self) -> Vec<Key> {
        std::iter::once(self.primary_key())
            .chain(self.uniques())
            .collect()
    }

    /// Field-level `index` in field order, then the model's `index(..)` in
    /// attribute order, each with its name: the given one, or
    /// `{table}_{columns}_idx` (an index with an expression must be given one;
    /// `validate_index` reports it missing).
    pub fn indexes(&self) -> Vec<Index<'_>> {
        let singles = (0..self.fields.len())
            .filter(|&i| self.fields[i].index.is_some())
            .map(|i| Index {
                name: naming::constraint(self, &[i], "idx"),
                parts: vec![IndexKey::Column {
                    column: i,
                    descending: false,
                }],
                spec: None,
                include: Vec::new(),
            });
        let composites = self.composite_indexes.iter().map(|spec| {
            let parts: Vec<IndexKey<'_>> = (spec.parts.iter())
                .filter_map(|part| match part {
                    IndexPart::Field { ident, descending } => Some(IndexKey::Column {
                        column: self.field_index(ident)?,
                        descending: *descending,
                    }),
                    IndexPart::Expression(sql) => Some(IndexKey::Expression(sql.as_str())),
                })
                .collect();
            let columns: Vec<usize> = (parts.iter())
                .filter_map(|p| match p {
                    IndexKey::Column { column, .. } => Some(*column),
                    IndexKey::Expression(_) => None,
                })
                .collect();
            Index {
                name: (spec.name.as_ref()).map_or_else(
                    || naming::constraint(self, &columns, "idx"),
                    |n| n.to_string(),
                ),
                parts,
                include: self.resolve(&spec.include),
                spec: Some(spec),
            }
        });
        singles.chain(composites).collect()
    }

    /// Every CHECK constraint with its name: field-level ones in field order,
    /// named `{table}_{column}_check`, then the model's in attribute order,
    /// unnamed ones `{table}_check`, `{table}_check1`, .. (PostgreSQL's own
    /// names for column and table CHECKs).
    pub fn checks(&self) -> Vec<Check<'_>> {
        let fields = (self.fields.iter().enumerate()).filter_map(|(i, f)| {
            let spec = f.check.as_ref()?;
            let name = (spec.name.as_ref()).map_or_else(
                || naming::constraint(self, &[i], "check"),
                |n| n.to_string(),
            );
            Some(Check { name, spec })
        });
        let mut unnamed = 0;
        let model = self.checks.iter().map(|spec| {
            let name = spec.name.as_ref().map_or_else(
                || {
                    let suffix = if unnamed == 0 {
                        String::new()
                    } else {
                        unnamed.to_string()
                    };
                    unnamed += 1;
                    format!("{}_check{suffix}", self.table)
                },
                |n| n.to_string(),
            );
            Check { name, spec }
        });
        fields.chain(model).collect()
    }

    /// Field-level `references(..)` in field order, then `belongs_to`
    /// relations in declaration order.
    pub fn foreign_keys(&self) -> Vec<ForeignKey<'_>> {
        let action =
            |a: &Option<SpannedValue<FkAction>>| a.as_ref().map_or(FkAction::NoAction, |a| **a);
        let fields = (self.fields.iter().enumerate()).filter_map(|(i, f)| {
            let reference = f.references.as_ref()?;
            Some(ForeignKey {
                name: naming::constraint(self, &[i], "fkey"),
                columns: vec![i],
                target: Target::Path(&reference.model),
                target_fields: vec![&reference.field],
                on_delete: action(&f.on_delete),
                on_update: action(&f.on_update),
            })
        });
        let relations = self.relations.iter().filter_map(|r| {
            let spec = r
                .spec
                .as_ref()
                .filter(|s| s.kind == RelationKind::BelongsTo)?;
            let columns = self.resolve(&spec.fields);
            Some(ForeignKey {
                name: naming::constraint(self, &columns, "fkey"),
                columns,
                target: Target::Type(r.target.as_ref()?),
                target_fields: spec.references.iter().collect(),
                on_delete: action(&spec.on_delete),
                on_update: action(&spec.on_update),
            })
        });
        fields.chain(relations).collect()
    }

    fn resolve(&self, idents: &[syn::Ident]) -> Vec<usize> {
        idents.iter().filter_map(|i| self.field_index(i)).collect()
    }

    fn key(&self, fields: Vec<usize>, suffix: &str) -> Key {
        Key {
            name: naming::constraint(self, &fields, suffix),
            fields,
        }
    }
}

impl Field {
    pub fn is_autoincrement(&self) -> bool {
        self.default.as_deref() == Some(&DefaultSpec::Autoincrement)
    }

    /// Syntactically `Option<_>`; the runtime's `FieldType::NULLABLE` agrees for
    /// every type it accepts.
    pub fn is_option(&self) -> bool {
        ty::option_inner(&self.ty).is_some()
    }

    /// Whether `create` must be given a value: nothing else can supply one.
    pub fn is_required(&self) -> bool {
        !self.is_option() && self.default.is_none() && self.updated_at.is_none()
    }
}
