#include "fivetran/connector_service.h"

#include <fmt/format.h>
#include <spdlog/spdlog.h>

#include <algorithm>
#include <chrono>

#include "fivetran/form.h"
#include "fivetran/status.h"
#include "fivetran/update_request.h"

namespace ac::fivetran {
namespace {

using common::ErrorKind;
using Stopwatch = std::chrono::steady_clock;

double SecondsSince(Stopwatch::time_point start) {
  return std::chrono::duration<double>(Stopwatch::now() - start).count();
}

// The message of a non-common exception, for a one-line INTERNAL status.
std::string InternalMessage(const char* what) {
  return OneLine(fmt::format("internal error: {}", what == nullptr ? "unknown" : what));
}

void AddErrorKind(grpc::ServerContext* context, ErrorKind kind) {
  if (context != nullptr)
    context->AddTrailingMetadata(kErrorKindMetadataKey, std::string(ErrorKindToken(kind)));
}

bool IsKnownTest(const std::string& name) {
  const auto& tests = connector::Connector::Tests();
  return std::any_of(tests.begin(), tests.end(),
                     [&](const auto& test) { return test.name == name; });
}

std::string KnownTestNames() {
  std::string names;
  for (const auto& test : connector::Connector::Tests())
    names += (names.empty() ? "" : ", ") + test.name;
  return names;
}

}  // namespace

UpdateOutcome RunUpdate(const pb::UpdateRequest& request, const UpdateWriter& writer,
                        const common::CancellationToken& cancel, const ServiceOptions& options) {
  UpdateOutcome outcome;
  const auto start = Stopwatch::now();
  GrpcRecordSinkOptions sink_options;
  sink_options.max_records_per_message = options.max_records_per_message;
  sink_options.max_message_bytes = options.max_message_bytes;
  std::optional<GrpcRecordSink> sink;

  auto fail = [&](ErrorKind kind, grpc::StatusCode code, const std::string& message) {
    if (sink) {
      outcome.stats = sink->stats();
      sink->DiscardPending();
    }
    outcome.error_kind = kind;
    outcome.status = grpc::Status(code, OneLine(message));
  };

  try {
    const std::string state = ValidatedState(request);
    connector::Config config = connector::Config::Parse(ConfigurationMap(request.configuration()));
    SelectionPlan plan = PlanSelection(request, config);
    sink_options.known_tables = std::move(plan.known_tables);
    sink.emplace(writer, std::move(sink_options));
    spdlog::info("Update started: {} configured table(s), {} selection, {}", config.tables.size(),
                 plan.has_selection ? "with a" : "without a",
                 state.empty() ? "first sync" : "resuming from saved state");
    for (const auto& warning : plan.warnings) {
      spdlog::warn("{}", warning);
      sink->Warning(warning);
    }
    if (cancel.IsCancelled())
      throw common::CancelledError("the sync was cancelled before it started");
    connector::Connector connector(std::move(config), options.environment);
    connector.Sync(state, plan.has_selection ? &plan.selection : nullptr, *sink, cancel);
    sink->Flush();
    outcome.stats = sink->stats();
    outcome.status = grpc::Status::OK;
    spdlog::info(
        "Update finished: {} record(s) in {} message(s), {} checkpoint(s), {} warning(s) in {:.1f} "
        "s",
        outcome.stats.records, outcome.stats.records_messages, outcome.stats.checkpoints,
        outcome.stats.warnings, SecondsSince(start));
    return outcome;
  } catch (const InvalidStateError& e) {
    fail(e.kind(), grpc::StatusCode::INVALID_ARGUMENT, e.what());
  } catch (const common::Error& e) {
    if (cancel.IsCancelled() || e.kind() == ErrorKind::kCancelled) {
      fail(ErrorKind::kCancelled, grpc::StatusCode::CANCELLED,
           fmt::format("sync cancelled: {}", e.what()));
    } else if (e.IsUserActionable()) {
      fail(e.kind(), grpc::StatusCode::FAILED_PRECONDITION, e.what());
      // One task: the sync stops here and the user is asked to fix the cause.
      pb::UpdateResponse task;
      task.mutable_task()->set_message(outcome.status.error_message());
      try {
        outcome.task_sent = writer(task);
      } catch (...) {
        outcome.task_sent = false;
      }
    } else {
      fail(e.kind(), StatusCodeFor(e.kind()),
           fmt::format("{}: {}", common::ErrorKindName(e.kind()), e.what()));
    }
  } catch (const std::exception& e) {
    fail(ErrorKind::kInternal, grpc::StatusCode::INTERNAL, InternalMessage(e.what()));
  } catch (...) {
    fail(ErrorKind::kInternal, grpc::StatusCode::INTERNAL, InternalMessage(nullptr));
  }
  if (outcome.error_kind == ErrorKind::kCancelled) {
    spdlog::warn("Update stopped after {:.1f} s: {}", SecondsSince(start),
                 outcome.status.error_message());
  } else {
    spdlog::error("Update failed after {:.1f} s ({}{}): {}", SecondsSince(start),
                  StatusCodeName(outcome.status.error_code()),
                  outcome.task_sent ? ", task sent" : "", outcome.status.error_message());
  }
  return outcome;
}

ConnectorService::ConnectorService(ServiceOptions options)
    : options_(std::move(options)), watcher_(options_.cancel_poll_interval) {}

ConnectorService::~ConnectorService() = default;

void ConnectorService::CancelAll() {
  watcher_.CancelAll();
}

grpc::Status ConnectorService::ConfigurationForm(grpc::ServerContext* context,
                                                 const pb::ConfigurationFormRequest*,
                                                 pb::ConfigurationFormResponse* response) {
  try {
    BuildConfigurationForm(connector::ConfigFields(), connector::Connector::Tests(), response);
    spdlog::info("ConfigurationForm: {} field(s), {} test(s)", response->fields_size(),
                 response->tests_size());
    return grpc::Status::OK;
  } catch (const std::exception& e) {
    spdlog::error("ConfigurationForm failed: {}", e.what());
    AddErrorKind(context, ErrorKind::kInternal);
    return grpc::Status(grpc::StatusCode::INTERNAL, InternalMessage(e.what()));
  }
}

grpc::Status ConnectorService::Test(grpc::ServerContext* context, const pb::TestRequest* request,
                                    pb::TestResponse* response) {
  common::CancellationToken cancel;
  auto registration = watcher_.Watch([context] { return context->IsCancelled(); }, &cancel);
  const auto start = Stopwatch::now();
  std::string failure;
  std::optional<ErrorKind> kind;
  try {
    if (!IsKnownTest(request->name())) {
      failure = fmt::format("unknown test '{}'; this connector offers: {}", request->name(),
                            KnownTestNames());
      kind = ErrorKind::kConfig;
    } else {
      connector::Connector connector(
          connector::Config::Parse(ConfigurationMap(request->configuration())),
          options_.environment);
      failure = connector.RunTest(request->name(), cancel);
    }
  } catch (const common::Error& e) {
    failure = e.what();
    kind = cancel.IsCancelled() ? ErrorKind::kCancelled : e.kind();
  } catch (const std::exception& e) {
    failure = InternalMessage(e.what());
    kind = ErrorKind::kInternal;
  } catch (...) {
    failure = InternalMessage(nullptr);
    kind = ErrorKind::kInternal;
  }
  if (failure.empty()) {
    response->set_success(true);
    spdlog::info("Test '{}' passed in {:.1f} s", request->name(), SecondsSince(start));
  } else {
    failure = OneLine(failure);
    response->set_failure(failure);
    if (kind) AddErrorKind(context, *kind);
    spdlog::warn("Test '{}' failed: {}", request->name(), failure);
  }
  return grpc::Status::OK;
}

grpc::Status ConnectorService::Schema(grpc::ServerContext* context,
                                      const pb::SchemaRequest* request,
                                      pb::SchemaResponse* response) {
  common::CancellationToken cancel;
  auto registration = watcher_.Watch([context] { return context->IsCancelled(); }, &cancel);
  const auto start = Stopwatch::now();
  grpc::Status status;
  ErrorKind kind = ErrorKind::kInternal;
  try {
    connector::Connector connector(
        connector::Config::Parse(ConfigurationMap(request->configuration())), options_.environment);
    const std::vector<common::TableSchema> tables = connector.DiscoverSchema(cancel);
    if (AnySchema(tables)) {
      ToProtoSchemaList(tables, response->mutable_with_schema());
    } else {
      pb::TableList* list = response->mutable_without_schema();
      for (const auto& table : tables) ToProtoTable(table, list->add_tables());
    }
    spdlog::info("Schema: {} table(s) in {:.1f} s", tables.size(), SecondsSince(start));
    return grpc::Status::OK;
  } catch (const common::Error& e) {
    kind = cancel.IsCancelled() ? ErrorKind::kCancelled : e.kind();
    status = grpc::Status(
        StatusCodeFor(kind),
        OneLine(e.IsUserActionable()
                    ? std::string(e.what())
                    : fmt::format("{}: {}", common::ErrorKindName(e.kind()), e.what())));
  } catch (const std::exception& e) {
    status = grpc::Status(grpc::StatusCode::INTERNAL, InternalMessage(e.what()));
  } catch (...) {
    status = grpc::Status(grpc::StatusCode::INTERNAL, InternalMessage(nullptr));
  }
  response->Clear();
  AddErrorKind(context, kind);
  spdlog::error("Schema failed ({}): {}", StatusCodeName(status.error_code()),
                status.error_message());
  return status;
}

grpc::Status ConnectorService::Update(grpc::ServerContext* context,
                                      const pb::UpdateRequest* request,
                                      grpc::ServerWriter<pb::UpdateResponse>* writer) {
  common::CancellationToken cancel;
  auto registration = watcher_.Watch([context] { return context->IsCancelled(); }, &cancel);
  UpdateWriter write = [writer](const pb::UpdateResponse& response) {
    return writer->Write(response);
  };
  UpdateOutcome outcome = RunUpdate(*request, write, cancel, options_);
  if (outcome.error_kind) AddErrorKind(context, *outcome.error_kind);
  return outcome.status;
}

}  // namespace ac::fivetran
