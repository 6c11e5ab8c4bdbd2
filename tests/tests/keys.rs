//! Composite unique keys, column renames and SQL defaults on every database.

use strata::{increment, Error, Model};
use strata_tests::backend_tests;

#[derive(Model, Debug, Clone, PartialEq)]
#[strata(table = "memberships", unique(fields(org, member)))]
struct Membership {
    #[strata(id, default = autoincrement)]
    id: i64,
    org: String,
    #[strata(column = "member_email")]
    member: String,
    #[strata(default(sql = "40 + 2"))]
    seats: i32,
    #[strata(column = "is admin")]
    admin: Option<bool>,
}

backend_tests!(
    composite_unique_keys_find_update_upsert_and_conflict,
    |db| async move {
        db.push_schema::<Membership>().await.unwrap();
        let m = Membership::create()
            .org("acme")
            .member("ann@x.io")
            .exec(&db)
            .await
            .unwrap();
        assert_eq!(
            m.seats, 42,
            "SQL default applied by the database and returned"
        );
        assert_eq!(m.admin, None);
        Membership::create()
            .org("acme")
            .member("bob@x.io")
            .admin(true)
            .exec(&db)
            .await
            .unwrap();
        Membership::create()
            .org("initech")
            .member("ann@x.io")
            .exec(&db)
            .await
            .unwrap();

        let found = Membership::find_by_org_member("acme", "ann@x.io")
            .exec(&db)
            .await
            .unwrap();
        assert_eq!(found, Some(m.clone()));
        assert!(Membership::find_by_org_member("acme", "cy@x.io")
            .exec(&db)
            .await
            .unwrap()
            .is_none());

        let err = Membership::create()
            .org("acme")
            .member("ann@x.io")
            .exec(&db)
            .await
            .unwrap_err();
        match err {
            Error::UniqueViolation { fields, .. } => assert_eq!(fields, ["org", "member"]),
            other => panic!("expected UniqueViolation, got {other:?}"),
        }

        let updated = Membership::update(Membership::by_org_member("acme", "ann@x.io"))
            .seats(increment(1))
            .admin(false)
            .exec(&db)
            .await
            .unwrap();
        assert_eq!((updated.seats, updated.admin), (43, Some(false)));

        let upsert = || {
            Membership::upsert(
                Membership::by_org_member("globex", "ann@x.io"),
                Membership::create()
                    .org("globex")
                    .member("ann@x.io")
                    .seats(5),
                Membership::changes().seats(increment(1)),
            )
        };
        assert_eq!(upsert().exec(&db).await.unwrap().seats, 5, "inserted");
        assert_eq!(upsert().exec(&db).await.unwrap().seats, 6, "updated");

        // A renamed column (with a space in its name) filters, sorts and selects.
        let admins = Membership::find_many()
            .filter(Membership::admin().eq(true))
            .order_by(Membership::member().asc())
            .select(Membership::member())
            .exec(&db)
            .await
            .unwrap();
        assert_eq!(admins, ["bob@x.io"]);
        let removed = Membership::delete(Membership::by_org_member("initech", "ann@x.io"))
            .exec(&db)
            .await
            .unwrap();
        assert_eq!(removed.org, "initech");
        assert_eq!(Membership::count().exec(&db).await.unwrap(), 3);
    }
);
