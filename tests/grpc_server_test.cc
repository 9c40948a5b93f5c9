// End-to-end: Fivetran's SourceConnector protocol (fivetran_sdk.v2) through a real gRPC client
// over loopback TCP, against the connector's server connected to athena-local. Checks what
// Fivetran sees: form, tests, schema, streamed records (values, types, batch sizes), checkpoints,
// resumption from a returned state, and the answers to bad input.
#include <grpcpp/grpcpp.h>
#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include <chrono>
#include <map>
#include <set>

#include "connector/background_sink.h"
#include "fivetran/local_runner.h"
#include "fivetran/server.h"
#include "fivetran/status.h"
#include "fivetran_sdk/connector_sdk.grpc.pb.h"
#include "support/test_support.h"

namespace ac::testing {
namespace {

namespace pb = ::fivetran_sdk::v2;
using nlohmann::json;

using Configuration = std::map<std::string, std::string>;

int64_t EpochSeconds(int y, unsigned m, unsigned d, int hh = 0, int mm = 0, int ss = 0) {
  using namespace std::chrono;
  const sys_days date = year{y} / month{m} / std::chrono::day{d};
  return duration_cast<seconds>(date.time_since_epoch()).count() + hh * 3600 + mm * 60 + ss;
}

struct UpdateRun {
  grpc::Status status;
  std::vector<pb::UpdateResponse> messages;
  std::string error_kind;

  std::vector<const pb::Record*> Records() const {
    std::vector<const pb::Record*> out;
    for (const auto& m : messages) {
      if (m.has_records()) {
        for (const auto& r : m.records().records()) out.push_back(&r);
      } else if (m.has_record()) {
        out.push_back(&m.record());
      }
    }
    return out;
  }
  std::vector<std::string> Checkpoints() const {
    std::vector<std::string> out;
    for (const auto& m : messages) {
      if (m.has_checkpoint()) out.push_back(m.checkpoint().state_json());
    }
    return out;
  }
  std::vector<std::string> Warnings() const {
    std::vector<std::string> out;
    for (const auto& m : messages) {
      if (m.has_warning()) out.push_back(m.warning().message());
    }
    return out;
  }
  int Tasks() const {
    int n = 0;
    for (const auto& m : messages) n += m.has_task() ? 1 : 0;
    return n;
  }
};

class GrpcServerTest : public ::testing::Test {
 protected:
  static void SetUpTestSuite() {
    athena_ = new AthenaLocal(
        AthenaLocal::Options{.seeds = {(SourceDir() / "examples" / "local").string(),
                                       (SourceDir() / "tests" / "data").string()},
                             .extra_args = {}});
    fivetran::ServerOptions options;
    options.host = "127.0.0.1";
    options.port = 0;
    options.json_logs = false;
    server_ = fivetran::Server::Start(options).release();
  }
  static void TearDownTestSuite() {
    delete server_;
    server_ = nullptr;
    delete athena_;
    athena_ = nullptr;
  }

  void SetUp() override {
    ASSERT_GT(server_->port(), 0);
    grpc::ChannelArguments args;
    args.SetMaxReceiveMessageSize(fivetran::kMaxMessageBytes);
    stub_ = pb::SourceConnector::NewStub(grpc::CreateCustomChannel(
        "127.0.0.1:" + std::to_string(server_->port()), grpc::InsecureChannelCredentials(), args));
  }

  static Configuration Config(const Configuration& overrides = {}) {
    Configuration config = athena_->Configuration();
    for (const auto& [key, value] : overrides) {
      if (value.empty()) {
        config.erase(key);
      } else {
        config[key] = value;
      }
    }
    return config;
  }

  static std::string Kind(const grpc::ClientContext& context) {
    const auto& metadata = context.GetServerTrailingMetadata();
    const auto it = metadata.find(fivetran::kErrorKindMetadataKey);
    return it == metadata.end() ? "" : std::string(it->second.data(), it->second.size());
  }

