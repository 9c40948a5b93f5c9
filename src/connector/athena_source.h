#pragma once

#include <string>
#include <vector>

#include "athena/athena_client.h"
#include "athena/types.h"
#include "common/value.h"
#include "connector/config.h"

namespace ac::connector {

// A configured source as Athena sees it: the request that runs its SQL, the columns of a source
// table, the destination schema of its result. Shared by schema discovery and the table syncs.

/// The request that runs `sql` (with the values of its `?` placeholders) in the configured
/// catalog, database, workgroup and staging location.
athena::StartQueryRequest QueryRequest(const Config& config, const std::string& sql,
                                       std::vector<std::string> parameters = {});

/// A source table's metadata from GetTableMetadata. A table Athena does not know throws
/// common::NotFoundError naming it.
athena::TableMetadata SourceTableMetadata(athena::AthenaClient& client, const Config& config,
                                          const TableConfig& table);

/// Columns of a source table from GetTableMetadata (partition keys last, as SELECT * gives them).
/// A table Athena does not know throws common::NotFoundError naming it.
std::vector<athena::Column> SourceTableColumns(athena::AthenaClient& client, const Config& config,
                                               const TableConfig& table);

/// A table's columns as SELECT * gives them: its columns, then its partition keys.
std::vector<athena::Column> AllColumns(const athena::TableMetadata& metadata);

/// A table or view found in the catalog: how to sync it, and its columns.
struct SourceTable {
  TableConfig table;  ///< destination = source name; key from `primary_keys` (else keyless)
  std::vector<athena::Column> columns;
};

/// Every table and view of the configured databases (ListTableMetadata, all pages), for
/// `tables` = `*`; with several databases each table's destination schema is its database. Keys
/// from `primary_keys` (`database.table`, else `table`); an entry naming no table is logged.
std::vector<SourceTable> DiscoverTables(athena::AthenaClient& client, const Config& config);

/// The destination table of `table` with `columns` typed for Fivetran and its primary key marked;
/// a primary-key column missing from `columns` throws common::ConfigError listing them.
common::TableSchema DestinationSchema(const TableConfig& table,
                                      const std::vector<athena::Column>& columns);

}  // namespace ac::connector
