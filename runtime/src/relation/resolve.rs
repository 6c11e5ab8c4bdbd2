//! Resolving a [`RelationSchema`] into the columns its rows are matched on.
//! Only a `belongs_to` side names its columns; `has_one`/`has_many` find the
//! `belongs_to` pointing back, and `many_to_many` the join table's two
//! foreign keys. The derive's compile-time checks make these lookups succeed
//! for every declared relation; a failure here is reported, not panicked on.

use crate::error::{Error, Result};
use crate::schema::{ColumnSchema, ForeignKeySchema, ModelSchema, RelationKind, RelationSchema};

/// How rows of a relation's two models are matched: `parent[i] = child[i]`,
/// directly or through a join table.
#[derive(Debug, Clone)]
pub(crate) struct Link {
    /// Columns of the parent whose values identify its related rows.
    pub parent: Vec<&'static ColumnSchema>,
    /// Columns of the child matched against `parent` (directly), or against
    /// `join.child_side` (through a join table).
    pub child: Vec<&'static ColumnSchema>,
    pub join: Option<JoinLink>,
}

/// A many-to-many relation's join table: `parent_side` holds the parent's
/// key values, `child_side` the child's.
#[derive(Debug, Clone)]
pub(crate) struct JoinLink {
    pub table: &'static ModelSchema,
    pub parent_side: Vec<&'static ColumnSchema>,
    pub child_side: Vec<&'static ColumnSchema>,
}

/// Resolves `relation`, declared on `parent`.
pub(crate) fn resolve(
    parent: &'static ModelSchema,
    relation: &'static RelationSchema,
) -> Result<Link> {
    let child = relation.target();
    let broken = |reason: String| Error::InvalidValue {
        model: parent.name,
        field: Some(relation.field),
        reason,
    };
    match relation.kind {
        RelationKind::BelongsTo => Ok(Link {
            parent: columns_at(parent, relation.fields),
            child: fields_named(child, relation.references).map_err(broken)?,
            join: None,
        }),
        RelationKind::HasOne | RelationKind::HasMany => {
            let back = child
                .relations
                .iter()
                .find(|r| {
                    r.kind == RelationKind::BelongsTo
                        && r.target_name == parent.name
                        && r.name == relation.name
                })
                .ok_or_else(|| {
                    broken(format!(
                        "{} declares no belongs_to relation back to {}",
                        child.name, parent.name
                    ))
                })?;
            Ok(Link {
                parent: fields_named(parent, back.references).map_err(broken)?,
                child: columns_at(child, back.fields),
                join: None,
            })
        }
        RelationKind::ManyToMany => {
            let table = relation
                .join
                .map(|join| join())
                .ok_or_else(|| broken("a many_to_many relation without a join table".into()))?;
            let (to_parent, to_child) = join_keys(parent, relation, table).map_err(broken)?;
            Ok(Link {
                parent: fields_named(parent, to_parent.target_fields).map_err(broken)?,
                child: fields_named(child, to_child.target_fields).map_err(broken)?,
                join: Some(JoinLink {
                    table,
                    parent_side: columns_at(table, to_parent.columns),
                    child_side: columns_at(table, to_child.columns),
                }),
            })
        }
    }
}

/// The join table's foreign keys to the parent and to the child. On a
/// self-relation both point at one model; the relation field whose name sorts
/// first owns the join table's first foreign key.
fn join_keys(
    parent: &'static ModelSchema,
    relation: &'static RelationSchema,
    table: &'static ModelSchema,
) -> std::result::Result<(&'static ForeignKeySchema, &'static ForeignKeySchema), String> {
    let to = |model: &'static str| {
        table
            .foreign_keys
            .iter()
            .filter(move |fk| (fk.target)().name == model)
    };
    if relation.target_name != parent.name {
        let missing =
            |model: &str| format!("join table {} has no foreign key to {model}", table.table);
        let to_parent = to(parent.name).next().ok_or_else(|| missing(parent.name))?;
        let to_child = to(relation.target_name)
            .next()
            .ok_or_else(|| missing(relation.target_name))?;
        return Ok((to_parent, to_child));
    }
    let mut keys = to(parent.name);
    let (Some(first), Some(second)) = (keys.next(), keys.next()) else {
        return Err(format!(
            "join table {} needs two foreign keys to {} for a self-relation",
            table.table, parent.name
        ));
    };
    let other_side = parent.relations.iter().find(|r| {
        r.kind == RelationKind::ManyToMany
            && r.target_name == parent.name
            && r.name == relation.name
            && r.field != relation.field
    });
    let owns_first = other_side.is_none_or(|other| relation.field < other.field);
    Ok(if owns_first {
        (first, second)
    } else {
        (second, first)
    })
}

fn columns_at(model: &'static ModelSchema, indices: &[usize]) -> Vec<&'static ColumnSchema> {
    indices.iter().map(|&i| model.column(i)).collect()
}

fn fields_named(
    model: &'static ModelSchema,
    fields: &[&str],
) -> std::result::Result<Vec<&'static ColumnSchema>, String> {
    fields
        .iter()
        .map(|name| {
            model
                .columns
                .iter()
                .find(|c| c.field == *name)
                .ok_or_else(|| format!("{} has no field `{name}`", model.name))
        })
        .collect()
}
