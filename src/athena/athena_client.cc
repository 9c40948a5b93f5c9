#include "athena/athena_client.h"

#include <fmt/format.h>
#include <simdjson.h>
#include <nlohmann/json.hpp>

#include <random>

#include "common/error.h"
#include "common/page_tokens.h"

namespace ac::athena {
namespace {

using nlohmann::json;

std::string StringOr(const json& object, const char* key) {
  const auto it = object.find(key);
  return it != object.end() && it->is_string() ? it->get<std::string>() : std::string();
}

int64_t IntOr(const json& object, const char* key) {
  const auto it = object.find(key);
  return it != object.end() && it->is_number() ? it->get<int64_t>() : 0;
}

json ParseJson(std::string_view body, const char* operation) {
  try {
    return json::parse(body);
  } catch (const json::exception&) {
    throw common::ProtocolError(
        fmt::format("Athena {} returned a malformed JSON response", operation));
  }
}

[[noreturn]] void Malformed(const char* what) {
  throw common::ProtocolError(
      fmt::format("Athena GetQueryResults returned a malformed response: {}", what));
}

}  // namespace

bool QueryExecution::HasHeaderRow() const {
  if (statement_type != "DML") return false;
  return substatement_type.empty() || substatement_type == "SELECT" ||
         substatement_type == "EXECUTE";
}

AthenaClient::AthenaClient(std::shared_ptr<aws::ServiceClient> service)
    : service_(std::move(service)) {}

std::string AthenaClient::Call(const char* operation, const std::string& body, bool cancellable) {
  aws::HttpRequest request;
  request.method = "POST";
  request.url.path = "/";
  request.headers = {{"Content-Type", "application/x-amz-json-1.1"},
                     {"X-Amz-Target", std::string("AmazonAthena.") + operation}};
  request.body = body;
  if (!cancellable)
    return service_->WithoutCancellation()->Send(operation, std::move(request)).body;
  return service_->Send(operation, std::move(request)).body;
}

std::string AthenaClient::StartQueryExecution(const StartQueryRequest& request) {
  json body = {
      {"QueryString", request.sql},
      {"ClientRequestToken", request.client_request_token.empty() ? NewClientRequestToken()
                                                                  : request.client_request_token}};
  json context = json::object();
  if (!request.database.empty()) context["Database"] = request.database;
  if (!request.catalog.empty()) context["Catalog"] = request.catalog;
  if (!context.empty()) body["QueryExecutionContext"] = context;
  if (!request.output_location.empty())
    body["ResultConfiguration"] = {{"OutputLocation", request.output_location}};
  if (!request.workgroup.empty()) body["WorkGroup"] = request.workgroup;
  if (request.result_reuse_minutes > 0) {
    body["ResultReuseConfiguration"] = {
        {"ResultReuseByAgeConfiguration",
         {{"Enabled", true}, {"MaxAgeInMinutes", request.result_reuse_minutes}}}};
  }
  if (!request.execution_parameters.empty())
    body["ExecutionParameters"] = request.execution_parameters;
  const json reply = ParseJson(Call("StartQueryExecution", body.dump()), "StartQueryExecution");
  std::string id = StringOr(reply, "QueryExecutionId");
  if (id.empty())
    throw common::ProtocolError("Athena StartQueryExecution returned no QueryExecutionId");
  return id;
}

QueryExecution AthenaClient::GetQueryExecution(const std::string& query_execution_id) {
  const json reply =
      ParseJson(Call("GetQueryExecution", json{{"QueryExecutionId", query_execution_id}}.dump()),
                "GetQueryExecution");
  const auto it = reply.find("QueryExecution");
  if (it == reply.end() || !it->is_object()) {
    throw common::ProtocolError("Athena GetQueryExecution returned no QueryExecution");
  }
  const json& q = *it;
  QueryExecution out;
  out.id = StringOr(q, "QueryExecutionId");
  out.query = StringOr(q, "Query");
  out.statement_type = StringOr(q, "StatementType");
  out.substatement_type = StringOr(q, "SubstatementType");
  if (const auto params = q.find("ExecutionParameters"); params != q.end() && params->is_array()) {
    for (const auto& p : *params) {
      if (p.is_string()) out.execution_parameters.push_back(p.get<std::string>());
    }
  }
  if (const auto rc = q.find("ResultConfiguration"); rc != q.end() && rc->is_object()) {
    out.output_location = StringOr(*rc, "OutputLocation");
    if (const auto enc = rc->find("EncryptionConfiguration");
        enc != rc->end() && enc->is_object()) {
      out.encryption_option = StringOr(*enc, "EncryptionOption");
    }
  }
  if (const auto managed = q.find("ManagedQueryResultsConfiguration");
      managed != q.end() && managed->is_object()) {
    const auto enabled = managed->find("Enabled");
    out.managed_results =
        enabled != managed->end() && enabled->is_boolean() && enabled->get<bool>();
  }
  if (const auto status = q.find("Status"); status != q.end() && status->is_object()) {
    out.state = StringOr(*status, "State");
    out.state_change_reason = StringOr(*status, "StateChangeReason");
    if (const auto error = status->find("AthenaError");
        error != status->end() && error->is_object()) {
      out.has_error = true;
      out.error.category = static_cast<int>(IntOr(*error, "ErrorCategory"));
      out.error.type = static_cast<int>(IntOr(*error, "ErrorType"));
      const auto retryable = error->find("Retryable");
      out.error.retryable =
          retryable != error->end() && retryable->is_boolean() && retryable->get<bool>();
      out.error.message = StringOr(*error, "ErrorMessage");
    }
  }
  if (const auto stats = q.find("Statistics"); stats != q.end() && stats->is_object()) {
    out.data_scanned_bytes = IntOr(*stats, "DataScannedInBytes");
    out.engine_execution_ms = IntOr(*stats, "EngineExecutionTimeInMillis");
    out.total_execution_ms = IntOr(*stats, "TotalExecutionTimeInMillis");
    out.manifest_location = StringOr(*stats, "DataManifestLocation");
    if (const auto reuse = stats->find("ResultReuseInformation");
        reuse != stats->end() && reuse->is_object()) {
      const auto reused = reuse->find("ReusedPreviousResult");
      out.reused_previous_result =
          reused != reuse->end() && reused->is_boolean() && reused->get<bool>();
    }
  }
  if (out.state.empty())
    throw common::ProtocolError("Athena GetQueryExecution returned no Status.State");
  return out;
}

void AthenaClient::StopQueryExecution(const std::string& query_execution_id) {
  // Sent when the sync was cancelled: it must not be refused by the cancelled token.
  Call("StopQueryExecution", json{{"QueryExecutionId", query_execution_id}}.dump(),
       /*cancellable=*/false);
}

ResultsPage AthenaClient::GetQueryResults(const std::string& query_execution_id,
                                          const std::string& next_token, int max_results,
                                          bool skip_header_row, RowBatch& rows) {
  json body = {{"QueryExecutionId", query_execution_id}, {"MaxResults", max_results}};
  if (!next_token.empty()) body["NextToken"] = next_token;
  const std::string reply = Call("GetQueryResults", body.dump());
  return ParseGetQueryResults(reply, skip_header_row, rows);
}

ResultsPage ParseGetQueryResults(std::string_view body, bool skip_header_row, RowBatch& rows) {
  // Hot path of the api fetcher: simdjson on-demand, cells appended straight into the batch.
  thread_local simdjson::ondemand::parser parser;
  simdjson::padded_string padded(body);
  ResultsPage page;
  simdjson::ondemand::document doc;
  if (parser.iterate(padded).get(doc)) Malformed("not JSON");
  simdjson::ondemand::object root;
  if (doc.get_object().get(root)) Malformed("not a JSON object");
  bool have_result_set = false;
  for (auto field : root) {
    std::string_view key;
    if (field.unescaped_key().get(key)) Malformed("bad key");
    if (key == "NextToken") {
      std::string_view token;
      if (field.value().get_string().get(token)) Malformed("NextToken is not a string");
      page.next_token = std::string(token);
    } else if (key == "UpdateCount") {
      int64_t count = 0;
      if (field.value().get_int64().get(count)) Malformed("UpdateCount is not an integer");
      page.update_count = count;
    } else if (key == "ResultSet") {
      have_result_set = true;
      simdjson::ondemand::object result_set;
      if (field.value().get_object().get(result_set)) Malformed("ResultSet is not an object");
      // Athena sends Rows before ResultSetMetadata: cells are appended as they come and every
      // row's width is checked against the column count at the end.
      std::vector<size_t> row_widths;
      bool first_row = true;
      for (auto rs_field : result_set) {
        std::string_view rs_key;
        if (rs_field.unescaped_key().get(rs_key)) Malformed("bad key");
        if (rs_key == "Rows") {
          simdjson::ondemand::array row_array;
          if (rs_field.value().get_array().get(row_array)) Malformed("Rows is not a list");
          for (auto row_value : row_array) {
            simdjson::ondemand::object row;
            if (row_value.get_object().get(row)) Malformed("a row is not an object");
            simdjson::ondemand::array data;
            if (row["Data"].get_array().get(data)) Malformed("a row has no Data list");
            const bool skip = first_row && skip_header_row;
            first_row = false;
            size_t width = 0;
            for (auto datum_value : data) {
              ++width;
              if (skip) continue;
              simdjson::ondemand::object datum;
              if (datum_value.get_object().get(datum)) Malformed("a Datum is not an object");
              bool has_value = false;
              for (auto datum_field : datum) {
                std::string_view datum_key;
                if (datum_field.unescaped_key().get(datum_key)) Malformed("bad key");
                if (datum_key == "VarCharValue") {
                  std::string_view text;
                  if (datum_field.value().get_string().get(text))
                    Malformed("VarCharValue is not a string");
                  rows.AppendCell(text);
                  has_value = true;
                }
              }
              if (!has_value) rows.AppendNull();
            }
            if (!skip) row_widths.push_back(width);
          }
        } else if (rs_key == "ResultSetMetadata") {
          simdjson::ondemand::object metadata;
          if (rs_field.value().get_object().get(metadata))
            Malformed("ResultSetMetadata is not an object");
          simdjson::ondemand::array infos;
          if (metadata["ColumnInfo"].get_array().get(infos)) Malformed("ColumnInfo is not a list");
          for (auto info_value : infos) {
            simdjson::ondemand::object info;
            if (info_value.get_object().get(info)) Malformed("a ColumnInfo is not an object");
            std::string name, type;
            int64_t precision = 0, scale = 0;
            for (auto info_field : info) {
              std::string_view info_key;
              if (info_field.unescaped_key().get(info_key)) Malformed("bad key");
              if (info_key == "Name") {
                std::string_view v;
                if (info_field.value().get_string().get(v)) Malformed("ColumnInfo.Name");
                name = std::string(v);
              } else if (info_key == "Type") {
                std::string_view v;
                if (info_field.value().get_string().get(v)) Malformed("ColumnInfo.Type");
                type = std::string(v);
              } else if (info_key == "Precision") {
                if (info_field.value().get_int64().get(precision))
                  Malformed("ColumnInfo.Precision");
              } else if (info_key == "Scale") {
                if (info_field.value().get_int64().get(scale)) Malformed("ColumnInfo.Scale");
              }
            }
            page.columns.push_back(
                Column{std::move(name), TypeFromColumnInfo(type, static_cast<int32_t>(precision),
                                                           static_cast<int32_t>(scale))});
          }
        }
      }
      const size_t width = page.columns.size();
      for (const size_t w : row_widths) {
        if (w != width) {
          Malformed(fmt::format("a row has {} cells but there are {} columns", w, width).c_str());
        }
      }
      page.rows = row_widths.size();
      rows.SetNumColumns(width);
    }
  }
  if (!have_result_set) Malformed("no ResultSet");
  return page;
}

namespace {

/// One TableMetadata object of GetTableMetadata / ListTableMetadata.
TableMetadata ReadTableMetadata(const json& object) {
  TableMetadata out;
  out.name = StringOr(object, "Name");
  out.table_type = StringOr(object, "TableType");
  auto read_columns = [&](const char* key, std::vector<Column>& columns) {
    const auto list = object.find(key);
    if (list == object.end() || !list->is_array()) return;
    for (const auto& column : *list) {
      columns.push_back(
          Column{StringOr(column, "Name"), ParseDeclaredType(StringOr(column, "Type"))});
    }
  };
  read_columns("Columns", out.columns);
  read_columns("PartitionKeys", out.partition_keys);
  if (const auto params = object.find("Parameters");
      params != object.end() && params->is_object()) {
    for (const auto& [key, value] : params->items()) {
      if (value.is_string()) out.parameters[key] = value.get<std::string>();
    }
  }
  return out;
}

}  // namespace

TableMetadata AthenaClient::GetTableMetadata(const std::string& catalog,
                                             const std::string& database,
                                             const std::string& table) {
  const json reply = ParseJson(
      Call("GetTableMetadata",
           json{{"CatalogName", catalog}, {"DatabaseName", database}, {"TableName", table}}.dump()),
      "GetTableMetadata");
  const auto it = reply.find("TableMetadata");
  if (it == reply.end() || !it->is_object())
    throw common::ProtocolError("Athena GetTableMetadata returned no TableMetadata");
  return ReadTableMetadata(*it);
}

std::vector<TableMetadata> AthenaClient::ListTableMetadata(const std::string& catalog,
                                                           const std::string& database) {
  std::vector<TableMetadata> tables;
  std::string token;
  common::PageTokens tokens("Athena ListTableMetadata");
  do {
    json body = {{"CatalogName", catalog}, {"DatabaseName", database}, {"MaxResults", 50}};
    if (!token.empty()) body["NextToken"] = token;
    const json reply = ParseJson(Call("ListTableMetadata", body.dump()), "ListTableMetadata");
    if (const auto list = reply.find("TableMetadataList"); list != reply.end()) {
      if (!list->is_array())
        throw common::ProtocolError("Athena ListTableMetadata: TableMetadataList is not a list");
      for (const auto& table : *list) {
        if (!table.is_object())
          throw common::ProtocolError("Athena ListTableMetadata: a table entry is not an object");
        tables.push_back(ReadTableMetadata(table));
      }
    }
    token = StringOr(reply, "NextToken");
    tokens.Next(token);
  } while (!token.empty());
  return tables;
}

std::vector<std::string> AthenaClient::ListDatabases(const std::string& catalog) {
  std::vector<std::string> names;
  std::string token;
  common::PageTokens tokens("Athena ListDatabases");
  do {
    json body = {{"CatalogName", catalog}, {"MaxResults", 50}};
    if (!token.empty()) body["NextToken"] = token;
    const json reply = ParseJson(Call("ListDatabases", body.dump()), "ListDatabases");
    if (const auto list = reply.find("DatabaseList"); list != reply.end() && list->is_array()) {
      for (const auto& db : *list) names.push_back(StringOr(db, "Name"));
    }
    token = StringOr(reply, "NextToken");
    tokens.Next(token);
  } while (!token.empty());
  return names;
}

std::string NewClientRequestToken() {
  thread_local std::mt19937_64 rng{std::random_device{}()};
  const uint64_t hi = rng();
  const uint64_t lo = rng();
  return fmt::format("{:08x}-{:04x}-4{:03x}-{:04x}-{:012x}", static_cast<uint32_t>(hi >> 32),
                     static_cast<uint32_t>((hi >> 16) & 0xFFFF), static_cast<uint32_t>(hi & 0xFFF),
                     static_cast<uint32_t>(0x8000 | ((lo >> 48) & 0x3FFF)), lo & 0xFFFFFFFFFFFFULL);
}

}  // namespace ac::athena
