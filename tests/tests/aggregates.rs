//! Model aggregates (`Post::aggregate(..)`) and group-bys (`Post::group_by(..)`)
//! on real data: each aggregate decodes as the type the core declares on
//! every database, over rows, over no rows, and over NULLs; groups are
//! filtered, kept by `having`, ordered by aggregates and keys, and paged.

use chrono::{DateTime, NaiveDate, NaiveDateTime, TimeDelta, TimeZone, Utc};
use rust_decimal::Decimal;
use strata::dsl::*;
use strata::{Db, Dialect, Error, Model};
use strata_tests::backend_tests;

#[derive(strata::Enum, Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
#[strata(name = "agg_status")]
enum Status {
    Draft,
    Published,
    Archived,
}

#[derive(Model, Debug, Clone)]
#[strata(table = "agg_posts")]
struct Post {
    #[strata(id, default = autoincrement)]
    id: i64,
    author_id: i64,
    title: String,
    status: Status,
    views: i32,
    downloads: i64,
    rating: f32,
    score: f64,
    likes: Option<i32>,
    created_at: DateTime<Utc>,
    published: bool,
}

/// Another model, whose columns a `Post` aggregate must not read.
#[derive(Model, Debug, Clone)]
#[strata(table = "agg_comments")]
struct Comment {
    #[strata(id, default = autoincrement)]
    id: i64,
    post_id: i64,
    likes: i32,
}

/// The other types aggregates take: small integers, dates and local times.
#[derive(Model, Debug, Clone)]
#[strata(table = "agg_readings")]
struct Reading {
    #[strata(id, default = autoincrement)]
    id: i64,
    level: i16,
    spare: Option<i16>,
    taken_on: NaiveDate,
    taken_at: NaiveDateTime,
}

/// Decimal sums and averages stay exact (PostgreSQL and MySQL; SQLite has
/// no exact decimal column).
#[derive(Model, Debug, Clone)]
#[strata(table = "agg_prices")]
struct Price {
    #[strata(id, default = autoincrement)]
    id: i64,
    shop: i32,
    amount: Decimal,
    discount: Option<Decimal>,
}

fn day(n: i64) -> DateTime<Utc> {
    Utc.with_ymd_and_hms(2026, 1, 1, 12, 0, 0).unwrap() + TimeDelta::days(n)
}

struct Row {
    author: i64,
    title: &'static str,
    status: Status,
    views: i32,
    downloads: i64,
    rating: f32,
    score: f64,
    likes: Option<i32>,
    published: bool,
}

/// Six posts by three authors. Published: b, c, d (views 20 + 30 + 10).
const ROWS: [Row; 6] = [
    row(1, "a", Status::Draft, 10, 100, 0.5, 1.5, Some(3), false),
    row(1, "b", Status::Published, 20, 200, 1.5, 2.25, None, true),
    row(1, "c", Status::Published, 30, 300, 2.0, 0.25, Some(5), true),
    row(2, "d", Status::Published, 10, 50, 1.0, 4.0, None, true),
    row(2, "e", Status::Archived, 7, 70, 0.0, 0.5, None, false),
    row(3, "f", Status::Draft, 100, 1_000, 3.5, 8.0, Some(1), false),
];

#[allow(clippy::too_many_arguments)]
const fn row(
    author: i64,
    title: &'static str,
    status: Status,
    views: i32,
    downloads: i64,
    rating: f32,
    score: f64,
    likes: Option<i32>,
    published: bool,
) -> Row {
    Row {
        author,
        title,
        status,
        views,
        downloads,
        rating,
        score,
        likes,
        published,
    }
}

async fn seed(db: &Db) {
    db.push_schema::<(Post, Comment)>().await.unwrap();
    insert_posts(db).await;
}

async fn insert_posts(db: &Db) {
    for (i, r) in ROWS.iter().enumerate() {
        let mut create = Post::create()
            .author_id(r.author)
            .title(r.title)
            .status(r.status)
            .views(r.views)
            .downloads(r.downloads)
            .rating(r.rating)
            .score(r.score)
            .created_at(day(i as i64))
            .published(r.published);
        if let Some(likes) = r.likes {
            create = create.likes(likes);
        }
        create.exec(db).await.unwrap();
    }
}

