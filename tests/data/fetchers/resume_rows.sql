-- 200,000 rows for the fetchers' kill-and-resume tests (DuckDB SQL, loaded by athena-local --seed).
CREATE TABLE "default".resume_rows AS
SELECT
  CAST(i AS BIGINT) AS id,
  CASE WHEN i % 7 = 0 THEN NULL WHEN i % 11 = 0 THEN '' ELSE 'row "' || CAST(i AS VARCHAR) || '", with comma' END AS s,
  CAST(i AS DOUBLE) / 16 AS d,
  DATE '2000-01-01' + CAST(i % 9000 AS INTEGER) AS dt
FROM range(1, 200001) AS t(i);
