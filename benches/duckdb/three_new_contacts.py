# The one-rule comparison of docs/performance.md: "3 new contacts within 7 days" as a SQL window
# query in DuckDB, on one thread, JSON parsing included.
import sys, time, duckdb
path = sys.argv[1]
con = duckdb.connect()
con.execute("SET threads TO 1")
t = time.perf_counter()
n = con.execute(f"""
WITH obs AS (
  SELECT subject, id, CAST("at" AS TIMESTAMPTZ) AS ts, kind, recorded_at
  FROM read_json('{path}', format='newline_delimited',
       columns={{subject:'VARCHAR', id:'VARCHAR', "at":'VARCHAR', kind:'VARCHAR', channel:'VARCHAR',
                counterpart:'VARCHAR', source:'VARCHAR', recorded_at:'VARCHAR', attributes:'JSON'}})
), c AS (
  SELECT subject, id, ts,
         COUNT(*) OVER (PARTITION BY subject ORDER BY ts
                        RANGE BETWEEN INTERVAL 7 DAYS PRECEDING AND CURRENT ROW) AS n
  FROM obs WHERE kind = 'contact.new'
    AND ts <= TIMESTAMPTZ '2027-01-01 00:00:00+01:00'
    AND COALESCE(CAST(recorded_at AS TIMESTAMPTZ), ts) <= TIMESTAMPTZ '2027-01-01 00:00:00+01:00'
)
SELECT COUNT(*) FROM c WHERE n = 3  -- fires when the count crosses 3 (design §4)
""").fetchone()[0]
dt = time.perf_counter() - t
print(f"{n} firings in {dt:.2f} s")
