"""Generates the user crates of the compile-time benchmark (see README.md).

One crate per (library, model count) under target/compile-bench/<lib>/m<N>/,
each its own workspace, each model in its own file src/m<K>.rs with ~8 columns
of mixed types, a foreign key to model K-1 (model 0 has none) and one function
building and running a typed query (filter + order + limit, joined/included to
model K-1). lib.rs uses every query so the query code is type-checked and
monomorphized in the user crate.
"""

import os
import re
import shutil
import subprocess

LIBS = ("strata", "diesel", "seaorm")
MAIN = os.path.abspath(os.path.join(os.path.dirname(__file__), "..", ".."))
ROOT = os.path.join(MAIN, "target", "compile-bench")


def crate_dir(lib, n):
    return os.path.join(ROOT, lib, f"m{n}")


def target_dir(lib):
    return os.path.join(ROOT, lib, "target")


def crate_name(lib, n):
    return f"cb_{lib}_m{n}"


def mid(n):
    return n // 2


# ---------------------------------------------------------------- strata

def write_if_changed(path, text):
    """Writes only when the content differs, so cargo's mtime fingerprints of an
    unchanged snapshot stay fresh between runs."""
    if os.path.exists(path):
        with open(path) as f:
            if f.read() == text:
                return
    with open(path, "w") as f:
        f.write(text)


def sync_tree(src, dst):
    """Mirrors src into dst (without tests/ and target/), copying only changed files."""
    keep = set()
    for root, dirs, files in os.walk(src):
        dirs[:] = [d for d in dirs if d not in ("tests", "target")] if root == src else dirs
        rel = os.path.relpath(root, src)
        os.makedirs(os.path.join(dst, rel), exist_ok=True)
        for name in files:
            s, d = os.path.join(root, name), os.path.normpath(os.path.join(dst, rel, name))
            keep.add(d)
            with open(s, "rb") as f:
                data = f.read()
            if os.path.exists(d):
                with open(d, "rb") as f:
                    if f.read() == data:
                        continue
            with open(d, "wb") as f:
                f.write(data)
    for root, _, files in os.walk(dst):
        for name in files:
            d = os.path.normpath(os.path.join(root, name))
            if d not in keep:
                os.remove(d)


def snapshot_strata():
    """Copies runtime/ and macros/ (and the workspace manifest and lock) to
    target/compile-bench/strata-src, so other work in the checkout during a run
    does not rebuild strata under the measured builds."""
    dst = os.path.join(ROOT, "strata-src")
    os.makedirs(dst, exist_ok=True)
    for d in ("runtime", "macros"):
        sync_tree(os.path.join(MAIN, d), os.path.join(dst, d))
    with open(os.path.join(MAIN, "Cargo.toml")) as f:
        manifest = f.read()
    manifest = re.sub(r'members = \[[^\]]*\]', 'members = ["macros", "runtime"]', manifest, count=1)
    write_if_changed(os.path.join(dst, "Cargo.toml"), manifest)
    with open(os.path.join(MAIN, "Cargo.lock")) as f:
        write_if_changed(os.path.join(dst, "Cargo.lock"), f.read())
    rev = subprocess.run(["git", "-C", MAIN, "rev-parse", "--short", "HEAD"],
                         capture_output=True, text=True).stdout.strip()
    dirty = subprocess.run(["git", "-C", MAIN, "status", "--porcelain", "runtime", "macros"],
                           capture_output=True, text=True).stdout.strip()
    with open(os.path.join(dst, "REV"), "w") as f:
        f.write(rev + (" (runtime/ or macros/ had uncommitted changes)" if dirty else "") + "\n")
    return dst


def strata_manifest(n):
    return f'''[package]
name = "{crate_name("strata", n)}"
version = "0.1.0"
edition = "2021"
publish = false

[dependencies]
strata = {{ package = "strata-orm", path = "../../strata-src/runtime" }}
chrono = {{ version = "0.4", default-features = false, features = ["clock", "std"] }}

[workspace]
'''


def strata_model(k, n, score_ty="i32"):
    prev = f'''    pub prev_id: i64,
    #[strata(belongs_to(fields(prev_id), references(id)))]
    pub prev: BelongsTo<super::m{k-1}::M{k-1}>,
''' if k > 0 else ""
    nxt = f'''    #[strata(has_many)]
    pub next: HasMany<super::m{k+1}::M{k+1}>,
''' if k < n - 1 else ""
    include = f"\n        .include(M{k}::prev())" if k > 0 else ""
    return f'''use chrono::{{DateTime, Utc}};
#[allow(unused_imports)]
use strata::{{BelongsTo, Db, HasMany, Model}};

#[derive(Model, Debug, Clone, PartialEq)]
#[strata(table = "t{k}")]
pub struct M{k} {{
    #[strata(id, default = autoincrement)]
    pub id: i64,
    pub name: String,
    pub note: Option<String>,
    pub active: bool,
    pub score: {score_ty},
    pub ratio: f64,
    pub created_at: DateTime<Utc>,
{prev}{nxt}}}

pub async fn query(db: &Db) -> strata::Result<Vec<M{k}>> {{
    M{k}::find_many()
        .filter(M{k}::score().gt(10).and(M{k}::active().eq(true)))
        .order_by(M{k}::created_at().desc())
        .take(10){include}
        .exec(db)
        .await
}}
'''