  pb::TestResponse Test(const std::string& name, const Configuration& config,
                        std::string* kind = nullptr) {
    pb::TestRequest request;
    request.set_name(name);
    request.mutable_configuration()->insert(config.begin(), config.end());
    pb::TestResponse response;
    grpc::ClientContext context;
    const grpc::Status status = stub_->Test(&context, request, &response);
    EXPECT_TRUE(status.ok()) << status.error_message();
    if (kind != nullptr) *kind = Kind(context);
    return response;
  }

  grpc::Status Schema(const Configuration& config, pb::SchemaResponse* response) {
    pb::SchemaRequest request;
    request.mutable_configuration()->insert(config.begin(), config.end());
    grpc::ClientContext context;
    return stub_->Schema(&context, request, response);
  }

  // Selection of every table and column of a Schema response (what the tester sends).
  static pb::Selection SelectAll(const pb::SchemaResponse& schema) {
    pb::Selection selection;
    auto* tables = selection.mutable_without_schema();
    tables->set_include_new_tables(true);
    for (const auto& table : schema.without_schema().tables()) {
      auto* t = tables->add_tables();
      t->set_included(true);
      t->set_table_name(table.name());
      t->set_include_new_columns(true);
      for (const auto& column : table.columns()) (*t->mutable_columns())[column.name()] = true;
    }
    return selection;
  }

  UpdateRun Update(const Configuration& config, const std::optional<pb::Selection>& selection,
                   const std::optional<std::string>& state) {
    pb::UpdateRequest request;
    request.mutable_configuration()->insert(config.begin(), config.end());
    if (selection) *request.mutable_selection() = *selection;
    if (state) request.set_state_json(*state);
    UpdateRun run;
    grpc::ClientContext context;
    auto reader = stub_->Update(&context, request);
    pb::UpdateResponse response;
    while (reader->Read(&response)) run.messages.push_back(response);
    run.status = reader->Finish();
    run.error_kind = Kind(context);
    return run;
  }

  UpdateRun SyncAll(const Configuration& config,
                    const std::optional<std::string>& state = std::nullopt) {
    pb::SchemaResponse schema;
    const grpc::Status status = Schema(config, &schema);
    EXPECT_TRUE(status.ok()) << status.error_message();
    return Update(config, SelectAll(schema), state);
  }

