-- 2,500 rows for the retry e2e tests (DuckDB SQL, loaded by athena-local --seed): three
-- GetQueryResults pages for the api fetcher, a few S3 parts with s3_part_size_bytes 16384.
CREATE TABLE "default".retry_rows AS
SELECT
  CAST(i AS BIGINT) AS id,
  CASE WHEN i % 7 = 0 THEN NULL ELSE 'row "' || CAST(i AS VARCHAR) || '", with comma' END AS s,
  CAST(i AS DOUBLE) / 8 AS d
FROM range(1, 2501) AS t(i);
