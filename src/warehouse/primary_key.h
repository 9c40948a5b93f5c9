#pragma once
// Internal to the warehouse module: a table's primary key as DuckDB stores it, and the one a bulk
// load leaves pending in the table's comment until DuckDbWarehouse::AddPendingKey adds it.

#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "warehouse/duckdb_query.h"

namespace ac::warehouse::detail {

/// The primary-key columns of schema.table as DuckDB stores them (empty when none / no table).
std::vector<std::string> LoadPrimaryKey(duckdb_connection connection, std::string_view schema,
                                        std::string_view table, std::string_view context);

/// The comment of a bulk-loaded table naming its primary key to be (see AddPendingKey).
std::string PendingKeyComment(const std::vector<std::string>& key);

/// The primary key a bulk load of schema.table left pending (its comment), or nullopt.
std::optional<std::vector<std::string>> LoadPendingKey(duckdb_connection connection,
                                                       std::string_view schema,
                                                       std::string_view table,
                                                       std::string_view context);

/// Key column names for messages: "(a, b)".
std::string KeyList(const std::vector<std::string>& names);

}  // namespace ac::warehouse::detail
