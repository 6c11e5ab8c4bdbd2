//! Property: the batched and joined include strategies return equal rows in
//! equal order, on random data and random include trees. Each dataset is
//! generated from a fixed seed (random row counts, NULLs, duplicate sort keys,
//! self-relations and both kinds of many-to-many), then a fixed number of
//! random reads (root filter, order and page; nested includes with random
//! filters, orders ending in NULL-able and duplicate keys, skips and takes)
//! run both ways. A failure prints the seed, the case and the read's shape.

use chrono::{TimeZone, Utc};
use schema_examples::blog::{
    BlogSchema, Category, Comment, Post, PostStatus, PostTag, Profile, ProfileSettings, Role, Tag,
    User,
};
use strata::query::{Filter, Order};
use strata::relation::{Include, Relation, Strategy};
use strata::{Db, Error, FindMany, Json, Model, PartialModel};
use strata_tests::backend_tests;

mod common;

/// Reads per dataset; three datasets per database.
const CASES: usize = 40;

/// xorshift64*: small, seeded, and the same on every machine.
struct Rng(u64);

impl Rng {
    fn next(&mut self) -> u64 {
        self.0 ^= self.0 >> 12;
        self.0 ^= self.0 << 25;
        self.0 ^= self.0 >> 27;
        self.0.wrapping_mul(0x2545_F491_4F6C_DD1D)
    }

    fn below(&mut self, n: u64) -> u64 {
        self.next() % n
    }

    fn chance(&mut self, percent: u64) -> bool {
        self.below(100) < percent
    }

    fn pick<T: Copy>(&mut self, items: &[T]) -> T {
        items[self.below(items.len() as u64) as usize]
    }
}

async fn dataset(db: &Db, rng: &mut Rng) -> Result<(), Error> {
    db.push_schema::<BlogSchema>().await?;
    let mut users: Vec<User> = Vec::new();
    for i in 0..rng.below(9) {
        let mut create = User::create()
            .email(format!("u{i}@x.io"))
            .role(rng.pick(&[Role::User, Role::Admin, Role::Moderator]))
            .credits(rng.pick(&[0, 1, 1, 5]));
        if rng.chance(60) {
            create = create.name(rng.pick(&["ann", "bob", "ann"]));
        }
        if !users.is_empty() && rng.chance(50) {
            let manager = &users[rng.below(users.len() as u64) as usize];
            create = create.manager_id(&manager.id);
        }
        users.push(create.exec(db).await?);
    }
    for user in &users {
        if rng.chance(50) {
            (Profile::create().user_id(&user.id))
                .settings(Json(ProfileSettings::default()))
                .exec(db)
                .await?;
        }
    }
    let mut categories: Vec<Category> = Vec::new();
    for i in 0..rng.below(4) {
        let mut create = Category::create().name(format!("cat{i}"));
        if !categories.is_empty() && rng.chance(50) {
            create = create.parent_id(categories[rng.below(categories.len() as u64) as usize].id);
        }
        categories.push(create.exec(db).await?);
    }
    let stamp = |s: u32| Utc.with_ymd_and_hms(2026, 1, 1, 0, 0, s).unwrap();
    let mut posts: Vec<Post> = Vec::new();
    for user in &users {
        for _ in 0..rng.below(5) {
            let mut create = Post::create()
                .title(rng.pick(&["x", "y", "z", "x"]))
                .author_id(&user.id)
                .published(rng.chance(50))
                .status(rng.pick(&[PostStatus::Draft, PostStatus::Published]))
                .views(rng.pick(&[0, 10, 10, 20]));
            if rng.chance(40) {
                create = create.content("body");
            }
            if rng.chance(60) {
                create = create.rating(rng.pick(&[1.5, 2.5, 2.5]));
            }
            match rng.below(3) {
                0 => {}
                1 => create = create.metadata(serde_json::Value::Null),
                _ => create = create.metadata(serde_json::json!({"k": [1, "two"]})),
            }
            if !categories.is_empty() && rng.chance(50) {
                let category = &categories[rng.below(categories.len() as u64) as usize];
                create = create.category_id(category.id);
            }
            if rng.chance(50) {
                create = create.published_at(stamp(rng.below(2) as u32));
            }
            posts.push(create.exec(db).await?);
        }
    }
    for post in &posts {
        for _ in 0..rng.below(4) {
            let author = &users[rng.below(users.len() as u64) as usize];
            (Comment::create().body(rng.pick(&["c1", "c2", "c1"])))
                .post_id(post.id)
                .author_id(&author.id)
                .exec(db)
                .await?;
        }
    }
    let mut tags: Vec<Tag> = Vec::new();
    for i in 0..rng.below(5) {
        tags.push(Tag::create().name(format!("t{i}")).exec(db).await?);
    }
    for post in &posts {
        for tag in &tags {
            if rng.chance(35) {
                (PostTag::create().post_id(post.id))
                    .tag_id(tag.id)
                    .exec(db)
                    .await?;
            }
        }
    }
    for followed in &users {
        for follower in &users {
            if followed.id != follower.id && rng.chance(25) {
                common::follow(db, followed, follower).await;
            }
        }
    }
    Ok(())
}

