-- Six tables of different shapes and sizes for the parallel-tables kill-and-resume test (DuckDB
-- SQL, loaded by athena-local --seed).
CREATE TABLE "default".par_orders AS
SELECT
  CAST(i AS BIGINT) AS id,
  'customer ' || CAST(i % 97 AS VARCHAR) AS customer,
  CAST(i * 1.25 AS DECIMAL(12, 2)) AS amount,
  TIMESTAMP '2024-01-01 00:00:00' + to_seconds(i * 37) AS ordered_at,
  CASE WHEN i % 5 = 0 THEN NULL ELSE 'note, "' || CAST(i AS VARCHAR) || '"' END AS note
FROM range(1, 6001) AS t(i);

CREATE TABLE "default".par_events AS
SELECT
  CAST(i AS BIGINT) AS event_id,
  CASE i % 3 WHEN 0 THEN 'click' WHEN 1 THEN 'view' ELSE 'buy' END AS kind,
  CASE WHEN i % 11 = 0 THEN '' ELSE repeat('x', CAST(i % 40 AS INTEGER)) END AS payload,
  DATE '2020-01-01' + CAST(i % 1500 AS INTEGER) AS happened
FROM range(1, 8001) AS t(i);

CREATE TABLE "default".par_users AS
SELECT
  CAST(i AS INTEGER) AS user_id,
  'user' || CAST(i AS VARCHAR) || '@example.com' AS email,
  i % 2 = 0 AS active
FROM range(1, 3001) AS t(i);

CREATE TABLE "default".par_items AS
SELECT
  CAST(floor(i / 4) AS BIGINT) AS order_id,
  CAST(i % 4 AS INTEGER) AS line,
  CAST(i AS DOUBLE) / 8 AS weight
FROM range(0, 4000) AS t(i);

CREATE TABLE "default".par_small AS
SELECT CAST(i AS BIGINT) AS id, 'small ' || CAST(i AS VARCHAR) AS label FROM range(1, 8) AS t(i);

CREATE TABLE "default".par_changes AS
SELECT
  CAST(i AS BIGINT) AS id,
  CAST(1000 + i % 700 AS BIGINT) AS updated,
  'change ' || CAST(i AS VARCHAR) AS what
FROM range(1, 5001) AS t(i);