fn close(actual: Option<f64>, expected: f64) {
    let actual = actual.unwrap_or_else(|| panic!("expected {expected}, got NULL"));
    assert!((actual - expected).abs() < 1e-9, "{actual} != {expected}");
}

backend_tests!(aggregates_have_their_declared_types, |db| async move {
    seed(&db).await;
    let (count, sum_views, sum_downloads, sum_score, sum_rating): (
        i64,
        Option<i64>,
        Option<i64>,
        Option<f64>,
        Option<f64>,
    ) = Post::aggregate((
        count_all(),
        sum(Post::views()),
        sum(Post::downloads()),
        sum(Post::score()),
        sum(Post::rating()),
    ))
    .exec(&db)
    .await
    .unwrap();
    assert_eq!(count, 6);
    assert_eq!(sum_views, Some(177));
    assert_eq!(sum_downloads, Some(1_720));
    close(sum_score, 16.5);
    close(sum_rating, 8.5);

    let (avg_views, avg_score, avg_rating, min_created, max_title, distinct_authors) =
        Post::aggregate((
            avg(Post::views()),
            avg(Post::score()),
            avg(Post::rating()),
            min(Post::created_at()),
            max(Post::title()),
            count_distinct(Post::author_id()),
        ))
        .exec(&db)
        .await
        .unwrap();
    close(avg_views, 177.0 / 6.0);
    close(avg_score, 16.5 / 6.0);
    close(avg_rating, 8.5 / 6.0);
    assert_eq!(min_created, Some(day(0)));
    assert_eq!(max_title.as_deref(), Some("f"));
    assert_eq!(distinct_authors, 3);
});

backend_tests!(filter_selects_the_rows_aggregated, |db| async move {
    seed(&db).await;
    let published = Post::aggregate((
        count_all(),
        sum(Post::views()),
        avg(Post::views()),
        min(Post::created_at()),
        count_distinct(Post::author_id()),
    ))
    .filter(Post::published().eq(true))
    .exec(&db)
    .await
    .unwrap();
    assert_eq!(published, (3, Some(60), Some(20.0), Some(day(1)), 2));
    // Filters combine.
    let by_one = Post::aggregate(sum(Post::views()))
        .filter(Post::published().eq(true))
        .filter(Post::author_id().eq(1))
        .exec(&db)
        .await
        .unwrap();
    assert_eq!(by_one, Some(50));
});

backend_tests!(
    over_no_rows_counts_are_zero_and_the_rest_null,
    |db| async move {
        db.push_schema::<(Post, Comment)>().await.unwrap();
        let empty = Post::aggregate((
            count_all(),
            count(Post::likes()),
            count_distinct(Post::author_id()),
            sum(Post::views()),
            sum(Post::score()),
            avg(Post::views()),
            min(Post::created_at()),
            max(Post::likes()),
        ))
        .exec(&db)
        .await
        .unwrap();
        assert_eq!(empty, (0, 0, 0, None, None, None, None, None));
        // The same when a filter matches nothing in a table with rows.
        insert_posts(&db).await;
        let none = Post::aggregate((count_all(), sum(Post::views()), max(Post::title())))
            .filter(Post::author_id().eq(99))
            .exec(&db)
            .await
            .unwrap();
        assert_eq!(none, (0, None, None));
    }
);