/// Something an include can be added to: a read, or an include (nesting).
trait AddInclude<C>: Sized {
    fn add(self, include: impl Include<C> + 'static) -> Self;
}

impl<C: Model> AddInclude<C> for FindMany<C> {
    fn add(self, include: impl Include<C> + 'static) -> Self {
        self.include(include)
    }
}

impl<P: Model, C: PartialModel, S> AddInclude<C> for Relation<P, C, S> {
    fn add(self, include: impl Include<C> + 'static) -> Self {
        self.include(include)
    }
}

type Filters<C> = &'static [(&'static str, fn() -> Filter<C>)];
type Orders<C> = &'static [(&'static str, fn() -> Order<C>)];

const USER_FILTERS: Filters<User> = &[
    ("name not null", || User::name().is_not_null()),
    ("credits >= 1", || User::credits().gte(1)),
    ("role = Admin", || User::role().eq(Role::Admin)),
    ("has a post with views", || {
        User::posts().some(Post::views().gt(0))
    }),
];
const USER_ORDERS: Orders<User> = &[
    ("email asc", || User::email().asc()),
    ("name desc", || User::name().desc()),
    ("name asc nulls first", || User::name().asc().nulls_first()),
    ("credits asc", || User::credits().asc()),
    ("role desc", || User::role().desc()),
];
const POST_FILTERS: Filters<Post> = &[
    ("published", || Post::published().eq(true)),
    ("views >= 10", || Post::views().gte(10)),
    ("rating null", || Post::rating().is_null()),
    ("rating > 2", || Post::rating().gt(2.0)),
    ("title in x,y", || Post::title().in_(["x", "y"])),
    ("not published or no content", || {
        Post::published().eq(false).or(Post::content().is_null())
    }),
    ("has comment c1", || {
        Post::comments().some(Comment::body().eq("c1"))
    }),
];
const POST_ORDERS: Orders<Post> = &[
    ("title asc", || Post::title().asc()),
    ("title desc", || Post::title().desc()),
    ("views desc", || Post::views().desc()),
    ("views asc", || Post::views().asc()),
    ("rating asc", || Post::rating().asc()),
    ("rating desc", || Post::rating().desc()),
    ("rating desc nulls last", || {
        Post::rating().desc().nulls_last()
    }),
    ("published asc", || Post::published().asc()),
    ("published_at desc", || Post::published_at().desc()),
];
const COMMENT_FILTERS: Filters<Comment> = &[
    ("body c2", || Comment::body().eq("c2")),
    ("body not c2", || Comment::body().ne("c2")),
];
const COMMENT_ORDERS: Orders<Comment> = &[
    ("body asc", || Comment::body().asc()),
    ("body desc", || Comment::body().desc()),
    ("id desc", || Comment::id().desc()),
];
const TAG_FILTERS: Filters<Tag> = &[("name not t0", || Tag::name().ne("t0"))];
const TAG_ORDERS: Orders<Tag> = &[
    ("name desc", || Tag::name().desc()),
    ("id desc", || Tag::id().desc()),
];
const CATEGORY_FILTERS: Filters<Category> = &[("root", || Category::parent_id().is_null())];
const CATEGORY_ORDERS: Orders<Category> = &[
    ("name desc", || Category::name().desc()),
    ("parent asc", || Category::parent_id().asc()),
];

/// Random filter, order and (for to-many relations) page of one include.
fn shape<P: Model, C: PartialModel, S>(
    rng: &mut Rng,
    log: &mut String,
    mut relation: Relation<P, C, S>,
    filters: Filters<C>,
    orders: Orders<C>,
    to_many: bool,
) -> Relation<P, C, S> {
    log.push_str(relation.schema().field);
    log.push('(');
    if !filters.is_empty() && rng.chance(35) {
        let (name, filter) = rng.pick(filters);
        relation = relation.filter(filter());
        log.push_str(&format!("filter {name}; "));
    }
    for _ in 0..if orders.is_empty() { 0 } else { rng.below(3) } {
        let (name, order) = rng.pick(orders);
        relation = relation.order_by(order());
        log.push_str(&format!("order {name}; "));
    }
    if to_many && rng.chance(30) {
        let n = rng.below(3);
        relation = relation.skip(n);
        log.push_str(&format!("skip {n}; "));
    }
    if to_many && rng.chance(40) {
        let n = 1 + rng.below(3);
        relation = relation.take(n);
        log.push_str(&format!("take {n}; "));
    }
    relation
}

