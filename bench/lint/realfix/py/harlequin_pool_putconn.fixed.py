# source: https://github.com/tconbeer/harlequin-postgres/pull/66 ("fix: return pooled connections outside of a transaction")
# label: fixed  item: pooled connection not released
class Catalog:
    def __init__(self, pool):
        self.pool = pool

    def get_schemas(self, dbname):
        with self.pool.connection() as conn, conn.cursor() as cur:
            cur.execute("select schema_name from information_schema.schemata where catalog_name = %s", (dbname,))
            rows = cur.fetchall()
        return [r[0] for r in rows]
