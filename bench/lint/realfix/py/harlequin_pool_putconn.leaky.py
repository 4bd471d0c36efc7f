# source: https://github.com/tconbeer/harlequin-postgres/pull/66 ("fix: return pooled connections outside of a transaction")
# label: leaky  item: pooled connection not released
# Written here after the PR's description: helpers borrow a pooled connection and hand it back
# with putconn() only on the happy path; a query that raises keeps the connection forever.
class Catalog:
    def __init__(self, pool):
        self.pool = pool

    def get_schemas(self, dbname):
        conn = self.pool.getconn()  # LEAK
        cur = conn.cursor()
        cur.execute("select schema_name from information_schema.schemata where catalog_name = %s", (dbname,))
        rows = cur.fetchall()
        cur.close()
        self.pool.putconn(conn)
        return [r[0] for r in rows]