fn close(log: &mut String) {
    log.push_str(") ");
}

fn nest_user<Q: AddInclude<User>>(mut q: Q, rng: &mut Rng, depth: u32, log: &mut String) -> Q {
    if depth == 0 {
        return q;
    }
    for _ in 0..rng.below(3) {
        q = match rng.below(7) {
            0 => {
                let r = shape(rng, log, User::posts(), POST_FILTERS, POST_ORDERS, true);
                let r = nest_post(r, rng, depth - 1, log);
                close(log);
                q.add(r)
            }
            1 => {
                let r = shape(
                    rng,
                    log,
                    User::comments(),
                    COMMENT_FILTERS,
                    COMMENT_ORDERS,
                    true,
                );
                let r = nest_comment(r, rng, depth - 1, log);
                close(log);
                q.add(r)
            }
            2 => {
                let r = shape(rng, log, User::profile(), &[], &[], false);
                close(log);
                q.add(r)
            }
            3 => {
                let r = shape(rng, log, User::manager(), USER_FILTERS, USER_ORDERS, false);
                let r = nest_user(r, rng, depth - 1, log);
                close(log);
                q.add(r)
            }
            4 => {
                let r = shape(rng, log, User::reports(), USER_FILTERS, USER_ORDERS, true);
                let r = nest_user(r, rng, depth - 1, log);
                close(log);
                q.add(r)
            }
            5 => {
                let r = shape(rng, log, User::followers(), USER_FILTERS, USER_ORDERS, true);
                let r = nest_user(r, rng, depth - 1, log);
                close(log);
                q.add(r)
            }
            _ => {
                let r = shape(rng, log, User::following(), USER_FILTERS, USER_ORDERS, true);
                let r = nest_user(r, rng, depth - 1, log);
                close(log);
                q.add(r)
            }
        };
    }
    q
}

fn nest_post<Q: AddInclude<Post>>(mut q: Q, rng: &mut Rng, depth: u32, log: &mut String) -> Q {
    if depth == 0 {
        return q;
    }
    for _ in 0..rng.below(3) {
        q = match rng.below(4) {
            0 => {
                // A required belongs_to: never filtered out (that is an error).
                let r = shape(rng, log, Post::author(), &[], &[], false);
                let r = nest_user(r, rng, depth - 1, log);
                close(log);
                q.add(r)
            }
            1 => {
                let r = shape(rng, log, Post::category(), CATEGORY_FILTERS, &[], false);
                let r = nest_category(r, rng, depth - 1, log);
                close(log);
                q.add(r)
            }
            2 => {
                let r = shape(
                    rng,
                    log,
                    Post::comments(),
                    COMMENT_FILTERS,
                    COMMENT_ORDERS,
                    true,
                );
                let r = nest_comment(r, rng, depth - 1, log);
                close(log);
                q.add(r)
            }
            _ => {
                let r = shape(rng, log, Post::tags(), TAG_FILTERS, TAG_ORDERS, true);
                let r = nest_tag(r, rng, depth - 1, log);
                close(log);
                q.add(r)
            }
        };
    }
    q
}

fn nest_comment<Q: AddInclude<Comment>>(
    mut q: Q,
    rng: &mut Rng,
    depth: u32,
    log: &mut String,
) -> Q {
    if depth == 0 {
        return q;
    }
    for _ in 0..rng.below(2) {
        q = if rng.chance(50) {
            let r = shape(rng, log, Comment::author(), &[], &[], false);
            let r = nest_user(r, rng, depth - 1, log);
            close(log);
            q.add(r)
        } else {
            let r = shape(rng, log, Comment::post(), &[], &[], false);
            let r = nest_post(r, rng, depth - 1, log);
            close(log);
            q.add(r)
        };
    }
    q
}

fn nest_tag<Q: AddInclude<Tag>>(mut q: Q, rng: &mut Rng, depth: u32, log: &mut String) -> Q {
    if depth == 0 || rng.chance(50) {
        return q;
    }
    let r = shape(rng, log, Tag::posts(), POST_FILTERS, POST_ORDERS, true);
    let r = nest_post(r, rng, depth - 1, log);
    close(log);
    q = q.add(r);
    q
}

fn nest_category<Q: AddInclude<Category>>(
    mut q: Q,
    rng: &mut Rng,
    depth: u32,
    log: &mut String,
) -> Q {
    if depth == 0 {
        return q;
    }
    for _ in 0..rng.below(2) {
        q = match rng.below(3) {
            0 => {
                let r = shape(rng, log, Category::parent(), CATEGORY_FILTERS, &[], false);
                let r = nest_category(r, rng, depth - 1, log);
                close(log);
                q.add(r)
            }
            1 => {
                let r = shape(
                    rng,
                    log,
                    Category::children(),
                    CATEGORY_FILTERS,
                    CATEGORY_ORDERS,
                    true,
                );
                let r = nest_category(r, rng, depth - 1, log);
                close(log);
                q.add(r)
            }
            _ => {
                let r = shape(rng, log, Category::posts(), POST_FILTERS, POST_ORDERS, true);
                let r = nest_post(r, rng, depth - 1, log);
                close(log);
                q.add(r)
            }
        };
    }
    q
}