backend_tests!(
    nulls_are_skipped_and_a_nullable_column_sums_to_an_option,
    |db| async move {
        seed(&db).await;
        // likes: 3, NULL, 5, NULL, NULL, 1.
        let (all, non_null, total, mean, low, high) = Post::aggregate((
            count_all(),
            count(Post::likes()),
            sum(Post::likes()),
            avg(Post::likes()),
            min(Post::likes()),
            max(Post::likes()),
        ))
        .exec(&db)
        .await
        .unwrap();
        assert_eq!(
            (all, non_null, total, low, high),
            (6, 3, Some(9), Some(1), Some(5))
        );
        close(mean, 3.0);
        // Only NULLs: the sum, average and extremes are NULL, the count 0.
        let only_nulls = Post::aggregate((
            count(Post::likes()),
            sum(Post::likes()),
            avg(Post::likes()),
            min(Post::likes()),
        ))
        .filter(Post::author_id().eq(2))
        .exec(&db)
        .await
        .unwrap();
        assert_eq!(only_nulls, (0, None, None, None));
    }
);

backend_tests!(
    group_by_reads_keys_and_aggregates_per_group,
    |db| async move {
        seed(&db).await;
        // (author, status) -> (posts, views)
        type Group = ((i64, Status), (i64, Option<i64>));
        let mut groups: Vec<Group> = Post::group_by((Post::author_id(), Post::status()))
            .aggregate((count_all(), sum(Post::views())))
            .exec(&db)
            .await
            .unwrap();
        groups.sort_by_key(|(key, _)| *key);
        assert_eq!(
            groups,
            [
                ((1, Status::Draft), (1, Some(10))),
                ((1, Status::Published), (2, Some(50))),
                ((2, Status::Published), (1, Some(10))),
                ((2, Status::Archived), (1, Some(7))),
                ((3, Status::Draft), (1, Some(100))),
            ]
        );
    }
);

backend_tests!(
    enum_keys_group_and_filter_on_every_database,
    |db| async move {
        seed(&db).await;
        let mut by_status = Post::group_by(Post::status())
            .aggregate((count_all(), max(Post::title())))
            .exec(&db)
            .await
            .unwrap();
        by_status.sort_by_key(|(status, _)| *status);
        assert_eq!(
            by_status,
            [
                (Status::Draft, (2, Some("f".to_owned()))),
                (Status::Published, (3, Some("d".to_owned()))),
                (Status::Archived, (1, Some("e".to_owned()))),
            ]
        );
        // An enum key in `having`, compared with a bound value.
        let published = Post::group_by(Post::status())
            .aggregate(count_all())
            .having(Post::status().eq(Status::Published))
            .exec(&db)
            .await
            .unwrap();
        assert_eq!(published, [(Status::Published, 3)]);
        // Without aggregates: the distinct groups.
        let mut statuses = Post::group_by(Post::status())
            .filter(Post::published().eq(false))
            .exec(&db)
            .await
            .unwrap();
        statuses.sort();
        assert_eq!(statuses, [Status::Draft, Status::Archived]);
    }
);

backend_tests!(having_keeps_groups_by_their_aggregates, |db| async move {
    seed(&db).await;
    // Views per author: 1 -> 60, 2 -> 17, 3 -> 100.
    let busy = Post::group_by(Post::author_id())
        .aggregate((sum(Post::views()), count_all()))
        .having(sum(Post::views()).gt(50))
        .order_by(sum(Post::views()).desc())
        .exec(&db)
        .await
        .unwrap();
    assert_eq!(busy, [(3, (Some(100), 1)), (1, (Some(60), 3))]);
    // Conditions combine, on aggregates and keys; the filter applies first.
    let filtered = Post::group_by(Post::author_id())
        .aggregate(count_all())
        .filter(Post::views().gte(10))
        .having(count_all().gte(1))
        .having(Post::author_id().ne(3))
        .order_by(Post::author_id().asc())
        .exec(&db)
        .await
        .unwrap();
    assert_eq!(filtered, [(1, 3), (2, 1)]);
});

