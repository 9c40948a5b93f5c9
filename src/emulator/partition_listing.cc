#include "emulator/partition_listing.h"

#include <algorithm>
#include <set>

#include "emulator/duckdb_exec.h"
#include "emulator/sql_translate.h"

namespace ac::emulator {
namespace {

using Kind = SqlToken::Kind;

constexpr std::string_view kSuffix = "$partitions";
constexpr const char* kDefaultPartition = "__HIVE_DEFAULT_PARTITION__";

bool IsName(const SqlToken& t) {
  return t.kind == Kind::kWord || t.kind == Kind::kQuotedIdent;
}

// An identifier token's name: a quoted one unquoted.
std::string NameOf(const SqlToken& t) {
  if (t.kind != Kind::kQuotedIdent) return std::string(t.text);
  std::string out;
  const std::string_view body = t.text.substr(1, t.text.size() - 2);
  for (size_t i = 0; i < body.size(); ++i) {
    out += body[i];
    if (body[i] == '"' && i + 1 < body.size() && body[i + 1] == '"') ++i;
  }
  return out;
}

bool EndsWithSuffix(const std::string& name) {
  return name.size() > kSuffix.size() &&
         Lower(name.substr(name.size() - kSuffix.size())) == kSuffix;
}

// Index of the next token that is not whitespace or a comment (tokens.size() when none).
size_t NextSignificant(const std::vector<SqlToken>& tokens, size_t i) {
  while (i < tokens.size() &&
         (tokens[i].kind == Kind::kSpace || tokens[i].kind == Kind::kComment)) {
    ++i;
  }
  return i;
}

// Whether the token after a table reference starts an alias.
bool StartsAlias(const SqlToken& t) {
  static const std::set<std::string> kClauses = {
      "WHERE",  "JOIN",  "ON",      "GROUP", "ORDER",   "LIMIT",      "UNION",  "INNER",
      "LEFT",   "RIGHT", "FULL",    "CROSS", "EXCEPT",  "INTERSECT",  "HAVING", "WINDOW",
      "OFFSET", "FETCH", "NATURAL", "USING", "QUALIFY", "TABLESAMPLE"};
  if (t.kind == Kind::kQuotedIdent) return true;
  if (t.kind != Kind::kWord) return false;
  std::string upper(t.text);
  std::transform(upper.begin(), upper.end(), upper.begin(), ::toupper);
  return !kClauses.count(upper);
}

std::string ValueLiteral(const std::string& value, const std::string& type) {
  if (value == kDefaultPartition) return "CAST(NULL AS " + type + ")";
  return "CAST(" + QuoteLiteral(value) + " AS " + type + ")";
}

}  // namespace

std::vector<PartitionsTableRef> FindPartitionsTables(std::string_view sql) {
  const std::vector<SqlToken> tokens = TokenizeSql(sql);
  std::vector<PartitionsTableRef> out;
  for (size_t i = 0; i < tokens.size(); ++i) {
    if (!IsName(tokens[i]) || !EndsWithSuffix(NameOf(tokens[i]))) continue;
    // A `.` right before it belongs to a qualified name: `db.` and `catalog.db.`.
    if (i > 0 && tokens[i - 1].IsPunct(".")) {
      const bool qualified_by_name = i >= 2 && IsName(tokens[i - 2]);
      if (!qualified_by_name) continue;
    }
    PartitionsTableRef ref;
    const std::string name = NameOf(tokens[i]);
    ref.table = Lower(name.substr(0, name.size() - kSuffix.size()));
    size_t first = i;
    if (i >= 2 && tokens[i - 1].IsPunct(".") && IsName(tokens[i - 2])) {
      ref.database = Lower(NameOf(tokens[i - 2]));
      first = i - 2;
      if (first >= 2 && tokens[first - 1].IsPunct(".") && IsName(tokens[first - 2])) first -= 2;
    }
    ref.begin = tokens[first].offset;
    ref.end = tokens[i].offset + tokens[i].text.size();
    const size_t next = NextSignificant(tokens, i + 1);
    ref.has_alias = next < tokens.size() && StartsAlias(tokens[next]);
    out.push_back(std::move(ref));
  }
  return out;
}

std::string PartitionsSubquery(const TableSizes& sizes, const std::vector<std::string>& key_types) {
  const size_t n = sizes.partition_keys.size();
  auto type_of = [&](size_t k) { return k < key_types.size() ? key_types[k] : "VARCHAR"; };
  if (sizes.partitions.empty()) {
    std::string select;
    for (size_t k = 0; k < n; ++k) {
      select += (k ? ", " : "") + ValueLiteral(kDefaultPartition, type_of(k)) + " AS " +
                QuoteIdentifier(sizes.partition_keys[k]);
    }
    return "(SELECT " + select + " WHERE false)";
  }
  std::string rows;
  for (const auto& partition : sizes.partitions) {
    std::string row;
    for (size_t k = 0; k < n; ++k) {
      row += (k ? ", " : "") +
             ValueLiteral(k < partition.values.size() ? partition.values[k] : kDefaultPartition,
                          type_of(k));
    }
    rows += (rows.empty() ? "(" : ", (") + row + ")";
  }
  std::string names;
  for (size_t k = 0; k < n; ++k)
    names += (k ? ", " : "") + QuoteIdentifier(sizes.partition_keys[k]);
  return "(SELECT * FROM (VALUES " + rows + ") AS __partitions(" + names + "))";
}

std::vector<std::string> PartitionNames(const TableSizes& sizes) {
  std::vector<std::string> out;
  for (const auto& partition : sizes.partitions) {
    std::string line;
    for (size_t k = 0; k < sizes.partition_keys.size() && k < partition.values.size(); ++k) {
      line += (k ? "/" : "") + sizes.partition_keys[k] + "=" + partition.values[k];
    }
    out.push_back(std::move(line));
  }
  std::sort(out.begin(), out.end());
  return out;
}

}  // namespace ac::emulator