def strata_lib(n, recursion_limit=None):
    out = [f'#![recursion_limit = "{recursion_limit}"]\n'] if recursion_limit else []
    out += [f"pub mod m{k};\n" for k in range(n)]
    out.append('''
use std::future::Future;
use std::pin::Pin;

pub type Query<'a> = Pin<Box<dyn Future<Output = strata::Result<usize>> + Send + 'a>>;

/// Every model's query, boxed, so each one is compiled in this crate.
pub fn all_queries(db: &strata::Db) -> Vec<Query<'_>> {
    vec![
''')
    out += [f"        Box::pin(async move {{ m{k}::query(db).await.map(|v| v.len()) }}),\n" for k in range(n)]
    out.append("    ]\n}\n")
    return "".join(out)


# ---------------------------------------------------------------- diesel

def diesel_manifest(n):
    return f'''[package]
name = "{crate_name("diesel", n)}"
version = "0.1.0"
edition = "2021"
publish = false

[dependencies]
diesel = {{ version = "2", features = ["postgres", "chrono"] }}
chrono = {{ version = "0.4", default-features = false, features = ["clock", "std"] }}

[workspace]
'''


def diesel_model(k, n, score_ty="i32"):
    sql_ty = {"i32": "Int4", "i64": "Int8"}[score_ty]
    prev_col = "        prev_id -> Int8,\n" if k > 0 else ""
    prev_field = "    pub prev_id: i64,\n" if k > 0 else ""
    head = "use chrono::{DateTime, Utc};\nuse diesel::prelude::*;\n"
    if k > 0:
        head += f"use crate::m{k-1}::{{t{k-1}, M{k-1}}};\n"
    assoc = f"#[diesel(belongs_to(M{k-1}, foreign_key = prev_id))]\n" if k > 0 else ""
    derives = "Queryable, Selectable, Identifiable, Debug, Clone, PartialEq" + (", Associations" if k > 0 else "")
    joinable = f"diesel::joinable!(t{k} -> t{k-1} (prev_id));\n\n" if k > 0 else ""
    new_prev = "    pub prev_id: i64,\n" if k > 0 else ""
    if k > 0:
        q = f'''pub fn query(conn: &mut PgConnection) -> QueryResult<Vec<(M{k}, M{k-1})>> {{
    t{k}::table
        .inner_join(t{k-1}::table)
        .filter(t{k}::score.gt(10).and(t{k}::active.eq(true)))
        .order(t{k}::created_at.desc())
        .limit(10)
        .select((M{k}::as_select(), M{k-1}::as_select()))
        .load(conn)
}}
'''
    else:
        q = f'''pub fn query(conn: &mut PgConnection) -> QueryResult<Vec<M{k}>> {{
    t{k}::table
        .filter(t{k}::score.gt(10).and(t{k}::active.eq(true)))
        .order(t{k}::created_at.desc())
        .limit(10)
        .select(M{k}::as_select())
        .load(conn)
}}
'''
    return f'''{head}
diesel::table! {{
    t{k} (id) {{
        id -> Int8,
        name -> Text,
        note -> Nullable<Text>,
        active -> Bool,
        score -> {sql_ty},
        ratio -> Float8,
        created_at -> Timestamptz,
{prev_col}    }}
}}

{joinable}#[derive({derives})]
#[diesel(table_name = t{k})]
{assoc}#[diesel(check_for_backend(diesel::pg::Pg))]
pub struct M{k} {{
    pub id: i64,
    pub name: String,
    pub note: Option<String>,
    pub active: bool,
    pub score: {score_ty},
    pub ratio: f64,
    pub created_at: DateTime<Utc>,
{prev_field}}}

#[derive(Insertable)]
#[diesel(table_name = t{k})]
pub struct NewM{k}<'a> {{
    pub name: &'a str,
    pub note: Option<&'a str>,
    pub active: bool,
    pub score: {score_ty},
    pub ratio: f64,
    pub created_at: DateTime<Utc>,
{new_prev}}}

{q}'''


def diesel_lib(n, recursion_limit=None):
    out = [f'#![recursion_limit = "{recursion_limit}"]\n'] if recursion_limit else []
    out += [f"pub mod m{k};\n" for k in range(n)]
    out.append("\nuse diesel::PgConnection;\n")
    out += [f"use m{k}::t{k};\n" for k in range(n)]
    out.append("\ndiesel::allow_tables_to_appear_in_same_query!(\n")
    out += [f"    t{k},\n" for k in range(n)]
    out.append(''');

/// Runs every model's query, so each one is compiled in this crate.
pub fn all_queries(conn: &mut PgConnection) -> diesel::QueryResult<usize> {
    let mut rows = 0;
''')
    out += [f"    rows += m{k}::query(conn)?.len();\n" for k in range(n)]
    out.append("    Ok(rows)\n}\n")
    return "".join(out)


