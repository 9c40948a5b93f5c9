#include "results/s3_result_reader.h"

#include <gtest/gtest.h>

#include <atomic>
#include <thread>

#include "athena/fake_athena_test_util.h"
#include "aws/aws_error.h"
#include "aws/fake_s3_test_util.h"
#include "common/error.h"

namespace ac::results {
namespace {

using athena::Column;
using athena::QueryExecution;
using athena::RowBatch;
using athena::TypeFromColumnInfo;
using athena::TypeId;
using athena::testing::FakeAthena;
using athena::testing::MakeFakeClient;
using athena::testing::ResultsBody;
using aws::testing::FakeS3;
using aws::testing::MakeFakeS3Service;

/// Rows as vectors of cells, "\x01NULL" for NULL.
using Rows = std::vector<std::vector<std::string>>;
constexpr const char* kNull = "\x01NULL";

std::vector<Column> ThreeColumns() {
  return {{"id", TypeFromColumnInfo("integer", 10, 0)},
          {"name", TypeFromColumnInfo("varchar", 2147483647, 0)},
          {"note", TypeFromColumnInfo("varchar", 2147483647, 0)}};
}

/// Athena's CSV for `rows` under the header id,name,note.
std::string Csv(const Rows& rows) {
  std::string out = "\"id\",\"name\",\"note\"\n";
  for (const auto& row : rows) {
    for (size_t c = 0; c < row.size(); ++c) {
      if (c > 0) out += ',';
      if (row[c] == kNull) continue;
      out += '"';
      for (const char ch : row[c]) {
        if (ch == '"') out += '"';
        out += ch;
      }
      out += '"';
    }
    out += '\n';
  }
  return out;
}

Rows SampleRows(int n) {
  Rows rows;
  for (int i = 0; i < n; ++i) {
    std::string note;
    switch (i % 6) {
      case 0:
        note = kNull;
        break;
      case 1:
        note = "";
        break;
      case 2:
        note = "say \"hi\", then\nleave";
        break;
      case 3:
        note = "crlf\r\ninside";
        break;
      case 4:
        note = std::string(i % 50, 'x');
        break;
      default:
        note = "plain " + std::to_string(i);
        break;
    }
    rows.push_back(
        {std::to_string(i), i % 5 == 0 ? std::string(kNull) : "name" + std::to_string(i), note});
  }
  return rows;
}

Rows ReadAll(ResultReader& reader, std::vector<ResultPosition>* positions = nullptr) {
  Rows out;
  RowBatch batch;
  while (reader.Next(batch)) {
    for (size_t r = 0; r < batch.num_rows(); ++r) {
      std::vector<std::string> row;
      for (size_t c = 0; c < batch.num_columns(); ++c) {
        row.push_back(batch.is_null(r, c) ? std::string(kNull) : std::string(batch.cell(r, c)));
      }
      out.push_back(std::move(row));
    }
    if (positions != nullptr) positions->push_back(reader.position());
  }
  return out;
}

class S3ResultReaderTest : public ::testing::Test {
 protected:
  S3ResultReaderTest() : s3_(MakeFakeS3Service(fake_, clock_), true) {}

  std::unique_ptr<S3ResultReader> Open(const std::string& key, S3ResultReaderOptions options,
                                       ResultPosition start = {}) {
    return std::make_unique<S3ResultReader>(s3_, aws::S3Uri{"results", key}, ThreeColumns(), start,
                                            options);
  }

