// Record encoding of the gRPC Update stream (server side) and decoding back into value batches
// (`debug`'s side), per row of a typical 8-column table.
#include <benchmark/benchmark.h>

#include "fivetran/grpc_record_sink.h"
#include "fivetran/local_runner.h"

namespace ac::fivetran {
namespace {

using common::DataType;

common::TableSchema Customers() {
  return {"customers",
          {{"customer_id", DataType::kLong, true, 0, 0},
           {"first_name", DataType::kString, false, 0, 0},
           {"last_name", DataType::kString, false, 0, 0},
           {"email", DataType::kString, false, 0, 0},
           {"signup_date", DataType::kNaiveDate, false, 0, 0},
           {"updated_at", DataType::kNaiveDateTime, false, 0, 0},
           {"lifetime_value", DataType::kDecimal, false, 12, 2},
           {"is_active", DataType::kBoolean, false, 0, 0}}};
}

common::ValueBatch Rows(size_t n) {
  const auto table = Customers();
  common::ValueBatch batch;
  batch.Reset(table.columns.size());
  for (size_t i = 0; i < n; ++i) {
    common::Value* row = batch.AppendRow();
    for (size_t c = 0; c < table.columns.size(); ++c) {
      row[c].type = table.columns[c].type;
      row[c].is_null = false;
    }
    row[0].int64 = static_cast<int64_t>(i);
    row[1].text = batch.Store("Sebastian");
    row[2].text = batch.Store("Hernandez");
    row[3].text = batch.Store("sebastian.hernandez" + std::to_string(i) + "@example.com");
    row[4].timestamp = {1550000000, 0};
    row[5].timestamp = {1704154332, 211000000};
    row[6].text = batch.Store("1234.56");
    row[7].boolean = i % 2 == 0;
  }
  return batch;
}

class NullSink final : public connector::RecordSink {
 public:
  void DefineTable(const common::TableSchema&) override {}
  void Truncate(const common::TableSchema&) override {}
  void Write(const common::TableSchema&, connector::RecordType,
             const common::ValueBatch& rows) override {
    benchmark::DoNotOptimize(rows.num_rows());
  }
  void Checkpoint(const std::string&) override {}
  void Warning(const std::string&) override {}
};

// Rows -> Records messages, serialized as gRPC would.
void BM_EncodeRecords(benchmark::State& state) {
  const common::ValueBatch rows = Rows(1000);
  std::string wire;
  for (auto _ : state) {
    GrpcRecordSink sink([&](const pb::UpdateResponse& response) {
      response.SerializeToString(&wire);
      return true;
    });
    sink.Write(Customers(), connector::RecordType::kUpsert, rows);
    sink.Flush();
  }
  state.SetItemsProcessed(state.iterations() * 1000);
}
BENCHMARK(BM_EncodeRecords);

/// The Update stream messages the server sends for `rows` (serialized).
std::vector<std::string> UpdateMessages(const common::ValueBatch& rows) {
  std::vector<std::string> wire;
  GrpcRecordSink sink([&](const pb::UpdateResponse& response) {
    wire.push_back(response.SerializeAsString());
    return true;
  });
  sink.Write(Customers(), connector::RecordType::kUpsert, rows);
  sink.Flush();
  return wire;
}

// Serialized Update messages -> value batches for the warehouse: read in place (the client's
// path, arg 1) or parsed into protobuf objects first (arg 0).
void BM_DecodeRecords(benchmark::State& state) {
  const std::vector<std::string> wire = UpdateMessages(Rows(1000));
  const bool in_place = state.range(0) != 0;
  NullSink null_sink;
  pb::UpdateResponse response;
  for (auto _ : state) {
    LocalSyncResult result;
    UpdateApplier applier(null_sink, result);
    applier.DefineTables({Customers()});
    for (const auto& message : wire) {
      if (in_place) {
        applier.ApplySerialized(message);
      } else {
        response.ParseFromString(message);
        applier.Apply(response);
      }
    }
    applier.Flush();
  }
  state.SetItemsProcessed(state.iterations() * 1000);
}
BENCHMARK(BM_DecodeRecords)->ArgName("in_place")->Arg(0)->Arg(1);

// Protobuf parsing alone, for comparison.
void BM_ParseRecords(benchmark::State& state) {
  const std::vector<std::string> wire = UpdateMessages(Rows(1000));
  pb::UpdateResponse response;
  for (auto _ : state) {
    for (const auto& message : wire) {
      response.ParseFromString(message);
      benchmark::DoNotOptimize(response);
    }
  }
  state.SetItemsProcessed(state.iterations() * 1000);
}
BENCHMARK(BM_ParseRecords);

}  // namespace
}  // namespace ac::fivetran
