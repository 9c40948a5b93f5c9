-- A database of six tables for the discovery tests (athena-local --seed tests/data/catalog):
-- a keyless table, a composite key, a view, reserved-word and mixed-case names, an empty table and
-- one with nested columns. Keys are given by the tests' `primary_keys`.
CREATE DATABASE shop;

-- Keyless: rows identified by _fivetran_id (a hash of the row's values). No two rows are equal.
CREATE TABLE shop.events AS
SELECT CAST(i AS bigint) AS seq, 'kind_' || CAST(i % 3 AS varchar) AS kind,
       CAST(i AS double) / 4 AS amount
FROM range(1, 1001) AS t(i);

-- Composite key (order_id, line_no); `notes` is a wide column a user may deselect.
CREATE TABLE shop.order_lines AS
SELECT CAST(o AS bigint) AS order_id, CAST(l AS integer) AS line_no,
       'sku-' || CAST((o * 7 + l) % 50 AS varchar) AS sku, CAST((o + l) % 9 AS integer) AS qty,
       repeat('note ' || CAST(o AS varchar) || ' ', 40) AS notes
FROM range(1, 501) AS a(o), range(1, 5) AS b(l);

-- A view over it.
CREATE VIEW shop.big_lines AS
SELECT order_id, line_no, qty FROM shop.order_lines WHERE qty >= 7;

-- Reserved words and mixed case.
CREATE TABLE shop."group" ("from" bigint, "Select" varchar, "Mixed Case" double);
INSERT INTO shop."group" VALUES (1, 'a', 1.5), (2, 'b', NULL), (3, NULL, -2.25);

-- No rows.
CREATE TABLE shop.empty_table (id bigint, name varchar);

-- Nested columns.
CREATE TABLE shop.profiles (id bigint, tags array(varchar), attrs map(varchar, integer),
                            address row(city varchar, zip varchar));
INSERT INTO shop.profiles VALUES
  (1, ARRAY['a', 'b'], MAP(ARRAY['x'], ARRAY[1]), CAST(ROW('Oslo', '0150') AS row(city varchar, zip varchar))),
  (2, ARRAY[], MAP(ARRAY[], ARRAY[]), NULL),
  (3, NULL, NULL, CAST(ROW(NULL, '9999') AS row(city varchar, zip varchar)));