# ---------------------------------------------------------------- SeaORM

def seaorm_manifest(n):
    return f'''[package]
name = "{crate_name("seaorm", n)}"
version = "0.1.0"
edition = "2021"
publish = false

[dependencies]
sea-orm = {{ version = "2", features = ["sqlx-postgres", "runtime-tokio"] }}

[workspace]
'''


def seaorm_model(k, n, score_ty="i32"):
    prev_field = "    pub prev_id: i64,\n" if k > 0 else ""
    if k > 0:
        rel = f'''#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {{
    #[sea_orm(
        belongs_to = "super::m{k-1}::Entity",
        from = "Column::PrevId",
        to = "super::m{k-1}::Column::Id"
    )]
    Prev,
}}

impl Related<super::m{k-1}::Entity> for Entity {{
    fn to() -> RelationDef {{
        Relation::Prev.def()
    }}
}}
'''
        q = f'''pub async fn query(
    db: &DatabaseConnection,
) -> Result<Vec<(Model, Option<super::m{k-1}::Model>)>, DbErr> {{
    Entity::find()
        .filter(Column::Score.gt(10))
        .filter(Column::Active.eq(true))
        .order_by_desc(Column::CreatedAt)
        .limit(10)
        .find_also_related(super::m{k-1}::Entity)
        .all(db)
        .await
}}
'''
    else:
        rel = '''#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}
'''
        q = '''pub async fn query(db: &DatabaseConnection) -> Result<Vec<Model>, DbErr> {
    Entity::find()
        .filter(Column::Score.gt(10))
        .filter(Column::Active.eq(true))
        .order_by_desc(Column::CreatedAt)
        .limit(10)
        .all(db)
        .await
}
'''
    return f'''use sea_orm::entity::prelude::*;
use sea_orm::{{QueryOrder, QuerySelect}};

#[derive(Clone, Debug, PartialEq, DeriveEntityModel)]
#[sea_orm(table_name = "t{k}")]
pub struct Model {{
    #[sea_orm(primary_key)]
    pub id: i64,
    pub name: String,
    pub note: Option<String>,
    pub active: bool,
    pub score: {score_ty},
    pub ratio: f64,
    pub created_at: DateTimeUtc,
{prev_field}}}

{rel}
impl ActiveModelBehavior for ActiveModel {{}}

{q}'''


def seaorm_lib(n, recursion_limit=None):
    out = [f'#![recursion_limit = "{recursion_limit}"]\n'] if recursion_limit else []
    out += [f"pub mod m{k};\n" for k in range(n)]
    out.append('''
use std::future::Future;
use std::pin::Pin;

use sea_orm::{DatabaseConnection, DbErr};

pub type Query<'a> = Pin<Box<dyn Future<Output = Result<usize, DbErr>> + Send + 'a>>;

/// Every model's query, boxed, so each one is compiled in this crate.
pub fn all_queries(db: &DatabaseConnection) -> Vec<Query<'_>> {
    vec![
''')
    out += [f"        Box::pin(async move {{ m{k}::query(db).await.map(|v| v.len()) }}),\n" for k in range(n)]
    out.append("    ]\n}\n")
    return "".join(out)


GEN = {
    "strata": (strata_manifest, strata_model, strata_lib),
    "diesel": (diesel_manifest, diesel_model, diesel_lib),
    "seaorm": (seaorm_manifest, seaorm_model, seaorm_lib),
}


def write(path, text):
    os.makedirs(os.path.dirname(path), exist_ok=True)
    with open(path, "w") as f:
        f.write(text)


def write_model(lib, n, k, score_ty="i32"):
    write(os.path.join(crate_dir(lib, n), "src", f"m{k}.rs"), GEN[lib][1](k, n, score_ty))


def write_lib(lib, n, recursion_limit=None):
    write(os.path.join(crate_dir(lib, n), "src", "lib.rs"), GEN[lib][2](n, recursion_limit))


def generate(lib, n, recursion_limit=None):
    d = crate_dir(lib, n)
    src = os.path.join(d, "src")
    if os.path.exists(src):
        shutil.rmtree(src)
    write(os.path.join(d, "Cargo.toml"), GEN[lib][0](n))
    for k in range(n):
        write_model(lib, n, k)
    write_lib(lib, n, recursion_limit)
    return d


def source_lines(lib, n):
    src = os.path.join(crate_dir(lib, n), "src")
    total = 0
    for name in os.listdir(src):
        with open(os.path.join(src, name)) as f:
            total += sum(1 for line in f if line.strip())
    return total


if __name__ == "__main__":
    import sys
    lib, n = sys.argv[1], int(sys.argv[2])
    if lib == "strata" and not os.path.exists(os.path.join(ROOT, "strata-src")):
        snapshot_strata()
    print(generate(lib, n))
