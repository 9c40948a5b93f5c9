#pragma once

// Test helper: a scripted in-memory Athena endpoint behind the HttpTransport interface.
#include <functional>
#include <map>
#include <memory>
#include <mutex>
#include <nlohmann/json.hpp>
#include <string>
#include <vector>

#include "athena/athena_client.h"
#include "aws/http.h"
#include "aws/service_client.h"
#include "common/clock.h"

namespace ac::athena::testing {

/// Handles one Athena operation: request JSON in, (status, body) out.
using Handler = std::function<std::pair<int, std::string>(const nlohmann::json& request)>;

struct FakeAthena {
  std::mutex mutex;
  std::map<std::string, Handler> handlers;                    ///< by operation name
  std::vector<std::pair<std::string, nlohmann::json>> calls;  ///< (operation, request) in order

  int Count(const std::string& operation) {
    std::lock_guard<std::mutex> lock(mutex);
    int n = 0;
    for (const auto& call : calls) n += call.first == operation;
    return n;
  }
};

class FakeAthenaTransport final : public aws::HttpTransport {
 public:
  explicit FakeAthenaTransport(std::shared_ptr<FakeAthena> fake) : fake_(std::move(fake)) {}
  aws::HttpResponse Send(const aws::HttpRequest& request,
                         const aws::BodyCallback& on_body) override {
    const std::string* target = aws::FindHeader(request.headers, "X-Amz-Target");
    const std::string op = target == nullptr ? "" : target->substr(target->find('.') + 1);
    const nlohmann::json body = nlohmann::json::parse(request.body);
    Handler handler;
    {
      std::lock_guard<std::mutex> lock(fake_->mutex);
      fake_->calls.emplace_back(op, body);
      const auto it = fake_->handlers.find(op);
      if (it != fake_->handlers.end()) handler = it->second;
    }
    aws::HttpResponse response;
    if (!handler) {
      response.status = 400;
      response.body = R"({"__type":"InvalidAction","Message":"no handler"})";
    } else {
      std::tie(response.status, response.body) = handler(body);
    }
    response.headers = {{"x-amzn-RequestId", "req-1"},
                        {"Content-Type", "application/x-amz-json-1.1"}};
    if (on_body) {
      on_body(response.body);
      response.body.clear();
    }
    return response;
  }

 private:
  std::shared_ptr<FakeAthena> fake_;
};

inline std::unique_ptr<AthenaClient> MakeFakeClient(
    std::shared_ptr<FakeAthena> fake, common::Clock& clock,
    const common::CancellationToken* cancel = nullptr) {
  aws::ServiceEndpoint endpoint{"athena", "us-east-1",
                                aws::Url::Parse("https://athena.us-east-1.amazonaws.com")};
  aws::Credentials credentials;
  credentials.access_key_id = "AKIDEXAMPLE";
  credentials.secret_access_key = common::Secret("secret");
  auto provider = std::make_shared<aws::StaticCredentialsProvider>(credentials);
  aws::RetryOptions retry_options;
  retry_options.seed = 7;
  // Standard mode with 5 attempts per call, so the tests of the layers above count attempts and
  // sleeps exactly; the per-call deadline and the adaptive send rate have tests of their own.
  retry_options.max_attempts = 5;
  retry_options.adaptive = false;
  auto service = std::make_shared<aws::ServiceClient>(
      endpoint, provider, [fake] { return std::make_unique<FakeAthenaTransport>(fake); },
      std::make_shared<aws::RetryPolicy>(retry_options), clock, aws::ParseJsonError, cancel);
  return std::make_unique<AthenaClient>(std::move(service));
}

/// A GetQueryResults body: `header` adds the column-name row first; "\x01NULL" marks a NULL cell.
inline std::string ResultsBody(const std::vector<std::pair<std::string, std::string>>& columns,
                               const std::vector<std::vector<std::string>>& rows, bool header,
                               const std::string& next_token = "") {
  nlohmann::json out;
  nlohmann::json json_rows = nlohmann::json::array();
  if (header) {
    nlohmann::json data = nlohmann::json::array();
    for (const auto& c : columns) data.push_back({{"VarCharValue", c.first}});
    json_rows.push_back({{"Data", data}});
  }
  for (const auto& row : rows) {
    nlohmann::json data = nlohmann::json::array();
    for (const auto& cell : row) {
      if (cell == "\x01NULL")
        data.push_back(nlohmann::json::object());
      else
        data.push_back({{"VarCharValue", cell}});
    }
    json_rows.push_back({{"Data", data}});
  }
  nlohmann::json info = nlohmann::json::array();
  for (const auto& c : columns) {
    info.push_back({{"CatalogName", "hive"},
                    {"SchemaName", ""},
                    {"TableName", ""},
                    {"Name", c.first},
                    {"Label", c.first},
                    {"Type", c.second},
                    {"Precision", 0},
                    {"Scale", 0},
                    {"Nullable", "UNKNOWN"},
                    {"CaseSensitive", false}});
  }
  out["ResultSet"] = {{"Rows", json_rows}, {"ResultSetMetadata", {{"ColumnInfo", info}}}};
  out["UpdateCount"] = 0;
  if (!next_token.empty()) out["NextToken"] = next_token;
  return out.dump();
}

inline std::string ExecutionBody(const std::string& id, const std::string& state,
                                 bool retryable = false, const std::string& reason = "") {
  nlohmann::json status = {{"State", state}, {"SubmissionDateTime", 1.7e9}};
  if (state == "FAILED") {
    status["StateChangeReason"] = reason;
    status["AthenaError"] = {{"ErrorCategory", 2},
                             {"ErrorType", 1301},
                             {"Retryable", retryable},
                             {"ErrorMessage", reason}};
  }
  return nlohmann::json{
      {"QueryExecution",
       {{"QueryExecutionId", id},
        {"Query", "SELECT 1"},
        {"StatementType", "DML"},
        {"SubstatementType", "SELECT"},
        {"ResultConfiguration", {{"OutputLocation", "s3://b/p/" + id + ".csv"}}},
        {"Status", status},
        {"Statistics", {{"DataScannedInBytes", 10}, {"TotalExecutionTimeInMillis", 5}}}}}}
      .dump();
}

}  // namespace ac::athena::testing
