//! The DDL `migrate::ddl::create` renders per dialect: a whole schema (the
//! shop; the blog's is in sql_snapshots.rs) and each object statement the
//! migration diff builds on.

use schema_examples::shop::ShopSchema;
use strata::migrate::ddl::create;
use strata::migrate::{from_models, Action, Column, ForeignKey, Index, IndexPart};
use strata::ModelSet;
use strata_tests::DIALECTS;

#[test]
fn shop_schema_ddl() {
    for (dialect, suffix) in DIALECTS {
        let schema = from_models::db_schema(&ShopSchema::schemas(), dialect).unwrap();
        let ddl = create::create_schema(dialect, &schema);
        insta::assert_snapshot!(format!("shop_ddl@{suffix}"), ddl.join(";\n\n"));
        let drop = create::drop_schema(dialect, &schema);
        insta::assert_snapshot!(format!("shop_drop@{suffix}"), drop.join(";\n"));
    }
}

/// Each statement with the features the dialect has: INCLUDE only on
/// PostgreSQL, partial and expression keys not on MySQL, no foreign key
/// added to an existing SQLite table.
#[test]
fn object_statements() {
    use strata::Dialect::*;
    for (dialect, suffix) in DIALECTS {
        let mut parts = vec![IndexPart::Column {
            name: "placed_on".into(),
            descending: true,
        }];
        if dialect != MySql {
            parts.push(IndexPart::Expression("lower(customer_email)".into()));
        }
        let index = Index {
            name: "orders_recent_idx".into(),
            parts,
            unique: true,
            method: None,
            include: if dialect == Postgres {
                vec!["note".into()]
            } else {
                vec![]
            },
            predicate: (dialect != MySql).then(|| "state <> 'CANCELLED'".into()),
        };
        let fk = ForeignKey {
            name: "orders_customer_fkey".into(),
            columns: vec!["customer_id".into()],
            referenced_table: "customers".into(),
            referenced_columns: vec!["id".into()],
            on_delete: Action::SetNull,
            on_update: Action::Cascade,
        };
        let column = Column {
            name: "state".into(),
            ty: match dialect {
                Postgres => "order_state".into(),
                MySql => "enum('PENDING','PAID')".into(),
                Sqlite => "text".into(),
            },
            nullable: false,
            default: Some("'PENDING'".into()),
            generated: false,
        };
        let mut statements = vec![
            create::create_index(dialect, "orders", &index, true),
            create::create_index(dialect, "orders", &index, false),
            create::drop_index(dialect, "orders", &index.name, true),
        ];
        if dialect != Sqlite {
            statements.push(create::add_foreign_key(dialect, "orders", &fk));
            statements.push(create::drop_foreign_key(dialect, "orders", &fk.name));
        }
        statements.push(create::column_definition(dialect, &column));
        statements.push(create::drop_table(dialect, "orders"));
        insta::assert_snapshot!(
            format!("object_statements@{suffix}"),
            statements.join(";\n")
        );
    }
}

#[test]
fn decimal_on_sqlite_names_the_model_and_field() {
    let error = from_models::db_schema(&Price::schemas(), strata::Dialect::Sqlite).unwrap_err();
    let message = error.to_string();
    assert!(message.contains("Price.amount"), "{message}");
}

/// A model SQLite cannot store: a decimal has no exact type there.
#[derive(strata::Model, Debug)]
#[strata(table = "prices")]
pub struct Price {
    #[strata(id)]
    pub id: i32,
    pub amount: rust_decimal::Decimal,
}
