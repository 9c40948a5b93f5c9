#pragma once

#include <string>
#include <string_view>

namespace ac::common {

// Quoting for SQL text built by this project (DuckDB, Athena/Trino): every byte is kept, the
// quote character is doubled, nothing else is escaped.

/// A string literal: 'it''s'.
std::string QuoteLiteral(std::string_view text);
/// A delimited identifier: "a""b".
std::string QuoteIdentifier(std::string_view name);
/// An identifier of Athena's Hive DDL statements (SHOW PARTITIONS, ...), which take backticks:
/// `a``b`.
std::string QuoteDdlIdentifier(std::string_view name);

}  // namespace ac::common
