#include "results/unload_result_reader.h"

#include <gtest/gtest.h>

#include <cstdio>
#include <fstream>
#include <map>
#include <mutex>
#include <sstream>

#include "athena_text/value_format.h"
#include "aws/fake_s3_test_util.h"
#include "common/error.h"

namespace ac::results {
namespace {

using aws::testing::FakeS3;
using aws::testing::MakeFakeS3Service;
using Rows = std::vector<std::vector<std::string>>;

/// A scratch folder removed afterwards.
struct ScratchDir {
  ScratchDir() {
    std::string pattern = (std::filesystem::temp_directory_path() / "unload-test-XXXXXX").string();
    path = mkdtemp(pattern.data());
  }
  ~ScratchDir() { std::filesystem::remove_all(path); }
  std::filesystem::path path;
};

std::string ReadBytes(const std::filesystem::path& path) {
  std::ifstream in(path, std::ios::binary);
  std::stringstream buffer;
  buffer << in.rdbuf();
  return buffer.str();
}

/// Writes `sql`'s result as a Parquet file with DuckDB and returns its bytes.
std::string ParquetOf(const std::string& sql, const std::filesystem::path& dir) {
  duckdb_database db;
  duckdb_connection con;
  duckdb_open(nullptr, &db);
  duckdb_connect(db, &con);
  const std::filesystem::path file = dir / "out.parquet";
  duckdb_result result;
  const std::string copy =
      "COPY (" + sql + ") TO '" + file.string() + "' (FORMAT PARQUET, ROW_GROUP_SIZE 1000)";
  const bool ok = duckdb_query(con, copy.c_str(), &result) == DuckDBSuccess;
  if (!ok) ADD_FAILURE() << duckdb_result_error(&result);
  duckdb_destroy_result(&result);
  duckdb_disconnect(&con);
  duckdb_close(&db);
  std::string bytes = ReadBytes(file);
  std::filesystem::remove(file);
  return bytes;
}

Rows ReadAll(ResultReader& reader, std::vector<ResultPosition>* positions = nullptr) {
  Rows out;
  athena::RowBatch batch;
  while (reader.Next(batch)) {
    for (size_t r = 0; r < batch.num_rows(); ++r) {
      std::vector<std::string> row;
      for (size_t c = 0; c < batch.num_columns(); ++c) {
        row.push_back(batch.is_null(r, c) ? "<NULL>" : std::string(batch.cell(r, c)));
      }
      out.push_back(std::move(row));
    }
    if (positions != nullptr) positions->push_back(reader.position());
  }
  return out;
}

/// File i holds ids [i * 1000, i * 1000 + rows_per_file).
class UnloadResultReaderTest : public ::testing::Test {
 protected:
  UnloadResultReaderTest() : s3_(MakeFakeS3Service(fake_, clock_), true) {}

  void WriteFiles(int files, int rows_per_file, bool manifest = true) {
    std::string manifest_text;
    for (int i = 0; i < files; ++i) {
      const std::string sql =
          "SELECT CAST(" + std::to_string(i * 1000) +
          " + j AS BIGINT) AS id, "
          "CASE WHEN j % 4 = 0 THEN NULL WHEN j % 4 = 1 THEN '' ELSE 'v\"' || j END AS s, "
          "CAST(j AS DOUBLE) / 4 AS d FROM range(" +
          std::to_string(rows_per_file) + ") t(j) ORDER BY j";
      const std::string key = "staging/unload/tok/q1_" + std::to_string(i);
      fake_->Put("results", key, ParquetOf(sql, scratch_.path));
      manifest_text += "s3://results/" + key + "\n";
      for (int j = 0; j < rows_per_file; ++j) {
        const std::string s = j % 4 == 0 ? "<NULL>" : j % 4 == 1 ? "" : "v\"" + std::to_string(j);
        std::string d;
        athena_text::AppendJavaDouble(d, static_cast<double>(j) / 4);
        expected_.push_back({std::to_string(i * 1000 + j), s, d});
      }
    }
    if (manifest) fake_->Put("results", "staging/q1-manifest.csv", manifest_text);
    execution_.id = "q1";
    execution_.manifest_location = manifest ? "s3://results/staging/q1-manifest.csv" : "";
  }

