#include "emulator/sql_errors.h"

#include <cctype>
#include <optional>
#include <vector>

#include "common/strings.h"
#include "emulator/sql_translate.h"

namespace ac::emulator {
namespace {

using common::Lower;

// Text between `before` and `after` in `text` (quotes stripped).
std::optional<std::string> Between(std::string_view text, std::string_view before,
                                   std::string_view after) {
  const size_t a = text.find(before);
  if (a == std::string_view::npos) return std::nullopt;
  const size_t start = a + before.size();
  const size_t b = text.find(after, start);
  if (b == std::string_view::npos) return std::nullopt;
  std::string value(text.substr(start, b - start));
  if (value.size() >= 2 && value.front() == '"' && value.back() == '"') {
    value = value.substr(1, value.size() - 2);
  }
  return value;
}

struct IdentMatch {
  size_t offset = 0;
  std::string qualifier;  ///< schema in "schema.name", else empty
};

std::string IdentText(const SqlToken& t) {
  if (t.kind == SqlToken::Kind::kQuotedIdent || t.kind == SqlToken::Kind::kBacktickIdent) {
    return Lower(t.text.substr(1, t.text.size() - 2));
  }
  return Lower(t.text);
}

bool IsIdentToken(const SqlToken& t) {
  return t.kind == SqlToken::Kind::kWord || t.kind == SqlToken::Kind::kQuotedIdent ||
         t.kind == SqlToken::Kind::kBacktickIdent;
}

// First occurrence of identifier `name` in `sql` (case-insensitive), with its qualifier.
std::optional<IdentMatch> FindIdentifier(std::string_view sql, std::string_view name) {
  std::vector<SqlToken> tokens;
  for (const auto& t : TokenizeSql(sql)) {
    if (t.kind != SqlToken::Kind::kSpace && t.kind != SqlToken::Kind::kComment) tokens.push_back(t);
  }
  const std::string want = Lower(name);
  for (size_t i = 0; i < tokens.size(); ++i) {
    if (!IsIdentToken(tokens[i]) || IdentText(tokens[i]) != want) continue;
    IdentMatch m;
    m.offset = tokens[i].offset;
    if (i >= 2 && tokens[i - 1].IsPunct(".") && IsIdentToken(tokens[i - 2])) {
      m.qualifier = IdentText(tokens[i - 2]);
      m.offset = tokens[i - 2].offset;
      if (i >= 4 && tokens[i - 3].IsPunct(".") && IsIdentToken(tokens[i - 4])) {
        m.offset = tokens[i - 4].offset;
      }
    }
    return m;
  }
  return std::nullopt;
}

std::string LineCol(std::string_view sql, size_t offset) {
  auto [line, col] = LineColumnOf(sql, offset);
  return "line " + std::to_string(line) + ":" + std::to_string(col) + ": ";
}

AthenaErrorInfo User(int type, const std::string& name, const std::string& text) {
  AthenaErrorInfo e;
  e.category = 2;
  e.type = type;
  e.retryable = false;
  e.message = name + ": " + text;
  return e;
}

AthenaErrorInfo System(int type, bool retryable, const std::string& name, const std::string& text) {
  AthenaErrorInfo e;
  e.category = 1;
  e.type = type;
  e.retryable = retryable;
  e.message = name + ": " + text;
  return e;
}

}  // namespace

bool IsInterruptMessage(std::string_view duckdb_message) {
  return duckdb_message.find("INTERRUPT Error") != std::string_view::npos ||
         duckdb_message.find("Interrupted!") != std::string_view::npos;
}

AthenaErrorInfo MapDuckDbError(std::string_view message, std::string_view sql,
                               std::string_view database,
                               bool (*schema_exists)(void* ctx, const std::string& name),
                               void* ctx) {
  // "<Kind> Error: <text>\n..." -> kind, first line of text
  std::string kind;
  std::string_view body = message;
  const size_t colon = message.find(" Error: ");
  if (colon != std::string_view::npos && colon < 40) {
    kind = std::string(message.substr(0, colon));
    body = message.substr(colon + 8);
  }
  std::string text(body.substr(0, body.find('\n')));
  while (!text.empty() && (text.back() == ' ' || text.back() == '!')) text.pop_back();

  if (kind == "Catalog") {
    if (auto name = Between(text, "Table with name ", " does not exist")) {
      auto m = FindIdentifier(sql, *name);
      const std::string where = m ? LineCol(sql, m->offset) : std::string();
      if (m && !m->qualifier.empty() && schema_exists != nullptr &&
          !schema_exists(ctx, m->qualifier)) {
        return User(1301, "SCHEMA_NOT_FOUND",
                    where + "Schema '" + m->qualifier + "' does not exist");
      }
      const std::string schema = m && !m->qualifier.empty() ? m->qualifier : std::string(database);
      return User(
          1301, "TABLE_NOT_FOUND",
          where + "Table 'awsdatacatalog." + schema + "." + Lower(*name) + "' does not exist");
    }
    if (auto name = Between(text, "Schema with name ", " does not exist")) {
      auto m = FindIdentifier(sql, *name);
      return User(1301, "SCHEMA_NOT_FOUND",
                  (m ? LineCol(sql, m->offset) : std::string()) + "Schema '" + Lower(*name) +
                      "' does not exist");
    }
    if (text.find("Function with name ") != std::string::npos) {
      auto name = Between(text, "Function with name ", " does not exist");
      if (!name) name = Between(text, "Function with name ", " is not");
      const std::string fn = name ? Lower(*name) : std::string("?");
      auto m = FindIdentifier(sql, fn);
      return User(
          1303, "FUNCTION_NOT_FOUND",
          (m ? LineCol(sql, m->offset) : std::string()) + "Function '" + fn + "' not registered");
    }
    if (text.find("already exists") != std::string::npos) {
      return User(1003, "ALREADY_EXISTS", text);
    }
    return User(1301, "NOT_FOUND", text);
  }
  if (kind == "Binder") {
    if (auto name = Between(text, "Referenced column ", " not found")) {
      auto m = FindIdentifier(sql, *name);
      return User(1006, "COLUMN_NOT_FOUND",
                  (m ? LineCol(sql, m->offset) : std::string()) + "Column '" + *name +
                      "' cannot be resolved or requester is not authorized to access requested "
                      "resources");
    }
    if (auto name = Between(text, "Referenced table ", " not found")) {
      auto m = FindIdentifier(sql, *name);
      return User(1006, "COLUMN_NOT_FOUND",
                  (m ? LineCol(sql, m->offset) : std::string()) + "Column '" + *name +
                      "' cannot be resolved or requester is not authorized to access requested "
                      "resources");
    }
    if (text.find("No function matches") != std::string::npos ||
        text.find("Could not choose a best candidate") != std::string::npos ||
        text.find("Cannot compare") != std::string::npos ||
        text.find("Cannot mix") != std::string::npos) {
      return User(1006, "TYPE_MISMATCH", text);
    }
    return User(1006, "SYNTAX_ERROR", text);
  }
  if (kind == "Parser") {
    if (auto near = Between(text, "syntax error at or near \"", "\"")) {
      auto m = FindIdentifier(sql, *near);
      size_t offset = 0;
      if (m) {
        offset = m->offset;
      } else {
        const size_t pos = sql.find(*near);
        offset = pos == std::string_view::npos ? 0 : pos;
      }
      return User(1006, "SYNTAX_ERROR", LineCol(sql, offset) + "mismatched input '" + *near + "'");
    }
    if (text.find("at end of input") != std::string::npos) {
      return User(1006, "SYNTAX_ERROR", LineCol(sql, sql.size()) + "mismatched input '<EOF>'");
    }
    return User(1006, "SYNTAX_ERROR", text);
  }
  if (kind == "Conversion") return User(1001, "INVALID_CAST_ARGUMENT", text);
  if (kind == "Out of Range") return User(1001, "NUMERIC_VALUE_OUT_OF_RANGE", text);
  if (kind == "Invalid Input") return User(1106, "INVALID_FUNCTION_ARGUMENT", text);
  if (kind == "Not implemented") return User(1200, "NOT_SUPPORTED", text);
  if (kind == "Constraint") return User(1000, "CONSTRAINT_VIOLATION", text);
  if (kind == "Dependency") return User(1003, "GENERIC_USER_ERROR", text);
  if (kind == "TransactionContext" || kind == "Transaction") {
    return System(200, true, "GENERIC_INTERNAL_ERROR", text);
  }
  if (kind == "Out of Memory") return System(0, false, "EXCEEDED_LOCAL_MEMORY_LIMIT", text);
  if (kind == "IO") return System(200, false, "GENERIC_INTERNAL_ERROR", text);
  return System(200, false, "GENERIC_INTERNAL_ERROR", text.empty() ? std::string(message) : text);
}

}  // namespace ac::emulator
