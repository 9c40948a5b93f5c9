#include "connector/partitions.h"

#include <fmt/format.h>

#include <algorithm>
#include <charconv>
#include <cstdint>
#include <set>

#include "athena/row_batch.h"
#include "common/civil_date.h"
#include "common/error.h"
#include "common/page_tokens.h"
#include "common/sql_quote.h"
#include "common/strings.h"
#include "connector/athena_source.h"
#include "connector/cursor.h"

namespace ac::connector {
namespace {

using athena::TypeId;
using Kind = PartitionKey::Kind;

constexpr std::string_view kNullPartition = "__HIVE_DEFAULT_PARTITION__";

bool IsIntegerType(TypeId id) {
  return id == TypeId::kTinyint || id == TypeId::kSmallint || id == TypeId::kInteger ||
         id == TypeId::kBigint;
}

bool IsStringType(TypeId id) {
  return id == TypeId::kVarchar || id == TypeId::kChar;
}

bool IsDigits(std::string_view text) {
  return !text.empty() &&
         std::all_of(text.begin(), text.end(), [](char c) { return c >= '0' && c <= '9'; });
}

/// `YYYY-MM-DD` at the start of `text`, a real date, followed by nothing or a separator.
bool StartsWithIsoDate(std::string_view text) {
  if (text.size() < 10 || !IsDigits(text.substr(0, 4)) || text[4] != '-' ||
      !IsDigits(text.substr(5, 2)) || text[7] != '-' || !IsDigits(text.substr(8, 2))) {
    return false;
  }
  const int month = (text[5] - '0') * 10 + (text[6] - '0');
  const int day = (text[8] - '0') * 10 + (text[9] - '0');
  const int64_t year =
      (text[0] - '0') * 1000 + (text[1] - '0') * 100 + (text[2] - '0') * 10 + (text[3] - '0');
  if (month < 1 || month > 12 || day < 1 ||
      static_cast<unsigned>(day) > common::DaysInMonth(year, static_cast<unsigned>(month))) {
    return false;
  }
  return text.size() == 10 || text[10] == '-' || text[10] == ' ' || text[10] == 'T' ||
         text[10] == '_' || text[10] == ':';
}

int64_t ParseInteger(std::string_view text) {
  int64_t value = 0;
  const auto result = std::from_chars(text.data(), text.data() + text.size(), value);
  if (result.ec != std::errc() || result.ptr != text.data() + text.size()) {
    throw common::ProtocolError(
        fmt::format("partition value of {} bytes is not an integer", text.size()));
  }
  return value;
}

int HexDigit(char c) {
  if (c >= '0' && c <= '9') return c - '0';
  if (c >= 'a' && c <= 'f') return c - 'a' + 10;
  if (c >= 'A' && c <= 'F') return c - 'A' + 10;
  return -1;
}

/// Hive escapes special characters of partition values in paths as %XX.
std::string UnescapePartitionValue(std::string_view text) {
  std::string out;
  out.reserve(text.size());
  for (size_t i = 0; i < text.size(); ++i) {
    if (text[i] == '%' && i + 2 < text.size()) {
      const int hi = HexDigit(text[i + 1]);
      const int lo = HexDigit(text[i + 2]);
      if (hi >= 0 && lo >= 0) {
        out.push_back(static_cast<char>(hi * 16 + lo));
        i += 2;
        continue;
      }
    }
    out.push_back(text[i]);
  }
  return out;
}

}  // namespace

int ComparePartitionValues(Kind kind, std::string_view a, std::string_view b) {
  if (kind == Kind::kInteger) {
    const int64_t x = ParseInteger(a);
    const int64_t y = ParseInteger(b);
    return (x > y) - (x < y);
  }
  const int c = a.compare(b);
  return (c > 0) - (c < 0);
}

bool AllDateLike(const std::vector<std::string>& values) {
  return !values.empty() && std::all_of(values.begin(), values.end(),
                                        [](const std::string& v) { return StartsWithIsoDate(v); });
}

std::optional<PartitionKey> ChoosePartitionKey(const TableConfig& table,
                                               const std::vector<athena::Column>& partition_keys,
                                               const std::vector<std::string>& string_values,
                                               std::string& why_not) {
  if (partition_keys.empty()) {
    why_not = "the table is not partitioned";
    return std::nullopt;
  }
  const athena::Column* chosen = &partition_keys.front();
  if (!table.partition_column.empty()) {
    chosen = nullptr;
    for (const auto& key : partition_keys) {
      if (common::EqualsIgnoreCase(key.name, table.partition_column)) chosen = &key;
    }
    if (chosen == nullptr) {
      std::vector<std::string> names;
      for (const auto& key : partition_keys) names.push_back(key.name);
      throw common::ConfigError(
          fmt::format("table '{}': partition_column '{}' is not one of its partition keys ({})",
                      table.destination_table, table.partition_column, fmt::join(names, ", ")));
    }
  }
  PartitionKey key;
  key.column = chosen->name;
  key.type = chosen->type;
  if (IsIntegerType(chosen->type.id)) {
    key.kind = Kind::kInteger;
    return key;
  }
  if (chosen->type.id == TypeId::kDate) {
    key.kind = Kind::kDate;
    return key;
  }
  if (IsStringType(chosen->type.id)) {
    if (string_values.empty() || AllDateLike(string_values)) {
      // No partitions yet: a date-like layout is the common case, and nothing is lost either way.
      key.kind = Kind::kDate;
      return key;
    }
    why_not = fmt::format(
        "its partition key '{}' has values that are not ISO dates (YYYY-MM-DD...), so newer "
        "partitions cannot be told from older ones",
        chosen->name);
    return std::nullopt;
  }
  why_not = fmt::format("its partition key '{}' is of type {}, neither date-like nor an integer",
                        chosen->name, chosen->type.ToString());
  return std::nullopt;
}

std::vector<std::string> PartitionValuesOf(const std::vector<std::string>& lines,
                                           const std::string& column,
                                           std::optional<PartitionKey::Kind> kind, bool* has_null) {
  std::set<std::string> distinct;
  for (const auto& line : lines) {
    size_t start = 0;
    while (start <= line.size()) {
      const size_t slash = line.find('/', start);
      const std::string_view part = std::string_view(line).substr(
          start, slash == std::string::npos ? std::string::npos : slash - start);
      const size_t equals = part.find('=');
      if (equals != std::string_view::npos &&
          common::EqualsIgnoreCase(part.substr(0, equals), column)) {
        const std::string_view raw = part.substr(equals + 1);
        if (raw != kNullPartition) {
          distinct.insert(UnescapePartitionValue(raw));
        } else if (has_null != nullptr) {
          *has_null = true;
        }
      }
      if (slash == std::string::npos) break;
      start = slash + 1;
    }
  }
  std::vector<std::string> values(distinct.begin(), distinct.end());
  if (kind == Kind::kInteger) {
    for (const auto& v : values) ParseInteger(v);  // a listing that is not integers is an error
    std::sort(values.begin(), values.end(), [](const std::string& a, const std::string& b) {
      return ComparePartitionValues(Kind::kInteger, a, b) < 0;
    });
  }
  return values;
}

std::string LookbackStart(const PartitionKey& key, const std::string& value, int lookback) {
  if (key.kind == Kind::kInteger) return std::to_string(ParseInteger(value) - lookback);
  if (!StartsWithIsoDate(value)) {
    throw common::ConfigError(
        fmt::format("the saved partition value of table column '{}' is not an ISO date; reset the "
                    "connection's state",
                    key.column));
  }
  const int64_t days = common::DaysFromCivil(std::stoll(value.substr(0, 4)),
                                             static_cast<unsigned>(std::stoi(value.substr(5, 2))),
                                             static_cast<unsigned>(std::stoi(value.substr(8, 2))));
  const common::CivilDate start = common::CivilFromDays(days - lookback);
  return fmt::format("{:04}-{:02}-{:02}", start.year, start.month, start.day);
}

std::vector<PartitionRange> PlanPartitionRanges(Kind kind, const std::vector<std::string>& values,
                                                const std::string& from, const std::string& after,
                                                int per_query, bool has_null) {
  std::vector<std::string> selected;
  for (const auto& v : values) {
    if (!from.empty() && ComparePartitionValues(kind, v, from) < 0) continue;
    if (!after.empty() && ComparePartitionValues(kind, v, after) <= 0) continue;
    selected.push_back(v);
  }
  std::vector<PartitionRange> ranges;
  if (has_null && from.empty() && after.empty()) {
    PartitionRange nulls;
    nulls.nulls = true;
    ranges.push_back(nulls);
  }
  PartitionRange first;
  first.from = from;
  first.after = after;
  ranges.push_back(first);
  const size_t step = static_cast<size_t>(std::max(per_query, 1));
  for (size_t end = step; end < selected.size(); end += step) {
    ranges.back().through = selected[end - 1];
    PartitionRange next;
    next.after = selected[end - 1];
    ranges.push_back(next);
  }
  return ranges;
}

size_t CountInRange(Kind kind, const std::vector<std::string>& values,
                    const PartitionRange& range) {
  if (range.nulls) return 0;
  return static_cast<size_t>(std::count_if(values.begin(), values.end(), [&](const auto& v) {
    return (range.from.empty() || ComparePartitionValues(kind, v, range.from) >= 0) &&
           (range.after.empty() || ComparePartitionValues(kind, v, range.after) > 0) &&
           (range.through.empty() || ComparePartitionValues(kind, v, range.through) <= 0);
  }));
}

std::string RangeCondition(const PartitionKey& key, const PartitionRange& range,
                           std::vector<std::string>& parameters) {
  const std::string column = common::QuoteIdentifier(key.column);
  const std::string type = key.type.ToString();
  if (range.nulls) return column + " IS NULL";
  std::vector<std::string> conditions;
  if (!range.from.empty()) {
    conditions.push_back(column + " >= ?");
    parameters.push_back(CursorLiteral(type, range.from));
  }
  if (!range.after.empty()) {
    conditions.push_back(column + " > ?");
    parameters.push_back(CursorLiteral(type, range.after));
  }
  if (!range.through.empty()) {
    conditions.push_back(column + " <= ?");
    parameters.push_back(CursorLiteral(type, range.through));
  }
  if (conditions.empty()) return {};
  return fmt::format("{}", fmt::join(conditions, " AND "));
}

std::vector<std::string> ListPartitions(athena::AthenaClient& client, athena::QueryRunner& runner,
                                        const Config& config, const TableConfig& table) {
  const std::string& database =
      table.source_database.empty() ? config.database : table.source_database;
  // A Hive DDL statement in Athena: identifiers in backticks (double quotes would be strings).
  const std::string sql = fmt::format("SHOW PARTITIONS {}.{}", common::QuoteDdlIdentifier(database),
                                      common::QuoteDdlIdentifier(table.source_table));
  athena::StartQueryRequest request = QueryRequest(config, sql);
  request.result_reuse_minutes = 0;  // the partitions of now
  const athena::QueryExecution execution = runner.Run(request);
  std::vector<std::string> lines;
  common::PageTokens tokens("Athena GetQueryResults of " + execution.id);
  std::string token;
  bool first = true;
  do {
    athena::RowBatch rows;
    const athena::ResultsPage page =
        client.GetQueryResults(execution.id, token, 1000, first && execution.HasHeaderRow(), rows);
    first = false;
    for (size_t r = 0; r < rows.num_rows(); ++r) {
      if (rows.num_columns() > 0 && !rows.is_null(r, 0))
        lines.emplace_back(common::Trim(rows.cell(r, 0)));
    }
    token = page.next_token;
    tokens.Next(token);
  } while (!token.empty());
  return lines;
}

}  // namespace ac::connector
