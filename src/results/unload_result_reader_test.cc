#include "results/unload_result_reader.h"

#include <gtest/gtest.h>

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
                                           int concurrency = 3) {
    UnloadReaderOptions options;
    options.concurrency = concurrency;
    options.max_batch_rows = batch_rows;
    options.temp_root = scratch_.path / "downloads";
    return std::make_unique<UnloadResultReader>(
        s3_, ListUnloadFiles(s3_, execution_, "s3://results/staging/unload/tok/"), start, options,
        nullptr, [this] {
          ++columns_calls_;
          return std::vector<athena::Column>{{"id", athena::TypeFromColumnInfo("bigint", 19, 0)}};
        });
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
  try {
    Open(inside_second, 50, 2);
    FAIL() << "no throw";
  } catch (const common::ProtocolError& e) {
    EXPECT_NE(std::string(e.what()).find("the saved position does not match UNLOAD file "
                                         "s3://results/staging/unload/tok/q1_1"),
              std::string::npos)
        << e.what();
  }
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

}  // namespace
}  // namespace ac::results
