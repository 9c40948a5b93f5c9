-- 20,000 deterministic rows for multi-page and resume tests (DuckDB SQL, loaded by athena-local --seed).
CREATE TABLE "default".big_rows AS
SELECT
  CAST(i AS BIGINT) AS customer_id,
  'first_' || CAST(i AS VARCHAR) AS first_name,
  CASE WHEN i % 7 = 0 THEN NULL WHEN i % 11 = 0 THEN '' ELSE 'last "' || CAST(i AS VARCHAR) || '", x' END AS last_name,
  'user' || CAST(i AS VARCHAR) || '@example.com' AS email,
  CAST(i AS DOUBLE) / 8 AS score
FROM range(1, 20001) AS t(i);