backend_tests!(groups_order_by_aggregates_and_page, |db| async move {
    seed(&db).await;
    // Ascending by the smallest like: author 2 has only NULLs, which sort
    // last ascending and first descending on every database.
    let ascending = Post::group_by(Post::author_id())
        .aggregate(min(Post::likes()))
        .order_by(min(Post::likes()).asc())
        .exec(&db)
        .await
        .unwrap();
    assert_eq!(ascending, [(3, Some(1)), (1, Some(3)), (2, None)]);
    let descending = Post::group_by(Post::author_id())
        .aggregate(min(Post::likes()))
        .order_by(min(Post::likes()).desc())
        .exec(&db)
        .await
        .unwrap();
    assert_eq!(descending, [(2, None), (1, Some(3)), (3, Some(1))]);
    let nulls_first = Post::group_by(Post::author_id())
        .aggregate(min(Post::likes()))
        .order_by(min(Post::likes()).asc().nulls_first())
        .exec(&db)
        .await
        .unwrap();
    assert_eq!(nulls_first, [(2, None), (3, Some(1)), (1, Some(3))]);
    // Pages: both groups count 3, so the keys end the order and pages
    // neither overlap nor skip a group.
    let mut pages = Vec::new();
    for page in 0..3 {
        let rows = Post::group_by(Post::published())
            .aggregate(count_all())
            .order_by(count_all().desc())
            .skip(page)
            .take(1)
            .exec(&db)
            .await
            .unwrap();
        pages.extend(rows);
    }
    assert_eq!(pages, [(false, 3), (true, 3)]);
    let by_count = Post::group_by((Post::author_id(), Post::published()))
        .aggregate(count_all())
        .order_by(count_all().desc())
        .skip(1)
        .take(2)
        .exec(&db)
        .await
        .unwrap();
    // Counts: (1,false) 1, (1,true) 2, (2,false) 1, (2,true) 1, (3,false) 1;
    // after the top group the ties follow in key order.
    assert_eq!(by_count, [((1, false), 1), ((2, false), 1)]);
});

backend_tests!(
    columns_neither_grouped_nor_aggregated_are_refused,
    |db| async move {
        seed(&db).await;
        let ungrouped = Post::aggregate((count_all(), expr(Post::title())))
            .exec(&db)
            .await;
        match ungrouped {
            Err(Error::InvalidValue {
                model: "Post",
                field: Some("title"),
                reason,
            }) => assert!(reason.contains("group_by"), "{reason}"),
            other => panic!("expected the ungrouped title to be refused, got {other:?}"),
        }
        let having = Post::group_by(Post::author_id())
            .aggregate(count_all())
            .having(Post::views().gt(1))
            .exec(&db)
            .await;
        assert!(
            matches!(&having, Err(Error::InvalidValue { model: "Post", field: Some("views"), reason }) if reason.contains("having")),
            "{having:?}"
        );
        let order = Post::group_by(Post::author_id())
            .aggregate(count_all())
            .order_by(Post::title().asc())
            .exec(&db)
            .await;
        assert!(
            matches!(&order, Err(Error::InvalidValue { model: "Post", field: Some("title"), reason }) if reason.contains("order_by")),
            "{order:?}"
        );
        Comment::create()
            .post_id(1)
            .likes(4)
            .exec(&db)
            .await
            .unwrap();
        let foreign = Post::aggregate(sum(Comment::likes())).exec(&db).await;
        match foreign {
            Err(Error::InvalidValue {
                model: "Post",
                reason,
                ..
            }) => {
                assert!(reason.contains("agg_comments"), "{reason}")
            }
            other => panic!("expected another table's column to be refused, got {other:?}"),
        }
        // A group key may be read through an expression too.
        let keyed = Post::group_by(Post::author_id())
            .aggregate((expr(Post::author_id()), count_all()))
            .order_by(Post::author_id().asc())
            .exec(&db)
            .await
            .unwrap();
        assert_eq!(keyed, [(1, (1, 3)), (2, (2, 2)), (3, (3, 1))]);
    }
);