  static AthenaLocal* athena_;
  static fivetran::Server* server_;
  std::unique_ptr<pb::SourceConnector::Stub> stub_;
};

AthenaLocal* GrpcServerTest::athena_ = nullptr;
fivetran::Server* GrpcServerTest::server_ = nullptr;

void ExpectBatchesOfAtMost100(const UpdateRun& run) {
  for (const auto& m : run.messages) {
    if (m.has_records()) {
      EXPECT_GE(m.records().records_size(), 1);
      EXPECT_LE(m.records().records_size(), 100);
    }
  }
}

TEST_F(GrpcServerTest, ConfigurationFormOffersEveryKeyAndTheSetupTests) {
  grpc::ClientContext context;
  pb::ConfigurationFormResponse form;
  ASSERT_TRUE(stub_->ConfigurationForm(&context, pb::ConfigurationFormRequest(), &form).ok());
  EXPECT_FALSE(form.schema_selection_supported());
  EXPECT_TRUE(form.table_selection_supported());
  std::map<std::string, const pb::FormField*> fields;
  for (const auto& field : form.fields()) {
    fields[field.name()] = &field;
    for (const auto& nested : field.conditional_fields().fields()) fields[nested.name()] = &nested;
  }
  for (const char* key : {"aws_access_key_id", "aws_secret_access_key", "region_name",
                          "database_name", "s3_staging_dir"}) {
    ASSERT_TRUE(fields.count(key)) << key;
    EXPECT_TRUE(fields[key]->required()) << key;
    EXPECT_FALSE(fields[key]->label().empty()) << key;
    EXPECT_FALSE(fields[key]->description().empty()) << key;
  }
  EXPECT_EQ(fields["aws_secret_access_key"]->text_field(), pb::Password);
  EXPECT_EQ(fields["aws_session_token"]->text_field(), pb::Password);
  EXPECT_EQ(fields["aws_access_key_id"]->text_field(), pb::PlainText);
  EXPECT_FALSE(fields["workgroup"]->required());
  EXPECT_EQ(fields["catalog"]->default_value(), "AwsDataCatalog");
  std::set<std::string> tests;
  for (const auto& test : form.tests()) {
    tests.insert(test.name());
    EXPECT_FALSE(test.label().empty());
  }
  EXPECT_TRUE(tests.count("credentials"));
  EXPECT_TRUE(tests.count("database"));
  EXPECT_TRUE(tests.count("staging"));
}

TEST_F(GrpcServerTest, SetupTestsPassAndFailWithTheCause) {
  grpc::ClientContext context;
  pb::ConfigurationFormResponse form;
  ASSERT_TRUE(stub_->ConfigurationForm(&context, pb::ConfigurationFormRequest(), &form).ok());
  for (const auto& test : form.tests()) {
    const pb::TestResponse response = Test(test.name(), Config());
    EXPECT_TRUE(response.has_success() && response.success())
        << test.name() << ": " << response.failure();
  }
  std::string kind;
  const pb::TestResponse bad_secret =
      Test("credentials", Config({{"aws_secret_access_key", "wrong-secret"}}), &kind);
  ASSERT_TRUE(bad_secret.has_failure());
  EXPECT_EQ(bad_secret.failure().find("wrong-secret"), std::string::npos);
  EXPECT_FALSE(bad_secret.failure().empty());

  const pb::TestResponse no_database = Test("database", Config({{"database_name", "no_such_db"}}));
  ASSERT_TRUE(no_database.has_failure());
  EXPECT_NE(no_database.failure().find("no_such_db"), std::string::npos) << no_database.failure();

  const pb::TestResponse missing = Test("credentials", Config({{"aws_access_key_id", ""}}), &kind);
  ASSERT_TRUE(missing.has_failure());
  EXPECT_NE(missing.failure().find("aws_access_key_id"), std::string::npos) << missing.failure();
  EXPECT_EQ(kind, "config");
}

TEST_F(GrpcServerTest, SchemaHasTypedColumnsPrimaryKeyAndDecimalParams) {
  pb::SchemaResponse schema;
  ASSERT_TRUE(Schema(Config(), &schema).ok());
  ASSERT_TRUE(schema.has_without_schema());
  ASSERT_EQ(schema.without_schema().tables_size(), 1);
  const pb::Table& table = schema.without_schema().tables(0);
  EXPECT_EQ(table.name(), "customers");
  std::map<std::string, const pb::Column*> columns;
  for (const auto& column : table.columns()) columns[column.name()] = &column;
  ASSERT_EQ(columns.size(), 8u);
  EXPECT_EQ(columns["customer_id"]->type(), pb::LONG);
  EXPECT_TRUE(columns["customer_id"]->primary_key());
  EXPECT_FALSE(columns["email"]->primary_key());
  EXPECT_EQ(columns["first_name"]->type(), pb::STRING);
  EXPECT_EQ(columns["signup_date"]->type(), pb::NAIVE_DATE);
  EXPECT_EQ(columns["updated_at"]->type(), pb::NAIVE_DATETIME);
  EXPECT_EQ(columns["is_active"]->type(), pb::BOOLEAN);
  const pb::Column& value = *columns["lifetime_value"];
  EXPECT_EQ(value.type(), pb::DECIMAL);
  ASSERT_TRUE(value.has_params() && value.params().has_decimal());
  EXPECT_EQ(value.params().decimal().precision(), 12u);
  EXPECT_EQ(value.params().decimal().scale(), 2u);
}

TEST_F(GrpcServerTest, UpdateStreamsTypedRecordsInBatchesWithCheckpoints) {
  const UpdateRun run = SyncAll(Config());
  ASSERT_TRUE(run.status.ok()) << run.status.error_message();
  ExpectBatchesOfAtMost100(run);
  const auto records = run.Records();
  ASSERT_FALSE(records.empty());
  // A full refresh: TRUNCATE first, then one UPSERT per source row, all columns present.
  EXPECT_EQ(records.front()->type(), pb::TRUNCATE);
  std::set<int64_t> keys;
  const pb::Record* first = nullptr;
  for (size_t i = 1; i < records.size(); ++i) {
    const pb::Record& r = *records[i];
    ASSERT_EQ(r.type(), pb::UPSERT);
    EXPECT_EQ(r.table_name(), "customers");
    EXPECT_FALSE(r.has_schema_name());
    ASSERT_EQ(r.data().size(), 8u);
    const int64_t key = r.data().at("customer_id").long_();
    keys.insert(key);
    if (key == 1) first = &r;
  }
  EXPECT_EQ(keys.size(), 300u);
  EXPECT_EQ(records.size(), 301u);
  ASSERT_NE(first, nullptr);
  const auto& d = first->data();
  EXPECT_EQ(d.at("first_name").string(), "James");
  EXPECT_EQ(d.at("email").string(), "james.wilson1@example.com");
  ASSERT_EQ(d.at("signup_date").inner_case(), pb::ValueType::kNaiveDate);
  EXPECT_EQ(d.at("signup_date").naive_date().seconds(), EpochSeconds(2019, 2, 7));
  EXPECT_EQ(d.at("signup_date").naive_date().nanos(), 0);
  ASSERT_EQ(d.at("updated_at").inner_case(), pb::ValueType::kNaiveDatetime);
  EXPECT_EQ(d.at("updated_at").naive_datetime().seconds(), EpochSeconds(2024, 1, 2, 0, 12, 12));
  EXPECT_EQ(d.at("updated_at").naive_datetime().nanos(), 211000000);
  ASSERT_EQ(d.at("lifetime_value").inner_case(), pb::ValueType::kDecimal);
  EXPECT_EQ(d.at("lifetime_value").decimal(), "73.31");
  ASSERT_EQ(d.at("is_active").inner_case(), pb::ValueType::kBool);
  EXPECT_TRUE(d.at("is_active").bool_());

  // Checkpoints: valid JSON objects; the stream ends with the one that completes the table, and
  // no record follows the last checkpoint.
  const auto checkpoints = run.Checkpoints();
  ASSERT_GE(checkpoints.size(), 2u);
  for (const auto& text : checkpoints) EXPECT_TRUE(json::parse(text).is_object()) << text;
  ASSERT_TRUE(run.messages.back().has_checkpoint());
  const json last = json::parse(checkpoints.back());
  EXPECT_EQ(last["tables"]["customers"]["status"], "complete") << last.dump();
  EXPECT_TRUE(run.Warnings().empty());
  EXPECT_EQ(run.Tasks(), 0);
}

TEST_F(GrpcServerTest, CheckpointsAreSpacedByCheckpointIntervalRows) {
  const UpdateRun run =
      SyncAll(Config({{"source_table", "big_rows"}, {"checkpoint_interval_rows", "5000"}}));
  ASSERT_TRUE(run.status.ok()) << run.status.error_message();
  EXPECT_EQ(run.Records().size(), 20001u);
  // Within the result: one checkpoint per 5,000 rows delivered (not one per page or batch).
  std::vector<int64_t> positions;
  for (const auto& text : run.Checkpoints()) {
    const json state = json::parse(text);
    const json& t = state["tables"]["customers"];
    if (t["status"] == "in_progress" && t.contains("position") &&
        t["position"]["rows_read"].get<int64_t>() > 0) {
      positions.push_back(t["position"]["rows_read"].get<int64_t>());
    }
  }
  EXPECT_EQ(positions, (std::vector<int64_t>{5000, 10000, 15000, 20000}));
  EXPECT_EQ(json::parse(run.Checkpoints().back())["tables"]["customers"]["status"], "complete");
}

TEST_F(GrpcServerTest, UpdateResumesFromAnIntermediateCheckpoint) {
  const Configuration config =
      Config({{"source_table", "big_rows"}, {"checkpoint_interval_rows", "1000"}});
  const UpdateRun full = SyncAll(config);
  ASSERT_TRUE(full.status.ok()) << full.status.error_message();
  ExpectBatchesOfAtMost100(full);
  EXPECT_EQ(full.Records().size(), 20001u);  // truncate + 20,000 rows

  // Pick a checkpoint in the middle of the result, as if the sync had died right after it.
  std::string middle;
  int64_t rows_read = 0;
  for (const auto& text : full.Checkpoints()) {
    const json state = json::parse(text);
    const auto& t = state["tables"]["customers"];
    if (t["status"] == "in_progress" && t.contains("position") &&
        t["position"]["rows_read"].get<int64_t>() >= 5000) {
      middle = text;
      rows_read = t["position"]["rows_read"].get<int64_t>();
      break;
    }
  }
  ASSERT_FALSE(middle.empty());
  const UpdateRun resumed = SyncAll(config, middle);
  ASSERT_TRUE(resumed.status.ok()) << resumed.status.error_message();
  ExpectBatchesOfAtMost100(resumed);
  const auto records = resumed.Records();
  ASSERT_EQ(static_cast<int64_t>(records.size()),
            20000 - rows_read);  // the rest, no truncate again
  std::set<int64_t> keys;
  for (const auto* r : records) {
    ASSERT_EQ(r->type(), pb::UPSERT);
    keys.insert(r->data().at("customer_id").long_());
  }
  EXPECT_EQ(static_cast<int64_t>(keys.size()), 20000 - rows_read);
  EXPECT_EQ(json::parse(resumed.Checkpoints().back())["tables"]["customers"]["status"], "complete");
}

TEST_F(GrpcServerTest, IncrementalUpdateFromTheReturnedStateReadsOnlyNewerRows) {
  const Configuration config = Config({{"cursor_column", "updated_at"}});
  const UpdateRun first = SyncAll(config);
  ASSERT_TRUE(first.status.ok()) << first.status.error_message();
  ASSERT_EQ(first.Records().size(), 300u);  // incremental: no truncate
  int64_t max_seconds = 0;
  for (const auto* r : first.Records()) {
    max_seconds = std::max(max_seconds, r->data().at("updated_at").naive_datetime().seconds());
  }
  const UpdateRun second = SyncAll(config, first.Checkpoints().back());
  ASSERT_TRUE(second.status.ok()) << second.status.error_message();
  const auto records = second.Records();
  EXPECT_LT(records.size(), 300u);
  EXPECT_GE(records.size(), 1u);  // the boundary row is read again (>=)
  for (const auto* r : records)
    EXPECT_GE(r->data().at("updated_at").naive_datetime().seconds(), max_seconds);
  EXPECT_EQ(json::parse(second.Checkpoints().back())["tables"]["customers"]["status"], "complete");
}

TEST_F(GrpcServerTest, UpdateWithMissingKeyIsOneTask) {
  const UpdateRun run = Update(Config({{"s3_staging_dir", ""}}), std::nullopt, std::nullopt);
  EXPECT_EQ(run.status.error_code(), grpc::StatusCode::FAILED_PRECONDITION);
  ASSERT_EQ(run.messages.size(), 1u);
  ASSERT_TRUE(run.messages[0].has_task());
  EXPECT_NE(run.messages[0].task().message().find("s3_staging_dir"), std::string::npos);
  EXPECT_EQ(run.error_kind, "config");
}

TEST_F(GrpcServerTest, UpdateWithWrongCredentialsIsOneTask) {
  const UpdateRun run =
      Update(Config({{"aws_secret_access_key", "not-the-secret"}}), std::nullopt, std::nullopt);
  EXPECT_EQ(run.status.error_code(), grpc::StatusCode::FAILED_PRECONDITION)
      << run.status.error_message();
  EXPECT_EQ(run.Tasks(), 1);
  EXPECT_TRUE(run.messages.back().has_task());
  EXPECT_TRUE(run.Records().empty());
  EXPECT_EQ(run.messages.back().task().message().find("not-the-secret"), std::string::npos);
  EXPECT_EQ(run.error_kind, "auth");
}

TEST_F(GrpcServerTest, UnknownTableInSelectionIsAWarningAndTheRestSyncs) {
  pb::SchemaResponse schema;
  ASSERT_TRUE(Schema(Config(), &schema).ok());
  pb::Selection selection = SelectAll(schema);
  auto* ghost = selection.mutable_without_schema()->add_tables();
  ghost->set_table_name("no_such_table");
  ghost->set_included(true);
  const UpdateRun run = Update(Config(), selection, std::nullopt);
  ASSERT_TRUE(run.status.ok()) << run.status.error_message();
  const auto warnings = run.Warnings();
  ASSERT_EQ(warnings.size(), 1u);
  EXPECT_NE(warnings[0].find("no_such_table"), std::string::npos);
  EXPECT_EQ(run.Records().size(), 301u);
}

TEST_F(GrpcServerTest, ExcludedTableAndColumnAreNotSynced) {
  pb::SchemaResponse schema;
  ASSERT_TRUE(Schema(Config(), &schema).ok());
  pb::Selection selection = SelectAll(schema);
  (*selection.mutable_without_schema()->mutable_tables(0)->mutable_columns())["email"] = false;
  const UpdateRun run = Update(Config(), selection, std::nullopt);
  ASSERT_TRUE(run.status.ok()) << run.status.error_message();
  for (const auto* r : run.Records()) EXPECT_FALSE(r->data().contains("email"));

  selection.mutable_without_schema()->mutable_tables(0)->set_included(false);
  const UpdateRun none = Update(Config(), selection, std::nullopt);
  ASSERT_TRUE(none.status.ok()) << none.status.error_message();
  EXPECT_TRUE(none.Records().empty());
}

TEST_F(GrpcServerTest, MalformedStateIsInvalidArgument) {
  for (const std::string state : {"{\"tables\": ", "[1]", "not json"}) {
    const UpdateRun run = Update(Config(), std::nullopt, state);
    EXPECT_EQ(run.status.error_code(), grpc::StatusCode::INVALID_ARGUMENT) << state;
    EXPECT_NE(run.status.error_message().find("state_json"), std::string::npos)
        << run.status.error_message();
    EXPECT_TRUE(run.messages.empty());
  }
}

TEST_F(GrpcServerTest, GzipCompressedRequestsAreAccepted) {
  grpc::ChannelArguments args;
  args.SetCompressionAlgorithm(GRPC_COMPRESS_GZIP);
  auto stub = pb::SourceConnector::NewStub(grpc::CreateCustomChannel(
      "127.0.0.1:" + std::to_string(server_->port()), grpc::InsecureChannelCredentials(), args));
  pb::SchemaRequest request;
  const Configuration config = Config();
  request.mutable_configuration()->insert(config.begin(), config.end());
  pb::SchemaResponse response;
  grpc::ClientContext context;
  context.set_compression_algorithm(GRPC_COMPRESS_GZIP);
  const grpc::Status status = stub->Schema(&context, request, &response);
  ASSERT_TRUE(status.ok()) << status.error_message();
  EXPECT_EQ(response.without_schema().tables_size(), 1);
}

// `debug`'s side of the protocol: RunLocalSync drives the same server and applies the stream.
class CountingSink final : public connector::RecordSink {
 public:
  void DefineTable(const common::TableSchema& table) override { defined.push_back(table); }
  void Truncate(const common::TableSchema&) override { ++truncates; }
  void Write(const common::TableSchema& table, connector::RecordType,
             const common::ValueBatch& rows) override {
    rows_written += static_cast<int64_t>(rows.num_rows());
    EXPECT_EQ(rows.num_columns(), table.columns.size());
  }
  void Checkpoint(const std::string& state) override { last_state = state; }
  void Warning(const std::string&) override {}
  std::vector<common::TableSchema> defined;
  int truncates = 0;
  int64_t rows_written = 0;
  std::string last_state;
};

TEST_F(GrpcServerTest, LocalRunnerPlaysFivetranThroughTheProtocol) {
  for (const bool use_tcp : {false, true}) {
    CountingSink sink;
    fivetran::LocalSyncOptions options;
    options.configuration = Config();
    options.use_tcp = use_tcp;
    std::vector<std::string> lines;
    options.print = [&](const std::string& line) { lines.push_back(line); };
    const fivetran::LocalSyncResult result = fivetran::RunLocalSync(options, sink);
    ASSERT_TRUE(result.ok) << result.message;
    EXPECT_EQ(result.counters.upserts, 300u);
    EXPECT_EQ(result.counters.truncates, 1u);
    EXPECT_EQ(sink.rows_written, 300);
    EXPECT_GE(result.counters.checkpoints, 2u);
    EXPECT_EQ(result.last_state_json, sink.last_state);
    EXPECT_EQ(json::parse(result.last_state_json)["tables"]["customers"]["status"], "complete");
    ASSERT_FALSE(sink.defined.empty());
    EXPECT_EQ(sink.defined[0].name, "customers");
    ASSERT_EQ(lines.size(), 3u);
    for (const auto& line : lines) EXPECT_NE(line.find("]: PASSED"), std::string::npos) << line;
  }
}

TEST_F(GrpcServerTest, LocalRunnerThroughABackgroundSinkAppliesEverythingAndReportsItsErrors) {
  {
    CountingSink sink;
    fivetran::LocalSyncResult result;
    {
      connector::BackgroundRecordSink background(sink);
      fivetran::LocalSyncOptions options;
      options.configuration = Config();
      options.run_tests = false;
      result = fivetran::RunLocalSync(options, background);
    }
    ASSERT_TRUE(result.ok) << result.message;
    EXPECT_EQ(sink.rows_written, 300);
    EXPECT_EQ(result.last_state_json, sink.last_state);
  }
  // The sink fails on its second write: the run fails with the sink's error, and no checkpoint
  // after the failed rows reached the sink or the result.
  class FailingSink final : public connector::RecordSink {
   public:
    void DefineTable(const common::TableSchema&) override {}
    void Truncate(const common::TableSchema&) override {}
    void Write(const common::TableSchema&, connector::RecordType,
               const common::ValueBatch&) override {
      if (++writes == 2) throw common::TransientError("warehouse: disk full");
    }
    void Checkpoint(const std::string& state) override { states.push_back(state); }
    void Warning(const std::string&) override {}
    int writes = 0;
    std::vector<std::string> states;
  } failing;
  fivetran::LocalSyncResult result;
  {
    connector::BackgroundRecordSink background(failing);
    fivetran::LocalSyncOptions options;
    options.configuration = Config({{"checkpoint_interval_rows", "50"}});
    options.run_tests = false;
    options.max_rows_per_write = 20;
    result = fivetran::RunLocalSync(options, background);
  }
  EXPECT_FALSE(result.ok);
  EXPECT_NE(result.message.find("disk full"), std::string::npos) << result.message;
  EXPECT_EQ(result.error_kind, common::ErrorKind::kTransient);
  EXPECT_EQ(failing.writes, 2);
  // Only the states saved before any row (query started, truncate sent) were applied.
  ASSERT_FALSE(failing.states.empty());
  for (const std::string& state : failing.states) {
    EXPECT_EQ(json::parse(state)["tables"]["customers"].value("rows_synced", 0), 0) << state;
  }
  EXPECT_EQ(result.last_state_json, failing.states.back());
}

TEST_F(GrpcServerTest, LocalRunnerStopsAtTheFirstFailedTest) {
  CountingSink sink;
  fivetran::LocalSyncOptions options;
  options.configuration = Config({{"aws_secret_access_key", "bad"}});
  std::vector<std::string> lines;
  options.print = [&](const std::string& line) { lines.push_back(line); };
  const fivetran::LocalSyncResult result = fivetran::RunLocalSync(options, sink);
  EXPECT_FALSE(result.ok);
  EXPECT_FALSE(result.failed_test.empty());
  ASSERT_EQ(lines.size(), 1u);
  EXPECT_NE(lines[0].find("FAILED"), std::string::npos);
  EXPECT_EQ(sink.rows_written, 0);

  // Without the tests, the same problem arrives as the Update's task.
  options.run_tests = false;
  const fivetran::LocalSyncResult task = fivetran::RunLocalSync(options, sink);
  EXPECT_FALSE(task.ok);
  // Schema fails first (it needs the credentials too): FAILED_PRECONDITION with the auth kind.
  EXPECT_EQ(task.error_kind, common::ErrorKind::kAuth) << task.message;
}

}  // namespace
}  // namespace ac::testing
