//! Redundant indexes (PostgreSQL): an index whose keys are a left prefix of
//! another index's keys, with the same method, predicate, expressions,
//! operator classes, collations and sort order, serves no lookup the other
//! does not. Only standalone indexes are ever suggested for dropping: an
//! index behind a PRIMARY KEY or UNIQUE constraint enforces it.

use super::pg_stats::{PgIndex, PgStats};
use super::Declared;
use crate::migrate::ddl::create::drop_index;
use crate::migrate::normalize;
use crate::migrate::schema::{Index, IndexPart, Table};
use crate::render::Dialect;

use super::finding::Finding;

const PG: Dialect = Dialect::Postgres;

/// One index of a table in the terms redundancy compares.
struct Candidate<'a> {
    name: &'a str,
    /// A standalone index (`CREATE INDEX`), as opposed to a constraint's.
    standalone: bool,
    declared_by: Option<&'static str>,
    /// Key columns by name, expressions normalised.
    keys: Vec<Key>,
    method: &'a str,
    include: &'a [String],
    predicate: Option<String>,
    unique: bool,
    pg: &'a PgIndex,
}

#[derive(PartialEq, Eq)]
enum Key {
    Column(String),
    Expression(String),
}

pub(super) fn findings(table: &Table, stats: &PgStats, declared: &Declared) -> Vec<Finding> {
    let candidates = candidates(table, stats, declared);
    let redundant =
        |s: &Candidate| (candidates.iter()).any(|l| covers(l, s) && !(covers(s, l) && keeps(s, l)));
    let mut findings = Vec::new();
    for s in candidates.iter().filter(|s| redundant(s)) {
        // Name the index most sure to stay: one not itself redundant, a
        // constraint's, one the models declare, the closest in length.
        let stays = |l: &&Candidate| {
            let length = l.keys.len() - s.keys.len();
            (redundant(l), l.standalone, l.declared_by.is_none(), length)
        };
        let covering = candidates.iter().filter(|l| covers(l, s));
        let Some(l) = covering.min_by_key(stays) else {
            continue;
        };
        findings.push(Finding::RedundantIndex {
            table: table.name.clone(),
            index: s.name.to_owned(),
            covered_by: l.name.to_owned(),
            duplicate: s.keys.len() == l.keys.len() && same_set(s.include, l.include),
            declared_by: s.declared_by,
            ddl: format!("{};", drop_index(PG, &table.name, s.name, true)),
        });
    }
    findings
}

fn candidates<'a>(table: &'a Table, stats: &'a PgStats, declared: &Declared) -> Vec<Candidate<'a>> {
    let mut all = Vec::new();
    for index in &table.indexes {
        if let Some(pg) = stats.index(&table.name, &index.name) {
            all.push(from_index(table, index, pg, declared));
        }
    }
    let constraints = (table.primary_key.iter())
        .filter_map(|pk| Some((pk.name.as_deref()?, &pk.columns)))
        .chain(table.uniques.iter().map(|u| (u.name.as_str(), &u.columns)));
    for (name, columns) in constraints {
        if let Some(pg) = stats.index(&table.name, name) {
            all.push(Candidate {
                name,
                standalone: false,
                declared_by: None,
                keys: columns.iter().map(|c| Key::Column(c.clone())).collect(),
                method: "btree",
                include: &[],
                predicate: None,
                unique: true,
                pg,
            });
        }
    }
    all
}

fn from_index<'a>(
    table: &Table,
    index: &'a Index,
    pg: &'a PgIndex,
    declared: &Declared,
) -> Candidate<'a> {
    let keys = (index.parts.iter())
        .map(|part| match part {
            IndexPart::Column { name, .. } => Key::Column(name.clone()),
            IndexPart::Expression(sql) => Key::Expression(normalize::expression(PG, sql)),
        })
        .collect();
    Candidate {
        name: &index.name,
        standalone: true,
        declared_by: declared.model(&table.name, &index.name),
        keys,
        method: index.method.as_deref().unwrap_or("btree"),
        include: &index.include,
        predicate: (index.predicate.as_deref()).map(|p| normalize::expression(PG, p)),
        unique: index.unique,
        pg,
    }
}

/// Whether `l` serves every lookup `s` serves, so `s` can go.
fn covers(l: &Candidate, s: &Candidate) -> bool {
    let n = s.keys.len();
    let btree = s.method == "btree";
    let shape = s.standalone
        && l.name != s.name
        && l.pg.valid
        && l.method == s.method
        && l.predicate == s.predicate
        // Only a b-tree is searched by a prefix of its keys.
        && (n == l.keys.len() || (btree && n < l.keys.len()))
        && l.keys.starts_with(&s.keys);
    if !shape {
        return false;
    }
    let prefix = |v: &[u32]| v.get(..n).map(<[u32]>::to_vec);
    let same_classes = prefix(&l.pg.opclasses) == Some(s.pg.opclasses.clone())
        && prefix(&l.pg.collations) == Some(s.pg.collations.clone());
    // A b-tree is read backwards as readily as forwards: (a DESC, b) serves
    // what (a, b DESC) does. Flipping both bits reverses DESC and NULLS FIRST.
    let l_options = l.pg.options.get(..n);
    let flipped: Vec<u16> = s.pg.options.iter().map(|o| o ^ 3).collect();
    let same_order =
        l_options == Some(&s.pg.options[..]) || (btree && l_options == Some(&flipped[..]));
    // What `s` carries for index-only scans, `l` must carry too.
    let covered_include = (s.include.iter())
        .all(|c| l.include.contains(c) || (l.keys.iter()).any(|k| *k == Key::Column(c.clone())));
    // A unique index is only replaced by one enforcing the same uniqueness.
    let uniqueness = !s.unique || (l.unique && l.keys.len() == n);
    same_classes && same_order && covered_include && uniqueness
}

/// Of two indexes that cover each other, whether `s` is the one to keep:
/// a constraint's, else one the models declare, else the first by name.
fn keeps(s: &Candidate, l: &Candidate) -> bool {
    if !l.standalone {
        return false;
    }
    match (s.declared_by.is_some(), l.declared_by.is_some()) {
        (true, false) => true,
        (false, true) => false,
        _ => s.name < l.name,
    }
}

fn same_set(a: &[String], b: &[String]) -> bool {
    a.len() == b.len() && a.iter().all(|x| b.contains(x))
}