  std::unique_ptr<UnloadResultReader> Open(ResultPosition start = {}, size_t batch_rows = 100,
                                           int concurrency = 3, std::string query_id = "") {
    UnloadReaderOptions options;
    options.concurrency = concurrency;
    options.max_batch_rows = batch_rows;
    options.temp_root = scratch_.path / "downloads";
    options.query_execution_id = std::move(query_id);
    return std::make_unique<UnloadResultReader>(
        s3_, ListUnloadFiles(s3_, execution_, "s3://results/staging/unload/tok/"), start, options,
        nullptr, [this] {
          ++columns_calls_;
          return std::vector<athena::Column>{{"id", athena::TypeFromColumnInfo("bigint", 19, 0)}};
        });
  }

  /// The query's download folder (query id "q1").
  std::filesystem::path Folder() const {
    return scratch_.path / "downloads" / "athena-connector-unload-q1";
  }
  std::filesystem::path LocalFile(int i) const {
    return Folder() / ("f-q1_" + std::to_string(i) + ".parquet");
  }
  int64_t ObjectSize(int i) {
    std::lock_guard<std::mutex> lock(fake_->mutex);
    return static_cast<int64_t>(
        fake_->objects.at("results/staging/unload/tok/q1_" + std::to_string(i)).size());
  }
  /// Bytes the GET requests from `first_request` on asked for of file i (by their Range).
  int64_t BytesRequested(int i, size_t first_request, std::vector<std::string>* ranges = nullptr) {
    const std::vector<aws::testing::FakeS3Request> requests = fake_->Requests();
    int64_t total = 0;
    for (size_t n = first_request; n < requests.size(); ++n) {
      const auto& r = requests[n];
      if (r.method != "GET" || r.key != "staging/unload/tok/q1_" + std::to_string(i)) continue;
      if (ranges != nullptr) ranges->push_back(r.range);
      int64_t first = 0;
      int64_t last = 0;
      EXPECT_EQ(std::sscanf(r.range.c_str(), "bytes=%ld-%ld", &first, &last), 2) << r.range;
      total += last - first + 1;
    }
    return total;
  }
  /// Leaves a partly downloaded file 0 (its first 700 bytes) in the query's folder: the read
  /// that downloads it fails after them (a 403 on the continuation).
  void LeavePartialFirstFile() {
    fake_->chunk_bytes = 512;
    fake_->cut_after = [](const aws::testing::FakeS3Request& r, size_t) -> size_t {
      return r.range.rfind("bytes=0-", 0) == 0 ? 700 : SIZE_MAX;
    };
    fake_->fail_with = [](const aws::testing::FakeS3Request& r) {
      return r.range.rfind("bytes=700-", 0) == 0 ? 403 : 0;
    };
    EXPECT_THROW(Open({}, 50, 1, "q1"), common::Error);
    fake_->cut_after = nullptr;
    fake_->fail_with = nullptr;
    ASSERT_TRUE(std::filesystem::exists(LocalFile(0)));
    ASSERT_EQ(std::filesystem::file_size(LocalFile(0)), 700u);
  }

