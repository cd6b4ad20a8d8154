//! The conformance suite on diesel-pg opened with `from_pool_with_schema(pool, "auth")`:
//! yauth's tables live in the `auth` schema and the pool's connections keep the default
//! `search_path`, so every statement must name the schema itself.

yauth_conformance::conformance_tests!(yauth_conformance::setup::diesel_pg_schema());

#[test]
fn the_tables_live_in_the_named_schema_only() {
    let runtime = tokio::runtime::Runtime::new().unwrap();
    runtime.block_on(async {
        let url = yauth_conformance::setup::postgres_database_with_schema("pg_schema_probe", "auth").await;
        let pool = sqlx::PgPool::connect(&url).await.unwrap();
        let count = |schema: &'static str| {
            let pool = pool.clone();
            async move {
                sqlx::query_scalar::<_, i64>(
                    "SELECT COUNT(*) FROM information_schema.tables WHERE table_schema = $1 AND table_name LIKE 'yauth_%'",
                )
                .bind(schema)
                .fetch_one(&pool)
                .await
                .unwrap()
            }
        };
        assert_eq!(count("auth").await, 30);
        assert_eq!(count("public").await, 0);

        use yauth_entity::DatabaseBackend;
        let manager = diesel_async::pooled_connection::AsyncDieselConnectionManager::<
            diesel_async::AsyncPgConnection,
        >::new(url.clone());
        let pool = diesel_async::pooled_connection::deadpool::Pool::builder(manager).build().unwrap();
        // Without the schema, the tables are not found: the schema really is what routes them.
        let plain = yauth_backend_diesel_pg::DieselPgBackend::from_pool(pool.clone()).repositories();
        let err = plain.users.count_users().await.unwrap_err();
        assert!(err.to_string().contains("database error"), "{err}");
        let scoped = yauth_backend_diesel_pg::DieselPgBackend::from_pool_with_schema(pool, "auth").repositories();
        assert_eq!(scoped.users.count_users().await.unwrap(), 0);
    });
}