/// The root read: a random filter, an order made total by the primary key
/// (the strategies' root statements differ, so ties must not decide), and
/// sometimes a page (PostgreSQL then keeps subqueries instead of lateral joins).
fn root<M: Model>(
    rng: &mut Rng,
    log: &mut String,
    filters: Filters<M>,
    orders: Orders<M>,
    primary_key: fn() -> Order<M>,
) -> FindMany<M> {
    let mut read = FindMany::<M>::new();
    if rng.chance(30) {
        let (name, filter) = rng.pick(filters);
        read = read.filter(filter());
        log.push_str(&format!("filter {name}; "));
    }
    if rng.chance(60) {
        let (name, order) = rng.pick(orders);
        read = read.order_by(order());
        log.push_str(&format!("order {name}; "));
    }
    read = read.order_by(primary_key());
    if rng.chance(30) {
        let n = rng.below(3);
        read = read.skip(n);
        log.push_str(&format!("skip {n}; "));
    }
    if rng.chance(30) {
        let n = 1 + rng.below(4);
        read = read.take(n);
        log.push_str(&format!("take {n}; "));
    }
    read
}

/// Runs the read built by `build` (from the same seed) with both strategies.
async fn agree<M, B>(db: &Db, what: &str, seed: u64, build: B) -> Result<(), Error>
where
    M: Model + PartialEq + std::fmt::Debug,
    B: Fn(&mut Rng, &mut String) -> FindMany<M>,
{
    let mut results = Vec::new();
    let mut shape = String::new();
    for strategy in [Strategy::Batched, Strategy::Joined] {
        shape.clear();
        let read = build(&mut Rng(seed), &mut shape);
        results.push(read.strategy(strategy).exec(db).await);
    }
    let joined = results.pop().expect("two reads");
    let batched = results.pop().expect("two reads");
    match (batched, joined) {
        (Ok(batched), Ok(joined)) => {
            if batched != joined {
                let first = (batched.iter().zip(&joined)).position(|(b, j)| b != j);
                panic!(
                    "{what} read {seed:#x} differs ({} vs {} rows, first difference at {first:?}): {shape}\nbatched: {:#?}\njoined: {:#?}",
                    batched.len(),
                    joined.len(),
                    first.map(|i| &batched[i]),
                    first.map(|i| &joined[i]),
                );
            }
            Ok(())
        }
        (b, j) => panic!("{what} read {seed:#x} failed: {shape}\nbatched: {b:?}\njoined: {j:?}"),
    }
}

async fn strategies_agree(db: Db, dataset_seed: u64) -> Result<(), Error> {
    let mut rng = Rng(dataset_seed);
    dataset(&db, &mut rng).await?;
    for case in 0..CASES {
        let seed = rng.next() | 1;
        let what = format!("case {case} of dataset {dataset_seed:#x}");
        match case % 5 {
            0 | 1 => {
                agree(&db, &what, seed, |rng, log| {
                    let read = root(rng, log, USER_FILTERS, USER_ORDERS, || User::id().asc());
                    nest_user(read, rng, 3, log)
                })
                .await?
            }
            2 => {
                agree(&db, &what, seed, |rng, log| {
                    let read = root(rng, log, POST_FILTERS, POST_ORDERS, || Post::id().asc());
                    nest_post(read, rng, 3, log)
                })
                .await?
            }
            3 => {
                agree(&db, &what, seed, |rng, log| {
                    let read = root(rng, log, TAG_FILTERS, TAG_ORDERS, || Tag::id().asc());
                    let read = nest_tag(read, rng, 3, log);
                    nest_tag(read, rng, 3, log)
                })
                .await?
            }
            _ => {
                agree(&db, &what, seed, |rng, log| {
                    let read = root(rng, log, CATEGORY_FILTERS, CATEGORY_ORDERS, || {
                        Category::id().asc()
                    });
                    nest_category(read, rng, 3, log)
                })
                .await?
            }
        }
    }
    Ok(())
}

backend_tests!(strategies_agree_on_random_data_1, |db| async move {
    strategies_agree(db, 0x5EED_0001).await
});

backend_tests!(strategies_agree_on_random_data_2, |db| async move {
    strategies_agree(db, 0x5EED_0002).await
});

backend_tests!(strategies_agree_on_random_data_3, |db| async move {
    strategies_agree(db, 0x5EED_0003).await
});
