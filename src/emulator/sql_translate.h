#pragma once

// Athena SQL (Trino DML + Hive DDL) -> DuckDB SQL, plus statement classification. Deliberately
// modest: a token-level rewriter that covers the common Athena dialect differences (Hive types,
// backticks, `default` as a schema name, X'..' literals, ROW/ARRAY type syntax, UNLOAD, CTAS with
// properties, SHOW/DESCRIBE utilities). Functions that differ are provided as DuckDB macros
// (see AthenaCompatMacros()).

#include <cstdint>
#include <stdexcept>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace ac::emulator {

/// A SQL error detected before DuckDB sees the statement, in Athena's words.
class SqlError : public std::runtime_error {
 public:
  /// `name` is the Trino error name (SYNTAX_ERROR, NOT_SUPPORTED, ...).
  SqlError(std::string name, int error_type, const std::string& message)
      : std::runtime_error(message), name_(std::move(name)), error_type_(error_type) {}
  const std::string& name() const { return name_; }
  int error_type() const { return error_type_; }

 private:
  std::string name_;
  int error_type_;
};

struct SqlToken {
  enum class Kind {
    kSpace,
    kComment,
    kWord,
    kQuotedIdent,
    kBacktickIdent,
    kString,
    kNumber,
    kParam,
    kPunct
  };
  Kind kind;
  std::string_view text;
  size_t offset = 0;  ///< byte offset in the statement

  bool IsWord(std::string_view upper) const;  ///< case-insensitive keyword match
  bool IsPunct(std::string_view p) const { return kind == Kind::kPunct && text == p; }
};

/// Splits SQL into tokens (whitespace and comments included, so text can be rebuilt).
std::vector<SqlToken> TokenizeSql(std::string_view sql);

/// Splits a script into statements on top-level `;` (empty statements dropped).
std::vector<std::string> SplitSqlStatements(std::string_view script);

/// Substitutes Athena ExecutionParameters for `?` placeholders, in order. Throws SqlError when the
/// counts differ.
std::string SubstituteParameters(std::string_view sql, const std::vector<std::string>& params);

/// Athena "line L:C" of a byte offset.
std::pair<int, int> LineColumnOf(std::string_view sql, size_t offset);

/// Translates an Athena/Hive type (`array<int>`, `row(a integer)`, `varchar(10)`) to DuckDB.
std::string TranslateTypeText(std::string_view type_text);

struct ColumnDefinition {
  std::string name;
  std::string athena_type;  ///< as written (lower-cased, whitespace-normalised)
  std::string comment;
  bool partition_key = false;
};

struct UnloadSpec {
  std::string select_sql;   ///< translated inner query
  std::string target;       ///< s3:// URI of the target prefix
  std::string format;       ///< PARQUET, JSON, TEXTFILE, ORC, AVRO (upper-case)
  std::string compression;  ///< lower-case, may be empty
  std::string field_delimiter;
};

/// A classified, translated statement.
struct Statement {
  enum class Kind {
    kQuery,        ///< SELECT / WITH / VALUES: rows -> <id>.csv
    kInsert,       ///< INSERT INTO: UpdateCount
    kCtas,         ///< CREATE TABLE .. AS SELECT: UpdateCount
    kUnload,       ///< UNLOAD (...) TO '...' WITH (...)
    kModify,       ///< UPDATE / DELETE / MERGE
    kCreateTable,  ///< CREATE [EXTERNAL] TABLE (columns)
    kCreateView,
    kDropTable,
    kDropView,
    kCreateDatabase,
    kDropDatabase,
    kAlterTable,
    kNoOpDdl,  ///< MSCK REPAIR TABLE, ALTER TABLE ADD PARTITION, ...
    kShowTables,
    kShowDatabases,
    kShowColumns,
    kShowViews,
    kDescribe,
    kShowCreateTable,
    kShowPartitions,
    kExplain,
  };
  Kind kind = Kind::kQuery;
  std::string statement_type;     ///< DML, DDL, UTILITY
  std::string substatement_type;  ///< SELECT, CREATE_TABLE, SHOW_TABLES, ...
  std::string duckdb_sql;         ///< translated SQL to run (empty for utilities run natively)

  // Object names (as written, unquoted; database may be empty = the context database).
  std::string database;
  std::string table;
  std::string pattern;  ///< SHOW TABLES/DATABASES pattern ('*' and '|' Hive wildcards)
  bool if_exists = false;
  bool if_not_exists = false;
  bool cascade = false;

  std::vector<ColumnDefinition> columns;  ///< CREATE TABLE column definitions
  std::string table_comment;
  std::vector<std::pair<std::string, std::string>> table_properties;
  std::string location;
  UnloadSpec unload;
};

/// Classifies and translates one Athena statement (no trailing `;`). Throws SqlError for syntax
/// Athena would reject (several statements, unsupported statement kinds).
Statement TranslateStatement(std::string_view sql);

/// Translates the body of a query (types, literals, identifiers); no classification.
std::string TranslateQueryText(std::string_view sql);

/// DuckDB statements defining Athena functions DuckDB lacks or names differently, run once per
/// connection (temporary macros).
const std::vector<std::string>& AthenaCompatMacros();

/// Hive SHOW TABLES/DATABASES pattern (`*` wildcard, `|` alternatives) -> ECMAScript regex.
std::string HivePatternToRegex(std::string_view pattern);

}  // namespace ac::emulator