  std::shared_ptr<FakeS3> fake_ = std::make_shared<FakeS3>();
  common::FakeClock clock_;
  aws::S3Client s3_;
  ScratchDir scratch_;
  athena::QueryExecution execution_;
  Rows expected_;
  int columns_calls_ = 0;
};

TEST_F(UnloadResultReaderTest, ReadsEveryFileInOrderAsAthenaText) {
  WriteFiles(5, 250);
  auto reader = Open({}, 64);
  ASSERT_EQ(reader->columns().size(), 3u);
  EXPECT_EQ(reader->columns()[0].name, "id");
  EXPECT_EQ(reader->columns()[0].type.id, athena::TypeId::kBigint);
  EXPECT_EQ(reader->columns()[2].type.id, athena::TypeId::kDouble);
  std::vector<ResultPosition> positions;
  EXPECT_EQ(ReadAll(*reader, &positions), expected_);
  for (const auto& p : positions) EXPECT_LE(p.rows_read, 1250);
  EXPECT_TRUE(reader->position().at_end);
  EXPECT_EQ(reader->position().rows_read, 1250);
  EXPECT_EQ(reader->position().files_done.size(), 5u);
  EXPECT_EQ(reader->position().fetcher, "unload");
  reader.reset();
  EXPECT_TRUE(std::filesystem::is_empty(scratch_.path / "downloads"));  // temp folder removed
  EXPECT_EQ(columns_calls_, 0);
}

TEST_F(UnloadResultReaderTest, ResumesFromEveryCheckpoint) {
  WriteFiles(3, 130);
  std::vector<ResultPosition> positions;
  {
    auto reader = Open({}, 50, 2);
    ReadAll(*reader, &positions);
  }
  ASSERT_GE(positions.size(), 8u);
  for (const auto& saved : positions) {
    auto resumed = Open(saved, 50, 2);
    const Rows want(expected_.begin() + saved.rows_read, expected_.end());
    EXPECT_EQ(ReadAll(*resumed), want)
        << "from row " << saved.rows_read << " (" << saved.files_done.size() << " files done + "
        << saved.file_rows_done << ")";
    EXPECT_EQ(resumed->position().rows_read, 390);
  }
}

TEST_F(UnloadResultReaderTest, WithoutManifestTheFilesAreListed) {
  WriteFiles(2, 10, /*manifest=*/false);
  auto reader = Open();
  EXPECT_EQ(ReadAll(*reader), expected_);
  EXPECT_EQ(fake_->Count("GET"), 3);  // one listing + two files
}

TEST_F(UnloadResultReaderTest, NoFilesTakesColumnsFromTheCallbackAndHasNoRows) {
  fake_->Put("results", "staging/q1-manifest.csv", "");
  execution_.id = "q1";
  execution_.manifest_location = "s3://results/staging/q1-manifest.csv";
  auto reader = Open();
  EXPECT_EQ(columns_calls_, 1);
  ASSERT_EQ(reader->columns().size(), 1u);
  athena::RowBatch batch;
  EXPECT_FALSE(reader->Next(batch));
  EXPECT_TRUE(reader->position().at_end);
}

TEST_F(UnloadResultReaderTest, BrokenDownloadsContinueWhereTheyStopped) {
  WriteFiles(4, 300);
  fake_->chunk_bytes = 512;
  fake_->cut_after = [](const aws::testing::FakeS3Request& r, size_t) -> size_t {
    // The first request of each file (bounded by its size, from HeadObject) breaks.
    return r.range.rfind("bytes=0-", 0) == 0 ? 700 : SIZE_MAX;
  };
  auto reader = Open();
  EXPECT_EQ(ReadAll(*reader), expected_);
  int resumed = 0;
  for (const auto& request : fake_->Requests())
    resumed += request.range.rfind("bytes=700-", 0) == 0;
  EXPECT_EQ(resumed, 4);
}

TEST_F(UnloadResultReaderTest, EveryDownloadSendsIfMatchAndPositionsCarryTheFilesETag) {
  WriteFiles(3, 130);
  fake_->chunk_bytes = 512;
  fake_->cut_after = [](const aws::testing::FakeS3Request& r, size_t) -> size_t {
    return r.range.rfind("bytes=0-", 0) == 0 ? 700 : SIZE_MAX;  // every download resumes once
  };
  std::vector<ResultPosition> positions;
  auto reader = Open({}, 50, 2);
  EXPECT_EQ(ReadAll(*reader, &positions), expected_);
  std::map<std::string, std::string> etags;  // key -> the fake's ETag ("etag-<size>")
  {
    std::lock_guard<std::mutex> lock(fake_->mutex);
    for (const auto& [name, data] : fake_->objects)
      etags[name.substr(name.find('/') + 1)] = "\"etag-" + std::to_string(data.size()) + "\"";
  }
  int downloads = 0;
  for (const auto& request : fake_->Requests()) {
    if (request.method != "GET" || request.key.find("unload/tok/") == std::string::npos) continue;
    ++downloads;
    EXPECT_EQ(request.if_match, etags[request.key]) << request.key << " " << request.range;
  }
  EXPECT_EQ(downloads, 6);  // 3 files, each resumed once
  for (const auto& p : positions) {
    if (p.file_rows_done == 0) continue;
    const std::string file = "staging/unload/tok/q1_" + std::to_string(p.files_done.size());
    EXPECT_EQ(p.etag, etags[file]) << p.rows_read;
  }
}

TEST_F(UnloadResultReaderTest, AResumeInsideAFileThatWasReplacedFailsInTheConstructor) {
  WriteFiles(2, 130);
  std::vector<ResultPosition> positions;
  {
    auto reader = Open({}, 50, 2);
    ReadAll(*reader, &positions);
  }
  ResultPosition inside_second;
  for (const auto& p : positions) {
    if (p.files_done.size() == 1 && p.file_rows_done > 0) inside_second = p;
  }
  ASSERT_GT(inside_second.file_rows_done, 0);
  // The same file resumes; another version of it (another ETag) does not.
  EXPECT_EQ(ReadAll(*Open(inside_second, 50, 2)).size(),
            static_cast<size_t>(260 - inside_second.rows_read));
  fake_->Put("results", "staging/unload/tok/q1_1",
             ParquetOf("SELECT CAST(j AS BIGINT) AS id, 'x' AS s, 0.5::DOUBLE AS d FROM range(7) "
                       "t(j)",
                       scratch_.path));
  std::filesystem::create_directories(Folder());
  try {
    Open(inside_second, 50, 2, "q1");
    FAIL() << "no throw";
  } catch (const common::ProtocolError& e) {
    EXPECT_NE(std::string(e.what()).find("the saved position does not match UNLOAD file "
                                         "s3://results/staging/unload/tok/q1_1"),
              std::string::npos)
        << e.what();
  }
  EXPECT_FALSE(std::filesystem::exists(Folder()));  // the position and its downloads are discarded
}

TEST_F(UnloadResultReaderTest, AFileReplacedWhileItDownloadsFailsTheRead) {
  WriteFiles(1, 300);
  const std::string other =
      ParquetOf("SELECT CAST(j AS BIGINT) AS id FROM range(5) t(j)", scratch_.path);
  fake_->chunk_bytes = 512;
  fake_->cut_after = [&](const aws::testing::FakeS3Request& r, size_t) -> size_t {
    if (r.range.rfind("bytes=0-", 0) != 0) return SIZE_MAX;
    fake_->Put("results", r.key, other);  // replaced while its first body streams
    return 700;
  };
  try {
    Open();
    FAIL() << "no throw";
  } catch (const common::ProtocolError& e) {
    EXPECT_NE(std::string(e.what()).find("the object was replaced while it was being read"),
              std::string::npos)
        << e.what();
  }
}

TEST_F(UnloadResultReaderTest, AMissingFileFailsInTheConstructorAsNotFound) {
  WriteFiles(1, 10);
  fake_->Put("results", "staging/q1-manifest.csv", "s3://results/staging/unload/tok/gone\n");
  try {
    Open();
    FAIL() << "no throw";
  } catch (const common::Error& e) {
    EXPECT_EQ(e.kind(), common::ErrorKind::kNotFound) << e.what();
  }
}

TEST_F(UnloadResultReaderTest, AResumedReadDownloadsOnlyTheMissingBytesOfAPartlyDownloadedFile) {
  WriteFiles(2, 300);
  LeavePartialFirstFile();
  const size_t before = fake_->Requests().size();
  auto reader = Open({}, 50, 1, "q1");
  EXPECT_EQ(ReadAll(*reader), expected_);
  std::vector<std::string> ranges;
  EXPECT_EQ(BytesRequested(0, before, &ranges), ObjectSize(0) - 700);
  EXPECT_EQ(ranges, std::vector<std::string>{"bytes=700-" + std::to_string(ObjectSize(0) - 1)});
  EXPECT_EQ(BytesRequested(1, before), ObjectSize(1));
  for (const auto& r : fake_->Requests()) {
    if (r.method == "GET" && r.key.find("unload/tok/q1_0") != std::string::npos) {
      EXPECT_EQ(r.if_match, "\"etag-" + std::to_string(ObjectSize(0)) + "\"");
    }
  }
}

TEST_F(UnloadResultReaderTest, AResumeInsideAFileDownloadsNothingTwice) {
  WriteFiles(4, 300);
  std::vector<ResultPosition> positions;
  {
    // Read into file 1, then gone (as a killed sync: the folder stays with what was downloaded).
    auto reader = Open({}, 50, 2, "q1");
    athena::RowBatch batch;
    while (reader->Next(batch)) {
      positions.push_back(reader->position());
      if (positions.back().files_done.size() == 1 && positions.back().file_rows_done >= 100) break;
    }
  }
  ASSERT_TRUE(std::filesystem::exists(Folder()));
  EXPECT_FALSE(std::filesystem::exists(LocalFile(0)));  // read: removed
  std::map<int, int64_t> local;
  for (int i = 1; i < 4; ++i) {
    std::error_code ec;
    const auto size = std::filesystem::file_size(LocalFile(i), ec);
    local[i] = ec ? 0 : static_cast<int64_t>(size);
  }
  EXPECT_EQ(local[1], ObjectSize(1));  // the file being read is whole
  const size_t before = fake_->Requests().size();
  const ResultPosition& saved = positions.back();
  auto resumed = Open(saved, 50, 2, "q1");
  EXPECT_EQ(ReadAll(*resumed), Rows(expected_.begin() + saved.rows_read, expected_.end()));
  for (int i = 1; i < 4; ++i)
    EXPECT_EQ(BytesRequested(i, before), ObjectSize(i) - local[i]) << "file " << i;
  EXPECT_EQ(BytesRequested(0, before), 0);
}

TEST_F(UnloadResultReaderTest, ACompletedReadLeavesNoFolder) {
  WriteFiles(3, 130);
  auto reader = Open({}, 50, 2, "q1");
  EXPECT_EQ(ReadAll(*reader), expected_);
  EXPECT_FALSE(
      std::filesystem::exists(Folder()));  // at the end of the read, before the reader goes
  reader.reset();
  EXPECT_TRUE(std::filesystem::is_empty(scratch_.path / "downloads"));
  // A read that finds nothing left (resumed at the end) removes a folder left behind too.
  std::filesystem::create_directories(Folder());
  ResultPosition end;
  end.fetcher = "unload";
  end.at_end = true;
  Open(end, 50, 2, "q1");
  EXPECT_TRUE(std::filesystem::is_empty(scratch_.path / "downloads"));
}

TEST_F(UnloadResultReaderTest, AnUnfinishedReadKeepsItsFolderAPrivateOneGoes) {
  WriteFiles(2, 300);
  {
    auto reader = Open({}, 50, 2, "q1");
    athena::RowBatch batch;
    ASSERT_TRUE(reader->Next(batch));
  }
  EXPECT_TRUE(std::filesystem::exists(Folder()));
  {
    auto reader = Open({}, 50, 2);  // no query id
    athena::RowBatch batch;
    ASSERT_TRUE(reader->Next(batch));
  }
  int folders = 0;
  for ([[maybe_unused]] const auto& entry :
       std::filesystem::directory_iterator(scratch_.path / "downloads"))
    ++folders;
  EXPECT_EQ(folders, 1);
}

TEST_F(UnloadResultReaderTest, AnETagChangeRestartsAPartlyDownloadedFile) {
  WriteFiles(2, 300);
  LeavePartialFirstFile();
  // File 0 is replaced (no row of it delivered yet): the 700 bytes are of the old version.
  fake_->Put("results", "staging/unload/tok/q1_0",
             ParquetOf("SELECT CAST(j AS BIGINT) AS id, 'x' AS s, 0.5::DOUBLE AS d FROM range(7) "
                       "t(j)",
                       scratch_.path));
  const size_t before = fake_->Requests().size();
  auto reader = Open({}, 50, 1, "q1");
  EXPECT_EQ(ReadAll(*reader).size(), 7u + 300u);
  std::vector<std::string> ranges;
  EXPECT_EQ(BytesRequested(0, before, &ranges), ObjectSize(0));
  EXPECT_EQ(ranges, std::vector<std::string>{"bytes=0-" + std::to_string(ObjectSize(0) - 1)});
}

TEST_F(UnloadResultReaderTest, A412OnTheContinuationDiscardsTheLocalFile) {
  WriteFiles(1, 300);
  LeavePartialFirstFile();
  const std::string other =
      ParquetOf("SELECT CAST(j AS BIGINT) AS id, 'x' AS s, 0.5::DOUBLE AS d FROM range(7) t(j)",
                scratch_.path);
  // Replaced between the HEAD (the old ETag, as the sidecar) and the continuation (If-Match: 412).
  fake_->fail_with = [&](const aws::testing::FakeS3Request& r) {
    if (r.range.rfind("bytes=700-", 0) == 0) fake_->Put("results", r.key, other);
    return 0;
  };
  try {
    Open({}, 50, 1, "q1");
    FAIL() << "no throw";
  } catch (const common::ProtocolError& e) {
    EXPECT_NE(std::string(e.what()).find("replaced"), std::string::npos) << e.what();
  }
  fake_->fail_with = nullptr;
  EXPECT_FALSE(std::filesystem::exists(Folder()));
  EXPECT_EQ(ReadAll(*Open({}, 50, 1, "q1")).size(), 7u);
}

}  // namespace
}  // namespace ac::results