  std::shared_ptr<FakeS3> fake_ = std::make_shared<FakeS3>();
  common::FakeClock clock_;
  aws::S3Client s3_;
};

TEST_F(S3ResultReaderTest, EveryPartSizeConcurrencyAndBatchSizeGivesTheSameRows) {
  const Rows expected = SampleRows(40);
  const std::string csv = Csv(expected);
  fake_->Put("results", "q.csv", csv);
  fake_->chunk_bytes = 5;
  for (int64_t part :
       {int64_t{1}, int64_t{2}, int64_t{3}, int64_t{7}, int64_t{16}, int64_t{19}, int64_t{64},
        int64_t{500}, static_cast<int64_t>(csv.size()), int64_t{1} << 20}) {
    for (int concurrency : {1, 3, 8}) {
      for (size_t batch_rows : {size_t{1}, size_t{7}, size_t{8192}}) {
        S3ResultReaderOptions options;
        options.part_size_bytes = part;
        options.concurrency = concurrency;
        options.max_batch_rows = batch_rows;
        auto reader = Open("q.csv", options);
        std::vector<ResultPosition> positions;
        const Rows got = ReadAll(*reader, &positions);
        ASSERT_EQ(got, expected) << "part " << part << " concurrency " << concurrency << " batch "
                                 << batch_rows;
        for (size_t i = 0; i + 1 < positions.size(); ++i) {
          EXPECT_LE(static_cast<size_t>(positions[i].rows_read), (i + 1) * batch_rows);
        }
        ASSERT_FALSE(positions.empty());
        EXPECT_TRUE(reader->position().at_end);
        EXPECT_EQ(reader->position().rows_read, 40);
        EXPECT_EQ(reader->position().byte_offset, static_cast<int64_t>(csv.size()));
        EXPECT_EQ(reader->position().fetcher, "s3");
      }
    }
  }
}

TEST_F(S3ResultReaderTest, PartBoundariesExactlyAtRecordEnds) {
  // Records of exactly 16 bytes, so parts of 16 and 32 bytes end exactly at record ends.
  Rows rows;
  for (int i = 0; i < 10; ++i)
    rows.push_back({std::to_string(i), "n", "01234"});  // "i","n","01234"\n = 16 bytes
  const std::string csv = Csv(rows);
  const size_t header = std::string("\"id\",\"name\",\"note\"\n").size();
  ASSERT_EQ((csv.size() - header) % 16, 0u);
  fake_->Put("results", "exact.csv", csv);
  for (int64_t part : {static_cast<int64_t>(header), int64_t{16}, int64_t{32},
                       static_cast<int64_t>(header + 16)}) {
    S3ResultReaderOptions options;
    options.part_size_bytes = part;
    options.concurrency = 2;
    options.max_batch_rows = 3;
    auto reader = Open("exact.csv", options);
    EXPECT_EQ(ReadAll(*reader), rows) << part;
  }
}

TEST_F(S3ResultReaderTest, ResumesFromEveryCheckpointWithoutHeaderAndWithoutDuplicates) {
  const Rows expected = SampleRows(30);
  fake_->Put("results", "q.csv", Csv(expected));
  S3ResultReaderOptions options;
  options.part_size_bytes = 11;
  options.concurrency = 3;
  options.max_batch_rows = 4;
  std::vector<ResultPosition> positions;
  {
    auto reader = Open("q.csv", options);
    ReadAll(*reader, &positions);
  }
  ASSERT_GE(positions.size(), 7u);
  for (const ResultPosition& saved : positions) {
    auto resumed = Open("q.csv", options, saved);
    const Rows tail = ReadAll(*resumed);
    const Rows want(expected.begin() + saved.rows_read, expected.end());
    EXPECT_EQ(tail, want) << "from row " << saved.rows_read << " byte " << saved.byte_offset;
    EXPECT_EQ(resumed->position().rows_read, 30);
    if (saved.byte_offset > 0 && !saved.at_end) {
      // The first ranged GET of the resumed read starts at the saved offset.
      bool found = false;
      for (const auto& request : fake_->Requests()) {
        found = found ||
                request.range.rfind("bytes=" + std::to_string(saved.byte_offset) + "-", 0) == 0;
      }
      EXPECT_TRUE(found) << saved.byte_offset;
    }
  }
}

TEST_F(S3ResultReaderTest, BrokenBodiesAreReRequestedFromWhereTheyStopped) {
  const Rows expected = SampleRows(200);
  const std::string csv = Csv(expected);
  fake_->Put("results", "q.csv", csv);
  fake_->chunk_bytes = 10;
  // The first request for each part breaks after 25 bytes; the re-requests go through.
  fake_->cut_after = [](const aws::testing::FakeS3Request& r, size_t) -> size_t {
    const size_t first = std::stoull(r.range.substr(6, r.range.find('-') - 6));
    return first % 100 == 0 ? 25 : SIZE_MAX;
  };
  S3ResultReaderOptions options;
  options.part_size_bytes = 100;
  options.concurrency = 4;
  auto reader = Open("q.csv", options);
  EXPECT_EQ(ReadAll(*reader), expected);
  int resumed = 0;
  for (const auto& request : fake_->Requests()) {
    if (request.method != "GET") continue;
    const size_t first = std::stoull(request.range.substr(6, request.range.find('-') - 6));
    if (first % 100 == 25) ++resumed;
  }
  EXPECT_EQ(resumed, static_cast<int>((csv.size() + 99) / 100) -
                         (csv.size() % 100 != 0 && csv.size() % 100 <= 25));
}

TEST_F(S3ResultReaderTest, AFailureThatDeliversNothingIsNotRetriedForever) {
  fake_->Put("results", "q.csv", Csv(SampleRows(50)));
  fake_->cut_after = [](const aws::testing::FakeS3Request& r, size_t) -> size_t {
    return r.range.rfind("bytes=0-", 0) == 0 ? SIZE_MAX
                                             : 0;  // all but the first part: reset at once
  };
  S3ResultReaderOptions options;
  options.part_size_bytes = 64;
  options.concurrency = 2;
  auto reader = Open("q.csv", options);
  RowBatch batch;
  EXPECT_THROW(
      {
        while (reader->Next(batch)) {
        }
      },
      common::TransientError);
}

TEST_F(S3ResultReaderTest, ZeroLengthAndHeaderOnlyFilesHaveNoRows) {
  fake_->Put("results", "empty.csv", "");
  fake_->Put("results", "header.csv", Csv({}));
  for (const std::string key : {"empty.csv", "header.csv"}) {
    auto reader = Open(key, {});
    RowBatch batch;
    EXPECT_FALSE(reader->Next(batch)) << key;
    EXPECT_TRUE(reader->position().at_end);
    EXPECT_EQ(reader->position().rows_read, 0);
    EXPECT_EQ(reader->columns().size(), 3u);
  }
  EXPECT_EQ(fake_->Count("GET"), 1);  // the empty file is not even downloaded
}

TEST_F(S3ResultReaderTest, ResumingAFinishedReadReadsNothing) {
  const std::string csv = Csv(SampleRows(5));
  fake_->Put("results", "q.csv", csv);
  ResultPosition done;
  done.fetcher = "s3";
  done.rows_read = 5;
  done.byte_offset = static_cast<int64_t>(csv.size());  // where a finished read stands
  done.at_end = true;
  auto reader = Open("q.csv", {}, done);
  RowBatch batch;
  EXPECT_FALSE(reader->Next(batch));
  EXPECT_EQ(fake_->Count("GET"), 0);
}

// A saved position is untrusted: one that cannot be a place in the file fails before any row,
// instead of reading nothing and calling that a success.
TEST_F(S3ResultReaderTest, AForgedSavedPositionIsRejectedBeforeAnyRow) {
  const std::string csv = Csv(SampleRows(5));
  fake_->Put("results", "q.csv", csv);
  const auto expect_rejected = [&](ResultPosition start, const std::string& needle) {
    start.fetcher = "s3";
    try {
      Open("q.csv", {}, start);
      ADD_FAILURE() << "accepted: " << needle;
    } catch (const common::ProtocolError& e) {
      EXPECT_NE(std::string(e.what()).find(needle), std::string::npos) << e.what();
    }
    EXPECT_EQ(fake_->Count("GET"), 0);
  };
  ResultPosition past_end;
  past_end.rows_read = 2;
  past_end.byte_offset = static_cast<int64_t>(csv.size()) + 1;
  expect_rejected(past_end, "is past the end of the result file s3://results/q.csv");
  past_end.byte_offset = int64_t{1} << 40;
  expect_rejected(past_end, "past the end");
  ResultPosition early_end;
  early_end.rows_read = 0;
  early_end.byte_offset = 10;
  early_end.at_end = true;
  expect_rejected(early_end, "does not match the result file");
  ResultPosition rows_without_offset;
  rows_without_offset.rows_read = 3;
  expect_rejected(rows_without_offset, "3 rows read at byte 0");
  ResultPosition other_file;
  other_file.rows_read = 1;
  other_file.byte_offset = 5;
  other_file.etag = "\"another\"";
  expect_rejected(other_file, "its ETag is \"etag-");
}

TEST_F(S3ResultReaderTest, PositionsCarryTheETagOfTheFileRead) {
  const std::string csv = Csv(SampleRows(3));
  fake_->Put("results", "q.csv", csv);
  auto reader = Open("q.csv", {});
  RowBatch batch;
  while (reader->Next(batch)) {
  }
  EXPECT_EQ(reader->position().etag, "\"etag-" + std::to_string(csv.size()) + "\"");
  // The same ETag resumes.
  ResultPosition end = reader->position();
  auto resumed = Open("q.csv", {}, end);
  EXPECT_FALSE(resumed->Next(batch));
}

TEST_F(S3ResultReaderTest, EveryRangedGetSendsIfMatchAndAReplacedFileFailsWithoutMixingRows) {
  const Rows first = SampleRows(200);
  const std::string csv = Csv(first);
  fake_->Put("results", "q.csv", csv);
  const std::string etag = "\"etag-" + std::to_string(csv.size()) + "\"";
  Rows other = SampleRows(300);
  for (auto& row : other) row[1] = "other";
  // The file is replaced by another version once its third part has been sent.
  std::atomic<int> gets{0};
  fake_->cut_after = [&](const aws::testing::FakeS3Request&, size_t) -> size_t {
    if (++gets == 3) fake_->Put("results", "q.csv", Csv(other));
    return SIZE_MAX;
  };
  S3ResultReaderOptions options;
  options.part_size_bytes = 512;
  options.concurrency = 1;
  options.max_batch_rows = 5;
  auto reader = Open("q.csv", options);
  Rows got;
  std::string error;
  try {
    RowBatch batch;
    while (reader->Next(batch)) {
      for (size_t r = 0; r < batch.num_rows(); ++r) {
        std::vector<std::string> row;
        for (size_t c = 0; c < batch.num_columns(); ++c)
          row.push_back(batch.is_null(r, c) ? std::string(kNull) : std::string(batch.cell(r, c)));
        got.push_back(std::move(row));
      }
    }
  } catch (const common::ProtocolError& e) {
    error = e.what();
  }
  reader.reset();
  EXPECT_NE(error.find("the object was replaced while it was being read"), std::string::npos)
      << error;
  ASSERT_LT(got.size(), first.size());
  EXPECT_EQ(got, Rows(first.begin(), first.begin() + static_cast<ptrdiff_t>(got.size())));
  int ranged = 0;
  for (const auto& request : fake_->Requests()) {
    if (request.method != "GET") continue;
    ++ranged;
    EXPECT_EQ(request.if_match, etag) << request.range;
  }
  EXPECT_GE(ranged, 4);
}

TEST_F(S3ResultReaderTest, AccessDeniedFailsInTheConstructor) {
  fake_->Put("results", "q.csv", Csv(SampleRows(5)));
  fake_->fail_with = [](const aws::testing::FakeS3Request& r) {
    return r.method == "GET" ? 403 : 0;
  };
  try {
    Open("q.csv", {});
    FAIL() << "no throw";
  } catch (const aws::AwsError& e) {
    EXPECT_EQ(e.code(), "AccessDenied");
    EXPECT_EQ(e.kind(), common::ErrorKind::kPermission);
  }
}

TEST_F(S3ResultReaderTest, MalformedCsvIsAProtocolErrorAfterTheGoodRows) {
  fake_->Put("results", "bad.csv", "\"id\",\"name\",\"note\"\n\"1\",\"a\",\"b\"\n\"2\",\"a\"\n");
  auto reader = Open("bad.csv", {});
  RowBatch batch;
  EXPECT_THROW(
      {
        while (reader->Next(batch)) {
        }
      },
      common::ProtocolError);
}

TEST_F(S3ResultReaderTest, DownloadsStayWithinAWindowOfTheParserWhenTheConsumerStalls) {
  const Rows rows = SampleRows(3000);
  fake_->Put("results", "big.csv", Csv(rows));
  S3ResultReaderOptions options;
  options.part_size_bytes = 64;
  options.concurrency = 3;
  options.max_batch_rows = 1;
  auto reader = Open("big.csv", options);
  // Nobody calls Next(): the parser fills the ready queue and stops, the workers stop after the
  // window. Give the threads time to run as far as they can.
  std::this_thread::sleep_for(std::chrono::milliseconds(300));
  const int gets = fake_->Count("GET");
  // Parsed parts before the parser blocks (4 queued 1-row batches + the one in hand: at most 5
  // rows, each within two parts of 64 bytes) + the window (concurrency + 1).
  EXPECT_LE(gets, 10 + options.concurrency + 1);
  EXPECT_LE(fake_->max_in_flight.load(), options.concurrency);
  EXPECT_GT(static_cast<int>(Csv(rows).size() / 64), 100);
  reader.reset();  // stops without hanging while workers and parser are blocked
}

TEST_F(S3ResultReaderTest, TextResultIsReadWhole) {
  fake_->Put("results", "ddl.txt", "a\tb\tc\nd\te\tf\n");
  auto reader = Open("ddl.txt", {});
  EXPECT_EQ(ReadAll(*reader), (Rows{{"a", "b", "c"}, {"d", "e", "f"}}));
  ResultPosition one;
  one.rows_read = 1;
  auto resumed = Open("ddl.txt", {}, one);
  EXPECT_EQ(ReadAll(*resumed), (Rows{{"d", "e", "f"}}));
}

TEST_F(S3ResultReaderTest, ColumnsComeFromOneGetQueryResultsCallWithMaxResultsOne) {
  auto athena_fake = std::make_shared<FakeAthena>();
  athena_fake->handlers["GetQueryResults"] = [](const nlohmann::json& request) {
    EXPECT_EQ(request["MaxResults"], 1);
    return std::make_pair(
        200, ResultsBody({{"id", "integer"}, {"name", "varchar"}, {"note", "varchar"}}, {}, true,
                         "tok"));
  };
  auto athena = MakeFakeClient(athena_fake, clock_);
  const Rows expected = SampleRows(12);
  fake_->Put("results", "staging/q1.csv", Csv(expected));
  QueryExecution execution;
  execution.id = "q1";
  execution.statement_type = "DML";
  execution.substatement_type = "SELECT";
  execution.output_location = "s3://results/staging/q1.csv";
  S3ResultReader reader(s3_, *athena, execution, {}, {});
  ASSERT_EQ(reader.columns().size(), 3u);
  EXPECT_EQ(reader.columns()[0].name, "id");
  EXPECT_EQ(reader.columns()[0].type.id, TypeId::kInteger);
  EXPECT_EQ(ReadAll(reader), expected);
  EXPECT_EQ(athena_fake->Count("GetQueryResults"), 1);
  EXPECT_EQ(fake_->Count("HEAD"), 1);
}

}  // namespace
}  // namespace ac::results
