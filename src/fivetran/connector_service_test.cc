// The SourceConnector service through a real gRPC channel (in-process server), with Athena
// replaced by a scripted HTTP transport: configuration errors, state errors, tasks and
// cancellation. The full protocol against athena-local is in tests/grpc_server_test.cc.
#include "fivetran/connector_service.h"

#include <gtest/gtest.h>

#include <atomic>
#include <mutex>
#include <thread>

#include "aws/http.h"
#include "fivetran/server.h"
#include "fivetran/status.h"

namespace ac::fivetran {
namespace {

std::map<std::string, std::string> GoodConfiguration() {
  return {{"aws_access_key_id", "test"},
          {"aws_secret_access_key", "test"},
          {"region_name", "us-east-1"},
          {"database_name", "default"},
          {"s3_staging_dir", "s3://athena-results/staging/"},
          {"athena_endpoint_url", "http://127.0.0.1:9"},
          {"s3_endpoint_url", "http://127.0.0.1:9"}};
}

/// Athena that knows one table and whose queries never finish; records the operations called.
struct ScriptedAthena {
  std::mutex mutex;
  std::vector<std::string> operations;
  std::atomic<int> started{0};
  int status_for_all = 200;  // e.g. 400 + UnrecognizedClientException for "wrong credentials"

  size_t Count(const std::string& operation) {
    std::lock_guard<std::mutex> lock(mutex);
    return std::count(operations.begin(), operations.end(), operation);
  }

  aws::HttpTransportFactory Factory() {
    class Transport final : public aws::HttpTransport {
     public:
      explicit Transport(ScriptedAthena& athena) : athena_(athena) {}
      aws::HttpResponse Send(const aws::HttpRequest& request, const aws::BodyCallback&) override {
        const std::string* target = aws::FindHeader(request.headers, "X-Amz-Target");
        const std::string operation =
            target == nullptr ? "" : target->substr(target->find('.') + 1);
        {
          std::lock_guard<std::mutex> lock(athena_.mutex);
          athena_.operations.push_back(operation);
        }
        aws::HttpResponse response;
        response.headers = {{"Content-Type", "application/x-amz-json-1.1"}};
        if (athena_.status_for_all != 200) {
          response.status = athena_.status_for_all;
          response.body =
              R"({"__type":"UnrecognizedClientException","message":"The security token included in the request is invalid."})";
          return response;
        }
        response.status = 200;
        if (operation == "GetTableMetadata") {
          response.body =
              R"({"TableMetadata":{"Name":"test_rows","Columns":[{"Name":"customer_id","Type":"bigint"},{"Name":"first_name","Type":"string"}],"PartitionKeys":[]}})";
        } else if (operation == "StartQueryExecution") {
          ++athena_.started;
          response.body = R"({"QueryExecutionId":"q-1"})";
        } else if (operation == "GetQueryExecution") {
          response.body =
              R"({"QueryExecution":{"QueryExecutionId":"q-1","StatementType":"DML","Status":{"State":"RUNNING"}}})";
        } else if (operation == "ListTableMetadata") {
          response.body =
              R"j({"TableMetadataList":[{"Name":"orders","TableType":"EXTERNAL_TABLE","Columns":[{"Name":"order_id","Type":"bigint"},{"Name":"total","Type":"decimal(12,2)"}],"PartitionKeys":[{"Name":"dt","Type":"string"}]},{"Name":"order_tags","TableType":"VIRTUAL_VIEW","Columns":[{"Name":"order_id","Type":"bigint"},{"Name":"tags","Type":"array<string>"}]}]})j";
        } else if (operation == "ListDatabases") {
          response.body = R"({"DatabaseList":[{"Name":"default"}]})";
        } else {
          response.body = "{}";
        }
        return response;
      }

     private:
      ScriptedAthena& athena_;
    };
    return [this] { return std::unique_ptr<aws::HttpTransport>(new Transport(*this)); };
  }
};

class ConnectorServiceTest : public ::testing::Test {
 protected:
  void SetUp() override {
    ServerOptions options;
    options.listen = false;
    options.json_logs = false;
    options.service.environment.transports = athena_.Factory();
    options.service.cancel_poll_interval = std::chrono::milliseconds(5);
    server_ = Server::Start(options);
    stub_ = pb::SourceConnector::NewStub(server_->InProcessChannel());
  }