backend_tests!(decimal_sums_and_averages_are_exact, |db| async move {
    if db.dialect() == Dialect::Sqlite {
        // SQLite has no exact decimal column: push_schema refuses the model.
        return;
    }
    db.push_schema::<Price>().await.unwrap();
    for (shop, amount, discount) in [
        (1, "0.10", Some("0.01")),
        (1, "0.20", None),
        (2, "12345678901234567890.123456789", Some("1")),
    ] {
        let mut create = Price::create()
            .shop(shop)
            .amount(amount.parse::<Decimal>().unwrap());
        if let Some(discount) = discount {
            create = create.discount(discount.parse::<Decimal>().unwrap());
        }
        create.exec(&db).await.unwrap();
    }
    let mut shops = Price::group_by(Price::shop())
        .aggregate((
            sum(Price::amount()),
            avg(Price::amount()),
            sum(Price::discount()),
        ))
        .exec(&db)
        .await
        .unwrap();
    shops.sort_by_key(|(shop, _)| *shop);
    let dec = |s: &str| s.parse::<Decimal>().unwrap();
    let (shop1, (sum1, avg1, discount1)) = &shops[0];
    assert_eq!(*shop1, 1);
    assert_eq!(*sum1, Some(dec("0.30")));
    assert_eq!(avg1.map(|d| d.normalize()), Some(dec("0.15")));
    assert_eq!(*discount1, Some(dec("0.01")));
    let (_, (sum2, _, _)) = &shops[1];
    assert_eq!(*sum2, Some(dec("12345678901234567890.123456789")));
    let empty = Price::aggregate((sum(Price::amount()), avg(Price::amount())))
        .filter(Price::shop().eq(9))
        .exec(&db)
        .await
        .unwrap();
    assert_eq!(empty, (None, None));
});

backend_tests!(
    small_integers_dates_and_local_times_aggregate,
    |db| async move {
        db.push_schema::<Reading>().await.unwrap();
        let on = |d: u32| NaiveDate::from_ymd_opt(2026, 3, d).unwrap();
        let at = |d: u32| on(d).and_hms_micro_opt(8, 30, 0, 250_000).unwrap();
        for (level, spare, d) in [
            (i16::MAX, Some(1), 3),
            (i16::MAX, None, 1),
            (-2, Some(2), 2),
        ] {
            let mut create = Reading::create()
                .level(level)
                .taken_on(on(d))
                .taken_at(at(d));
            if let Some(spare) = spare {
                create = create.spare(spare);
            }
            create.exec(&db).await.unwrap();
        }
        let (total, mean, spare, low, high, first, last) = Reading::aggregate((
            sum(Reading::level()),
            avg(Reading::level()),
            sum(Reading::spare()),
            min(Reading::level()),
            max(Reading::spare()),
            min(Reading::taken_on()),
            max(Reading::taken_at()),
        ))
        .exec(&db)
        .await
        .unwrap();
        // The sum of i16s is an i64: it passes i16::MAX without overflowing.
        assert_eq!(total, Some(2 * i64::from(i16::MAX) - 2));
        close(mean, (2.0 * f64::from(i16::MAX) - 2.0) / 3.0);
        assert_eq!((spare, low, high), (Some(3), Some(-2), Some(2)));
        assert_eq!((first, last), (Some(on(1)), Some(at(3))));
        let empty = Reading::aggregate((sum(Reading::level()), min(Reading::taken_on())))
            .filter(Reading::level().eq(0))
            .exec(&db)
            .await
            .unwrap();
        assert_eq!(empty, (None, None));
    }
);

backend_tests!(a_nullable_key_groups_its_nulls_together, |db| async move {
    seed(&db).await;
    // likes: 3, NULL, 5, NULL, NULL, 1. The NULLs form one group, sorted
    // last ascending (first descending) on every database.
    let ascending = Post::group_by(Post::likes())
        .aggregate((count_all(), sum(Post::views())))
        .order_by(Post::likes().asc())
        .exec(&db)
        .await
        .unwrap();
    assert_eq!(
        ascending,
        [
            (Some(1), (1, Some(100))),
            (Some(3), (1, Some(10))),
            (Some(5), (1, Some(30))),
            (None, (3, Some(37))),
        ]
    );
    let descending = Post::group_by(Post::likes())
        .order_by(Post::likes().desc())
        .exec(&db)
        .await
        .unwrap();
    assert_eq!(descending, [None, Some(5), Some(3), Some(1)]);
});
