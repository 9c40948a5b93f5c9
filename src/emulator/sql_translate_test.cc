#include "emulator/sql_translate.h"

#include <gtest/gtest.h>

#include "emulator/sql_errors.h"

namespace ac::emulator {
namespace {

using K = Statement::Kind;

TEST(SqlTranslateTest, ClassifiesStatements) {
  struct Case {
    const char* sql;
    K kind;
    const char* type;
    const char* sub;
  };
  const Case cases[] = {
      {"SELECT 1", K::kQuery, "DML", "SELECT"},
      {"  with t as (select 1) select * from t;", K::kQuery, "DML", "SELECT"},
      {"(SELECT 1)", K::kQuery, "DML", "SELECT"},
      {"VALUES (1)", K::kQuery, "DML", "SELECT"},
      {"INSERT INTO t SELECT 1", K::kInsert, "DML", "INSERT"},
      {"DELETE FROM t", K::kModify, "DML", "DELETE"},
      {"CREATE TABLE x AS SELECT 1 AS a", K::kCtas, "DML", "CREATE_TABLE_AS_SELECT"},
      {"CREATE TABLE x WITH (format='PARQUET') AS SELECT 1 a", K::kCtas, "DML",
       "CREATE_TABLE_AS_SELECT"},
      {"CREATE EXTERNAL TABLE x (a int)", K::kCreateTable, "DDL", "CREATE_TABLE"},
      {"CREATE TABLE IF NOT EXISTS db.x (a int)", K::kCreateTable, "DDL", "CREATE_TABLE"},
      {"CREATE OR REPLACE VIEW v AS SELECT 1", K::kCreateView, "DDL", "CREATE_VIEW"},
      {"DROP TABLE IF EXISTS x", K::kDropTable, "DDL", "DROP_TABLE"},
      {"DROP DATABASE x CASCADE", K::kDropDatabase, "DDL", "DROP_DATABASE"},
      {"CREATE SCHEMA IF NOT EXISTS s", K::kCreateDatabase, "DDL", "CREATE_DATABASE"},
      {"MSCK REPAIR TABLE t", K::kNoOpDdl, "DDL", "MSCK_REPAIR_TABLE"},
      {"SHOW TABLES IN db 'te*'", K::kShowTables, "UTILITY", "SHOW_TABLES"},
      {"SHOW DATABASES", K::kShowDatabases, "UTILITY", "SHOW_DATABASES"},
      {"SHOW COLUMNS IN t", K::kShowColumns, "UTILITY", "SHOW_COLUMNS"},
      {"DESCRIBE t", K::kDescribe, "UTILITY", "DESCRIBE_TABLE"},
      {"SHOW CREATE TABLE t", K::kShowCreateTable, "UTILITY", "SHOW_CREATE_TABLE"},
      {"EXPLAIN SELECT 1", K::kExplain, "UTILITY", "EXPLAIN"},
      {"UNLOAD (SELECT 1 AS a) TO 's3://b/p/' WITH (format = 'PARQUET')", K::kUnload, "DML",
       "UNLOAD"},
  };
  for (const auto& c : cases) {
    Statement st = TranslateStatement(c.sql);
    EXPECT_EQ(st.kind, c.kind) << c.sql;
    EXPECT_EQ(st.statement_type, c.type) << c.sql;
    EXPECT_EQ(st.substatement_type, c.sub) << c.sql;
  }
}

TEST(SqlTranslateTest, RejectsWhatAthenaRejects) {
  try {
    TranslateStatement("SELEC 1");
    FAIL();
  } catch (const SqlError& e) {
    EXPECT_EQ(e.name(), "SYNTAX_ERROR");
    EXPECT_EQ(std::string(e.what()).rfind("line 1:1: mismatched input 'SELEC'", 0), 0u);
  }
  EXPECT_THROW(TranslateStatement("SELECT 1; SELECT 2"), SqlError);
  EXPECT_THROW(TranslateStatement("PRAGMA version"), SqlError);
  EXPECT_THROW(TranslateStatement(""), SqlError);
  EXPECT_THROW(TranslateStatement("UNLOAD (SELECT 1) TO 's3://b/p/'"), SqlError);  // no format
}

TEST(SqlTranslateTest, TranslatesAthenaDialect) {
  EXPECT_EQ(TranslateQueryText("SELECT * FROM default.t"), "SELECT * FROM \"default\".t");
  EXPECT_EQ(TranslateQueryText("SELECT `a` FROM `b`"), "SELECT \"a\" FROM \"b\"");
  EXPECT_EQ(TranslateQueryText("SELECT X'0a 0B'"), "SELECT from_hex('0a0B')");
  EXPECT_EQ(TranslateQueryText("SELECT CAST(x AS varbinary)"), "SELECT CAST(x AS BLOB)");
  EXPECT_EQ(TranslateQueryText("SELECT CAST(x AS array(integer))"), "SELECT CAST(x AS INTEGER[])");
  EXPECT_EQ(TranslateQueryText("SELECT TRY_CAST(r AS row(a integer, b varchar(3)))"),
            "SELECT TRY_CAST(r AS STRUCT(\"a\" INTEGER, \"b\" VARCHAR))");
  EXPECT_EQ(TranslateQueryText("SELECT CAST(m AS map(varchar, array(double)))"),
            "SELECT CAST(m AS MAP(VARCHAR, DOUBLE[]))");
  EXPECT_EQ(TranslateQueryText("SELECT CAST(t AS timestamp(3) with time zone)"),
            "SELECT CAST(t AS TIMESTAMPTZ)");
  EXPECT_EQ(TranslateQueryText("SELECT TIMESTAMP '2020-01-01 00:00:00 UTC'"),
            "SELECT TIMESTAMPTZ '2020-01-01 00:00:00 UTC'");
  EXPECT_EQ(TranslateQueryText("SELECT TIMESTAMP '2020-01-01 00:00:00'"),
            "SELECT TIMESTAMP '2020-01-01 00:00:00'");
  EXPECT_EQ(TranslateQueryText("SELECT INTERVAL '1-2' YEAR TO MONTH"),
            "SELECT INTERVAL '1 years 2 months'");
  EXPECT_EQ(TranslateQueryText("SELECT INTERVAL '-2 03:04:05' DAY TO SECOND"),
            "SELECT (-INTERVAL '2 days 03:04:05')");
  EXPECT_EQ(TranslateQueryText("SELECT date_format(ts, '%Y-%m-%d %H:%i:%s')"),
            "SELECT strftime(ts, '%Y-%m-%d %H:%M:%S')");
  EXPECT_EQ(TranslateQueryText("SELECT array_join(a, ',')"), "SELECT array_to_string(a, ',')");
  // Strings and comments are left alone.
  EXPECT_EQ(TranslateQueryText("SELECT 'default.x', \"default\" -- default.y\n"),
            "SELECT 'default.x', \"default\" -- default.y\n");
}

TEST(SqlTranslateTest, TypeText) {
  EXPECT_EQ(TranslateTypeText("array<struct<a:int,b:string>>"),
            "STRUCT(\"a\" INTEGER, \"b\" VARCHAR)[]");
  EXPECT_EQ(TranslateTypeText("map<string,array<int>>"), "MAP(VARCHAR, INTEGER[])");
  EXPECT_EQ(TranslateTypeText("decimal(10,2)"), "DECIMAL(10,2)");
  EXPECT_EQ(TranslateTypeText("decimal"), "DECIMAL(10,0)");
  EXPECT_EQ(TranslateTypeText("char(5)"), "VARCHAR");
  EXPECT_EQ(TranslateTypeText("binary"), "BLOB");
  EXPECT_EQ(TranslateTypeText("ipaddress"), "VARCHAR");
  EXPECT_EQ(TranslateTypeText("interval year to month"), "INTERVAL");
  EXPECT_EQ(TranslateTypeText("time with time zone"), "TIMETZ");
  EXPECT_EQ(TranslateTypeText("double precision"), "DOUBLE");
}

TEST(SqlTranslateTest, CreateTableRecordsDeclaredTypes) {
  Statement st = TranslateStatement(
      "CREATE EXTERNAL TABLE IF NOT EXISTS `db`.`t` (id bigint COMMENT 'the id', c CHAR(5), "
      "s struct<a:int, b:array<string>>) COMMENT 'tbl' PARTITIONED BY (dt string) "
      "ROW FORMAT SERDE 'x' STORED AS PARQUET LOCATION 's3://b/t/' "
      "TBLPROPERTIES ('parquet.compression'='SNAPPY')");
  EXPECT_EQ(st.database, "db");
  EXPECT_EQ(st.table, "t");
  EXPECT_TRUE(st.if_not_exists);
  ASSERT_EQ(st.columns.size(), 4u);
  EXPECT_EQ(st.columns[0].comment, "the id");
  EXPECT_EQ(st.columns[1].athena_type, "char(5)");
  EXPECT_EQ(st.columns[2].athena_type, "struct<a:int,b:array<string>>");
  EXPECT_TRUE(st.columns[3].partition_key);
  EXPECT_EQ(st.table_comment, "tbl");
  EXPECT_EQ(st.location, "s3://b/t/");
  EXPECT_EQ(st.duckdb_sql,
            "CREATE TABLE IF NOT EXISTS \"db\".\"t\" (\"id\" BIGINT, \"c\" VARCHAR, \"s\" "
            "STRUCT(\"a\" INTEGER, \"b\" VARCHAR[]), \"dt\" VARCHAR)");
}

TEST(SqlTranslateTest, UnloadSpec) {
  Statement st = TranslateStatement(
      "UNLOAD (SELECT a FROM t WHERE s = 'x)') TO 's3://bucket/out/' WITH (format = 'PARQUET', "
      "compression = 'SNAPPY')");
  EXPECT_EQ(st.unload.select_sql, "SELECT a FROM t WHERE s = 'x)'");
  EXPECT_EQ(st.unload.target, "s3://bucket/out/");
  EXPECT_EQ(st.unload.format, "PARQUET");
  EXPECT_EQ(st.unload.compression, "snappy");
}

TEST(SqlTranslateTest, ParametersAndStatements) {
  EXPECT_EQ(SubstituteParameters("SELECT ? , '?' , ?", {"1", "'a'"}), "SELECT 1 , '?' , 'a'");
  EXPECT_THROW(SubstituteParameters("SELECT ?", {}), SqlError);
  const auto parts =
      SplitSqlStatements("CREATE TABLE a (x int);\n-- c;\nINSERT INTO a VALUES (';');;");
  ASSERT_EQ(parts.size(), 2u);
  EXPECT_EQ(parts[1], "\n-- c;\nINSERT INTO a VALUES (';')");
  EXPECT_EQ(LineColumnOf("SELECT\n  x", 9), std::make_pair(2, 3));
  EXPECT_EQ(HivePatternToRegex("te*|x.y"), "te.*|x\\.y");
}

TEST(SqlErrorsTest, MapsDuckDbMessagesToAthenaErrors) {
  auto e = MapDuckDbError(
      "Catalog Error: Table with name nope does not exist!\nDid you mean \"x\"?\n\nLINE 1: ...",
      "SELECT * FROM nope", "default");
  EXPECT_EQ(e.message,
            "TABLE_NOT_FOUND: line 1:15: Table 'awsdatacatalog.default.nope' does not exist");
  EXPECT_EQ(e.category, 2);
  EXPECT_EQ(e.type, 1301);
  EXPECT_FALSE(e.retryable);
  auto no_schema = [](void*, const std::string&) { return false; };
  e = MapDuckDbError("Catalog Error: Table with name t does not exist!", "SELECT 1 FROM\n s.t",
                     "default", no_schema, nullptr);
  EXPECT_EQ(e.message, "SCHEMA_NOT_FOUND: line 2:2: Schema 's' does not exist");
  e = MapDuckDbError("Binder Error: Referenced column \"zz\" not found in FROM clause!",
                     "SELECT zz FROM t", "default");
  EXPECT_EQ(e.message.rfind("COLUMN_NOT_FOUND: line 1:8: Column 'zz' cannot be resolved", 0), 0u);
  e = MapDuckDbError("Parser Error: syntax error at or near \"FORM\"", "SELECT 1 FORM t", "d");
  EXPECT_EQ(e.message, "SYNTAX_ERROR: line 1:10: mismatched input 'FORM'");
  EXPECT_EQ(e.type, 1006);
  e = MapDuckDbError("Parser Error: syntax error at end of input", "SELECT 1 +", "d");
  EXPECT_EQ(e.message, "SYNTAX_ERROR: line 1:11: mismatched input '<EOF>'");
  e = MapDuckDbError("Catalog Error: Scalar Function with name foo does not exist!",
                     "SELECT foo(1)", "d");
  EXPECT_EQ(e.message, "FUNCTION_NOT_FOUND: line 1:8: Function 'foo' not registered");
  e = MapDuckDbError("Conversion Error: Could not convert string 'x' to INT32", "SELECT 1", "d");
  EXPECT_EQ(e.message, "INVALID_CAST_ARGUMENT: Could not convert string 'x' to INT32");
  e = MapDuckDbError("TransactionContext Error: Catalog write-write conflict", "x", "d");
  EXPECT_EQ(e.category, 1);
  EXPECT_TRUE(e.retryable);
  EXPECT_TRUE(IsInterruptMessage("INTERRUPT Error: Interrupted!"));
}

}  // namespace
}  // namespace ac::emulator
