#include "emulator/athena_api.h"

#include <algorithm>
#include <cmath>
#include <fstream>
#include <nlohmann/json.hpp>
#include <regex>

#include "athena_text/value_format.h"
#include "common/encoding.h"
#include "common/strings.h"
#include "emulator/result_file.h"
#include "emulator/sql_translate.h"

namespace ac::emulator {

using athena_text::AppendInt64;
using athena_text::AppendJsonString;
namespace {

using common::Lower;
using json = nlohmann::json;

constexpr int kDefaultMaxResults = 1000;

ApiError Invalid(const std::string& message) {
  return ApiError(400, "InvalidRequestException", message, "INVALID_INPUT");
}

ApiError Serialization(const std::string& message) {
  return ApiError(400, "SerializationException", message);
}

std::string LowerFirst(std::string_view field) {
  std::string s(field);
  if (!s.empty()) s[0] = static_cast<char>(std::tolower(static_cast<unsigned char>(s[0])));
  return s;
}

std::optional<std::string> OptString(const json& req, const char* field) {
  auto it = req.find(field);
  if (it == req.end() || it->is_null()) return std::nullopt;
  if (!it->is_string()) {
    throw Serialization("Start of structure or map found where not expected for " +
                        std::string(field));
  }
  return it->get<std::string>();
}

std::string ReqString(const json& req, const char* field, size_t min_len = 1,
                      size_t max_len = 1 << 20) {
  auto v = OptString(req, field);
  if (!v) {
    throw Invalid("1 validation error detected: Value null at '" + LowerFirst(field) +
                  "' failed to satisfy constraint: Member must not be null");
  }
  if (v->size() < min_len || v->size() > max_len) {
    throw Invalid("1 validation error detected: Value '" + *v + "' at '" + LowerFirst(field) +
                  "' failed to satisfy constraint: Member must have length between " +
                  std::to_string(min_len) + " and " + std::to_string(max_len));
  }
  return *v;
}

std::optional<int64_t> OptInt(const json& req, const char* field, int64_t min, int64_t max) {
  auto it = req.find(field);
  if (it == req.end() || it->is_null()) return std::nullopt;
  if (!it->is_number_integer()) {
    throw Serialization("NUMBER_VALUE expected for " + std::string(field));
  }
  const int64_t v = it->get<int64_t>();
  if (v < min) {
    throw Invalid("1 validation error detected: Value '" + std::to_string(v) + "' at '" +
                  LowerFirst(field) +
                  "' failed to satisfy constraint: Member must have value greater than or equal "
                  "to " +
                  std::to_string(min));
  }
  if (v > max) {
    throw Invalid("1 validation error detected: Value '" + std::to_string(v) + "' at '" +
                  LowerFirst(field) +
                  "' failed to satisfy constraint: Member must have value less than or equal to " +
                  std::to_string(max));
  }
  return v;
}

double EpochSeconds(TimePoint t) {
  const auto ms =
      std::chrono::duration_cast<std::chrono::milliseconds>(t.time_since_epoch()).count();
  return static_cast<double>(ms) / 1000.0;
}

json EngineVersion() {
  return {{"SelectedEngineVersion", "AUTO"}, {"EffectiveEngineVersion", "Athena engine version 3"}};
}

json QueryExecutionJson(const QueryExecutionInfo& q) {
  json out;
  out["QueryExecutionId"] = q.id;
  out["Query"] = q.request.query;
  if (!q.statement_type.empty()) out["StatementType"] = q.statement_type;
  if (!q.substatement_type.empty()) out["SubstatementType"] = q.substatement_type;
  json rc = json::object();
  if (!q.request.result_configuration_json.empty()) {
    rc = json::parse(q.request.result_configuration_json, nullptr, false);
    if (!rc.is_object()) rc = json::object();
  }
  rc["OutputLocation"] = q.output_location;
  out["ResultConfiguration"] = rc;
  out["ResultReuseConfiguration"] = {
      {"ResultReuseByAgeConfiguration",
       q.request.reuse_enabled
           ? json{{"Enabled", true}, {"MaxAgeInMinutes", q.request.reuse_max_age_minutes}}
           : json{{"Enabled", false}}}};
  if (q.request.has_context) {
    json ctx = json::object();
    if (!q.request.database.empty()) ctx["Database"] = q.request.database;
    if (!q.request.catalog.empty()) ctx["Catalog"] = q.request.catalog;
    out["QueryExecutionContext"] = ctx;
  }
  json status;
  status["State"] = q.state;
  status["SubmissionDateTime"] = EpochSeconds(q.submission_time);
  if (q.finished) status["CompletionDateTime"] = EpochSeconds(q.completion_time);
  if (!q.state_change_reason.empty()) status["StateChangeReason"] = q.state_change_reason;
  if (q.error) {
    status["AthenaError"] = {{"ErrorCategory", q.error->category},
                             {"ErrorType", q.error->type},
                             {"Retryable", q.error->retryable},
                             {"ErrorMessage", q.error->message}};
  }
  out["Status"] = status;
  json stats;
  const auto now = std::chrono::system_clock::now();
  const TimePoint end = q.finished ? q.completion_time : now;
  const auto ms = [](TimePoint a, TimePoint b) {
    return std::max<int64_t>(0,
                             std::chrono::duration_cast<std::chrono::milliseconds>(b - a).count());
  };
  const bool started = q.state != "QUEUED" || q.finished;
  const int64_t total = ms(q.submission_time, end);
  const int64_t queue = started ? q.queue_ms : total;
  stats["EngineExecutionTimeInMillis"] = q.finished ? q.planning_ms + q.engine_ms : 0;
  stats["DataScannedInBytes"] = q.data_scanned_bytes;
  stats["TotalExecutionTimeInMillis"] = total;
  stats["QueryQueueTimeInMillis"] = queue;
  stats["ServicePreProcessingTimeInMillis"] = 0;
  stats["QueryPlanningTimeInMillis"] = q.planning_ms;
  stats["ServiceProcessingTimeInMillis"] =
      q.finished ? std::max<int64_t>(0, total - queue - q.planning_ms - q.engine_ms) : 0;
  if (!q.manifest_location.empty()) stats["DataManifestLocation"] = q.manifest_location;
  stats["ResultReuseInformation"] = {{"ReusedPreviousResult", q.reused_previous_result}};
  out["Statistics"] = stats;
  out["WorkGroup"] = q.request.workgroup;
  out["EngineVersion"] = EngineVersion();
  if (!q.request.execution_parameters.empty()) {
    out["ExecutionParameters"] = q.request.execution_parameters;
  }
  return out;
}

std::string EncodeToken(std::string_view kind, std::string_view id, uint64_t value) {
  return common::Base64Encode("v1:" + std::string(kind) + ":" + std::string(id) + ":" +
                              std::to_string(value));
}

// Decodes a token of `kind` for `id`; throws InvalidRequestException when it does not fit.
uint64_t DecodeToken(const std::string& token, std::string_view kind, std::string_view id) {
  auto raw = common::Base64Decode(token);
  const std::string prefix = "v1:" + std::string(kind) + ":" + std::string(id) + ":";
  if (!raw || raw->compare(0, prefix.size(), prefix) != 0) {
    throw Invalid("The NextToken provided is invalid.");
  }
  try {
    return std::stoull(raw->substr(prefix.size()));
  } catch (const std::exception&) {
    throw Invalid("The NextToken provided is invalid.");
  }
}

void CheckCatalog(const std::string& catalog) {
  if (Lower(catalog) != "awsdatacatalog") {
    throw ApiError(400, "MetadataException", "Catalog " + catalog + " does not exist");
  }
}

json TableMetadataJson(const TableInfo& t) {
  json columns = json::array();
  json partition_keys = json::array();
  for (const auto& c : t.columns) {
    json col = {{"Name", c.name}, {"Type", c.hive_type}};
    if (!c.comment.empty()) col["Comment"] = c.comment;
    (c.partition_key ? partition_keys : columns).push_back(col);
  }
  json params = json::object();
  for (const auto& [k, v] : t.parameters) params[k] = v;
  return {{"Name", t.name},
          {"CreateTime", EpochSeconds(t.create_time)},
          {"LastAccessTime", EpochSeconds(t.create_time)},
          {"TableType", t.table_type},
          {"Columns", columns},
          {"PartitionKeys", partition_keys},
          {"Parameters", params}};
}

std::regex ExpressionRegex(const std::string& expression) {
  // Glue-style expressions: '*' wildcards (a bare '*' is not a valid regex) or real regexes.
  std::string re;
  for (size_t i = 0; i < expression.size(); ++i) {
    if (expression[i] == '*' && (i == 0 || expression[i - 1] != '.')) {
      re += ".*";
    } else {
      re += expression[i];
    }
  }
  try {
    return std::regex(re, std::regex::icase);
  } catch (const std::regex_error&) {
    throw Invalid("Expression is not a valid regular expression: " + expression);
  }
}

// ---- operations -------------------------------------------------------------------------------

json StartQueryExecution(Engine& engine, const json& req) {
  StartQueryRequest r;
  r.query = ReqString(req, "QueryString", 1, 262144);
  if (auto token = OptString(req, "ClientRequestToken")) r.client_request_token = *token;
  if (auto it = req.find("QueryExecutionContext"); it != req.end() && it->is_object()) {
    r.has_context = true;
    if (auto db = OptString(*it, "Database")) r.database = *db;
    if (auto cat = OptString(*it, "Catalog")) r.catalog = *cat;
  }
  if (auto it = req.find("ResultConfiguration"); it != req.end() && it->is_object()) {
    if (auto loc = OptString(*it, "OutputLocation")) r.output_location = *loc;
    json echo = *it;
    echo.erase("OutputLocation");
    r.result_configuration_json = echo.dump();
  }
  if (auto wg = OptString(req, "WorkGroup")) r.workgroup = *wg;
  if (auto it = req.find("ExecutionParameters"); it != req.end() && !it->is_null()) {
    if (!it->is_array()) throw Serialization("Expected list for ExecutionParameters");
    if (it->empty()) {
      throw Invalid(
          "1 validation error detected: Value '[]' at 'executionParameters' failed to "
          "satisfy constraint: Member must have length greater than or equal to 1");
    }
    for (const auto& p : *it) {
      if (!p.is_string()) throw Serialization("Expected string in ExecutionParameters");
      r.execution_parameters.push_back(p.get<std::string>());
    }
  }
  if (auto it = req.find("ResultReuseConfiguration"); it != req.end() && it->is_object()) {
    if (auto age = it->find("ResultReuseByAgeConfiguration");
        age != it->end() && age->is_object()) {
      auto enabled = age->find("Enabled");
      if (enabled == age->end() || !enabled->is_boolean()) {
        throw Invalid(
            "1 validation error detected: Value null at "
            "'resultReuseConfiguration.resultReuseByAgeConfiguration.enabled' failed to "
            "satisfy constraint: Member must not be null");
      }
      r.reuse_enabled = enabled->get<bool>();
      if (auto m = OptInt(*age, "MaxAgeInMinutes", 0, 10080)) {
        r.reuse_max_age_minutes = static_cast<int>(*m);
      }
    }
  }
  return {{"QueryExecutionId", engine.StartQuery(r)}};
}

json GetQueryExecution(Engine& engine, const json& req) {
  const std::string id = ReqString(req, "QueryExecutionId", 1, 128);
  return {{"QueryExecution", QueryExecutionJson(engine.Describe(id))}};
}

json BatchGetQueryExecution(Engine& engine, const json& req) {
  auto it = req.find("QueryExecutionIds");
  if (it == req.end() || it->is_null()) {
    throw Invalid(
        "1 validation error detected: Value null at 'queryExecutionIds' failed to "
        "satisfy constraint: Member must not be null");
  }
  if (!it->is_array()) throw Serialization("Expected list for QueryExecutionIds");
  if (it->empty() || it->size() > 50) {
    throw Invalid(
        "1 validation error detected: Value at 'queryExecutionIds' failed to satisfy "
        "constraint: Member must have length less than or equal to 50 and greater "
        "than or equal to 1");
  }
  json executions = json::array();
  json unprocessed = json::array();
  for (const auto& v : *it) {
    if (!v.is_string()) throw Serialization("Expected string in QueryExecutionIds");
    const std::string id = v.get<std::string>();
    if (auto info = engine.TryDescribe(id)) {
      executions.push_back(QueryExecutionJson(*info));
    } else {
      unprocessed.push_back({{"QueryExecutionId", id},
                             {"ErrorCode", "INVALID_INPUT"},
                             {"ErrorMessage", "QueryExecution " + id + " was not found"}});
    }
  }
  return {{"QueryExecutions", executions}, {"UnprocessedQueryExecutionIds", unprocessed}};
}

json StopQueryExecution(Engine& engine, const json& req) {
  engine.StopQuery(ReqString(req, "QueryExecutionId", 1, 128));
  return json::object();
}

std::string ObjectKeyOf(const std::string& uri) {
  std::string bucket, key;
  BucketStore::ParseS3Uri(uri, &bucket, &key);
  return key;
}

std::string GetQueryResults(Engine& engine, const json& req) {
  const std::string id = ReqString(req, "QueryExecutionId", 1, 128);
  const auto max_results = OptInt(req, "MaxResults", 1, 1000).value_or(kDefaultMaxResults);
  const auto token = OptString(req, "NextToken");
  if (token && (token->empty() || token->size() > 1024)) {
    throw Invalid(
        "1 validation error detected: Value at 'nextToken' failed to satisfy "
        "constraint: Member must have length between 1 and 1024");
  }
  const std::string result_type = OptString(req, "QueryResultType").value_or("DATA_ROWS");
  if (result_type != "DATA_ROWS" && result_type != "DATA_MANIFEST") {
    throw Invalid("1 validation error detected: Value '" + result_type +
                  "' at 'queryResultType' failed to satisfy constraint: Member must satisfy enum "
                  "value set: [DATA_MANIFEST, DATA_ROWS]");
  }
  const QueryExecutionInfo q = engine.Describe(id);
  if (q.state == "QUEUED" || q.state == "RUNNING") {
    throw Invalid("Query has not yet finished. Current state: " + q.state);
  }
  if (q.state != "SUCCEEDED") {
    throw Invalid("Query did not finish successfully. Final query state: " + q.state +
                  (q.state_change_reason.empty() ? "" : " - " + q.state_change_reason));
  }
  BucketStore& buckets = engine.buckets();
  const std::string bucket = q.result_bucket;

  ResultMetadata meta;
  std::string data_key;
  if (result_type == "DATA_MANIFEST") {
    if (q.manifest_location.empty()) {
      throw Invalid(
          "QueryResultType DATA_MANIFEST is only supported for CTAS, INSERT INTO and "
          "UNLOAD queries");
    }
    meta.format = ResultMetadata::Format::kText;
    meta.columns.push_back(ResultColumn{"manifest", ColumnType{"varchar", 2147483647, 0, true}});
    data_key = ObjectKeyOf(q.manifest_location);
  } else {
    const std::string meta_key = ObjectKeyOf(q.output_location) + ".metadata";
    std::string meta_text;
    {
      auto info = buckets.Stat(bucket, meta_key);
      if (!info) {
        throw Invalid("Unable to read query result metadata: s3://" + bucket + "/" + meta_key +
                      " does not exist (NoSuchKey)");
      }
      std::ifstream in(buckets.ObjectPath(bucket, meta_key), std::ios::binary);
      meta_text.assign(std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>());
    }
    try {
      meta = ResultMetadata::FromJson(meta_text);
    } catch (const std::exception& e) {
      throw ApiError(500, "InternalServerException", e.what());
    }
    if (meta.format != ResultMetadata::Format::kNone) data_key = ObjectKeyOf(q.output_location);
  }

  std::string out;
  out.reserve(4096);
  out += "{\"UpdateCount\":";
  AppendInt64(out, q.has_update_count ? q.update_count : 0);
  out += ",\"ResultSet\":{\"Rows\":[";
  std::optional<std::string> next_token;
  if (!data_key.empty()) {
    if (!buckets.Stat(bucket, data_key)) {
      throw Invalid("Unable to read query results: s3://" + bucket + "/" + data_key +
                    " does not exist (NoSuchKey)");
    }
    const uint64_t offset = token ? DecodeToken(*token, "rows", id) : 0;
    ResultFileReader reader(buckets.ObjectPath(bucket, data_key), meta.format, offset);
    std::vector<ResultCell> cells;
    int64_t emitted = 0;
    while (true) {
      const uint64_t before = reader.offset();
      if (!reader.Next(cells)) break;
      if (emitted == max_results) {
        next_token = EncodeToken("rows", id, before);
        break;
      }
      if (emitted != 0) out += ',';
      out += "{\"Data\":[";
      for (size_t i = 0; i < cells.size(); ++i) {
        if (i != 0) out += ',';
        if (cells[i].is_null) {
          out += "{}";
        } else {
          out += "{\"VarCharValue\":";
          AppendJsonString(out, cells[i].text);
          out += '}';
        }
      }
      out += "]}";
      ++emitted;
    }
  }
  out += "],\"ResultSetMetadata\":{\"ColumnInfo\":[";
  for (size_t i = 0; i < meta.columns.size(); ++i) {
    const auto& c = meta.columns[i];
    if (i != 0) out += ',';
    out += "{\"CatalogName\":\"hive\",\"SchemaName\":\"\",\"TableName\":\"\",\"Name\":";
    AppendJsonString(out, c.name);
    out += ",\"Label\":";
    AppendJsonString(out, c.name);
    out += ",\"Type\":";
    AppendJsonString(out, c.type.type);
    out += ",\"Precision\":";
    AppendInt64(out, c.type.precision);
    out += ",\"Scale\":";
    AppendInt64(out, c.type.scale);
    out += ",\"Nullable\":\"UNKNOWN\",\"CaseSensitive\":";
    out += c.type.case_sensitive ? "true" : "false";
    out += '}';
  }
  out += "]}}";
  if (next_token) {
    out += ",\"NextToken\":";
    AppendJsonString(out, *next_token);
  }
  out += '}';
  return out;
}

json GetQueryRuntimeStatistics(Engine& engine, const json& req) {
  const QueryExecutionInfo q = engine.Describe(ReqString(req, "QueryExecutionId", 1, 128));
  const json qe = QueryExecutionJson(q);
  const json& stats = qe["Statistics"];
  json timeline = {{"QueryQueueTimeInMillis", stats["QueryQueueTimeInMillis"]},
                   {"ServicePreProcessingTimeInMillis", stats["ServicePreProcessingTimeInMillis"]},
                   {"QueryPlanningTimeInMillis", stats["QueryPlanningTimeInMillis"]},
                   {"EngineExecutionTimeInMillis", stats["EngineExecutionTimeInMillis"]},
                   {"ServiceProcessingTimeInMillis", stats["ServiceProcessingTimeInMillis"]},
                   {"TotalExecutionTimeInMillis", stats["TotalExecutionTimeInMillis"]}};
  json result = {{"Timeline", timeline}};
  if (q.finished && q.state == "SUCCEEDED") {
    const int64_t rows = static_cast<int64_t>(q.has_update_count ? q.update_count : q.result_rows);
    result["Rows"] = {{"InputRows", rows},
                      {"InputBytes", q.data_scanned_bytes},
                      {"OutputBytes", q.result_bytes},
                      {"OutputRows", rows}};
    result["OutputStage"] = {{"StageId", 0},
                             {"State", "FINISHED"},
                             {"OutputBytes", q.result_bytes},
                             {"OutputRows", rows},
                             {"InputBytes", q.data_scanned_bytes},
                             {"InputRows", rows},
                             {"ExecutionTime", q.engine_ms},
                             {"QueryStagePlan",
                              {{"Name", "Output"},
                               {"Identifier", "0"},
                               {"Children", json::array()},
                               {"RemoteSources", json::array()}}},
                             {"SubStages", json::array()}};
  }
  return {{"QueryRuntimeStatistics", result}};
}

json ListDatabases(Engine& engine, const json& req) {
  CheckCatalog(ReqString(req, "CatalogName", 1, 256));
  const int64_t max = OptInt(req, "MaxResults", 1, 50).value_or(50);
  const auto token = OptString(req, "NextToken");
  const auto names = engine.ListDatabases();
  const uint64_t start = token ? DecodeToken(*token, "databases", "catalog") : 0;
  json list = json::array();
  size_t i = start;
  for (; i < names.size() && static_cast<int64_t>(list.size()) < max; ++i) {
    list.push_back({{"Name", names[i]}, {"Parameters", json::object()}});
  }
  json out = {{"DatabaseList", list}};
  if (i < names.size()) out["NextToken"] = EncodeToken("databases", "catalog", i);
  return out;
}

json GetDatabase(Engine& engine, const json& req) {
  CheckCatalog(ReqString(req, "CatalogName", 1, 256));
  const std::string db = ReqString(req, "DatabaseName", 1, 128);
  if (!engine.DatabaseExists(db)) {
    throw ApiError(400, "MetadataException", "Database " + Lower(db) + " not found.");
  }
  return {{"Database", {{"Name", Lower(db)}, {"Parameters", json::object()}}}};
}

json ListTableMetadata(Engine& engine, const json& req) {
  CheckCatalog(ReqString(req, "CatalogName", 1, 256));
  const std::string db = ReqString(req, "DatabaseName", 1, 128);
  const auto expression = OptString(req, "Expression");
  const int64_t max = OptInt(req, "MaxResults", 1, 50).value_or(50);
  const auto token = OptString(req, "NextToken");
  if (!engine.DatabaseExists(db)) {
    throw ApiError(400, "MetadataException", "Database " + Lower(db) + " not found.");
  }
  std::vector<std::string> names = engine.ListTables(db);
  if (expression && !expression->empty()) {
    const std::regex re = ExpressionRegex(*expression);
    names.erase(std::remove_if(names.begin(), names.end(),
                               [&](const std::string& n) { return !std::regex_match(n, re); }),
                names.end());
  }
  const uint64_t start = token ? DecodeToken(*token, "tables", Lower(db)) : 0;
  json list = json::array();
  size_t i = start;
  for (; i < names.size() && static_cast<int64_t>(list.size()) < max; ++i) {
    if (auto t = engine.GetTable(db, names[i])) list.push_back(TableMetadataJson(*t));
  }
  json out = {{"TableMetadataList", list}};
  if (i < names.size()) out["NextToken"] = EncodeToken("tables", Lower(db), i);
  return out;
}

json GetTableMetadata(Engine& engine, const json& req) {
  CheckCatalog(ReqString(req, "CatalogName", 1, 256));
  const std::string db = ReqString(req, "DatabaseName", 1, 128);
  const std::string table = ReqString(req, "TableName", 1, 128);
  if (!engine.DatabaseExists(db)) {
    throw ApiError(400, "MetadataException", "Database " + Lower(db) + " not found.");
  }
  auto t = engine.GetTable(db, table);
  if (!t) {
    throw ApiError(400, "MetadataException",
                   "Table " + Lower(table) + " not found in database " + Lower(db) + ".");
  }
  return {{"TableMetadata", TableMetadataJson(*t)}};
}

json WorkGroupJson(Engine& engine) {
  json config = {{"EnforceWorkGroupConfiguration", false},
                 {"PublishCloudWatchMetricsEnabled", false},
                 {"RequesterPaysEnabled", false},
                 {"EngineVersion", EngineVersion()}};
  if (engine.options().bytes_scanned_cutoff > 0) {
    config["BytesScannedCutoffPerQuery"] = engine.options().bytes_scanned_cutoff;
  }
  if (!engine.options().workgroup_output_location.empty()) {
    config["ResultConfiguration"] = {
        {"OutputLocation", engine.options().workgroup_output_location}};
  }
  return {{"Name", "primary"},
          {"State", "ENABLED"},
          {"Description", ""},
          {"CreationTime", EpochSeconds(engine.start_time())},
          {"Configuration", config}};
}

json GetWorkGroup(Engine& engine, const json& req) {
  const std::string name = ReqString(req, "WorkGroup", 1, 128);
  if (name != "primary") throw Invalid("WorkGroup " + name + " is not found.");
  return {{"WorkGroup", WorkGroupJson(engine)}};
}

json ListWorkGroups(Engine& engine, const json&) {
  return {{"WorkGroups", json::array({{{"Name", "primary"},
                                       {"State", "ENABLED"},
                                       {"Description", ""},
                                       {"CreationTime", EpochSeconds(engine.start_time())},
                                       {"EngineVersion", EngineVersion()}}})}};
}

json ListDataCatalogs(Engine&, const json&) {
  return {{"DataCatalogsSummary",
           json::array({{{"CatalogName", "AwsDataCatalog"}, {"Type", "GLUE"}}})}};
}

json GetDataCatalog(Engine&, const json& req) {
  const std::string name = ReqString(req, "Name", 1, 256);
  CheckCatalog(name);
  return {{"DataCatalog",
           {{"Name", "AwsDataCatalog"},
            {"Type", "GLUE"},
            {"Parameters", {{"catalog-id", "123456789012"}}}}}};
}

}  // namespace

ApiReply AthenaErrorReply(int status, std::string_view type, std::string_view message,
                          std::string_view athena_error_code) {
  json body;
  body["__type"] = std::string(type);
  body["Message"] = std::string(message);
  if (!athena_error_code.empty()) body["AthenaErrorCode"] = std::string(athena_error_code);
  ApiReply reply;
  reply.status = status;
  reply.body = body.dump();
  return reply;
}

ApiReply AthenaApi::Handle(std::string_view operation, std::string_view body) {
  try {
    json req = json::parse(body.empty() ? std::string_view("{}") : body, nullptr, false);
    if (req.is_discarded() || !req.is_object()) {
      return AthenaErrorReply(400, "SerializationException",
                              "Start of structure or map found where not expected.");
    }
    ApiReply reply;
    if (operation == "StartQueryExecution") {
      reply.body = StartQueryExecution(engine_, req).dump();
    } else if (operation == "GetQueryExecution") {
      reply.body = GetQueryExecution(engine_, req).dump();
    } else if (operation == "BatchGetQueryExecution") {
      reply.body = BatchGetQueryExecution(engine_, req).dump();
    } else if (operation == "StopQueryExecution") {
      reply.body = StopQueryExecution(engine_, req).dump();
    } else if (operation == "GetQueryResults") {
      reply.body = GetQueryResults(engine_, req);
    } else if (operation == "GetQueryRuntimeStatistics") {
      reply.body = GetQueryRuntimeStatistics(engine_, req).dump();
    } else if (operation == "ListDatabases") {
      reply.body = ListDatabases(engine_, req).dump();
    } else if (operation == "GetDatabase") {
      reply.body = GetDatabase(engine_, req).dump();
    } else if (operation == "ListTableMetadata") {
      reply.body = ListTableMetadata(engine_, req).dump();
    } else if (operation == "GetTableMetadata") {
      reply.body = GetTableMetadata(engine_, req).dump();
    } else if (operation == "GetWorkGroup") {
      reply.body = GetWorkGroup(engine_, req).dump();
    } else if (operation == "ListWorkGroups") {
      reply.body = ListWorkGroups(engine_, req).dump();
    } else if (operation == "ListDataCatalogs") {
      reply.body = ListDataCatalogs(engine_, req).dump();
    } else if (operation == "GetDataCatalog") {
      reply.body = GetDataCatalog(engine_, req).dump();
    } else {
      return AthenaErrorReply(400, "com.amazon.coral.service#UnknownOperationException", "");
    }
    return reply;
  } catch (const ApiError& e) {
    return AthenaErrorReply(e.status(), e.type(), e.what(), e.athena_code());
  } catch (const json::exception& e) {
    return AthenaErrorReply(400, "SerializationException", e.what());
  }
}

}  // namespace ac::emulator
