#include "connector/athena_source.h"

#include <fmt/format.h>

#include "aws/aws_error.h"
#include "common/error.h"

namespace ac::connector {

athena::StartQueryRequest QueryRequest(const Config& config, const std::string& sql) {
  athena::StartQueryRequest request;
  request.sql = sql;
  request.database = config.database;
  request.catalog = config.catalog;
  request.workgroup = config.workgroup;
  request.output_location = config.staging.ToString();
  return request;
}

std::vector<athena::Column> SourceTableColumns(athena::AthenaClient& client, const Config& config,
                                               const TableConfig& table) {
  athena::TableMetadata metadata;
  try {
    metadata = client.GetTableMetadata(config.catalog, config.database, table.source_table);
  } catch (const aws::AwsError& e) {
    // Not found, or refused (MetadataException, InvalidRequestException): as aws_error classifies.
    if (e.kind() == common::ErrorKind::kNotFound || e.kind() == common::ErrorKind::kQueryFailed) {
      throw common::NotFoundError(
          fmt::format("table '{}' was not found in database '{}' of catalog '{}': {}",
                      table.source_table, config.database, config.catalog, e.aws_message()));
    }
    throw;
  }
  std::vector<athena::Column> columns = metadata.columns;
  columns.insert(columns.end(), metadata.partition_keys.begin(), metadata.partition_keys.end());
  return columns;
}

common::TableSchema DestinationSchema(const TableConfig& table,
                                      const std::vector<athena::Column>& columns) {
  common::TableSchema schema;
  schema.name = table.destination_table;
  for (const auto& column : columns) {
    bool pk = false;
    for (const auto& key : table.primary_key) pk = pk || key == column.name;
    schema.columns.push_back(athena::ToColumnSchema(column, pk));
  }
  for (const auto& key : table.primary_key) {
    if (schema.FindColumn(key) < 0) {
      std::string names;
      for (const auto& column : columns) names += (names.empty() ? "" : ", ") + column.name;
      throw common::ConfigError(fmt::format(
          "primary key column '{}' is not a column of {} (columns: {})", key,
          table.query.empty() ? "table '" + table.source_table + "'" : "the query", names));
    }
  }
  return schema;
}

}  // namespace ac::connector
