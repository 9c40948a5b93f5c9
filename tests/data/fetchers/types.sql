-- Every type the fetchers must agree on, with NULLs, empty strings, quotes, commas and line breaks
-- in values (DuckDB SQL, loaded by athena-local --seed). 500 rows; id 1 is the "one row" case.
CREATE TABLE "default".fetcher_types AS
SELECT
  CAST(i AS INTEGER) AS id,
  CASE WHEN i % 9 = 0 THEN NULL ELSE i % 2 = 0 END AS b,
  CAST(i % 100 - 50 AS TINYINT) AS ti,
  CAST(i * 7 - 1000 AS SMALLINT) AS si,
  CAST(i * 1000003 AS BIGINT) * (CASE WHEN i % 2 = 0 THEN -1 ELSE 1 END) AS bi,
  CASE WHEN i % 11 = 0 THEN NULL ELSE CAST(i AS REAL) / 3 END AS r,
  CASE WHEN i % 13 = 0 THEN NULL WHEN i % 13 = 1 THEN CAST(i AS DOUBLE) * 1e12 ELSE CAST(i AS DOUBLE) / 7e4 END AS d,
  CAST(i * 1.25 - 300 AS DECIMAL(10, 2)) AS dec_small,
  CAST(123456789012345678 + i / 1000 AS DECIMAL(38, 9)) AS dec_big,
  CASE
    WHEN i % 7 = 0 THEN NULL
    WHEN i % 7 = 1 THEN ''
    WHEN i % 7 = 2 THEN 'quote "' || i || '", comma'
    WHEN i % 7 = 3 THEN 'line' || chr(10) || 'break ' || i
    WHEN i % 7 = 4 THEN 'crlf' || chr(13) || chr(10) || i
    WHEN i % 7 = 5 THEN 'ünïcødé ✓ ' || i
    ELSE repeat('x', i % 40)
  END AS s,
  CASE WHEN i % 5 = 0 THEN NULL ELSE encode('bin' || i) END AS bin,
  DATE '1970-01-01' + CAST(i * 37 AS INTEGER) - 9000 AS dt,
  TIMESTAMP '2001-01-01 00:00:00' + to_milliseconds(CAST(i AS BIGINT) * 86400123) AS ts,
  CASE WHEN i % 6 = 0 THEN NULL
       ELSE CAST(TIMESTAMP '2020-06-30 12:00:00' + to_milliseconds(CAST(i AS BIGINT) * 3600001) AS TIMESTAMPTZ) END AS tstz,
  CASE WHEN i % 8 = 0 THEN NULL ELSE [i, NULL, i * 2] END AS arr,
  ['a' || i, 'b, c', ''] AS arr_s,
  MAP {'k' || i: i, 'z': NULL} AS m,
  {'x': i, 'y': 'v ' || i, 'z': [i % 3 = 0]} AS rw
FROM range(1, 501) AS t(i);
