-- One column of every Athena type, with rows covering NULLs, empty strings, unicode, quotes, commas
-- and newlines. Loaded by `athena-local --seed examples/local`.
CREATE TABLE types (
  id integer,
  c_boolean boolean,
  c_tinyint tinyint,
  c_smallint smallint,
  c_integer integer,
  c_bigint bigint,
  c_real real,
  c_float float,
  c_double double,
  c_decimal decimal(10,2),
  c_decimal_wide decimal(38,9),
  c_char char(5),
  c_varchar varchar,
  c_varchar_n varchar(20),
  c_varbinary varbinary,
  c_date date,
  c_time time,
  c_timestamp timestamp,
  c_timestamp_tz timestamp with time zone,
  c_interval_ym interval year to month,
  c_interval_ds interval day to second,
  c_array array(integer),
  c_array_varchar array(varchar),
  c_map map(varchar, integer),
  c_row row(a integer, b varchar, c row(x double, y array(integer))),
  c_json json,
  c_ipaddress ipaddress,
  c_uuid uuid
);

INSERT INTO types VALUES
  -- 1: ordinary values
  (1, true, 1, 2, 3, 4, CAST(1.5 AS real), CAST(0.25 AS float), 0.5, 12.34, 123456789.123456789,
   'ab', 'hello', 'bounded', X'31 32 33', DATE '2024-01-31', TIME '01:02:03.456',
   TIMESTAMP '2024-01-31 13:14:15.678', TIMESTAMP '2024-01-31 13:14:15.678 UTC',
   INTERVAL '1-2' YEAR TO MONTH, INTERVAL '2 03:04:05.678' DAY TO SECOND,
   ARRAY[1, 2, 3], ARRAY['a', 'b'], MAP(ARRAY['k1', 'k2'], ARRAY[1, 2]),
   CAST(ROW(1, 'x', ROW(1.5, ARRAY[1, 2])) AS row(a integer, b varchar, c row(x double, y array(integer)))),
   json_parse('{"a": 1, "b": [1, 2], "c": "Hello Athena"}'), CAST('10.0.0.1' AS ipaddress),
   CAST('12151fd2-7586-11e9-8f9e-2a86e4085a59' AS uuid)),
  -- 2: every column NULL
  (2, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL,
   NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL),
  -- 3: empty values and extremes
  (3, false, -128, -32768, -2147483648, -9223372036854775808, CAST(-0.001 AS real), CAST(3.4e38 AS float),
   1.0E10, -0.05, -0.000000001, '', '', '', X'', DATE '1970-01-01', TIME '00:00:00.000',
   TIMESTAMP '1970-01-01 00:00:00.000', TIMESTAMP '2000-02-29 23:59:59.999 UTC',
   INTERVAL '0-3' YEAR TO MONTH, INTERVAL '0 00:00:01.500' DAY TO SECOND,
   ARRAY[], ARRAY[''], MAP(ARRAY[], ARRAY[]), CAST(ROW(NULL, '', ROW(NULL, ARRAY[])) AS row(a integer, b varchar, c row(x double, y array(integer)))),
   json_parse('[]'), CAST('::1' AS ipaddress), CAST('00000000-0000-0000-0000-000000000000' AS uuid)),
  -- 4: text that needs quoting: quotes, commas, newlines, tabs, unicode
  (4, true, 127, 32767, 2147483647, 9223372036854775807, CAST(3.14159 AS real), CAST(1e-7 AS float),
   9.99E-4, 99999999.99, 12345678901234567890123456789.123456789, 'é"', 'say "hi", then
leave', 'tab	sep', X'00 ff 10', DATE '2099-12-31', TIME '23:59:59.999',
   TIMESTAMP '2038-01-19 03:14:07.000', TIMESTAMP '1999-12-31 23:00:00.000 UTC',
   INTERVAL '-1-6' YEAR TO MONTH, INTERVAL '10 23:59:59.999' DAY TO SECOND,
   ARRAY[NULL, -1], ARRAY['a,b', 'c "d"', NULL], MAP(ARRAY['x'], ARRAY[NULL]),
   CAST(ROW(-7, 'line1
line2', ROW(1.0E10, ARRAY[NULL])) AS row(a integer, b varchar, c row(x double, y array(integer)))),
   json_parse('{"text": "héllo, \"world\"", "n": null}'), CAST('2001:db8::ff00:42:8329' AS ipaddress),
   CAST('ffffffff-ffff-ffff-ffff-ffffffffffff' AS uuid)),
  -- 5: unicode and numbers that print in exponent form
  (5, false, 0, 0, 0, 0, CAST(1.0E7 AS real), CAST(0.1 AS float), 12345678.9, 0.00, 0.000000000,
   '日本', '日本語 テキスト 🎉 Ünïcödé', 'Ω≈ç√∫', X'e6 97 a5', DATE '2000-02-29', TIME '12:00:00.000',
   TIMESTAMP '2024-02-29 12:00:00.001', TIMESTAMP '2024-06-30 23:59:59.000 UTC',
   INTERVAL '100-0' YEAR TO MONTH, INTERVAL '-1 00:00:00.000' DAY TO SECOND,
   ARRAY[2147483647], ARRAY['日本', ''], MAP(ARRAY['ключ', ''], ARRAY[0, -1]),
   CAST(ROW(0, 'Ü', ROW(-0.5, ARRAY[0])) AS row(a integer, b varchar, c row(x double, y array(integer)))),
   json_parse('"Hello Athena"'), CAST('192.168.255.255' AS ipaddress),
   CAST('a0eebc99-9c0b-4ef8-bb6d-6bb9bd380a11' AS uuid));
