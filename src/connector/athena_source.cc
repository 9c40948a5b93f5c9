#include "connector/athena_source.h"

#include <fmt/format.h>
#include <fmt/ranges.h>
#include <spdlog/spdlog.h>

#include <set>

#include "aws/aws_error.h"
#include "common/error.h"

namespace ac::connector {

athena::StartQueryRequest QueryRequest(const Config& config, const std::string& sql,
                                       std::vector<std::string> parameters) {
  athena::StartQueryRequest request;
  request.sql = sql;
  request.execution_parameters = std::move(parameters);
  request.database = config.database;
  request.catalog = config.catalog;
  request.workgroup = config.workgroup;
  request.output_location = config.staging.ToString();
  request.result_reuse_minutes = config.result_reuse_minutes;
  return request;
}

athena::TableMetadata SourceTableMetadata(athena::AthenaClient& client, const Config& config,
                                          const TableConfig& table) {
  const std::string& database =
      table.source_database.empty() ? config.database : table.source_database;
  athena::TableMetadata metadata;
  try {
    metadata = client.GetTableMetadata(config.catalog, database, table.source_table);
  } catch (const aws::AwsError& e) {
    // Not found, or refused (MetadataException, InvalidRequestException): as aws_error classifies.
    if (e.kind() == common::ErrorKind::kNotFound || e.kind() == common::ErrorKind::kQueryFailed) {
      throw common::NotFoundError(
          fmt::format("table '{}' was not found in database '{}' of catalog '{}': {}",
                      table.source_table, database, config.catalog, e.aws_message()));
    }
    throw;
  }
  return metadata;
}

std::vector<athena::Column> SourceTableColumns(athena::AthenaClient& client, const Config& config,
                                               const TableConfig& table) {
  return AllColumns(SourceTableMetadata(client, config, table));
}

std::vector<athena::Column> AllColumns(const athena::TableMetadata& metadata) {
  std::vector<athena::Column> columns = metadata.columns;
  columns.insert(columns.end(), metadata.partition_keys.begin(), metadata.partition_keys.end());
  return columns;
}

std::vector<SourceTable> DiscoverTables(athena::AthenaClient& client, const Config& config) {
  std::vector<SourceTable> tables;
  std::set<std::string> names;  // table and database.table of every table found
  for (const auto& database : config.databases) {
    std::vector<athena::TableMetadata> listed;
    try {
      listed = client.ListTableMetadata(config.catalog, database);
    } catch (const aws::AwsError& e) {
      if (e.kind() == common::ErrorKind::kNotFound || e.kind() == common::ErrorKind::kQueryFailed) {
        throw common::NotFoundError(
            fmt::format("the tables of database '{}' of catalog '{}' cannot be listed: {}",
                        database, config.catalog, e.aws_message()));
      }
      throw;
    }
    for (auto& metadata : listed) {
      SourceTable source;
      source.table.source_database = database;
      source.table.source_table = metadata.name;
      source.table.destination_schema = config.UsesSchemas() ? database : "";
      source.table.destination_table = metadata.name;
      const std::string qualified = database + "." + metadata.name;
      auto key = config.primary_keys.find(qualified);
      if (key == config.primary_keys.end()) key = config.primary_keys.find(metadata.name);
      if (key != config.primary_keys.end()) source.table.primary_key = key->second;
      config.ApplyTableSettings(database, source.table);
      source.columns = AllColumns(metadata);
      names.insert(metadata.name);
      names.insert(qualified);
      tables.push_back(std::move(source));
    }
  }
  for (const auto& [name, key] : config.primary_keys) {
    if (!names.count(name)) {
      spdlog::warn("primary_keys names table '{}', which no database of '{}' has", name,
                   fmt::join(config.databases, ","));
    }
  }
  for (const auto& [name, settings] : config.table_settings) {
    if (!names.count(name)) {
      spdlog::warn("table_settings names table '{}', which no database of '{}' has", name,
                   fmt::join(config.databases, ","));
    }
  }
  return tables;
}

common::TableSchema DestinationSchema(const TableConfig& table,
                                      const std::vector<athena::Column>& columns) {
  common::TableSchema schema;
  schema.schema = table.destination_schema;
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