  static std::string Kind(const grpc::ClientContext& context) {
    const auto& metadata = context.GetServerTrailingMetadata();
    const auto it = metadata.find(kErrorKindMetadataKey);
    return it == metadata.end() ? "" : std::string(it->second.data(), it->second.size());
  }

  struct UpdateRun {
    grpc::Status status;
    std::vector<pb::UpdateResponse> messages;
    std::string kind;
  };
  UpdateRun Update(const pb::UpdateRequest& request) {
    UpdateRun run;
    grpc::ClientContext context;
    auto reader = stub_->Update(&context, request);
    pb::UpdateResponse response;
    while (reader->Read(&response)) run.messages.push_back(response);
    run.status = reader->Finish();
    run.kind = Kind(context);
    return run;
  }

  ScriptedAthena athena_;
  std::unique_ptr<Server> server_;
  std::unique_ptr<pb::SourceConnector::Stub> stub_;
};

TEST_F(ConnectorServiceTest, ConfigurationFormListsFieldsAndTests) {
  grpc::ClientContext context;
  pb::ConfigurationFormResponse form;
  ASSERT_TRUE(stub_->ConfigurationForm(&context, pb::ConfigurationFormRequest(), &form).ok());
  EXPECT_EQ(form.fields_size(), static_cast<int>(connector::ConfigFields().size()));
  EXPECT_TRUE(form.table_selection_supported());
  EXPECT_FALSE(form.schema_selection_supported());
  ASSERT_EQ(form.tests_size(), static_cast<int>(connector::Connector::Tests().size()));
  EXPECT_GE(form.tests_size(), 3);
}

TEST_F(ConnectorServiceTest, TestWithMissingKeyFailsNamingIt) {
  pb::TestRequest request;
  request.set_name("credentials");
  auto configuration = GoodConfiguration();
  configuration.erase("region_name");
  request.mutable_configuration()->insert(configuration.begin(), configuration.end());
  grpc::ClientContext context;
  pb::TestResponse response;
  ASSERT_TRUE(stub_->Test(&context, request, &response).ok());
  ASSERT_TRUE(response.has_failure());
  EXPECT_NE(response.failure().find("region_name"), std::string::npos) << response.failure();
  EXPECT_EQ(Kind(context), "config");
}

TEST_F(ConnectorServiceTest, TestPassesAndUnknownTestFails) {
  pb::TestRequest request;
  request.set_name("credentials");
  const auto configuration = GoodConfiguration();
  request.mutable_configuration()->insert(configuration.begin(), configuration.end());
  {
    grpc::ClientContext context;
    pb::TestResponse response;
    ASSERT_TRUE(stub_->Test(&context, request, &response).ok());
    EXPECT_TRUE(response.success()) << response.failure();
  }
  request.set_name("nonsense");
  grpc::ClientContext context;
  pb::TestResponse response;
  ASSERT_TRUE(stub_->Test(&context, request, &response).ok());
  EXPECT_NE(response.failure().find("unknown test 'nonsense'"), std::string::npos)
      << response.failure();
}

TEST_F(ConnectorServiceTest, SchemaReportsTypedColumnsAndKeys) {
  pb::SchemaRequest request;
  const auto configuration = GoodConfiguration();
  request.mutable_configuration()->insert(configuration.begin(), configuration.end());
  grpc::ClientContext context;
  pb::SchemaResponse response;
  ASSERT_TRUE(stub_->Schema(&context, request, &response).ok());
  ASSERT_TRUE(response.has_without_schema());
  ASSERT_EQ(response.without_schema().tables_size(), 1);
  const pb::Table& table = response.without_schema().tables(0);
  EXPECT_EQ(table.name(), "customers");
  ASSERT_EQ(table.columns_size(), 2);
  EXPECT_EQ(table.columns(0).name(), "customer_id");
  EXPECT_EQ(table.columns(0).type(), pb::LONG);
  EXPECT_TRUE(table.columns(0).primary_key());
  EXPECT_EQ(table.columns(1).type(), pb::STRING);
}

TEST_F(ConnectorServiceTest, SchemaOfStarListsEveryTableAndViewFromTheCatalogAlone) {
  pb::SchemaRequest request;
  auto configuration = GoodConfiguration();
  configuration["tables"] = "*";
  configuration["primary_keys"] = R"({"orders": ["order_id", "dt"]})";
  request.mutable_configuration()->insert(configuration.begin(), configuration.end());
  grpc::ClientContext context;
  pb::SchemaResponse response;
  ASSERT_TRUE(stub_->Schema(&context, request, &response).ok());
  ASSERT_TRUE(response.has_without_schema());
  ASSERT_EQ(response.without_schema().tables_size(), 2);
  const pb::Table& orders = response.without_schema().tables(0);
  EXPECT_EQ(orders.name(), "orders");
  ASSERT_EQ(orders.columns_size(), 3);  // partition key included, last
  EXPECT_TRUE(orders.columns(0).primary_key());
  EXPECT_EQ(orders.columns(1).type(), pb::DECIMAL);
  EXPECT_EQ(orders.columns(1).params().decimal().precision(), 12u);
  EXPECT_EQ(orders.columns(1).params().decimal().scale(), 2u);
  EXPECT_EQ(orders.columns(2).name(), "dt");
  EXPECT_TRUE(orders.columns(2).primary_key());
  const pb::Table& view = response.without_schema().tables(1);
  EXPECT_EQ(view.name(), "order_tags");
  for (const auto& column : view.columns()) EXPECT_FALSE(column.primary_key());  // keyless
  EXPECT_EQ(view.columns(1).type(), pb::JSON);
  EXPECT_EQ(athena_.Count("StartQueryExecution"), 0u);  // no paid query
  EXPECT_EQ(athena_.Count("GetTableMetadata"), 0u);
}

TEST_F(ConnectorServiceTest, SchemaWithBadConfigurationIsFailedPrecondition) {
  pb::SchemaRequest request;
  auto configuration = GoodConfiguration();
  configuration["s3_staging_dir"] = "not-a-uri";
  request.mutable_configuration()->insert(configuration.begin(), configuration.end());
  grpc::ClientContext context;
  pb::SchemaResponse response;
  const grpc::Status status = stub_->Schema(&context, request, &response);
  EXPECT_EQ(status.error_code(), grpc::StatusCode::FAILED_PRECONDITION);
  EXPECT_NE(status.error_message().find("s3_staging_dir"), std::string::npos);
  EXPECT_EQ(Kind(context), "config");
}

TEST_F(ConnectorServiceTest, UpdateWithMissingKeySendsOneTask) {
  pb::UpdateRequest request;
  auto configuration = GoodConfiguration();
  configuration.erase("aws_secret_access_key");
  request.mutable_configuration()->insert(configuration.begin(), configuration.end());
  const UpdateRun run = Update(request);
  EXPECT_EQ(run.status.error_code(), grpc::StatusCode::FAILED_PRECONDITION);
  ASSERT_EQ(run.messages.size(), 1u);
  ASSERT_TRUE(run.messages[0].has_task());
  EXPECT_NE(run.messages[0].task().message().find("aws_secret_access_key"), std::string::npos);
  EXPECT_EQ(run.messages[0].task().message(), run.status.error_message());
  EXPECT_EQ(run.kind, "config");
}

TEST_F(ConnectorServiceTest, UpdateWithRejectedCredentialsSendsATask) {
  athena_.status_for_all = 400;
  pb::UpdateRequest request;
  const auto configuration = GoodConfiguration();
  request.mutable_configuration()->insert(configuration.begin(), configuration.end());
  const UpdateRun run = Update(request);
  EXPECT_EQ(run.status.error_code(), grpc::StatusCode::FAILED_PRECONDITION)
      << run.status.error_message();
  ASSERT_EQ(run.messages.size(), 1u);
  EXPECT_TRUE(run.messages[0].has_task());
  EXPECT_EQ(run.kind, "auth");
}

TEST_F(ConnectorServiceTest, UpdateWithMalformedStateIsInvalidArgument) {
  pb::UpdateRequest request;
  const auto configuration = GoodConfiguration();
  request.mutable_configuration()->insert(configuration.begin(), configuration.end());
  request.set_state_json("{\"tables\":");
  const UpdateRun run = Update(request);
  EXPECT_EQ(run.status.error_code(), grpc::StatusCode::INVALID_ARGUMENT);
  EXPECT_NE(run.status.error_message().find("state_json"), std::string::npos);
  EXPECT_TRUE(run.messages.empty());
  EXPECT_EQ(athena_.Count("StartQueryExecution"), 0u);
}

// Starts an Update whose Athena query never finishes and returns once the query id was
// checkpointed (the query is running).
std::unique_ptr<grpc::ClientReader<pb::UpdateResponse>> StartHangingUpdate(
    pb::SourceConnector::Stub& stub, grpc::ClientContext& context) {
  pb::UpdateRequest request;
  const auto configuration = GoodConfiguration();
  request.mutable_configuration()->insert(configuration.begin(), configuration.end());
  auto reader = stub.Update(&context, request);
  pb::UpdateResponse response;
  bool saw_checkpoint = false;
  while (!saw_checkpoint && reader->Read(&response)) saw_checkpoint = response.has_checkpoint();
  EXPECT_TRUE(saw_checkpoint);
  EXPECT_NE(response.checkpoint().state_json().find("q-1"), std::string::npos);
  return reader;
}

TEST_F(ConnectorServiceTest, ClientCancellationCancelsTheSync) {
  grpc::ClientContext context;
  auto reader = StartHangingUpdate(*stub_, context);
  context.TryCancel();
  pb::UpdateResponse response;
  while (reader->Read(&response)) {
  }
  EXPECT_EQ(reader->Finish().error_code(), grpc::StatusCode::CANCELLED);
  // The server's handler ends (and with it the sync) once the call is cancelled.
  for (int i = 0; i < 6000 && server_->service().active_calls() > 0; ++i) {
    std::this_thread::sleep_for(std::chrono::milliseconds(5));
  }
  EXPECT_EQ(server_->service().active_calls(), 0u);
  EXPECT_EQ(athena_.Count("StartQueryExecution"), 1u);
}

TEST_F(ConnectorServiceTest, ShutdownCancelsRunningSyncs) {
  grpc::ClientContext context;
  auto reader = StartHangingUpdate(*stub_, context);
  server_->Shutdown(std::chrono::seconds(30));  // returns once the handler returned
  EXPECT_EQ(server_->service().active_calls(), 0u);
  pb::UpdateResponse response;
  while (reader->Read(&response)) {
  }
  EXPECT_FALSE(reader->Finish().ok());
}

// The interrupted query must be stopped in Athena too. Disabled: athena::QueryRunner sends
// StopQueryExecution through the ServiceClient bound to the same (now cancelled) token, which
// refuses it ("athena StopQueryExecution cancelled"); enable once that is fixed in athena/aws.
TEST_F(ConnectorServiceTest, CancellationStopsTheRunningAthenaQuery) {
  {
    grpc::ClientContext context;
    auto reader = StartHangingUpdate(*stub_, context);
    context.TryCancel();
    pb::UpdateResponse response;
    while (reader->Read(&response)) {
    }
    reader->Finish();
  }
  for (int i = 0; i < 6000 && server_->service().active_calls() > 0; ++i) {
    std::this_thread::sleep_for(std::chrono::milliseconds(5));
  }
  EXPECT_EQ(athena_.Count("StopQueryExecution"), 1u);
}

}  // namespace
}  // namespace ac::fivetran
